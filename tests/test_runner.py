"""`python -m tf1_compat prog.py args`: unmodified TF 1.x programs on TensorFlow 2.21.

The programs of examples/tf1_programs/ are written as TF 1.x tutorials wrote them. Each runs as a
subprocess from a folder of its own (all at once, in one module-scoped fixture); its printed
final loss is compared with the same computation done here with tf1_compat directly, and its
folder is listed afterwards. The TF1 namespace and the import hook are also checked in this
process (no global switch is thrown here: `disable_v2_behavior` runs only in the subprocesses).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tf1_compat
from tf1_compat import estimator as tf1_estimator
from tf1_compat import layers, rnn, runner
from tf1_compat.notprovided import NotProvided
from tf1_compat.shim import tf1

v1 = tf.compat.v1
HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(os.path.dirname(HERE), "examples", "tf1_programs")
# what TensorFlow's native library prints on stderr as it loads, before any Python runs
NATIVE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|[IWE]\d{4} |"
                    r"To enable the following instructions)")

RUNS = {  # name: (files copied into the folder, arguments)
    "mlp": (["mlp_layers.py", "mlp_helpers.py"], ["mlp_layers.py", "6"]),
    "shape": (["shape_value.py"], ["shape_value.py", "fail"]),
    "unprovided": (["unprovided.py"], ["unprovided.py"]),
    "unprovided_cli": (["unprovided.py"], ["unprovided.py"]),  # as `tfmodels run`
    # the slow ones: each subprocess costs TensorFlow's import, about 6 s of CPU
    "contrib": (["contrib_rnn.py"], ["contrib_rnn.py", "5"]),
    "upgraded": (["upgraded_v2.py"], ["upgraded_v2.py", "5"]),
    "estimator": (["estimator_classifier.py"], ["estimator_classifier.py", "model", "60"]),
}


def launch(names, tmp_path_factory):
    """Runs the programs `names` at once: `{name: (status, stdout, stderr less TF's native
    start-up lines, folder)}`."""
    started = {}
    for name in names:
        files, args = RUNS[name]
        folder = tmp_path_factory.mktemp(name)
        for file in files:
            shutil.copy(os.path.join(PROGRAMS, file), folder)
        command = ["tfmodels.cli", "run"] if name.endswith("_cli") else ["tf1_compat"]
        started[name] = folder, subprocess.Popen(
            [sys.executable, "-m", *command, *args], cwd=folder, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for name, (folder, process) in started.items():
        out, err = process.communicate(timeout=600)
        err = "\n".join(line for line in err.splitlines() if not NATIVE.match(line))
        results[name] = process.returncode, out, err, folder
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return launch(["mlp", "shape", "unprovided", "unprovided_cli"], tmp_path_factory)


@pytest.fixture(scope="module")
def slow_runs(tmp_path_factory):
    return launch(["contrib", "upgraded", "estimator"], tmp_path_factory)


def final_loss(out: str) -> float:
    return float(re.search(r"^final loss (\S+)$", out, re.M).group(1))


def folder_files(folder) -> set:
    return {os.path.relpath(os.path.join(d, f), folder)
            for d, _, files in os.walk(folder) for f in files}


def run_feeds(build, feeds_per_step, seed):
    """Builds `build()` -> (loss, train_op, placeholders) in a fresh graph, runs the steps."""
    with tf.Graph().as_default():
        v1.set_random_seed(seed)
        loss, train_op, placeholders = build()
        with v1.Session() as session:
            session.run(v1.global_variables_initializer())
            for feeds in feeds_per_step:
                value = session.run([train_op, loss], dict(zip(placeholders, feeds)))[1]
    return float(value)


def test_mlp_on_tf_layers_gives_the_loss_of_the_same_graph_built_here(runs):
    code, out, err, folder = runs["mlp"]
    assert code == 0, err
    rng = np.random.RandomState(0)
    x_data = rng.normal(size=(64, 5)).astype(np.float32)
    y_data = (x_data @ np.array([1.0, -2.0, 0.5, 0.3, -1.0]) > 0).astype(np.float32)[:, None]

    def build():
        x, y = v1.placeholder(tf.float32, [None, 5]), v1.placeholder(tf.float32, [None, 1])
        init, h = v1.glorot_uniform_initializer(seed=3), x
        for i, width in enumerate([16, 8]):
            h = layers.dense(h, width, activation=tf.nn.relu, kernel_initializer=init,
                             name=f"hidden{i}")
        logits = layers.dense(h, 1, kernel_initializer=init, name="logits")
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
        return loss, v1.train.GradientDescentOptimizer(0.5).minimize(loss), (x, y)

    feeds = [(x_data[s % 64:s % 64 + 16], y_data[s % 64:s % 64 + 16])
             for s in range(0, 6 * 16, 16)]
    assert final_loss(out) == pytest.approx(run_feeds(build, feeds, seed=1), rel=1e-5)
    facts = json.loads(out.splitlines()[-1])
    assert facts["argv"] == ["mlp_layers.py", "6"] and facts["name"] == "__main__"
    assert facts["path0"] == str(folder) and facts["file"] == str(folder / "mlp_layers.py")
    assert facts["eager"] is False  # disable_v2_behavior ran first
    assert facts["variables"][:2] == ["hidden0/kernel", "hidden0/bias"]
    assert folder_files(folder) == {"mlp_layers.py", "mlp_helpers.py"}  # no __pycache__


@pytest.mark.slow
def test_contrib_rnn_program_gives_the_loss_of_tf1_compat_rnn(slow_runs):
    code, out, err, folder = slow_runs["contrib"]
    assert code == 0, err
    rng = np.random.RandomState(0)
    sequences = rng.normal(size=(6, 5, 3)).astype(np.float32)
    targets = rng.normal(size=(6, 4)).astype(np.float32)

    def build():
        inputs = v1.placeholder(tf.float32, [None, 5, 3])
        with v1.variable_scope("model", initializer=v1.random_uniform_initializer(-0.5, 0.5,
                                                                                  seed=4)):
            _, state = rnn.dynamic_rnn(rnn.BasicLSTMCell(4), inputs, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(state.h - targets))
        return loss, v1.train.AdamOptimizer(0.05).minimize(loss), (inputs,)

    assert final_loss(out) == pytest.approx(run_feeds(build, [(sequences,)] * 5, seed=2),
                                            rel=1e-5)
    assert folder_files(folder) == {"contrib_rnn.py"}


@pytest.mark.slow
def test_tf_upgrade_v2_style_program_gets_the_same_shim_under_compat_v1(slow_runs):
    code, out, err, _ = slow_runs["upgraded"]
    assert code == 0, err
    rng = np.random.RandomState(1)
    x_data = rng.normal(size=(32, 3)).astype(np.float32)
    y_data = np.sin(x_data.sum(axis=1, keepdims=True))

    def build():
        x, y = v1.placeholder(tf.float32, [None, 3]), v1.placeholder(tf.float32, [None, 1])
        init = v1.glorot_uniform_initializer(seed=6)
        hidden = layers.dense(x, 10, activation=tf.nn.tanh, kernel_initializer=init)
        loss = v1.losses.mean_squared_error(y, layers.dense(hidden, 1, kernel_initializer=init))
        return loss, v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss), (x, y)

    assert final_loss(out) == pytest.approx(run_feeds(build, [(x_data, y_data)] * 5, seed=5),
                                            rel=1e-5)


@pytest.mark.slow
def test_estimator_program_trains_evaluates_and_predicts_in_its_model_dir(slow_runs):
    code, out, err, folder = slow_runs["estimator"]
    assert code == 0, err
    results = json.loads(out.splitlines()[-1])
    predictions, labels = np.load(folder / "predictions.npy"), np.load(folder / "labels.npy")
    assert results["global_step"] == 60 and len(predictions) == 50
    assert results["accuracy"] == pytest.approx(np.mean(predictions == labels), rel=1e-6)
    assert 0.5 < results["accuracy"] < 1.0
    files = folder_files(folder)
    assert {"model/model.ckpt-60.index", "model/model.ckpt-50.index", "model/checkpoint",
            "predictions.npy", "labels.npy", "estimator_classifier.py"} <= files
    assert all(f.startswith("model/") for f in files - {"predictions.npy", "labels.npy",
                                                         "estimator_classifier.py"})
    assert any(f.startswith("model/eval/events.out.tfevents") for f in files)


def test_shape_value_works_and_the_programs_own_error_keeps_its_traceback(runs):
    code, out, err, _ = runs["shape"]
    assert out.splitlines() == ["nx 12 Dimension None [None, 7, 3]"]
    assert code == 1
    assert err.startswith("Traceback (most recent call last):\n  File ")
    assert err.endswith("ValueError: the program's own mistake")
    assert "shape_value.py\", line 24, in <module>" in err
    assert "tf1_compat" not in err  # the runner's own frames are not shown


def test_an_unprovided_name_is_one_line_naming_it_and_the_programs_line(runs):
    code, out, err, folder = runs["unprovided"]
    source = open(os.path.join(PROGRAMS, "unprovided.py")).read().splitlines()
    line = next(i for i, text in enumerate(source, 1) if "tf.contrib.seq2seq" in text
                and "import" not in text and '"""' not in text and "A TF1" not in text)
    assert code == 2 and out == "built the cell\n"
    assert err.splitlines() == [
        f"tf1_compat: unprovided.py:{line}: tf.contrib.seq2seq is not provided by tf1_compat "
        "(tf.contrib was removed in TensorFlow 2.0; tf1_compat provides "
        + ", ".join(f"tf.contrib.{n}" for n in _contrib_names()) + ")"]
    assert folder_files(folder) == {"unprovided.py"}


def test_tfmodels_run_is_the_same_command(runs):
    """`tfmodels run prog.py` runs the program as `python -m tf1_compat prog.py` does: the same
    output, the same one line naming the unprovided name, status 2, nothing written."""
    code, out, err, folder = runs["unprovided_cli"]
    assert (code, out, err) == runs["unprovided"][:3]
    assert err.startswith("tf1_compat: unprovided.py:") and folder_files(folder) == {
        "unprovided.py"}


def _contrib_names():
    from tf1_compat.shim import _contrib_names

    return _contrib_names()


def test_no_program_is_a_usage_line_and_status_2():
    done = subprocess.run([sys.executable, "-m", "tf1_compat"], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (
        2, "", "usage: python -m tf1_compat PROGRAM.py [ARG ...]")


# -- in this process: the namespace and the import hook ------------------------------------------


def test_the_namespace_maps_tf1_names_to_tf1_compat_and_the_rest_to_compat_v1():
    tf_ = tf1()
    assert tf_.layers.dense is layers.dense and tf_.layers.conv2d is layers.conv2d
    assert tf_.nn.rnn_cell.LSTMCell is rnn.LSTMCell and tf_.nn.dynamic_rnn is rnn.dynamic_rnn
    assert tf_.contrib.rnn.BasicLSTMCell is rnn.BasicLSTMCell
    assert tf_.estimator.Estimator is tf1_estimator.Estimator
    assert tf_.estimator.inputs.numpy_input_fn is tf1_estimator.inputs.numpy_input_fn
    assert tf_.compat.v1 is tf_ and tf_.compat.v1.layers is tf_.layers
    assert tf_.nn.relu is v1.nn.relu and tf_.placeholder is v1.placeholder
    assert tf_.train.AdamOptimizer is v1.train.AdamOptimizer and tf_.Session is v1.Session
    assert tf_.compat.as_bytes("a") == b"a" and tf_.__version__ == tf.__version__


@pytest.mark.parametrize("path, message", [
    ("contrib.seq2seq", "tf.contrib.seq2seq is not provided by tf1_compat (tf.contrib was "
                        "removed in TensorFlow 2.0; tf1_compat provides tf.contrib."),
    ("layers.separable_conv3d", "tf.layers.separable_conv3d is not provided by tf1_compat "
                                "(tf1_compat.layers provides AveragePooling1D, "),
    ("layers.ZEROS", "tf.layers.ZEROS is not provided"),  # ours, but not a TF1 name
    ("nn.rnn_cell.dynamic_rnn", "tf.nn.rnn_cell.dynamic_rnn is not provided"),
    ("estimator.DNNClassifier", "tf.estimator.DNNClassifier is not provided by tf1_compat "
                                "(tf1_compat.estimator provides Estimator, EstimatorSpec,"),
    ("train.no_such_thing", "tf.train.no_such_thing is not provided by tf1_compat (not in "
                            "tf.compat.v1.train of TensorFlow"),
])
def test_a_name_not_provided_raises_not_provided_naming_it(path, message):
    obj = tf1()
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part)
    with pytest.raises(NotProvided) as error:
        getattr(obj, last)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert not hasattr(obj, last)  # an AttributeError: hasattr and getattr(..., None) work


def test_the_import_hook_gives_the_shim_to_the_users_modules_only(tmp_path, monkeypatch):
    user, other = tmp_path / "user", tmp_path / "site-packages"
    user.mkdir(), other.mkdir()
    (user / "usermod.py").write_text(
        "import tensorflow as tf\nimport tensorflow.compat.v1 as tfv1\n"
        "from tensorflow.contrib import rnn\nfrom tensorflow.python.ops import array_ops\n"
        "from tensorflow.train import AdamOptimizer\n")
    (user / "usermiss.py").write_text("import tensorflow as tf\n\n"
                                      "from tensorflow.contrib import slim\n")
    (other / "libmod.py").write_text("import tensorflow as tf\n")
    monkeypatch.syspath_prepend(str(user))
    monkeypatch.syspath_prepend(str(other))
    runner._install([str(tmp_path)])
    try:
        import libmod
        import usermod
        with pytest.raises(NotProvided) as error:
            import usermiss  # noqa: F401
    finally:
        runner.disable()
        for name in ("usermod", "libmod", "usermiss"):
            sys.modules.pop(name, None)
    assert usermod.tf is tf1() and usermod.tfv1 is tf1() and usermod.rnn.LSTMCell is rnn.LSTMCell
    assert usermod.array_ops is sys.modules["tensorflow.python.ops.array_ops"]
    assert usermod.AdamOptimizer is v1.train.AdamOptimizer  # TF1's tf.train, not TF2's
    assert libmod.tf is tf  # site-packages: the real TensorFlow
    assert error.value.api == "tf.contrib.slim"
    assert error.value.where == (str(user / "usermiss.py"), 3)
    assert __import__("tensorflow") is tf  # the hook is gone


def test_enable_switches_a_notebook_to_tf1(tmp_path):
    code = ("import tf1_compat; tf1_compat.enable()\n"
            "import tensorflow as tf\n"
            "x = tf.placeholder(tf.float32, [None, 3])\n"
            "import sys, tf1_compat.layers as L\n"
            "print(tf.layers.dense is L.dense, x.shape[-1].value, tf.executing_eagerly(),\n"
            "      sys.modules['tensorflow'] is not tf)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "3", "False", "True"]


def test_the_package_exposes_run_program_enable_and_disable():
    assert tf1_compat.run_program is runner.run_program
    assert tf1_compat.enable is runner.enable and tf1_compat.disable is runner.disable
