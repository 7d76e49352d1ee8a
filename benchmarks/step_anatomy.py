"""Where the MNIST MLP's training step spends its time beyond the matmuls, in wall-clock time.

    python benchmarks/step_anatomy.py [--batch-sizes 128,32] [--rounds 3]

Times, each in a process of its own, warmed up, then an epoch of 60,000 random samples of each
in turn per round (the median of `--rounds`), the same step built up from the shape-aware floor:

  floor      the step's matmuls at the batch's shapes (`tfmodels bench`'s `matmul_floor`)
  step       the whole training arithmetic, an epoch in one compiled loop: the batch gathered
             from the rows held in a variable, Dense-relu-Dense, softmax cross-entropy on the
             logits, its gradients, TensorFlow's fused RMSprop kernel (what both tracks run)
  +outputs   the same, also computing what a Keras/TF1 step reports: the softmax outputs and
             the accuracy from them
  step_xla   `step` compiled with XLA (fuses the element-wise work; rounds differently)
  update     RMSprop's update alone (the same fused kernel on the four weights, gradients read
             from variables): memory traffic, seven arrays of the weights' size a step (the
             weight, its two slots read and written, the gradient read), the same at any batch

Under the table, the ceiling: the fraction of the floor a step that runs its matmuls and then
its update as separate kernels (both tracks' steps, PyTorch's) can reach at best,
floor time / (floor time + update time). Only a compiler that fuses the update into the
weight-gradient matmul (XLA) saves a part of the update's traffic.

The tracks' own figures (`tfmodels bench`) sit above `+outputs` by what their machinery costs
(Keras's `fit` and its metrics, the TF1 track's `Session.run` per step); `step` above `floor`
by the arithmetic that is not matmuls. Run it on a quiet machine: nothing else running.
"""

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

PARTS = ("floor", "step", "+outputs", "step_xla", "update")
SAMPLES = 60_000


def build(part: str, batch: int):
    """A function that trains one epoch of `part` at `batch`."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, SAMPLES)]
    if part == "floor":
        from tfmodels.bench.floors import MatmulFloor

        return MatmulFloor(x, y, batch).epoch
    rows_x, rows_y = tf.Variable(x), tf.Variable(y)
    weights = [tf.Variable(rng.normal(0, 0.05, (784, 512)).astype(np.float32)),
               tf.Variable(np.zeros(512, np.float32)),
               tf.Variable(rng.normal(0, 0.05, (512, 10)).astype(np.float32)),
               tf.Variable(np.zeros(10, np.float32))]
    slots = [(tf.Variable(tf.zeros_like(w)), tf.Variable(tf.zeros_like(w))) for w in weights]
    steps = SAMPLES // batch
    order = tf.constant(rng.permutation(steps * batch).astype(np.int32).reshape(steps, batch))

    if part == "update":
        return _update_only(weights, slots, steps)

    def one_step(i):
        xb, yb = tf.gather(rows_x.value(), order[i]), tf.gather(rows_y.value(), order[i])
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.matmul(xb, weights[0]) + weights[1])
            logits = tf.matmul(h, weights[2]) + weights[3]
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(yb, logits))
        _rmsprop(weights, slots, tape.gradient(loss, weights))
        if part != "+outputs":
            return loss, 0.0
        hits = tf.equal(tf.argmax(tf.nn.softmax(logits), 1), tf.argmax(yb, 1))
        return loss, tf.reduce_mean(tf.cast(hits, tf.float32))

    @tf.function(jit_compile=part == "step_xla")
    def epoch():
        loss, accuracy = 0.0, 0.0
        for i in tf.range(steps):
            loss, accuracy = one_step(i)
        return loss + accuracy

    return lambda: epoch().numpy()


def _rmsprop(weights, slots, gradients) -> None:
    import tensorflow as tf

    for w, (ms, mom), g in zip(weights, slots, gradients):
        tf.raw_ops.ResourceApplyRMSProp(var=w.handle, ms=ms.handle, mom=mom.handle, lr=1e-3,
                                        rho=0.9, momentum=0.0, epsilon=1e-7, grad=g)


def _update_only(weights, slots, steps: int):
    """An epoch of RMSprop updates alone, the gradients read from variables each step."""
    import tensorflow as tf

    held = [tf.Variable(tf.fill(w.shape, 1e-3)) for w in weights]

    @tf.function
    def epoch():
        for _ in tf.range(steps):
            _rmsprop(weights, slots, [g.value() for g in held])
        return weights[1][0]

    return lambda: epoch().numpy()


def serve(part: str, batch: int) -> None:
    """One part's process: build and warm up, say so, then time an epoch per line on stdin."""
    epoch = build(part, batch)
    epoch()
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        epoch()
        print(time.perf_counter() - start, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", default="128,32")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        return serve(args.serve[0], int(args.serve[1]))
    print("| batch | part | samples/s | fraction of floor | epochs (s) |\n|---|---|---:|---:|---|")
    ceilings = []
    for batch in map(int, args.batch_sizes.split(",")):
        procs = {part: subprocess.Popen([sys.executable, __file__, "--serve", part, str(batch)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
                 for part in PARTS}
        times = {part: [] for part in PARTS}
        for proc in procs.values():  # all warm before the first timed epoch
            assert proc.stdout.readline().strip() == "ready", "a part's process failed"
        for _ in range(args.rounds):  # an epoch of each part per round, in turns
            for part, proc in procs.items():
                proc.stdin.write("epoch\n")
                proc.stdin.flush()
                times[part].append(float(proc.stdout.readline()))
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
        rates = {part: (SAMPLES // batch) * batch / statistics.median(t)
                 for part, t in times.items()}
        for part in PARTS:
            print(f"| {batch} | {part} | {rates[part]:,.0f} | {rates[part] / rates['floor']:.2f} "
                  f"| {', '.join(f'{t:.2f}' for t in times[part])} |", flush=True)
        ceilings.append(f"batch {batch}: {ceiling(rates['floor'], rates['update']):.2f}")
    print(f"\nCeiling of a step whose update is a kernel of its own (fraction of the floor): "
          f"{'; '.join(ceilings)}")


def ceiling(floor_rate: float, update_rate: float) -> float:
    """The fraction of the floor reachable by a step that runs the floor's matmuls and then the
    update: floor time / (floor time + update time) per sample."""
    return (1 / floor_rate) / (1 / floor_rate + 1 / update_rate)


if __name__ == "__main__":
    main()
