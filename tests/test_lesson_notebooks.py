"""The lessons read as lessons: each shows its concept's code on the page, and each is a jupytext
"percent" file that opens in Jupyter as a notebook of prose and code cells (and runs as one).

What each lesson prints is checked in test_scripts.py; here, what it *shows*.
"""

import glob
import os
import re
import sys

import pytest

from tests.helpers import ROOT, SCRIPTS, check_10
from tfmodels.lessons import QUICK_ENV, lesson_args

# each Jupyter kernel listens on free ports jupyter_client chooses (xdist group "ports": one
# such test at a time, tests/conftest.py)
pytestmark = pytest.mark.xdist_group("ports")

# The code of each lesson's concept, which must be on its page (not behind a library call).
CONCEPT_CODE = {
    "01_neuron_and_batches.py": ["np.dot(weights, inputs)", "batch @ layer_weights.T",
                                 "one_hot("],
    "02_activations.py": ["1 / (1 + np.exp(-z))", "np.maximum(z, 0)", "tf.nn.sigmoid(",
                          "tf.nn.leaky_relu(", "keras.activations.sigmoid", "Session(",
                          "RandomizedReLU(", "randomized_relu(", "keras_seed=0"],
    "03_losses.py": ["np.log(probs)", "from_logits=True", "keras.losses.",
                     "tf.nn.softmax_cross_entropy_with_logits("],
    "04_backprop.py": ["GradientTape(", "tf.gradients(", "hidden.T @"],
    "05_sine_linear_vs_relu.py": ["keras.Sequential(", "Dense(64, activation)", ".summary(",
                                  ".compile(", ".fit("],
    "06_scaling_and_init.py": ["* 255", "keras.Sequential(", ".compile(", ".fit(",
                               'kernel_initializer="zeros"', "placeholder(", "get_variable(",
                               "zeros_initializer(", "Session(", ".minimize("],
    "07_learning_rate_and_batches.py": ["learning_rate", "batch_size=size", "iterations",
                                        "keras.Sequential(", ".compile(", ".fit(",
                                        "placeholder(", "global_step", "Session("],
    "08_optimizers.py": ["keras.optimizers.", "v1.train.", "apply_gradients(", "Session("],
    "09_overfitting.py": ["validation_data=", "keras.Sequential(", ".summary(", ".compile(",
                          ".fit("],
    "10_tf1_session_basics.py": ["placeholder(", "get_variable(", "Session(", "feed_dict",
                                 "global_variables_initializer(", ".minimize(", "FileWriter("],
    "11_keras_sequential.py": ["Sequential(", ".add(", ".compile(", ".fit(", ".evaluate(",
                               ".predict(", "strategy.scope()"],
    "12_beyond_dense.py": ["keras.Sequential(", "Conv2D(", "MaxPooling2D(", "Dropout(",
                           ".summary(", ".compile(", ".fit(", "batch_normalization(",
                           "UPDATE_OPS", "Session(", "keras.layers.LSTM(", "compare("],
    "13_migrating_tf1.py": ["placeholder(", "layers.conv2d(", "UPDATE_OPS", "Saver(",
                            "FileWriter(", "TF1StyleLayer(", "tf1_to_keras(", "verify("],
    "14_why_deep_networks_train.py": ["keras.Model(", "keras.layers.Add(", "BatchNormalization(",
                                      "ModelSpec.from_keras(", "GradientTape(", "tf.gradients(",
                                      "graph_backward(", "tf.summary.histogram(",
                                      "keras.layers.SeparableConv2D", ".fit("],
}


# Lessons whose model and training are the lesson: built on the page, not by the project's
# `build_model` (which a learner never sees).
OWN_MODEL = ["05_sine_linear_vs_relu.py", "06_scaling_and_init.py",
             "07_learning_rate_and_batches.py", "08_optimizers.py", "09_overfitting.py",
             "12_beyond_dense.py"]
# Lessons that draw a picture inline (matplotlib) as well as logging to TensorBoard.
DRAWN = [s for s in sorted(CONCEPT_CODE) if 5 <= int(s[:2]) <= 12 or int(s[:2]) == 14]


def source(script):
    with open(os.path.join(ROOT, "scripts", script), encoding="utf-8") as f:
        return f.read()


def code_only(text):
    """The lesson without its comments and prose: the concept must be in code, not in words."""
    return "\n".join(re.sub(r"#.*", "", ln) for ln in text.splitlines())


def test_every_lesson_names_its_concepts_code():
    assert sorted(CONCEPT_CODE) == SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_lesson_shows_its_concepts_code(script):
    code = code_only(source(script))
    # whole names: `basics.run_placeholder(` does not show `placeholder(` (`.fit(` is a method)
    missing = [name for name in CONCEPT_CODE[script]
               if not re.search(("" if name[0] == "." else r"(?<!\w)") + re.escape(name), code)]
    assert missing == [], f"{script} does not show {missing}"


@pytest.mark.parametrize("script", OWN_MODEL)
def test_lesson_builds_its_model_on_the_page(script):
    code = code_only(source(script))
    assert "build_model(" not in code and "tf1_compat.model" not in code


@pytest.mark.parametrize("script", DRAWN)
def test_lesson_draws_inline(script):
    code = code_only(source(script))
    assert "import matplotlib.pyplot as plt" in code and "plt.show()" in code


@pytest.mark.parametrize("script", SCRIPTS)
def test_lesson_ends_pointing_to_the_next(script):
    nexts = re.findall(r'print\("Next: (.*)', code_only(source(script)))
    assert len(nexts) == 1, script
    number = int(script[:2])
    if number < len(SCRIPTS):
        assert nexts[0].startswith(f"lesson {number + 1},"), nexts
        assert f"scripts/{SCRIPTS[number]}" in nexts[0], nexts


def test_quick_settings_by_environment(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # in a kernel: argv is the kernel's
    monkeypatch.delenv(QUICK_ENV, raising=False)
    assert not lesson_args("a lesson", ["-f", "/tmp/kernel-1.json"]).quick
    monkeypatch.setenv(QUICK_ENV, "1")
    assert lesson_args("a lesson", ["-f", "/tmp/kernel-1.json"]).quick


@pytest.mark.parametrize("script", SCRIPTS)
def test_lesson_is_a_notebook_of_prose_and_code(script):
    import jupytext

    notebook = jupytext.read(os.path.join(ROOT, "scripts", script))
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and notebook.cells[0].source.startswith(
        f"# Lesson {int(script[:2])}:"), "a notebook opens with the lesson's title"
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3, kinds
    # every lesson writes logs: its last cell opens TensorBoard in the notebook (a comment in
    # the .py, a magic in the notebook)
    assert notebook.cells[-1].source == "%load_ext tensorboard\n%tensorboard --logdir logs"
    assert "# %tensorboard --logdir logs" in source(script)


def test_lesson_args_ignore_a_kernels_arguments_only_in_a_kernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    with pytest.raises(SystemExit):  # on the command line a stray argument is a mistake
        lesson_args("a lesson", ["-f", "/tmp/kernel-1.json"])
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # what a Jupyter kernel has imported
    args = lesson_args("a lesson", ["-f", "/tmp/kernel-1.json", "--quick"])
    assert args.quick and args.logdir == "logs"


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A `python3` kernel that runs this interpreter, whatever else the machine has.

    `pip install ipykernel` puts a `python3` kernelspec in the environment (argv `python`, which
    jupyter_client replaces with `sys.executable`), but one in the user's folder comes first and
    may start another Python; `JUPYTER_PATH` comes before both.
    """
    import json

    from jupyter_client.kernelspec import KernelSpecManager

    folder = tmp_path_factory.mktemp("jupyter")
    (folder / "kernels" / "python3").mkdir(parents=True)
    (folder / "kernels" / "python3" / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tfmodels tests)", "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))
        assert KernelSpecManager().get_kernel_spec("python3").argv[0] == sys.executable
        yield "python3"


def run_notebook(script, kernel_name, logdir):
    """The lesson as a notebook, run by nbclient in quick mode (`QUICK_ENV`), logging to
    `logdir`; its TensorBoard magics left out (the test needs no server)."""
    import jupytext
    import nbclient
    import nbformat

    notebook = jupytext.read(os.path.join(ROOT, "scripts", script))
    magics = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("%")]
    assert magics, "the TensorBoard magics are in the notebook"
    notebook.cells = [c for c in notebook.cells if c not in magics]
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        f"import os, sys\nos.environ[{QUICK_ENV!r}] = '1'\nsys.argv += ['--logdir', {logdir!r}]"))
    nbclient.NotebookClient(notebook, timeout=300, kernel_name=kernel_name,
                            resources={"metadata": {"path": ROOT}}).execute()
    return notebook


def outputs(notebook):
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def printed(notebook):
    return "".join(out.get("text", "") for out in outputs(notebook)
                   if out.output_type == "stream" and out.name == "stdout")


def pictures(notebook):
    return [out for out in outputs(notebook) if "image/png" in out.get("data", {})]


# a kernel and TensorFlow's import: 10-60 s each on 2 shared cores; lesson 1 stays quick
@pytest.mark.parametrize("script", [s if s.startswith("01") else
                                    pytest.param(s, marks=pytest.mark.slow) for s in SCRIPTS])
def test_lesson_runs_as_a_notebook(script, kernel_name, tmp_path):
    logdir = str(tmp_path / "logs")
    notebook = run_notebook(script, kernel_name, logdir)  # raises on a cell's error
    text = printed(notebook)
    assert "Next: " in text
    if script in DRAWN:
        assert pictures(notebook), f"{script} draws nothing inline"
    assert glob.glob(os.path.join(logdir, f"{script[:-3]}*", "**", "events.out.*"),
                     recursive=True)
    if script == "10_tf1_session_basics.py":
        check_10(text, logdir)  # the numbers the script prints, from the notebook's cells
