"""The suite stays safe under pytest-xdist's workers (tests/conftest.py says how it runs).

Two workers run two test modules at once. A test that chooses a free port of 127.0.0.1 and has
another process bind it later (a TensorBoard server, the launcher's cluster, a Jupyter kernel)
must be in the xdist group "ports", so that no other worker's processes take that port in
between: every module that does so is found here by what it calls, and must carry the mark (on
the module, or on each function that chooses a port). The groups conftest.py hands out first must
still exist, and each test lands in the group conftest.py says.
"""

import ast
import glob
import os
from types import SimpleNamespace

import pytest

from tests.conftest import FIRST, group_of

TESTS = os.path.dirname(os.path.abspath(__file__))
# what chooses a port for another process: the helper, the launcher, a notebook's kernel, a bind
CHOOSES_A_PORT = ("free_port(", "launch_local_cluster", "nbclient", 'bind(("127.0.0.1", 0))')
PORTS_MARK = 'xdist_group("ports")'


def unmarked_port_choosers(source: str) -> list[str]:
    """The top-level functions of a test module's `source` that choose a port without the
    "ports" mark (on the module's `pytestmark` or on the function); "<module>" for module-level
    code that does."""
    tree = ast.parse(source)
    segment = lambda node: ast.get_source_segment(source, node)  # noqa: E731
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark"
                                                for t in node.targets):
            if PORTS_MARK in segment(node.value):
                return []
    found = []
    for node in tree.body:
        text = segment(node)
        if not any(marker in text for marker in CHOOSES_A_PORT):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not any(PORTS_MARK in segment(d) for d in node.decorator_list):
                found.append(node.name)
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append("<module>")
    return found


def test_every_test_that_chooses_a_port_is_in_the_ports_group():
    choosers, unmarked = [], {}
    for path in sorted(glob.glob(os.path.join(TESTS, "test_*.py"))):
        if os.path.basename(path) == os.path.basename(__file__):
            continue
        source = open(path, encoding="utf-8").read()
        if any(marker in source for marker in CHOOSES_A_PORT):
            choosers.append(os.path.basename(path))
            if found := unmarked_port_choosers(source):
                unmarked[os.path.basename(path)] = found
    assert {"test_browser.py", "test_multiworker.py", "test_lesson_notebooks.py"} <= set(
        choosers), "the search found too little: it is broken"
    assert unmarked == {}


def test_the_check_finds_a_port_chosen_without_the_mark():
    planted = ("import pytest\nfrom tests.helpers import free_port\n\n\n"
               "def test_a():\n    port = free_port()\n\n\n"
               '@pytest.mark.xdist_group("ports")\ndef test_b():\n    port = free_port()\n\n\n'
               "def test_c():\n    pass\n")
    assert unmarked_port_choosers(planted) == ["test_a"]
    marked = planted.replace("\n\n\ndef test_a", '\npytestmark = pytest.mark.xdist_group("ports")'
                                                 "\n\n\ndef test_a")
    assert unmarked_port_choosers(marked) == []
    assert unmarked_port_choosers("import socket\ns = socket.socket()\n"
                                  's.bind(("127.0.0.1", 0))\n') == ["<module>"]


def test_the_groups_handed_out_first_exist():
    named = {"ports", "compared"}
    assert [name for name in FIRST
            if name not in named and not os.path.isfile(os.path.join(TESTS, name))] == []
    assert len(set(FIRST)) == len(FIRST)


def _item(name, fixtures=(), marks=()):
    return SimpleNamespace(path=SimpleNamespace(name=name), fixturenames=list(fixtures),
                           iter_markers=lambda kind: iter(marks if kind == "xdist_group" else []))


def test_each_test_lands_in_its_group():
    assert group_of(_item("test_spec.py", ["tmp_path"])) == "test_spec.py"
    assert group_of(_item("test_graph.py", ["compared", "tmp_path"])) == "compared"
    ports = pytest.mark.xdist_group("ports").mark
    assert group_of(_item("test_browser.py", ["board"], [ports])) == "ports"
    assert group_of(_item("test_x.py", ["compared"], [ports])) == "ports"  # its own mark first


def test_under_xdist_this_test_runs_in_its_group(request):
    """xdist's loadgroup takes effect: this test's id carries its group (`@test_parallel.py`),
    which xdist's scheduler reads. With pytest 9.2 and pytest-xdist 3.8 it silently does not
    (the reason for the dev extra's `pytest<9.2`)."""
    if not request.config.getoption("loadgroup", False):
        pytest.skip("not in an xdist worker under --dist loadgroup (-n 0)")
    assert request.node.nodeid.endswith("::test_under_xdist_this_test_runs_in_its_group"
                                        "@test_parallel.py"), request.node.nodeid
