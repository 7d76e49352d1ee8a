import re
import struct
import zipfile

import numpy as np
import pytest

from tfmodels.core import data
from tfmodels.core.data import batch_indices, split_validation, steps_per_epoch
from tfmodels.core.errors import UserError


def test_batches_cover_every_sample_once_with_a_partial_last_batch():
    batches = batch_indices(10, 4, epoch=0, seed=1)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert steps_per_epoch(10, 4) == 3 == len(batches)  # ceil(N / batch), C14


def test_batches_default_to_epoch_0_of_seed_0():
    """The docstring's rule, a permutation drawn from (seed, epoch) alone, at the defaults: the
    first epoch (0) of a spec's default seed (0). Found by mutation testing."""
    order = np.random.default_rng([0, 0]).permutation(10)
    assert [b.tolist() for b in batch_indices(10, 4)] == [order[:4].tolist(),
                                                          order[4:8].tolist(),
                                                          order[8:].tolist()]


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
    assert d.y_train.shape == (1437, 10) and d.y_val.shape == (360, 10)  # the 10 digits
    assert sorted(set(d.y_train.argmax(axis=1))) == list(range(10))


def test_mnist_from_a_local_npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 20), x_test=rng.integers(0, 256, (5, 28, 28)),
             y_test=rng.integers(0, 10, 5))
    d = data.load_dataset("mnist", path=str(path))
    assert d.x_train.shape == (20, 784) and d.y_val.shape == (5, 10)
    assert d.x_train.max() <= 1.0


def test_missing_data_file_and_unknown_dataset():
    with pytest.raises(FileNotFoundError) as err:
        data.load_dataset("mnist", path="nope.npz")
    assert str(err.value) == "path='nope.npz': no such file; expected an mnist.npz"
    with pytest.raises(ValueError) as err:
        data.load_dataset("cifar")
    assert str(err.value) == ("unknown dataset 'cifar'; expected one of: binary4, digits, "
                              "digits_plus, mnist, sine, spiral, tokens")


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


class _FixedNormal:
    """An rng whose standard normal draws are all `value`: the spiral without (or with a known)
    noise, so its angles can be checked against the NNFS formula."""

    def __init__(self, value):
        self.value = value

    def standard_normal(self, n):
        return np.full(n, self.value)


@pytest.mark.parametrize("noise", [0.0, 1.0])
def test_spiral_angles_follow_the_nnfs_formula(noise):
    """NNFS: t = linspace(4 c, 4 (c + 1)) + 0.2 normal noise; point r (sin 2.5 t, cos 2.5 t)."""
    x, y = data.spiral_data(5, 2, _FixedNormal(noise))
    for c in range(2):
        r = np.linspace(0, 1, 5)
        t = np.linspace(4 * c, 4 * (c + 1), 5) + 0.2 * noise
        np.testing.assert_allclose(x[5 * c:5 * (c + 1)],
                                   np.c_[r * np.sin(2.5 * t), r * np.cos(2.5 * t)], atol=1e-15)
        assert y[5 * c:5 * (c + 1)].tolist() == [c] * 5


def test_spiral_without_an_rng_draws_from_seed_0():
    a, _ = data.spiral_data(10, 2)
    b, _ = data.spiral_data(10, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)


def test_spiral_loader_validates_on_a_fresh_draw_of_the_same_spiral():
    d = data.load_dataset("spiral", seed=3)
    assert d.x_train.shape == d.x_val.shape == (300, 2) and d.x_train.dtype == np.float32
    assert d.y_train.shape == d.y_val.shape == (300, 3)
    assert d.y_train.sum(axis=0).tolist() == d.y_val.sum(axis=0).tolist() == [100.0] * 3
    assert not np.array_equal(d.x_train, d.x_val)
    np.testing.assert_allclose(np.hypot(*d.x_val[:100].T), np.linspace(0, 1, 100), rtol=1e-6)


def test_sine_validates_between_the_training_points():
    d = data.load_dataset("sine")
    assert d.x_train.shape == (1000, 1) and d.x_val.shape == d.y_val.shape == (200, 1)
    np.testing.assert_allclose(d.x_val[[0, 1, -1], 0], [0.0025, 0.0075, 0.9975], rtol=1e-6)
    np.testing.assert_allclose(d.y_val, np.sin(2 * np.pi * d.x_val), atol=1e-6)
    assert all(a.dtype == np.float32 for a in d)


def test_binary4_is_500_to_train_100_to_validate_one_label_column():
    d = data.load_dataset("binary4", seed=1)
    assert d.x_train.shape == (500, 4) and d.x_val.shape == (100, 4)
    assert d.y_train.shape == (500, 1) and set(np.unique(d.y_train)) == {0.0, 1.0}
    assert d.y_val.shape == (100, 1)
    assert d.x_train.dtype == d.y_train.dtype == np.float32


def test_mnist_pixels_are_divided_by_255_and_labels_one_hot(tmp_path):
    path = tmp_path / "mnist.npz"
    pixels = np.array([[0, 51, 255, 102]], dtype=np.uint8).repeat(196, axis=0).reshape(28, 28)
    np.savez(path, x_train=np.stack([pixels, 255 - pixels]), y_train=np.array([3, 9]),
             x_test=pixels[None], y_test=np.array([0]))
    d = data.load_dataset("mnist", path=str(path))
    assert d.x_train.shape == (2, 784) and d.x_train.dtype == np.float32
    assert d.x_train[0, :4].tolist() == [0.0, np.float32(0.2), 1.0, np.float32(0.4)]
    assert d.y_train.argmax(axis=1).tolist() == [3, 9] and d.y_val.tolist() == [[1] + [0] * 9]
    with pytest.raises(ValueError) as err:
        data.load_dataset("spiral", path=str(path))
    assert str(err.value) == f"path={str(path)!r} is for dataset=mnist, not 'spiral'"


def test_each_data_sets_declared_width_is_its_samples_width():
    assert data.DATASETS["mnist"][0] == 784  # 28 x 28, flattened (test_mnist_... above)
    for name in ("digits", "spiral", "sine", "binary4"):
        assert data.DATASETS[name][0] == data.load_dataset(name).x_train.shape[1], name


def test_for_spec_reshapes_samples_and_makes_sparse_labels():
    from tfmodels.core.registry import get_spec

    d = data.load_dataset("digits")
    cnn = get_spec("digits_cnn")  # input_shape (8, 8, 1)
    shaped = data.for_spec(d, cnn)
    assert shaped.x_train.shape == (1437, 8, 8, 1) and shaped.x_val.shape == (360, 8, 8, 1)
    np.testing.assert_array_equal(shaped.x_train[5, :, :, 0].reshape(-1), d.x_train[5])
    sparse = data.for_spec(d, cnn.replace(loss="sparse_categorical_crossentropy",
                                          metrics=("sparse_categorical_accuracy",)))
    assert sparse.y_train.shape == (1437,) and sparse.y_train.dtype == np.float32
    np.testing.assert_array_equal(sparse.y_val, d.y_val.argmax(axis=1))
    assert data.for_spec(d, get_spec("mnist_mlp")).x_train is d.x_train  # already its shape
    with pytest.raises(ValueError) as err:
        data.for_spec(d, cnn.replace(input_shape=(7, 7, 1)))
    assert str(err.value) == ("data set 'digits' has samples of shape (64,) (64 numbers); "
                              "model 'digits_cnn' takes input_shape (7, 7, 1)")


def test_for_spec_makes_class_numbers_of_two_class_one_hot_and_keeps_a_column_of_them():
    """Found by mutation testing (docs/testing.md): one-hot rows of 2 classes are one-hot too,
    and a column of class numbers (shape (n, 1)) is already what a sparse loss takes; its
    argmax would be all zeros. Labels of any other shape are refused, in one line."""
    from tfmodels.core.spec import Dense, ModelSpec, OptimizerSpec

    spec = ModelSpec("two", (Dense(2, "softmax"),), "sparse_categorical_crossentropy",
                     OptimizerSpec("sgd"), "binary4", input_dim=4)
    x = np.zeros((3, 4), np.float32)
    one_hot = np.array([[0, 1], [1, 0], [0, 1]], np.float32)
    d = data.for_spec(data.Data(x, one_hot, x[:2], one_hot[1:]), spec)
    assert d.y_train.tolist() == [1.0, 0.0, 1.0] and d.y_val.tolist() == [0.0, 1.0]
    numbers = np.array([[1], [0], [1]], np.float32)
    d = data.for_spec(data.Data(x, numbers, x, numbers), spec)
    assert d.y_train.tolist() == d.y_val.tolist() == [[1.0], [0.0], [1.0]]
    with pytest.raises(ValueError) as err:
        data.for_spec(data.load_dataset("digits"), ModelSpec(
            "one", (Dense(1, "sigmoid"),), "binary_crossentropy", OptimizerSpec("sgd"),
            "binary4", input_dim=64))
    assert str(err.value) == ("data set 'binary4' has labels of shape (10,); model 'one' "
                              "(binary_crossentropy) takes labels of shape (1,): choose a data "
                              "set of its kind")


def test_binary4_labels_are_about_half_ones():
    """A label is 1 when a linear score of standard normal features plus normal noise is
    positive: both are symmetric about 0, so each label is 1 with probability 1/2 (600 labels:
    standard deviation 0.02 of the mean). Found by mutation testing: a threshold of 1 gives 36 %."""
    for seed in (0, 1, 2):
        d = data.load_binary4(seed)
        assert abs(np.concatenate([d.y_train, d.y_val]).mean() - 0.5) < 0.07, seed


@pytest.mark.parametrize("n, fraction, cut", [(10, 0.25, 7), (10, 0.05, 9), (3, 0.5, 1)])
def test_split_validation_cuts_at_the_floor(n, fraction, cut):
    x, y = np.arange(n).reshape(n, 1), np.arange(n)
    (xt, yt), (xv, yv) = split_validation(x, y, fraction)
    assert len(xt) == len(yt) == cut and yv.tolist() == list(range(cut, n))


@pytest.mark.parametrize("n, fraction, message", [
    (1, 0.5, "validation_split=0.5 leaves an empty split of 1 samples"),
    (10, 1e-17, "validation_split=1e-17 leaves an empty split of 10 samples"),  # 1 - f == 1
    (10, 0.0, "validation_split must be between 0 and 1, got 0.0"),
    (10, 1.0, "validation_split must be between 0 and 1, got 1.0"),
])
def test_split_validation_refuses_an_empty_side(n, fraction, message):
    x = np.arange(n).reshape(n, 1)
    with pytest.raises(ValueError) as err:
        split_validation(x, x[:, 0], fraction)
    assert str(err.value) == message


def test_sine_data_defaults_to_nnfs_1000_points():
    x, y = data.sine_data()
    assert x.shape == y.shape == (1000, 1) and x[1, 0] == 0.001


def test_mnist_cache_is_under_keras_home_or_home_dot_keras(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert data.mnist_cache_path() == str(tmp_path / "kh" / "datasets" / "mnist.npz")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.mnist_cache_path() == str(tmp_path / ".keras" / "datasets" / "mnist.npz")


def test_an_npz_holding_pickled_objects_is_refused(tmp_path):
    """allow_pickle=False: a downloaded .npz cannot run code on load."""
    path = tmp_path / "mnist.npz"
    objects = np.empty(1, dtype=object)
    np.savez(path, x_train=objects, y_train=objects, x_test=objects, y_test=objects)
    with pytest.raises(ValueError, match="allow_pickle=False"):
        data.load_dataset("mnist", path=str(path))


def test_loaders_default_to_seed_0_like_a_spec():
    for load in (data.load_spiral, data.load_binary4):
        for a, b in zip(load(), load(0)):
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(load().x_train, load(1).x_train)
    np.testing.assert_array_equal(data.load_dataset("spiral").x_train,
                                  data.load_spiral(0).x_train)


def test_mnist_messages_name_the_option_the_path_came_with(tmp_path):
    """`evaluate(mnist_path=...)` reads the file through load_dataset too: its refusals say
    mnist_path, not load_dataset's own `path`."""
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 5, 5)), y_train=np.zeros(2), x_test=np.zeros((2, 28, 28)),
             y_test=np.zeros(2))
    with pytest.raises(UserError) as err:
        data.load_dataset("mnist", path=str(path), option="mnist_path")
    assert str(err.value) == (f"mnist_path='{path}': x_train has images of shape (5, 5); expected "
                              f"28x28 (784 pixels)")
    with pytest.raises(UserError, match=r"^mnist_path='.*' is for dataset=mnist, not 'sine'$"):
        data.load_dataset("sine", path=str(path), option="mnist_path")
    with pytest.raises(FileNotFoundError, match=r"^mnist_path='nope.npz': no such file"):
        data.load_dataset("mnist", path="nope.npz", option="mnist_path")


def _mnist_npz(tmp_path, **changes):
    """A small mnist.npz, valid (labels 0 and 9 at the ends of the range, flat and 28x28 images,
    integer and float labels) unless `changes` replaces or (None) removes an array."""
    arrays = dict(x_train=np.zeros((3, 28, 28), np.uint8), y_train=np.array([0, 9, 4]),
                  x_test=np.zeros((2, 784), np.float32), y_test=np.array([1.0, 2.0]))
    arrays.update(changes)
    path = tmp_path / "mnist.npz"
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return str(path)


def _nonfinite_images():
    x = np.zeros((3, 28, 28), np.float32)
    x[1, 0, 0], x[2, 3, 4], x[2, 5, 5] = np.nan, np.inf, -np.inf
    return x


def test_a_valid_mnist_npz_is_read_as_it_is(tmp_path):
    path = _mnist_npz(tmp_path)
    (x_train, y_train), (x_test, y_test) = data.read_mnist_npz(path)
    with np.load(path) as f:
        for got, key in ((x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"),
                         (y_test, "y_test")):
            assert got.dtype == f[key].dtype and np.array_equal(got, f[key])


@pytest.mark.parametrize("changes, message", [
    (dict(x_train=None), "{p} holds ['x_test', 'y_test', 'y_train']; expected x_train, "
     "y_train, x_test, y_test (keras.datasets.mnist's mnist.npz)"),
    (dict(x_train=np.zeros((0, 28, 28))),
     "{p}: x_train is empty (shape (0, 28, 28)); expected 28x28 images"),
    (dict(x_test=np.float32(3)), "{p}: x_test is empty (shape ()); expected 28x28 images"),
    (dict(x_train=np.zeros((3, 28, 27))),
     "{p}: x_train has images of shape (28, 27); expected 28x28 (784 pixels)"),
    (dict(x_test=np.zeros((2, 783))),
     "{p}: x_test has images of shape (783,); expected 28x28 (784 pixels)"),
    (dict(x_train=np.full((3, 784), "a")), "{p}: x_train must hold numbers, got an array of <U1"),
    (dict(x_train=_nonfinite_images()),
     "{p}: x_train holds 3 NaN or infinite value(s), the first in image 1"),
    (dict(y_train=np.array([0, 9])), "{p}: x_train has 3 images but y_train has 2 labels "
     "(shape (2,)); expected one digit per image"),
    (dict(y_test=np.float32(1)), "{p}: x_test has 2 images but y_test has 0 labels (shape ()); "
     "expected one digit per image"),
    (dict(y_test=np.zeros((2, 1))), "{p}: x_test has 2 images but y_test has 2 labels "
     "(shape (2, 1)); expected one digit per image"),
    (dict(y_train=np.array(["0", "9", "4"])),
     "{p}: y_train must hold digits 0..9, got an array of <U1"),
    (dict(y_train=np.array([0, 10, 4])), "{p}: y_train must hold digits 0..9; sample 1 is 10"),
    (dict(y_train=np.array([0, 9, -1])), "{p}: y_train must hold digits 0..9; sample 2 is -1"),
    (dict(y_test=np.array([1.0, 2.5])), "{p}: y_test must hold digits 0..9; sample 1 is 2.5"),
], ids=["keys", "no-images", "scalar-images", "image-shape", "flat-width", "text-images",
        "nonfinite", "label-count", "scalar-labels", "label-column", "text-labels", "above-9",
        "below-0", "fraction"])
def test_a_malformed_mnist_npz_is_one_line_naming_the_file(changes, message, tmp_path):
    """Each refusal of `read_mnist_npz`, whole; without `option` the messages say path=."""
    path = _mnist_npz(tmp_path, **changes)
    with pytest.raises(UserError) as err:
        data.read_mnist_npz(path)
    assert str(err.value) == message.format(p=f"path={path!r}")


def test_a_damaged_npz_is_not_a_readable_npz(tmp_path):
    path = _mnist_npz(tmp_path)
    whole = open(path, "rb").read()
    open(path, "wb").write(whole[:len(whole) // 2])
    with pytest.raises(UserError) as err:
        data.load_mnist(path)  # load_mnist's own default option: path
    assert str(err.value) == (f"path={path!r} is not a readable .npz (BadZipFile: File is "
                              f"not a zip file); expected an mnist.npz")


def test_a_long_reason_is_cut_to_160_characters_on_one_line(tmp_path):
    """An .npy header NumPy cannot parse: its error quotes the whole header (here with runs of
    spaces), which the message folds to single spaces and cuts."""
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'junk': '"
              + "a  b\n" * 60 + "'}")
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as z:
        for key in data.MNIST_KEYS:
            z.writestr(f"{key}.npy", member + bytes(24))
    with pytest.raises(UserError) as err:
        data.read_mnist_npz(str(path))
    got = re.fullmatch(rf"path={re.escape(repr(str(path)))} is not a readable \.npz "
                       r"\(ValueError: (.*)\); expected an mnist\.npz", str(err.value))
    assert got, str(err.value)
    reason = got.group(1)
    assert len(reason) == 160 and reason.startswith("Cannot parse header: ")
    assert "'junk': 'a b" in reason and "  " not in reason


def test_images_of_one_axis_are_refused_by_their_shape(tmp_path):
    path = _mnist_npz(tmp_path, x_train=np.zeros(3))
    with pytest.raises(UserError) as err:
        data.read_mnist_npz(path)
    assert str(err.value) == (f"path={path!r}: x_train has images of shape (); expected "
                              f"28x28 (784 pixels)")


BINARY4_WEIGHTS = np.array([1.5, -2.0, 0.5, 1.0])  # binary4's definition: its score's weights


def _binary4_all():
    """binary4's 600 samples (training and validation) in float64, labels as a vector."""
    d = data.load_binary4()
    return (np.concatenate([d.x_train, d.x_val]).astype(np.float64),
            np.concatenate([d.y_train, d.y_val])[:, 0])


def test_binary4_labels_follow_its_linear_score():
    """Least squares of the labels on Gaussian features points along the score's weights
    (1.5, -2, 0.5, 1) up to scale (Brillinger's theorem). With 600 samples (seed 0) the
    direction is 0.056 off in its first component; a first weight of 2.5 would put it 0.19
    away."""
    x, y = _binary4_all()
    coef = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)[0][:4]
    w = BINARY4_WEIGHTS
    np.testing.assert_allclose(coef / np.linalg.norm(coef), w / np.linalg.norm(w), atol=0.1)


def test_binary4_noise_flips_the_share_of_labels_its_scale_predicts():
    """A label disagrees with the sign of the noise-free score when the noise outweighs it: for
    independent zero-mean Gaussians of deviations 0.5 (noise) and |w| (score) that happens with
    probability arctan(0.5 / |w|) / pi = 0.0566; over 600 samples within 3 standard deviations
    (0.028). Noise of 1.5 would flip 0.157."""
    x, y = _binary4_all()
    w = BINARY4_WEIGHTS
    flipped = np.mean(y != (x @ w > 0))
    expected = np.arctan(0.5 / np.linalg.norm(w)) / np.pi
    assert abs(flipped - expected) < 3 * np.sqrt(expected * (1 - expected) / 600)


# Last: the only tests here that import Keras or TensorFlow, so that a mutation run of data.py
# (docs/testing.md) reaches them only with a mutant every NumPy test let through.
def test_mnist_offline_says_which_file_to_put_where(monkeypatch, tmp_path):
    import keras

    def offline(*args, **kwargs):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError) as err:
        data.load_dataset("mnist")
    assert str(err.value) == (
        f"MNIST is not available offline (OSError); put mnist.npz at "
        f"{tmp_path / 'datasets' / 'mnist.npz'} or pass path=PATH/TO/mnist.npz")

    def online(*args, **kwargs):  # Keras's loader, when it works: (train, test) uint8 arrays
        x = np.full((2, 28, 28), 255, np.uint8)
        return (x, np.array([1, 2])), (x[:1], np.array([7]))

    monkeypatch.setattr(keras.datasets.mnist, "load_data", online)
    d = data.load_dataset("mnist")
    assert d.x_train.shape == (2, 784) and d.x_train.max() == 1.0
    assert d.y_train.argmax(axis=1).tolist() == [1, 2] and d.y_val.argmax(axis=1).tolist() == [7]


def test_untuned_turns_tf_data_autotuning_off_and_keeps_the_elements():
    """Found by mutation testing: only tests/test_tf1_model.py, outside data.py's selection,
    read the option back (from the TF1 track's graph)."""
    import tensorflow as tf

    dataset = data.untuned(tf.data.Dataset.range(5).batch(2))
    assert dataset.options().autotune.enabled is False
    assert [b.tolist() for b in dataset.as_numpy_iterator()] == [[0, 1], [2, 3], [4]]


def test_token_data_labels_say_which_marker_comes_first():
    """Each sequence holds markers 1 and 2 once, filler from 3 up; the label is whether 1 comes
    first, so the same tokens reversed get the other label. Both classes are common."""
    ids, labels = data.token_data(400, np.random.default_rng(0))
    assert ids.dtype == np.float32 and ids.shape == (400, data.TOKENS["steps"])
    assert ((ids == 1).sum(axis=1) == 1).all() and ((ids == 2).sum(axis=1) == 1).all()
    assert ids.min() >= 1 and ids.max() < data.TOKENS["vocabulary"]
    first_one = np.argmax(ids == 1, axis=1) < np.argmax(ids == 2, axis=1)
    np.testing.assert_array_equal(labels, first_one)
    assert 0.4 < labels.mean() < 0.6
    tokens = data.load_dataset("tokens")
    np.testing.assert_array_equal(tokens.x_train, data.load_tokens(0).x_train)  # deterministic
    assert tokens.y_train.shape == (1000, 2) and tokens.x_val.shape == (300, 10)
