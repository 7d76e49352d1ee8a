"""Training as the command line runs it: divergence is caught where it happens, in both tracks."""

import json
import math

import numpy as np
import pytest

from tfmodels.cli import main
from tfmodels.core import registry
from tfmodels.core.data import load_dataset
from tfmodels.core.spec import OptimizerSpec
from tfmodels.training import Diverged, train

# plain SGD with a step of 1e4 on the sine regression: the loss overflows within a few steps
EXPLODING = registry.get_spec("sine", epochs=3, optimizer=OptimizerSpec("sgd", {
    "learning_rate": 1e4}))


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_nan_stops_training_naming_epoch_and_step_and_keeps_the_checkpoint(track, tmp_path):
    data = load_dataset("sine")
    with pytest.raises(Diverged) as err:
        train(track, EXPLODING, data, checkpoint_dir=str(tmp_path), save_every=1,
              verbose=0, log=None)
    message = str(err.value)
    assert message.startswith("training diverged: the loss became ")
    assert "at epoch 1, step " in message and f"checkpoint in {tmp_path} is kept" in message
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    step = int(message.split("step ")[1].split(";")[0])
    assert state["iterations"] == step - 1  # the last step whose loss was still a number
    assert all(math.isfinite(v) for values in state["history"].values() for v in values)


def test_both_tracks_diverge_at_the_same_step(tmp_path):
    data = load_dataset("sine")
    messages = []
    for track in ("keras", "tf1"):
        with pytest.raises(Diverged) as err:
            train(track, EXPLODING, data, verbose=0, log=None)
        messages.append(str(err.value).split(";")[0])
    assert messages[0] == messages[1]


def test_cli_exit_status_for_divergence(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(registry.MODELS, "sine", EXPLODING)
    code = main(["train", "sine", "--logdir", str(tmp_path), "--verbose", "0"])
    err = capsys.readouterr().err
    assert code == 3 and "tfmodels: error: training diverged" in err
    assert "try a lower learning rate" in err


def test_finished_run_is_not_trained_again(tmp_path):
    spec = registry.get_spec("binary4", epochs=1)
    data = load_dataset("binary4")
    first = train("keras", spec, data, checkpoint_dir=str(tmp_path), verbose=0,
                  log=None)
    again = train("keras", spec, data, checkpoint_dir=str(tmp_path), verbose=0,
                  log=None)
    assert again.history == first.history
    assert all(np.array_equal(a, b) for a, b in zip(again.weights, first.weights))
