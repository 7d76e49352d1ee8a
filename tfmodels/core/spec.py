"""One model description that both tracks build from.

A `ModelSpec` says everything a model is: its layers (`Dense`, `Conv2D`, `MaxPooling2D`,
`AveragePooling2D`, `Flatten`, `Reshape`, `Dropout`, `BatchNormalization`, `LSTM`, `SimpleRNN`,
`DepthwiseConv2D`, `SeparableConv2D`, `GlobalAveragePooling2D`, `Activation`, `ZeroPadding2D`,
`LayerNormalization`, `Embedding`, `GRU`, named and parametrised as in Keras:
`tfmodels.core.layers`), its loss, its optimizer with every
hyper-parameter spelled out, its metrics, how it is trained (batch size, epochs, seed) and on
which data set.
Its layers are a chain (a plain list, as `keras.Sequential`) or a graph: each layer may name
the layers it takes, merged by `Add`, `Concatenate` or `Multiply` (`tfmodels.core.graph`).
`tfmodels.keras_track.model.build_model` turns it into a Keras 3 `Sequential` (a chain) or a
functional `keras.Model` (a graph); `tf1_compat.model.build_model` turns it into a TF1 graph.
Neither track adds a number of its own: defaults live here, and they are Keras's defaults."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from tfmodels.core.checks import (
    check_float32,
    check_path_name,
    check_regular_file,
    check_seed,
    check_weight_count,
    no_duplicate_keys,
    positive_int,
)
from tfmodels.core.errors import UserError
from tfmodels.core.graph import INPUT, Wiring, wire
from tfmodels.core.keras_configs import check_layer_config, check_loss, check_optimizer
from tfmodels.core.keras_graphs import read_graph
from tfmodels.core.layers import (  # the layer kinds are part of the spec's API: __all__
    ACTIVATIONS,
    GRU,
    LAYER_KINDS,
    LSTM,
    Activation,
    Add,
    AveragePooling2D,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling2D,
    Layer,
    LayerNormalization,
    MaxPooling2D,
    Multiply,
    Reshape,
    SeparableConv2D,
    SimpleRNN,
    Weight,
    ZeroPadding2D,
    layer_from_dict,
    one_of,
)

__all__ = [
    "ACTIVATIONS", "LAYER_KINDS", "Layer", "Weight", "Dense", "Conv2D", "MaxPooling2D",
    "AveragePooling2D", "Flatten", "Reshape", "Dropout", "BatchNormalization", "SimpleRNN", "LSTM",
    "layer_from_dict", "one_of", "TRACKS", "LOSSES", "METRICS", "CLASSIFIER_OUTPUTS",
    "OPTIMIZER_DEFAULTS", "LOSS_RTOL", "WEIGHT_ATOL", "PREDICTION_ATOL", "OptimizerSpec",
    "ModelSpec", "initial_weights", "ACTIVATION_LAYERS", "DepthwiseConv2D", "SeparableConv2D",
    "GlobalAveragePooling2D", "Activation", "ZeroPadding2D", "LayerNormalization", "Embedding",
    "GRU", "Add", "Concatenate", "Multiply", "INPUT", "Wiring",
]

# The two tracks that build a spec: `tfmodels.keras_track` and `tf1_compat`.
TRACKS = ("keras", "tf1")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
          "mean_squared_error", "mean_absolute_error")
METRICS = ("accuracy", "sparse_categorical_accuracy", "mae", "mse")
# Losses on class probabilities, and the output activation each expects (with `from_logits`,
# a linear output instead).
CLASSIFIER_OUTPUTS = {"categorical_crossentropy": "softmax",
                      "sparse_categorical_crossentropy": "softmax",
                      "binary_crossentropy": "sigmoid"}

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


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer by its Keras name, with every hyper-parameter resolved to a number."""

    name: str = "rmsprop"
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        one_of("optimizer", self.name, OPTIMIZER_DEFAULTS)
        defaults = OPTIMIZER_DEFAULTS[self.name]
        unknown = set(self.params) - set(defaults)
        if unknown:
            raise UserError(
                f"unknown {self.name} hyper-parameter(s) {sorted(unknown)}; "
                f"expected some of: {', '.join(defaults)}"
            )
        # Frozen dataclass: fill in the defaults once, so every reader sees the full set.
        object.__setattr__(self, "params", {**defaults, **self.params})
        for name, value in self.params.items():
            if name in ("nesterov", "centered"):
                if not isinstance(value, bool):
                    raise UserError(f"{name} must be true or false, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise UserError(f"{name} must be a number, got {value!r}")
        for name, value in self.params.items():  # a huge int as the float it is (or inf)
            if not isinstance(value, bool) and isinstance(value, int) and abs(value) >= 2**63:
                self.params[name] = float(value) if abs(value) < 2**1023 else float("inf")
        lr = self.params["learning_rate"]
        if not (np.isfinite(lr) and lr > 0):  # inf or NaN would train to NaN at the first step
            raise UserError(f"learning_rate must be > 0 and finite, got {lr!r}")
        check_float32("learning_rate", lr)  # 1e-50 is 0 in float32: nothing would train
        for name in ("momentum", "rho", "beta_1", "beta_2"):
            value = self.params.get(name, 0.0)
            if not 0.0 <= value < 1.0:
                raise UserError(f"{name} must be in [0, 1), got {value!r}")
        for name in ("epsilon", "initial_accumulator_value"):
            value = self.params.get(name, 0.0)
            if not value >= 0.0:
                raise UserError(f"{name} must be >= 0, got {value!r}")
            if not np.isfinite(value):
                raise UserError(f"{name} must be finite, got {value!r}")
            check_float32(name, value)

    @property
    def learning_rate(self) -> float:
        return self.params["learning_rate"]

    def float32_params(self) -> dict:
        """The hyper-parameters as a Keras optimizer is built from them: each float rounded to
        float32 once, up front (`tfmodels.keras_track.optimizers.make_optimizer` says why);
        the Keras 2 side of `verify_keras2` builds its tf_keras optimizer from the same."""
        return {k: float(np.float32(v)) if isinstance(v, float) else v
                for k, v in self.params.items()}


@dataclass(frozen=True)
class ModelSpec:
    """A whole model: architecture, loss, optimizer, metrics, training settings and data.

    `input_shape` is one sample's shape (no batch axis); `input_dim=n` is short for
    `input_shape=(n,)`. `from_logits=True` puts a classifier's softmax or sigmoid into the loss
    (the last layer is then linear), as Keras's losses take it. `names`, `inputs_of` and
    `outputs` make the layers a graph (`tfmodels.core.graph.wire`: each layer's own name and the
    names of the layers it takes, None for the default; the output layer's name); all None, the
    layers are a chain. `inputs={"image": (8, 8, 1), "extra": (1,)}` instead of `input_shape`
    gives a graph several named inputs, which its layers take by name; its data is then a dict
    of arrays by those names (`tfmodels.core.inputs`).
    """

    name: str
    layers: tuple
    loss: str
    optimizer: OptimizerSpec
    dataset: str
    input_dim: int | None = None
    metrics: tuple = ()
    batch_size: int = 32
    epochs: int = 1
    seed: int = 0
    description: str = ""
    input_shape: tuple | None = None
    from_logits: bool = False
    # A graph of layers (`tfmodels.core.graph`): each layer's own name and the names of the
    # layers it takes (None: the default), the output layer's name. All None: a chain.
    names: tuple | None = None
    inputs_of: tuple | None = None
    outputs: tuple | None = None
    # Several named inputs, `{"image": (8, 8, 1), "extra": (1,)}` (kept as `(name, shape)`
    # pairs); the layers take them by name. None: the one input `input_shape`, named "input".
    inputs: tuple | None = None

    def __post_init__(self):
        check_path_name(self.name)  # the name of its log folder
        if not self.layers:
            raise UserError(f"model {self.name!r} has no layers")
        object.__setattr__(self, "layers", tuple(self.layers))
        if self.inputs is not None:
            self._named_inputs()
        if self.input_shape is None:
            if self.input_dim is None:
                raise UserError(f"model {self.name!r} needs input_shape (or input_dim)")
            object.__setattr__(self, "input_shape", (self.input_dim,))
        shape = tuple(self.input_shape) if isinstance(self.input_shape, (list, tuple)) else ()
        if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                for v in shape):
            raise UserError(f"input_shape must be a list of positive integers, got "
                            f"{self.input_shape!r}")
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "input_dim", int(np.prod(shape)))
        one_of("loss", self.loss, LOSSES)
        for m in self.metrics:
            one_of("metric", m, METRICS)
        object.__setattr__(self, "batch_size", positive_int("batch_size", self.batch_size))
        object.__setattr__(self, "epochs", positive_int("epochs", self.epochs))
        check_seed("seed", self.seed)
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise UserError(f"layer {i} is not a layer spec: {layer!r}")
            if layer.kind == "Embedding" and i:  # its ids are the model's inputs
                raise UserError(f"layer {i} (Embedding) must be the model's first layer: it "
                                f"looks up the input token ids")
            if getattr(layer, "activation", None) == "step":
                raise UserError(f"layer {i} ({layer.kind}) uses activation 'step', which has "
                                f"no gradient: nothing before or in it could train; use "
                                f"'sigmoid' or 'relu'")
        for name in ("names", "inputs_of", "outputs"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(
                    tuple(v) if isinstance(v, list) else v for v in value))
        object.__setattr__(self, "_wiring", wire(
            self.layers, self.names, self.inputs_of, self.outputs,
            None if self.inputs is None else tuple(n for n, _ in self.inputs)))
        shapes = self.layer_shapes()  # one line where a layer does not fit its input
        self._check_output(shapes[self.wiring.output])
        for i, (layer, ws) in enumerate(zip(self.layers, self.layer_weights())):
            for w in ws:  # each must be allocatable: units=10**12 is refused here, not in NumPy
                check_weight_count(f"layer {i} ({layer.kind})", w.name, w.shape)

    def _named_inputs(self) -> None:
        """Check `inputs` (name -> one sample's shape) and keep it as `(name, shape)` pairs;
        `input_shape` becomes the first input's shape (what single-input readers see)."""
        given = self.inputs
        pairs = list(given.items()) if isinstance(given, dict) else given
        if not isinstance(pairs, (list, tuple)) or len(pairs) < 2 or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise UserError(f"inputs must name two or more inputs with their shapes, "
                            f'{{"image": [8, 8, 1], "extra": [1]}}, got {given!r}')
        checked = []
        for name, shape in pairs:
            if not isinstance(name, str) or not name.strip() or "/" in name:
                raise UserError(f"inputs: an input's name must be a non-empty string without "
                                f"'/', got {name!r}")
            shape = tuple(shape) if isinstance(shape, (list, tuple)) else ()
            if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                    for v in shape):
                raise UserError(f"inputs: input {name!r} shape must be a list of positive "
                                f"integers, got {dict(pairs)[name]!r}")
            checked.append((name, shape))
        first = checked[0][1] if checked else None
        if (self.input_shape is not None and tuple(self.input_shape) != first) or \
                (self.input_dim is not None and self.input_dim != int(np.prod(first))):
            raise UserError(f"model {self.name!r} gives both inputs and input_shape (or "
                            f"input_dim); expected one of them")
        if len({n for n, _ in checked}) != len(checked):
            raise UserError(f"inputs: two inputs of one name in {[n for n, _ in checked]}")
        if any(layer.kind == "Embedding" for layer in self.layers):
            raise UserError(f"model {self.name!r}: an Embedding in a model of several inputs "
                            f"is not supported; expected one input of token ids")
        object.__setattr__(self, "inputs", tuple(checked))
        object.__setattr__(self, "input_shape", checked[0][1])

    @property
    def input_names(self) -> tuple:
        """The model's inputs by name: `("input",)` for one, else the keys of `inputs`."""
        return self.wiring.input_names

    @property
    def input_shapes_by_name(self) -> dict:
        """`{name: one sample's shape}` of every input (`{"input": input_shape}` for one)."""
        return dict(self.inputs) if self.inputs else {INPUT: tuple(self.input_shape)}

    @property
    def several_inputs(self) -> bool:
        return self.inputs is not None

    def source_shape(self, j: int, shapes: list) -> tuple:
        """The shape source `j` gives: layer j's output, or an input's (j < 0)."""
        if j >= 0:
            return shapes[j]
        return self.input_shapes_by_name[self.wiring.input_names[-j - 1]]

    @property
    def wiring(self) -> Wiring:
        """How the layers are connected: a chain, or the graph the spec names."""
        return self._wiring

    def layer_name(self, index: int) -> str:
        """Layer `index`'s name in both tracks: its own in a graph spec, else `<prefix>_<index>`
        (`dense_0`, `conv2d_1`, ...), a TF1 `variable_scope` and a Keras layer name alike."""
        return self.wiring.names[index]

    def _check_output(self, out: tuple) -> None:
        last = self.layers[self.wiring.output]
        activation = getattr(last, "activation", None)
        where = f"the output layer ({last.kind}, output {out})"
        if self.loss in CLASSIFIER_OUTPUTS:
            expected = "linear" if self.from_logits else CLASSIFIER_OUTPUTS[self.loss]
            if activation != expected:
                logits = " with from_logits" if self.from_logits else ""
                raise UserError(f"{self.loss}{logits} expects a {expected} output layer; "
                                f"{where} has activation {activation!r}")
            if self.loss == "binary_crossentropy" and out[-1] != 1:
                raise UserError(f"binary_crossentropy expects a 1-unit output layer; {where}")
        elif self.from_logits:
            raise UserError(f"from_logits applies to cross-entropy losses, not {self.loss}")
        if len(out) != 1:
            raise UserError(f"{where} must give one vector per sample; add a Flatten (or an "
                            f"LSTM without return_sequences) before it")
        if "accuracy" in self.metrics and self.loss not in ("categorical_crossentropy",
                                                            "binary_crossentropy"):
            raise UserError(f"metric 'accuracy' needs categorical or binary cross-entropy, "
                            f"not {self.loss}; use 'sparse_categorical_accuracy' or 'mae'")
        if "sparse_categorical_accuracy" in self.metrics and \
                self.loss != "sparse_categorical_crossentropy":
            raise UserError("metric 'sparse_categorical_accuracy' needs the loss "
                            "sparse_categorical_crossentropy")

    @property
    def output_dim(self) -> int:
        return self.layer_shapes()[self.wiring.output][-1]

    @property
    def sparse_labels(self) -> bool:
        """Labels are class numbers, not one-hot rows."""
        return self.loss == "sparse_categorical_crossentropy"

    @property
    def label_shape(self) -> tuple:
        """One sample's label: `()` for class numbers, `(output_dim,)` otherwise."""
        return () if self.sparse_labels else (self.output_dim,)

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed (and validated again)."""
        if "input_dim" in changes and "input_shape" not in changes:
            changes["input_shape"] = None
        return dataclasses.replace(self, **changes)

    def layer_shapes(self) -> list[tuple]:
        """Each layer's output shape (no batch axis); one line where a layer cannot take what
        the layer before gives it."""
        if not self.wiring.chain:
            return self._graph_shapes()
        shapes, shape = [], self.input_shape
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.output_shape(shape)
            except ValueError as e:
                before = f"layer {i - 1} ({self.layers[i - 1].kind})" if i else "the input"
                raise UserError(f"layer {i} ({layer.kind}) does not fit what {before} gives: "
                                f"{e}") from None
            shapes.append(tuple(shape))
        return shapes

    def _graph_shapes(self) -> list[tuple]:
        """`layer_shapes` of a graph spec: each layer after its inputs."""
        wiring, shapes = self.wiring, [None] * len(self.layers)
        for i in wiring.order:
            layer = self.layers[i]
            ins = [self.source_shape(j, shapes) for j in wiring.sources[i]]
            try:
                shape = layer.merged_shape(ins) if layer.merge else layer.output_shape(ins[0])
            except ValueError as e:
                give = "gives" if len(ins) == 1 else "give"
                raise UserError(f"layer {wiring.names[i]!r} ({layer.kind}) does not fit what "
                                f"{wiring.describe(wiring.sources[i])} {give}: {e}") from None
            shapes[i] = tuple(shape)
        return shapes

    def input_shapes(self) -> list[tuple]:
        """The shape each layer takes (its first input's: a merge's are alike)."""
        shapes = self.layer_shapes()
        return [self.source_shape(srcs[0], shapes) for srcs in self.wiring.sources]

    def layer_weights(self) -> list[list[Weight]]:
        """Each layer's weights, in Keras's order."""
        return [layer.weights(shape) for layer, shape in zip(self.layers, self.input_shapes())]

    def weight_names(self) -> list[str]:
        """Each weight's name in Keras's `get_weights()` order: `dense_0/kernel`, ...,
        `batch_normalization_1/moving_mean`, `lstm_2/recurrent_kernel` (TF1's where it keeps
        the same array, e.g. `dense_0/kernel`)."""
        return [f"{self.layer_name(i)}{w.owner}/{w.name}"
                for i, (layer, ws) in enumerate(zip(self.layers, self.layer_weights()))
                for w in ws]

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Shapes in Keras's `get_weights()` order: kernel, bias, kernel, bias, ..."""
        return [w.shape for ws in self.layer_weights() for w in ws]

    def to_dict(self) -> dict:
        """The spec as plain data, the vocabulary of a `--spec` file."""
        graph = {} if self.outputs is None else {"outputs": list(self.outputs)}
        given = ({"input_shape": list(self.input_shape)} if self.inputs is None else
                 {"inputs": {name: list(shape) for name, shape in self.inputs}})
        return {"name": self.name, **given,
                "layers": self.layer_dicts(), **graph, "loss": self.loss,
                "from_logits": self.from_logits,
                "optimizer": {"name": self.optimizer.name, **self.optimizer.params},
                "metrics": list(self.metrics), "dataset": self.dataset,
                "batch_size": self.batch_size, "epochs": self.epochs, "seed": self.seed,
                "description": self.description}

    def layer_dicts(self) -> list[dict]:
        """Each layer as plain data; in a graph spec with its own `name` and `inputs` where it
        has them (`{"kind": "Add", "name": "skip", "inputs": ["conv2d_1", "input"]}`)."""
        dicts = []
        for i, layer in enumerate(self.layers):
            d = layer.to_dict()
            wiring = {}
            if self.names is not None and self.names[i] is not None:
                wiring["name"] = self.names[i]
            if self.inputs_of is not None and self.inputs_of[i] is not None:
                wiring["inputs"] = list(self.inputs_of[i])
            dicts.append({"kind": d.pop("kind"), **wiring, **d})
        return dicts

    @classmethod
    def _graph_fields(cls, layers: list, where: str) -> tuple[list, dict]:
        """A spec file's layer objects without their `name` and `inputs`, and those as the
        spec's `names` and `inputs_of` (left out where no layer has them: a chain)."""
        plain, names, inputs = [], [], []
        for layer in layers:
            if isinstance(layer, dict):
                layer = dict(layer)
                names.append(layer.pop("name", None))
                given = layer.pop("inputs", None)
                inputs.append(tuple(given) if isinstance(given, list) else given)
            else:
                names.append(None)
                inputs.append(None)
            plain.append(layer)
        fields = {}
        if any(n is not None for n in names):
            fields["names"] = tuple(names)
        if any(g is not None for g in inputs):
            fields["inputs_of"] = tuple(inputs)
        return plain, fields

    @classmethod
    def from_dict(cls, d: dict, where: str = "spec") -> ModelSpec:
        """A spec from plain data (a JSON file's); one line naming the field that is wrong."""
        if not isinstance(d, dict):
            raise UserError(f"{where}: expected an object of fields, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"names", "inputs_of"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise UserError(f"{where}: unknown field(s) {unknown}; expected some of: "
                            f"{', '.join(sorted(known - {'input_dim'}))}")
        for name in ("name", "layers", "loss", "dataset"):
            if name not in d:
                raise UserError(f"{where}: missing field {name!r}")
        if not isinstance(d["layers"], list) or not d["layers"]:
            raise UserError(f"{where}: 'layers' must be a non-empty list of layer objects")
        fields = dict(d)
        plain, graph = cls._graph_fields(d["layers"], where)
        fields.update(graph)
        fields["layers"] = tuple(layer_from_dict(layer, f"{where}: layers[{i}]")
                                 for i, layer in enumerate(plain))
        if isinstance(fields.get("outputs"), list):
            fields["outputs"] = tuple(fields["outputs"])
        optimizer = d.get("optimizer", {"name": "rmsprop"})
        if isinstance(optimizer, str):
            optimizer = {"name": optimizer}
        if not isinstance(optimizer, dict):
            raise UserError(f"{where}: 'optimizer' must be a name or an object, got "
                            f"{optimizer!r}")
        try:
            fields["optimizer"] = OptimizerSpec(optimizer.get("name", "rmsprop"),
                                                {k: v for k, v in optimizer.items()
                                                 if k != "name"})
        except ValueError as e:
            raise UserError(f"{where}: optimizer: {e}") from None
        if "metrics" in fields:
            if not isinstance(fields["metrics"], (list, tuple)):
                raise UserError(f"{where}: metrics must be a list of names, got "
                                f"{fields['metrics']!r}")
            fields["metrics"] = tuple(fields["metrics"])
        if "input_shape" in fields and isinstance(fields["input_shape"], list):
            fields["input_shape"] = tuple(fields["input_shape"])
        if "inputs" in fields and ("input_shape" in fields or "input_dim" in fields):
            raise UserError(f"{where}: model {d['name']!r} gives both inputs and input_shape "
                            f"(or input_dim); expected one of them")
        if "inputs" in fields and not isinstance(fields["inputs"], dict):
            raise UserError(f"{where}: inputs must be an object of input names and shapes, "
                            f'{{"image": [8, 8, 1], "extra": [1]}}, got {fields["inputs"]!r}')
        try:
            return cls(**fields)
        except (TypeError, ValueError) as e:
            raise UserError(f"{where}: {e}") from None


    @classmethod
    def from_file(cls, path: str) -> ModelSpec:
        """A spec from a JSON (or, on Python 3.11+, TOML) file in the vocabulary of `to_dict`:

            {"name": "my_cnn", "dataset": "digits", "input_shape": [8, 8, 1],
             "layers": [{"kind": "Conv2D", "filters": 8, "kernel_size": 3, "activation": "relu"},
                        {"kind": "Flatten"}, {"kind": "Dense", "units": 10,
                        "activation": "softmax"}],
             "loss": "categorical_crossentropy", "optimizer": {"name": "adam"},
             "metrics": ["accuracy"], "epochs": 3}

        Every mistake is one line naming the file and the field.
        """
        import json

        check_regular_file(path, "spec file")  # a FIFO would be waited on forever
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise UserError(f"spec file {path}: cannot read it ({e.strerror or e})") from None
        if path.endswith(".toml"):
            try:
                import tomllib
            except ImportError:  # Python 3.10
                raise UserError(f"spec file {path}: TOML needs Python 3.11 or newer; write the "
                                f"spec as JSON") from None
            try:
                data = tomllib.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise UserError(f"spec file {path}: not valid TOML ({e})") from None
        else:
            try:
                data = json.loads(raw.decode("utf-8"),
                                  object_pairs_hook=no_duplicate_keys(f"spec file {path}"))
            except UnicodeDecodeError:
                raise UserError(f"spec file {path}: not a text file") from None
            except json.JSONDecodeError as e:
                raise UserError(f"spec file {path}: not valid JSON ({e.msg} at line {e.lineno}, "
                                f"column {e.colno})") from None
        return cls.from_dict(data, where=f"spec file {path}")

    @classmethod
    def from_keras(cls, model, *, dataset: str, name: str | None = None, batch_size: int = 32,
                   epochs: int = 1, seed: int = 0) -> ModelSpec:
        """The spec of a user's own compiled `keras.Sequential` of the spec's layer kinds, so
        that `compare` can build its TF1 twin (anything else is refused by name).

        Reads the layers' configs and `get_compile_config()` (loss, optimizer, metrics). An
        activation layer (`LeakyReLU`, `Activation`) right after a linear Dense or Conv2D becomes
        that layer's activation. Every constructor argument the spec does not carry must be
        Keras's default, and every object exactly Keras's class (`tfmodels.core.keras_configs`):
        anything else is a different model, refused by layer and argument name.

        A functional model (`keras.Model(inputs, outputs)`: one output) becomes a graph spec
        (`tfmodels.core.graph`) with its layers' names and wiring
        (`tfmodels.core.keras_graphs`); an activation layer joins the layer before it only
        where it alone takes that layer's output. Several `keras.Input`s become the spec's
        named `inputs`, by their Keras names.
        """
        import keras

        graph = read_graph(model)
        if type(model) is not keras.Sequential and graph is None:
            raise UserError(f"{type(model).__qualname__} is neither keras.Sequential nor a "
                            f"functional keras.Model itself: a subclass's maths is not carried "
                            f"by the spec")
        layers, names, joined = [], [], {}
        for layer in model.layers:
            kind, config = type(layer).__name__, layer.get_config()
            where = f"layer {layer.name!r} ({kind})"
            if graph is not None and layer.name in graph.inputs:
                continue
            if kind in ACTIVATION_LAYERS and layers and \
                    getattr(layers[-1], "activation", None) == "linear" and \
                    (graph is None or graph.feeds_only(names[-1], layer.name)):
                check_layer_config(layer, {k: config[k] for k in ACTIVATION_LAYERS[kind]
                                           if k in config}, where)
                layers[-1] = _merged_activation(layers[-1], kind, config, where)
                joined[layer.name] = names[-1]
                continue
            if kind not in LAYER_KINDS:
                raise UserError(f"{where} has no spec kind; expected one of: "
                                f"{', '.join(LAYER_KINDS)}")
            fields = {f.name for f in dataclasses.fields(LAYER_KINDS[kind])}
            carried = {k: v for k, v in config.items() if k in fields}
            if kind == "LayerNormalization" and config.get("axis") in (-1, [-1], (-1,)):
                carried["axis"] = config["axis"]  # the last axis, as Keras keeps it once built
            check_layer_config(layer, carried, where)
            values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in config.items()
                      if k in fields}
            if "activation" in values and values["activation"] == "silu":
                values["activation"] = "swish"
            if kind == "Dropout" and values.get("seed") is None:
                values.pop("seed", None)
            layers.append(layer_from_dict({"kind": kind, **values}, where))
            names.append(layer.name)
        loss, from_logits, optimizer, metrics = _compiled_settings(model)
        wiring = {} if graph is None else _keras_wiring(graph, names, joined)
        if graph is not None and len(graph.inputs) > 1:  # several named inputs
            shapes = {"inputs": {n: tuple(t.shape[1:]) for n, t in
                                 zip(graph.inputs, model.inputs)}}
        else:
            shapes = {"input_shape": tuple(model.input_shape[1:])}
        return cls(name=name or model.name, layers=tuple(layers), loss=loss,
                   from_logits=from_logits, optimizer=optimizer, metrics=metrics,
                   dataset=dataset, **shapes,
                   batch_size=batch_size, epochs=epochs, seed=seed, **wiring)


def _compiled_settings(model) -> tuple:
    """`(loss, from_logits, optimizer, metrics)` of a compiled Keras model, as the spec carries
    them (`from_keras`); anything else refused by name."""
    compiled = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    if not compiled:
        raise UserError("the Keras model is not compiled: compile it with its loss and "
                        "optimizer first")
    if compiled.get("loss_weights") is not None:
        raise UserError(f"loss_weights={compiled['loss_weights']!r} is not carried by the "
                        f"spec (only None)")
    loss, from_logits = compiled.get("loss"), False
    if isinstance(loss, dict):  # a serialized Loss object: the object itself is checked
        loss, from_logits = check_loss(model.loss)
    if isinstance(compiled.get("optimizer"), dict):
        optimizer = OptimizerSpec(*check_optimizer(model.optimizer, OPTIMIZER_DEFAULTS))
    else:
        optimizer = OptimizerSpec(str(compiled.get("optimizer")).lower())
    metrics = tuple(m if isinstance(m, str) else m.get("config", {}).get("name")
                    for m in (compiled.get("metrics") or ()))
    return loss, from_logits, optimizer, metrics


def _keras_wiring(graph, names: list, joined: dict) -> dict:
    """A functional model's wiring as a graph spec's `names`, `inputs_of` and `outputs`: a
    layer joined into the one before it (an activation) answers by that layer's name, the
    model's input by `INPUT`."""
    several = len(graph.inputs) > 1  # several inputs keep their Keras names

    def spec_name(keras_name):
        if keras_name in graph.inputs:
            return keras_name if several else INPUT
        return joined.get(keras_name, keras_name)

    return {"names": tuple(names),
            "inputs_of": tuple(tuple(spec_name(s) for s in graph.sources[n]) for n in names),
            "outputs": (spec_name(graph.output),)}


# Keras's activation layers that become the activation of the linear layer before them, with the
# constructor arguments the spec carries of each.
ACTIVATION_LAYERS = {"LeakyReLU": ("negative_slope",), "Activation": ("activation",),
                     "Swish": ("beta", "trainable_beta"),
                     "RandomizedReLU": ("lower", "upper", "seed")}


def _merged_activation(layer, kind: str, config: dict, where: str):
    """`layer` with the activation of the Keras activation layer after it. A parameter `layer`
    does not carry (the newer kinds' fixed leaky ReLU slope and swish beta) must be its value."""
    values = _activation_fields(kind, config)
    fields = {f.name for f in dataclasses.fields(layer)}
    for name in [k for k in values if k not in fields]:
        if getattr(layer, name, None) != values[name]:
            fixed = getattr(layer, name, None)
            only = f" (only {fixed!r})" if fixed is not None else ""
            keras_name = "negative_slope" if name == "alpha" else name
            raise UserError(f"{where}: {keras_name}={values[name]!r} is not carried by the spec "
                            f"after a {layer.kind}{only}")
        del values[name]
    return dataclasses.replace(layer, **values)


def _activation_fields(kind: str, config: dict) -> dict:
    """The spec fields of an activation layer merged into the linear layer before it."""
    act = {"LeakyReLU": "leaky_relu", "Swish": "swish",
           "RandomizedReLU": "randomized_relu"}.get(kind, config.get("activation"))
    act = "swish" if act == "silu" else act  # Keras's name of swish with beta 1
    if kind == "LeakyReLU":
        return {"activation": act, "alpha": float(config.get("negative_slope", 0.2))}
    if kind == "Swish":
        return {"activation": act, "beta": float(config.get("beta", 1.0)),
                "trainable_beta": bool(config.get("trainable_beta", False))}
    if kind == "RandomizedReLU":
        return {"activation": act, "lower": config["lower"], "upper": config["upper"],
                "seed": config.get("seed")}
    return {"activation": act}


def _orthogonal(rng, shape) -> np.ndarray:
    """Keras's `Orthogonal` initializer, drawn in NumPy: the Q of a normal matrix's QR, signs
    fixed by R's diagonal, transposed where there are fewer rows than columns."""
    rows, cols = shape[0], int(np.prod(shape[1:]))
    a = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    return (q.T if rows < cols else q).reshape(shape)


def initial_weights(spec: ModelSpec) -> list[np.ndarray]:
    """The shared starting point of both tracks, drawn from `spec.seed`.

    Keras's defaults, in NumPy: Glorot-uniform kernels (uniform on ±sqrt(6 / (fan_in + fan_out)),
    fans as Keras counts them, a convolution's times its window), orthogonal recurrent kernels,
    zero biases (an LSTM's forget gate at one), batch norm's gamma and moving variance at one.
    Both tracks load these, so the same seed trains to the same numbers in either.
    """
    rng = np.random.default_rng(spec.seed)
    weights = []
    for w in (w for ws in spec.layer_weights() for w in ws):
        if w.init == "glorot_uniform":
            limit = np.sqrt(6.0 / sum(w.fans))
            value = rng.uniform(-limit, limit, w.shape)
        elif w.init == "orthogonal":
            value = _orthogonal(rng, w.shape)
        elif w.init == "unit_forget_bias":
            value = np.zeros(w.shape)
            units = w.shape[0] // 4
            value[units:2 * units] = 1.0  # Keras's gate order i, f, c, o
        elif w.init == "random_uniform":  # Keras's Embedding: RandomUniform(-0.05, 0.05)
            value = rng.uniform(-0.05, 0.05, w.shape)
        elif w.init == "constant":
            value = np.full(w.shape, w.value)
        else:
            value = np.ones(w.shape) if w.init == "ones" else np.zeros(w.shape)
        weights.append(value.astype(np.float32))
    return weights
