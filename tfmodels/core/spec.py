"""One model description that both tracks build from.

A `ModelSpec` says everything a model is: its dense layers (units and activation), its loss, its
optimizer with every hyper-parameter spelled out, its metrics, how it is trained (batch size,
epochs, seed) and on which data set. `tfmodels.keras_track.model.build_model` turns it into a Keras
3 `Sequential`; `tf1_compat.model.build_model` turns it into a TF1 graph. Neither track adds a
number of its own: defaults live here, and they are Keras's defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

ACTIVATIONS = ("linear", "relu", "sigmoid", "softmax", "tanh")
LOSSES = ("categorical_crossentropy", "binary_crossentropy", "mean_squared_error")
METRICS = ("accuracy", "mae")

# Keras 3's defaults for each optimizer; a spec may override any of them. "sgd" is gradient
# descent, with `momentum` (and `nesterov`) when those are set. How each maps onto TF1's
# optimizers, and how closely: docs/optimizers.md.
OPTIMIZER_DEFAULTS = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop": {
        "learning_rate": 0.001,
        "rho": 0.9,
        "momentum": 0.0,
        "epsilon": 1e-7,
        "centered": False,
    },
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}

# Tolerances of the parity proof (float32). Both tracks run the same float32 kernels on the same
# batches; what is left are differences of rounding order (TF1's fused RMSProp/Adam kernels against
# Keras's separate ops, `sqrt` against `rsqrt`, one float32 `pow` against repeated products),
# each about 1 ulp (6e-8 relative) per step. Training amplifies them a little; 1e-5 leaves two
# orders of magnitude of room over what we measure (see README) and still catches any real
# difference in the maths, such as a changed epsilon or a perturbed weight.
LOSS_RTOL = 1e-5
WEIGHT_ATOL = 1e-5
PREDICTION_ATOL = 1e-5


def _one_of(kind: str, value: str, valid) -> str:
    if value not in valid:
        raise ValueError(f"unknown {kind} {value!r}; expected one of: {', '.join(sorted(valid))}")
    return value


@dataclass(frozen=True)
class LayerSpec:
    """A dense layer: `activation(x @ kernel + bias)` with `units` outputs."""

    units: int
    activation: str = "linear"

    def __post_init__(self):
        if not isinstance(self.units, int) or self.units < 1:
            raise ValueError(f"layer units must be a positive integer, got {self.units!r}")
        _one_of("activation", self.activation, ACTIVATIONS)


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by its Keras name, with every hyper-parameter resolved to a number."""

    name: str = "rmsprop"
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        _one_of("optimizer", self.name, OPTIMIZER_DEFAULTS)
        defaults = OPTIMIZER_DEFAULTS[self.name]
        unknown = set(self.params) - set(defaults)
        if unknown:
            raise ValueError(
                f"unknown {self.name} hyper-parameter(s) {sorted(unknown)}; "
                f"expected some of: {', '.join(defaults)}"
            )
        # Frozen dataclass: fill in the defaults once, so every reader sees the full set.
        object.__setattr__(self, "params", {**defaults, **self.params})
        if not self.params["learning_rate"] > 0:
            raise ValueError(
                f"learning_rate must be > 0, got {self.params['learning_rate']!r}"
            )
        for name in ("momentum", "rho", "beta_1", "beta_2"):
            value = self.params.get(name, 0.0)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        for name in ("epsilon", "initial_accumulator_value"):
            value = self.params.get(name, 0.0)
            if not value >= 0.0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")

    @property
    def learning_rate(self) -> float:
        return self.params["learning_rate"]


@dataclass(frozen=True)
class ModelSpec:
    """A whole model: architecture, loss, optimizer, metrics, training settings and data."""

    name: str
    layers: tuple
    loss: str
    optimizer: OptimizerSpec
    dataset: str
    input_dim: int
    metrics: tuple = ()
    batch_size: int = 32
    epochs: int = 1
    seed: int = 0
    description: str = ""

    def __post_init__(self):
        if not self.layers:
            raise ValueError(f"model {self.name!r} has no layers")
        _one_of("loss", self.loss, LOSSES)
        for m in self.metrics:
            _one_of("metric", m, METRICS)
        if "accuracy" in self.metrics and self.loss == "mean_squared_error":
            raise ValueError(
                "metric 'accuracy' needs a cross-entropy loss; use 'mae' for regression"
            )
        for label, value in (("batch_size", self.batch_size), ("epochs", self.epochs),
                             ("input_dim", self.input_dim)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        last = self.layers[-1].activation
        if self.loss == "categorical_crossentropy" and last != "softmax":
            raise ValueError("categorical_crossentropy expects a softmax output layer")
        if self.loss == "binary_crossentropy" and (last != "sigmoid" or self.layers[-1].units != 1):
            raise ValueError("binary_crossentropy expects a 1-unit sigmoid output layer")

    @property
    def output_dim(self) -> int:
        return self.layers[-1].units

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed (and validated again)."""
        return dataclasses.replace(self, **changes)

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Shapes in Keras's `get_weights()` order: kernel, bias, kernel, bias, ..."""
        shapes, fan_in = [], self.input_dim
        for layer in self.layers:
            shapes += [(fan_in, layer.units), (layer.units,)]
            fan_in = layer.units
        return shapes


def initial_weights(spec: ModelSpec) -> list[np.ndarray]:
    """The shared starting point of both tracks, drawn from `spec.seed`.

    Keras's defaults, in NumPy: Glorot-uniform kernels (uniform on ±sqrt(6 / (fan_in + fan_out)))
    and zero biases. Both tracks load these, so the same seed trains to the same numbers in either.
    """
    rng = np.random.default_rng(spec.seed)
    weights = []
    for kernel_shape, bias_shape in zip(*[iter(spec.weight_shapes())] * 2):
        limit = np.sqrt(6.0 / sum(kernel_shape))
        weights.append(rng.uniform(-limit, limit, kernel_shape).astype(np.float32))
        weights.append(np.zeros(bias_shape, np.float32))
    return weights
