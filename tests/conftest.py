import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


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
