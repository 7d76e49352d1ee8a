"""`tfmodels` as a user runs it."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tfmodels.cli import main


def test_list_shows_every_model(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist_mlp", "spiral", "sine", "binary4"):
        assert name in out
    assert "64 -> 512 relu -> 10 softmax" in out
    assert ("8x8x1 -> sepconv 16x3x3 linear -> batchnorm -> relu -> depconv 3x3/2 linear -> "
            "batchnorm -> relu -> sepconv 32x3x3 relu -> globalavg -> 10 softmax") in out
    assert "10 -> embed 10x8 -> gru 16 -> 2 softmax" in out


def test_unknown_model_is_one_line_listing_the_valid_names(capsys):
    assert main(["train", "resnet"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("tfmodels: error: unknown model 'resnet'; expected one of: "
                           "binary4, digits_bn_mlp, digits_cnn, digits_lstm, digits_plus, "
                           "digits_resnet, digits_separable, mnist_mlp, sine, sine_l1, spiral, "
                           "spiral_leaky, spiral_rrelu, spiral_swish, tiny_text")


def test_mnist_offline_tells_where_to_put_the_file(capsys, monkeypatch, tmp_path):
    import keras

    def offline(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert main(["compare", "--dataset", "mnist", "--logdir", str(tmp_path / "logs")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert os.path.join(str(tmp_path), "datasets", "mnist.npz") in err


def test_compare_prints_the_table_and_the_next_command(capsys, tmp_path):
    assert main(["compare", "binary4", "--epochs", "2", "--logdir", str(tmp_path),
                 "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "parity: OK" in out
    assert out.rstrip().endswith("Next: tensorboard --logdir=" + str(tmp_path))
    (run,) = os.listdir(tmp_path / "binary4")
    assert sorted(os.listdir(tmp_path / "binary4" / run)) == ["keras", "parity", "tf1"]


def test_compare_exits_non_zero_when_the_tracks_disagree(capsys, monkeypatch, tmp_path):
    import tfmodels.parity as cmp

    real_train_tf1 = cmp.train_tf1

    def train_tf1_from_other_weights(spec, data, weights, *args):
        weights = [w.copy() for w in weights]
        weights[0][0, 0] += 0.01
        return real_train_tf1(spec, data, weights, *args)

    monkeypatch.setattr(cmp, "train_tf1", train_tf1_from_other_weights)
    assert main(["compare", "binary4", "--epochs", "1", "--logdir", str(tmp_path),
                 "--verbose", "0"]) == 1
    assert "parity: FAILED" in capsys.readouterr().out


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_train_either_track(capsys, tmp_path, track):
    assert main(["train", "sine", "--track", track, "--epochs", "1", "--logdir", str(tmp_path),
                 "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "Final epoch: loss" in out
    (run,) = os.listdir(tmp_path / "sine")
    assert os.listdir(tmp_path / "sine" / run) == [track]


def test_keras_speed_switches_train_the_same_numbers_and_are_refused_in_tf1(capsys, tmp_path,
                                                                           monkeypatch):
    """Compared at full precision: what `train` returned to the CLI (its History and weights),
    not the four decimals it prints."""
    import tfmodels.training

    results, real_train = [], tfmodels.training.train

    def keep(*args, **kwargs):
        results.append(real_train(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(tfmodels.training, "train", keep)
    args = ["train", "mnist_mlp", "--epochs", "1", "--logdir", str(tmp_path), "--verbose", "0"]
    for switches in ([], ["--steps-per-execution", "1"], ["--no-fused-optimizer"]):
        assert main(args + switches) == 0
        assert "Final epoch: " in capsys.readouterr().out
    default, one_step, unfused = results
    # one step per call runs the same kernels on the same batches: the same bits
    assert one_step.history == default.history
    for a, b in zip(one_step.weights, default.weights):
        np.testing.assert_array_equal(a, b)
    # Keras's own RMSprop ops round one sum differently from the fused kernel (~1 ulp a step)
    assert unfused.history.keys() == default.history.keys()
    for key, values in default.history.items():
        np.testing.assert_allclose(unfused.history[key], values, rtol=1e-6, atol=0)
    differences = [float(np.max(np.abs(a - b))) for a, b in zip(unfused.weights, default.weights)]
    assert 0 < max(differences) < 1e-6
    assert main(args + ["--track", "tf1", "--no-fused-optimizer"]) == 2
    assert capsys.readouterr().err.strip() == (
        "tfmodels: error: --jit-compile, --steps-per-execution and --no-fused-optimizer are "
        "options of the Keras track (--track keras)")


def test_mnist_from_a_file_through_the_cli(capsys, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 64), x_test=rng.integers(0, 256, (16, 28, 28)),
             y_test=rng.integers(0, 10, 16))
    assert main(["compare", "--dataset", "mnist", "--data", str(path), "--epochs", "1",
                 "--logdir", str(tmp_path / "logs"), "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "parity: OK" in out
    # mnist_mlp's batch of 128 is more than the 64 images: one batch of them, as the line says
    assert "1 epochs, batch 64, same initial weights" in out


def test_console_script_runs_as_installed(tmp_path):
    """The `tfmodels` command itself (a subprocess, as a user types it)."""
    exe = os.path.join(os.path.dirname(sys.executable), "tfmodels")
    done = subprocess.run([exe, "compare", "binary4", "--epochs", "1", "--logdir",
                           str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Next: tensorboard --logdir=" in done.stdout
    bad = subprocess.run([exe, "compare", "nope"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "tfmodels: error: unknown model 'nope'" in bad.stderr


def _spy_on_build(monkeypatch):
    """Every (track, switches) that `tfmodels.training.build` is called with."""
    import tfmodels.training

    calls, real_build = [], tfmodels.training.build

    def spy(track, spec, weights=None, **switches):
        calls.append((track, {k: switches.get(k) for k in
                              ("jit_compile", "steps_per_execution", "fused_optimizer")}))
        return real_build(track, spec, weights, **switches)

    monkeypatch.setattr(tfmodels.training, "build", spy)
    return calls


def test_compare_and_sweep_take_trains_speed_switches(monkeypatch, tmp_path, capsys):
    calls = _spy_on_build(monkeypatch)
    common = ["binary4", "--epochs", "1", "--logdir", str(tmp_path), "--verbose", "0",
              "--steps-per-execution", "2", "--no-fused-optimizer"]
    assert main(["compare", *common, "--no-images", "--histogram-freq", "0"]) in (0, 1)
    assert main(["sweep", *common, "--lr", "0.1"]) == 0
    keras = {"jit_compile": False, "steps_per_execution": 2, "fused_optimizer": False}
    plain = {"jit_compile": False, "steps_per_execution": None, "fused_optimizer": True}
    # compare: the switches reach the Keras track only; the TF1 track has none of them
    assert calls == [("keras", keras), ("tf1", plain), ("keras", keras)]
    capsys.readouterr()
    assert main(["sweep", *common, "--lr", "0.1", "--track", "tf1"]) == 2
    assert "options of the Keras track" in capsys.readouterr().err


@pytest.mark.parametrize("argv, reason", [
    (["compare", "--track", "tf1"], "--track tf1: compare trains both tracks; train one track "
                                    "with `tfmodels train --track tf1`"),
    (["compare", "--checkpoint-dir", "ck"], "--checkpoint-dir: compare trains both tracks from "
                                            "one start in one go"),
    (["sweep", "--lr", "0.1", "--save-every", "5"], "--save-every: sweep trains a new run per "
                                                    "trial"),
])
def test_switches_that_make_no_sense_there_are_refused_with_the_reason(capsys, tmp_path,
                                                                       argv, reason):
    assert main([*argv, "--logdir", str(tmp_path / "logs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and reason in err
    assert not (tmp_path / "logs").exists() and not os.path.exists("ck")


def test_library_messages_reach_the_cli_in_its_flags():
    """The library names parameters (`batch_size=5000`); the CLI's error line says the flags,
    translated in one place, `cli.as_flags`; a spec file's own field keeps its name."""
    from tfmodels.cli import FLAGS, as_flags

    assert as_flags("batch_size=5000 is larger than the 500 training samples of binary4") == (
        "--batch-size 5000 is larger than the 500 training samples of binary4")
    assert as_flags("strategy=gpu: no GPU; use strategy=cpu or auto") == (
        "--strategy gpu: no GPU; use --strategy cpu or auto")
    assert as_flags("jit_compile=True, steps_per_execution and fused_optimizer=False are "
                    "options of the Keras track (track=keras)") == (
        "--jit-compile, --steps-per-execution and --no-fused-optimizer are options of the "
        "Keras track (--track keras)")
    assert as_flags("log_root=x: leave log_root out, or give another checkpoint_dir") == (
        "--logdir x: leave --logdir out, or give another --checkpoint-dir")
    assert as_flags("spec file a.json: unknown field(s) ['colour']") == (
        "--spec a.json: unknown field(s) ['colour']")
    # a spec file's field, and names that only contain a parameter's, stay as they are
    for kept in ("batch_size must be a positive integer, got 0", "epochs already",
                 "learning_rate=0.1", "model.strategy=x", "the data set", "my_tf1_pattern=x"):
        assert as_flags(kept) == kept
    assert all(flag.startswith("--") for flag in FLAGS.values())
