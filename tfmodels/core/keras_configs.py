"""What `ModelSpec.from_keras` may read from a user's Keras model: nothing it does not carry.

A spec carries a few constructor arguments of each Keras layer (`tfmodels.core.layers`), the
loss's `from_logits` and the optimizer's hyper-parameters (`OPTIMIZER_DEFAULTS`). Every other
argument of the user's object must be the value Keras would have given it: the object is rebuilt
from the carried arguments alone (`type(obj)(**carried)`) and the two `get_config()`s compared key
by key. Any key that differs is a different model (a dilated convolution, a backwards LSTM, a
kernel regularizer, label smoothing, weight decay, ...), refused by name in one line. A subclass is
refused too: its maths is its own, whatever its config says.
"""

from __future__ import annotations

from tfmodels.core.errors import UserError

__all__ = ["SHAPE_KEYS", "NEUTRAL_KEYS", "check_exact_type", "refuse_uncarried",
           "check_layer_config", "check_loss", "check_optimizer", "OPTIMIZER_CLASSES"]

# Keys that say where the model's input comes from, read from `model.input_shape` instead.
SHAPE_KEYS = frozenset({"batch_input_shape", "batch_shape", "input_shape", "input_dim"})
# Keys with no effect on the numbers: the object's own name, and whether Keras may use cuDNN's
# kernel for the same LSTM maths.
NEUTRAL_KEYS = frozenset({"name", "use_cudnn"})
# The project's own Keras classes, which the spec carries by name (no import of the Keras track:
# core stays below it).
OWN_CLASSES = {("tfmodels.keras_track.activations", "Swish"),
               ("tfmodels.keras_track.activations", "RandomizedReLU"),
               ("tfmodels.keras_track.optimizers", "FusedRMSprop")}
OPTIMIZER_CLASSES = {"SGD": "sgd", "Adam": "adam", "RMSprop": "rmsprop", "Adagrad": "adagrad",
                     "FusedRMSprop": "rmsprop"}


def _short(value) -> str:
    """A config value as a user wrote it: `HeNormal(seed=None)` rather than its serialized
    dict."""
    if isinstance(value, dict) and "class_name" in value:
        config = value.get("config") or {}
        inner = ", ".join(f"{k}={_short(v)}" for k, v in config.items()
                          if k not in NEUTRAL_KEYS)
        return f"{value['class_name']}({inner})"
    return repr(value)


def check_exact_type(obj, module, where: str) -> None:
    """Refuse a subclass of a Keras class (or a class of the same name from elsewhere)."""
    cls = type(obj)
    if (cls.__module__, cls.__name__) in OWN_CLASSES:
        return
    if getattr(module, cls.__name__, None) is not cls:
        raise UserError(f"{where}: {cls.__module__}.{cls.__qualname__} is not "
                        f"{module.__name__}.{cls.__name__} itself: a subclass's maths is not "
                        f"carried by the spec")


def refuse_uncarried(where: str, config: dict, reference: dict, carried) -> None:
    """One line naming every key of `config` that differs from `reference` and is not carried."""
    wrong = []
    for key, value in config.items():
        if key in carried or key in NEUTRAL_KEYS or key in SHAPE_KEYS:
            continue
        expected = reference.get(key)
        if value != expected:
            wrong.append(f"{key}={_short(value)} is not carried by the spec "
                         f"(only {_short(expected)})")
    if wrong:
        raise UserError(f"{where}: {'; '.join(wrong)}")


def check_layer_config(layer, carried: dict, where: str) -> None:
    """The user's layer is exactly `type(layer)(**carried)`, up to its name."""
    import keras  # here: reading a spec file or `tfmodels list` starts no Keras

    check_exact_type(layer, keras.layers, where)
    config = layer.get_config()
    if (type(layer).__module__, type(layer).__name__) in OWN_CLASSES:
        reference = type(layer)(**carried).get_config()
    else:
        reference = getattr(keras.layers, type(layer).__name__)(**carried).get_config()
    refuse_uncarried(where, config, reference, carried)
    if hasattr(layer, "cell"):  # a recurrent layer's config leaves some of its cell's out (seed)
        reference_cell = getattr(keras.layers, type(layer).__name__)(**carried).cell
        refuse_uncarried(where, layer.cell.get_config(), reference_cell.get_config(),
                         {"units"})
    if getattr(layer, "activity_regularizer", None) is not None:  # not in every config
        raise UserError(f"{where}: activity_regularizer={layer.activity_regularizer!r} is not "
                        f"carried by the spec (only None)")


def check_loss(loss) -> tuple[str, bool]:
    """The loss's spec name and `from_logits`, refusing any other setting (label smoothing, a
    reduction, an axis)."""
    where = f"loss ({type(loss).__name__})"
    import keras  # here: reading a spec file or `tfmodels list` starts no Keras

    check_exact_type(loss, keras.losses, where)
    config = loss.get_config()
    carried = {k: config[k] for k in ("from_logits",) if k in config}
    built = type(loss)(**carried)
    reference = built.get_config()
    refuse_uncarried(where, config, reference, carried)
    # What some configs leave out (SparseCategoricalCrossentropy's axis, every loss's dtype):
    # the arguments the loss function is called with, and the dtype it computes in.
    refuse_uncarried(where, {**getattr(loss, "_fn_kwargs", {}), "dtype": loss.dtype},
                     {**getattr(built, "_fn_kwargs", {}), "dtype": built.dtype}, carried)
    return reference["name"], bool(carried.get("from_logits", False))


def check_optimizer(optimizer, defaults: dict, module=None) -> tuple[str, dict]:
    """The optimizer's spec name and hyper-parameters, refusing any other setting (weight decay,
    gradient clipping, EMA, a schedule, amsgrad, ...). `module` is where its class must come
    from: Keras 3's `keras.optimizers` by default; tf_keras's `tf.keras.optimizers` for a Keras 2
    model's compiled optimizer (`tfmodels.migration.keras2_side`: the two share these names and
    hyper-parameters, so one mapping reads both)."""
    cls = type(optimizer).__name__
    where = f"optimizer ({cls})"
    if module is None:
        import keras  # here: reading a spec file or `tfmodels list` starts no Keras

        module = keras.optimizers
    check_exact_type(optimizer, module, where)
    if cls not in OPTIMIZER_CLASSES:
        raise UserError(f"unknown optimizer {cls.lower()!r}; expected one of: "
                        f"{', '.join(sorted(set(OPTIMIZER_CLASSES.values())))}")
    name = OPTIMIZER_CLASSES[cls]
    config = optimizer.get_config()
    carried = {k: _plain(config[k]) for k in defaults[name] if k in config}
    if not isinstance(carried.get("learning_rate", 0.0), (int, float)):
        raise UserError(f"{where}: learning_rate={_short(carried['learning_rate'])} is not "
                        f"carried by the spec (only a number)")
    reference = type(optimizer)(**carried).get_config()
    refuse_uncarried(where, config, reference, carried)
    return name, carried


def _plain(value):
    """A NumPy scalar (tf_keras's configs hold float32 learning rates) as the Python number."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value
