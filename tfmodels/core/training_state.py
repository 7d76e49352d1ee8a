"""Where a run stands, written so that a crash at any moment leaves the last checkpoint whole.

A checkpoint folder holds each track's own weight files (Keras: `ckpt-<step>.weights.h5`; TF1: a
`Saver` checkpoint `ckpt-<step>.index/.data-*`) and one `checkpoint.json`, which says which of
them is current and where training stands: the epoch, the batch within it, the history so far.
A save writes the weight files first, then a new `checkpoint.json` under a temporary name that is
renamed over the old one; only then are older weight files removed. The rename is the commit: a
crash before it leaves the previous checkpoint in force, a crash after it the new one.

Damage is detected, not loaded: `checkpoint.json` holds the sha256 of each weight file, and its
own first field (`seal`) is the sha256 of the whole file read with that field's digits as zeros.
Every load checks both first (`verify_checkpoint`), so a single flipped bit anywhere in any file
of a checkpoint is one line naming the file. The digests live in the one file whose rename is the
commit: a separate manifest would need a second rename, and a kill between the two would make a
sound checkpoint look damaged. A checkpoint written before digests existed (format
`tfmodels-checkpoint/1`) still loads, with a one-line warning: refusing it would throw away the
training it holds over a check it could not have had, and its next save adds the digests.

A save keeps the checkpoint it replaces (if whole) as `checkpoint.previous.json` and its weight
files: a resume that finds the current checkpoint damaged goes on from the previous one, and
says so in one line; `evaluate`, `predict` and `convert` refuse a damaged one instead (they
would answer for weights other than the ones asked for).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field

from tfmodels.core.checks import check_regular_file
from tfmodels.core.errors import EnvironmentFailure, UserError, folded
from tfmodels.core.spec import TRACKS, ModelSpec

__all__ = [
    "FORMAT", "STATE_FILE", "LOCK_FILE", "PREFIX", "TrainingState", "fingerprint", "check_dir",
    "locked", "load_state", "read_state", "snapshot", "commit_state", "discard_uncommitted",
    "all_finite",
]

__all__ = [
    "FORMAT", "LOCK_FILE", "PREFIX", "PREVIOUS_FILE", "STATE_FILE", "TrainingState",
    "all_finite", "check_dir", "commit_state", "discard_uncommitted", "fingerprint",
    "load_state", "locked", "read_state", "seal", "snapshot", "verify_checkpoint",
]

FORMAT = "tfmodels-checkpoint/2"  # sealed: digests of every file, checkpoint.json's own included
UNSEALED_FORMAT = "tfmodels-checkpoint/1"  # written before checkpoints carried digests
STATE_FILE = "checkpoint.json"
LOCK_FILE = "checkpoint.lock"
PREVIOUS_FILE = "checkpoint.previous.json"  # the checkpoint before, kept whole for a fallback
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
    # {file of the checkpoint: its sha256}, every weight file the checkpoint is made of (Keras's
    # .weights.h5; TF1's .index and .data-*). None: written before digests were kept.
    files: dict | None = None
    # The checkpoint folder it was saved in (real path): a copy of the folder resumed elsewhere
    # is told from the run itself, and leaves that run's logs alone. None: not recorded.
    folder: str | None = None


def fingerprint(spec: ModelSpec) -> dict:
    """The parts of a spec a checkpoint is bound to (epochs may grow; nothing else may change)."""
    return json.loads(json.dumps({  # as JSON keeps it: tuples become lists
        "layers": spec.layer_dicts(),  # a graph spec's with their names and inputs
        **({} if spec.outputs is None else {"outputs": list(spec.outputs)}),
        # several named inputs: their names and shapes, as a spec file writes them
        **({"input_shape": list(spec.input_shape)} if spec.inputs is None else
           {"inputs": {name: list(shape) for name, shape in spec.inputs}}),
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
    return name in (STATE_FILE, LOCK_FILE, PREVIOUS_FILE) or name.startswith((PREFIX, ".tmp-"))


@contextlib.contextmanager
def locked(directory: str):
    """Hold `directory` as its one writer: a lock file naming this process (pid and host),
    removed on any exit of the block. A lock whose owner is gone (killed: `kill -9` leaves the
    file) is taken over; a live owner's is refused in one line naming it.

    The kernel decides who holds it: an exclusive `flock` on the lock file, which a process
    holds until it ends however it ends (the kernel drops the locks of a killed process). Of any
    number of processes taking over a dead owner's file at once, exactly one gets the `flock`;
    the others are refused. The file's pid and host still name the owner for the refusal, and
    still refuse where a live process on this host (or any process on another host, which we
    cannot see) wrote a lock without a `flock` (a tfmodels from before this lock)."""
    check_dir(directory, "checkpoint folder")
    created = not os.path.isdir(directory)
    if not created:
        _check_ours(directory)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, LOCK_FILE)
    try:
        fd = _take_lock(directory, path)
    except BaseException:
        if created and not os.listdir(directory):
            os.rmdir(directory)
        raise
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)  # while still holding it: a taker that opened it checks its inode
        os.close(fd)
        if created and not os.listdir(directory):
            os.rmdir(directory)  # refused before the first save: leave no trace


def _take_lock(directory: str, path: str, tries: int = 20) -> int:
    """The open, `flock`ed lock file, naming this process now; or one line naming its owner."""
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(tries):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _in_use(directory, _wait_for_owner(path)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # its owner released (removed) it after we opened it: open the new one
            os.close(fd)
            continue
        owner = _lock_owner(_read_lock(path))
        if owner is not None and owner != me:
            os.close(fd)
            raise _in_use(directory, owner)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        return fd
    raise UserError(f"checkpoint folder {directory!r}: could not take {LOCK_FILE}")


def _in_use(directory: str, owner: dict | None) -> UserError:
    who = (f"process {owner['pid']} on {owner['host']}" if owner else "another process")
    return UserError(f"checkpoint folder {directory!r} is in use by {who} (its {LOCK_FILE}); "
                     f"wait for it to end, or give another checkpoint_dir")


def _wait_for_owner(path: str) -> dict | None:
    """The holder of a `flock` writes its name just after taking it: read it once written."""
    for _ in range(50):
        owner = _read_lock(path)
        if isinstance(owner, dict) and "pid" in owner and "host" in owner:
            return owner
        time.sleep(0.01)
    return None


def _read_lock(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _lock_owner(owner) -> dict | None:
    """The live owner a lock file names, or None where it is gone (or unreadable: never ours)."""
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


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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
    "history": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(h, list) and all(_number(x) for x in h)
        for k, h in v.items()), "an object of lists of numbers, one per epoch"),
    "metrics": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and (_number(m) or isinstance(m, list) and all(map(_number, m)))
        for k, m in v.items()), "an object of numbers"),
    "log_dir": (lambda v: v is None or isinstance(v, str), "a folder or null"),
    "random": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(r, list) for k, r in v.items()),
        "an object of generator states (lists)"),
    "events": (lambda v: v is None or isinstance(v, dict) and all(
        isinstance(k, str) and _count(n) for k, n in v.items()),
        "null or an object of event files and sizes"),
    "files": (lambda v: v is None or isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(d, str) and len(d) == _HEX for k, d in v.items()),
        "null or an object of file names and sha256 digests"),
    "folder": (lambda v: v is None or isinstance(v, str), "a folder or null"),
}


_SEAL_HEAD = b'{\n "seal": "'  # a sealed checkpoint.json's first bytes; 64 hex digits follow
_HEX = 64
_UNSEALED_HEAD = b'{\n "format": "' + UNSEALED_FORMAT.encode() + b'"'
_warned: set = set()


def seal(fields: dict) -> bytes:
    """The bytes of a `checkpoint.json` of `fields` (`format` and the state's fields): first the
    `seal`, the sha256 of these very bytes with the seal's 64 digits read as zeros."""
    body = json.dumps({"seal": "0" * _HEX, **fields}, indent=1).encode("ascii")
    digest = hashlib.sha256(body).hexdigest().encode("ascii")
    return body[:len(_SEAL_HEAD)] + digest + body[len(_SEAL_HEAD) + _HEX:]


def _sealed(raw: bytes) -> bool:
    n = len(_SEAL_HEAD)
    if not raw.startswith(_SEAL_HEAD):
        return False
    zeroed = raw[:n] + b"0" * _HEX + raw[n + _HEX:]
    return hashlib.sha256(zeroed).hexdigest().encode("ascii") == raw[n:n + _HEX]


def _mismatch(folder: str, name: str, why: str = "does not match its digest") -> UserError:
    return UserError(f"corrupted checkpoint {folder}: file {name} {why}")


def _check_file(path: str) -> None:
    """One of a checkpoint's files is a regular file (a FIFO would be waited on forever)."""
    check_regular_file(path, f"corrupted checkpoint {os.path.dirname(path)}: file",
                       then="restore the folder from a backup, or delete it to start afresh")


def _read_bytes(path: str) -> bytes:
    _check_file(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UserError(f"corrupted checkpoint: {path} cannot be read "
                        f"({folded(e)}); delete the folder to start afresh") \
            from None


def load_state(path: str, raw: bytes | None = None) -> TrainingState:
    """A `checkpoint.json` as it was written (`raw`: its bytes, read already), or one line
    saying it is damaged: its seal does not match (any changed byte), or a field is wrong (which
    field, with its value and what it must be). One of the format before digests (no seal)
    loads as it did then."""
    folder, name = os.path.split(path)
    raw = _read_bytes(path) if raw is None else raw
    unsealed = not raw.startswith(_SEAL_HEAD) and raw.startswith(_UNSEALED_HEAD)
    if not unsealed and not _sealed(raw):
        raise _mismatch(folder, name)

    def corrupted(why: str) -> UserError:
        return UserError(f"corrupted checkpoint: {path}: {why}; delete the folder to start "
                         f"afresh")

    try:
        fields = json.loads(raw.decode("utf-8"))
    except ValueError as e:
        raise UserError(f"corrupted checkpoint: {path} cannot be read "
                        f"({folded(e, None)}); delete the folder to start afresh") \
            from None
    if not isinstance(fields, dict):
        raise corrupted(f"expected an object of fields, got {type(fields).__name__}")
    fields.pop("seal", None)
    if fields.pop("format", None) != (UNSEALED_FORMAT if unsealed else FORMAT):
        raise corrupted(f"unknown format; expected {FORMAT!r}")
    if not unsealed and not isinstance(fields.get("files"), dict):
        raise corrupted(f"files is {fields.get('files')!r}; expected an object of file digests")
    return _checked(fields, path, corrupted)


def _checked(raw: dict, path: str, corrupted) -> TrainingState:
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
    epochs = {len(h) for h in raw["history"].values()} if isinstance(raw, dict) and \
        raw.get("history") else set()
    if epochs and epochs != {raw["epoch"]}:
        raise corrupted(f"history holds {sorted(epochs)} epoch(s) where epoch is "
                        f"{raw['epoch']}; expected one value per complete epoch")
    folder = os.path.dirname(path)
    if not any(os.path.exists(os.path.join(folder, raw["weights"] + end))
               for end in ("", ".index")):  # Keras's weights file, or TF1's checkpoint prefix
        raise corrupted(f"its weights {raw['weights']!r} are missing from the folder")
    return TrainingState(**raw)


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _weight_files(directory: str, weights: str) -> list[str]:
    return sorted(n for n in os.listdir(directory)
                  if n == weights or n.startswith(weights + "."))


def verify_checkpoint(directory: str, shown: str | None = None) -> TrainingState:
    """The checkpoint in `directory` after checking every file it is made of against the
    digests it was saved with: `checkpoint.json` against its seal, each weight file against its
    sha256. A mismatch is one line, `corrupted checkpoint DIR: file NAME does not match its
    digest`. Call it before anything loads a checkpoint folder's files. `shown`: the folder to
    name in messages (a private copy's original). One saved before digests existed loads with
    a one-line warning."""
    shown = directory if shown is None else shown
    try:
        state = _verified(directory, STATE_FILE)
    except UserError as e:
        raise UserError(str(e).replace(directory, shown)) from None
    if state.files is None:
        _warn_once(_unsealed(shown))
    return state


def _unsealed(directory: str) -> str:
    return (f"the checkpoint in {directory} was saved before checkpoints carried digests: "
            f"damage to its files cannot be detected (its next save adds them)")


def _verified(directory: str, name: str) -> TrainingState:
    """The state in `directory`/`name`, its seal and its files' digests checked (an unsealed
    one's files cannot be: it is returned as it is, `files` None)."""
    state = load_state(os.path.join(directory, name))
    if state.files is None:
        return state
    if not any(n == state.weights or n.startswith(state.weights + ".") for n in state.files):
        raise _mismatch(directory, name, f"has no digest of its weights {state.weights!r}")
    for file, digest in sorted(state.files.items()):
        path = os.path.join(directory, file)
        if os.path.basename(file) != file or not os.path.lexists(path):
            raise _mismatch(directory, file, "is missing")
        _check_file(path)
        if _digest(path) != digest:
            raise _mismatch(directory, file)
    return state


def _previous(directory: str) -> TrainingState | None:
    """The checkpoint kept from before the current one, if it is there and whole."""
    if not os.path.lexists(os.path.join(directory, PREVIOUS_FILE)):
        return None
    try:
        state = _verified(directory, PREVIOUS_FILE)
    except UserError:
        return None
    return state if state.files is not None else None


def _warn_once(line: str) -> None:
    """One line on stderr, once per process (`train` reads a checkpoint twice: to check it
    before anything is printed, then to load it)."""
    if line not in _warned:
        _warned.add(line)
        print(f"tfmodels: warning: {line}", file=sys.stderr)


def read_state(directory: str, spec: ModelSpec, track: str) -> TrainingState | None:
    """The checkpoint in `directory`, checked against `spec` and `track`; None if there is none.

    Refuses a folder with files that are not ours (we would delete them later), a checkpoint of
    another model or track, and a damaged checkpoint, each in one line. A damaged checkpoint
    where the one before it is kept whole gives that one instead, said in a one-line warning.
    """
    check_dir(directory, "checkpoint folder")
    if not os.path.isdir(directory):
        return None
    _check_ours(directory)
    path = os.path.join(directory, STATE_FILE)
    if not os.path.lexists(path):
        return None  # only leftovers of a first save that never committed
    try:
        state = verify_checkpoint(directory)
    except UserError as e:  # damaged: resume from the checkpoint before it, if it is whole
        state = _previous(directory)
        if state is None:
            raise UserError(f"{e}; no earlier checkpoint is kept to resume from instead: "
                            f"restore the folder from a backup, or delete it to start "
                            f"afresh") from None
        _warn_once(f"{e}; resuming from the previous checkpoint instead (epoch "
                   f"{state.epoch + 1}, step {state.step}, {state.iterations} steps trained)")
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
    files), checked against its digests (`verify_checkpoint`), for reading a folder that a live
    run may be saving into (`convert` or `evaluate` during training). A save that commits
    meanwhile removes the files being copied: copy again, from the new checkpoint. Weight files
    never change once a `checkpoint.json` names them, so a copy that completes is whole. Yields
    the copy's folder, a checkpoint folder itself."""
    path = os.path.join(directory, STATE_FILE)
    for _ in range(tries):
        before = _current_weights(directory)
        copy = tempfile.mkdtemp(prefix="tfmodels-checkpoint-")
        try:
            raw = _read_bytes(path)  # once: what is copied is what was read
            state = load_state(path, raw)
            names = sorted(state.files) if state.files is not None else \
                _weight_files(directory, state.weights)
            for name in names:
                _check_file(os.path.join(directory, name))
                shutil.copyfile(os.path.join(directory, name), os.path.join(copy, name))
            if names:
                with open(os.path.join(copy, STATE_FILE), "wb") as f:
                    f.write(raw)
                verify_checkpoint(copy, shown=directory)
                _warned.add(_unsealed(copy))  # said of `directory` already, if at all
                break
        except (FileNotFoundError, UserError) as e:
            if _current_weights(directory) == before:  # nothing saved meanwhile: it is damaged
                shutil.rmtree(copy)
                if isinstance(e, UserError):
                    raise UserError(str(e).replace(copy, directory)) from None
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
    """Make `state` the current checkpoint (atomically), then drop older weight files.

    `checkpoint.json` is written sealed, with the digest of each of its weight files and the
    folder it is saved in (the real path: a copy of the folder is told from it). The checkpoint
    it replaces, if whole, is kept as `checkpoint.previous.json` with its weight files: a resume
    that finds the current one damaged goes on from it (one save's worth of training lost, not
    all of it)."""
    path = os.path.join(directory, STATE_FILE)
    tmp = os.path.join(directory, f".tmp-{STATE_FILE}")
    state = dataclasses.replace(
        state, folder=os.path.realpath(directory),
        files={n: _digest(os.path.join(directory, n))
               for n in _weight_files(directory, state.weights)})
    current = _current_weights(directory)
    if current is not None and current != state.weights and _whole(directory):
        previous = os.path.join(directory, f".tmp-{PREVIOUS_FILE}")
        shutil.copyfile(path, previous)
        os.replace(previous, os.path.join(directory, PREVIOUS_FILE))
    with open(tmp, "wb") as f:
        f.write(seal({"format": FORMAT, **dataclasses.asdict(state)}))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _remove_stale(directory)


def _whole(directory: str) -> bool:
    """The current checkpoint is sealed and every file matches its digest."""
    try:
        return _verified(directory, STATE_FILE).files is not None
    except UserError:
        return False


def discard_uncommitted(directory: str) -> None:
    """Remove what a save that failed (or was cut short) left: every weight file that neither
    the current `checkpoint.json` nor the previous one kept names, and temporary files."""
    with contextlib.suppress(OSError):
        _remove_stale(directory)


def _current_weights(directory: str, name: str = STATE_FILE) -> str | None:
    path = os.path.join(directory, name)
    try:
        _check_file(path)
        with open(path) as f:
            return json.load(f).get("weights")
    except (OSError, ValueError, AttributeError):  # UserError: not a regular file
        return None


def _remove_stale(directory: str) -> None:
    """Older checkpoints, and what a save cut short by a crash left behind: every weight file
    but the current checkpoint's and the previous one's, and temporary files."""
    kept = [w for w in (_current_weights(directory), _current_weights(directory, PREVIOUS_FILE))
            if isinstance(w, str)]
    for name in os.listdir(directory):
        current = any(name == w or name.startswith(w + ".") for w in kept)
        if name.startswith(PREFIX) and not current or name.startswith(".tmp-"):
            stale = os.path.join(directory, name)
            shutil.rmtree(stale) if os.path.isdir(stale) else os.remove(stale)


def all_finite(logs) -> bool:
    return all(math.isfinite(v) for v in (logs or {}).values()
               if isinstance(v, (int, float)))
