#!/bin/sh
# Mutation testing of the numerical modules, one module at a time (docs/testing.md).
#
#   tools/mutation.sh tfmodels/core/checks.py      # one module
#   tools/mutation.sh tf1_compat/layers/           # one package (every module in it)
#   tools/mutation.sh                              # every scoped module, in priority order
#   mutmut results; mutmut show ID                 # the survivors, and what each one changed
#
# mutmut 2.x (pinned in the `dev` extra; never 3.x, which forks a process that may already hold
# TensorFlow) writes each mutant into the source file and runs the test command below as a fresh
# subprocess: one new Python, one new TensorFlow, per mutant. Run it from the repository root with
# the project's environment active; results are kept in ./.mutmut-cache, so an interrupted run
# picks up where it stopped. Each module is tested by the tests that exercise it only, stopping at
# the first failure (-x), without the slow tests: a mutant is killed by its first failing test.
# While a run is going the module on disk holds a mutant: no `mutmut show`/`results`, no
# `git commit -a`, no second run from the same checkout.
set -eu
cd "$(dirname "$0")/.."

# pytest selections per module; a ";" separates stages run in order, each only if the one before
# passed (tests/test_reference.py: the NumPy-only tests first, so most mutants die before any
# test imports TensorFlow).
tests_for() {
    case "$1" in
        tfmodels/core/checks.py) echo "tests/test_checks.py" ;;
        tfmodels/core/spec.py)  # then ModelSpec.from_keras's own tests, which import Keras
            echo "tests/test_spec.py; tests/test_spec_files.py -m 'not slow and from_keras'" ;;
        tfmodels/core/data.py) echo "tests/test_data.py" ;;
        tfmodels/core/reference.py)
            echo "tests/test_reference.py -m 'not slow and not tensorflow';"\
                 "tests/test_reference.py -m 'not slow and tensorflow'" ;;
        tfmodels/keras_track/losses.py|tf1_compat/losses.py) echo "tests/test_losses.py" ;;
        tfmodels/keras_track/activations.py|tf1_compat/activations.py)
            echo "tests/test_activations.py" ;;
        tfmodels/keras_track/optimizers.py|tf1_compat/optimizers.py)
            echo "tests/test_optimizers.py" ;;
        tf1_compat/layers|tf1_compat/layers/|tf1_compat/layers/*.py)  # a package since h-layers
            echo "tests/test_layers.py" ;;
        tfmodels/parity.py) echo "tests/test_parity.py" ;;
        *) echo "tools/mutation.sh: no tests listed for $1" >&2; exit 2 ;;
    esac
}

MODULES="tfmodels/core/reference.py tfmodels/core/spec.py tfmodels/core/checks.py
tfmodels/core/data.py tfmodels/keras_track/losses.py tf1_compat/losses.py
tfmodels/keras_track/activations.py tf1_compat/activations.py
tfmodels/keras_track/optimizers.py tf1_compat/optimizers.py tf1_compat/layers/
tfmodels/parity.py"
[ $# -gt 0 ] && MODULES="$*"

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's sources, mutated
# -n 0: in one process (no xdist workers: a mutant's few tests would wait for their start-up)
PYTEST="python -m pytest -n 0 -x -q -p no:cacheprovider -m 'not slow'"
# MUTATION_PIDS=FILE: each test run writes its pid to FILE (tools/mutation_pids.py)
[ -n "${MUTATION_PIDS:-}" ] && PYTEST="$PYTEST -p tools.mutation_pids"
for module in $MODULES; do
    selections=$(tests_for "$module")
    runner=""
    old_ifs=$IFS; IFS=";"
    for selection in $selections; do
        runner="$runner${runner:+ && }$PYTEST $selection"
    done
    IFS=$old_ifs
    # `|| exit 1`: mutmut 2.x counts only exit status 1 as a kill, so a mutant that breaks the
    # import (pytest's status 2, a collection error) would otherwise be reported as surviving.
    echo "== $module: $runner"
    # mutmut 2.x caches the baseline's time per state of tests/, not per test command: left
    # from another module's faster tests, it would time out this module's mutants (at 10x).
    [ -f .mutmut-cache ] && python -c "import sqlite3; c = sqlite3.connect('.mutmut-cache'); \
c.execute(\"DELETE FROM MiscData WHERE key = 'baseline_time_elapsed'\"); c.commit()"
    start=$(date +%s)
    mutmut run --paths-to-mutate "$module" --tests-dir tests/ --no-progress \
        --runner "sh -c \"($runner) || exit 1\"" || true  # mutmut's status is a bit mask of outcomes
    echo "== $module: $(( $(date +%s) - start )) s"
done
mutmut results
