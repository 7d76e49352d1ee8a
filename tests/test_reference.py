"""The NumPy witness checked on its own: its derivatives against finite differences, its
backpropagation against TensorFlow's automatic differentiation (C13), its optimizers against
the update rules written out by hand."""

import numpy as np
import pytest

from tfmodels.core import reference as ref

# Central differences in float64 with h = 1e-6: truncation error ~h^2 = 1e-12 and rounding
# ~eps / h = 2e-10 relative to the function's size, so 1e-6 relative (atol 1e-8) is safe.
FD = dict(rtol=1e-6, atol=1e-8)


@pytest.fixture
def rng():
    return np.random.default_rng(20261202)  # fixed: a failure reproduces


def numeric_grad(f, z, h=1e-6):
    """d sum(f(z)) / dz, one coordinate at a time."""
    grad = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[i] = h
        grad[i] = (np.sum(f(z + step)) - np.sum(f(z - step))) / (2 * h)
    return grad


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu", "swish", "softmax"])
def test_activation_gradients_match_finite_differences(name, rng):
    z = rng.normal(0, 2, (3, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from ReLU's kink, where no derivative exists
    dout = rng.normal(size=z.shape)
    grad = getattr(ref, f"{name}_grad")(z, dout)
    grad = grad[0] if name == "swish" else grad
    np.testing.assert_allclose(grad, numeric_grad(lambda v: dout * getattr(ref, name)(v), z),
                               **FD)


def test_swish_beta_gradient_matches_finite_differences(rng):
    z, dout, beta, h = rng.normal(size=6), rng.normal(size=6), 1.3, 1e-6
    dz, dbeta = ref.swish_grad(z, dout, beta)
    numeric = (np.sum(dout * ref.swish(z, beta + h)) - np.sum(dout * ref.swish(z, beta - h))) / (
        2 * h)
    np.testing.assert_allclose(dbeta, numeric, **FD)
    assert ref.swish_grad_beta(z, dout, beta) == dbeta
    np.testing.assert_allclose(dz, numeric_grad(lambda v: dout * ref.swish(v, beta), z), **FD)


def test_leaky_relu_gradient_follows_its_slope():
    rng = np.random.default_rng(5)
    z, dout = rng.normal(0, 2, (3, 4)), rng.normal(size=(3, 4))  # min |z| 0.22: no kink nearby
    grad = ref.leaky_relu_grad(z, dout, alpha=0.05)
    np.testing.assert_allclose(grad, numeric_grad(lambda v: dout * ref.leaky_relu(v, 0.05), z),
                               **FD)
    assert grad.dtype == z.dtype


REGRESSION = ("l1", "mean_absolute_error", "l2", "mean_squared_error")


@pytest.mark.parametrize("name, from_logits", [
    ("l1", False), ("mean_absolute_error", False), ("l2", False), ("mean_squared_error", False),
    ("binary_crossentropy", False), ("binary_crossentropy", True),
    ("categorical_crossentropy", False), ("categorical_crossentropy", True),
    ("sparse_categorical_crossentropy", False), ("sparse_categorical_crossentropy", True)])
def test_loss_gradients_match_finite_differences(name, from_logits, rng):
    z = rng.normal(size=(4, 3))
    if name in REGRESSION or from_logits:
        p = z
    else:
        p = ref.sigmoid(z) if name.startswith("binary") else ref.softmax(z)
    if name.startswith("sparse"):
        y = rng.integers(0, 3, 4)
    elif name.startswith("categorical"):
        y = ref.one_hot(rng.integers(0, 3, 4), 3)
    elif name.startswith("binary"):
        y = rng.integers(0, 2, (4, 3)).astype(float)
    else:
        y = rng.normal(size=(4, 3))
    kw = {} if name in REGRESSION else {"from_logits": from_logits}
    grad = getattr(ref, f"{name}_grad")(y, p, **kw)
    np.testing.assert_allclose(grad, numeric_grad(lambda v: getattr(ref, name)(y, v, **kw), p),
                               **FD)


def test_dense_backward_matches_finite_differences(rng):
    x, w, b, dz = (rng.normal(size=s) for s in [(5, 3), (3, 2), (2,), (5, 2)])
    dx, dw, db = ref.dense_backward(x, w, dz)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: dz * ref.dense_forward(v, w, b), x),
                               **FD)
    np.testing.assert_allclose(dw, numeric_grad(lambda v: dz * ref.dense_forward(x, v, b), w),
                               **FD)
    np.testing.assert_allclose(db, numeric_grad(lambda v: dz * ref.dense_forward(x, w, v), b),
                               **FD)


@pytest.mark.tensorflow
def test_backprop_by_hand_is_what_autodiff_computes(rng):
    """C13: the chain rule, layer by layer, equals GradientTape's gradient (float64: the same
    products in another order, 1e-12)."""
    import tensorflow as tf  # here, not at the top: the NumPy-only tests run without TF
    x, y = rng.normal(size=(10, 3)), ref.one_hot(rng.integers(0, 4, 10), 4)
    weights = [rng.normal(0, 0.7, s) for s in [(3, 5), (5,), (5, 5), (5,), (5, 4), (4,)]]
    activations = ["relu", "linear", "softmax"]
    loss, grads = ref.mlp_loss_and_grads(weights, activations, x, y)
    variables = [tf.Variable(w) for w in weights]
    with tf.GradientTape() as tape:
        h = tf.nn.relu(x @ variables[0] + variables[1])
        h = h @ variables[2] + variables[3]
        logits = h @ variables[4] + variables[5]
        tape_loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(y, logits))
    np.testing.assert_allclose(loss, float(tape_loss), rtol=1e-12)
    for a, b in zip(grads, tape.gradient(tape_loss, variables)):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-15)


def test_optimizer_steps_follow_the_update_rules(rng):
    w, g = [rng.normal(size=3)], [rng.normal(size=3)]
    lr, mu = 0.1, 0.9
    sgd = ref.SGD(lr, mu)
    first = sgd.apply(w, g)[0]
    np.testing.assert_allclose(first, w[0] - lr * g[0], rtol=1e-15)  # v = -lr g
    np.testing.assert_allclose(sgd.apply([first], g)[0], first + mu * (-lr * g[0]) - lr * g[0],
                               rtol=1e-14)
    # Adam's first step, "epsilon hat" form: m = 0.1 g, sqrt(v) = sqrt(0.001) |g|, so the
    # step is lr g / (|g| + eps / sqrt(0.001)): about lr * sign(g)
    np.testing.assert_allclose(ref.Adam(lr, 0.9, 0.999, 1e-7).apply(w, g)[0],
                               w[0] - lr * g[0] / (np.abs(g[0]) + 1e-7 / np.sqrt(0.001)),
                               rtol=1e-12)
    np.testing.assert_allclose(ref.Adagrad(lr, 0.1, 0.0).apply(w, g)[0],
                               w[0] - lr * g[0] / np.sqrt(0.1 + g[0] ** 2), rtol=1e-15)
    # RMSprop's first step from zeros: g / sqrt((1 - rho) g^2) = sign(g) / sqrt(0.1)
    np.testing.assert_allclose(ref.RMSprop(lr, 0.9, epsilon=0.0).apply(w, g)[0],
                               w[0] - lr * np.sign(g[0]) / np.sqrt(0.1), rtol=1e-14)


# --- a whole MLP against finite differences: every activation, every loss --------------------

HIDDEN = ("linear", "relu", "sigmoid", "tanh", "leaky_relu", "swish")
MLP_LOSSES = [(loss, logits) for loss in ("mean_squared_error", "mean_absolute_error")
              for logits in (False,)] + [
    (loss, logits) for loss in ("binary_crossentropy", "categorical_crossentropy",
                                "sparse_categorical_crossentropy") for logits in (False, True)]
# On probabilities a cross-entropy needs outputs in (0, 1): these, or the other one of the two.
PROBABILITIES = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                 "sparse_categorical_crossentropy": "softmax"}


def mlp_cases():
    for loss, logits in MLP_LOSSES:
        tag = f"{loss}{'-logits' if logits else ''}"
        on_probabilities = loss in PROBABILITIES and not logits
        for act in HIDDEN:  # in both hidden layers, under an output that suits the loss
            out = PROBABILITIES[loss] if on_probabilities else "linear"
            yield pytest.param((act, act, out), loss, logits, id=f"hidden-{act}-{tag}")
        for act in HIDDEN + ("softmax",):  # as the output, where its values suit the loss
            if on_probabilities and act not in ("sigmoid", "softmax"):
                continue
            yield pytest.param(("tanh", "relu", act), loss, logits, id=f"output-{act}-{tag}")


def mlp_problem(loss, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 3))
    weights = [rng.normal(0, 0.8, s) for s in [(3, 4), (4,), (4, 4), (4,), (4, 3), (3,)]]
    if loss == "sparse_categorical_crossentropy":
        y = rng.integers(0, 3, 6)
    elif loss == "categorical_crossentropy":
        y = ref.one_hot(rng.integers(0, 3, 6), 3)
    elif loss == "binary_crossentropy":
        y = rng.integers(0, 2, (6, 3)).astype(float)
    else:
        y = rng.normal(size=(6, 3))
    return weights, x, y


@pytest.mark.parametrize("activations, loss, from_logits", list(mlp_cases()))
def test_mlp_gradients_match_finite_differences(activations, loss, from_logits):
    """C13 for every activation in every position and every loss: the hand-written backward
    pass is the derivative of the loss it returns (float64 central differences, `FD`)."""
    weights, x, y = mlp_problem(loss)
    kw = dict(loss=loss, from_logits=from_logits)
    # no ReLU kink and no |p - y| kink within reach of a step of 1e-6 in a weight (|x| < 3)
    _, zs = ref.mlp_forward(weights, activations, x)
    assert min(np.abs(z).min() for z in zs) > 1e-5
    loss_value, grads = ref.mlp_loss_and_grads(weights, activations, x, y, **kw)
    # the value is the loss of the outputs (a fused softmax or sigmoid: the same maths on the
    # logits, unclipped; nothing here is near the clip, so a few ulp apart)
    outputs = ref.mlp_forward(weights, activations, x)[0]
    expected = getattr(ref, loss)(y, outputs, **({"from_logits": True} if from_logits else {}))
    np.testing.assert_allclose(loss_value, expected.mean(), rtol=1e-12)
    for k, grad in enumerate(grads):
        def f(v, k=k):
            return ref.mlp_loss_and_grads(weights[:k] + [v] + weights[k + 1:], activations,
                                          x, y, **kw)[0]
        assert np.abs(grad).max() > 0  # every weight matters here, so a zero is a bug
        np.testing.assert_allclose(grad, numeric_grad(f, weights[k]), **FD,
                                   err_msg=f"weights[{k}]")


def test_step_runs_forward_and_refuses_a_backward_pass():
    weights, x, y = mlp_problem("categorical_crossentropy")
    out, zs = ref.mlp_forward(weights, ("step", "relu", "softmax"), x)
    hidden = ref.step(zs[0])
    assert set(np.unique(hidden)) == {0.0, 1.0}  # both sides of the step occur here
    np.testing.assert_allclose(out, ref.softmax(ref.relu(hidden @ weights[2] + weights[3])
                                                @ weights[4] + weights[5]), rtol=1e-15)
    with pytest.raises(ValueError, match="forward-only"):
        ref.mlp_loss_and_grads(weights, ("step", "relu", "softmax"), x, y)


# --- the layers beyond dense: each backward against finite differences (float64, `FD`) -------


def assert_backward_matches(forward, inputs, grads, dout):
    """Each array of `grads` (name -> gradient) against central differences of
    `sum(dout * forward(**inputs))` in the input of that name."""
    for name, grad in grads.items():
        def f(v, name=name):
            return dout * forward(**{**inputs, name: v})
        assert grad.shape == inputs[name].shape, name
        np.testing.assert_allclose(grad, numeric_grad(f, inputs[name]), **FD, err_msg=name)


CONV_CASES = [(s, p) for s in [(1, 1), (2, 2), (2, 3)] for p in ["valid", "same"]]


@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_conv2d_backward_matches_finite_differences(strides, padding):
    """A 3x2 kernel on 6x7 images: with stride 2 (or 3) "same" pads one row (column) after and
    none before, and "valid" leaves the last column unread: every case of TF's padding rule."""
    rng = np.random.default_rng(11)
    x, kernel, bias = rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 2, 3, 2)), rng.normal(
        size=2)
    out = ref.conv2d_forward(x, kernel, bias, strides, padding)
    rows = {"valid": -(-(6 - 2) // strides[0]), "same": -(-6 // strides[0])}[padding]
    assert out.shape[:2] == (2, rows)
    dout = rng.normal(size=out.shape)
    dx, dkernel, dbias = ref.conv2d_backward(x, kernel, dout, strides, padding)
    assert_backward_matches(
        lambda x, kernel, bias: ref.conv2d_forward(x, kernel, bias, strides, padding),
        dict(x=x, kernel=kernel, bias=bias), dict(x=dx, kernel=dkernel, bias=dbias), dout)


def test_conv2d_is_the_sum_over_each_window_written_out():
    """The definition, one output at a time, and where TF's "same" puts its padding."""
    rng = np.random.default_rng(12)
    x, kernel, bias = rng.normal(size=(1, 6, 6, 2)), rng.normal(size=(2, 2, 2, 3)), rng.normal(
        size=3)
    out = ref.conv2d_forward(x, kernel, bias, (2, 2), "same")
    # pad_total = max((3 - 1) * 2 + 2 - 6, 0) = 0: no padding, windows at 0, 2, 4
    for i in range(3):
        for j in range(3):
            window = x[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            np.testing.assert_allclose(
                out[0, i, j], np.einsum("abc,abcf->f", window, kernel) + bias, rtol=1e-12)
    # 5x5 input, 2x2 kernel, stride 1, "same": pad_total 1, all of it after the last row/column
    x5 = rng.normal(size=(1, 5, 5, 2))
    out = ref.conv2d_forward(x5, kernel, bias, (1, 1), "same")
    padded = np.pad(x5, ((0, 0), (0, 1), (0, 1), (0, 0)))
    np.testing.assert_allclose(
        out[0, 4, 4], np.einsum("abc,abcf->f", padded[0, 4:6, 4:6], kernel) + bias, rtol=1e-12)
    np.testing.assert_allclose(
        out[0, 0, 0], np.einsum("abc,abcf->f", x5[0, 0:2, 0:2], kernel) + bias, rtol=1e-12)


POOL_CASES = [((2, 2), None, "valid"), ((2, 2), None, "same"), ((3, 3), (2, 2), "valid"),
              ((3, 3), (2, 2), "same"), ((2, 3), (1, 2), "same")]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool_size, strides, padding", POOL_CASES)
def test_pool_backward_matches_finite_differences(kind, pool_size, strides, padding):
    """5x6 inputs: odd sizes leave "same" windows hanging over the edge, and 3x3 windows at
    stride 2 (or 2x3 at stride 1) overlap, so an element can get gradient from several."""
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 5, 6, 2))  # continuous values: no ties within a step of 1e-6
    forward = getattr(ref, f"{kind}_pool2d_forward")
    out = forward(x, pool_size, strides, padding)
    dout = rng.normal(size=out.shape)
    dx = getattr(ref, f"{kind}_pool2d_backward")(x, dout, pool_size, strides, padding)
    assert_backward_matches(lambda x: forward(x, pool_size, strides, padding), dict(x=x),
                            dict(x=dx), dout)


def test_avg_pool_same_averages_only_the_elements_inside():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)  # 1..9
    out = ref.avg_pool2d_forward(x, (2, 2), (2, 2), "same")[0, :, :, 0]
    # windows {1,2,4,5}, {3,6}, {7,8}, {9}: padding neither adds nor counts
    np.testing.assert_array_equal(out, [[3.0, 4.5], [7.5, 9.0]])
    dx = ref.avg_pool2d_backward(x, np.ones((1, 2, 2, 1)), (2, 2), (2, 2), "same")[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


@pytest.mark.tensorflow
def test_max_pool_routes_a_tie_to_the_first_max_as_tensorflow_does():
    """Integers 0..2 make most windows tie; overlapping 3x3 windows at stride 2 with "same"
    padding. TF's gradient (CPU kernel: a strict `>` scan in row-major order) is the witness."""
    import tensorflow as tf  # here, not at the top: the NumPy-only tests run without TF
    rng = np.random.default_rng(18)
    x = rng.integers(0, 3, size=(2, 5, 6, 2)).astype(np.float64)
    dout = rng.normal(size=ref.max_pool2d_forward(x, (3, 3), (2, 2), "same").shape)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        out = tf.nn.max_pool2d(xt, (3, 3), (2, 2), "SAME")
    expected = tape.gradient(out, xt, output_gradients=tf.constant(dout)).numpy()
    np.testing.assert_array_equal(ref.max_pool2d_forward(x, (3, 3), (2, 2), "same"), out)
    np.testing.assert_allclose(ref.max_pool2d_backward(x, dout, (3, 3), (2, 2), "same"),
                               expected, rtol=1e-15)  # the same additions where windows overlap
    # a window of equal values sends everything to its top-left element
    dx = ref.max_pool2d_backward(np.ones((1, 2, 2, 1)), np.full((1, 1, 1, 1), 5.0))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5.0, 0.0], [0.0, 0.0]])


def test_flatten_and_back():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(3, 2, 4, 5))
    out = ref.flatten(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out[1, 9], x[1, 0, 1, 4])  # row-major: 0*20 + 1*5 + 4
    dout = rng.normal(size=out.shape)
    assert_backward_matches(ref.flatten, dict(x=x), dict(x=ref.flatten_backward(x, dout)), dout)


def test_dropout_scales_the_kept_and_passes_the_gradient_the_same_way():
    rng = np.random.default_rng(15)
    x, rate = rng.normal(size=(4, 6)), 0.25
    mask = rng.random(size=x.shape) >= rate
    out = ref.dropout_forward(x, mask, rate)
    np.testing.assert_allclose(out, np.where(mask, x / 0.75, 0.0), rtol=1e-15)
    dout = rng.normal(size=x.shape)
    assert_backward_matches(lambda x: ref.dropout_forward(x, mask, rate), dict(x=x),
                            dict(x=ref.dropout_backward(mask, dout, rate)), dout)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_matches_finite_differences(training):
    """Training: the gradient runs through the batch's mean and variance too (the sum of `dx`
    over a channel is 0, and so is its product with `xhat`); inference: a fixed affine map."""
    rng = np.random.default_rng(16)
    x = rng.normal(1.0, 2.0, size=(5, 2, 3))  # statistics over 10 values for each of 3 channels
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    moving_mean, moving_var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    out, new_mean, new_var = ref.batch_norm_forward(x, gamma, beta, moving_mean, moving_var,
                                                    training=training)
    if training:  # normalised: each channel of (out - beta) / gamma has mean 0, variance ~1
        xhat = (out - beta) / gamma
        np.testing.assert_allclose(xhat.mean(axis=(0, 1)), 0, atol=1e-12)
        np.testing.assert_allclose(xhat.var(axis=(0, 1)), x.var(axis=(0, 1)) / (
            x.var(axis=(0, 1)) + 1e-3), rtol=1e-12)
        np.testing.assert_allclose(new_mean, 0.99 * moving_mean + 0.01 * x.mean(axis=(0, 1)),
                                   rtol=1e-12)
        np.testing.assert_allclose(new_var, 0.99 * moving_var + 0.01 * x.var(axis=(0, 1)),
                                   rtol=1e-12)
    else:
        assert new_mean is moving_mean and new_var is moving_var
    dout = rng.normal(size=x.shape)
    dx, dgamma, dbeta = ref.batch_norm_backward(x, gamma, moving_mean, moving_var, dout,
                                                training=training)

    def forward(x, gamma, beta):
        return ref.batch_norm_forward(x, gamma, beta, moving_mean, moving_var,
                                      training=training)[0]
    assert_backward_matches(forward, dict(x=x, gamma=gamma, beta=beta),
                            dict(x=dx, gamma=dgamma, beta=dbeta), dout)


@pytest.mark.parametrize("kind", ["lstm", "simple_rnn"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_backward_through_time_matches_finite_differences(kind, return_sequences):
    rng = np.random.default_rng(17)
    units, gates = 3, 4 if kind == "lstm" else 1
    x = rng.normal(size=(3, 4, 2))  # 3 sequences of 4 steps of 2 features
    weights = dict(kernel=rng.normal(0, 0.6, (2, gates * units)),
                   recurrent_kernel=rng.normal(0, 0.6, (units, gates * units)),
                   bias=rng.normal(0, 0.6, gates * units))
    forward = getattr(ref, f"{kind}_forward")
    out = forward(x, **weights, return_sequences=return_sequences)
    assert out.shape == ((3, 4, units) if return_sequences else (3, units))
    dout = rng.normal(size=out.shape)
    dx, dkernel, drecurrent, dbias = getattr(ref, f"{kind}_backward")(
        x, **weights, dout=dout, return_sequences=return_sequences)
    if not return_sequences:  # the first step reaches the last output only through the state
        assert np.abs(dx[:, 0]).max() > 0
    assert_backward_matches(
        lambda **kw: forward(**kw, return_sequences=return_sequences), dict(x=x, **weights),
        dict(x=dx, kernel=dkernel, recurrent_kernel=drecurrent, bias=dbias), dout)


def test_float32_stays_float32():
    """Outputs and gradients keep the input's dtype: a float64 constant slipped into a formula
    would promote them (NumPy 2 promotes float32 arrays by NumPy float64 scalars)."""
    rng = np.random.default_rng(19)

    def a(*shape):
        return rng.normal(size=shape).astype(np.float32)

    x, kernel, mask, seq = a(2, 5, 3, 3), a(2, 2, 3, 2), rng.random((2, 5, 3, 3)) > 0.5, a(2, 5, 3)
    gamma, beta, moving_mean, moving_var = a(3), a(3), a(3), np.ones(3, np.float32)
    lstm, rnn = (a(3, 8), a(2, 8), a(8)), (a(3, 2), a(2, 2), a(2))
    weights, y = [a(3, 4), a(4), a(4, 2), a(2)], ref.one_hot([0, 1], 2, np.float32)
    results = {
        "conv2d": ref.conv2d_forward(x, kernel, a(2), 2, "same"),
        "conv2d_backward": ref.conv2d_backward(x, kernel, a(2, 3, 2, 2), 2, "same"),
        "max_pool2d": ref.max_pool2d_forward(x, 2, 1, "same"),
        "max_pool2d_backward": ref.max_pool2d_backward(x, a(2, 5, 3, 3), 2, 1, "same"),
        "avg_pool2d": ref.avg_pool2d_forward(x, 2, 1, "same"),
        "avg_pool2d_backward": ref.avg_pool2d_backward(x, a(2, 5, 3, 3), 2, 1, "same"),
        "flatten": ref.flatten(x), "flatten_backward": ref.flatten_backward(x, a(2, 45)),
        "dropout": ref.dropout_forward(x, mask, 0.3),
        "dropout_backward": ref.dropout_backward(mask, x, 0.3),
        "batch_norm": ref.batch_norm_forward(x, gamma, beta, moving_mean, moving_var),
        "batch_norm_backward": ref.batch_norm_backward(x, gamma, moving_mean, moving_var, x),
        "lstm": ref.lstm_forward(seq, *lstm, return_sequences=True),
        "lstm_backward": ref.lstm_backward(seq, *lstm, a(2, 2)),
        "simple_rnn": ref.simple_rnn_forward(seq, *rnn),
        "simple_rnn_backward": ref.simple_rnn_backward(seq, *rnn, a(2, 5, 2), True),
        "swish_grad_beta": ref.swish_grad_beta(x, x),
        "mlp_loss_and_grads": ref.mlp_loss_and_grads(weights, ("swish", "softmax"),
                                                     seq[:, 0], y, from_logits=True),
    }
    for name, result in results.items():
        flat = list(result) if isinstance(result, tuple) else [result]
        flat = flat[:1] + flat[1] if name == "mlp_loss_and_grads" else flat
        assert [r.dtype for r in flat] == [np.float32] * len(flat), name


# --- the layers against Keras's, float32 -------------------------------------------------------
# Tolerances are in float32 ulps of the largest Keras output (eps32 * max|out|), measured over
# 20 seeds on x86 CPU (oneDNN): LSTM 4.6, SimpleRNN 3.1 (sigmoid/tanh of TF and of NumPy an ulp
# apart, compounded over 10 steps), Conv2D 2.0 (18 products summed in another order),
# BatchNormalization 1.5 (TF computes x * inv + (beta - mean * inv)), moving statistics and
# average pooling 0 (the same sums in the same order here; 2 allowed, as another order could
# cost an ulp). Allowed: about 4x the measured, and bit-equality for the max, which is exact.

EPS32 = np.finfo(np.float32).eps


def assert_within_ulps(ours, theirs, ulps):
    theirs = np.asarray(theirs)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    error = np.abs(ours.astype(np.float64) - theirs).max() / (EPS32 * np.abs(theirs).max())
    assert error <= ulps, f"{error:.2f} ulps of the largest value"


@pytest.mark.tensorflow
@pytest.mark.parametrize("kind", ["LSTM", "SimpleRNN"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_forward_is_keras(kind, return_sequences):
    import keras  # here, not at the top: the NumPy-only tests run without TF
    rng = np.random.default_rng(21)
    gates = 4 if kind == "LSTM" else 1
    x = rng.normal(size=(8, 10, 5)).astype(np.float32)
    weights = [rng.normal(0, 0.5, s).astype(np.float32)
               for s in [(5, 4 * gates), (4, 4 * gates), (4 * gates,)]]
    layer = getattr(keras.layers, kind)(4, return_sequences=return_sequences)
    layer.build((None, 10, 5))
    layer.set_weights(weights)
    forward = ref.lstm_forward if kind == "LSTM" else ref.simple_rnn_forward
    assert_within_ulps(forward(x, *weights, return_sequences=return_sequences), layer(x), 16)


@pytest.mark.tensorflow
@pytest.mark.parametrize("strides, padding", CONV_CASES)
def test_conv2d_forward_is_keras(strides, padding):
    import keras  # here, not at the top: the NumPy-only tests run without TF
    rng = np.random.default_rng(22)
    x = rng.normal(size=(4, 9, 8, 3)).astype(np.float32)  # odd and even sizes for "same"
    kernel = rng.normal(size=(3, 2, 3, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32)
    layer = keras.layers.Conv2D(5, (3, 2), strides=strides, padding=padding)
    layer.build((None, 9, 8, 3))
    layer.set_weights([kernel, bias])
    assert_within_ulps(ref.conv2d_forward(x, kernel, bias, strides, padding), layer(x), 8)


@pytest.mark.tensorflow
@pytest.mark.parametrize("pool_size, strides, padding", POOL_CASES)
def test_pooling_forward_is_keras(pool_size, strides, padding):
    import keras  # here, not at the top: the NumPy-only tests run without TF
    x = np.random.default_rng(23).normal(size=(4, 9, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(ref.max_pool2d_forward(x, pool_size, strides, padding),
                                  keras.layers.MaxPooling2D(pool_size, strides, padding)(x))
    assert_within_ulps(ref.avg_pool2d_forward(x, pool_size, strides, padding),
                       keras.layers.AveragePooling2D(pool_size, strides, padding)(x), 2)


@pytest.mark.tensorflow
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_forward_and_moving_statistics_are_keras(training):
    import keras  # here, not at the top: the NumPy-only tests run without TF
    rng = np.random.default_rng(24)
    x = rng.normal(1.5, 3.0, size=(16, 5, 4, 3)).astype(np.float32)
    gamma, beta, moving_mean = (rng.normal(size=3).astype(np.float32) for _ in range(3))
    moving_var = rng.uniform(0.5, 2.0, size=3).astype(np.float32)
    layer = keras.layers.BatchNormalization()  # momentum 0.99, epsilon 1e-3
    layer.build((None, 5, 4, 3))
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    out = layer(x, training=training)
    ours, new_mean, new_var = ref.batch_norm_forward(x, gamma, beta, moving_mean, moving_var,
                                                     training=training)
    assert_within_ulps(ours, out, 6)
    assert_within_ulps(new_mean, layer.moving_mean.numpy(), 2)
    assert_within_ulps(new_var, layer.moving_variance.numpy(), 2)
    assert (new_mean != moving_mean).all() == training  # training moved them, inference not


# --- found by mutation testing (docs/testing.md): closed-form values at the edges the finite --
# --- differences above never reach (0, the clip bounds, ranks above 2, overflow) --------------

KERAS_EPSILON = 1e-7  # keras.config.epsilon(): the clip of probabilities in Keras's losses


def test_step_relu_and_leaky_relu_at_zero_take_the_positive_branch_only():
    """step(0) = 0; TF's ReluGrad and LeakyReluGrad take the `features > 0` branch, so at 0
    ReLU's gradient is 0 and leaky ReLU's is alpha."""
    z = np.array([-1.0, 0.0, 0.5, 2.0])
    assert ref.step(z).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert ref.relu_grad(z, np.ones(4)).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert ref.leaky_relu_grad(z, np.ones(4), alpha=0.25).tolist() == [0.25, 0.25, 1.0, 1.0]


def test_randomized_relu_scales_only_the_negative_part():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    out = ref.randomized_relu(z, np.full(5, 0.25))
    assert out.tolist() == [-0.5, -0.125, 0.0, 0.5, 3.0]


def test_swish_beta_gradient_defaults_to_beta_one():
    z, dout = np.array([1.0, -2.0]), np.array([1.0, 0.5])
    s = 1 / (1 + np.exp(-z))  # sigmoid(1 * z)
    expected = np.sum(dout * z**2 * s * (1 - s))
    np.testing.assert_allclose(ref.swish_grad_beta(z, dout), expected, rtol=1e-15)


def test_softmax_and_its_gradient_work_on_the_last_axis_of_any_rank():
    z = np.random.default_rng(3).normal(size=(2, 3, 4))
    e = np.exp(z)
    expected = e / e.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(ref.softmax(z), expected, rtol=1e-14)
    dout = np.random.default_rng(4).normal(size=z.shape)
    np.testing.assert_allclose(ref.softmax_grad(z, dout),
                               numeric_grad(lambda v: ref.softmax(v) * dout, z), **FD)
    # the max subtracted first: exp(1000) alone would overflow to inf (and inf / inf = nan)
    assert ref.softmax(np.array([[1000.0, 1000.0, -np.inf]])).tolist() == [[0.5, 0.5, 0.0]]


def test_distance_losses_reduce_only_the_last_axis_of_any_rank():
    """Keras's losses average (or sum) over the last axis only: (2, 3, 4) -> (2, 3)."""
    rng = np.random.default_rng(5)
    y, p = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    d = p - y
    np.testing.assert_allclose(ref.l1(y, p), np.abs(d).sum(axis=2), rtol=1e-14)
    np.testing.assert_allclose(ref.mean_absolute_error(y, p), np.abs(d).mean(axis=2),
                               rtol=1e-14)
    np.testing.assert_allclose(ref.l2(y, p), (d**2).sum(axis=2), rtol=1e-14)
    np.testing.assert_allclose(ref.mean_squared_error(y, p), (d**2).mean(axis=2), rtol=1e-14)
    np.testing.assert_allclose(ref.mean_absolute_error_grad(y, p), np.sign(d) / 4, rtol=1e-15)
    np.testing.assert_allclose(ref.mean_squared_error_grad(y, p), 2 * d / 4, rtol=1e-15)


def test_cross_entropies_reduce_only_the_last_axis_of_any_rank():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, size=(2, 3, 4)).astype(np.float64)
    q = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    bce = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    np.testing.assert_allclose(ref.binary_crossentropy(y, q), bce.mean(axis=2), rtol=1e-13)
    z = np.log(q / (1 - q))  # the logits of q
    np.testing.assert_allclose(ref.binary_crossentropy(y, z, from_logits=True),
                               bce.mean(axis=2), rtol=1e-12)
    onehot = np.eye(4)[rng.integers(0, 4, size=(2, 3))]
    rows = q / q.sum(axis=2, keepdims=True)
    cce = -(onehot * np.log(rows)).sum(axis=2)
    np.testing.assert_allclose(ref.categorical_crossentropy(onehot, q), cce, rtol=1e-13)
    logits = np.log(rows) + 3.0  # softmax(logits) = rows
    np.testing.assert_allclose(ref.categorical_crossentropy(onehot, logits, from_logits=True),
                               cce, rtol=1e-12)



def test_sparse_cross_entropy_takes_class_numbers_of_any_rank():
    """Labels (2, 3) against (2, 3, 4) outputs: the categorical loss of their one-hot rows, and
    its gradient (on probabilities by default) that of finite differences."""
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 4, size=(2, 3))
    q = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    rows = q / q.sum(axis=2, keepdims=True)
    expected = -np.log(np.take_along_axis(rows, labels[..., None], axis=2))[..., 0]
    np.testing.assert_allclose(ref.sparse_categorical_crossentropy(labels, q), expected,
                               rtol=1e-13)
    np.testing.assert_allclose(
        ref.sparse_categorical_crossentropy_grad(labels, q),
        numeric_grad(lambda v: ref.sparse_categorical_crossentropy(labels, v), q), **FD)
    z = np.log(rows) - 1.0  # logits whose softmax is rows
    np.testing.assert_allclose(ref.sparse_categorical_crossentropy(labels, z, from_logits=True),
                               expected, rtol=1e-12)


def test_cross_entropy_gradients_on_rank_3_and_soft_labels_match_finite_differences():
    """The gradients of the losses as the reference defines them, for (2, 3, 4) inputs and for
    label rows that do not sum to 1 (the logits form is then `sum(y) logsumexp(z) - y.z`)."""
    rng = np.random.default_rng(7)
    q = rng.uniform(0.05, 0.95, size=(2, 3, 4))
    z = rng.normal(size=(2, 3, 4))
    soft = rng.uniform(0, 1, size=(2, 3, 4))  # rows summing to anything
    for y in (rng.integers(0, 2, size=(2, 3, 4)).astype(np.float64), soft):
        np.testing.assert_allclose(
            ref.binary_crossentropy_grad(y, q),
            numeric_grad(lambda v, y=y: ref.binary_crossentropy(y, v), q), **FD)
        np.testing.assert_allclose(
            ref.binary_crossentropy_grad(y, z, from_logits=True),
            numeric_grad(lambda v, y=y: ref.binary_crossentropy(y, v, from_logits=True), z), **FD)
        np.testing.assert_allclose(
            ref.categorical_crossentropy_grad(y, z, from_logits=True),
            numeric_grad(lambda v, y=y: ref.categorical_crossentropy(y, v, from_logits=True), z),
            **FD)
        np.testing.assert_allclose(
            ref.categorical_crossentropy_grad(y, q),
            numeric_grad(lambda v, y=y: ref.categorical_crossentropy(y, v), q), **FD)


def test_cross_entropy_on_probabilities_is_capped_at_minus_log_epsilon():
    """A confident wrong answer costs -log(1e-7) = 7 ln 10 = 16.1, not infinity."""
    cap = 7 * np.log(10)
    y = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(ref.categorical_crossentropy(y, np.array([[0.0, 1.0]])), [cap],
                               rtol=1e-7)
    np.testing.assert_allclose(ref.binary_crossentropy(np.array([[0.0]]), np.array([[1.0]])),
                               [cap], rtol=1e-7)
    np.testing.assert_allclose(ref.binary_crossentropy(np.array([[1.0]]), np.array([[0.0]])),
                               [cap], rtol=1e-7)


def test_the_clip_passes_the_gradient_at_its_bounds_and_stops_it_beyond():
    """TF's clip_by_value gradient flows where lo <= p <= hi (bounds included), 0 outside."""
    eps = KERAS_EPSILON
    p = np.array([[eps / 2, eps, 0.5, 1 - eps, 1 - eps / 4]])
    grad = ref.binary_crossentropy_grad(np.ones_like(p), p)  # y = 1: -1 / p, over 5 units
    np.testing.assert_allclose(grad, [[0.0, -1 / eps / 5, -2 / 5, -1 / (1 - eps) / 5, 0.0]],
                               rtol=1e-12)


def test_optimizers_count_their_steps_for_schedules_and_adams_bias_correction():
    """The step count feeds a schedule (`learning_rate(step)`, from 0) and Adam's t (from 1).
    Adam under a constant gradient g has the closed form m_t = (1 - b1^t) g and
    v_t = (1 - b2^t) g^2, so step t moves w by lr g a_t / (|g| a_t + eps), a_t = sqrt(1 - b2^t)."""
    sgd = ref.SGD(learning_rate=lambda step: [0.5, 0.25, 0.125][step])
    w = [np.array([1.0])]
    for _ in range(3):
        w = sgd.apply(w, [np.array([1.0])])
    assert sgd.iterations == 3 and w[0].tolist() == [0.125]

    g, lr, eps, b2 = 1e-3, 0.1, 1e-3, 0.999
    adam = ref.Adam(learning_rate=lr, beta_1=0.9, beta_2=b2, epsilon=eps)
    w, expected = [np.array([0.0])], 0.0
    for t in (1, 2, 3):
        w = adam.apply(w, [np.array([g])])
        a = np.sqrt(1 - b2**t)
        expected -= lr * g * a / (g * a + eps)
        np.testing.assert_allclose(w[0], [expected], rtol=1e-12)


def test_numpy_optimizer_defaults_are_the_specs():
    """The NumPy optimizers' defaults are OPTIMIZER_DEFAULTS (checked against Keras's own
    signatures in tests/test_optimizers.py); RMSprop's extra `initial_ms` starts at Keras's 0."""
    import inspect

    from tfmodels.core.spec import OPTIMIZER_DEFAULTS

    for name, defaults in OPTIMIZER_DEFAULTS.items():
        parameters = inspect.signature(ref.OPTIMIZERS[name]).parameters
        assert {k: parameters[k].default for k in defaults} == defaults, name
        assert set(parameters) - set(defaults) <= {"initial_ms"}, name
    assert inspect.signature(ref.RMSprop).parameters["initial_ms"].default == 0.0


@pytest.mark.parametrize("momentum, nesterov, expected", [
    # Keras's SGD under g = 1, lr = 0.1: v = mu v - lr g; w += v (Nesterov: w += mu v - lr g)
    (0.5, False, [-0.1, -0.25, -0.425]),
    (1.0, False, [-0.1, -0.3, -0.6]),
    (0.5, True, [-0.15, -0.325, -0.5125]),
])
def test_sgd_momentum_and_nesterov_steps_in_closed_form(momentum, nesterov, expected):
    sgd = ref.SGD(learning_rate=0.1, momentum=momentum, nesterov=nesterov)
    w, path = [np.array([0.0])], []
    for _ in range(3):
        w = sgd.apply(w, [np.array([1.0])])
        path.append(float(w[0][0]))
    np.testing.assert_allclose(path, expected, rtol=1e-12)


def test_tf1_momentum_walks_the_sgd_path_at_a_fixed_rate_not_under_a_schedule():
    """TF1's MomentumOptimizer: a = mu a + g; w -= lr a (Nesterov: w -= lr g + lr mu a). Under
    g = 1, lr = 0.1, mu = 0.5 it walks Keras's path; with lr 0.1 then 0.2 it scales all of the
    accumulated gradient by today's rate: -0.1 - 0.2 * 1.5 = -0.4 (Keras: -0.35)."""
    for nesterov, expected in [(False, [-0.1, -0.25, -0.425]), (True, [-0.15, -0.325, -0.5125])]:
        tf1 = ref.MomentumTF1(learning_rate=0.1, momentum=0.5, nesterov=nesterov)
        w, path = [np.array([0.0])], []
        for _ in range(3):
            w = tf1.apply(w, [np.array([1.0])])
            path.append(float(w[0][0]))
        np.testing.assert_allclose(path, expected, rtol=1e-12)
    schedule = lambda step: [0.1, 0.2][step]  # noqa: E731
    paths = []
    for optimizer in (ref.MomentumTF1(schedule, momentum=0.5), ref.SGD(schedule, momentum=0.5)):
        w = [np.array([0.0])]
        for _ in range(2):
            w = optimizer.apply(w, [np.array([1.0])])
        paths.append(float(w[0][0]))
    np.testing.assert_allclose(paths, [-0.4, -0.35], rtol=1e-12)
    assert inspect_defaults(ref.MomentumTF1) == inspect_defaults(ref.SGD) == {
        "learning_rate": 0.01, "momentum": 0.0, "nesterov": False}


def inspect_defaults(cls) -> dict:
    import inspect

    return {k: p.default for k, p in inspect.signature(cls).parameters.items()}


def test_adagrad_and_rmsprop_steps_in_closed_form():
    """g = 1, lr = 0.1. Adagrad from acc 0 with eps 1: acc = 1, step lr / sqrt(1 + 1).
    RMSprop, rho 0.5, eps 0: ms = 0.5 (step lr / sqrt(0.5)), then 0.75; with momentum 0.5 the
    second step adds 0.5 x the first; centered: mg = 0.5, step lr / sqrt(0.5 - 0.25) = 0.2."""
    one = [np.array([1.0])]
    adagrad = ref.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1.0)
    np.testing.assert_allclose(adagrad.apply([np.array([0.0])], one)[0], [-0.1 / np.sqrt(2)],
                               rtol=1e-15)
    first, second = 0.1 / np.sqrt(0.5), 0.1 / np.sqrt(0.75)
    for momentum, expected in [(0.0, -(first + second)), (0.5, -(first + 0.5 * first + second))]:
        rmsprop = ref.RMSprop(learning_rate=0.1, rho=0.5, momentum=momentum, epsilon=0.0)
        w = [np.array([0.0])]
        for _ in range(2):
            w = rmsprop.apply(w, one)
        np.testing.assert_allclose(w[0], [expected], rtol=1e-14)
    centered = ref.RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.0, centered=True)
    np.testing.assert_allclose(centered.apply([np.array([0.0])], one)[0], [-0.2], rtol=1e-14)
    # g = 2: ms = 2, mg = 1, so lr g / sqrt(2 - 1 + eps); eps 0.5 plain: lr g / sqrt(2 + 0.5)
    two = [np.array([2.0])]
    centered = ref.RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.0, centered=True)
    np.testing.assert_allclose(centered.apply([np.array([0.0])], two)[0], [-0.2], rtol=1e-14)
    plain = ref.RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.5)
    np.testing.assert_allclose(plain.apply([np.array([0.0])], two)[0], [-0.2 / np.sqrt(2.5)],
                               rtol=1e-14)
    centered = ref.RMSprop(learning_rate=0.1, rho=0.5, epsilon=0.5, centered=True)
    np.testing.assert_allclose(centered.apply([np.array([0.0])], two)[0], [-0.2 / np.sqrt(1.5)],
                               rtol=1e-14)


@pytest.mark.parametrize("activation, loss, kernel, y", [
    ("softmax", "categorical_crossentropy", [[0.0, 40.0]], np.array([[1.0, 0.0]])),
    ("softmax", "sparse_categorical_crossentropy", [[0.0, 40.0]], np.array([0])),
    ("sigmoid", "binary_crossentropy", [[-40.0]], np.array([[1.0]])),
])
def test_a_saturated_output_is_scored_on_its_logits_past_the_clip(activation, loss, kernel, y):
    """As Keras's fit does (FUSED): a softmax (sigmoid) output under its cross-entropy is scored
    on the logits, so a wrong answer by a margin of 40 costs log(1 + e^40) = 40.0, not the
    clipped probabilities' cap of -log(1e-7) = 16.1."""
    weights = [np.array(kernel), np.zeros(len(kernel[0]))]
    value, _ = ref.mlp_loss_and_grads(weights, [activation], np.array([[1.0]]), y, loss=loss)
    np.testing.assert_allclose(value, np.log1p(np.exp(40.0)), rtol=1e-12)


# --- found by mutation testing, lines 386-721 (docs/testing.md): the layers' defaults and the
# --- refusals' lines, which every test above passes or never reaches --------------------------


def windows(x, size):
    """Every (size x size) window at stride 1 of x (n, h, w, c), as (n, oh, ow, c, a, b):
    NumPy's sliding_window_view, not the module's im2col."""
    return np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))


def test_conv2d_defaults_are_stride_one_and_valid():
    """Keras's Conv2D defaults, strides (1, 1) and "valid", checked on a 5x5 image: "same" or
    stride 2 would give another shape. The window sum written out with NumPy's own windows."""
    rng = np.random.default_rng(25)
    x, kernel, bias = rng.normal(size=(2, 5, 5, 2)), rng.normal(size=(2, 2, 2, 3)), rng.normal(
        size=3)

    def conv(x, kernel, bias):
        return np.einsum("nijcab,abcf->nijf", windows(x, 2), kernel) + bias
    np.testing.assert_allclose(ref.conv2d_forward(x, kernel, bias), conv(x, kernel, bias),
                               rtol=1e-12)
    dout = rng.normal(size=(2, 4, 4, 3))
    dx, dkernel, dbias = ref.conv2d_backward(x, kernel, dout)
    assert_backward_matches(conv, dict(x=x, kernel=kernel, bias=bias),
                            dict(x=dx, kernel=dkernel, bias=dbias), dout)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_defaults_are_2x2_windows_at_their_own_stride_valid(kind):
    """Keras's MaxPooling2D / AveragePooling2D defaults: pool (2, 2), strides None (= the pool),
    "valid": on 5x5 the 2x2 blocks of the top-left 4x4, the last row and column unread."""
    rng = np.random.default_rng(26)
    x = rng.normal(size=(2, 5, 5, 3))

    def pool(x):
        blocks = x[:, :4, :4].reshape(2, 2, 2, 2, 2, 3)  # (n, i, a, j, b, c)
        return getattr(blocks, {"max": "max", "avg": "mean"}[kind])(axis=(2, 4))
    np.testing.assert_allclose(getattr(ref, f"{kind}_pool2d_forward")(x), pool(x), rtol=1e-14)
    dout = rng.normal(size=(2, 2, 2, 3))
    dx = getattr(ref, f"{kind}_pool2d_backward")(x, dout)
    assert_backward_matches(pool, dict(x=x), dict(x=dx), dout)


def test_batch_norm_defaults_train_with_momentum_099_and_epsilon_1e3():
    """Called as a layer in `fit` calls it: training, on the batch's statistics; epsilon 1e-3 in
    both passes, so the default backward is the derivative of the default forward."""
    rng = np.random.default_rng(27)
    x = rng.normal(1.0, 2.0, size=(6, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    moving_mean, moving_var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)

    def forward(x, gamma, beta):
        mean, var = x.mean(axis=0), ((x - x.mean(axis=0)) ** 2).mean(axis=0)
        return gamma * (x - mean) / np.sqrt(var + 1e-3) + beta
    out, new_mean, new_var = ref.batch_norm_forward(x, gamma, beta, moving_mean, moving_var)
    np.testing.assert_allclose(out, forward(x, gamma, beta), rtol=1e-12)
    np.testing.assert_allclose(new_mean, 0.99 * moving_mean + 0.01 * x.mean(axis=0),
                               rtol=1e-12)
    np.testing.assert_allclose(new_var, 0.99 * moving_var + 0.01 * x.var(axis=0), rtol=1e-12)
    dout = rng.normal(size=x.shape)
    dx, dgamma, dbeta = ref.batch_norm_backward(x, gamma, moving_mean, moving_var, dout)
    assert_backward_matches(forward, dict(x=x, gamma=gamma, beta=beta),
                            dict(x=dx, gamma=dgamma, beta=dbeta), dout)


@pytest.mark.parametrize("kind", ["lstm", "simple_rnn"])
def test_recurrent_defaults_return_the_last_state_only(kind):
    """Keras's LSTM and SimpleRNN return the last `h` unless `return_sequences`: (n, units),
    and the default backward takes that `h`'s gradient. SimpleRNN also written out as the loop
    `h = tanh(x_t W + h U + b)` from zeros; 5 steps, 2 units."""
    rng = np.random.default_rng(28)
    x, gates = rng.normal(size=(3, 5, 2)), 4 if kind == "lstm" else 1
    weights = dict(kernel=rng.normal(0, 0.6, (2, 2 * gates)),
                   recurrent_kernel=rng.normal(0, 0.6, (2, 2 * gates)),
                   bias=rng.normal(0, 0.6, 2 * gates))
    forward = getattr(ref, f"{kind}_forward")
    out = forward(x, **weights)
    assert out.shape == (3, 2)
    dout = rng.normal(size=(3, 2))
    dx, dkernel, drecurrent, dbias = getattr(ref, f"{kind}_backward")(x, **weights, dout=dout)
    assert_backward_matches(
        lambda **kw: forward(**kw, return_sequences=False), dict(x=x, **weights),
        dict(x=dx, kernel=dkernel, recurrent_kernel=drecurrent, bias=dbias), dout)
    if kind == "simple_rnn":
        h = np.zeros((3, 2))
        for t in range(5):
            h = np.tanh(x[:, t] @ weights["kernel"] + h @ weights["recurrent_kernel"]
                        + weights["bias"])
        np.testing.assert_allclose(out, h, rtol=1e-12)


def test_refusals_of_the_layers_and_the_backward_pass_are_whole_lines():
    """What a user reads: the exact line, not a substring of it."""
    x = np.zeros((1, 3, 3, 1))
    with pytest.raises(ValueError) as refusal:
        ref.conv2d_forward(x, np.zeros((2, 2, 1, 1)), np.zeros(1), 1, "full")
    assert str(refusal.value) == "padding must be 'valid' or 'same', not 'full'"
    weights, x, y = mlp_problem("categorical_crossentropy")
    with pytest.raises(ValueError) as refusal:
        ref.mlp_loss_and_grads(weights, ("step", "relu", "softmax"), x, y)
    assert str(refusal.value) == "'step' is forward-only: its gradient is 0 wherever it exists"
    with pytest.raises(ValueError) as refusal:
        ref.mlp_loss_and_grads(weights, ("tanh", "relu", "linear"), x, y,
                               loss="mean_squared_error", from_logits=True)
    assert str(refusal.value) == "from_logits is for the cross-entropies, not 'mean_squared_error'"


def test_the_tests_importing_tensorflow_are_marked_and_only_they():
    """tools/mutation.sh runs this file's `not tensorflow` tests first, then the `tensorflow`
    ones: a test that imports TensorFlow or Keras must carry the marker (or every NumPy-killed
    mutant would start TensorFlow), and a NumPy test must not (or it would run only after)."""
    import ast
    import inspect
    import sys

    module = sys.modules[__name__]
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            imports = {alias.name.split(".")[0] for n in ast.walk(node)
                       if isinstance(n, (ast.Import, ast.ImportFrom))
                       for alias in (n.names if isinstance(n, ast.Import) else
                                     [ast.alias(n.module or "")])}
            marks = {m.name for m in getattr(getattr(module, node.name), "pytestmark", [])}
            assert ("tensorflow" in marks) == bool(imports & {"tensorflow", "keras"}), node.name


# --- a graph of layers: merges and the sum of gradients over a layer's users --------------------


@pytest.mark.parametrize("kind", ["Add", "Multiply", "Concatenate"])
def test_merge_backward_matches_finite_differences(kind, rng):
    widths = (3, 3, 3) if kind != "Concatenate" else (2, 4, 1)
    inputs = [rng.normal(size=(5, w)) for w in widths]
    out = ref.merge_forward(kind, inputs)
    dout = rng.normal(size=out.shape)
    grads = ref.merge_backward(kind, inputs, dout)
    for k in range(len(inputs)):
        def f(v, k=k):
            return dout * ref.merge_forward(kind, inputs[:k] + [v] + inputs[k + 1:])
        np.testing.assert_allclose(grads[k], numeric_grad(f, inputs[k]), **FD, err_msg=str(k))


def _dense_node(kernel, bias, activation):
    """A Dense layer as a graph node: (forward, backward) over a one-element input list."""
    act, act_grad = ref.ACTIVATION_FUNCTIONS[activation], ref.ACTIVATION_GRADS[activation]

    def forward(ins):
        return act(ref.dense_forward(ins[0], kernel, bias))

    def backward(ins, d):
        dz = act_grad(ref.dense_forward(ins[0], kernel, bias), d)
        dx, dk, db = ref.dense_backward(ins[0], kernel, dz)
        return [dx], [dk, db]
    return forward, backward


def _merge_node(kind):
    return (lambda ins: ref.merge_forward(kind, ins),
            lambda ins, d: (ref.merge_backward(kind, ins, d), []))


def _graph_problem(rng, weights=None):
    """x (6, 4) -> 0: Dense(4, tanh) -> 1: Dense(4) -> 2: Add(1, x) (a residual) ->
    3: Concatenate(2, 0) -> 4: Dense(3); 5: Dense(3, sigmoid) of 2; 6: Multiply(4, 5)."""
    shapes = [(4, 4), (4,), (4, 4), (4,), (8, 3), (3,), (4, 3), (3,)]
    weights = weights or [rng.normal(size=s) * 0.7 for s in shapes]
    nodes = [_dense_node(weights[0], weights[1], "tanh"),
             _dense_node(weights[2], weights[3], "linear"), _merge_node("Add"),
             _merge_node("Concatenate"), _dense_node(weights[4], weights[5], "linear"),
             _dense_node(weights[6], weights[7], "sigmoid"), _merge_node("Multiply")]
    sources = [(-1,), (0,), (1, -1), (2, 0), (3,), (2,), (4, 5)]
    return nodes, sources, weights


def test_graph_backward_matches_finite_differences_for_the_input_and_every_weight(rng):
    nodes, sources, weights = _graph_problem(rng)
    order = (0, 1, 2, 3, 5, 4, 6)  # any order with each layer after its inputs
    x = rng.normal(size=(6, 4))
    dout = rng.normal(size=(6, 3))

    def run(x, weights):
        ns, _, _ = _graph_problem(rng, weights)
        return ref.graph_forward([f for f, _ in ns], sources, order, x)[6]

    values = ref.graph_forward([f for f, _ in nodes], sources, order, x)
    dx, wgrads = ref.graph_backward([b for _, b in nodes], sources, order, values, 6, dout)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: dout * run(v, weights), x), **FD)
    owners = {0: 0, 1: 0, 2: 1, 3: 1, 4: 4, 5: 4, 6: 5, 7: 5}  # weight -> its layer
    for k, w in enumerate(weights):
        def f(v, k=k):
            return dout * run(x, weights[:k] + [v] + weights[k + 1:])
        grad = wgrads[owners[k]][k % 2]
        np.testing.assert_allclose(grad, numeric_grad(f, w), **FD, err_msg=f"weight {k}")


def test_a_residual_add_sends_its_input_the_sum_of_both_paths(rng):
    """`y = x W + x`: dx = dout W.T (through the Dense) + dout (along the shortcut)."""
    kernel, bias = rng.normal(size=(3, 3)), np.zeros(3)
    nodes = [_dense_node(kernel, bias, "linear"), _merge_node("Add")]
    sources, order = [(-1,), (0, -1)], (0, 1)
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    values = ref.graph_forward([f for f, _ in nodes], sources, order, x)
    dx, _ = ref.graph_backward([b for _, b in nodes], sources, order, values, 1, dout)
    np.testing.assert_allclose(dx, dout @ kernel.T + dout, rtol=1e-12)
