"""Where a run stands, written so that a crash at any moment leaves the last checkpoint whole.

A checkpoint folder holds each track's own weight files (Keras: `ckpt-<step>.weights.h5`; TF1: a
`Saver` checkpoint `ckpt-<step>.index/.data-*`) and one `checkpoint.json`, which says which of
them is current and where training stands: the epoch, the batch within it, the history so far.
A save writes the weight files first, then a new `checkpoint.json` under a temporary name that is
renamed over the old one; only then are older weight files removed. The rename is the commit: a
crash before it leaves the previous checkpoint in force, a crash after it the new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field

from tfmodels.core.errors import EnvironmentFailure, UserError, folded
from tfmodels.core.spec import TRACKS, ModelSpec

__all__ = [
    "FORMAT", "STATE_FILE", "LOCK_FILE", "PREFIX", "TrainingState", "fingerprint", "check_dir",
    "locked", "load_state", "read_state", "snapshot", "commit_state", "discard_uncommitted",
    "all_finite",
]

FORMAT = "tfmodels-checkpoint/1"
STATE_FILE = "checkpoint.json"
LOCK_FILE = "checkpoint.lock"
PREFIX = "ckpt-"


@dataclass
class TrainingState:
    model: str
    track: str
    spec: dict  # what must not change between a run and its resumption (see `fingerprint`)
    epoch: int  # the epoch to train next (all before it are complete)
    step: int  # batches of `epoch` already trained (0 at an epoch boundary)
    iterations: int  # training steps taken in all
    weights: str  # the current weight file (Keras) or checkpoint prefix (TF1), in the folder
    history: dict = field(default_factory=dict)  # per-epoch logs of the complete epochs
    metrics: dict = field(default_factory=dict)  # running averages of the part-done epoch
    log_dir: str | None = None  # the run's TensorBoard folder, continued on resumption
    # Random generators a weights file does not hold (Keras's dropout SeedGenerators, whose
    # counters say which masks come next): {layer name: state}. TF1's Saver holds its own.
    random: dict = field(default_factory=dict)
    # {event file under log_dir: bytes} that this checkpoint covers (`tfmodels.core.logs.
    # cut_back`): a resume cuts off what was logged after it. None: no logs, or not recorded.
    events: dict | None = None


def fingerprint(spec: ModelSpec) -> dict:
    """The parts of a spec a checkpoint is bound to (epochs may grow; nothing else may change)."""
    return json.loads(json.dumps({  # as JSON keeps it: tuples become lists
        "layers": [layer.to_dict() for layer in spec.layers],
        "input_shape": list(spec.input_shape),
        "from_logits": spec.from_logits,
        "loss": spec.loss,
        "optimizer": {"name": spec.optimizer.name, **spec.optimizer.params},
        "batch_size": spec.batch_size,
        "seed": spec.seed,
        "dataset": spec.dataset,
    }))


def check_dir(path: str, what: str) -> None:
    """`path` is a folder we may write in, or can be made; else one line saying why not."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"{what} {path!r} is a file, not a folder")
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(os.path.abspath(probe))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PermissionError(f"{what} {path!r} is not writable (no write permission on "
                              f"{probe!r}); choose another folder")


def _ours(name: str) -> bool:
    return name in (STATE_FILE, LOCK_FILE) or name.startswith((PREFIX, ".tmp-"))


@contextlib.contextmanager
def locked(directory: str):
    """Hold `directory` as its one writer: a lock file naming this process (pid and host),
    removed on any exit of the block. A lock whose owner is gone (killed: `kill -9` leaves the
    file) is taken over; a live owner's is refused in one line naming it."""
    check_dir(directory, "checkpoint folder")
    created = not os.path.isdir(directory)
    if not created:
        _check_ours(directory)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, LOCK_FILE)
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    tmp = os.path.join(directory, f".tmp-lock-{me['pid']}")
    with open(tmp, "w") as f:
        json.dump(me, f)
    try:
        for _ in range(3):
            try:
                os.link(tmp, path)  # atomic, and whole: a reader never sees half a lock file
                break
            except FileExistsError:
                owner = _lock_owner(path)
                if owner is not None:
                    raise UserError(
                        f"checkpoint folder {directory!r} is in use by process {owner['pid']} "
                        f"on {owner['host']} (its {LOCK_FILE}); wait for it to end, or give "
                        f"another checkpoint_dir") from None
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)  # its owner is gone
        else:
            raise UserError(f"checkpoint folder {directory!r}: could not take {LOCK_FILE}")
    finally:
        os.remove(tmp)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            if _read_lock(path) == me:
                os.remove(path)
        if created and not os.listdir(directory):
            os.rmdir(directory)  # refused before the first save: leave no trace


def _read_lock(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _lock_owner(path: str) -> dict | None:
    """The live owner of a lock file, or None where it is gone (or unreadable: never ours)."""
    owner = _read_lock(path)
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int):
        return None
    if owner.get("host") != socket.gethostname():
        return owner  # another machine's process: we cannot tell that it is gone
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return owner  # alive, another user's
    return owner


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _file_name(v) -> bool:
    return isinstance(v, str) and v.startswith(PREFIX) and os.path.basename(v) == v


# Each field of a checkpoint.json: (check, what it must be).
_FIELDS = {
    "model": (lambda v: isinstance(v, str) and v != "", "a name"),
    "track": (lambda v: v in TRACKS, " or ".join(TRACKS)),
    "spec": (lambda v: isinstance(v, dict), "an object"),
    "epoch": (_count, "an integer >= 0"),
    "step": (_count, "an integer >= 0"),
    "iterations": (_count, "an integer >= 0"),
    "weights": (_file_name, f"the name of a file in the folder ({PREFIX}...)"),
    "history": (lambda v: isinstance(v, dict), "an object"),
    "metrics": (lambda v: isinstance(v, dict), "an object"),
    "log_dir": (lambda v: v is None or isinstance(v, str), "a folder or null"),
    "random": (lambda v: isinstance(v, dict), "an object"),
    "events": (lambda v: v is None or isinstance(v, dict) and all(
        isinstance(k, str) and _count(n) for k, n in v.items()),
        "null or an object of event files and sizes"),
}


def load_state(path: str) -> TrainingState:
    """A `checkpoint.json` as it was written, or one line saying it is damaged (and which field,
    with its value and what it must be)."""
    def corrupted(why: str) -> UserError:
        return UserError(f"corrupted checkpoint: {path}: {why}; delete the folder to start "
                         f"afresh")

    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"corrupted checkpoint: {path} cannot be read "
                        f"({folded(e, None)}); delete the folder to start afresh") \
            from None
    if not isinstance(raw, dict):
        raise corrupted(f"expected an object of fields, got {type(raw).__name__}")
    if raw.pop("format", None) != FORMAT:
        raise corrupted(f"unknown format; expected {FORMAT!r}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise corrupted(f"unknown field(s) {', '.join(unknown)}")
    required = [f.name for f in dataclasses.fields(TrainingState)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in raw]
    if missing:
        raise corrupted(f"missing field(s) {', '.join(missing)}")
    for name, value in raw.items():
        ok, expected = _FIELDS[name]
        if not ok(value):
            raise corrupted(f"{name} is {value!r}; expected {expected}")
    folder = os.path.dirname(path)
    if not any(os.path.exists(os.path.join(folder, raw["weights"] + end))
               for end in ("", ".index")):  # Keras's weights file, or TF1's checkpoint prefix
        raise corrupted(f"its weights {raw['weights']!r} are missing from the folder")
    return TrainingState(**raw)


def read_state(directory: str, spec: ModelSpec, track: str) -> TrainingState | None:
    """The checkpoint in `directory`, checked against `spec` and `track`; None if there is none.

    Refuses a folder with files that are not ours (we would delete them later), a checkpoint of
    another model or track, and a damaged `checkpoint.json`, each in one line.
    """
    check_dir(directory, "checkpoint folder")
    if not os.path.isdir(directory):
        return None
    _check_ours(directory)
    path = os.path.join(directory, STATE_FILE)
    if not os.path.exists(path):
        return None  # only leftovers of a first save that never committed
    state = load_state(path)
    if state.model != spec.name or state.spec != fingerprint(spec):
        changed = sorted(k for k in state.spec if state.spec.get(k) != fingerprint(spec).get(k))
        raise UserError(f"the checkpoint in {directory!r} is of model {state.model!r} with "
                        f"other settings ({', '.join(changed) or 'model'}); it cannot resume "
                        f"{spec.name!r} as configured: use another checkpoint_dir")
    if state.track != track:
        raise UserError(f"the checkpoint in {directory!r} was written by the {state.track} "
                        f"track; resume it with track={state.track}, or convert it with "
                        f"`tfmodels convert`")
    return state


@contextlib.contextmanager
def snapshot(directory: str, tries: int = 20):
    """A private copy of the folder's current checkpoint (`checkpoint.json` and its weight
    files), for reading a folder that a live run may be saving into (`convert` or `evaluate`
    during training). A save that commits meanwhile removes the files being copied: copy again,
    from the new checkpoint. Weight files never change once a `checkpoint.json` names them, so
    a copy that completes is whole. Yields the copy's folder, a checkpoint folder itself."""
    path = os.path.join(directory, STATE_FILE)
    for _ in range(tries):
        before = _current_weights(directory)
        copy = tempfile.mkdtemp(prefix="tfmodels-checkpoint-")
        try:
            state = load_state(path)
            names = [n for n in os.listdir(directory)
                     if n == state.weights or n.startswith(state.weights + ".")]
            for name in names:
                shutil.copyfile(os.path.join(directory, name), os.path.join(copy, name))
            if names:
                with open(os.path.join(copy, STATE_FILE), "w") as f:
                    json.dump({"format": FORMAT, **dataclasses.asdict(state)}, f)
                break
        except (FileNotFoundError, UserError):
            if _current_weights(directory) == before:  # nothing saved meanwhile: it is damaged
                shutil.rmtree(copy)
                raise
        shutil.rmtree(copy)  # replaced by a newer checkpoint while we copied it: again
    else:
        raise EnvironmentFailure(f"checkpoint folder {directory!r} changed under every one of "
                                 f"{tries} attempts to read it; try again")
    try:
        yield copy
    except UserError as e:  # a mistake found in the copy is the user's folder's
        raise UserError(str(e).replace(copy, directory)) from None
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _check_ours(directory: str) -> None:
    """We delete our stale files in a checkpoint folder: refuse one that holds anyone else's."""
    foreign = sorted(n for n in os.listdir(directory) if not _ours(n))
    if foreign:
        raise UserError(f"checkpoint folder {directory!r} holds files that are not checkpoints "
                        f"of ours ({', '.join(foreign[:3])}); give an empty or new folder")


def commit_state(directory: str, state: TrainingState) -> None:
    """Make `state` the current checkpoint (atomically), then drop older weight files."""
    path = os.path.join(directory, STATE_FILE)
    tmp = os.path.join(directory, f".tmp-{STATE_FILE}")
    with open(tmp, "w") as f:
        json.dump({"format": FORMAT, **dataclasses.asdict(state)}, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _remove_stale(directory, state.weights)


def discard_uncommitted(directory: str) -> None:
    """Remove what a save that failed (or was cut short) left: every weight file that the
    current `checkpoint.json` does not name, and temporary files."""
    with contextlib.suppress(OSError):
        _remove_stale(directory, _current_weights(directory))


def _current_weights(directory: str) -> str | None:
    try:
        with open(os.path.join(directory, STATE_FILE)) as f:
            return json.load(f).get("weights")
    except (OSError, ValueError, AttributeError):
        return None


def _remove_stale(directory: str, weights: str | None) -> None:
    """Older checkpoints, and what a save cut short by a crash left behind."""
    for name in os.listdir(directory):
        current = weights is not None and (name == weights or name.startswith(weights + "."))
        if name.startswith(PREFIX) and not current or name.startswith(".tmp-"):
            stale = os.path.join(directory, name)
            shutil.rmtree(stale) if os.path.isdir(stale) else os.remove(stale)


def all_finite(logs) -> bool:
    return all(math.isfinite(v) for v in (logs or {}).values()
               if isinstance(v, (int, float)))
