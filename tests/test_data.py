import numpy as np
import pytest

from tfmodels.core import data
from tfmodels.core.data import batch_indices, split_validation, steps_per_epoch


def test_batches_cover_every_sample_once_with_a_partial_last_batch():
    batches = batch_indices(10, 4, epoch=0, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert steps_per_epoch(10, 4) == 3 == len(batches)  # ceil(N / batch), C14


def test_shuffle_is_seeded_and_new_every_epoch():
    e0 = np.concatenate(batch_indices(100, 32, epoch=0, seed=7))
    assert np.array_equal(e0, np.concatenate(batch_indices(100, 32, epoch=0, seed=7)))
    assert not np.array_equal(e0, np.concatenate(batch_indices(100, 32, epoch=1, seed=7)))
    assert not np.array_equal(e0, np.concatenate(batch_indices(100, 32, epoch=0, seed=8)))
    unshuffled = np.concatenate(batch_indices(100, 32, epoch=3, shuffle=False))
    assert np.array_equal(unshuffled, np.arange(100))


def test_split_validation_takes_the_last_fraction_like_keras():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    (xt, yt), (xv, yv) = split_validation(x, y, 0.2)
    assert list(yt) == list(range(8)) and list(yv) == [8, 9]
    with pytest.raises(ValueError, match="validation_split must be between 0 and 1, got 1.5"):
        split_validation(x, y, 1.5)


def test_spiral_data_follows_the_nnfs_definition():
    x, y = data.spiral_data(100, 3, np.random.default_rng(0))
    assert x.shape == (300, 2) and y.shape == (300,)
    assert np.bincount(y).tolist() == [100, 100, 100]
    radius = np.hypot(x[:, 0], x[:, 1])
    # radius grows linearly 0..1 along each arm (np.linspace(0, 1, samples))
    assert np.allclose(radius[:100], np.linspace(0, 1, 100))
    assert np.allclose(radius[200:], np.linspace(0, 1, 100))


def test_sine_data_is_one_period_on_the_unit_interval():
    x, y = data.sine_data(1000)
    assert x.shape == y.shape == (1000, 1)
    assert x[0, 0] == 0 and x[-1, 0] == pytest.approx(0.999)
    assert np.allclose(y, np.sin(2 * np.pi * x))


def test_digits_are_scaled_to_unit_range_and_one_hot():
    d = data.load_digits()
    assert d.x_train.shape == (1437, 64) and d.x_val.shape == (360, 64)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() == 1
    assert np.array_equal(d.y_train.sum(axis=1), np.ones(1437))


def test_mnist_from_a_local_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 20), x_test=rng.integers(0, 256, (5, 28, 28)),
             y_test=rng.integers(0, 10, 5))
    d = data.load_dataset("mnist", path=str(path))
    assert d.x_train.shape == (20, 784) and d.y_val.shape == (5, 10)
    assert d.x_train.max() <= 1.0


def test_mnist_offline_says_which_file_to_put_where(monkeypatch, tmp_path):
    import keras

    def offline(*args, **kwargs):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError) as err:
        data.load_dataset("mnist")
    assert str(tmp_path / "datasets" / "mnist.npz") in str(err.value)
    assert "--data" in str(err.value)


def test_missing_data_file_and_unknown_dataset():
    with pytest.raises(FileNotFoundError, match="--data 'nope.npz': no such file"):
        data.load_dataset("mnist", path="nope.npz")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; expected one of: binary4"):
        data.load_dataset("cifar")


def test_layouts_are_the_notes_example_shapes_samples_first():
    """C16's example tensors (Chollet, "Deep Learning with Python", 2.2.10): the batch axis
    first, the same 128 samples in every layout but video's 4; a sequence is vectors over 50
    steps; the two image layouts are one tensor with the channels axis moved."""
    layouts = data.LAYOUTS
    assert layouts == {"scalar": (), "vectors": (128, 20), "sequences": (128, 50, 20),
                       "images": (128, 28, 28, 3), "images_channels_first": (128, 3, 28, 28),
                       "video": (4, 16, 64, 64, 3)}
    batches = {shape[0] for name, shape in layouts.items() if name not in ("scalar", "video")}
    assert batches == {128}
    assert layouts["sequences"][::2] == layouts["vectors"]
    n, h, w, c = layouts["images"]
    assert layouts["images_channels_first"] == (n, c, h, w)
    assert np.zeros(layouts["video"])[0].shape == (16, 64, 64, 3)  # one sample: frames of images
