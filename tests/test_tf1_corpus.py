"""A corpus of TF 1.x programs (tests/tf1_corpus/), run unmodified: ours against TF1's own code.

Each program is written as the TF 1.x tutorials of 2017 wrote them (`import tensorflow as tf`,
placeholders, a Session, feed_dict), on synthetic NumPy data with a fixed seed, and prints
`step N loss X` (`%.9g`) for its first steps. For each program:

1. `python -m tfmodels.cli run prog.py [OUT]` exits 0 with the program file as it is, writing
   nothing into its current folder;
2. the same file runs under the legacy oracle (tests/tf1_corpus/launch.py `legacy`, a process
   with TF_USE_LEGACY_KERAS=1 whose `tf` is TensorFlow's own `tf.compat.v1`, tf_keras's legacy
   layers and cells, and tf_slim for `tf.contrib.layers`);
3. ours (launch.py `ours`: what `tfmodels run` runs) makes global variables of the same names and
   shapes as the oracle;
4. ours prints the oracle's losses step by step, within the tolerance stated per program.

Equal starting values: variable initializers of our drop-ins and of tf_keras draw through
different random ops, so the launcher (never the program) saves the oracle's initial values right
after its `global_variables_initializer()` ran and loads them into ours at the same moment (see
launch.py). Data come from `np.random.RandomState(SEED)` in both; in-graph random ops carry
explicit seeds (dropout, tf.random_normal), so both graphs draw the same numbers.

The Estimator program has no oracle process (tf.estimator is gone from TensorFlow 2.21 and from
tf_keras): its losses are checked against full-batch gradient descent computed here with NumPy.
"""

import concurrent.futures
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "tf1_corpus")
LAUNCH = os.path.join(CORPUS, "launch.py")
STEP = re.compile(r"^step (\d+) loss (\S+)", re.M)

# name: (takes an output folder, rtol against the oracle, why that tolerance)
SAME_OPS = "the same TensorFlow ops in the same order: exact"
PROGRAMS = {
    "mlp": (False, 0.0, SAME_OPS + " (tf.Variable, tf.nn only)"),
    "cnn_nn": (False, 0.0, SAME_OPS + " (tf.nn.conv2d, seeded tf.nn.dropout)"),
    "cnn_layers": (False, 0.0, SAME_OPS + " (our tf.layers build conv2d/pool/dense/dropout "
                   "from the ops tf_keras's legacy layers use)"),
    "lstm_static": (False, 0.0, SAME_OPS + " (BasicLSTMCell, static_rnn)"),
    "lstm_dynamic": (False, 0.0, SAME_OPS + " (peephole LSTMCell in dynamic_rnn's while_loop)"),
    "birnn": (False, 0.0, SAME_OPS + " (GRUCell, bidirectional_dynamic_rnn)"),
    "stacked_dropout": (False, 0.0, SAME_OPS + " (DropoutWrapper seeds by TF1's MD5 rule)"),
    "autoencoder": (False, 0.0, SAME_OPS + " (tf.Variable, tf.nn only)"),
    "vae": (False, 0.0, SAME_OPS + " (tf.layers.dense, seeded tf.random_normal)"),
    "gan": (False, 0.0, SAME_OPS + " (two var_lists)"),
    "word2vec": (False, 0.0, SAME_OPS + " (nce_loss's sampler draws alike: equal graphs)"),
    "transformer": (False, 0.0, SAME_OPS + " (our layer_norm against tf_slim's)"),
    "saver": (True, 0.0, SAME_OPS + " (tf.Variable, Saver)"),
    "summaries": (True, 0.0, SAME_OPS + " (tf.Variable, tf.summary)"),
    "contrib_fc": (False, 0.0, SAME_OPS + " (our contrib fully_connected against tf_slim's)"),
    "batch_norm": (False, 0.0, SAME_OPS + " (batch_normalization's moments and moving "
                   "averages)"),
}
ESTIMATOR = "estimator_linear"
# tf.contrib.layers in the oracle is tf_slim (the dev extra): without it these have no oracle
NEEDS_TF_SLIM = {"transformer", "contrib_fc"}
QUICK = ("mlp", "lstm_static")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS",
                                                             "TF1_CORPUS_INIT", "TF1_CORPUS_SAVE")}
    env.update(extra)
    return env


def _run(command, cwd, env):
    done = subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True, timeout=600)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr[-4000:],
            "cwd_files": sorted(os.listdir(cwd))}


def _cli(name, folder, takes_output):
    """`python -m tfmodels.cli run prog.py [OUT]` from an empty folder of its own."""
    cwd = folder / "cli_cwd"
    cwd.mkdir()
    args = [str(folder / "cli_out")] if takes_output else []
    result = _run([sys.executable, "-m", "tfmodels.cli", "run",
                   os.path.join(CORPUS, name + ".py"), *args], cwd, _env())
    result["out_files"] = sorted(os.listdir(folder / "cli_out")) if takes_output else []
    return result


def _pair(name, folder, takes_output):
    """The oracle (saving its initial values), then ours from those values."""
    results = {}
    for mode in ("legacy", "ours"):
        dumps = folder / mode
        dumps.mkdir()
        extra = {"TF1_CORPUS_DIR": str(dumps)}
        if mode == "legacy":
            extra.update(TF_USE_LEGACY_KERAS="1", TF1_CORPUS_SAVE="1")
        else:
            extra["TF1_CORPUS_INIT"] = str(folder / "legacy" / "initial.npz")
        args = [str(folder / (mode + "_out"))] if takes_output else []
        cwd = folder / (mode + "_cwd")
        cwd.mkdir()
        results[mode] = _run([sys.executable, LAUNCH, mode, os.path.join(CORPUS, name + ".py"),
                              *args], cwd, _env(**extra))
        found = dumps / "variables.json"
        results[mode]["variables"] = json.loads(found.read_text()) if found.exists() else None
    return results


def _parallel(jobs):
    """Runs `{key: (function, args)}` two at a time (the machine has 2 cores)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(function, *args) for key, (function, args) in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def losses(out):
    return [(int(n), float(x)) for n, x in STEP.findall(out)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    jobs = {}
    for name, (takes_output, _, _) in PROGRAMS.items():
        jobs[("cli", name)] = (_cli, (name, tmp_path_factory.mktemp(name + "_cli"), takes_output))
        jobs[("pair", name)] = (_pair, (name, tmp_path_factory.mktemp(name), takes_output))
    jobs[("cli", ESTIMATOR)] = (_cli, (ESTIMATOR, tmp_path_factory.mktemp("est"), True))
    return _parallel(jobs)


def test_the_corpus_has_a_program_of_each_kind_asked_for():
    files = {f[:-3] for f in os.listdir(CORPUS) if f.endswith(".py") and f != "launch.py"}
    assert files == set(PROGRAMS) | {ESTIMATOR}
    text = {name: open(os.path.join(CORPUS, name + ".py")).read() for name in files}
    for name, needle in [("cnn_layers", "tf.layers.conv2d"), ("cnn_nn", "tf.nn.conv2d"),
                         ("lstm_static", "static_rnn"), ("lstm_dynamic", "tf.nn.dynamic_rnn"),
                         ("birnn", "bidirectional_dynamic_rnn"), ("stacked_dropout", "Dropout"),
                         ("gan", "var_list"), ("word2vec", "tf.nn.nce_loss"),
                         ("transformer", "tf.contrib.layers.layer_norm"),
                         ("saver", "tf.train.Saver"), ("summaries", "tf.summary.merge_all"),
                         (ESTIMATOR, "tf.estimator.inputs.numpy_input_fn")]:
        assert needle in text[name], name
    for name, source in text.items():
        assert "import tensorflow as tf" in source and "TF1_CORPUS" not in source, name
    assert {name for name, source in text.items() if "tf.contrib.layers" in source} == \
        NEEDS_TF_SLIM


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return _parallel({name: (_cli, (name, tmp_path_factory.mktemp(name), False))
                      for name in QUICK})


def test_two_programs_run_unmodified_under_tfmodels_run(quick):
    for name, result in quick.items():
        assert result["code"] == 0, (name, result["err"])
        steps = losses(result["out"])
        assert len(steps) >= 5 and [n for n, _ in steps] == list(range(len(steps))), name
        assert all(np.isfinite(x) for _, x in steps) and steps[-1][1] < steps[0][1], name
        assert result["cwd_files"] == [], name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_unmodified_under_tfmodels_run(corpus, name):
    result = corpus[("cli", name)]
    assert result["code"] == 0, result["err"]
    assert len(losses(result["out"])) >= 5
    assert result["cwd_files"] == []  # files go under the folder given, none beside the user
    if PROGRAMS[name][0]:
        assert result["out_files"], "nothing written under the output folder"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_tf1s_own_code(corpus, name):
    if name in NEEDS_TF_SLIM and importlib.util.find_spec("tf_slim") is None:
        pytest.skip("no oracle: tf.contrib.layers is tf_slim in the legacy process, and tf_slim "
                    "(the dev extra) is not installed")
    legacy, ours = corpus[("pair", name)]["legacy"], corpus[("pair", name)]["ours"]
    assert legacy["code"] == 0, "the oracle failed:\n" + legacy["err"]
    assert ours["code"] == 0, ours["err"]
    assert ours["variables"]["not_loaded"] == []
    assert sorted(map(tuple, ours["variables"]["variables"])) == \
        sorted(map(tuple, legacy["variables"]["variables"]))
    expected, got = losses(legacy["out"]), losses(ours["out"])
    assert len(expected) >= 5 and [n for n, _ in got] == [n for n, _ in expected]
    rtol = PROGRAMS[name][1]
    np.testing.assert_allclose([x for _, x in got], [x for _, x in expected], rtol=rtol, atol=0)


def _estimator_reference(steps):
    """Full-batch gradient descent (rate 0.1) on the program's data, from W = 0, b = 0, in
    float64: the loss before each update, as the program's hook prints it."""
    rng = np.random.RandomState(12)
    x = rng.normal(size=(20, 3)).astype(np.float32).astype(np.float64)
    y = (x.astype(np.float32).dot([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    w, b, found = np.zeros((3, 1)), np.zeros(1), []
    for _ in range(steps):
        error = x @ w + b - y
        found.append(float(np.mean(error ** 2)))
        w, b = w - 0.1 * 2 * x.T @ error / len(x), b - 0.1 * 2 * error.mean(axis=0)
    return found


@pytest.mark.slow
def test_estimator_program_follows_gradient_descent_computed_with_numpy(corpus):
    result = corpus[("cli", ESTIMATOR)]
    assert result["code"] == 0, result["err"]
    steps = losses(result["out"])
    assert [n for n, _ in steps] == list(range(8))
    # float32 in TensorFlow against float64 here over 8 steps: rounding only
    np.testing.assert_allclose([x for _, x in steps], _estimator_reference(8), rtol=1e-5)
    assert "checkpoint" in result["out_files"] and result["cwd_files"] == []


UNKNOWN_BATCH = """
import json
import tensorflow as tf
v1 = tf.compat.v1
v1.disable_v2_behavior()  # as the runner does: shapes of TF1 Dimensions, Dimension(None)
from tf1_compat import layers, rnn
x3 = lambda *shape: v1.placeholder(tf.float32, shape)
builds = {
    "static_rnn": lambda: rnn.static_rnn(rnn.BasicLSTMCell(3), tf.unstack(x3(None, 4, 2), axis=1),
                                         dtype=tf.float32)[0][-1],
    "dynamic_rnn": lambda: rnn.dynamic_rnn(rnn.GRUCell(3), x3(None, 4, 2), dtype=tf.float32)[0],
    "dynamic_rnn_time_major": lambda: rnn.dynamic_rnn(rnn.GRUCell(3), x3(4, None, 2),
                                                      dtype=tf.float32, time_major=True)[0],
    "conv2d_transpose": lambda: layers.conv2d_transpose(x3(None, 3, 5, 2), 3, 3, strides=2),
}
found = {}
for name, build in builds.items():
    with tf.Graph().as_default():
        try:
            found[name] = build().shape.as_list()
        except Exception as error:
            found[name] = repr(error)
print(json.dumps(found))
"""


def test_drop_ins_take_tf1s_unknown_batch_dimension():
    # Under disable_v2_behavior a shape's entries are Dimensions, Dimension(None) for an unknown
    # batch, which is not None: static_rnn, dynamic_rnn and conv2d_transpose once took it for a
    # known batch size (a TypeError in every program feeding a [None, ...] placeholder).
    done = subprocess.run([sys.executable, "-c", UNKNOWN_BATCH], capture_output=True, text=True,
                          env=_env(), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "static_rnn": [None, 3], "dynamic_rnn": [None, 4, 3],
        "dynamic_rnn_time_major": [4, None, 3], "conv2d_transpose": [None, 7, 11, 3]}
