"""Weights move between a TF1 Saver checkpoint and Keras files, checked name by name."""

import os

import numpy as np
import pytest

from tf1_compat.model import Model
from tfmodels.cli import main
from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.keras_track.model import build_model
from tfmodels.migration.conversion import read_tf1, write_tf1
from tfmodels.training import train


@pytest.fixture(scope="module")
def trained_tf1(tmp_path_factory):
    """mnist_mlp trained for one epoch by the TF1 track, checkpointed."""
    folder = tmp_path_factory.mktemp("tf1") / "ckpt"
    spec = get_spec("mnist_mlp", epochs=1)
    result = train("tf1", spec, load_dataset("digits"), checkpoint_dir=str(folder),
                   verbose=0, log=None)
    return folder, result


@pytest.mark.parametrize("fmt", [".keras", ".weights.h5"])
def test_round_trip_tf1_keras_tf1_keeps_the_predictions(capsys, tmp_path, trained_tf1, fmt):
    folder, result = trained_tf1
    spec = get_spec("mnist_mlp")
    keras_file = str(tmp_path / f"model{fmt}")
    assert main(["convert", "--from", "tf1", "--to", "keras", str(folder), keras_file]) == 0
    assert main(["convert", "--from", "keras", "--to", "tf1", keras_file,
                 str(tmp_path / "back" / "ckpt"), "--model", "mnist_mlp"]) == 0
    x = load_dataset("digits").x_val
    if fmt == ".keras":
        import keras

        keras_model = keras.saving.load_model(keras_file, safe_mode=True)
    else:
        keras_model = build_model(spec)
        keras_model.load_weights(keras_file)
    keras_pred = keras_model.predict(x, batch_size=spec.batch_size, verbose=0)
    with Model(spec, read_tf1(str(tmp_path / "back" / "ckpt"), spec)) as back:
        back_pred = back.predict(x, batch_size=spec.batch_size, verbose=0)
    # the same float32 weights through the same kernels: the same outputs (1 ulp of slack for
    # the two tracks' matmul call paths)
    np.testing.assert_allclose(keras_pred, result.predictions, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(back_pred, result.predictions)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]


def test_a_checkpoint_of_another_shape_names_the_variable(capsys, tmp_path, trained_tf1):
    folder, _ = trained_tf1
    prefix = str(folder / next(n for n in os.listdir(folder) if n.endswith(".index")))[:-6]
    code = main(["convert", "--from", "tf1", "--to", "keras", prefix, str(tmp_path / "m.keras"),
                 "--model", "spiral"])
    err = capsys.readouterr().err
    assert code == 2
    assert "variable dense_0/kernel has shape (64, 512)" in err
    assert "model 'spiral' expects (2, 64)" in err
    assert not (tmp_path / "m.keras").exists()


def test_a_layer_the_checkpoint_lacks_is_named(capsys, tmp_path):
    # sine's first two layers (1 -> 64 -> 64), without its output layer
    sine = get_spec("sine")
    spec = sine.replace(name="sine_trunk", layers=sine.layers[:2])
    write_tf1(str(tmp_path / "two" / "ckpt"), spec, build_model(spec).get_weights())
    code = main(["convert", "--from", "tf1", "--to", "keras", str(tmp_path / "two" / "ckpt"),
                 str(tmp_path / "m.keras"), "--model", "sine"])  # 1 -> 64 -> 64 -> 1
    err = capsys.readouterr().err
    assert code == 2 and "has no variable dense_2/kernel" in err


def test_keras_files_are_loaded_in_safe_mode(capsys, tmp_path):
    """A .keras file carrying a Lambda (arbitrary code) is refused, not run."""
    import keras

    evil = keras.Sequential([keras.Input((64,)), keras.layers.Lambda(lambda t: t * 2),
                             keras.layers.Dense(512), keras.layers.Dense(10)], name="mnist_mlp")
    evil.save(tmp_path / "evil.keras")
    code = main(["convert", "--from", "keras", "--to", "tf1", str(tmp_path / "evil.keras"),
                 str(tmp_path / "out" / "ckpt")])
    err = capsys.readouterr().err
    assert code == 2 and "safe_mode" in err and "\n" not in err.strip()
    assert not (tmp_path / "out").exists()


def test_a_missing_source_and_a_wrong_target_suffix(capsys, tmp_path):
    code = main(["convert", "--from", "tf1", "--to", "keras", str(tmp_path / "nope"),
                 str(tmp_path / "m.keras"), "--model", "sine"])
    assert code == 2 and "no such checkpoint or file" in capsys.readouterr().err
    spec = get_spec("sine")
    write_tf1(str(tmp_path / "c" / "ckpt"), spec, build_model(spec).get_weights())
    code = main(["convert", "--from", "tf1", "--to", "keras", str(tmp_path / "c" / "ckpt"),
                 str(tmp_path / "m.h5"), "--model", "sine"])
    assert code == 2 and "a Keras target must end in .keras or .weights.h5" in \
        capsys.readouterr().err


@pytest.mark.slow  # a training subprocess, 30 s
@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_convert_reads_a_whole_checkpoint_while_training_goes_on(track, tmp_path):
    """A run saving after every step replaces its weight files all the time; each convert still
    reads one whole checkpoint (before: 4 of 4 converts of a live checkpoint failed)."""
    import subprocess
    import sys
    import time

    folder = tmp_path / "ckpt"
    run = subprocess.Popen([sys.executable, "-m", "tfmodels.cli", "train", "sine", "--track",
                            track, "--epochs", "200", "--checkpoint-dir", str(folder),
                            "--save-every", "1",
                            "--verbose", "0", "--logdir", str(tmp_path / "logs"),
                            "--histogram-freq", "0", "--no-images"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    other = "keras" if track == "tf1" else "tf1"
    target = str(tmp_path / ("out.weights.h5" if other == "keras" else "out/ckpt"))
    converted = 0
    try:
        deadline = time.monotonic() + 240
        while not (folder / "checkpoint.json").exists() and time.monotonic() < deadline:
            assert run.poll() is None, run.stderr.read()[-2000:]
            time.sleep(0.2)
        while converted < 8 and run.poll() is None:
            assert main(["convert", "--from", track, "--to", other, str(folder), target]) == 0
            converted += 1
    finally:
        run.kill()
        run.wait(timeout=60)
    assert converted == 8, "training ended before eight converts"


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    """A write that fails half way (a full disk) leaves nothing in the target's folder: once, a
    `.tmp-*` file stayed behind a failed convert."""
    import errno

    from tfmodels.migration.checkpoints import save_keras, save_tf1

    class Full:  # writes part of its file(s), then the disk is full
        def __init__(self, suffixes):
            self.suffixes = suffixes

        def save(self, *args, **kwargs):  # a Keras model's (path) or a Saver's (session, path)
            path = args[-1]
            assert isinstance(path, str) and os.path.isabs(path), path  # never the cwd
            for suffix in self.suffixes:
                open(path + suffix, "w").write("half")
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        save_keras(Full([""]), str(tmp_path / "model.keras"))
    with pytest.raises(OSError):  # a Saver: the prefix's .data then its .index
        save_tf1(Full([".data-00000-of-00001", ".index"]), None, str(tmp_path / "model.ckpt"))
    assert os.listdir(tmp_path) == []
