"""The machine's limits: the best float32 matmul rate (the strict floor's numerator) and the
shape-aware floor (`matmul_floor`, timed like a variant)."""

from __future__ import annotations

import json
import time

import numpy as np

from tfmodels.bench import workload

__all__ = ["MatmulFloor", "ProductsFloor", "matmul_rate", "measure_matmul_rate", "shape_floor"]


class MatmulFloor:
    """The MLP's shape-aware floor: an epoch of exactly the step's five matmuls at the batch's
    shapes, in one compiled loop. Weights carried from step to step keep them from being
    hoisted out."""

    def __init__(self, x, y, batch):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        xb = tf.constant(x[:batch])
        g = tf.constant(rng.normal(0, 1e-3, (batch, 10)).astype(np.float32))
        w = (tf.constant(rng.normal(0, 0.05, (784, 512)).astype(np.float32)),
             tf.constant(rng.normal(0, 0.05, (512, 10)).astype(np.float32)))
        steps = len(x) // batch

        @tf.function
        def epoch(w1, w2):
            for _ in tf.range(steps):
                h = tf.matmul(xb, w1)
                tf.matmul(h, w2)  # the logits (what the loss would read)
                dw2 = tf.matmul(h, g, transpose_a=True)
                dh = tf.matmul(g, w2, transpose_b=True)
                dw1 = tf.matmul(xb, dh, transpose_a=True)
                w1, w2 = w1 - 1e-9 * dw1, w2 - 1e-9 * dw2
            return w1, w2

        self.run, self.w = epoch, w

    def epoch(self):
        self.run(*self.w)[0].numpy()


class ProductsFloor:
    """A convnet's shape-aware floor: each Conv2D's and Dense layer's products at the batch's
    shapes, as `workload.matmul_flops` counts them - the forward product, the weight gradient
    (`Conv2DBackpropFilter`), and the input gradient (`Conv2DBackpropInput`) except where the
    layer reads the model's input - on fixed random inputs and output gradients, an epoch of
    them in one compiled loop. Each product feeds the weights the next step uses (its sum,
    scaled to nothing, for the forward and input-gradient products: a product nothing reads
    would be pruned), so none is hoisted out or dropped. Batch norm, pooling, activations and
    the optimizer are not products: the tracks' step does them on top."""

    def __init__(self, x, y, batch):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        spec = workload.spec(batch)
        parts = []
        for layer, shape, out, sources in zip(spec.layers, spec.input_shapes(),
                                              spec.layer_shapes(), spec.wiring.sources):
            if layer.kind not in ("Conv2D", "Dense"):
                continue
            kernel = ((*layer.kernel_size, shape[-1], layer.filters) if layer.kind == "Conv2D"
                      else (int(np.prod(shape)), layer.units))
            parts.append((layer, -1 not in sources, *(tf.constant(rng.normal(
                0, scale, size).astype(np.float32)) for scale, size in (
                    (1.0, (batch, *shape)), (1e-3, (batch, *out)), (0.05, kernel)))))
        steps = len(x) // batch

        @tf.function
        def epoch(kernels):
            for _ in tf.range(steps):
                kernels = [_products(layer, inp, grad, k, input_grad) for
                           (layer, input_grad, inp, grad, _), k in zip(parts, kernels)]
            return kernels

        self.run, self.kernels = epoch, [k for *_, k in parts]

    def epoch(self):
        self.run(self.kernels)[0].numpy()


def shape_floor(x, y, batch):
    """The shape-aware floor (`matmul_floor`) of the model this process times."""
    return (MatmulFloor if workload.MODEL == "mlp" else ProductsFloor)(x, y, batch)


def _products(layer, inp, grad, kernel, input_grad: bool):
    """One layer's products at its shapes; the kernel the next step uses."""
    import tensorflow as tf

    if layer.kind == "Dense":
        inp = tf.reshape(inp, (inp.shape[0], -1))
        made = [tf.matmul(inp, kernel), tf.matmul(inp, grad, transpose_a=True)]
        if input_grad:
            made.append(tf.matmul(grad, kernel, transpose_b=True))
    else:
        strides, padding = (1, *layer.strides, 1), layer.padding.upper()
        made = [tf.nn.conv2d(inp, kernel, strides, padding),
                tf.raw_ops.Conv2DBackpropFilter(input=inp, filter_sizes=kernel.shape,
                                                out_backprop=grad, strides=strides,
                                                padding=padding)]
        if input_grad:
            made.append(tf.raw_ops.Conv2DBackpropInput(input_sizes=inp.shape, filter=kernel,
                                                       out_backprop=grad, strides=strides,
                                                       padding=padding))
    touched = sum(tf.reduce_sum(m) for m in made[2:] + made[:1])
    return kernel - 1e-9 * made[1] - 1e-30 * touched


def matmul_rate(n: int = 2048, repeats: int = 10) -> dict:
    """FLOP/s of a large float32 matmul, in TensorFlow and in NumPy."""
    import tensorflow as tf

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    ta = tf.constant(a)
    rates = {}
    for name, matmul in (("tensorflow", lambda: tf.linalg.matmul(ta, ta).numpy()),
                         ("numpy", lambda: a @ a)):
        matmul()  # warm up
        start = time.perf_counter()
        for _ in range(repeats):
            matmul()
        rates[name] = repeats * 2 * n ** 3 / (time.perf_counter() - start)
    return {"matmul_flops": rates}


def measure_matmul_rate() -> float | None:
    """The best matmul rate, measured in a process of its own (TensorFlow stays out of ours)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import json; from tfmodels.bench.floors import "
                           "matmul_rate; print(json.dumps(matmul_rate()))"],
                          capture_output=True, text=True, timeout=600)
    try:
        return max(json.loads(done.stdout.strip().splitlines()[-1])["matmul_flops"].values())
    except (ValueError, IndexError, KeyError):
        return None
