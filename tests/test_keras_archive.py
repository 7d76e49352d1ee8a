"""`tfmodels.migration.keras_archive.write_keras`: the `.keras` file Keras would write, its
weights streamed from disk rather than copied in memory (benchmarks/kit_scale.py measures it)."""

import zipfile

import keras
import numpy as np

from tfmodels.migration.keras_archive import write_keras


def _model():
    keras.backend.clear_session()
    x = keras.Input((3,))
    y = keras.layers.Dense(2, name="out")(keras.layers.Dense(4, name="hidden")(x))
    model = keras.Model(x, y, name="small")
    for i, w in enumerate(model.weights):  # each weight its own values
        w.assign(np.arange(np.prod(w.shape), dtype="float32").reshape(w.shape) / 7 + i)
    return model


def test_the_archive_holds_what_keras_writes_and_loads_back(tmp_path):
    model = _model()
    write_keras(model, str(tmp_path / "ours.keras"))
    model.save(str(tmp_path / "keras.keras"))
    ours, theirs = (zipfile.ZipFile(tmp_path / f"{n}.keras") for n in ("ours", "keras"))
    assert ours.namelist() == theirs.namelist()  # metadata.json, config.json, model.weights.h5
    assert ours.read("config.json") == theirs.read("config.json")
    loaded = keras.saving.load_model(str(tmp_path / "ours.keras"), compile=False)
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]
    for got, want in zip(loaded.weights, model.weights):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    x = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_nothing_is_left_beside_the_file(tmp_path):
    write_keras(_model(), str(tmp_path / "m.keras"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]
