"""The models of the notes (CONCEPTS.md, C27), each described once as a `ModelSpec`."""

from __future__ import annotations

from tfmodels.core.data import DATASETS
from tfmodels.core.spec import LayerSpec, ModelSpec, OptimizerSpec

MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="mnist_mlp",
            description="Chollet: Dense(512, relu) -> Dense(10, softmax), rmsprop",
            layers=(LayerSpec(512, "relu"), LayerSpec(10, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("rmsprop"),
            metrics=("accuracy",),
            batch_size=128,
            epochs=5,
            dataset="digits",
            input_dim=DATASETS["digits"][0],
        ),
        ModelSpec(
            name="spiral",
            description="NNFS: 3-class spiral, Dense(64, relu) -> Dense(3, softmax), adam",
            layers=(LayerSpec(64, "relu"), LayerSpec(3, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.02}),
            metrics=("accuracy",),
            batch_size=32,
            epochs=30,
            dataset="spiral",
            input_dim=DATASETS["spiral"][0],
        ),
        ModelSpec(
            name="sine",
            description="NNFS: sine regression, 2 x Dense(64, relu) -> Dense(1), mse",
            layers=(LayerSpec(64, "relu"), LayerSpec(64, "relu"), LayerSpec(1, "linear")),
            loss="mean_squared_error",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.005}),
            metrics=("mae",),
            batch_size=32,
            epochs=20,
            dataset="sine",
            input_dim=DATASETS["sine"][0],
        ),
        ModelSpec(
            name="binary4",
            description="Dense(5, input_dim=4) -> Dense(3, relu) -> Dense(1, sigmoid), adam",
            layers=(LayerSpec(5, "linear"), LayerSpec(3, "relu"), LayerSpec(1, "sigmoid")),
            loss="binary_crossentropy",
            optimizer=OptimizerSpec("adam"),
            metrics=("accuracy",),
            batch_size=32,
            epochs=10,
            dataset="binary4",
            input_dim=DATASETS["binary4"][0],
        ),
    )
}

DEFAULT_MODEL = "mnist_mlp"


def get_spec(name: str, **overrides) -> ModelSpec:
    """The registered spec `name`, with any of its fields overridden (None means keep)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of: {', '.join(sorted(MODELS))}")
    spec = MODELS[name]
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "dataset" in changes:
        ds = changes["dataset"]
        if ds not in DATASETS:
            raise ValueError(
                f"unknown dataset {ds!r}; expected one of: {', '.join(sorted(DATASETS))}"
            )
        changes["input_dim"] = DATASETS[ds][0]
    return spec.replace(**changes) if changes else spec
