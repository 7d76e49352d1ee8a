"""The models of the notes (CONCEPTS.md, C27), each described once as a `ModelSpec`."""

from __future__ import annotations

from tfmodels.core.data import DATASETS, TOKENS
from tfmodels.core.errors import UserError
from tfmodels.core.layers import one_of
from tfmodels.core.spec import (
    GRU,
    LSTM,
    Activation,
    Add,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
    ModelSpec,
    OptimizerSpec,
    SeparableConv2D,
)

__all__ = ["MODELS", "DEFAULT_MODEL", "get_spec", "override"]


def _graph(*entries) -> dict:
    """A graph spec's `layers` and `inputs_of` from its entries: a layer (which takes the one
    listed before it) or `(layer, [names of the layers it takes])`."""
    pairs = [e if isinstance(e, tuple) else (e, None) for e in entries]
    return {"layers": tuple(layer for layer, _ in pairs),
            "inputs_of": tuple(None if ins is None else tuple(ins) for _, ins in pairs)}


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="mnist_mlp",
            description="Chollet: Dense(512, relu) -> Dense(10, softmax), rmsprop",
            layers=(Dense(512, "relu"), Dense(10, "softmax")),
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
            layers=(Dense(64, "relu"), Dense(3, "softmax")),
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
            layers=(Dense(64, "relu"), Dense(64, "relu"), Dense(1, "linear")),
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
            layers=(Dense(5, "linear"), Dense(3, "relu"), Dense(1, "sigmoid")),
            loss="binary_crossentropy",
            optimizer=OptimizerSpec("adam"),
            metrics=("accuracy",),
            batch_size=32,
            epochs=10,
            dataset="binary4",
            input_dim=DATASETS["binary4"][0],
        ),
        ModelSpec(
            name="digits_cnn",
            description="the 8x8 digits as images: Conv2D(8, 3, same, relu) -> MaxPooling2D "
                        "-> Flatten -> Dropout(0.25) -> Dense(10, softmax), adam",
            layers=(Conv2D(8, (3, 3), padding="same", activation="relu"), MaxPooling2D((2, 2)),
                    Flatten(), Dropout(0.25), Dense(10, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.005}),
            metrics=("accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits",
            input_shape=(8, 8, 1),
        ),
        ModelSpec(
            name="digits_bn_mlp",
            description="Dense(64, relu) -> BatchNormalization -> Dense(10, softmax), sgd 0.05",
            layers=(Dense(64, "relu"), BatchNormalization(), Dense(10, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("sgd", {"learning_rate": 0.05}),
            metrics=("accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits",
            input_dim=DATASETS["digits"][0],
        ),
        ModelSpec(
            name="digits_lstm",
            description="the 8x8 digits read row by row: LSTM(32) over 8 steps of 8 pixels -> "
                        "Dense(10, softmax), sparse labels, adam",
            layers=(LSTM(32), Dense(10, "softmax")),
            loss="sparse_categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}),
            metrics=("sparse_categorical_accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits",
            input_shape=(8, 8),
        ),
        ModelSpec(
            name="spiral_leaky",
            description="the spiral with Leaky ReLU (slope 0.1): Dense(64) -> Dense(3, "
                        "softmax), adam",
            layers=(Dense(64, "leaky_relu", alpha=0.1), Dense(3, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.02}),
            metrics=("accuracy",),
            batch_size=32,
            epochs=15,
            dataset="spiral",
            input_dim=DATASETS["spiral"][0],
        ),
        ModelSpec(
            name="spiral_swish",
            description="the spiral with swish, its beta trained: Dense(64, swish) -> Dense(3) "
                        "on logits, adam",
            layers=(Dense(64, "swish", trainable_beta=True), Dense(3, "linear")),
            loss="categorical_crossentropy",
            from_logits=True,
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.02}),
            metrics=("accuracy",),
            batch_size=32,
            epochs=15,
            dataset="spiral",
            input_dim=DATASETS["spiral"][0],
        ),
        ModelSpec(
            name="spiral_rrelu",
            description="the spiral with randomized ReLU (slopes U(1/8, 1/3) while training, "
                        "the same draws in both tracks): Dense(64) -> Dense(3, softmax), adam",
            layers=(Dense(64, "randomized_relu"), Dense(3, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.02}),
            metrics=("accuracy",),
            batch_size=32,
            epochs=15,
            dataset="spiral",
            input_dim=DATASETS["spiral"][0],
        ),
        ModelSpec(
            name="digits_resnet",
            description="a small residual convnet on the 8x8 digits: Conv2D(8, relu) -> BN -> "
                        "[Conv2D(8, relu) -> BN] + identity -> [Conv2D(16, stride 2, relu) -> "
                        "BN] + Conv2D(16, 1x1, stride 2) projection -> Flatten -> "
                        "Dense(10, softmax), adam; BN momentum 0.9, so that its moving "
                        "statistics settle within the 92 steps of 4 epochs",
            **_graph(
                Conv2D(8, 3, padding="same", activation="relu"),            # conv2d_0
                BatchNormalization(momentum=0.9),                            # ..._1
                Conv2D(8, 3, padding="same", activation="relu"),            # conv2d_2
                BatchNormalization(momentum=0.9),                            # ..._3
                (Add(), ["batch_normalization_3", "batch_normalization_1"]),  # add_4: identity
                Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # conv2d_5
                BatchNormalization(momentum=0.9),                            # ..._6
                (Conv2D(16, 1, strides=2), ["add_4"]),                       # conv2d_7: 1x1
                (Add(), ["batch_normalization_6", "conv2d_7"]),              # add_8
                Flatten(),
                Dense(10, "softmax"),
            ),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.005}),
            metrics=("accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits",
            input_shape=(8, 8, 1),
        ),
        ModelSpec(
            name="digits_plus",
            description="two inputs: the 8x8 digit image through Conv2D(8, relu) -> Flatten, "
                        "and a noisy scalar that says whether the digit is 5 or more through "
                        "Dense(8, relu); Concatenate -> Dense(10, softmax), adam",
            inputs={"image": (8, 8, 1), "extra": (1,)},
            **_graph(
                (Conv2D(8, 3, activation="relu"), ["image"]),   # conv2d_0
                Flatten(),                                      # flatten_1
                (Dense(8, "relu"), ["extra"]),                  # dense_2
                (Concatenate(), ["flatten_1", "dense_2"]),      # concatenate_3
                Dense(10, "softmax"),                           # dense_4
            ),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.005}),
            metrics=("accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits_plus",
        ),
        ModelSpec(
            name="sine_l1",
            description="the sine model trained with L1 (mean absolute error) instead of L2",
            layers=(Dense(64, "relu"), Dense(64, "relu"), Dense(1, "linear")),
            loss="mean_absolute_error",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.005}),
            metrics=("mse",),
            batch_size=32,
            epochs=20,
            dataset="sine",
            input_dim=DATASETS["sine"][0],
        ),
        ModelSpec(
            name="digits_separable",
            description="MobileNet-style on the digits: SeparableConv2D(16, 3, same) -> "
                        "BatchNormalization -> relu -> DepthwiseConv2D(3, stride 2) -> "
                        "BatchNormalization -> relu -> SeparableConv2D(32, 3, same, relu) -> "
                        "GlobalAveragePooling2D -> Dense(10, softmax), adam. Batch norm's "
                        "momentum 0.9: its moving statistics must settle in 92 steps",
            layers=(SeparableConv2D(16, (3, 3), padding="same", use_bias=False),
                    BatchNormalization(momentum=0.9), Activation("relu"),
                    DepthwiseConv2D((3, 3), strides=(2, 2), padding="same", use_bias=False),
                    BatchNormalization(momentum=0.9), Activation("relu"),
                    SeparableConv2D(32, (3, 3), padding="same", activation="relu"),
                    GlobalAveragePooling2D(), Dense(10, "softmax")),
            loss="categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}),
            metrics=("accuracy",),
            batch_size=64,
            epochs=4,
            dataset="digits",
            input_shape=(8, 8, 1),
        ),
        ModelSpec(
            name="tiny_text",
            description="which of two marker tokens comes first: Embedding(10, 8) -> GRU(16) "
                        "-> Dense(2, softmax), sparse labels, adam",
            layers=(Embedding(TOKENS["vocabulary"], 8), GRU(16), Dense(2, "softmax")),
            loss="sparse_categorical_crossentropy",
            optimizer=OptimizerSpec("adam", {"learning_rate": 0.01}),
            metrics=("sparse_categorical_accuracy",),
            batch_size=32,
            epochs=4,
            dataset="tokens",
            input_shape=(TOKENS["steps"],),
        ),
    )
}

DEFAULT_MODEL = "mnist_mlp"


def get_spec(name: str, **overrides) -> ModelSpec:
    """The registered spec `name`, with any of its fields overridden (None means keep)."""
    if name not in MODELS:
        raise UserError(f"unknown model {name!r}; expected one of: {', '.join(sorted(MODELS))}")
    return override(MODELS[name], **overrides)


def override(spec: ModelSpec, **overrides) -> ModelSpec:
    """`spec` with some fields changed (None means keep). Another `dataset` brings its input
    size: a flat model takes its features, an image or sequence model its square side."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "dataset" in changes and spec.several_inputs:  # its inputs stay; `for_spec` checks
        one_of("dataset", changes["dataset"], DATASETS)
    elif "dataset" in changes:
        ds = changes["dataset"]
        if ds not in DATASETS:
            raise UserError(
                f"unknown dataset {ds!r}; expected one of: {', '.join(sorted(DATASETS))}"
            )
        changes["input_dim"] = DATASETS[ds][0]
        if len(spec.input_shape) > 1:  # images or sequences: the other data set's, reshaped
            side = int(round(DATASETS[ds][0] ** 0.5))
            changes["input_shape"] = (side, side, 1) if len(spec.input_shape) == 3 \
                else (side, side)
    return spec.replace(**changes) if changes else spec
