"""Input checks shared by both tracks: a user's mistake gets one clear line, not a TF traceback.

The notes' first lesson on shapes ("shapes not aligned") is the commonest mistake of all; these
checks name the shape the model expects and the shape it was given. Each check runs before
anything is trained or written, so a refused input changes nothing.
"""

from __future__ import annotations

import os
import stat

import numpy as np

from tfmodels.core.errors import UserError

__all__ = [
    "check_x", "check_y", "count_problem", "check_count", "positive_int", "check_batch_size",
    "batch_size_for", "check_epochs", "int_option", "INT64_MAX", "check_slopes", "SEED_LIMIT",
    "WEIGHT_LIMIT", "check_seed", "check_float32", "check_weight_count", "check_bool",
    "no_duplicate_keys", "check_npy_header", "check_real_numbers", "check_path_name",
    "check_regular_file", "check_token_ids",
]

# Keras's `set_random_seed` (and so `--deterministic`) takes seeds below 2**32; TF's op seeds are
# int64. One bound for every seed, so a seed that works in one place works in all.
SEED_LIMIT = 2**32
# The most a count (epochs, steps, a batch size) may be: TensorFlow holds counts in int64.
INT64_MAX = 2**63 - 1
# The most elements one weight may have: TF's kernels index a tensor's elements with int32 in
# places, and 2**31 float32 values are 8 GiB already.
WEIGHT_LIMIT = 2**31


def _shape(a) -> tuple:
    return tuple(np.shape(a))


def _numbers(a, what: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float32)
    except (TypeError, ValueError):
        raise UserError(f"{what} must hold numbers; got {type(a).__name__} of "
                        f"{np.asarray(a).dtype}") from None
    # A sum is finite only if every term is (inf and NaN propagate); it can also overflow with
    # finite terms, so only a non-finite sum pays for the element-wise look.
    if np.isfinite(arr.sum()):
        return arr
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise UserError(f"{what} holds {int(bad.sum())} NaN or infinite value(s), the first in "
                        f"row {row}; remove or impute them before training")
    return arr


def check_x(x, input_shape, what: str = "x") -> np.ndarray:
    """`x` must be (samples, *input_shape) finite numbers; returns it as a float32 array.

    `input_shape` is one sample's shape (an int n for `(n,)`)."""
    expected = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    shape = _shape(x)
    if len(shape) != len(expected) + 1 or shape[1:] != expected:
        rank = (f" (rank {len(shape)}, expected {len(expected) + 1})"
                if len(shape) != len(expected) + 1 else "")
        per_sample = (f"{expected[0]} features per sample" if len(expected) == 1
                      else f"samples of shape {expected}")
        raise UserError(
            f"{what} has shape {shape}{rank}, but the model expects "
            f"{(None, *expected)}: {per_sample}, batch axis first"
        )
    if shape[0] == 0:
        raise UserError(f"{what} is empty: shape {shape}; give at least one sample")
    return _numbers(x, what)


def check_token_ids(x: np.ndarray, vocabulary: int | None, what: str = "x") -> np.ndarray:
    """For a model whose first layer is an Embedding of `vocabulary` rows: `x` (float32, from
    `check_x`) must hold whole token ids 0..vocabulary-1 (a gather past the table is an error
    deep in TensorFlow on a CPU, and silently zeros on a GPU). `None`: not such a model."""
    if vocabulary is None:
        return x
    bad = np.flatnonzero(((x != np.round(x)) | (x < 0) | (x >= vocabulary)).reshape(len(x), -1)
                         .any(axis=1))
    if bad.size:
        row = x[bad[0]].reshape(-1)
        value = row[(row != np.round(row)) | (row < 0) | (row >= vocabulary)][0]
        raise UserError(f"{what} must hold token ids 0..{vocabulary - 1} for the model's "
                        f"Embedding; sample {bad[0]} holds {float(value)!r}")
    return x


def check_y(y, x, output_dim: int, loss: str, what: str = "y") -> np.ndarray:
    """Labels must match the model's output: one-hot for categorical losses, 0/1 for binary,
    class numbers 0..output_dim-1 (shape (samples,) or (samples, 1)) for sparse categorical."""
    shape = _shape(y)
    if loss == "sparse_categorical_crossentropy":
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise UserError(f"{what} has shape {shape}, but {loss} takes class numbers, shaped "
                            f"(samples,) or (samples, 1)")
        if shape[0] != len(x):
            raise UserError(f"x has {len(x)} samples but {what} has {shape[0]}; they must "
                            f"match")
        y = _numbers(y, what).reshape(-1)
        bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= output_dim))
        if bad.size:
            raise UserError(f"{what} must hold class numbers 0..{output_dim - 1} for {loss}; "
                            f"sample {bad[0]} is {y[bad[0]]!r}")
        return y
    if len(shape) != 2 or shape[1] != output_dim:
        hint = ""
        if loss == "categorical_crossentropy" and len(shape) == 1:
            hint = ("; integer labels? one-hot them with "
                    f"keras.utils.to_categorical(y, {output_dim})")
        raise UserError(
            f"{what} has shape {shape}, but the model's output is (None, {output_dim}) "
            f"for {loss}{hint}"
        )
    if shape[0] != len(x):
        raise UserError(f"x has {len(x)} samples but {what} has {shape[0]}; they must match")
    y = _numbers(y, what)
    if loss == "categorical_crossentropy":
        bad = np.flatnonzero(~(np.isin(y, (0.0, 1.0)).all(axis=1) & (y.sum(axis=1) == 1)))
        if bad.size:
            raise UserError(f"{what} must be one-hot for {loss} (one 1 per row, 0 elsewhere); "
                            f"row {bad[0]} is {y[bad[0]].tolist()}")
    if loss == "binary_crossentropy":
        bad = np.flatnonzero(~np.isin(y, (0.0, 1.0)).all(axis=1))
        if bad.size:
            raise UserError(f"{what} must hold 0 or 1 for {loss}; row {bad[0]} is "
                            f"{y[bad[0]].tolist()}")
    return y


def count_problem(number, least: int = 1, most: int | None = INT64_MAX) -> str | None:
    """The one rule for a count (`epochs`, `batch_size`, `--steps`, ...), said once for the
    library and the command line: None where `number` (an int; None where the value was no
    integer) lies in `least..most`, else what was expected, e.g. "a positive integer of at most
    2**63 - 1" (`most` None: no upper bound). The bound is `INT64_MAX`: TensorFlow holds counts
    in int64 (Keras's epoch and step counters, the dropout seed state), so a larger one would
    fail mid-run, not here."""
    expected = "a positive integer" if least == 1 else f"an integer >= {least}"
    if number is None or number < least:
        return expected
    if most is not None and number > most:
        bound = "2**63 - 1" if most == INT64_MAX else most
        return f"{expected} of at most {bound}"
    return None


def check_count(name: str, value, least: int = 1) -> int:
    """`value` as a count under `count_problem`'s rule (a NumPy integer too, returned as a Python
    int); anything else is one line naming `name` and the value."""
    whole = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    problem = count_problem(int(value) if whole else None, least)
    if problem:
        raise UserError(f"{name} must be {problem}, got {value!r}")
    return int(value)


def positive_int(name: str, value) -> int:
    """The rule for a count such as `batch_size` or `epochs`: a positive integer (a NumPy one
    too) of at most 2**63 - 1, returned as a Python int; anything else is one line naming
    `name` and the value (`check_count`)."""
    return check_count(name, value, 1)


def check_batch_size(batch_size, samples: int | None = None, of: str | None = None) -> int:
    """The one batch-size rule: a positive integer; None means Keras's default, 32.

    With `samples` (the training samples; `of` names their data set), a batch size given larger
    than them is refused: it would silently train one smaller batch per epoch."""
    if batch_size is None:
        return 32
    batch_size = positive_int("batch_size", batch_size)
    if samples is not None and batch_size > samples:
        where = f" of {of}" if of else ""
        raise UserError(f"batch_size={batch_size} is larger than the {samples} training "
                        f"samples{where}; give at most {samples}")
    return batch_size


def batch_size_for(batch_size: int, samples: int, log=None) -> int:
    """The batch size a run trains with: its spec's, or all `samples` as one batch per epoch
    where the data are fewer (a small mnist.npz under mnist_mlp's 128), which `fit` would
    refuse; `log` (e.g. `print`) is told so in one line. A batch size that a user *gives* is
    refused instead, by `check_batch_size(batch_size, samples)`."""
    if batch_size <= samples:
        return batch_size
    if log:
        log(f"batch_size={batch_size} is larger than the {samples} training samples: "
            f"training on one batch of {samples} per epoch")
    return samples


def check_epochs(epochs, initial_epoch=0) -> int:
    """`fit`'s epochs: a positive integer (Keras would quietly train nothing for 0 or -1);
    `initial_epoch` an integer >= 0."""
    epochs = positive_int("epochs", epochs)
    check_count("initial_epoch", initial_epoch, 0)
    return epochs


def int_option(least: int, most: int | None = INT64_MAX):
    """An argparse `type` for a command-line option: an integer under `count_problem`'s rule,
    the library's (None: no bound here, where a check of its own says more); anything else is one
    line naming the option (argparse adds it) and the value given."""
    import argparse

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        problem = count_problem(number, least, most)
        if problem:
            raise argparse.ArgumentTypeError(f"expected {problem}, got {value!r}")
        return number

    parse.__name__ = "integer"
    return parse


def check_slopes(lower, upper) -> tuple[float, float]:
    """Randomized ReLU's slope range: 0 <= lower <= upper <= 1."""
    if not 0.0 <= lower <= upper <= 1.0:
        raise UserError(
            f"randomized ReLU slopes must satisfy 0 <= lower <= upper <= 1, "
            f"got lower={lower!r}, upper={upper!r}"
        )
    return float(lower), float(upper)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def check_regular_file(path: str, what: str, then: str = "give a regular file") -> None:
    """`path`, where there is something, is a regular file (a link to one will do); a folder, a
    named pipe, a device or a socket is one line naming `what` and the path, said from `stat`
    alone: nothing is opened (reading a FIFO with no writer waits forever; a device may never
    end). A path where there is nothing is left to the caller, who says it its own way. `what`:
    the parameter's name (`data`: said `data='x.npy'`) or words (`spec file`). `then`: what to
    do instead, the line's end."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):  # not there (or not reachable): the caller's open says so
        return
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        named = f"{what}={path!r}" if what.isidentifier() else f"{what} {path!r}"
        raise UserError(f"{named} is {kind}, not a file; {then}")


def check_path_name(name, what: str = "model name") -> str:
    """`name` can stand as one folder's name (a model's name becomes `<logdir>/<name>/`): text,
    not empty, not `.` or `..`, no path separator, only printable characters (no control
    characters, no lone surrogates that cannot be encoded), at most 200 bytes in UTF-8. Else
    one line naming it: refused before anything is written, so nothing lands outside the
    folders the user named."""
    why = None
    if not isinstance(name, str):
        why = "is not text"
    elif name in ("", ".", ".."):
        why = "is not a folder's name"
    elif "/" in name or "\\" in name or os.sep in name or (os.altsep and os.altsep in name):
        why = "holds a path separator"
    elif not name.isprintable():
        bad = next(c for c in name if not c.isprintable())
        why = f"holds the non-printable character {ascii(bad)}"
    elif len(name.encode("utf-8")) > 200:
        why = "is longer than 200 bytes"
    if why:
        raise UserError(f"{what} {name!r} {why}; it names a folder under --logdir: give a "
                        f"name of letters, digits, '-', '_' or '.'")
    return name


def check_seed(name: str, value) -> int:
    """A seed: an integer in [0, 2**32); a Python or NumPy int, never a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise UserError(f"{name} must be a non-negative integer, got {value!r}")
    if value >= SEED_LIMIT:
        raise UserError(f"{name} must be below 2**32 = {SEED_LIMIT} (Keras's "
                        f"set_random_seed takes no more), got {value!r}")
    return int(value)


def check_float32(name: str, value) -> float:
    """A positive hyper-parameter that the tracks hold as float32 must stay a positive, finite
    float32: 1e-50 would be 0 (nothing trains), 1e308 would be inf (NaN at the first step)."""
    try:
        value = float(value)
    except OverflowError:  # an int beyond any float
        raise UserError(f"{name}={value!r} is infinite in float32; give at most "
                        f"{float(np.finfo(np.float32).max):.3g}") from None
    as32 = np.float32(value) if np.isfinite(value) and abs(value) < 3.5e38 else np.float32(np.inf)
    if value > 0 and as32 == 0:
        raise UserError(f"{name}={value!r} rounds to 0 in float32; give at least "
                        f"{float(np.finfo(np.float32).smallest_subnormal):.3g}")
    if np.isfinite(value) and not np.isfinite(as32):
        raise UserError(f"{name}={value!r} is infinite in float32; give at most "
                        f"{float(np.finfo(np.float32).max):.3g}")
    return float(value)


def check_weight_count(where: str, name: str, shape) -> None:
    """A weight of `shape` must be one that can be allocated: at most 2**31 elements."""
    count = 1
    for d in shape:
        count *= int(d)
    if count > WEIGHT_LIMIT:
        raise UserError(f"{where}: its {name} of shape {tuple(shape)} would hold {count} "
                        f"values, more than 2**31 = {WEIGHT_LIMIT}; give a smaller layer")


def check_bool(name: str, value) -> bool:
    """A switch: true or false (JSON's), not "no" or 0."""
    if not isinstance(value, (bool, np.bool_)):
        raise UserError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def no_duplicate_keys(where: str):
    """A `json.loads(object_pairs_hook=...)` that refuses a key given twice in one object
    (JSON would keep the last one silently)."""
    def hook(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise UserError(f"{where}: the key {key!r} is given twice in one object; "
                                f"give it once")
            seen[key] = value
        return seen
    return hook


def check_npy_header(path: str, what: str, limit: int = WEIGHT_LIMIT) -> None:
    """An .npy file's header, read before its data: at most `limit` values (a header may claim
    4e12 values; loading it would try to allocate them)."""
    import numpy.lib.format as fmt

    try:
        with open(path, "rb") as f:
            version = fmt.read_magic(f)
            shape, _, dtype = (fmt.read_array_header_1_0(f) if version == (1, 0)
                               else fmt.read_array_header_2_0(f))
    except (OSError, ValueError, EOFError, SyntaxError):
        return  # not an .npy, or unreadable: the loader says so its own way
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > limit:
        raise UserError(f"{what}={path!r} claims shape {shape} of {dtype}: {count} values, "
                        f"more than 2**31 = {limit} that could be loaded")


def check_real_numbers(dtype, what: str) -> None:
    """Inputs of a model are real numbers: complex ones (NumPy would drop the imaginary part
    with a warning), dates and times, text (even "1.5") and objects are refused."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "biuf":
        raise UserError(f"{what} must hold numbers; got {dtype} values (a model takes real "
                        f"numbers only)")
