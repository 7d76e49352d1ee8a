"""What `tfmodels bench` times: the variants' names, the two models and what a sample of each
strictly costs, and the data every variant trains on."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["FLOOR", "FLOPS_PER_SAMPLE", "MODELS", "PEERS", "VARIANTS", "bench_data", "shaped",
           "data_source", "flops_per_sample", "matmul_flops", "spec", "spec_of"]

VARIANTS = ("keras_default", "keras_track", "keras_track_xla", "tf1_feed", "tf1_data",
            "tf2_function", "torch", "torch_compile")
# Forward (2 matmuls), the 2 weight gradients, the 2nd layer's input gradient: 2 FLOPs a MAC.
FLOPS_PER_SAMPLE = 2 * (2 * (784 * 512 + 512 * 10) + 512 * 10)
# The models timed: `--model mlp` (the default), `cnn` (the digits convnet) or `resnet` (the
# residual convnet, batch norm and a 1x1 projection shortcut), the convnets on 28x28 MNIST.
MODELS = {"mlp": "mnist_mlp", "cnn": "digits_cnn", "resnet": "digits_resnet"}
MODEL = "mlp"  # the one this process times (set by `timing.run` and `timing.serve`)


def flops_per_sample(model: str) -> int:
    """What one training sample strictly costs (multiply-adds x 2): no step computes the first
    layer's input gradient."""
    if model == "mlp":
        return FLOPS_PER_SAMPLE
    conv = 2 * 28 * 28 * 8 * 3 * 3 * 1  # 3x3 'same' conv, 1 -> 8 channels: forward, weight grad
    dense = 2 * (14 * 14 * 8) * 10  # after 2x2 pooling: forward, weight and input gradients
    if model == "cnn":
        return 2 * conv + 3 * dense
    return matmul_flops(spec_of(model, 1))


def matmul_flops(spec) -> int:
    """Per sample, from the spec's shapes: each convolution's and Dense layer's multiply-adds
    (output pixels x window x input channels x filters; inputs x units) x 2 FLOPs, for the
    forward pass, the weight gradient and the input gradient (none where a layer reads the
    model's input). Batch norm, merges, activations: not matrix products, not counted."""
    total = 0
    for layer, shape, out, sources in zip(spec.layers, spec.input_shapes(), spec.layer_shapes(),
                                          spec.wiring.sources):
        if layer.kind == "Conv2D":
            macs = out[0] * out[1] * layer.kernel_size[0] * layer.kernel_size[1] * shape[-1] \
                * layer.filters
        elif layer.kind == "Dense":
            macs = shape[-1] * layer.units
        else:
            continue
        total += 2 * macs * (2 if -1 in sources else 3)
    return int(total)


FLOOR = "matmul_floor"  # the shape-aware floor, measured like a variant
PEERS = {"torch": "torch", "torch_compile": "torch"}  # variant -> the module it needs


def data_source() -> str:
    """What `bench_data` serves: "mnist" when Keras's cache has it, else "random"."""
    from tfmodels.core.data import mnist_cache_path

    return "mnist" if os.path.exists(mnist_cache_path()) else "random"


def bench_data(samples: int, seed: int = 0):
    """MNIST's training images when Keras's cache has them, else random data of their shape."""
    from tfmodels.core.data import mnist_cache_path, one_hot

    if data_source() == "mnist":
        with np.load(mnist_cache_path(), allow_pickle=False) as f:
            x, y = f["x_train"][:samples], f["y_train"][:samples]
        return (x.reshape(len(x), -1) / 255.0).astype(np.float32), one_hot(y, 10), "mnist"
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 784), dtype=np.float32)
    return x, one_hot(rng.integers(0, 10, samples), 10), "random"


def shaped(x):
    """`bench_data`'s rows as the model this process times takes them: the convnets, images."""
    return x if MODEL == "mlp" else x.reshape(-1, 28, 28, 1)


def spec(batch: int):
    """The registry's spec of the model this process times, on MNIST, at `batch`."""
    return spec_of(MODEL, batch)


def spec_of(model: str, batch: int):
    """The registry's spec of `model` (a key of MODELS), on MNIST, at `batch`."""
    from tfmodels.core.registry import get_spec

    return get_spec(MODELS[model], dataset="mnist", batch_size=batch)
