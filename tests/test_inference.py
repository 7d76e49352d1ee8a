"""`tfmodels evaluate` / `predict`: a checkpoint of `train`, in either track, used again."""

import numpy as np
import pytest

from tfmodels.cli import main
from tfmodels.core import reference
from tfmodels.core.data import for_spec, load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import initial_weights
from tfmodels.inference import evaluate, predict
from tfmodels.training import train

SPEC = get_spec("spiral", epochs=2)
DATA = for_spec(load_dataset(SPEC.dataset, SPEC.seed), SPEC)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{track: (checkpoint folder, final weights)} of a short spiral run in each track."""
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for track in ("keras", "tf1"):
        folder = str(root / track)
        result = train(track, SPEC, DATA, checkpoint_dir=folder, verbose=0, log=None)
        out[track] = folder, [np.asarray(w, np.float64) for w in result.weights]
    return out


def witness(weights, x):
    """The spiral model's outputs in float64 NumPy (Dense relu -> Dense softmax)."""
    outputs, _ = reference.mlp_forward(weights, ["relu", "softmax"], np.asarray(x, np.float64))
    return outputs


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_predict_gives_the_outputs_of_the_trained_weights(runs, track, tmp_path):
    folder, weights = runs[track]
    x = DATA.x_val[:7]
    np.save(tmp_path / "x.npy", x)
    spec, outputs = predict(folder, str(tmp_path / "x.npy"))
    assert spec.name == "spiral" and outputs.shape == (7, 3)
    # float32 forward against float64: a few ulp of float32
    np.testing.assert_allclose(outputs, witness(weights, x), rtol=1e-5, atol=1e-7)
    start = [np.asarray(w, np.float64) for w in initial_weights(SPEC)]
    assert not np.allclose(outputs, witness(start, x), rtol=1e-3)  # restored, not a fresh start


@pytest.mark.parametrize("track", ["keras", "tf1"])
def test_evaluate_gives_loss_and_accuracy_of_the_validation_split(runs, track):
    folder, weights = runs[track]
    spec, results = evaluate(folder)
    p = witness(weights, DATA.x_val)
    loss = reference.categorical_crossentropy(DATA.y_val.astype(np.float64), p).mean()
    accuracy = np.mean(p.argmax(1) == DATA.y_val.argmax(1))
    assert list(results) == ["loss", "accuracy"]
    assert results["loss"] == pytest.approx(loss, rel=1e-5)
    assert results["accuracy"] == pytest.approx(accuracy, abs=1e-6)


def test_evaluate_takes_class_numbers_from_a_file_of_ones_own(runs, tmp_path):
    folder, weights = runs["tf1"]
    x, labels = DATA.x_val[:30], DATA.y_val[:30].argmax(1)
    np.savez(tmp_path / "test.npz", x=x, y=labels)
    _, results = evaluate(folder, str(tmp_path / "test.npz"))
    p = witness(weights, x)
    assert results["loss"] == pytest.approx(-np.log(p[np.arange(30), labels]).mean(), rel=1e-5)


def test_cli_predict_writes_csv_and_npy_alike(runs, tmp_path, capsys):
    folder, weights = runs["keras"]
    x = DATA.x_val[:5]
    np.savetxt(tmp_path / "x.csv", x, delimiter=",")
    assert main(["predict", folder, "--data", str(tmp_path / "x.csv"),
                 "--output", str(tmp_path / "p.csv")]) == 0
    assert main(["predict", folder, "--data", str(tmp_path / "x.csv"),
                 "--output", str(tmp_path / "p.npy")]) == 0
    assert main(["predict", folder, "--data", str(tmp_path / "x.csv")]) == 0
    printed = np.array([[float(v) for v in line.split(",")]
                        for line in capsys.readouterr().out.splitlines() if line.count(",") == 2])
    expected = witness(weights, x)
    for got in (np.loadtxt(tmp_path / "p.csv", delimiter=","), np.load(tmp_path / "p.npy"),
                printed):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "p.npy", "x.csv"]


def test_cli_evaluate_prints_both_numbers(runs, capsys):
    assert main(["evaluate", runs["tf1"][0]]) == 0
    out = capsys.readouterr().out
    _, results = evaluate(runs["tf1"][0])
    assert f"{results['loss']:.6g}" in out and f"{results['accuracy']:.6g}" in out


@pytest.mark.parametrize("argv, message", [
    # the other mistakes of evaluate and predict are in test_bad_input_catalogue.py (binary4);
    # this one needs a model of several classes
    (["evaluate", "{ckpt}", "--data", "{tmp}/badlabels.npz"],
     "class numbers must be 0..2, got 0..7"),
])
def test_bad_input_is_one_line_and_writes_nothing(runs, tmp_path, capsys, argv, message):
    np.savez(tmp_path / "badlabels.npz", x=DATA.x_val[:4], y=np.array([0, 1, 7, 2]))
    before = sorted(p.name for p in tmp_path.iterdir())
    fill = {"tmp": str(tmp_path), "ckpt": runs["keras"][0]}
    assert main([a.format(**fill) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message.format(**fill) in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
