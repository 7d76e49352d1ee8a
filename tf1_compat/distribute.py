"""The TF1 track on several devices, in the two classic graph-mode patterns.

    with TowerModel(spec, devices=["/cpu:0", "/cpu:1"]) as model:      # towers by hand
        model.fit(x, y, batch_size=128, epochs=5)
    with StrategyModel(spec, devices=["/cpu:0", "/cpu:1"]) as model:   # tf.compat.v1.distribute
        model.fit(x, y, batch_size=128, epochs=5)
    model = build_model(spec, weights, plan, "towers")   # as `tfmodels.core.strategy` planned

A ps/worker cluster (`--strategy multiworker`) is `tf1_compat.cluster`.

Both are `tf1_compat.model.Model`s: the same placeholders, `fit/evaluate/predict`, weights,
`Saver`, callbacks and TensorBoard; only the training step (`_build_step`) is replaced. The
batch fed is the global batch; it is cut into one contiguous shard per replica, the first
`n % k` shards one sample longer (NumPy's `array_split`).

Both compute the gradient of the *global* batch mean, whatever the shard sizes: each replica's
loss is its sum over its shard divided by the global batch size, and the replicas' gradients are
added. With equal shards that is the average of the replicas' mean-loss gradients; with a short
last batch it is still exactly the single-device gradient (up to float rounding of the sums).
"""

from __future__ import annotations

import tensorflow as tf

from tf1_compat import losses
from tf1_compat.model import Model, build_layers
from tfmodels.core.errors import UserError
from tfmodels.core.strategy import Plan, shard, tf1_pattern_for

__all__ = ["TowerModel", "StrategyModel", "UNSUPPORTED", "build_model"]

v1 = tf.compat.v1

# Ops that hold a variable's storage: placed on the parameter device, not on a tower's.
_VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp", "VarIsInitializedOp",
                 "AssignVariableOp", "ReadVariableOp")


def _replica_sums(spec, x, y):
    """Outputs, the loss summed over the shard, and each metric's sum."""
    outputs, logits = build_layers(spec, x, training=True)
    loss_sum = tf.reduce_sum(losses.per_sample_loss(spec.loss, y, outputs, logits))
    metric_sums = {m: losses.metric_sum(m, spec.loss, y, outputs) for m in spec.metrics}
    return outputs, loss_sum, metric_sums


def _on(device: str, param_device: str):
    """A device function: variables on `param_device`, every other op on `device`."""
    def place(op):
        return param_device if op.type in _VARIABLE_OPS else device
    return place


class TowerModel(Model):
    """One tower of the graph per device, sharing one set of variables (C19), one update.

    Tower `i` is built under `tf.device(devices[i])` inside `variable_scope(..., reuse=True)` for
    every tower after the first, so `get_variable` hands all of them the same `dense_0/kernel`,
    ...; the variables themselves live on `param_device` (the first device by default). Each
    tower computes its gradients; they are added (the mean over the global batch, see the
    module's note) on the parameter device and applied once by the spec's optimizer.
    """

    def __init__(self, spec, weights=None, devices=("/cpu:0",), param_device=None):
        if not devices:
            raise ValueError("TowerModel needs at least one device, got none")
        self.devices = list(devices)
        self.param_device = param_device or self.devices[0]
        super().__init__(spec, weights)

    def _build_step(self, optimizer, x, y) -> dict:
        spec, k = self.spec, len(self.devices)
        global_n = tf.cast(tf.shape(x)[0], x.dtype)
        outputs, loss_sums, metric_sums, tower_grads = [], [], [], []
        for i, device in enumerate(self.devices):
            reuse = True if i > 0 else None  # None: inherit (the dataset copy is all reuse)
            with tf.name_scope(f"tower_{i}"), v1.device(_on(device, self.param_device)), \
                    v1.variable_scope(v1.get_variable_scope(), reuse=reuse):
                out, loss_sum, metrics = _replica_sums(spec, shard(x, k, i), shard(y, k, i))
                variables = v1.trainable_variables()
                grads = optimizer.compute_gradients(loss_sum / global_n, var_list=variables)
            outputs.append(out)
            loss_sums.append(loss_sum)
            metric_sums.append(metrics)
            tower_grads.append(grads)
        with tf.name_scope("train"), tf.device(self.param_device):
            summed = [(tf.add_n([g for g, _ in pairs]), pairs[0][1])
                      for pairs in zip(*tower_grads)]
            train_op = optimizer.apply_gradients(summed, global_step=self.global_step)
        with tf.name_scope("loss"), tf.device(self.param_device):
            loss = tf.math.divide_no_nan(tf.add_n(loss_sums), global_n)
        with tf.name_scope("metrics"), tf.device(self.param_device):
            metrics = {m: tf.add_n([s[m] for s in metric_sums]) for m in spec.metrics}
        return {"outputs": tf.concat(outputs, axis=0), "loss": loss, "metric_sums": metrics,
                "train_op": train_op}


class StrategyModel(Model):
    """`tf.compat.v1.distribute.MirroredStrategy` in graph mode, around the same layers.

    The step runs under `strategy.run` (`experimental_run_v2` in TF 1.x) inside
    `strategy.scope()`: `get_variable` then makes mirrored variables, one copy per device. The
    v1 optimizer's `minimize` in each replica *sums* the replicas' gradients (an all-reduce in
    `apply_gradients`) before its single update, which is why each replica's loss is its sum
    divided by the global batch size. `global_step` (made outside the strategy by `Model`) is
    advanced once per step in cross-replica context.
    """

    def __init__(self, spec, weights=None, devices=("/cpu:0",)):
        if not devices:
            raise ValueError("StrategyModel needs at least one device, got none")
        self.devices = list(devices)
        self.strategy = v1.distribute.MirroredStrategy(self.devices)
        super().__init__(spec, weights)

    def _build_step(self, optimizer, x, y) -> dict:
        spec, strategy = self.spec, self.strategy
        k = strategy.num_replicas_in_sync
        global_n = tf.cast(tf.shape(x)[0], x.dtype)

        def replica_step(x, y):
            i = tf.distribute.get_replica_context().replica_id_in_sync_group
            out, loss_sum, metrics = _replica_sums(spec, shard(x, k, i), shard(y, k, i))
            train_op = optimizer.minimize(loss_sum / global_n, var_list=v1.trainable_variables())
            return out, loss_sum, metrics, train_op

        with strategy.scope():
            out, loss_sum, metrics, train_op = strategy.run(replica_step, (x, y))
            sum_ = tf.distribute.ReduceOp.SUM
            loss = tf.math.divide_no_nan(strategy.reduce(sum_, loss_sum, axis=None), global_n)
            metrics = {m: strategy.reduce(sum_, v, axis=None) for m, v in metrics.items()}
            outputs = tf.concat(strategy.experimental_local_results(out), axis=0)
            update = strategy.group(train_op)
        with tf.control_dependencies([update]):
            train_op = self.global_step.assign_add(1, read_value=False)
        return {"outputs": outputs, "loss": loss, "metric_sums": metrics, "train_op": train_op}


# Layers whose state or randomness the towers would each keep apart (batch statistics, dropout
# counters) or that the towers' device functions do not place (recurrent loops), and an
# Embedding, whose sparse gradient the v1 strategy's all-gather cannot join across replicas (its
# slices differ in number): not built per replica here (the ps cluster, tf1_compat.cluster,
# refuses the same).
UNSUPPORTED = ("Dropout", "BatchNormalization", "LSTM", "SimpleRNN", "GRU", "Embedding")


def build_model(spec, weights, plan: Plan, pattern: str | None = None) -> Model:
    """The TF1 model of `spec` on the devices of `plan` (a `tfmodels.core.strategy.Plan`).

    `cpu` is the plain graph; `gpu` and `mirrored` the `pattern` ("towers", the default, or
    "strategy") over the plan's devices. Twin of `tfmodels.keras_track.distribute.build_model`.
    """
    pattern = tf1_pattern_for(plan, pattern)
    if plan.name == "cpu":
        return Model(spec, weights)
    stateful = [layer.kind for layer in spec.layers if layer.kind in UNSUPPORTED]
    if stateful:
        raise UserError(f"strategy={plan.name} in the TF1 track takes Dense, convolution, "
                        f"pooling, padding, Flatten, Reshape, Activation and LayerNormalization "
                        f"layers; model {spec.name!r} has {stateful[0]}: "
                        f"train it with strategy=cpu, or in the Keras track")
    if plan.name in ("gpu", "mirrored"):
        model = TowerModel if pattern == "towers" else StrategyModel
        return model(spec, weights, devices=plan.devices)
    raise UserError(f"strategy={plan.name} is not available to the TF1 track here; it "
                    f"runs on cpu, gpu, mirrored or multiworker (ps/workers)")
