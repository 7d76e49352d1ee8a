"""What a checkpoint records of a run's event files, and the cut back to it on resume."""

import os

import tensorflow as tf

from tfmodels.core.logs import cut_back, event_sizes


def write_scalars(folder, steps):
    writer = tf.summary.create_file_writer(str(folder))
    with writer.as_default():
        for step in steps:
            tf.summary.scalar("epoch_loss", 1.0 / (step + 1), step=step)
    writer.flush()
    return writer


def logged(log_dir):
    """[(split, tag, step)] of every scalar in the raw event files, in file order."""
    seen = []
    for folder, _, files in sorted(os.walk(log_dir)):
        for name in sorted(files):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
                for value in event.summary.value:
                    seen.append((os.path.basename(folder), value.tag, event.step))
    return seen


def test_cut_back_keeps_exactly_what_the_checkpoint_covered(tmp_path):
    run = tmp_path / "run"
    writer = write_scalars(run / "train", [0, 1])
    covered = event_sizes(str(run))
    assert list(covered) == [os.path.relpath(next((run / "train").iterdir()), run)]
    with writer.as_default():  # the steps between the checkpoint and a crash
        tf.summary.scalar("epoch_loss", 0.3, step=2)
    writer.close()
    write_scalars(run / "validation", [2])  # a file begun after the checkpoint
    assert len(logged(run)) == 4
    cut_back(str(run), covered)
    assert logged(run) == [("train", "epoch_loss", 0), ("train", "epoch_loss", 1)]
    # the resumed run logs step 2 again: once
    write_scalars(run / "train", [2]).close()
    assert [step for _, _, step in logged(run)] == [0, 1, 2]


def test_no_record_means_nothing_is_cut(tmp_path):
    write_scalars(tmp_path / "train", [0, 1, 2]).close()
    cut_back(str(tmp_path), None)  # a checkpoint from before sizes were recorded
    assert len(logged(tmp_path)) == 3
    assert event_sizes(str(tmp_path / "absent")) is None
