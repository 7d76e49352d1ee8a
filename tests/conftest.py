import os
import subprocess

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _untracked() -> set | None:
    """The checkout's untracked files that `.gitignore` does not cover (None outside git)."""
    try:
        done = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return set(done.stdout.splitlines()) if done.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.untracked_before = _untracked()


def pytest_sessionfinish(session, exitstatus):
    """Nothing a test runs lands in the checkout (a `None.index` once did: a fake Saver took
    the session argument for the path): new untracked files fail the run, named."""
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
