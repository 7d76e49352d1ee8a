"""The bad-input catalogue: one line per user mistake, each refused cleanly.

Every case asserts what README's "When things go wrong" promises for a mistake in the input:

- the command line (run in-process through `tfmodels.cli.main`) ends with exit status 2, one
  line on stderr, no traceback; the Python API raises `UserError` with a one-line message;
- that line names the offending value (the case's expected substring) and what was expected;
- nothing is written: every file and folder the case could touch (its working folder, where the
  default `logs` would go, its checkpoint and output paths, and the shared fixture files and
  checkpoints) is byte-identical afterwards, and no temporary file is left.

Adding a mistake is one line in `CLI` or `API`. The shared fixture files (damaged npz files,
spec files, checkpoint folders of both tracks, damaged copies of them) are made once per module.

The count by kind (`test_catalogue_counts` checks these numbers against the tables, so a new
case also bumps its line here):

- CLI train: 171
- CLI compare: 15
- CLI sweep: 22
- CLI convert: 36
- CLI evaluate: 26
- CLI predict: 28
- CLI bench: 8
- CLI verify: 40
- CLI list: 1
- CLI (no command): 2
- Python API: core: 41 (get_spec, load_dataset, ModelSpec.from_dict, ModelSpec.from_file,
  OptimizerSpec, sweep, train, verify_checkpoint, new_run_dir)
- Python API: keras: 37 (`tfmodels.build_model(spec)`: fit, evaluate, predict)
- Python API: tf1: 37 (`tf1_compat.build_model(spec)`: fit, evaluate, predict)
- Python API: migration: 5 (keras2_to_keras, verify_phases)
- total: 469
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil

import numpy as np
import pytest

from tests.helpers import EXAMPLES
from tfmodels.cli import main
from tfmodels.core.errors import LINE_LIMIT, UserError
from tfmodels.core.training_state import seal

# --- the shared fixture files ------------------------------------------------------------------


def _spec(**changes):
    """A valid spec file's fields for binary4 data, with some changed (None removes a field)."""
    d = {"name": "mine", "dataset": "binary4", "input_shape": [4],
         "layers": [{"kind": "Dense", "units": 3, "activation": "relu"},
                    {"kind": "Dense", "units": 1, "activation": "sigmoid"}],
         "loss": "binary_crossentropy", "optimizer": {"name": "adam"},
         "metrics": ["accuracy"], "epochs": 1}
    d.update(changes)
    return {k: v for k, v in d.items() if v is not None}


def _graph_spec(mistake: str) -> dict:
    """A residual graph spec (`a`, `b` from the input, summed, then the output) with one
    mistake in its wiring."""
    a = {"kind": "Dense", "units": 3, "activation": "relu", "name": "a"}
    b = {"kind": "Dense", "units": 3, "activation": "relu", "name": "b", "inputs": ["input"]}
    total = {"kind": "Add", "name": "sum", "inputs": ["a", "b"]}
    out = {"kind": "Dense", "units": 1, "activation": "sigmoid"}
    extra = {}
    if mistake == "cycle":
        a["inputs"] = ["sum"]
    elif mistake == "dangling":
        total["inputs"] = ["a", "c"]
    elif mistake == "output":
        extra["outputs"] = ["nowhere"]
    elif mistake == "unused":
        total["inputs"] = ["a", "a"]
    elif mistake == "shapes":
        b["units"] = 2
    elif mistake == "two_inputs":
        out["inputs"] = ["a", "b"]
    elif mistake == "one_merged":
        total["inputs"] = ["a"]
    return _spec(layers=[a, b, total, out], **extra)


def _two_input_spec(mistake: str) -> dict:
    """A spec of two named inputs (`a` and `b`, each through a Dense, summed) with one
    mistake."""
    d = _spec(input_shape=None, inputs={"a": [4], "b": [2]}, layers=[
        {"kind": "Dense", "units": 3, "name": "from_a", "inputs": ["a"]},
        {"kind": "Dense", "units": 3, "name": "from_b", "inputs": ["b"]},
        {"kind": "Add", "name": "sum", "inputs": ["from_a", "from_b"]},
        {"kind": "Dense", "units": 1, "activation": "sigmoid"}])
    if mistake == "untaken":
        d["layers"][1]["inputs"] = ["a"]
    elif mistake == "both":
        d["input_shape"] = [4]
    return d


SPEC_FILES = {
    "ok.json": _spec(),
    "list.json": [1, 2],
    "unknown_field.json": _spec(colour="red"),
    "no_loss.json": _spec(loss=None),
    "no_layers.json": _spec(layers=[]),
    "layer_kind.json": _spec(layers=[{"kind": "Dense2", "units": 1}]),
    "activation.json": _spec(layers=[{"kind": "Dense", "units": 1, "activation": "sigmoidal"}]),
    "units_zero.json": _spec(layers=[{"kind": "Dense", "units": 0, "activation": "relu"},
                                     {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "units_text.json": _spec(layers=[{"kind": "Dense", "units": "ten", "activation": "relu"},
                                     {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "loss.json": _spec(loss="hinge"),
    "optimizer.json": _spec(optimizer={"name": "adamw"}),
    "lr_negative.json": _spec(optimizer={"name": "adam", "learning_rate": -0.1}),
    "lr_text.json": _spec(optimizer={"name": "adam", "learning_rate": "fast"}),
    "momentum.json": _spec(optimizer={"name": "sgd", "momentum": 1.5}),
    "input_zero.json": _spec(input_shape=[0]),
    "input_text.json": _spec(input_shape="four"),
    "output.json": _spec(layers=[{"kind": "Dense", "units": 1, "activation": "softmax"}]),
    "epochs_text.json": _spec(epochs="3"),
    "epochs_huge.json": _spec(epochs=10**20),  # the bound of the CLI's --epochs, from a file
    "batch_zero.json": _spec(batch_size=0),
    "seed_negative.json": _spec(seed=-5),
    "dataset.json": _spec(dataset="cifar10"),
    "metric.json": _spec(metrics=["f1"]),
    "conv_flat.json": _spec(layers=[{"kind": "Conv2D", "filters": 2, "kernel_size": 3},
                                    {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "wrong_input.json": _spec(input_shape=[3]),
    # a model's name becomes a folder under --logdir
    "name_escape.json": _spec(name="../../escaped"),
    "name_sep.json": _spec(name="a/b"),
    "name_ctrl.json": _spec(name="bell\u0007name"),
    "name_surrogate.json": _spec(name="\ud800"),
    "name_dots.json": _spec(name=".."),
    # sizes and numbers the machine cannot hold, refused before anything is allocated
    "units_huge.json": _spec(layers=[{"kind": "Dense", "units": 10**9, "activation": "relu"},
                                     {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "dropout_seed.json": _spec(layers=[{"kind": "Dropout", "rate": 0.5, "seed": 2**70},
                                       {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "lr_tiny.json": _spec(optimizer={"name": "adam", "learning_rate": 1e-50}),
    "bn_epsilon.json": _spec(layers=[{"kind": "BatchNormalization", "epsilon": 1e308},
                                     {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "beta_no.json": _spec(layers=[{"kind": "Dense", "units": 3, "activation": "swish",
                                   "trainable_beta": "no"},
                                  {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "seed_huge.json": _spec(seed=2**64),
    # issue 27's layer kinds: a parameter out of range (binary4's input: one line before any shape)
    "dw_strides.json": _spec(layers=[{"kind": "DepthwiseConv2D", "strides": [1, 2]}]),
    "sep_filters.json": _spec(layers=[{"kind": "SeparableConv2D", "filters": 0}]),
    "gap_flat.json": _spec(layers=[{"kind": "GlobalAveragePooling2D"},
                                   {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "act_step.json": _spec(layers=[{"kind": "Activation", "activation": "step"}]),
    "zeropad.json": _spec(layers=[{"kind": "ZeroPadding2D", "padding": -1}]),
    "layernorm_eps.json": _spec(layers=[{"kind": "LayerNormalization", "epsilon": 0}]),
    "embed_dim.json": _spec(layers=[{"kind": "Embedding", "input_dim": 0, "output_dim": 4}]),
    "embed_second.json": _spec(layers=[{"kind": "Dense", "units": 3},
                                       {"kind": "Embedding", "input_dim": 5, "output_dim": 2},
                                       {"kind": "Flatten"},
                                       {"kind": "Dense", "units": 1, "activation": "sigmoid"}]),
    "gru_reset.json": _spec(layers=[{"kind": "GRU", "units": 2, "reset_after": "yes"}]),
    "batch_beyond.json": _spec(batch_size=100000),
    # a graph of layers (each layer naming its inputs) that is not one
    **{f"graph_{mistake}.json": _graph_spec(mistake) for mistake in
       ("cycle", "dangling", "output", "unused", "shapes", "two_inputs", "one_merged")},
    # several named inputs
    **{f"inputs_{mistake}.json": _two_input_spec(mistake) for mistake in ("untaken", "both")},
}


def _checkpoint_damage(state: dict) -> dict:
    """checkpoint.json variants, each a copy of a good keras checkpoint with one field wrong."""
    def changed(**fields):
        return {**state, **fields}
    missing = dict(state)
    del missing["epoch"]
    return {
        "ck_epoch_text": changed(epoch="one"),
        "ck_epoch_negative": changed(epoch=-1),
        "ck_step_float": changed(step=1.5),
        "ck_track": changed(track=5),
        "ck_track_name": changed(track="tf2"),
        "ck_history": changed(history=[1, 2]),
        "ck_spec": changed(spec="binary4"),
        "ck_weights": changed(weights=3),
        "ck_weights_gone": changed(weights="ckpt-999.weights.h5"),
        "ck_model": changed(model=["binary4"]),
        "ck_missing": missing,
        "ck_list": [state],
        "ck_history_epochs": changed(history={k: v * 2 for k, v in state["history"].items()}),
        "ck_history_text": changed(history={"loss": ["low"]}),
        "ck_metrics_text": changed(metrics={"loss": "low"}),
        "ck_random_text": changed(random={"dropout": "seed"}),
        "ck_random_other": changed(random={"dropout_7": [0, 3]}),
    }


def _make_files(root):
    from tfmodels.core.data import load_dataset

    root.mkdir(exist_ok=True)
    f = str(root)

    def path(name):
        return os.path.join(f, name)

    # mnist.npz look-alikes for --dataset mnist --data FILE
    x = np.zeros((6, 28, 28), np.uint8)
    y = np.arange(6, dtype=np.uint8)
    np.savez(path("mnist_ok.npz"), x_train=x, y_train=y, x_test=x, y_test=y)
    whole = open(path("mnist_ok.npz"), "rb").read()
    open(path("mnist_truncated.npz"), "wb").write(whole[:len(whole) // 2])
    np.savez(path("mnist_keys.npz"), images=x, labels=y)
    np.savez(path("mnist_range.npz"), x_train=x, y_train=y + 7, x_test=x, y_test=y)
    np.savez(path("mnist_text.npz"), x_train=x, y_train=np.array(list("abcdef")), x_test=x,
             y_test=y)
    e = np.zeros((0,), np.uint8)
    np.savez(path("mnist_empty.npz"), x_train=e, y_train=e, x_test=e, y_test=e)
    np.savez(path("mnist_nothing.npz"))
    np.savez(path("mnist_width.npz"), x_train=np.zeros((6, 10)), y_train=y,
             x_test=np.zeros((6, 10)), y_test=y)
    np.savez(path("mnist_count.npz"), x_train=x, y_train=y[:5], x_test=x, y_test=y)
    nan = x.astype(np.float32)
    nan[3, 1, 1] = np.nan
    np.savez(path("mnist_nan.npz"), x_train=nan, y_train=y, x_test=x, y_test=y)
    np.savez(path("mnist_fraction.npz"), x_train=x, y_train=y + 0.5, x_test=x, y_test=y)
    open(path("text.txt"), "w").write("hello\n")
    open(path("text.h5"), "w").write("not hdf5\n")
    open(path("empty.npz"), "wb").close()
    os.mkdir(path("folder"))
    os.mkdir(path("folder.npy"))  # a folder where predict --output would write a file

    # map files of transforms (tfmodels.migration.transforms) for binary4's TF1 checkpoint
    for name, entry in (("map_reshape.json", {"reshape": [4, 3]}),
                        ("map_step.json", {"rotate": 1}),
                        ("map_transpose.json", {"transpose": [1, 0]})):
        open(path(name), "w").write(json.dumps({"dense/kernel": {"from": "dense_0/kernel",
                                                                 **entry}}))

    # --spec files
    for name, content in SPEC_FILES.items():
        open(path(name), "w").write(json.dumps(content))
    open(path("broken.json"), "w").write('{"name": "mine", "layers": [')
    open(path("binary.json"), "wb").write(b"\xff\xfe\x00\x01")
    open(path("lr_inf.json"), "w").write(json.dumps(_spec(optimizer=None))[:-1] +
                                         ', "optimizer": {"name": "adam", '
                                         '"learning_rate": Infinity}}')
    open(path("broken.toml"), "w").write("name = [\n")
    open(path("epochs_huge.toml"), "w").write(
        'name = "mine"\ndataset = "binary4"\ninput_shape = [4]\nloss = "binary_crossentropy"\n'
        'epochs = 100000000000000000000\n[optimizer]\nname = "adam"\n'
        '[[layers]]\nkind = "Dense"\nunits = 1\nactivation = "sigmoid"\n')
    open(path("twice.json"), "w").write(json.dumps(_spec())[:-1] + ', "epochs": 2}')
    # a user's module whose import fails as TensorFlow's does when its native runtime cannot
    # load: an ImportError whose words hold a whole traceback (thousands of characters)
    frames = '  File "/site-packages/tensorflow/python/pywrap_tensorflow.py", line 73, in ' \
             '<module>\n    from tensorflow.python._pywrap_tensorflow_internal import *\n'
    words = ("Traceback (most recent call last):\n" + frames * 30 + "ImportError: libcudart.so.12: "
             "cannot open shared object file\n\nFailed to load the native TensorFlow runtime.")
    open(path("native_fail.py"), "w").write(
        f"raise ImportError({words!r}, name='_pywrap_tensorflow_internal')\n")

    # evaluate / predict inputs for binary4 (4 features, 0/1 labels)
    good = load_dataset("binary4").x_val[:4]
    np.save(path("x.npy"), good)
    np.save(path("x_wide.npy"), np.zeros((4, 5), np.float32))
    np.save(path("x_rank3.npy"), np.zeros((4, 2, 2), np.float32))
    bad = good.copy()
    bad[2, 1] = np.nan
    np.save(path("x_nan.npy"), bad)
    np.save(path("x_object.npy"), np.array([{"a": 1}] * 4, dtype=object), allow_pickle=True)
    np.save(path("x_empty.npy"), np.zeros((0, 4), np.float32))
    np.save(path("x_complex.npy"), good.astype(np.complex64))
    np.save(path("x_dates.npy"), np.full((4, 4), np.datetime64("2020-01-01")))
    np.save(path("x_strings.npy"), good.astype(str))
    np.savez(path("xy_complex.npz"), x=good.astype(np.complex64), y=np.zeros((4, 1)))
    with open(path("x_huge.npy"), "wb") as out:  # a header that claims 4e12 values, no data
        np.lib.format.write_array_header_1_0(
            out, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 4 * 10**6)})
    open(path("garbage.npy"), "wb").write(b"not numpy")
    open(path("x.csv"), "w").write("1,2,3,4\n5,6,7,8\n")
    open(path("x_text.csv"), "w").write("1,2,3,4\n5,six,7,8\n")
    open(path("x_ragged.csv"), "w").write("1,2,3,4\n5,6,7\n")
    np.savez(path("xy.npz"), x=good, y=np.array([[0.0], [1.0], [1.0], [0.0]]))
    np.savez(path("xy_labels.npz"), x=good, y=np.array([[0.0], [2.0], [1.0], [0.0]]))
    np.savez(path("xy_count.npz"), x=good, y=np.array([[0.0], [1.0], [1.0]]))
    np.savez(path("xy_wide.npz"), x=np.zeros((4, 6)), y=np.zeros((4, 1)))
    np.savez(path("xy_nan.npz"), x=bad, y=np.zeros((4, 1)))
    np.savez(path("xy_text.npz"), x=np.full((4, 4), "a"), y=np.zeros((4, 1)))
    np.savez(path("xy_noy.npz"), x=good)
    np.savez(path("xy_none.npz"), inputs=good)
    np.savez(path("xy_empty.npz"), x=np.zeros((0, 4)), y=np.zeros((0, 1)))
    np.savez(path("xy_ylabels.npz"), x=good, y=np.zeros((4, 3)))

    # checkpoints of binary4, one epoch, in each track
    for track in ("keras", "tf1"):
        assert main(["train", "binary4", "--track", track, "--epochs", "1", "--checkpoint-dir",
                     path(f"ck_{track}"), "--logdir", path("train_logs"), "--verbose", "0",
                     "--no-images", "--histogram-freq", "0"]) == 0
    # two epochs: a run of fewer epochs has nothing left to resume
    assert main(["train", "binary4", "--epochs", "2", "--checkpoint-dir", path("ck_keras_2"),
                 "--logdir", path("train_logs"), "--verbose", "0", "--no-images",
                 "--histogram-freq", "0"]) == 0
    state = json.load(open(path("ck_keras/checkpoint.json")))
    del state["seal"]
    for name, content in _checkpoint_damage(state).items():
        shutil.copytree(path("ck_keras"), path(name))
        # sealed again (a dict): the seal is sound, the field is wrong; a list cannot be
        raw = seal(content) if isinstance(content, dict) else json.dumps(content).encode()
        open(path(f"{name}/checkpoint.json"), "wb").write(raw)
    shutil.copytree(path("ck_keras"), path("ck_empty_state"))
    open(path("ck_empty_state/checkpoint.json"), "w").close()
    os.mkdir(path("foreign"))
    open(path("foreign/notes.txt"), "w").write("mine")
    _damaged_checkpoints(path)

    # weight files to convert
    tf1_state = json.load(open(path("ck_tf1/checkpoint.json")))
    os.mkdir(path("tf1"))
    for name in os.listdir(path("ck_tf1")):
        if name.startswith(tf1_state["weights"] + "."):
            end = name[len(tf1_state["weights"]):]
            shutil.copy(path(f"ck_tf1/{name}"), path("tf1/model" + end))
    for part in ("index", "data"):
        os.mkdir(path(f"tf1_{part}"))
        for name in os.listdir(path("tf1")):
            data = open(path(f"tf1/{name}"), "rb").read()
            if name.split(".")[1].startswith(part):
                data = data[:len(data) // 2]
            open(path(f"tf1_{part}/{name}"), "wb").write(data)
    _keras2_files(path)
    open(path("fake.keras"), "w").write("not a zip")
    open(path("fake.weights.h5"), "w").write("not hdf5")
    # files of the wrong kind where a file is read: named pipes (reading one waits forever)
    for name in ("fifo.json", "fifo.npz", "fifo.npy"):
        os.mkfifo(path(name))
    return f


def _keras2_h5(file, layers: dict) -> None:
    """An HDF5 file in tf_keras's `save_weights` layout (the layers in `layer_names`, each
    layer's weights in `weight_names`, `<layer>/<layer>/kernel:0`) of `{layer: {weight: shape}}`."""
    import h5py

    rng = np.random.default_rng(0)
    with h5py.File(file, "w") as f:
        f.attrs["layer_names"] = [n.encode() for n in layers]
        for layer, weights in layers.items():
            group = f.create_group(layer)
            group.attrs["weight_names"] = [f"{layer}/{w}:0".encode() for w in weights]
            for w, shape in weights.items():
                group.create_dataset(f"{layer}/{w}:0", data=rng.normal(size=shape).astype("f4"))


def _keras2_files(path):
    """Keras 2 files for `convert --from keras2` into migrate_models.py:mlp_of_one (4 -> 3)."""
    import h5py

    with h5py.File(path("plain.h5"), "w") as f:  # HDF5, but not Keras's
        f.create_dataset("x", data=np.arange(4.0))
    _keras2_h5(path("keras2_conv.h5"), {"conv2d": {"kernel": (3, 3, 1, 4), "bias": (4,)}})
    _keras2_h5(path("keras2_wide.h5"), {"dense": {"kernel": (4, 5), "bias": (5,)}})


# One flipped bit in each kind of checkpoint file: (copy of, file, where in it, its new name).
FLIPS = [("ck_keras", "ckpt-00000016.weights.h5", 0.5, "ck_keras_flip_h5"),
         ("ck_keras", "checkpoint.json", 0.3, "ck_keras_flip_json"),
         ("ck_tf1", "ckpt-00000016.index", 0.5, "ck_tf1_flip_index"),
         ("ck_tf1", "ckpt-00000016.data-00000-of-00001", 0.5, "ck_tf1_flip_data"),
         ("ck_tf1", "checkpoint.json", 0.7, "ck_tf1_flip_json")]


def _damaged_checkpoints(path):
    """Copies of the good checkpoints with one bit flipped, or a file of the wrong kind."""
    for source, name, where, copy in FLIPS:
        shutil.copytree(path(source), path(copy))
        data = bytearray(open(path(f"{copy}/{name}"), "rb").read())
        data[int(len(data) * where)] ^= 0x04
        open(path(f"{copy}/{name}"), "wb").write(data)
    for source, name, copy in (("ck_keras", "checkpoint.json", "ck_keras_fifo_state"),
                               ("ck_tf1", "ckpt-00000016.data-00000-of-00001",
                                "ck_tf1_fifo_data"),
                               ("ck_keras", "checkpoint.json", "ck_dir_state")):
        shutil.copytree(path(source), path(copy))
        os.remove(path(f"{copy}/{name}"))
        (os.mkdir if copy == "ck_dir_state" else os.mkfifo)(path(f"{copy}/{name}"))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return _make_files(tmp_path_factory.mktemp("catalogue") / "files")


# --- the catalogue: the command line -----------------------------------------------------------
# (argv, exit status, what the one line must say). {f} is the shared fixture folder, {tmp} the
# case's own empty folder (also the working folder, where the default `logs` would go).

CLI = [
    # no command, unknown command or option
    ("", 2, "the following arguments are required: command"),
    ("fit binary4", 2, "invalid choice: 'fit'"),
    ("train binary4 --epohcs 1", 2, "unrecognized arguments: --epohcs 1"),
    ("list everything", 2, "unrecognized arguments: everything"),
    # train: the model and its numbers
    ("train", 2, "train needs a model"),
    ("train mlp", 2, "unknown model 'mlp'; expected one of: binary4"),
    ("train binary4 --track tf2", 2, "argument --track: invalid choice: 'tf2'"),
    ("train binary4 --epochs 0", 2, "argument --epochs: expected a positive integer, got '0'"),
    ("train binary4 --epochs -1", 2, "argument --epochs: expected a positive integer, got '-1'"),
    ("train binary4 --epochs ten", 2, "argument --epochs: expected a positive integer, got 'ten'"),
    ("train binary4 --epochs 1.5", 2, "argument --epochs: expected a positive integer, got '1.5'"),
    ("train binary4 --batch-size 0", 2, "argument --batch-size: expected a positive integer, "
                                        "got '0'"),
    ("train binary4 --batch-size -3", 2, "argument --batch-size: expected a positive integer, "
                                         "got '-3'"),
    ("train binary4 --batch-size nan", 2, "argument --batch-size: expected a positive integer, "
                                          "got 'nan'"),
    ("train binary4 --batch-size 5000", 2, "--batch-size 5000 is larger than the 500 training "
                                           "samples of binary4"),
    ("train binary4 --seed -1", 2, "argument --seed: expected an integer >= 0, got '-1'"),
    ("train binary4 --seed x", 2, "argument --seed: expected an integer >= 0, got 'x'"),
    ("train binary4 --verbose 3", 2, "argument --verbose: expected auto, 0, 1 or 2, got '3'"),
    ("train binary4 --dataset cifar", 2, "unknown dataset 'cifar'; expected one of:"),
    ("train binary4 --dataset spiral", 2, "data set 'spiral' has labels of shape (3,); model "
                                          "'binary4' (binary_crossentropy) takes labels of "
                                          "shape (1,)"),
    ("train sine --dataset digits", 2, "data set 'digits' has labels of shape (10,); model "
                                       "'sine' (mean_squared_error) takes labels of shape (1,)"),
    ("train binary4 --data {f}/mnist_ok.npz", 2,
     "--data '{f}/mnist_ok.npz' is for --dataset mnist, not 'binary4'"),
    # train: --data FILE for --dataset mnist
    ("train mnist_mlp --dataset mnist --data {f}/none.npz", 2,
     "--data '{f}/none.npz': no such file"),
    ("train mnist_mlp --dataset mnist --data {f}/folder", 2, "--data '{f}/folder'"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_truncated.npz", 2,
     "--data '{f}/mnist_truncated.npz' is not a readable .npz"),
    ("train mnist_mlp --dataset mnist --data {f}/empty.npz", 2,
     "--data '{f}/empty.npz' is not a readable .npz"),
    ("train mnist_mlp --dataset mnist --data {f}/text.txt", 2,
     "--data '{f}/text.txt' is not a readable .npz"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_keys.npz", 2,
     "--data '{f}/mnist_keys.npz' holds ['images', 'labels']; expected x_train, y_train, x_test, "
     "y_test"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_nothing.npz", 2,
     "--data '{f}/mnist_nothing.npz' holds []; expected x_train"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_range.npz", 2,
     "y_train must hold digits 0..9; sample 3 is 10"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_fraction.npz", 2,
     "y_train must hold digits 0..9; sample 0 is 0.5"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_text.npz", 2,
     "y_train must hold digits 0..9, got an array of <U1"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_empty.npz", 2,
     "x_train is empty"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_width.npz", 2,
     "x_train has images of shape (10,); expected 28x28 (784 pixels)"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_count.npz", 2,
     "x_train has 6 images but y_train has 5 labels"),
    ("train mnist_mlp --dataset mnist --data {f}/mnist_nan.npz", 2,
     "x_train holds 1 NaN or infinite value(s)"),
    # train: checkpoints
    ("train binary4 --save-every 0 --checkpoint-dir {tmp}/ck", 2,
     "--save-every 0: needs a positive number of steps"),
    ("train binary4 --save-every -2 --checkpoint-dir {tmp}/ck", 2,
     "--save-every -2: needs a positive number of steps"),
    ("train binary4 --save-every 5", 2,
     "--save-every 5: needs a positive number of steps and --checkpoint-dir"),
    ("train sine --dataset cifar", 2, "unknown dataset 'cifar'; expected one of:"),
    ("train binary4 --save-every x", 2, "argument --save-every: invalid int value: 'x'"),
    ("train binary4 --checkpoint-dir {f}/text.txt", 2,
     "checkpoint folder '{f}/text.txt' is a file, not a folder"),
    ("train binary4 --checkpoint-dir {f}/foreign", 2,
     "holds files that are not checkpoints of ours (notes.txt)"),
    ("train binary4 --checkpoint-dir {f}/ck_epoch_text", 2,
     "corrupted checkpoint: {f}/ck_epoch_text/checkpoint.json: epoch is 'one'; expected an "
     "integer >= 0"),
    ("train binary4 --checkpoint-dir {f}/ck_epoch_negative", 2, "epoch is -1; expected an integer"),
    ("train binary4 --checkpoint-dir {f}/ck_step_float", 2, "step is 1.5; expected an integer"),
    ("train binary4 --checkpoint-dir {f}/ck_track", 2, "track is 5; expected keras or tf1"),
    ("train binary4 --checkpoint-dir {f}/ck_track_name", 2,
     "track is 'tf2'; expected keras or tf1"),
    ("train binary4 --checkpoint-dir {f}/ck_history", 2, "history is [1, 2]; expected an object"),
    ("train binary4 --checkpoint-dir {f}/ck_spec", 2, "spec is 'binary4'; expected an object"),
    ("train binary4 --checkpoint-dir {f}/ck_history_epochs", 2,
     "history holds [2] epoch(s) where epoch is 1; expected one value per complete epoch"),
    ("train binary4 --checkpoint-dir {f}/ck_history_text", 2,
     "history is {{'loss': ['low']}}; expected an object of lists of numbers"),
    ("train binary4 --checkpoint-dir {f}/ck_metrics_text", 2,
     "metrics is {{'loss': 'low'}}; expected an object of numbers"),
    ("train binary4 --checkpoint-dir {f}/ck_random_text", 2,
     "random is {{'dropout': 'seed'}}; expected an object of generator states"),
    ("evaluate {f}/ck_random_other", 2,
     "random holds the generators ['dropout_7']; this model has []"),
    ("train binary4 --seed 99999999999 --deterministic", 2,
     "seed must be below 2**32 = 4294967296"),
    ("train binary4 --seed 18446744073709551616", 2,
     "seed must be below 2**32 = 4294967296 (Keras's set_random_seed takes no more), got "
     "18446744073709551616"),
    ("train --spec {f}/units_huge.json", 2,
     "layer 0 (Dense): its kernel of shape (4, 1000000000) would hold 4000000000 values, "
     "more than 2**31"),
    ("train --spec {f}/dropout_seed.json", 2,
     "Dropout seed must be below 2**32 = 4294967296 (Keras's set_random_seed takes no more), "
     "got 1180591620717411303424"),
    ("train --spec {f}/lr_tiny.json", 2, "learning_rate=1e-50 rounds to 0 in float32"),
    ("train --spec {f}/bn_epsilon.json", 2,
     "BatchNormalization epsilon=1e+308 is infinite in float32"),
    ("train --spec {f}/beta_no.json", 2, "Dense trainable_beta must be true or false, got 'no'"),
    ("train --spec {f}/seed_huge.json", 2, "seed must be below 2**32"),
    ("train --spec {f}/dw_strides.json", 2, "DepthwiseConv2D strides must be equal along "
     "height and width (TF1's tf.nn.depthwise_conv2d takes no other), got (1, 2)"),
    ("train --spec {f}/sep_filters.json", 2,
     "SeparableConv2D filters must be a positive integer, got 0"),
    ("train --spec {f}/gap_flat.json", 2, "layer 0 (GlobalAveragePooling2D) does not fit what "
     "the input gives: GlobalAveragePooling2D needs inputs shaped (height, width, channels) per "
     "sample, got (4,)"),
    ("train --spec {f}/act_step.json", 2, "Activation activation must be one of linear, "
     "sigmoid, tanh, relu, leaky_relu, swish, softmax, got 'step'"),
    ("train --spec {f}/zeropad.json", 2, "ZeroPadding2D padding must be an int in [0, 2**31], "
     "a pair of them or ((top, bottom), (left, right)), got -1"),
    ("train --spec {f}/layernorm_eps.json", 2, "LayerNormalization epsilon must be > 0, got 0"),
    ("train --spec {f}/embed_dim.json", 2, "Embedding input_dim must be a positive integer, "
     "got 0"),
    ("train --spec {f}/embed_second.json", 2, "layer 1 (Embedding) must be the model's first "
     "layer: it looks up the input token ids"),
    ("train --spec {f}/gru_reset.json", 2, "GRU reset_after must be true or false, got 'yes'"),
    ("train --spec {f}/twice.json", 2,
     "--spec {f}/twice.json: the key 'epochs' is given twice in one object"),
    ("train --spec {f}/batch_beyond.json", 2,
     "--spec {f}/batch_beyond.json: its batch_size 100000 is larger than the 500 training "
     "samples of binary4; give at most 500"),
    ("train binary4 --checkpoint-dir {empty}", 2, "--checkpoint-dir '' is empty; give a folder"),
    ("train binary4 --checkpoint-dir {f}/ck_weights", 2,
     "weights is 3; expected the name of a file in the folder"),
    # train: resuming, refused before "Training ..." and "Resuming from ..." are said
    ("train binary4 --checkpoint-dir {f}/ck_keras --logdir {tmp}/elsewhere", 2,
     "--logdir {tmp}/elsewhere: the checkpoint in '{f}/ck_keras' logs to its run's folder"),
    ("train binary4 --track tf1 --checkpoint-dir {f}/ck_tf1 --logdir {tmp}/elsewhere", 2,
     "--logdir {tmp}/elsewhere: the checkpoint in '{f}/ck_tf1' logs to its run's folder"),
    ("train binary4 --epochs 1 --checkpoint-dir {f}/ck_keras_2", 2,
     "--epochs 1: the checkpoint in '{f}/ck_keras_2' has trained 2 epochs already"),
    # train: counts TensorFlow holds in int64, refused before they fail mid-run
    ("train binary4 --epochs 99999999999999999999", 2,
     "argument --epochs: expected a positive integer of at most 2**63 - 1, got "
     "'99999999999999999999'"),
    ("train binary4 --steps-per-execution 99999999999999999999", 2,
     "argument --steps-per-execution: expected a positive integer of at most 2**63 - 1"),
    ("train binary4 --profile-batches 2,99999999999999999999", 2,
     "--profile-batches: expected FIRST,LAST with 2 <= FIRST <= LAST (e.g. 2,4), got "
     "'2,99999999999999999999'"),
    ("train binary4 --checkpoint-dir {f}/ck_weights_gone", 2,
     "ckpt-999.weights.h5"),
    ("train binary4 --checkpoint-dir {f}/ck_model", 2, "model is ['binary4']; expected a name"),
    ("train binary4 --checkpoint-dir {f}/ck_missing", 2, "missing field(s) epoch"),
    ("train binary4 --checkpoint-dir {f}/ck_list", 2,
     "corrupted checkpoint {f}/ck_list: file checkpoint.json does not match its digest"),
    ("train binary4 --checkpoint-dir {f}/ck_empty_state", 2,
     "corrupted checkpoint {f}/ck_empty_state: file checkpoint.json does not match its digest"),
    # train: a checkpoint damaged by one flipped bit, or with a file of the wrong kind
    ("train binary4 --checkpoint-dir {f}/ck_keras_flip_h5", 2,
     "corrupted checkpoint {f}/ck_keras_flip_h5: file ckpt-00000016.weights.h5 does not match "
     "its digest; no earlier checkpoint is kept"),
    ("train binary4 --checkpoint-dir {f}/ck_keras_flip_json", 2,
     "corrupted checkpoint {f}/ck_keras_flip_json: file checkpoint.json does not match its "
     "digest"),
    ("train binary4 --track tf1 --checkpoint-dir {f}/ck_tf1_flip_index", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_index: file ckpt-00000016.index does not match its "
     "digest"),
    ("train binary4 --track tf1 --checkpoint-dir {f}/ck_tf1_flip_data", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_data: file ckpt-00000016.data-00000-of-00001 does "
     "not match its digest"),
    ("train binary4 --track tf1 --checkpoint-dir {f}/ck_tf1_flip_json", 2,
     "file checkpoint.json does not match its digest"),
    ("train binary4 --checkpoint-dir {f}/ck_keras_fifo_state", 2,
     "file '{f}/ck_keras_fifo_state/checkpoint.json' is a named pipe (FIFO), not a file"),
    ("train binary4 --track tf1 --checkpoint-dir {f}/ck_tf1_fifo_data", 2,
     "file '{f}/ck_tf1_fifo_data/ckpt-00000016.data-00000-of-00001' is a named pipe (FIFO)"),
    ("train binary4 --checkpoint-dir {f}/ck_dir_state", 2,
     "file '{f}/ck_dir_state/checkpoint.json' is a folder, not a file"),
    # train: TensorBoard options
    ("train binary4 --update-freq 0", 2,
     "--update-freq: expected epoch, batch or a positive integer, got '0'"),
    ("train binary4 --update-freq hourly", 2, "got 'hourly'"),
    ("train binary4 --histogram-freq -1", 2,
     "--histogram-freq: expected an integer >= 0, got '-1'"),
    ("train binary4 --histogram-freq 0.5", 2, "got '0.5'"),
    ("train binary4 --profile-batches 1,3", 2,
     "--profile-batches: expected FIRST,LAST with 2 <= FIRST <= LAST (e.g. 2,4), got '1,3'"),
    ("train binary4 --profile-batches 5,2", 2, "got '5,2'"),
    ("train binary4 --profile-batches all", 2, "got 'all'"),
    # train: devices and speed switches
    ("train binary4 --strategy quantum", 2, "unknown strategy 'quantum'; expected one of:"),
    ("train binary4 --strategy tpu", 2, "--strategy tpu: no TPU is attached"),
    ("train binary4 --tpu grpc://localhost:1", 2, "--tpu needs --strategy tpu or auto"),
    ("train binary4 --strategy multiworker", 2, "--strategy multiworker needs TF_CONFIG"),
    ("train binary4 --strategy cpu --tf1-pattern ring", 2, "--tf1-pattern ring"),
    ("train binary4 --track tf1 --strategy cpu --tf1-pattern async", 2, "--tf1-pattern async"),
    ("train binary4 --tf1-pattern towers", 2, "--tf1-pattern towers"),
    ("train binary4 --cpu-replicas 0", 2,
     "argument --cpu-replicas: expected a positive integer, got '0'"),
    ("train binary4 --cpu-replicas two", 2, "got 'two'"),
    ("train binary4 --track tf1 --jit-compile", 2,
     "--jit-compile, --steps-per-execution and --no-fused-optimizer are options of the Keras"),
    ("train binary4 --steps-per-execution 0", 2,
     "argument --steps-per-execution: expected a positive integer, got '0'"),
    # train: --spec FILE
    ("train binary4 --spec {f}/ok.json", 2, "give a model name or --spec, not both"),
    ("train --spec {f}/none.json", 2, "--spec {f}/none.json: cannot read it"),
    ("train --spec {f}/folder", 2, "--spec '{f}/folder' is a folder, not a file"),
    ("train --spec {f}/broken.json", 2, "--spec {f}/broken.json: not valid JSON"),
    ("train --spec {f}/binary.json", 2, "--spec {f}/binary.json: not a text file"),
    ("train --spec {f}/broken.toml", 2, "--spec {f}/broken.toml: not valid TOML"),
    ("train --spec {f}/list.json", 2, "expected an object of fields, got list"),
    ("train --spec {f}/unknown_field.json", 2, "unknown field(s) ['colour']"),
    ("train --spec {f}/no_loss.json", 2, "missing field 'loss'"),
    ("train --spec {f}/no_layers.json", 2, "'layers' must be a non-empty list"),
    ("train --spec {f}/layer_kind.json", 2, "'Dense2'"),
    ("train --spec {f}/activation.json", 2, "'sigmoidal'"),
    ("train --spec {f}/units_zero.json", 2, "units"),
    ("train --spec {f}/units_text.json", 2, "'ten'"),
    ("train --spec {f}/loss.json", 2, "unknown loss 'hinge'"),
    ("train --spec {f}/optimizer.json", 2, "unknown optimizer 'adamw'"),
    ("train --spec {f}/lr_negative.json", 2, "learning_rate must be > 0 and finite, got -0.1"),
    ("train --spec {f}/lr_text.json", 2, "learning_rate must be a number, got 'fast'"),
    ("train --spec {f}/lr_inf.json", 2, "learning_rate must be > 0 and finite, got inf"),
    ("train --spec {f}/momentum.json", 2, "momentum must be in [0, 1), got 1.5"),
    ("train --spec {f}/input_zero.json", 2, "input_shape must be a list of positive integers, got"),
    ("train --spec {f}/input_text.json", 2, "'four'"),
    ("train --spec {f}/output.json", 2, "expects a sigmoid output layer"),
    ("train --spec {f}/epochs_text.json", 2, "epochs must be a positive integer, got '3'"),
    # a spec file's counts have the bound the CLI's flags have (one rule: core.checks)
    ("train --spec {f}/epochs_huge.json", 2,
     "epochs must be a positive integer of at most 2**63 - 1, got 100000000000000000000"),
    ("train --spec {f}/epochs_huge.toml", 2,
     "epochs must be a positive integer of at most 2**63 - 1, got 100000000000000000000"),
    ("train --spec {f}/batch_zero.json", 2, "batch_size must be a positive integer, got 0"),
    ("train --spec {f}/seed_negative.json", 2, "seed must be a non-negative integer, got -5"),
    ("train --spec {f}/dataset.json", 2, "unknown dataset 'cifar10'"),
    ("train --spec {f}/metric.json", 2, "unknown metric 'f1'"),
    ("train --spec {f}/conv_flat.json", 2, "layer 0 (Conv2D) does not fit what the input gives"),
    ("train --spec {f}/wrong_input.json", 2, "model 'mine' takes input_shape (3,)"),
    ("train --spec {f}/graph_cycle.json", 2,
     "layer 'a' takes its own output through a cycle ('a' <- 'sum' <- 'a')"),
    ("train --spec {f}/graph_dangling.json", 2,
     "layer 'sum' (Add) takes 'c', which is no layer's name nor the input's"),
    ("train --spec {f}/graph_output.json", 2, "output 'nowhere' is not produced by any layer"),
    ("train --spec {f}/graph_unused.json", 2, "layer 'b' (Dense): its output is never used"),
    ("train --spec {f}/graph_shapes.json", 2, "layer 'sum' (Add) does not fit what 'a', 'b' "
                                              "give: Add needs inputs of one shape, got (3,) "
                                              "and (2,)"),
    ("train --spec {f}/graph_two_inputs.json", 2, "layer 'dense_3' (Dense) takes one input, got "
                                                  "2: ['a', 'b']"),
    ("train --spec {f}/graph_one_merged.json", 2, "layer 'sum' (Add) merges two or more inputs, "
                                                  "got 1: ['a']"),
    ("train --spec {f}/inputs_untaken.json", 2, "input 'b' is taken by no layer; expected it in "
                                                "the inputs of a layer"),
    ("train --spec {f}/inputs_both.json", 2, "model 'mine' gives both inputs and input_shape"),
    ("train digits_plus --strategy mirrored", 2, "model 'digits_plus' takes several named inputs "
                                                 "(image, extra), which distributed training "
                                                 "(--strategy mirrored) does not take"),
    # train: --spec whose name cannot be a folder's, or a file of the wrong kind
    ("train --spec {f}/name_escape.json", 2,
     "model name '../../escaped' holds a path separator; it names a folder under --logdir"),
    ("train --spec {f}/name_escape.json --track tf1", 2,
     "model name '../../escaped' holds a path separator"),
    ("train --spec {f}/name_sep.json --track tf1", 2, "model name 'a/b' holds a path separator"),
    ("train --spec {f}/name_ctrl.json", 2,
     "model name 'bell\\x07name' holds the non-printable character '\\x07'"),
    ("train --spec {f}/name_surrogate.json --track tf1", 2,
     "model name '\\ud800' holds the non-printable character '\\ud800'"),
    ("train --spec {f}/name_dots.json", 2, "model name '..' is not a folder's name"),
    ("train --spec {f}/fifo.json", 2, "--spec '{f}/fifo.json' is a named pipe (FIFO), not a file"),
    ("train --spec {f}/fifo.json --track tf1", 2, "--spec '{f}/fifo.json' is a named pipe"),
    ("train --spec /dev/null", 2, "--spec '/dev/null' is a character device, not a file"),
    ("train mnist_mlp --dataset mnist --data {f}/fifo.npz", 2,
     "--data '{f}/fifo.npz' is a named pipe (FIFO), not a file"),
    ("train --spec {f}/ok.json --epochs 0", 2, "argument --epochs: expected a positive integer"),
    ("train binary4 --update-freq=-3", 2, "got '-3'"),
    ("train --spec {f}/ok.json --dataset spiral", 2, "data set 'spiral' has labels of shape (3,)"),
    ("train --spec {f}/ok.json --data {f}/x.npy", 2, "--data '{f}/x.npy' is for --dataset "
                                                      "mnist, not 'binary4'"),
    ("train --spec {f}/ok.json --batch-size 600", 2, "--batch-size 600 is larger than the 500"),
    ("train binary4 --batch-size 1e3", 2, "argument --batch-size: expected a positive integer, "
                                          "got '1e3'"),
    ("train binary4 --verbose", 2, "argument --verbose: expected one argument"),
    ("train binary4 --strategy auto --tpu x", 2, "--tpu 'x': expected grpc://HOST:PORT"),
    ("train binary4 --steps-per-execution 4 --track tf1", 2, "options of the Keras track"),
    ("train digits_cnn --dataset spiral", 2,
     "MaxPooling2D pool_size (2, 2) does not fit inputs (1, 1, 8)"),
    # compare
    ("compare mlp", 2, "unknown model 'mlp'"),
    ("compare binary4 --track tf1", 2, "--track tf1: compare trains both tracks"),
    ("compare binary4 --checkpoint-dir {tmp}/ck", 2, "--checkpoint-dir: compare trains both"),
    ("compare binary4 --save-every 2", 2, "--save-every: compare trains both"),
    ("compare binary4 --strategy multiworker", 2, "compare runs in one process"),
    ("compare digits_plus --dataset digits", 2, "data set 'digits' has one input; model "
                                                "'digits_plus' takes inputs ['image', 'extra']"),
    ("compare binary4 --epochs 0", 2, "argument --epochs: expected a positive integer, got '0'"),
    ("compare binary4 --batch-size 600", 2, "--batch-size 600 is larger than the 500 training"),
    ("compare binary4 --dataset mnist --data {f}/mnist_keys.npz", 2, "holds ['images', 'labels']"),
    ("compare binary4 --update-freq sometimes", 2, "got 'sometimes'"),
    ("compare --spec {f}/momentum.json", 2, "momentum must be in [0, 1), got 1.5"),
    ("compare binary4 --strategy tpu", 2, "--strategy tpu: no TPU is attached"),
    ("compare binary4 --strategy cpu --tf1-pattern async", 2,
     "--tf1-pattern async does not apply to --strategy cpu; expected one of: towers, strategy"),
    ("compare --spec {f}/conv_flat.json", 2, "Conv2D needs inputs shaped (height, width, "
                                             "channels) per sample, got (4,)"),
    ("compare binary4 --steps-per-execution 99999999999999999999", 2,
     "argument --steps-per-execution: expected a positive integer of at most 2**63 - 1"),
    # sweep
    ("sweep binary4", 2, "the following arguments are required: --lr"),
    ("sweep --lr 0.1", 2, "sweep needs a model"),
    ("sweep binary4 --lr inf", 2, "--lr: expected comma-separated positive numbers, "
                                  "got 'inf'"),
    ("sweep binary4 --lr 0.1,nan", 2, "got '0.1,nan'"),
    ("sweep binary4 --lr 0", 2, "got '0'"),
    ("sweep binary4 --lr=-0.01", 2, "got '-0.01'"),
    ("sweep binary4 --lr fast", 2, "got 'fast'"),
    ("sweep binary4 --lr 0.1,,0.2", 2, "got '0.1,,0.2'"),
    ("sweep binary4 --lr 0.1 --batch-size 5000", 2,
     "--batch-size 5000 is larger than the 500 training samples of binary4"),
    ("sweep binary4 --lr 0.1 --batch-size 16,0", 2,
     "--batch-size: expected comma-separated positive integers, got '16,0'"),
    ("sweep binary4 --lr 0.1 --batch-size 1.5", 2, "got '1.5'"),
    ("sweep binary4 --lr 0.1 --track tf1 --jit-compile", 2, "options of the Keras track"),
    ("sweep binary4 --lr 0.1 --checkpoint-dir {tmp}/ck", 2, "--checkpoint-dir: sweep trains"),
    ("sweep binary4 --lr 0.1 --strategy multiworker", 2, "sweep runs in one process"),
    ("sweep binary4 --lr 0.1 --seed -2", 2, "argument --seed: expected an integer >= 0, "
                                            "got '-2'"),
    ("sweep binary4 --lr 0.1 --histogram-freq often", 2, "got 'often'"),
    ("sweep binary4 --lr 0.1 --batch-size ,", 2, "got ','"),
    ("sweep binary4 --lr 1e400", 2, "got '1e400'"),
    ("sweep binary4 --lr 1e-50", 2, "learning_rate=1e-50 rounds to 0 in float32"),
    ("sweep binary4 --lr 0.1 --track tf1 --no-fused-optimizer", 2, "options of the Keras track"),
    ("sweep binary4 --lr 0.1 --logdir {f}/text.txt", 2,
     "log folder '{f}/text.txt' is a file, not a folder"),
    ("sweep binary4 --lr 0.1 --steps-per-execution 99999999999999999999", 2,
     "argument --steps-per-execution: expected a positive integer of at most 2**63 - 1"),
    # convert
    ("convert {f}/ck_keras {tmp}/out.keras --from keras --to keras", 2,
     "--from and --to are both keras"),
    ("convert {f}/ck_keras {tmp}/out --from keras", 2,
     "the following arguments are required: --to"),
    ("convert {f}/ck_keras {tmp}/out --from keras3 --to tf1", 2,
     "argument --from: invalid choice: 'keras3'"),
    ("convert {f}/ck_keras {tmp}/out --from keras2 --to tf1", 2,
     "--from keras2 --to tf1: a Keras 2 file goes into a Keras 3 model (--to keras)"),
    ("convert {f}/keras2_wide.h5 {tmp}/out.keras --from keras2 --to keras", 2,
     "--from keras2 fills one Keras 3 model: give --keras-model (a .keras file or "
     "module:factory) or --model (one of ours), not both"),
    (f"convert {{f}}/plain.h5 {{tmp}}/out.keras --from keras2 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one", 2,
     "'{f}/plain.h5' is an HDF5 file but not a Keras 2 model or weights file (no layer_names"),
    (f"convert {{f}}/text.h5 {{tmp}}/out.keras --from keras2 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one", 2,
     "cannot read Keras 2 file '{f}/text.h5' (OSError"),
    (f"convert {{f}}/tf1/model {{tmp}}/out.keras --from keras2 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one", 2,
     "'{f}/tf1/model' is a TF checkpoint without Keras 2 weights (no layer_with_weights-N/"
     ".../.ATTRIBUTES/VARIABLE_VALUE keys); a TF1 Saver checkpoint goes with --from tf1"),
    (f"convert {{f}}/fake.keras {{tmp}}/out.keras --from keras2 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one", 2,
     "'{f}/fake.keras' is a Keras 3 file (.keras), not a Keras 2 one"),
    ("convert {f}/none.keras {tmp}/out --from keras --to tf1", 2,
     "'{f}/none.keras': no such checkpoint or file"),
    ("convert {f}/fake.keras {tmp}/out --from keras --to tf1", 2,
     "'{f}/fake.keras' is not a .keras file"),
    ("convert {f}/fake.weights.h5 {tmp}/out --from keras --to tf1 --model binary4", 2,
     "cannot read Keras file '{f}/fake.weights.h5'"),
    ("convert {f}/fake.weights.h5 {tmp}/out --from keras --to tf1", 2,
     "{f}/fake.weights.h5 does not name its model; pass --model"),
    ("convert {f}/text.txt {tmp}/out --from keras --to tf1", 2,
     "'{f}/text.txt' is not a Keras file; expected a name ending in .keras or .weights.h5"),
    ("convert {f}/tf1/model {tmp}/out.keras --from tf1 --to keras", 2,
     "{f}/tf1/model does not name its model; pass --model"),
    ("convert {f}/tf1/model {tmp}/out.keras --from tf1 --to keras --model spiral", 2,
     "model 'spiral' expects"),
    ("convert {f}/tf1_data/model {tmp}/out.keras --from tf1 --to keras --model binary4", 2,
     "cannot read TF1 checkpoint '{f}/tf1_data/model'"),
    ("convert {f}/tf1_index/model {tmp}/out.keras --from tf1 --to keras --model binary4", 2,
     "cannot read TF1 checkpoint '{f}/tf1_index/model'"),
    ("convert {f}/mnist_ok.npz {tmp}/out.keras --from tf1 --to keras --model binary4", 2,
     "cannot read TF1 checkpoint '{f}/mnist_ok.npz'"),
    ("convert {f}/tf1/model {tmp}/out.h5 --from tf1 --to keras --model binary4", 2,
     "'{tmp}/out.h5': a Keras target must end in .keras or .weights.h5"),
    ("convert {f}/ck_keras {tmp}/out.keras --from tf1 --to keras", 2,
     "holds a keras checkpoint; use --from keras"),
    ("convert {f}/ck_keras {tmp}/out --from keras --to tf1 --model spiral", 2,
     "holds a checkpoint of 'binary4', not 'spiral'"),
    ("convert {f}/ck_keras {tmp}/out --from keras --to tf1 --model mlp", 2, "unknown model 'mlp'"),
    ("convert {f}/tf1/model {tmp}/out.keras --from tf1 --to keras --model binary4 "
     "--dataset nope", 2, "unknown dataset 'nope'"),
    ("convert {f}/ck_epoch_text {tmp}/out --from keras --to tf1", 2,
     "epoch is 'one'; expected an integer >= 0"),
    ("convert {f}/ck_keras {f}/text.txt/out --from keras --to tf1", 2,
     "target '{f}/text.txt/out': '{f}/text.txt' is a file, not a folder"),
    ("convert {f}/ck_tf1 {tmp}/out.keras --from tf1 --to keras --dataset spiral", 2,
     "--dataset spiral: goes with --model"),
    ("convert {f}/ck_tf1 {tmp}/out.keras --from tf1 --to keras --model binary4 --dataset spiral",
     2, "--dataset spiral: the checkpoint in '{f}/ck_tf1' was trained on 'binary4'"),
    ("convert {f}/folder {tmp}/out.keras --from tf1 --to keras --model binary4", 2,
     "cannot read TF1 checkpoint '{f}/folder'"),
    ("convert {f}/tf1/model {tmp}/out.keras --from tf1 --to keras --model digits_lstm", 2,
     "TF1 checkpoint '{f}/tf1/model' has no variable lstm_0/"),
    ("convert {f}/ck_keras_flip_h5 {tmp}/out --from keras --to tf1", 2,
     "corrupted checkpoint {f}/ck_keras_flip_h5: file ckpt-00000016.weights.h5 does not match "
     "its digest"),
    ("convert {f}/ck_tf1_flip_data {tmp}/out.keras --from tf1 --to keras", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_data: file ckpt-00000016.data-00000-of-00001 does "
     "not match its digest"),
    ("convert {f}/ck_keras_fifo_state {tmp}/out --from keras --to tf1", 2,
     "file '{f}/ck_keras_fifo_state/checkpoint.json' is a named pipe (FIFO), not a file"),
    (f"convert {{f}}/tf1/model {{tmp}}/out.keras --from tf1 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one --map {{f}}/map_reshape.json", 2,
     "map file: Keras dense/kernel (4, 3) <- TF1 dense_0/kernel (4, 5): reshape (4, 3) does "
     "not fit (4, 5) (20 values)"),
    (f"convert {{f}}/tf1/model {{tmp}}/out.keras --from tf1 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one --map {{f}}/map_step.json", 2,
     "map file: 'dense/kernel': unknown step 'rotate'; expected one of concat, squeeze"),
    (f"convert {{f}}/tf1/model {{tmp}}/out.keras --from tf1 --to keras --keras-model "
     f"{EXAMPLES}/migrate_models.py:mlp_of_one --map {{f}}/map_transpose.json", 2,
     "map file: Keras dense/kernel needs (4, 3) float32; TF1 dense_0/kernel (4, 5) through "
     "transpose (1, 0) gives (5, 4) float32"),
    # evaluate
    ("evaluate {tmp}/none", 2, "'{tmp}/none' is not a checkpoint folder of `tfmodels train`"),
    ("evaluate {f}/ck_track_name", 2, "track is 'tf2'; expected keras or tf1"),
    ("evaluate {f}/ck_weights_gone", 2, "ckpt-999.weights.h5"),
    ("evaluate {f}/ck_keras --data {f}/xy_wide.npz", 2,
     "--data '{f}/xy_wide.npz': x has shape (4, 6), but the model expects (None, 4)"),
    ("evaluate {f}/ck_tf1 --data {f}/xy_wide.npz", 2,
     "--data '{f}/xy_wide.npz': x has shape (4, 6), but the model expects (None, 4)"),
    ("evaluate {f}/ck_keras --data {f}/xy_nan.npz", 2,
     "--data '{f}/xy_nan.npz': x holds 1 NaN or infinite value(s), the first in row 2"),
    ("evaluate {f}/ck_keras --data {f}/xy_labels.npz", 2,
     "--data '{f}/xy_labels.npz': y must hold 0 or 1 for binary_crossentropy; row 1 is [2.0]"),
    ("evaluate {f}/ck_tf1 --data {f}/xy_count.npz", 2,
     "x has 4 samples but --data '{f}/xy_count.npz': y has 3"),
    ("evaluate {f}/ck_keras --data {f}/xy_text.npz", 2,
     "--data '{f}/xy_text.npz': x must hold numbers"),
    ("evaluate {f}/ck_keras --data {f}/xy_noy.npz", 2, "holds ['x']; expected arrays x and y"),
    ("evaluate {f}/ck_keras --data {f}/xy_none.npz", 2, "holds ['inputs']; expected arrays x"),
    ("evaluate {f}/ck_keras --data {f}/xy_empty.npz", 2,
     "--data '{f}/xy_empty.npz': x is empty: shape (0, 4)"),
    ("evaluate {f}/ck_keras --data {f}/xy_ylabels.npz", 2,
     "--data '{f}/xy_ylabels.npz': y has shape (4, 3), but the model's output is (None, 1)"),
    ("evaluate {f}/ck_keras --data {f}/empty.npz", 2, "--data '{f}/empty.npz' cannot be read"),
    ("evaluate {f}/ck_keras --data {f}/x.csv", 2, "evaluating needs labels too"),
    ("evaluate {f}/ck_keras --mnist {f}/mnist_ok.npz", 2,
     "--mnist is for a model trained on --dataset mnist, not 'binary4'"),
    ("evaluate {f}/text.txt", 2, "'{f}/text.txt' is not a checkpoint folder"),
    ("evaluate {f}/ck_keras --data {f}/mnist_ok.npz", 2,
     "holds ['x_test', 'x_train', 'y_test', 'y_train']; expected arrays x and y"),
    ("evaluate {f}/ck_keras_flip_h5", 2,
     "corrupted checkpoint {f}/ck_keras_flip_h5: file ckpt-00000016.weights.h5 does not match "
     "its digest"),
    ("evaluate {f}/ck_tf1_flip_data", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_data: file ckpt-00000016.data-00000-of-00001 does "
     "not match its digest"),
    ("evaluate {f}/ck_tf1_flip_json", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_json: file checkpoint.json does not match its digest"),
    ("evaluate {f}/ck_keras_fifo_state", 2,
     "file '{f}/ck_keras_fifo_state/checkpoint.json' is a named pipe (FIFO), not a file"),
    ("evaluate {f}/ck_dir_state", 2, "file '{f}/ck_dir_state/checkpoint.json' is a folder"),
    ("evaluate {f}/ck_keras --data {f}/fifo.npz", 2,
     "--data '{f}/fifo.npz' is a named pipe (FIFO), not a file"),
    # predict
    ("predict {f}/ck_keras", 2, "the following arguments are required: --data"),
    ("predict {f}/ck_keras --data {f}/none.npy", 2, "--data '{f}/none.npy': no such file"),
    ("predict {f}/ck_keras --data {f}/garbage.npy", 2, "--data '{f}/garbage.npy' cannot be read"),
    ("predict {f}/ck_keras --data {f}/x_wide.npy", 2,
     "--data '{f}/x_wide.npy': x has shape (4, 5), but the model expects (None, 4)"),
    ("predict {f}/ck_tf1 --data {f}/x_rank3.npy", 2,
     "--data '{f}/x_rank3.npy': x has shape (4, 2, 2) (rank 3"),
    ("predict {f}/ck_tf1 --data {f}/x_nan.npy", 2,
     "--data '{f}/x_nan.npy': x holds 1 NaN or infinite value(s)"),
    ("predict {f}/ck_keras --data {f}/x_object.npy", 2, "--data '{f}/x_object.npy' cannot be read"),
    ("predict {f}/ck_keras --data {f}/x_huge.npy", 2,
     "--data '{f}/x_huge.npy' claims shape (1000000, 4000000) of float32: 4000000000000 "
     "values"),
    ("predict {f}/ck_keras --data {f}/x_complex.npy", 2,
     "--data '{f}/x_complex.npy': x must hold numbers; got complex64 values"),
    ("predict {f}/ck_tf1 --data {f}/x_dates.npy", 2,
     "--data '{f}/x_dates.npy': x must hold numbers; got datetime64[D] values"),
    ("predict {f}/ck_keras --data {f}/x_strings.npy", 2,
     "--data '{f}/x_strings.npy': x must hold numbers; got <U"),
    ("evaluate {f}/ck_keras --data {f}/xy_complex.npz", 2,
     "--data '{f}/xy_complex.npz': x must hold numbers; got complex64 values"),
    ("predict {f}/ck_keras --data {f}/x_empty.npy", 2,
     "--data '{f}/x_empty.npy': x is empty: shape (0, 4)"),
    ("predict {f}/ck_keras --data {f}/x_text.csv", 2, "--data '{f}/x_text.csv' cannot be read"),
    ("predict {f}/ck_keras --data {f}/x_ragged.csv", 2, "--data '{f}/x_ragged.csv' cannot be read"),
    ("predict {f}/ck_keras --data {f}/text.txt", 2, "expected a file ending in .npy, .npz, .csv"),
    ("predict {f}/ck_keras --data {f}/xy_none.npz", 2, "holds ['inputs']; expected an array x"),
    ("predict {f}/ck_keras --data {f}/x.npy --output {tmp}/no/p.npy", 2,
     "--output '{tmp}/no/p.npy': no such folder"),
    ("predict {f}/ck_keras --data {f}/x.npy --output {f}/folder.npy", 2,
     "--output '{f}/folder.npy' is a folder; give a file name in it"),
    ("predict {f}/ck_keras --data {f}/x.npy --output {tmp}/p.json", 2,
     "--output '{tmp}/p.json': expected a file ending in .npy or .csv"),
    ("predict {tmp} --data {f}/x.npy", 2, "is not a checkpoint folder of `tfmodels train`"),
    ("predict {f}/ck_list --data {f}/x.npy", 2,
     "corrupted checkpoint {f}/ck_list: file checkpoint.json does not match its digest"),
    ("predict {f}/ck_tf1_flip_index --data {f}/x.npy", 2,
     "corrupted checkpoint {f}/ck_tf1_flip_index: file ckpt-00000016.index does not match its "
     "digest"),
    ("predict {f}/ck_keras_flip_json --data {f}/x.npy", 2,
     "corrupted checkpoint {f}/ck_keras_flip_json: file checkpoint.json does not match its "
     "digest"),
    ("predict {f}/ck_tf1_fifo_data --data {f}/x.npy", 2,
     "file '{f}/ck_tf1_fifo_data/ckpt-00000016.data-00000-of-00001' is a named pipe (FIFO)"),
    ("predict {f}/ck_keras --data {f}/fifo.npy", 2,
     "--data '{f}/fifo.npy' is a named pipe (FIFO), not a file"),
    ("predict {f}/ck_keras --data {f}/mnist_ok.npz", 2,
     "holds ['x_test', 'x_train', 'y_test', 'y_train']; expected an array x"),
    ("predict {f}/ck_keras --data {f}/empty.npz", 2, "--data '{f}/empty.npz' cannot be read"),
    ("predict {f}/ck_keras --data {f}/folder", 2, "--data '{f}/folder': expected a file ending"),
    # bench
    ("bench --batch-sizes big", 2, "--batch-sizes 'big': expected integers like 128,32"),
    ("bench --batch-sizes 0", 2, "--batch-sizes 0: expected positive integers"),
    ("bench --samples 0", 2, "argument --samples: expected a positive integer, got '0'"),
    ("bench --samples 16", 2, "--samples 16: expected at least the largest batch size (128)"),
    ("bench --batch-sizes 64,-1", 2, "--batch-sizes 64,-1: expected positive integers"),
    ("bench --epochs 0", 2, "argument --epochs: expected a positive integer, got '0'"),
    ("bench --device tpu", 2, "argument --device: invalid choice: 'tpu'"),
    ("bench --variants fastest", 2, "--variants: unknown variant(s) ['fastest']"),
]
# verify: examples/unseen's programs, named as a user names theirs
_UNSEEN = os.path.join(EXAMPLES, "unseen")
_VERIFY = os.path.join(EXAMPLES, "verify_models.py")
_CNN = f"--tf1 {_UNSEEN}/layers_convnet.py:build --keras {_UNSEEN}/layers_convnet.py:keras_model"
CLI += [
    ("verify --input-shape 12,12,1", 2,
     "one of the arguments --tf1 --model-fn --keras2 is required"),
    (f"verify {_CNN} --model-fn {_UNSEEN}/layers_convnet.py:build --input-shape 12,12,1", 2,
     "argument --model-fn: not allowed with argument --tf1"),
    ("verify --tf1 no_such_module:build --input-shape 12,12,1", 2,
     "TF1 function 'no_such_module:build': cannot import module 'no_such_module'"),
    (f"verify --tf1 {_UNSEEN}/nowhere.py:build --input-shape 12,12,1", 2,
     f"no such file '{_UNSEEN}/nowhere.py'"),
    (f"verify --tf1 {_UNSEEN}/layers_convnet.py:bulid --input-shape 12,12,1", 2,
     "module 'layers_convnet' has no function 'bulid'"),
    (f"verify --tf1 {_UNSEEN}/layers_convnet.py --input-shape 12,12,1", 2,
     "expected module:function"),
    (f"verify {_CNN} --input-shape 12,x,1", 2,
     "input shape '12,x,1': expected positive integers such as 28,28,1"),
    (f"verify {_CNN} --input-shape 0,12,1", 2,
     "input shape '0,12,1': expected positive integers"),
    (f"verify {_CNN} --input-shape 12,12", 2,
     "input shape (12, 12): the Keras model 'sequential' takes inputs of shape (12, 12, 1)"),
    (f"verify {_CNN} --input-shape 12,12,1 --steps -1", 2, "steps must be an integer >= 0"),
    (f"verify {_CNN} --input-shape 12,12,1 --steps 99999999999999999999", 2,
     "steps must be an integer >= 0 of at most 2**63 - 1, got 99999999999999999999"),
    (f"verify {_CNN} --input-shape 12,12,1 --batch-size 0", 2,
     "batch_size must be a positive integer, got 0"),
    (f"verify {_CNN} --input-shape 12,12,1 --batch-size 1000000000", 2,
     "--batch-size 1000000000 with inputs of shape (12, 12, 1) would need 144000000000 input "
     "values"),
    (f"verify {_CNN} --input-shape 12,12,1 --rtol nan", 2,
     "rtol must be a finite number >= 0, got nan"),
    (f"verify {_CNN} --input-shape 12,12,1 --atol -1", 2,
     "atol must be a finite number >= 0, got -1.0"),
    (f"verify {_CNN} --input-shape 12,12,1 --learning-rate 0", 2,
     "learning_rate must be > 0 and finite, got 0.0"),
    (f"verify {_CNN} --input-shape 12,12,1 --optimizer lion", 2,
     "argument --optimizer: invalid choice: 'lion'"),
    (f"verify {_CNN} --input-shape 12,12,1 --checkpoint {{f}}/nothing", 2,
     "'{f}/nothing': no such checkpoint or file"),
    (f"verify {_CNN} --input-shape 12,12,1 --checkpoint {{f}}/x.npy", 2,
     "cannot read TF1 checkpoint '{f}/x.npy'"),
    (f"verify {_CNN} --input-shape 12,12,1 --map {{f}}/nothing.json", 2,
     "--map '{f}/nothing.json': no such file"),
    (f"verify --tf1 {_UNSEEN}/deep_mnist.py:build --input-shape 12,12,1", 2,
     "variables made once (the migration guide's step 1) fails: tf1_style_layer: the function "
     "made a variable 'Variable' with tf.Variable"),
    ("verify --tf1 {f}/native_fail.py:build --input-shape 12,12,1", 2,
     "TF1 function '{f}/native_fail.py:build': importing it failed (ImportError: ImportError: "
     "libcudart.so.12: cannot open shared object file Failed to load the native TensorFlow "
     "runtime.)"),
    (f"verify --tf1 {_VERIFY}:ids_tf1 --keras {_VERIFY}:ids_unbounded", 2,
     "takes integer input 'ids' (int32) that no Embedding takes (which would say its range): "
     "give --int-range N, ids drawn from [0, N)"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input-shape 3", 2,
     "input shape (3,): the Keras model 'functional' takes 2 inputs (a, b); leave the input "
     "shape out"),
    (f"verify --tf1 {_VERIFY}:ids_tf1 --keras {_VERIFY}:ids_unbounded --int-range 0", 2,
     "--int-range must be a positive integer, got 0"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a", 2,
     "input description 'a': expected NAME:SHAPE[:DTYPE][:FILL] such as token_ids:12:int32"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a:3:str", 2,
     "input description 'a:3:str': expected NAME:SHAPE[:DTYPE][:FILL]"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a:3,2:lengths",
     2, "input description 'a:3,2:lengths': a length mask (lengths) is one sequence axis"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input c:3", 2,
     "input description: the Keras model 'functional' has no input 'c'; its inputs are a, b"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a:4", 2,
     "input description: the Keras model 'functional' takes input 'a' of shape (None, 3); "
     "the shape given, (4,), does not fit it"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a:3 "
     f"--input a:3", 2, "input 'a' described twice ('a:3')"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1 --keras {_VERIFY}:two_heads --input a:3 "
     f"--input-shape 3", 2, "input shape and inputs: give one"),
    (f"verify --tf1 {_VERIFY}:ids_tf1 --keras {_VERIFY}:open_length", 2,
     "takes input 'ids' of shape (None, None), which leaves a size other than the batch open: "
     "give every size in keras.Input(shape=...) or describe the input, e.g. --input ids:12 (its "
     "sequence length, say)"),
    ("verify --keras2 {f}/keras2_wide.h5", 2,
     "--keras2 {f}/keras2_wide.h5: give the Keras 3 port with --keras"),
    (f"verify --keras2 {{f}}/keras2_wide.h5 --keras {EXAMPLES}/migrate_models.py:mlp_of_one "
     f"--input-shape 4", 2, "--input-shape 4: with --keras2 the inputs are the --keras model's"),
    (f"verify --keras2 {{f}}/keras2_wide.h5 --keras {EXAMPLES}/migrate_models.py:mlp_of_one "
     f"--steps 1000", 2, "steps must be an integer in [0, 100] with a Keras 2 model as the "
                         "reference (each step's weights are written and compared), got 1000"),
    (f"verify --keras2 {{tmp}}/old_model.py:make --keras {EXAMPLES}/migrate_models.py:mlp_of_one",
     2, "Keras 2 model '{tmp}/old_model.py:make': no such file '{tmp}/old_model.py'"),
    (f"verify --keras2 {{f}}/no_such_model --keras {EXAMPLES}/migrate_models.py:mlp_of_one", 2,
     "Keras 2 model '{f}/no_such_model': no such file or folder (expected an .h5 file of "
     "model.save, a SavedModel folder, or path/to/file.py:factory returning a tf_keras model)"),
    (f"verify --tf1 {_VERIFY}:two_heads_tf1", 2,
     "input shape: needed where the TF1 function itself is the Keras model"),
    (f"verify --tf1 {_UNSEEN}/layers_convnet.py:build --keras {{f}}/x.npy "
     f"--input-shape 12,12,1", 2, "Keras model '{f}/x.npy': expected module:function"),
]

# --- the catalogue: the Python API -------------------------------------------------------------
# (kind, what, a callable of the fixture folder and the models, what the message must say)


def _keras2_to_mlp_of_one(source):
    from tfmodels.migration.conversion import keras2_to_keras

    keras2_to_keras(source, f"{EXAMPLES}/migrate_models.py:mlp_of_one", "out.keras",
                    out=lambda _: None)


def _binary4(n=8):
    from tfmodels.core.data import load_dataset

    d = load_dataset("binary4")
    return d.x_train[:n], d.y_train[:n]


def _phases(port, inputs):
    from tfmodels.migration import verify_phases

    verify_phases(f"{EXAMPLES}/gan.py:gan_tf1", port, inputs)


API = [
    # the registry, the spec, data sets
    ("migration", "keras2 layers of another model",
     lambda m, f: _keras2_to_mlp_of_one(f"{f}/keras2_conv.h5"),
     "2 Keras weights found no Keras 2 weight (dense/kernel, dense/bias; see the table); "
     "nothing written"),
    ("migration", "keras2 shapes that do not fit",
     lambda m, f: _keras2_to_mlp_of_one(f"{f}/keras2_wide.h5"),
     "2 Keras weights found no Keras 2 weight (dense/kernel, dense/bias; see the table); "
     "nothing written"),
    ("migration", "verify_phases inputs one text",
     lambda m, f: _phases(f"{EXAMPLES}/gan.py:gan", "x:4"),
     "inputs: expected a list of NAME:SHAPE[:DTYPE] texts (e.g. ['x:4', 'z:2']), got 'x:4'"),
    ("migration", "verify_phases the TF1 program as the port",
     lambda m, f: _phases(f"{EXAMPLES}/gan.py:gan_tf1", ["x:4", "z:2"]),
     f"Keras port '{EXAMPLES}/gan.py:gan_tf1' raised TypeError: gan_tf1() missing 1 required "
     f"positional argument: 'inputs'"),
    ("migration", "verify_phases int input without int_range",
     lambda m, f: _phases(f"{EXAMPLES}/gan.py:gan", ["x:4", "z:2:int32"]),
     "input 'z' is int32: give int_range=N, ids drawn from [0, N)"),
    ("core", "get_spec unknown", lambda m, f: __import__("tfmodels").get_spec("mlp"),
     "unknown model 'mlp'"),
    ("core", "get_spec seed -1", lambda m, f: __import__("tfmodels").get_spec("sine", seed=-1),
     "seed must be a non-negative integer, got -1"),
    ("core", "get_spec epochs 0", lambda m, f: __import__("tfmodels").get_spec("sine", epochs=0),
     "epochs must be a positive integer, got 0"),
    ("core", "get_spec epochs 10**20",
     lambda m, f: __import__("tfmodels").get_spec("sine", epochs=10**20),
     "epochs must be a positive integer of at most 2**63 - 1, got 100000000000000000000"),
    ("core", "get_spec batch 2.5",
     lambda m, f: __import__("tfmodels").get_spec("sine", batch_size=2.5),
     "batch_size must be a positive integer, got 2.5"),
    ("core", "get_spec dataset",
     lambda m, f: __import__("tfmodels").get_spec("sine", dataset="cifar"),
     "unknown dataset 'cifar'"),
    ("core", "load_dataset unknown", lambda m, f: __import__("tfmodels").load_dataset("cifar"),
     "unknown dataset 'cifar'"),
    ("core", "load_dataset path",
     lambda m, f: __import__("tfmodels").load_dataset("sine", path="x.npz"),
     "path='x.npz' is for dataset=mnist, not 'sine'"),
    ("core", "load_dataset mnist labels",
     lambda m, f: __import__("tfmodels").load_dataset("mnist", path=f"{f}/mnist_range.npz"),
     "y_train must hold digits 0..9"),
    ("core", "from_dict not dict", lambda m, f: _spec_cls().from_dict([1]),
     "spec: expected an object of fields, got list"),
    ("core", "from_dict optimizer", lambda m, f: _spec_cls().from_dict(_spec(optimizer=3)),
     "'optimizer' must be a name or an object, got 3"),
    ("core", "from_dict layer not object",
     lambda m, f: _spec_cls().from_dict(_spec(layers=["Dense"])), "layers[0]"),
    ("core", "from_dict dropout rate",
     lambda m, f: _spec_cls().from_dict(_spec(layers=[
         {"kind": "Dropout", "rate": 1.5}, {"kind": "Dense", "units": 1,
                                            "activation": "sigmoid"}])), "1.5"),
    ("core", "from_dict from_logits", lambda m, f: _spec_cls().from_dict(
        _spec(loss="mean_squared_error", metrics=[], from_logits=True,
              layers=[{"kind": "Dense", "units": 1}])),
     "from_logits applies to cross-entropy losses, not mean_squared_error"),
    ("core", "optimizer lr inf", lambda m, f: _opt("adam", learning_rate=float("inf")),
     "learning_rate must be > 0 and finite, got inf"),
    ("core", "optimizer lr nan", lambda m, f: _opt("sgd", learning_rate=float("nan")),
     "learning_rate must be > 0 and finite, got nan"),
    ("core", "optimizer unknown param", lambda m, f: _opt("adam", rho=0.9),
     "unknown adam hyper-parameter(s) ['rho']"),
    ("core", "optimizer beta_2", lambda m, f: _opt("adam", beta_2=1.0),
     "beta_2 must be in [0, 1), got 1.0"),
    ("core", "optimizer epsilon", lambda m, f: _opt("rmsprop", epsilon=-1e-7),
     "epsilon must be >= 0, got -1e-07"),
    ("core", "sweep lr inf", lambda m, f: _sweep([float("inf")], [32]),
     "learning_rate must be > 0 and finite, got inf"),
    ("core", "sweep batch beyond data", lambda m, f: _sweep([0.01], [5000]),
     "batch_size=5000 is larger than the 500 training samples of binary4; give at most 500"),
    ("core", "load_dataset mnist truncated",
     lambda m, f: __import__("tfmodels").load_dataset("mnist", path=f"{f}/mnist_truncated.npz"),
     "path='{f}/mnist_truncated.npz' is not a readable .npz"),
    ("core", "from_dict layers not list",
     lambda m, f: _spec_cls().from_dict(_spec(layers={"kind": "Dense", "units": 1})),
     "'layers' must be a non-empty list"),
    ("core", "from_dict input_shape -1", lambda m, f: _spec_cls().from_dict(_spec(
        input_shape=[-1])), "input_shape must be a list of positive integers, got (-1,)"),
    ("core", "from_dict seed text", lambda m, f: _spec_cls().from_dict(_spec(seed="0")),
     "seed must be a non-negative integer, got '0'"),
    ("core", "from_dict nesterov text", lambda m, f: _spec_cls().from_dict(_spec(
        optimizer={"name": "sgd", "nesterov": "yes"})),
     "nesterov must be true or false, got 'yes'"),
    ("core", "optimizer epsilon inf", lambda m, f: _opt("adam", epsilon=float("inf")),
     "epsilon must be finite, got inf"),
    ("core", "optimizer lr 1e-50", lambda m, f: _opt("sgd", learning_rate=1e-50),
     "learning_rate=1e-50 rounds to 0 in float32"),
    ("core", "optimizer epsilon 1e308", lambda m, f: _opt("adam", epsilon=1e308),
     "epsilon=1e+308 is infinite in float32"),
    ("core", "sweep lr 1e-50", lambda m, f: _sweep([1e-50], [32]),
     "learning_rate=1e-50 rounds to 0 in float32"),
    ("core", "from_dict units 10**12", lambda m, f: _spec_cls().from_dict(_spec(layers=[
        {"kind": "Dense", "units": 10**12}, {"kind": "Dense", "units": 1,
                                             "activation": "sigmoid"}])),
     "layer units must be at most 2**31 = 2147483648, got 1000000000000"),
    ("core", "from_dict seed 2**64", lambda m, f: _spec_cls().from_dict(_spec(seed=2**64)),
     "seed must be below 2**32 = 4294967296"),
    ("core", "sweep no learning rates", lambda m, f: _sweep([], [32]),
     "a sweep needs at least one learning rate and one batch size"),
    ("core", "train unknown track", lambda m, f: _train("keras3"), "unknown track 'keras3'"),
    ("core", "verify_checkpoint flipped index",
     lambda m, f: _verify(f"{f}/ck_tf1_flip_index"),
     "corrupted checkpoint {f}/ck_tf1_flip_index: file ckpt-00000016.index does not match its "
     "digest"),
    ("core", "verify_checkpoint flipped h5", lambda m, f: _verify(f"{f}/ck_keras_flip_h5"),
     "file ckpt-00000016.weights.h5 does not match its digest"),
    ("core", "from_dict name escapes", lambda m, f: _spec_cls().from_dict(_spec(
        name="../../escaped")), "model name '../../escaped' holds a path separator"),
    ("core", "from_dict name not text", lambda m, f: _spec_cls().from_dict(_spec(name=7)),
     "model name 7 is not text"),
    ("core", "new_run_dir name escapes", lambda m, f: _new_run_dir("logs", "../up"),
     "model name '../up' holds a path separator"),
    ("core", "from_file fifo", lambda m, f: _spec_cls().from_file(f"{f}/fifo.json"),
     "spec file '{f}/fifo.json' is a named pipe (FIFO), not a file"),
    ("core", "load_dataset mnist fifo",
     lambda m, f: __import__("tfmodels").load_dataset("mnist", path=f"{f}/fifo.npz"),
     "path='{f}/fifo.npz' is a named pipe (FIFO), not a file"),
]


def _verify(folder):
    from tfmodels.core.training_state import verify_checkpoint

    return verify_checkpoint(folder)


def _new_run_dir(logdir, name):
    from tfmodels.core.logs import new_run_dir

    return new_run_dir(logdir, name)


def _spec_cls():
    from tfmodels.core.spec import ModelSpec

    return ModelSpec


def _opt(name, **params):
    from tfmodels.core.spec import OptimizerSpec

    return OptimizerSpec(name, params)


def _sweep(lrs, batches):
    from tfmodels import get_spec, load_dataset
    from tfmodels.sweep import sweep

    return sweep(get_spec("binary4", epochs=1), load_dataset("binary4"), lrs, batches, "keras",
                 "logs")


def _train(track):
    from tfmodels import get_spec, load_dataset
    from tfmodels.training import train

    return train(track, get_spec("binary4", epochs=1), load_dataset("binary4"), log=None)


def _fit(**kwargs):
    return lambda m, f: m.fit(*_binary4(), verbose=0, **kwargs)


TRACK_CASES = [
    ("fit batch beyond data", _fit(batch_size=10000),
     "batch_size=10000 is larger than the 8 training samples; give at most 8"),
    ("fit epochs -1", _fit(epochs=-1), "epochs must be a positive integer, got -1"),
    ("fit epochs 0", _fit(epochs=0), "epochs must be a positive integer, got 0"),
    ("fit epochs 1.5", _fit(epochs=1.5), "epochs must be a positive integer, got 1.5"),
    ("fit epochs 10**20", _fit(epochs=10**20),
     "epochs must be a positive integer of at most 2**63 - 1, got 100000000000000000000"),
    ("fit batch text", _fit(batch_size="32"), "batch_size must be a positive integer, got '32'"),
    ("fit validation_split 1.5", _fit(validation_split=1.5),
     "validation_split must be between 0 and 1, got 1.5"),
    ("fit validation_split empty", _fit(validation_split=0.99),
     "validation_split=0.99 leaves an empty split of 8 samples"),
    ("fit validation_data shape",
     lambda m, f: m.fit(*_binary4(), validation_data=(np.zeros((3, 5)), np.zeros((3, 1))),
                        verbose=0), "x has shape (3, 5), but the model expects (None, 4)"),
    ("fit labels 2", lambda m, f: m.fit(_binary4()[0], np.full((8, 1), 2.0), verbose=0),
     "y must hold 0 or 1 for binary_crossentropy; row 0 is [2.0]"),
    ("fit labels rank", lambda m, f: m.fit(_binary4()[0], np.zeros(8), verbose=0),
     "y has shape (8,), but the model's output is (None, 1)"),
    ("fit initial_epoch -1", _fit(epochs=2, initial_epoch=-1),
     "initial_epoch must be an integer >= 0, got -1"),
    ("fit y NaN", lambda m, f: m.fit(_binary4()[0], np.full((8, 1), np.nan), verbose=0),
     "y holds 8 NaN or infinite value(s), the first in row 0"),
    ("evaluate batch 0", lambda m, f: m.evaluate(*_binary4(), batch_size=0, verbose=0),
     "batch_size must be a positive integer, got 0"),
    ("evaluate inf", lambda m, f: m.evaluate(np.full((2, 4), np.inf), np.zeros((2, 1)),
                                             verbose=0), "x holds 8 NaN or infinite value(s)"),
    ("evaluate labels 2", lambda m, f: m.evaluate(np.zeros((3, 4)), np.array([[0.0], [2.0],
                                                                             [1.0]]), verbose=0),
     "y must hold 0 or 1 for binary_crossentropy; row 1 is [2.0]"),
    ("predict rank 1", lambda m, f: m.predict(np.zeros(4), verbose=0),
     "x has shape (4,) (rank 1, expected 2)"),
    ("predict empty", lambda m, f: m.predict(np.zeros((0, 4)), verbose=0),
     "x is empty: shape (0, 4)"),
    ("predict batch -1", lambda m, f: m.predict(np.zeros((2, 4)), batch_size=-1, verbose=0),
     "batch_size must be a positive integer, got -1"),
    ("predict text", lambda m, f: m.predict(np.array([["a"] * 4]), verbose=0),
     "x must hold numbers"),
]
# The mnist_mlp model (64 features, 10 classes, one-hot labels): data handed to fit, evaluate
# and predict (moved here from test_bad_input.py).
SPEC_X, SPEC_Y = np.zeros((4, 64), np.float32), np.eye(10, dtype=np.float32)[[0, 1, 2, 3]]


def _with(value, row, col):
    x = SPEC_X.copy()
    x[row, col] = value
    return x


def _mlp_fit(x, y, **kwargs):
    return lambda m, f: m.fit(x, y, epochs=1, verbose=0, **kwargs)


MLP_CASES = [
    ("fit wrong feature count", _mlp_fit(np.zeros((4, 63)), SPEC_Y),
     "x has shape (4, 63), but the model expects (None, 64)"),
    ("fit wrong rank", _mlp_fit(np.zeros((4, 8, 8)), SPEC_Y),
     "x has shape (4, 8, 8) (rank 3, expected 2)"),
    ("fit NaN in x", _mlp_fit(_with(np.nan, 2, 5), SPEC_Y),
     "x holds 1 NaN or infinite value(s), the first in row 2"),
    ("fit inf in x", _mlp_fit(_with(np.inf, 1, 0), SPEC_Y),
     "x holds 1 NaN or infinite value(s), the first in row 1"),
    ("fit empty data", _mlp_fit(np.zeros((0, 64)), np.zeros((0, 10))),
     "x is empty: shape (0, 64)"),
    ("fit integer labels for a one-hot loss", _mlp_fit(SPEC_X, np.array([0, 1, 2, 3])),
     "integer labels? one-hot them"),
    ("fit labels not one-hot", _mlp_fit(SPEC_X, SPEC_Y * 2),
     "y must be one-hot for categorical_crossentropy"),
    ("fit label count mismatch", _mlp_fit(SPEC_X, SPEC_Y[:3]), "x has 4 samples but y has 3"),
    ("fit text instead of numbers", _mlp_fit(np.full((4, 64), "a"), SPEC_Y),
     "x must hold numbers"),
    ("fit batch 0", _mlp_fit(SPEC_X, SPEC_Y, batch_size=0),
     "batch_size must be a positive integer, got 0"),
    ("fit batch -3", _mlp_fit(SPEC_X, SPEC_Y, batch_size=-3),
     "batch_size must be a positive integer, got -3"),
    ("fit batch 2.5", _mlp_fit(SPEC_X, SPEC_Y, batch_size=2.5),
     "batch_size must be a positive integer, got 2.5"),
    ("fit 5 features", _mlp_fit(np.zeros((2, 5)), np.zeros((2, 10))),
     "x has shape (2, 5), but the model expects (None, 64)"),
    ("evaluate 5 features", lambda m, f: m.evaluate(np.zeros((2, 5)), np.zeros((2, 10)),
                                                    verbose=0),
     "x has shape (2, 5), but the model expects (None, 64)"),
    ("predict 5 features", lambda m, f: m.predict(np.zeros((2, 5)), verbose=0),
     "x has shape (2, 5), but the model expects (None, 64)"),
]
# (kind, what, call, expected, the model the call gets: "<track>:<model>" or None)
API = [(kind, what, call, message, None) for kind, what, call, message in API]
API += [(track, what, call, message, f"{track}:binary4") for track in ("keras", "tf1")
        for what, call, message in TRACK_CASES]
API += [(track, what, call, message, f"{track}:mnist_mlp") for track in ("keras", "tf1")
        for what, call, message in MLP_CASES]
# a model of two named inputs (digits_plus: image, extra)
TWO_INPUT_CASES = [
    ("fit without an input", lambda m, f: m.fit({"image": np.zeros((4, 8, 8, 1))}, SPEC_Y,
                                                verbose=0),
     "x has inputs ['image']: input 'extra' is missing; expected the model's inputs"),
    ("predict one array for two inputs", lambda m, f: m.predict(np.zeros((4, 8, 8, 1)),
                                                                verbose=0),
     "x must be a dict of the model's inputs (image, extra) to arrays, got ndarray"),
]
API += [(track, what, call, message, f"{track}:digits_plus") for track in ("keras", "tf1")
        for what, call, message in TWO_INPUT_CASES]


def _kind(argv: str) -> str:
    words = argv.split()
    return f"CLI {words[0]}" if words and words[0] in (
        "train", "compare", "sweep", "convert", "evaluate", "predict", "bench", "list",
        "verify") \
        else "CLI (no command)"


def counts() -> dict:
    out = {}
    for argv, _, _ in CLI:
        out[_kind(argv)] = out.get(_kind(argv), 0) + 1
    for kind, *_ in API:
        key = f"Python API: {kind}"
        out[key] = out.get(key, 0) + 1
    out["total"] = len(CLI) + len(API)
    return out


# --- running a case --------------------------------------------------------------------------

def snapshot(*roots) -> dict:
    """Every file's bytes and every folder under `roots` (relative names, sorted); a named pipe
    as its kind (never read: that would wait forever)."""
    import stat

    seen = {}
    for root in roots:
        for folder, _, names in os.walk(root):
            seen[os.path.relpath(folder, root) + "/"] = None
            for name in names:
                path = os.path.join(folder, name)
                if stat.S_ISFIFO(os.lstat(path).st_mode):
                    seen[os.path.relpath(path, root)] = "fifo"
                    continue
                with open(path, "rb") as f:
                    seen[os.path.relpath(path, root)] = f.read()
    return seen


@contextlib.contextmanager
def no_fifo_read(root):
    """Fails a case that opens one of the named pipes under `root` to read it, instead of
    hanging on it: a watcher opens each pipe's writing end whenever a reader waits on it (which
    only then succeeds), records it, and closes it (the reader sees an empty file and goes on)."""
    import stat
    import threading

    fifos = [os.path.join(d, n) for d, _, names in os.walk(root) for n in names
             if stat.S_ISFIFO(os.lstat(os.path.join(d, n)).st_mode)]
    read, stop = set(), threading.Event()

    def watch():
        while not stop.wait(0.05):
            for fifo in fifos:
                try:
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                    read.add(fifo)
                except OSError:  # ENXIO: nobody is reading it
                    pass

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    assert not read, f"named pipes opened for reading: {sorted(read)}"


def _one_line(message: str) -> None:
    assert message and "\n" not in message.strip(), f"not one line: {message[-600:]!r}"
    assert "Traceback" not in message
    # bounded: a long text is cut, saying where the whole of it is
    assert len(message.strip()) <= len("tfmodels: error: ") + LINE_LIMIT, len(message)


@pytest.mark.parametrize("argv, status, expected", CLI, ids=[c[0] or "(none)" for c in CLI])
def test_cli_mistake(files, tmp_path, monkeypatch, capsys, argv, status, expected):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the default --logdir logs would land here
    monkeypatch.delenv("TF_CONFIG", raising=False)
    fill = {"f": files, "tmp": str(work), "empty": ""}
    args = [a.format(**fill) for a in argv.split()]
    before = snapshot(files, tmp_path)  # around the working folder: nothing lands beside it
    with no_fifo_read(files):
        try:
            code = main(args)
        except SystemExit as e:  # argparse's own exit would be a gap: main returns the status
            code = ("SystemExit", e.code)
    out, err = capsys.readouterr()
    assert code == status, f"status {code}: {err[-600:]!r}"
    assert out == "", f"printed before refusing: {out[-300:]!r}"
    _one_line(err)
    assert err.startswith(("tfmodels: error: ", "tfmodels ")), repr(err)
    assert expected.format(**fill) in err, repr(err)
    assert snapshot(files, tmp_path) == before, "files changed"


@pytest.fixture(scope="module")
def models():
    """`{"keras:binary4": model, "tf1:mnist_mlp": model, ...}`, each built once, on first use."""
    import tf1_compat
    from tfmodels import build_model, get_spec

    class Built(dict):
        def __missing__(self, key):
            track, name = key.split(":")
            build = build_model if track == "keras" else tf1_compat.build_model
            self[key] = build(get_spec(name))
            return self[key]

    built = Built()
    yield built
    for key, model in built.items():
        if key.startswith("tf1:"):
            model.close()


@pytest.mark.parametrize("kind, what, call, expected, key", API,
                         ids=[f"{c[0]}: {c[1]}" for c in API])
def test_api_mistake(files, models, tmp_path, monkeypatch, kind, what, call, expected, key):
    monkeypatch.chdir(tmp_path)
    model = models[key] if key else None
    weights = model.get_weights() if model is not None else None
    before = snapshot(files, tmp_path)
    with pytest.raises(UserError) as err, no_fifo_read(files):
        call(model, files)
    message = str(err.value)
    _one_line(message)
    assert expected.format(f=files) in message, repr(message)
    assert snapshot(files, tmp_path) == before, "files changed"
    if model is not None:  # refused before anything trained
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


def test_catalogue_counts():
    """At least 100 distinct mistakes, and the module docstring's count is the tables'."""
    c = counts()
    assert c["total"] >= 100
    assert len({argv for argv, *_ in CLI}) == len(CLI)
    assert len({(k, w) for k, w, *_ in API}) == len(API)
    for kind, n in c.items():
        assert f"{kind}: {n}" in __doc__, (kind, n)
