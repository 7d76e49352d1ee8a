"""The three rooms stay apart: the core imports no track, no track imports the other, no cycles.

Every import counts, at the top of a module or inside a function: an import moved into a
function to dodge a cycle is still a cycle here. The checker is tested on a small planted tree
first, so that a checker that finds nothing cannot pass for a clean layout.
"""

import ast
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("tfmodels", "tf1_compat")


def modules(root: str) -> dict:
    """`{dotted module name: path}` of every .py file under the project packages of `root`."""
    found = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(root, package)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    parts = os.path.relpath(path, root)[:-3].split(os.sep)
                    if parts[-1] == "__init__":
                        parts = parts[:-1]
                    found[".".join(parts)] = path
    return found


def imports(path: str, name: str, known: set) -> set:
    """The project modules that the module `name` at `path` imports, anywhere in its body."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..core import y
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from a.b import c` imports the module a.b.c if there is one, else a.b
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for target in names:
            while target and target not in known:  # `import a.b.c` of a module a.b.c
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def room(name: str) -> str:
    if name.startswith("tfmodels.core"):
        return "core"
    if name.startswith("tfmodels.keras_track"):
        return "keras track"
    if name == "tf1_compat" or name.startswith("tf1_compat."):
        return "tf1 track"
    return "tools"


# Which rooms each room may import.
ALLOWED = {"core": {"core"}, "keras track": {"core", "keras track"},
           "tf1 track": {"core", "tf1 track"},
           "tools": {"core", "keras track", "tf1 track", "tools"}}


def violations(root: str) -> list[str]:
    """Every import against `ALLOWED`, and every import cycle, as lines."""
    found = modules(root)
    graph = {name: imports(path, name, set(found)) for name, path in found.items()}
    lines = [f"{a} ({room(a)}) imports {b} ({room(b)})"
             for a, targets in sorted(graph.items()) for b in sorted(targets)
             if room(b) not in ALLOWED[room(a)]]
    # cycles: depth-first search, reporting each cycle once by its smallest rotation
    seen_cycles, state = set(), {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt):]
                i = cycle.index(min(cycle))
                seen_cycles.add(tuple(cycle[i:] + cycle[:i]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    lines += ["import cycle: " + " -> ".join(c + c[:1]) for c in sorted(seen_cycles)]
    return lines


def _write(root, files: dict) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_planted_cross_imports_and_cycles(tmp_path):
    _write(tmp_path, {
        "tfmodels/__init__.py": "",
        "tfmodels/core/__init__.py": "",
        "tfmodels/core/spec.py": "def f():\n    from tfmodels.keras_track import model\n",
        "tfmodels/keras_track/__init__.py": "",
        "tfmodels/keras_track/model.py": "import tf1_compat.layers\n",
        "tf1_compat/__init__.py": "",
        "tf1_compat/layers.py": "from tfmodels.core.spec import f\n",
        "tf1_compat/a.py": "from tf1_compat import b\n",
        "tf1_compat/b.py": "def g():\n    from . import a\n",  # a cycle dodged in a function
    })
    assert violations(str(tmp_path)) == [
        "tfmodels.core.spec (core) imports tfmodels.keras_track.model (keras track)",
        "tfmodels.keras_track.model (keras track) imports tf1_compat.layers (tf1 track)",
        "import cycle: tf1_compat.a -> tf1_compat.b -> tf1_compat.a",
        "import cycle: tf1_compat.layers -> tfmodels.core.spec -> tfmodels.keras_track.model "
        "-> tf1_compat.layers",
    ]


def test_the_project_keeps_its_rooms_apart_without_cycles():
    assert violations(ROOT) == []


def test_every_room_has_modules():
    rooms = {room(name) for name in modules(ROOT)}
    assert rooms == {"core", "keras track", "tf1 track", "tools"}


def test_every_module_opens_with_a_docstring():
    missing = [name for name, path in modules(ROOT).items()
               if not ast.get_docstring(ast.parse(open(path, encoding="utf-8").read()))]
    assert missing == []


# The migration kit, moving into its own package (tfmodels.migration): checked there after.
KIT = ("tfmodels.migrate", "tfmodels.convert", "tfmodels.testing", "tfmodels.tf1_style",
       "tfmodels.tf1_keras", "tfmodels.migration")


def public_names(tree: ast.Module) -> tuple[list | None, set]:
    """(the literal `__all__` of a module, or None; its public top-level defs and classes)."""
    listed, defined = None, set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__"
                                                for t in node.targets):
            try:
                listed = ast.literal_eval(node.value)
            except ValueError:  # built (tfmodels/__init__.py's lazy names): trusted as it is
                return [], set()
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            defined.add(node.name)
    return listed, defined


def test_every_module_lists_its_public_names():
    """`__all__` in each module: every public function and class in it, no name twice."""
    wrong = {}
    for name, path in modules(ROOT).items():
        if name.startswith(KIT):
            continue
        listed, defined = public_names(ast.parse(open(path, encoding="utf-8").read()))
        if listed is None:
            wrong[name] = "no __all__"
        elif defined - set(listed) or len(set(listed)) != len(listed):
            wrong[name] = sorted(defined - set(listed)) or "a name twice"
    assert wrong == {}


def test_no_private_name_crosses_a_module_boundary():
    """`from tfmodels.core.layers import _Layer` would make a private name another module's
    API: a name used outside its module is public."""
    crossing = []
    for name, path in modules(ROOT).items():
        if name.startswith(KIT):
            continue
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGES):
                crossing += [f"{name}: {node.module}.{a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
    assert crossing == []


@pytest.mark.slow
def test_a_wheel_holds_every_subpackage(tmp_path):
    """A non-editable install gets every module: the wheel is built (from a copy, so that no
    build/ folder is left in the tree) and its files listed."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "logs", "__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=300)
    wheel = next(p for p in os.listdir(tmp_path) if p.endswith(".whl"))
    names = set(zipfile.ZipFile(tmp_path / wheel).namelist())
    expected = {os.path.relpath(path, ROOT).replace(os.sep, "/")
                for path in modules(ROOT).values()}
    assert expected - names == set()
