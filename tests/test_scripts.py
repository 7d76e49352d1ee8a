"""Every lesson script runs (with --quick), prints the numbers of its lesson, and writes its logs,
with no deprecation or retracing warning from TensorFlow on the way.

The numbers are checked, not the labels: each one a script prints is compared with an
independent computation in the test (a closed form, or NumPy: `tfmodels.core.reference`, and
`numpy_fit` of tests/helpers.py for the training runs), to the precision it is printed with. A
script that prints its own comparison ("same in TF1 and NumPy", "largest difference") is held to
the verdict and to the difference it prints being under its bound. Lesson 10's check is in
tests/helpers.py: tests/test_lesson_notebooks.py holds the lesson run as a notebook to it too.
"""

import ast
import glob
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tests.helpers import (
    NUMBER,
    ROOT,
    SCRIPTS,
    assert_printed,
    block,
    check_10,
    flag,
    images,
    line,
    match,
    numbers,
    numpy_fit,
    tf_warnings_in,
)
from tfmodels.core import reference as ref
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import LOSS_RTOL, WEIGHT_ATOL, Dense, OptimizerSpec, initial_weights

# Over 20 s each on 2 shared cores (measured 21-35 s; the others 14-16 s, mostly imports).
SLOW = {"05_sine_linear_vs_relu.py", "06_scaling_and_init.py", "07_learning_rate_and_batches.py",
        "08_optimizers.py", "09_overfitting.py", "11_keras_sequential.py", "12_beyond_dense.py",
        "14_why_deep_networks_train.py"}




# --- each lesson's numbers, against an independent computation ---------------------------------


def check_01(out, logdir):
    inputs = np.array([1.0, 2.0, 3.0, 2.5])
    weights = np.array([[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5],
                        [-0.26, -0.27, 0.17, 0.87]])
    biases = np.array([2.0, 3.0, 0.5])
    batch = np.array([[1.0, 2.0, 3.0, 2.5], [2.0, 5.0, -1.0, 2.0], [-1.5, 2.7, 3.3, -0.8]])

    def by_hand(x):  # each neuron: its weights times the inputs, summed, plus its bias
        return np.array([[sum(w * v for w, v in zip(row, sample)) + b
                          for row, b in zip(weights, biases)] for sample in x])

    # a NumPy float64 prints its shortest round-trip repr: the full value
    assert_printed(float(line(out, "one neuron: ")), by_hand([inputs])[0, 0], 15)
    assert_printed(numbers(line(out, "one sample through a layer: ")), by_hand([inputs])[0], 8)
    assert "shapes (3,4) and (3,4) not aligned" in line(out, "np.dot(batch, weights) -> ")
    printed = numbers(block(out, "a batch through the layer", 3)).reshape(3, 3)
    assert_printed(printed, by_hand(batch), 8)  # NumPy prints 8 decimals
    layouts = {"scalar": (), "vectors": (128, 20), "sequences": (128, 50, 20),
               "images": (128, 28, 28, 3), "images_channels_first": (128, 3, 28, 28),
               "video": (4, 16, 64, 64, 3)}
    for name, shape in layouts.items():
        rank, printed_shape = match(out, rf"  {name}\s+rank (\d+)\s+(\(.*\))")
        assert ast.literal_eval(printed_shape) == shape and int(rank) == len(shape)
    printed = numbers(block(out, "labels [0 2 1] -> one-hot", 3)).reshape(3, 3)
    np.testing.assert_array_equal(printed, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def check_02(out, logdir):
    z = np.linspace(-3, 3, 7)
    assert_printed(numbers(line(out, "z: ")), z, 8)
    expected = {  # closed forms, float64
        "step": (z > 0) * 1.0, "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z),
        "relu": np.maximum(z, 0), "leaky_relu": np.where(z > 0, z, 0.2 * z),
        "swish": z / (1 + np.exp(-z)), "softmax": np.exp(z) / np.exp(z).sum()}
    for name, values in expected.items():
        printed, same, difference = match(
            out, rf"{name} +\[(.*)\] same in TF1 and NumPy: (\w+) \(largest difference "
                 rf"({NUMBER})\)")
        assert_printed(numbers(printed), values, 3)  # Keras's values, rounded to 3 places
        assert flag(same) and float(difference) < 1e-12, name  # all float64
    assert abs(float(line(out, "softmax sums to ")) - 1) < 1e-12
    assert_printed(numbers(line(out, "softmax of [1000, 0] (no overflow): ")), [1, 0], 8)
    negative = z < 0
    # Keras's first training draw: stateless uniform from the seed state [seed 0, call 0]
    import tensorflow as tf

    slopes = tf.random.stateless_uniform((7,), seed=[0, 0], minval=1 / 8, maxval=1 / 3,
                                         dtype=tf.float64).numpy()
    for track in ("TF1", "Keras"):  # the same slopes in both tracks
        drawn = numbers(line(out, f"randomized ReLU, training ({track}): "))
        assert_printed(drawn, np.where(negative, slopes * z, z), 3)
        assert np.all(drawn[negative] >= z[negative] / 3 - 5e-4)
        assert np.all(drawn[negative] <= z[negative] / 8 + 5e-4)
    assert_printed(numbers(line(out, "randomized ReLU, inference: ")),
                   np.where(negative, z * (1 / 8 + 1 / 3) / 2, z), 3)  # the mean slope


def check_03(out, logdir):
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    error = np.abs(y - probs)
    assert_printed(numbers(line(out, "L1 sum ")),
                   np.r_[error.sum(axis=1), error.mean(axis=1)], 8)
    assert_printed(numbers(line(out, "L2 sum ")),
                   np.r_[(error**2).sum(axis=1), (error**2).mean(axis=1)], 8)
    # -log of the true class's probability: log(sum(exp(z))) - z[label]
    ce = np.log(np.exp(logits).sum(axis=1)) - logits[[0, 1], [0, 1]]
    assert_printed(numbers(line(out, "categorical CE on probabilities ")), np.r_[ce, ce], 8)
    assert flag(line(out, "-sum(y log p) by hand agrees: "))
    assert_printed(numbers(line(out, "sparse CE with integer labels [0, 1]: ")), ce, 8)
    assert_printed(numbers(line(out, "TF1 softmax_cross_entropy_with_logits: ")),
                   np.r_[ce, ce], 8)
    capped, cap = match(out, rf"a certain mistake costs \[({NUMBER})\] = -log\(1e-7\) = "
                             rf"({NUMBER})")
    assert_printed(float(capped), -np.log(1e-7), 8)
    assert_printed(float(cap), -np.log(1e-7), 14)


def check_04(out, logdir):
    rng = np.random.default_rng(0)  # the script's draws, in its order
    x, labels = rng.normal(size=(8, 2)), rng.integers(0, 3, 8)
    w1, b1, w2, b2 = (rng.normal(0, 0.5, s) for s in [(2, 4), (4,), (4, 3), (3,)])
    z = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    loss = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(8), labels])
    by_numpy, by_tape = match(out, rf"loss: NumPy ({NUMBER})  tape ({NUMBER})")
    assert_printed([float(by_numpy), float(by_tape)], [loss, loss], 12)
    for name in ("W1", "b1", "W2", "b2"):
        differences = match(out, rf"d loss / d {name}: largest difference NumPy-tape "
                                 rf"({NUMBER}), NumPy-TF1 ({NUMBER})")
        assert max(map(float, differences)) < 1e-12, name  # float64: the last digits at most
    assert flag(line(out, "the three gradients agree to 1e-12: "))


def check_05(out, logdir):
    grid = np.linspace(0, 1.25, 6)
    assert_printed(numbers(line(out, "x ")), grid, 8)
    hinge = np.maximum(grid - 0.5, 0)
    assert_printed(numbers(line(out, "relu(x - 0.5) ")), hinge, 3)
    assert_printed(numbers(line(out, "relu(1 - 2 h) ")), np.maximum(1 - 2 * hinge, 0), 3)
    data = load_dataset("sine", 0)
    shuffled = np.random.default_rng(0).permutation(len(data.x_train))  # once, then in order
    curves = {}
    for activation in ("linear", "relu"):  # Adam 0.005, batches of 32, mse: the sine spec's
        spec = get_spec("sine", epochs=6, seed=0).replace(
            layers=(Dense(64, activation), Dense(64, activation), Dense(1)))
        history, _ = numpy_fit(spec, data.x_train[shuffled], data.y_train[shuffled],
                               dtype=np.float64, shuffle=False)
        first, last = match(out, rf"{activation} *: loss after epoch 1 ({NUMBER}), after "
                                 rf"epoch 6 ({NUMBER})")
        curves[activation] = float(first), float(last)
        assert_printed(curves[activation], [history["loss"][0], history["loss"][-1]], 4, 1e-6)
    linear_high, relu_falls = match(out, r"the linear model's error stays high: (\w+) \| "
                                         r"ReLU's falls: (\w+)")
    assert flag(linear_high) and flag(relu_falls)
    # the best straight line through the data (least squares, closed form): a linear model
    # ends near it, ReLU's well below it
    line_x = np.c_[data.x_train, np.ones(len(data.x_train))]
    coef, *_ = np.linalg.lstsq(line_x, data.y_train, rcond=None)
    best_line = np.mean((line_x @ coef - data.y_train) ** 2)  # 0.196
    assert best_line * 0.97 < curves["linear"][1] < best_line * 1.1
    assert curves["relu"][1] < best_line / 3 and curves["relu"][1] < curves["relu"][0] / 3
    np.testing.assert_array_equal(numbers(line(out, "image: ")), [10 * 80, 4 * 80])  # figsize*dpi

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (run_dir,) = glob.glob(os.path.join(logdir, "05_sine_linear_vs_relu", "*"))
    acc = EventAccumulator(run_dir, size_guidance={"tensors": 0})
    acc.Reload()
    assert {"sine_fits", "loss/linear", "loss/relu"} <= set(acc.Tags()["tensors"])


def check_06(out, logdir):
    spec = get_spec("mnist_mlp", epochs=3, seed=0, batch_size=32).replace(
        optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
    data = load_dataset("digits")
    shuffled = np.random.default_rng(0).permutation(len(data.x_train))  # once, then in order
    x, y = data.x_train[shuffled], data.y_train[shuffled]
    final = {}
    for name, pixels in (("scaled 0..1", x), ("raw 0..255", x * 255)):
        final[name] = float(line(out, f"digits, SGD 0.05, 3 epochs, inputs {name}: final loss "))
        history, _ = numpy_fit(spec, pixels, y, dtype=np.float64, shuffle=False)
        assert_printed(final[name], history["loss"][-1], 4, 1e-5)
    assert final["raw 0..255"] > 2 * final["scaled 0..1"]
    spec = get_spec("spiral", epochs=2, seed=0).replace(
        layers=(Dense(8, "sigmoid"), Dense(3, "softmax")),
        optimizer=OptimizerSpec("sgd", {"learning_rate": 0.5}))
    data = load_dataset("spiral", 0)
    shuffled = np.random.default_rng(0).permutation(len(data.x_train))
    zeros = [np.zeros_like(w) for w in initial_weights(spec)]
    _, weights = numpy_fit(spec, data.x_train[shuffled], data.y_train[shuffled], zeros,
                           dtype=np.float64, shuffle=False)
    assert np.ptp(weights[0], axis=1).max() == 0  # in NumPy, exactly equal columns
    assert np.abs(weights[0]).min() > 1e-4  # and trained away from zero
    for track in ("keras", "tf1"):
        identical, spread, first_row = match(
            out, rf"{track}: all-zero start, 8 hidden units after training: columns identical "
                 rf"= (\w+) \(largest relative spread ({NUMBER})\); first input's weights "
                 rf"\[(.*)\]")
        assert flag(identical) and float(spread) < 1e-6  # float32: an ulp or so (1.2e-7)
        assert_printed(numbers(first_row), weights[0][0], 6, 1e-6)


def shuffled_once(data):
    """The training set in the order the lessons shuffle it once (seed 0)."""
    order = np.random.default_rng(0).permutation(len(data.x_train))
    return data.x_train[order], data.y_train[order]


def check_07(out, logdir):
    data = load_dataset("digits")
    curves = {}
    for rate in (1e-4, 0.1, 5.0):
        spec = get_spec("mnist_mlp", epochs=3, seed=0, batch_size=32).replace(
            optimizer=OptimizerSpec("sgd", {"learning_rate": rate}))
        history, _ = numpy_fit(spec, *shuffled_once(data), dtype=np.float64, shuffle=False)
        printed = numbers(line(out, f"lr={rate:g}").split("loss per epoch: ")[1])
        # at 5 the run diverges and amplifies float32 rounding: 1.1e-5 measured
        assert_printed(printed, history["loss"], 3, 1e-4)
        curves[rate] = printed
    low, good, high = curves[1e-4], curves[0.1], curves[5.0]
    assert low[0] - low[-1] < 0.05 * low[0]  # too low: under 5 % in 3 epochs
    assert good[-1] < 0.5 * good[0]
    assert not high[-1] < 2 * good[-1]  # too high: far worse than the good rate (or NaN)
    data = load_dataset("spiral", 0)
    for size in (1, 32, 300):
        spec = get_spec("spiral", epochs=1, seed=0, batch_size=size).replace(
            optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}))
        history, _ = numpy_fit(spec, *shuffled_once(data), dtype=np.float64, shuffle=False)
        updates, loss = match(out, rf"batch={size} +(\d+) updates, final loss ({NUMBER})")
        assert int(updates) == math.ceil(len(data.x_train) / size)  # one epoch
        assert_printed(float(loss), history["loss"][-1], 4, 1e-5)
    expected, keras_count, tf1_count = match(
        out, r"50 samples, batch 16, 3 epochs: ceil\(50/16\) x 3 = (\d+); Keras made (\d+) "
             r"updates, TF1 (\d+)")
    assert int(expected) == int(keras_count) == int(tf1_count) == math.ceil(50 / 16) * 3


def check_08(out, logdir):
    from tfmodels.optimizer_parity import LAYERS, PAIRINGS, problem, rounded

    # one step from w = 1 with a gradient of 1, the closed forms (TF1's RMSProp starts its mean
    # square at 1, Keras's at 0)
    one_step = {"gradient descent": (0.9, 0.9), "momentum": (0.9, 0.9),
                "Nesterov": (1 - 0.1 * (1 + 0.9), 1 - 0.1 * (1 + 0.9)),  # g + momentum * g
                "Adagrad": (1 - 0.1 / np.sqrt(1.1),) * 2,  # sums from 0.1, plus g^2
                "RMSProp": (1 - 0.1 / np.sqrt(0.1), 1 - 0.1 / np.sqrt(0.9 + 0.1)),
                "Adam": (0.9, 0.9)}  # the first step is the learning rate, either form
    for name, expected in one_step.items():
        printed = match(out, rf"{name} +one step from w = 1: Keras ({NUMBER}), TF1 ({NUMBER})")
        # float32 steps: Adam's 1 - 0.999 is rounded (measured 1e-6 off)
        assert_printed([float(v) for v in printed], expected, 6, 2e-6)
    activations = [layer.activation for layer in LAYERS]
    quick = PAIRINGS[:3] + PAIRINGS[-3:]
    for pairing in quick:
        for dtype in (np.float32, np.float64):
            loss_keras, loss_rel, weight_diff = map(float, match(
                out, rf"{re.escape(pairing.label)} +{np.dtype(dtype).name} +({NUMBER}) +"
                     rf"({NUMBER}) +({NUMBER})"))
            # the Keras run's loss, from the NumPy reference's own 50 steps
            spec = rounded(pairing.spec) if dtype == np.float64 else pairing.spec
            optimizer = ref.make_optimizer(spec)
            if pairing.keras == "tf1_like":  # mean squares from ones, as TF1 starts them
                optimizer = ref.RMSprop(**spec.params, initial_ms=1.0)
            weights, x, y, batches = problem(0, 50, dtype)
            for idx in batches:
                _, grads = ref.mlp_loss_and_grads(weights, activations, x[idx], y[idx])
                weights = optimizer.apply(weights, grads)
            loss, _ = ref.mlp_loss_and_grads([w.astype(np.float64) for w in weights],
                                             activations, x.astype(np.float64),
                                             y.astype(np.float64))
            slack = 1e-6 if dtype == np.float32 else 1e-10  # 50 float32 steps apart
            assert_printed(loss_keras, loss, 8, slack)
            row = (pairing.label, np.dtype(dtype).name, loss_rel, weight_diff)
            if pairing.label.startswith("unmapped"):  # what the mapping fixes: far apart
                assert loss_rel > 0.1 and weight_diff > 1e-2, row
            elif pairing.label.startswith("stock TF1 Adam"):  # close, but other maths:
                assert 1e-12 < weight_diff < 1e-5 and loss_rel < 1e-5, row  # even in float64
            else:  # mapped: a few float32 ulp, float64 rounding
                bound = 1e-6 if dtype == np.float32 else 1e-12
                assert loss_rel <= bound and weight_diff <= bound, row


def check_09(out, logdir):
    spec = get_spec("mnist_mlp", epochs=30, seed=0, batch_size=40).replace(
        optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}))
    data = load_dataset("digits")
    history, _ = numpy_fit(spec, data.x_train[:40], data.y_train[:40],
                           validation=(data.x_val, data.y_val), dtype=np.float64)
    train, val = np.array(history["loss"]), np.array(history["val_loss"])
    best = int(val.argmin())
    epoch, lowest, end = match(out, rf"validation loss lowest at epoch (\d+): ({NUMBER}); at "
                                    rf"the end ({NUMBER})")
    assert int(epoch) == best + 1
    assert_printed([float(lowest), float(end)], [val[best], val[-1]], 3, 1e-5)
    then, last = match(out, rf"training loss then ({NUMBER}); at the end ({NUMBER})")
    assert_printed(float(then), train[best], 4, 1e-5)
    assert_printed(float(last), train[-1], 5, 1e-6)
    assert flag(line(out, "diverging: "))
    assert val[-1] > 1.2 * val[best] and train[-1] < train[best]


def check_11(out, logdir):
    same, listed, added = match(out, r"same layers either way: (\w+) units (\[.*\]) (\[.*\])")
    assert flag(same) and ast.literal_eval(listed) == ast.literal_eval(added) == [5, 3, 1]
    keys, epochs = match(out, r"History keys: (\[.*\]) epochs: (\[.*\])")
    assert ast.literal_eval(keys) == ["accuracy", "loss"]
    assert ast.literal_eval(epochs) == [0, 1, 2]  # --quick: 3 epochs
    loss, accuracy = map(float, match(out, rf"evaluate: loss ({NUMBER}), accuracy ({NUMBER})"))
    numpy_loss, numpy_accuracy, loss_diff, prob_diff = map(float, match(
        out, rf"NumPy on the same weights: loss ({NUMBER}), accuracy ({NUMBER}); largest "
             rf"difference: loss ({NUMBER}), probabilities ({NUMBER})"))
    assert_printed(loss, numpy_loss, 4, 1e-6)
    assert accuracy == numpy_accuracy and 0 <= accuracy <= 1
    assert loss_diff < 1e-6 and prob_diff < 1e-6  # float32 against float64
    probabilities = numbers(line(out, "predict: probabilities "))
    assert probabilities.shape == (3,) and np.all((probabilities > 0) & (probabilities < 1))
    assert line(out, "binary4   ").endswith(": parity OK")
    keras_loss, tf1_loss, weight_diff = map(float, match(
        out, rf" +final loss keras ({NUMBER}), tf1 ({NUMBER}); largest weight difference "
             rf"({NUMBER})"))
    spec = get_spec("binary4", epochs=2)
    data = load_dataset(spec.dataset, spec.seed)
    history, _ = numpy_fit(spec, data.x_train, data.y_train, dtype=np.float64)
    assert_printed([keras_loss, tf1_loss], [history["loss"][-1]] * 2, 6, 1e-6)
    assert abs(keras_loss - tf1_loss) <= LOSS_RTOL * keras_loss and weight_diff <= WEIGHT_ATOL
    # one replica computes exactly what no strategy computes
    assert float(line(out, "under OneDeviceStrategy: largest weight difference ")) == 0.0


def check_12(out, logdir):
    # Conv2D(8, 3x3) over 1 channel: 3*3*1*8 + 8; Dense(10) on 4x4x8 pooled: 128*10 + 10
    assert int(line(out, "convnet: ").split()[0]) == 3 * 3 * 1 * 8 + 8 + 4 * 4 * 8 * 10 + 10
    keras_loss, tf1_loss, weight_diff = map(float, match(
        out, rf"convnet, dropout on: final loss keras ({NUMBER}) tf1 ({NUMBER}); largest weight "
             rf"difference ({NUMBER})"))
    # Dropout masks drawn alike: a mask apart would move the weights by ~1e-2. Not 0: with oneDNN
    # on, TensorFlow rewrites the two graphs' convolution gradients into different kernels on
    # some CPUs (4.5e-8 measured on an AVX-512 EPYC; 0 with TF_ENABLE_ONEDNN_OPTS=0, which
    # test_parity.py checks), a rounding of float32's 6e-8 relative a step, no more.
    assert keras_loss == tf1_loss and weight_diff < 1e-6
    assert 0.5 < keras_loss < np.log(10) + 0.1  # it trained a little from log(10)
    # batch norm: forgotten UPDATE_OPS leave the moving mean at 0; run, it is NumPy's
    assert numbers(line(out, "UPDATE_OPS forgotten: moving_mean after 20 steps ")).tolist() \
        == [0.0] * 4
    run = numbers(line(out, "UPDATE_OPS run: moving_mean after 20 steps "))
    rng = np.random.default_rng(0)  # the script's batches, its moving averages by hand
    batches = [rng.normal(3.0, 2.0, (32, 4)).astype(np.float32) for _ in range(20)]
    mean = np.zeros(4)
    for batch in batches:
        mean = mean * 0.99 + batch.astype(np.float64).mean(axis=0) * 0.01
    assert_printed(run, mean, 4, 1e-6)
    printed_numpy, apart = match(out, rf"NumPy's moving_mean after the same 20 steps (\[.*\]); "
                                      rf"largest difference from TF1's ({NUMBER})")
    assert_printed(numbers(printed_numpy), mean, 4)
    assert float(apart) < 1e-6  # TF1's float32 moving mean against NumPy's float64
    shapes, keras_tf1, keras_numpy = match(
        out, rf"TF1 kernel (.*); last h: Keras - TF1 ({NUMBER}), Keras - NumPy ({NUMBER})")
    assert shapes == "(9, 24) -> Keras kernel (3, 24), recurrent (6, 24)"
    assert float(keras_tf1) < 1e-6 and float(keras_numpy) < 1e-6  # float32, 8 steps
    for name in ("spiral_leaky", "spiral_rrelu", "spiral_swish", "sine", "sine_l1"):
        keras_loss, tf1_loss, apart = map(float, match(
            out, rf"{name} +\S+ +\S+ +final loss ({NUMBER}) \(tf1 ({NUMBER})\), weights apart "
                 rf"({NUMBER})"))
        assert keras_loss == tf1_loss and apart == 0.0, name
    run_dir = next(d for d, _, _ in os.walk(os.path.join(logdir, "12_beyond_dense"))
                   if os.path.isdir(os.path.join(d, "keras")))
    assert "conv_filters" in images(os.path.join(run_dir, "keras", "train"))
    assert "conv_feature_maps" in images(os.path.join(run_dir, "keras", "validation"))


def check_13(out, logdir):
    """The migration: the TF1 program trained and saved; its code in a TF1StyleLayer equal to
    the graph to the bit; the converted .keras file holding the checkpoint's values exactly and
    predicting what TF1 predicted; the native port proven; the epsilon slip caught."""
    import keras
    import tensorflow as tf

    import tfmodels.migration.keras_layers  # noqa: F401 - FusedBatchNormalization, for load_model

    first, last, steps, accuracy = match(
        out, rf"TF1 program: loss ({NUMBER}) -> ({NUMBER}) in (\d+) steps; validation accuracy "
             rf"({NUMBER})")
    assert int(steps) == 30 and float(last) < float(first) / 2  # it learned
    prefix = line(out, "Checkpoint: ")
    reader = tf.train.load_checkpoint(prefix)
    saved = {n for n in reader.get_variable_to_shape_map() if "Adam" not in n
             and n not in ("global_step", "beta1_power", "beta2_power")}
    assert set(line(out, "TF1 variables: ").split(", ")) == saved and len(saved) == 10

    verdicts = {label: verdict for label, verdict in
                re.findall(r"^(TF1StyleLayer|native Keras|epsilon 1e-5|Keras's own batch norm): "
                           r"(.*)$", out, re.M)}
    assert verdicts["TF1StyleLayer"] == verdicts["native Keras"] == "equivalent"
    assert verdicts["epsilon 1e-5"].startswith("NOT equivalent: outputs, no randomness: outputs "
                                               "differ")
    assert re.match(r"NOT equivalent: 3 training steps .*: step \d: variable sequential/"
                    r"batch_normalization/moving_variance .*FusedBatchNormalization$",
                    verdicts["Keras's own batch norm"])
    wrapped = [float(d) for d in re.findall(
        rf"^  TF1StyleLayer: ok +.*\(max \|difference\| ({NUMBER})\)$", out, re.M)]
    assert wrapped == [0.0] * 4  # the same ops on the same values
    native = [float(d) for d in re.findall(
        rf"^  native Keras: ok +.*\(max \|difference\| ({NUMBER})\)$", out, re.M)]
    assert len(native) == 4 and max(native) < 1e-5  # the guide's atol

    path, apart, keras_accuracy, tf1_accuracy = match(
        out, rf"Converted: (.*\.keras); predictions apart from TF1's by ({NUMBER}); validation "
             rf"accuracy Keras ({NUMBER}), TF1 ({NUMBER})")
    assert float(apart) < 2e-6 and keras_accuracy == tf1_accuracy == accuracy
    model = keras.saving.load_model(path)
    for layer, weight in (("conv2d", "kernel"), ("batch_normalization", "moving_variance"),
                          ("dense_1", "bias")):
        np.testing.assert_array_equal(getattr(model.get_layer(layer), weight).numpy(),
                                      reader.get_tensor(f"{layer}/{weight}"))
    data = load_dataset("digits")  # the accuracy, recomputed from the file on its own
    predicted = np.argmax(model.predict(data.x_val.reshape(-1, 8, 8, 1), verbose=0), 1)
    assert_printed(float(keras_accuracy), np.mean(predicted == np.argmax(data.y_val, 1)), 4)


def check_14(out, logdir):
    """Why deep networks train: the gradient norms at initialisation (the plain stack's
    recomputed here in NumPy from the spec's seeded start; the three witnesses' agreement
    recomputed from what they print), the loss curves' verdict, and the separable convnet's
    parameters and multiply-adds by formula."""
    from tests.helpers import accumulate, tags_of

    labels, depth = ("plain", "residual", "batchnorm"), 16
    table = block(out, "layer ", depth + 1).splitlines()
    assert [row.split()[0] for row in table] == [f"dense_{i}" for i in range(depth)] + ["output"]
    norms = {label: numbers(" ".join(row.split()[k + 1] for row in table))
             for k, label in enumerate(labels)}
    # the plain stack in NumPy, from the same seeded Glorot start, on the same 256 digits
    spec = get_spec("mnist_mlp", seed=0).replace(
        layers=(Dense(32, "sigmoid"),) * depth + (Dense(10, "softmax"),))
    data = load_dataset("digits")
    _, grads = ref.mlp_loss_and_grads([w.astype(np.float64) for w in initial_weights(spec)],
                                      ["sigmoid"] * depth + ["softmax"],
                                      data.x_train[:256].astype(np.float64), data.y_train[:256])
    expected = np.array([np.linalg.norm(g) for g in grads[::2]])
    np.testing.assert_allclose(norms["plain"], expected, rtol=6e-4)  # printed to 4 figures
    # every track agrees with the others: float32 (Keras, TF1) against float64 NumPy
    for label in labels:
        tracks = {t: numbers(line(out, f"{label}: {t} norms ")) for t in ("tf1", "numpy")}
        for track, values in tracks.items():
            assert len(values) == depth + 1
            np.testing.assert_allclose(norms[label], values, rtol=6e-4)  # Keras's 4 figures
            apart = float(line(out, f"{label}: Keras - {track} largest relative difference "))
            assert apart < 1e-5, (label, track, apart)  # the lesson's stated tolerance
        np.testing.assert_allclose(tracks["tf1"], tracks["numpy"], rtol=1e-5)
    # vanishing: each plain layer gets less than the one above it, the first ~1e-10 of the
    # residual one's; batch norm and the shortcut keep every layer's gradient within 100x
    assert np.all(np.diff(norms["plain"]) > 0)
    assert norms["residual"][0] / norms["plain"][0] > 1e6
    assert norms["batchnorm"][0] / norms["plain"][0] > 1e6
    for label in ("residual", "batchnorm"):
        assert norms[label].max() / norms[label].min() < 100, label
    ratio = match(out, rf"first layer: residual / plain = ({NUMBER}), batchnorm / plain = "
                       rf"({NUMBER})")
    np.testing.assert_allclose(float(ratio[0]), norms["residual"][0] / norms["plain"][0],
                               rtol=0.03)  # printed to 2 figures
    np.testing.assert_allclose(float(ratio[1]), norms["batchnorm"][0] / norms["plain"][0],
                               rtol=0.03)
    finals = {}
    for label in labels:
        losses, accuracy = match(out, rf"{label}: loss ((?:{NUMBER} ?)+); val accuracy "
                                      rf"({NUMBER})")
        finals[label] = numbers(losses)[-1]
        assert 0.0 <= float(accuracy) <= 1.0
    assert abs(finals["plain"] - np.log(10)) < 0.02  # the plain stack learns nothing
    assert finals["batchnorm"] < finals["residual"] < finals["plain"] - 0.3
    # separable vs standard: parameters and multiply-adds by formula (3x3, same padding, 8x8)
    def conv(c, f, separable):
        weights = (9 * c + c * f if separable else 9 * c * f)
        return weights + f, 64 * weights  # (parameters, multiply-adds)

    for label, separable in (("standard", False), ("separable", True)):
        layers = [conv(1, 16, separable), conv(16, 32, separable), conv(32, 32, separable),
                  (32 * 10 + 10, 32 * 10)]
        params, madds, accuracy = line(out, f"{label:10s} ").split()
        assert int(params) == sum(p for p, _ in layers) and int(madds) == sum(m for _, m in layers)
        assert 0.1 < float(accuracy) <= 1.0  # above chance after a few epochs
    ratio_p, ratio_m = match(out, rf"separable / standard: parameters ({NUMBER}), "
                                  rf"multiply-adds ({NUMBER})")
    assert float(ratio_p) < 0.2 and float(ratio_m) < 0.2
    run = next(d for d, _, _ in os.walk(os.path.join(logdir, "14_why_deep_networks_train"))
               if os.path.basename(d) == "plain")
    assert {f"gradients/dense_{i}" for i in range(depth)} <= tags_of(accumulate(run),
                                                                      "histograms")


CHECKS = {"01_neuron_and_batches.py": check_01, "02_activations.py": check_02,
          "03_losses.py": check_03, "04_backprop.py": check_04,
          "05_sine_linear_vs_relu.py": check_05, "06_scaling_and_init.py": check_06,
          "07_learning_rate_and_batches.py": check_07, "08_optimizers.py": check_08,
          "09_overfitting.py": check_09, "10_tf1_session_basics.py": check_10,
          "11_keras_sequential.py": check_11, "12_beyond_dense.py": check_12,
          "13_migrating_tf1.py": check_13, "14_why_deep_networks_train.py": check_14}


# --- running the scripts -----------------------------------------------------------------------


def _run(script, logdir):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", script), "--quick",
                           "--logdir", logdir], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The selected scripts started at once, two at a time (the machine has two cores); each
    test waits for its own."""
    logdir = str(tmp_path_factory.mktemp("lesson_logs"))
    selected = [item.callspec.params["script"] for item in request.session.items
                if item.module is sys.modules[__name__] and hasattr(item, "callspec")
                and "script" in item.callspec.params]
    pool = ThreadPoolExecutor(2)
    futures = {script: pool.submit(_run, script, logdir) for script in dict.fromkeys(selected)}
    yield logdir, futures
    pool.shutdown(wait=True, cancel_futures=True)


def test_every_script_has_its_checks():
    assert SCRIPTS == sorted(CHECKS)


@pytest.mark.parametrize("script", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s
                                    for s in sorted(CHECKS)])
def test_script_runs_and_shows_its_lesson(script, runs):
    logdir, futures = runs
    result = futures[script].result(timeout=600)  # its own 300 s, and one ahead of it
    assert result.returncode == 0, result.stderr[-2000:]
    # issue 28: nothing the lesson's code calls is deprecated, no function retraced
    assert tf_warnings_in(result.stderr) == []
    print(result.stdout)  # shown with a failure
    CHECKS[script](result.stdout, logdir)
    lesson = script[:-3]
    events = glob.glob(os.path.join(logdir, f"{lesson}*", "**", "events.out.tfevents.*"),
                       recursive=True)
    assert events, f"no TensorBoard events under {logdir}/{lesson}"
