"""Where runs write their TensorBoard logs, and what both tracks' loggers share.

    <logdir>/<model>/<run-id>/<track>/train
    <logdir>/<model>/<run-id>/<track>/validation
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

import numpy as np

from tfmodels.core.checks import check_path_name
from tfmodels.core.errors import UserError
from tfmodels.core.training_state import check_dir

__all__ = [
    "check_logdir", "new_run_dir", "event_sizes", "cut_back", "TRACE_TAG", "LogOptions",
    "parse_profile_batches", "weight_tag",
]

# What may stand at the top of a log folder besides run folders.
_OURS = ("README.md", ".gitignore")


def check_logdir(logdir: str) -> None:
    """A log root must be a writable folder of logs (or not yet exist); else one line why not.

    Runs only ever add folders under it, but a folder full of someone's files is most likely a
    wrong path (`--logdir ~` for `--logdir logs`): refuse it before writing anything.
    """
    check_dir(logdir, "log folder")
    if os.path.isdir(logdir):
        foreign = sorted(n for n in os.listdir(logdir)
                         if os.path.isfile(os.path.join(logdir, n)) and n not in _OURS
                         and ".tfevents." not in n)
        if foreign:
            raise UserError(f"log folder {logdir!r} holds files that are not TensorBoard logs "
                            f"({', '.join(foreign[:3])}); choose an empty folder or a log root")


def new_run_dir(logdir: str, model_name: str) -> str:
    """A new, empty folder for one run; never one that exists, so no run overwrites another."""
    check_path_name(model_name)  # never a folder outside `logdir`
    stamp = time.strftime("%Y%m%d-%H%M%S")
    while True:
        run_dir = os.path.join(logdir, model_name, f"{stamp}-{secrets.token_hex(3)}")
        try:
            os.makedirs(run_dir)  # exist_ok=False: a clash draws a new suffix
            return run_dir
        except FileExistsError:
            continue


def event_sizes(log_dir: str | None) -> dict | None:
    """{event file, relative to `log_dir`: its size}: how much of a run's logs a checkpoint
    covers (the writers flushed first). None without logs."""
    if not log_dir or not os.path.isdir(log_dir):
        return None
    sizes = {}
    for folder, _, files in os.walk(log_dir):
        for name in files:
            if ".tfevents." in name:
                path = os.path.join(folder, name)
                sizes[os.path.relpath(path, log_dir)] = os.path.getsize(path)
    return sizes


def cut_back(log_dir: str, sizes: dict | None) -> None:
    """Undo what a run logged after its last checkpoint, before it resumes from there.

    An event file is a sequence of whole records, and `sizes` were taken after a flush, at a
    record's end: cutting a file to its size leaves every event up to the checkpoint and none
    after it, and files begun after the checkpoint go. Without this, the steps between the
    checkpoint and a crash would be logged twice (once before, once after resuming), which
    TensorBoard's readers do not agree how to show.
    """
    if sizes is None or not os.path.isdir(log_dir):
        return  # a checkpoint from before event sizes were kept: nothing to go by
    for relative, size in (event_sizes(log_dir) or {}).items():
        path = os.path.join(log_dir, relative)
        if relative not in sizes:
            os.remove(path)
        elif size > sizes[relative]:
            os.truncate(path, sizes[relative])


TRACE_TAG = "train_step"  # the traced op graph of one training step, in both tracks


@dataclass(frozen=True)
class LogOptions:
    """What a run writes for TensorBoard besides the epoch scalars."""

    update_freq: str | int = "epoch"  # "epoch", "batch", or every N batches
    histogram_freq: int = 1  # weight histograms every N epochs; 0: none
    images: bool = True  # the pictures of tfmodels.core.plots, at the end of training
    profile_batches: tuple[int, int] | None = None  # first and last batch to profile
    trace_graph: bool = True  # the op graph of one training step

    def __post_init__(self):
        freq = self.update_freq
        if freq not in ("epoch", "batch") and not (type(freq) is int and freq >= 1):
            raise UserError(f"update_freq must be 'epoch', 'batch' or a positive integer, "
                            f"got {freq!r}")
        if type(self.histogram_freq) is not int or self.histogram_freq < 0:
            raise UserError(f"histogram_freq must be an integer >= 0, got "
                            f"{self.histogram_freq!r}")
        if self.profile_batches is not None:
            parse_profile_batches(self.profile_batches)

    @property
    def batch_every(self) -> int:
        """Write batch scalars every this many batches; 0: never."""
        return {"epoch": 0, "batch": 1}.get(self.update_freq, self.update_freq)


def parse_profile_batches(value, name: str = "profile_batches") -> tuple[int, int]:
    """`"2,4"`, `(2, 4)` or `3` -> `(first, last)`: 1-based training steps, 2 <= first <= last.

    Step 1 is left out: it traces the graph (TRACE_TAG) and would swamp the profile with
    one-off tracing work.
    """
    text = value if isinstance(value, str) else ",".join(map(str, np.atleast_1d(value)))
    parts = [p.strip() for p in text.split(",")]
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2 or not 2 <= numbers[0] <= numbers[1] < 2**63:  # steps are int64
        raise UserError(f"{name}: expected FIRST,LAST with 2 <= FIRST <= LAST (e.g. 2,4), "
                        f"got {text!r}")
    return numbers[0], numbers[1]


def weight_tag(layer_name: str, weight_name: str) -> str:
    """The histogram tag of a weight in both tracks: `dense_0/kernel`, the TF1 variable's name."""
    return f"{layer_name}/{weight_name}"
