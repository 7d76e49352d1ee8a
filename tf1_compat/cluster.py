"""The TF1 track across processes: between-graph replication on parameter servers.

Every task reads the same `TF_CONFIG` (`{"cluster": {"ps": [...], "worker": [...]}, "task":
{"type": "worker", "index": 1}}`) and starts a `tf.compat.v1.train.Server`. A `ps` task only
serves (`server.join()`, until it is killed). Each worker builds its *own* graph (between-graph
replication) under `tf.compat.v1.device(replica_device_setter(cluster=...))`, which puts every
variable on a parameter server and every other op on the worker, and trains in a
`MonitoredTrainingSession` on its server; worker 0 is the chief, which initialises the variables
(to the spec's seeded start, the same as every other run) before the others may start.

Each worker takes its shard of every global batch (the same `batch_indices` on every worker).
Two ways to apply the shards' gradients:

- synchronous (the default): `tf.compat.v1.train.SyncReplicasOptimizer` collects one gradient
  from every worker in accumulators on the ps, averages them and applies one update per global
  batch; a worker waits for that update (a token from the chief) before its next step. Each
  worker's loss is its shard's sum / the global batch x workers, so the average is the gradient
  of the whole batch's mean: the cluster computes the one-process numbers.
- asynchronous (`synchronous=False`), the classic parameter-server way: each worker applies its
  own update (of its shard's mean) as soon as its gradient is ready, reading whatever the others
  have written. Every worker ends with the same weights (they live on the ps), but not with the
  one-process result: the order in which updates land is up to the machines.

When a worker has finished it waits until every worker has (a counter on the ps), then reads
the weights. The loss and metrics in its History are those of its own shards.
"""

from __future__ import annotations

import time
import types

import numpy as np
import tensorflow as tf

from tf1_compat import losses
from tf1_compat.model import build_layers
from tf1_compat.optimizers import after_init, make_optimizer
from tfmodels.core.checks import check_x, check_y
from tfmodels.core.errors import UserError
from tfmodels.core.loop import Means, fit_loop
from tfmodels.core.spec import ModelSpec, initial_weights

__all__ = ["start_server", "build_graph", "train_between_graph"]

v1 = tf.compat.v1


class _SyncHook(v1.train.SessionRunHook):
    """`SyncReplicasOptimizer.make_session_run_hook` with no spare tokens (every worker waits
    for each averaged update), whose update thread ends quietly when the chief closes its
    session. (The stock hook's thread, blocked on gradients that will never come, reports the
    cancellation as an uncaught exception.)"""

    def __init__(self, sync, is_chief: bool):
        self.sync, self.is_chief = sync, is_chief

    def begin(self):
        sync = self.sync
        self.init_op = sync.chief_init_op if self.is_chief else sync.local_step_init_op
        self.tokens_op, self.runner = None, None
        if self.is_chief:
            self.tokens_op = sync.get_init_tokens_op(num_tokens=0)
            stock = sync.get_chief_queue_runner()
            self.runner = v1.train.QueueRunner(
                stock.queue, stock.enqueue_ops,
                queue_closed_exception_types=(tf.errors.OutOfRangeError,
                                              tf.errors.CancelledError))

    def after_create_session(self, session, coord):
        missing = session.run(self.sync.ready_for_local_init_op)  # variables not yet set up
        if missing.size:
            raise RuntimeError(f"the chief has not initialised {missing.tolist()} yet")
        session.run(self.init_op)
        if self.tokens_op is not None:
            session.run(self.tokens_op)
        if self.runner is not None:
            self.runner.create_threads(session, coord=coord, daemon=True, start=True)


def start_server(config: dict):
    """This task's `tf.compat.v1.train.Server`, from a parsed TF_CONFIG."""
    task = config["task"]
    cluster = v1.train.ClusterSpec(config["cluster"])
    return v1.train.Server(cluster, job_name=task["type"], task_index=task["index"],
                           start=True)


def build_graph(spec: ModelSpec, cluster, index: int, workers: int, synchronous: bool,
                weights=None) -> types.SimpleNamespace:
    """Worker `index`'s graph: variables on the ps tasks (`replica_device_setter`), the spec's
    layers (`build_layers`), the loss and metric sums, and the (sync or async) train op."""
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(spec.seed)
        setter = v1.train.replica_device_setter(worker_device=f"/job:worker/task:{index}",
                                                cluster=cluster)
        with v1.device(setter):
            x = v1.placeholder(tf.float32, (None, *spec.input_shape), name="x")
            y = v1.placeholder(tf.float32, (None, *spec.label_shape), name="y")
            global_step = v1.train.get_or_create_global_step()
            outputs, logits = build_layers(spec, x, training=True)
            per_sample = losses.per_sample_loss(spec.loss, y, outputs, logits)
            sums = {"loss": tf.reduce_sum(per_sample),
                    **{m: losses.metric_sum(m, spec.loss, y, outputs) for m in spec.metrics}}
            optimizer = make_optimizer(spec.optimizer)
            variables = v1.trainable_variables()
            hooks = []
            if synchronous:
                # the accumulators average the workers' gradients: sum / global x workers
                global_batch = v1.placeholder(tf.float32, (), name="global_batch")
                loss = sums["loss"] / global_batch * workers
                sync = v1.train.SyncReplicasOptimizer(optimizer, replicas_to_aggregate=workers,
                                                      total_num_replicas=workers)
                train_op = sync.minimize(loss, global_step=global_step, var_list=variables)
                hooks.append(_SyncHook(sync, is_chief=index == 0))
            else:
                global_batch = None
                loss = losses.mean_loss(per_sample)
                train_op = optimizer.minimize(loss, global_step=global_step, var_list=variables)
            start = initial_weights(spec) if weights is None else weights
            new_values = [v1.placeholder(v.dtype.base_dtype, v.shape) for v in variables]
            assign = [v.assign(p) for v, p in zip(variables, new_values)]
            start_ops = [after_init(optimizer, variables), assign]
            # Workers finished, for the last wait (counted, not inferred from `global_step`,
            # which a resumed asynchronous run does not reach predictably); not checkpointed.
            done = v1.Variable(0, trainable=False, name="workers_done")
            finish = done.assign_add(1)
            # The step the chief started at (0, or the checkpoint's), set as the chief's last
            # act of initialisation: outside `global_variables_initializer`, it keeps the other
            # workers waiting (`ready_op`) until the chief's start values or restore are in.
            start_at = v1.placeholder_with_default(tf.constant(0, tf.int64), ())
            started_at = v1.Variable(start_at, trainable=False, collections=[],
                                     name="chief_started_at")
            ready_op = v1.report_uninitialized_variables(
                v1.global_variables() + v1.local_variables() + [started_at])
            chief_pending = v1.report_uninitialized_variables(v1.global_variables()
                                                              + [started_at])
            chief_pending.mark_used()  # run by the other workers only: no "never used" ERROR
        with v1.device(f"/job:worker/task:{index}"):  # this worker writes the files
            saver = v1.train.Saver([v for v in v1.global_variables() if v is not done],
                                   max_to_keep=None, save_relative_paths=True)

    restore = {"prefix": None, "iterations": 0}  # set by `train_between_graph` on a resume

    def init_fn(scaffold, session):  # the chief, once, right after global_variables_initializer
        if restore["prefix"]:
            saver.restore(session, restore["prefix"])  # weights, slots, global_step
        else:
            session.run(start_ops, dict(zip(new_values, start)))
        session.run(started_at.initializer, {start_at: restore["iterations"]})

    return types.SimpleNamespace(graph=graph, x=x, y=y, global_batch=global_batch,
                                 global_step=global_step, sums=sums, train_op=train_op,
                                 variables=variables, hooks=hooks, init_fn=init_fn,
                                 ready_op=ready_op, chief_pending=chief_pending,
                                 saver=saver, restore=restore,
                                 started_at=started_at, done=done, finish=finish)


def _wait_for_chief(target, g, config, timeout: float) -> None:
    """Until the chief has set the variables up (start values or a restore), polled every
    0.1 s: a non-chief's `MonitoredTrainingSession` looks only every 30 s."""
    deadline = time.monotonic() + timeout
    with v1.Session(target, graph=g.graph, config=config) as session:
        while session.run(g.chief_pending).size:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the chief did not set the variables up within "
                                   f"{timeout:g} s")
            time.sleep(0.1)


class _Saver:
    """The graph's `Saver` through a `MonitoredTrainingSession` (which `Saver.save` refuses):
    the same save op, run with its file name fed."""

    def __init__(self, saver):
        self.saver = saver

    def save(self, session, path, **_):
        session.run(self.saver.saver_def.save_tensor_name,
                    {self.saver.saver_def.filename_tensor_name: path})


class _Worker:
    """What the callbacks (`fit_loop`'s) see as the model of a cluster worker: the stop flag,
    and what a `tf1_compat.checkpoint.BackupAndRestore` saves through (its graph, session and
    `Saver`, its step count, the epoch's running averages)."""

    def __init__(self, graph, saver, means, iterations: int):
        self.graph, self.saver, self.means = graph, _Saver(saver), means
        self.iterations, self.stop_training, self.session = iterations, False, None

    @property
    def metric_state(self) -> dict:
        return self.means.state()

    @metric_state.setter
    def metric_state(self, state: dict) -> None:
        self.means.set_state(state)


def train_between_graph(spec: ModelSpec, data, config: dict, *, weights=None, verbose=0,
                        callbacks=None, synchronous: bool = True, wait_timeout: float = 300.0,
                        state=None, restore: str | None = None):
    """Train on this worker of the cluster in `config`; returns (History, final weights).

    A `ps` task serves and never returns (the launcher kills it when the workers are done).
    With `state` (a checkpoint's `TrainingState`, read by every worker) training goes on from
    its epoch and step; the chief restores the variables from `restore` (its `Saver` prefix)
    in place of the start values, and the others wait for that (and check they resume at the
    chief's step). The callbacks see a `_Worker` as their model: a
    `tf1_compat.checkpoint.BackupAndRestore` among them saves the variables from the ps.
    """
    stateful = [layer.kind for layer in spec.layers
                if layer.kind in ("Dropout", "BatchNormalization", "LSTM", "SimpleRNN", "GRU",
                                  "Embedding")]
    if stateful:
        raise UserError(f"a TF1 ps/worker cluster takes Dense, convolution, pooling, padding, "
                        f"Flatten, Reshape, Activation and LayerNormalization layers; model "
                        f"{spec.name!r} has {stateful[0]}: train it in the Keras track under "
                        f"strategy=multiworker")
    server = start_server(config)
    kind, index = config["task"]["type"], config["task"]["index"]
    if kind == "ps":
        server.join()
    workers = len(config["cluster"]["worker"])
    g = build_graph(spec, v1.train.ClusterSpec(config["cluster"]), index, workers, synchronous,
                    weights)
    iterations = state.iterations if state else 0
    g.restore.update(prefix=restore, iterations=iterations)
    holder = _Worker(g.graph, g.saver, Means(["loss", *spec.metrics]), iterations)
    # Each worker talks to the ps tasks and to itself only: a worker does not wait for another.
    session_config = v1.ConfigProto(device_filters=["/job:ps", f"/job:worker/task:{index}"])
    if index != 0:
        _wait_for_chief(server.target, g, session_config, wait_timeout)
    with g.graph.as_default(), v1.train.MonitoredTrainingSession(
            master=server.target, is_chief=index == 0,
            scaffold=v1.train.Scaffold(init_fn=g.init_fn, ready_op=g.ready_op),
            config=session_config, hooks=g.hooks,
            save_checkpoint_secs=None, save_summaries_steps=None, log_step_count_steps=None,
            stop_grace_period_secs=1,  # the chief's update thread waits on the next gradients
    ) as session:
        holder.session = session
        chief_at = int(session.run(g.started_at))
        if chief_at != iterations:
            raise UserError(f"worker {index} resumes at step {iterations}, the chief at step "
                            f"{chief_at}: every worker must read the same checkpoint folder "
                            f"(shared storage)")

        def step(x_train, y_train, idx):  # this worker's shard of the global batch `idx`
            mine = np.array_split(idx, workers)[index]
            feed = {g.x: x_train[mine], g.y: y_train[mine]}
            if g.global_batch is not None:
                feed[g.global_batch] = len(idx)
            values, _ = session.run((g.sums, g.train_op), feed)
            holder.iterations += 1
            if len(mine):
                values["loss"] = values["loss"] / np.float32(len(mine))  # the shard's mean
            return values, len(mine)

        def check(xs, ys):
            xs = check_x(xs, spec.input_shape)
            return xs, check_y(ys, xs, spec.output_dim, spec.loss)

        history = fit_loop(holder, step, data.x_train, data.y_train,
                           names=["loss", *spec.metrics], batch_size=spec.batch_size,
                           epochs=spec.epochs, seed=spec.seed, check=check, verbose=verbose,
                           callbacks=callbacks, means=holder.means,
                           initial_epoch=state.epoch if state else 0,
                           initial_step=state.step if state else 0)
        session.run(g.finish)
        deadline = time.monotonic() + wait_timeout
        while session.run(g.done) < workers:  # the other workers' last updates
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker {index}: the other workers did not finish within "
                                   f"{wait_timeout:g} s")
            time.sleep(0.05)
        final = session.run(g.variables)
    return history, final
