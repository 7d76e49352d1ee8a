import os
import subprocess

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # In an xdist worker (one per core), TensorFlow runs each op on one thread unless told
    # otherwise (its default: a thread per core in every worker, and in every process a test
    # starts). Measured on 2 busy cores, 6 December 2026, tests/test_graph.py and
    # tests/test_multi_input.py under -n 2: 172 s by default, 132 s with 1, the same CPU time.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# pytest-xdist (the `dev` extra) runs the suite in one worker process per CPU (`-n auto` in
# pyproject.toml's addopts; `-n 0` runs it in this process). `--dist loadgroup` hands a worker
# one group of tests at a time; a group is a whole test module (its module-scoped fixtures are
# computed once), unless tests name another with `@pytest.mark.xdist_group(NAME)`:
# - "ports": every test that picks a free TCP port of 127.0.0.1 and binds it later in another
#   process (TensorBoard servers, the launcher's TF clusters, Jupyter kernels): one at a time, so
#   that the other worker's processes cannot take a port between its choice and its use;
# - "compared": every test that uses the session fixture `compared` below (given automatically):
#   one worker trains each registered model once for all of them.
MAX_WORKERS = 4  # the suite runs 2-3 processes at once in places; more workers only queue
# The groups that take longest (seconds on 2 cores, serially: a clean clone's `--durations` of
# 6 December 2026), handed out first so that no worker is left with a long one at the end; the
# others follow in the order of collection.
FIRST = ("test_readme.py",  # the README's blocks in order from a fresh copy: ~300 s
         "ports",  # the clusters, both TensorBoard servers, the notebooks: ~350 s
         "test_checkpoint.py",  # training processes killed and resumed: ~180 s
         "test_tf1_corpus.py",  # 17 programs in the legacy process and under `tfmodels run`
         "compared",  # every registered model trained by both tracks: ~150 s
         "test_scripts.py", "test_graph.py", "test_multi_input.py", "test_distribute.py",
         "test_rnn_oracle.py", "test_bench.py", "test_training_state.py", "test_training.py",
         "test_layer_kinds.py", "test_kit_scale.py", "test_layers_all_oracle.py",
         "test_contrib_oracle.py", "test_keras2.py", "test_keras_hub.py", "test_runner.py",
         "test_checkpoint_safety.py", "test_matching.py", "test_cli.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker per CPU this process may run on, at most MAX_WORKERS (xdist's own
    count is of physical cores where psutil is installed: 1 on a VM of 2 vCPUs, 1 thread each).
    `PYTEST_XDIST_AUTO_NUM_WORKERS=N` overrides it, as it does xdist's."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").isdigit():
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS))


def group_of(item) -> str:
    """The xdist group of a test: its own `xdist_group` mark's, "compared" for a user of the
    `compared` fixture, else its module's file name."""
    for mark in item.iter_markers("xdist_group"):
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    return "compared" if "compared" in item.fixturenames else item.path.name


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the marks
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup`: every test in its group (`group_of`), the groups of FIRST
    first. Every worker collects alike, so all reorder alike. (xdist's workers see `dist` as
    "no" and `loadgroup` as True; only they collect.)"""
    if not config.getoption("loadgroup", False):
        return
    rank = {name: i for i, name in enumerate(FIRST)}
    grouped = [(item, group_of(item)) for item in items]
    for item, group in grouped:
        if not any(item.iter_markers("xdist_group")):
            item.add_marker(pytest.mark.xdist_group(group))
    grouped.sort(key=lambda pair: rank.get(pair[1], len(FIRST)))  # stable: modules together
    items[:] = [item for item, _ in grouped]


def in_worker(config) -> bool:
    """True in an xdist worker (the controller, or a run without xdist, is False)."""
    return hasattr(config, "workerinput")


def _untracked() -> set | None:
    """The checkout's untracked files that `.gitignore` does not cover (None outside git)."""
    try:
        done = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return set(done.stdout.splitlines()) if done.returncode == 0 else None


def pytest_sessionstart(session):
    if not in_worker(session.config):
        session.config.untracked_before = _untracked()


def pytest_sessionfinish(session, exitstatus):
    """Nothing a test runs lands in the checkout (a `None.index` once did: a fake Saver took
    the session argument for the path): new untracked files fail the run, named.

    Under xdist the controller compares, before its first worker starts and after its last
    ends: a worker would see the other's files while its tests still run."""
    if in_worker(session.config):
        return
    before, after = session.config.untracked_before, _untracked()
    if before is None or after is None:
        return
    new = sorted(after - before)
    if new:
        print(f"\ntests wrote into the checkout: {', '.join(new[:20])}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def compared(tmp_path_factory):
    """`compare` of every registered model at its defaults, once per test session.

    Returns a function name -> (ParityReport, run_dir); the parity, TensorBoard and CLI tests
    all read the same runs instead of training again.
    """
    from tfmodels.core.data import load_dataset
    from tfmodels.core.logs import new_run_dir
    from tfmodels.core.registry import get_spec
    from tfmodels.parity import compare

    logdir = tmp_path_factory.mktemp("logs")
    cache = {}

    def get(name):
        if name not in cache:
            spec = get_spec(name)
            run_dir = new_run_dir(str(logdir), name)
            cache[name] = compare(spec, load_dataset(spec.dataset, spec.seed), run_dir), run_dir
        return cache[name]

    return get
