"""How closely the two tracks' optimizers agree: 50 steps of one small MLP, three ways.

    python scripts/08_optimizers.py          # prints the table of docs/optimizers.md

A 4-16-3 ReLU/softmax MLP is trained with categorical cross-entropy from the same weights on the
same 50 batches by the Keras optimizer from `tfmodels.keras_track.optimizers`, by the TF1 optimizer
from `tf1_compat.optimizers` (both `make_optimizer(spec)`), and by the NumPy reference. Each run is
judged by the loss on all the data at its final weights, computed in float64 by NumPy, so the
numbers compare the weights each optimizer reached, not how each library reports a loss."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from tfmodels.core import reference
from tfmodels.core.data import batch_indices, one_hot
from tfmodels.core.spec import Dense, ModelSpec, OptimizerSpec, initial_weights

__all__ = [
    "Pairing", "PAIRINGS", "rounded", "network", "problem", "keras_run", "tf1_run", "numpy_run",
    "loss_at", "Row", "measure", "parity_table",
]

INPUTS, LAYERS = 4, (Dense(16, "relu"), Dense(3, "softmax"))
SAMPLES, BATCH = 200, 20  # 10 steps an epoch


@dataclass(frozen=True)
class Pairing:
    """One row of the table: a spec, and how each track builds its optimizer from it.

    `keras`: "mapped" (`tfmodels.keras_track.optimizers.make_optimizer`), "fused" (the same with
    `fused=True`, as the Keras track builds it) or "tf1_like" (`make_optimizer`, then
    `start_like_tf1`). `tf1`: "mapped" (`tf1_compat.optimizers.make_optimizer` and `after_init`)
    or "stock" (TF1's own class at the spec's rate and TF1's defaults). `halve_every`: a
    learning-rate schedule halving the rate every so many steps, in both tracks.
    """

    label: str
    spec: OptimizerSpec
    keras: str = "mapped"
    tf1: str = "mapped"
    halve_every: int | None = None


def _o(name, **params):
    return OptimizerSpec(name, params)


PAIRINGS = (
    Pairing("gradient descent", _o("sgd", learning_rate=0.1)),
    Pairing("momentum", _o("sgd", learning_rate=0.05, momentum=0.9)),
    Pairing("Nesterov", _o("sgd", learning_rate=0.05, momentum=0.9, nesterov=True)),
    Pairing("momentum, lr halved every 10 steps",
            _o("sgd", learning_rate=0.05, momentum=0.9), halve_every=10),
    Pairing("Adagrad, epsilon 0 (TF1 kernel)", _o("adagrad", learning_rate=0.1, epsilon=0.0)),
    Pairing("Adagrad, epsilon 1e-7 (Keras form in TF1)", _o("adagrad", learning_rate=0.1)),
    Pairing("RMSProp", _o("rmsprop", learning_rate=0.01)),
    Pairing("RMSProp, momentum 0.5", _o("rmsprop", learning_rate=0.01, momentum=0.5)),
    Pairing("RMSProp, centered", _o("rmsprop", learning_rate=0.01, centered=True)),
    Pairing("RMSProp, fused kernel in Keras",
            _o("rmsprop", learning_rate=0.01), keras="fused"),
    Pairing("RMSProp, momentum 0.5, fused in Keras",
            _o("rmsprop", learning_rate=0.01, momentum=0.5), keras="fused"),
    Pairing("Adam", _o("adam", learning_rate=0.01)),
    Pairing("unmapped: stock TF1 RMSProp vs Keras RMSprop", _o("rmsprop", learning_rate=0.01),
            tf1="stock"),
    Pairing("stock TF1 RMSProp vs Keras made TF1-like",
            _o("rmsprop", learning_rate=0.01, epsilon=1e-10), keras="tf1_like", tf1="stock"),
    Pairing("stock TF1 Adam (beta^t by products) vs Keras",
            _o("adam", learning_rate=0.01, epsilon=1e-8), tf1="stock"),
)


def rounded(spec: OptimizerSpec) -> OptimizerSpec:
    """The spec with every float hyper-parameter made exact in float32.

    Both libraries pass some hyper-parameters through float32 even for float64 variables
    (TF1's `convert_to_tensor`, Keras's float32 learning-rate variable); values exact in float32
    make a float64 comparison see the optimizers, not that rounding.
    """
    return OptimizerSpec(spec.name, {k: float(np.float32(v)) if isinstance(v, float) else v
                                     for k, v in spec.params.items()})


def network(seed: int = 0) -> ModelSpec:
    """The measured network as a spec, for the tracks' builders (its optimizer is unused)."""
    return ModelSpec(name="parity", layers=LAYERS, loss="categorical_crossentropy",
                     optimizer=OptimizerSpec("sgd"), dataset="spiral", input_dim=INPUTS,
                     seed=seed)


def problem(seed: int = 0, steps: int = 50, dtype=np.float32):
    """Initial weights, all the data, and the sample indices of each of `steps` batches."""
    model = network(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, INPUTS))
    y = one_hot(np.argmax(x @ rng.normal(size=(INPUTS, 3)), axis=1), 3)
    batches = []
    for epoch in range(-(-steps // (SAMPLES // BATCH))):
        batches += batch_indices(SAMPLES, BATCH, epoch=epoch, seed=seed)
    weights = [w.astype(dtype) for w in initial_weights(model)]
    return weights, x.astype(dtype), y.astype(dtype), batches[:steps]


def _schedule(learning_rate, halve_every, step):
    return learning_rate * 0.5 ** (step // halve_every) if halve_every else learning_rate


def keras_run(pairing: Pairing, weights, x, y, batches) -> list[np.ndarray]:
    """The final weights after training with Keras's `train_on_batch`, one batch a step."""
    import keras

    from tfmodels.keras_track.model import build_layers
    from tfmodels.keras_track.optimizers import make_optimizer, start_like_tf1

    dtype = x.dtype.name
    model = keras.Sequential(build_layers(network(), dtype=dtype))
    model.set_weights(weights)
    lr = None
    if pairing.halve_every:
        lr = keras.optimizers.schedules.ExponentialDecay(
            pairing.spec.learning_rate, pairing.halve_every, 0.5, staircase=True)
    optimizer = make_optimizer(pairing.spec, learning_rate=lr, fused=pairing.keras == "fused")
    if pairing.keras == "tf1_like":
        start_like_tf1(optimizer, model.trainable_variables)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.CategoricalCrossentropy(dtype=dtype))
    for idx in batches:
        model.train_on_batch(x[idx], y[idx])
    return model.get_weights()


def _stock_tf1(spec: OptimizerSpec, learning_rate):
    import tensorflow as tf

    train = tf.compat.v1.train
    stock = {"sgd": train.MomentumOptimizer, "adagrad": train.AdagradOptimizer,
             "rmsprop": train.RMSPropOptimizer, "adam": train.AdamOptimizer}
    p = spec.params
    kwargs = {  # the spec's numbers in TF1's names; no `after_init`, so `rms` starts at ones
        "sgd": lambda: {"momentum": p["momentum"], "use_nesterov": p["nesterov"]},
        "adagrad": lambda: {"initial_accumulator_value": p["initial_accumulator_value"]},
        "rmsprop": lambda: {"decay": p["rho"], "momentum": p["momentum"],
                            "epsilon": p["epsilon"], "centered": p["centered"]},
        "adam": lambda: {"beta1": p["beta_1"], "beta2": p["beta_2"], "epsilon": p["epsilon"]},
    }[spec.name]()
    return stock[spec.name](learning_rate, **kwargs)


def tf1_run(pairing: Pairing, weights, x, y, batches) -> list[np.ndarray]:
    """The final weights after training a TF1 graph in a Session, one `feed_dict` a step."""
    import tensorflow as tf
    from tensorflow.python.util import deprecation

    from tf1_compat import losses
    from tf1_compat.model import build_layers
    from tf1_compat.optimizers import after_init, make_optimizer

    v1 = tf.compat.v1
    dtype = tf.as_dtype(x.dtype)
    graph = tf.Graph()
    with graph.as_default():
        xs = v1.placeholder(dtype, (None, INPUTS))
        ys = v1.placeholder(dtype, (None, LAYERS[-1].units))
        outputs, logits = build_layers(network(), xs)
        loss = losses.mean_loss(
            losses.per_sample_loss("categorical_crossentropy", ys, outputs, logits))
        variables = v1.trainable_variables()
        step = v1.train.get_or_create_global_step()
        lr = pairing.spec.learning_rate
        if pairing.halve_every:
            lr = v1.train.exponential_decay(lr, step, pairing.halve_every, 0.5, staircase=True)
        if pairing.tf1 == "stock":
            optimizer = _stock_tf1(pairing.spec, lr)
        else:
            optimizer = make_optimizer(pairing.spec, learning_rate=lr)
        # The stock Adagrad and RMSProp make their slots with an initializer argument TF itself
        # deprecated: a warning about TF's code, not this one's (tf1_compat's classes avoid it)
        with deprecation.silence() if pairing.tf1 == "stock" else contextlib.nullcontext():
            train_op = optimizer.minimize(loss, global_step=step, var_list=variables)
        init = [v1.global_variables_initializer()]
        if pairing.tf1 != "stock":
            init.append(after_init(optimizer, variables))
        init.append([v.assign(w) for v, w in zip(variables, weights)])
        with v1.Session(graph=graph) as session:
            for op in init:
                session.run(op)
            for idx in batches:
                session.run(train_op, {xs: x[idx], ys: y[idx]})
            return session.run(variables)


def numpy_run(pairing: Pairing, weights, x, y, batches, form: str = "keras"):
    """The final weights from `tfmodels.core.reference`: Keras's update, or with `form="tf1"` TF1's
    momentum update (the two differ under a schedule)."""
    spec = pairing.spec
    optimizer = reference.make_optimizer(spec)
    if form == "tf1" and spec.name == "sgd":
        optimizer = reference.MomentumTF1(**spec.params)
    optimizer.learning_rate = lambda step: _schedule(spec.learning_rate, pairing.halve_every,
                                                     step)
    activations = [layer.activation for layer in LAYERS]
    for idx in batches:
        _, grads = reference.mlp_loss_and_grads(weights, activations, x[idx], y[idx])
        weights = optimizer.apply(weights, grads)
    return weights


def loss_at(weights, x, y) -> float:
    """The mean cross-entropy on all the data at `weights`, in float64."""
    w64 = [np.asarray(w, np.float64) for w in weights]
    loss, _ = reference.mlp_loss_and_grads(w64, [ly.activation for ly in LAYERS],
                                           np.asarray(x, np.float64), np.asarray(y, np.float64))
    return float(loss)


@dataclass
class Row:
    label: str
    dtype: str
    loss_keras: float
    loss_tf1: float
    weight_diff: float  # largest |w_keras - w_tf1| after the last step

    @property
    def loss_rel(self) -> float:
        return abs(self.loss_keras - self.loss_tf1) / abs(self.loss_keras)


def measure(pairing: Pairing, dtype=np.float32, steps: int = 50, seed: int = 0) -> Row:
    if np.dtype(dtype) == np.float64:
        pairing = Pairing(pairing.label, rounded(pairing.spec), pairing.keras, pairing.tf1,
                          pairing.halve_every)
    weights, x, y, batches = problem(seed, steps, dtype)
    wk = keras_run(pairing, weights, x, y, batches)
    wt = tf1_run(pairing, weights, x, y, batches)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(wk, wt))
    return Row(pairing.label, np.dtype(dtype).name, loss_at(wk, x, y), loss_at(wt, x, y), diff)


def parity_table(rows) -> str:
    """The measured `Row`s as fixed-width text: docs/optimizers.md's table."""
    lines = [f"{'pairing':48s} {'dtype':8s} {'loss keras':>12s} {'loss rel.Δ':>11s} "
             f"{'max |ΔW|':>9s}"]
    for r in rows:
        lines.append(f"{r.label:48s} {r.dtype:8s} {r.loss_keras:12.8f} {r.loss_rel:11.1e} "
                     f"{r.weight_diff:9.1e}")
    return "\n".join(lines)
