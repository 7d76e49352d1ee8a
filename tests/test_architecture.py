"""The four places stay apart: the core imports no track, kit or tool, no track imports the other,
the kit, or a tool, the kit imports no tool, and nothing imports in a cycle.

The rules are import-linter contracts in pyproject.toml (`[tool.importlinter]`: a layers
contract - tools above the migration kit above the two independent tracks above the core - and an
acyclic_siblings contract); `lint-imports` checks them here, on the project and on copies of it
with a planted cross-track import and a planted cycle, so that a checker that finds nothing
cannot pass for a clean layout. Every import counts, at the top of a module or inside a function.

The small AST checker below stays for what import-linter does not cover: (1) module-level cycles
between a package and its own modules (acyclic_siblings compares siblings only: `tfmodels.bench`
importing `tfmodels.bench.timing`, which imports `tfmodels.bench`, passes it) and (2) that every
module of tfmodels/ sits in a layer of the contract (a module left out would be unchecked).
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: import-linter's own dependency
    import tomli as tomllib

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


def cycles(root: str) -> list[str]:
    """Every import cycle between the modules of `root`'s packages, as lines."""
    found = modules(root)
    graph = {name: imports(path, name, set(found)) for name, path in found.items()}
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
    return ["import cycle: " + " -> ".join(c + c[:1]) for c in sorted(seen_cycles)]


def _write(root, files: dict) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_finds_planted_cycles(tmp_path):
    _write(tmp_path, {
        "tfmodels/__init__.py": "",
        "tfmodels/bench/__init__.py": "from tfmodels.bench.timing import run\n",
        "tfmodels/bench/timing.py": "def run():\n    from tfmodels.bench import FLOOR\n",
        "tf1_compat/__init__.py": "",
        "tf1_compat/a.py": "from tf1_compat import b\n",
        "tf1_compat/b.py": "def g():\n    from . import a\n",  # a cycle dodged in a function
    })
    assert cycles(str(tmp_path)) == [
        "import cycle: tf1_compat.a -> tf1_compat.b -> tf1_compat.a",
        "import cycle: tfmodels.bench -> tfmodels.bench.timing -> tfmodels.bench",
    ]


def test_the_project_has_no_import_cycle():
    assert cycles(ROOT) == []


def lint_imports(root) -> subprocess.CompletedProcess:
    """`lint-imports` on the packages and pyproject.toml under `root` (no cache written)."""
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which(
        "lint-imports")
    assert exe, "lint-imports is missing: pip install -e '.[dev]'"
    return subprocess.run([exe, "--no-cache", "--config", os.path.join(root, "pyproject.toml")],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_lint_imports_keeps_every_contract():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"Contracts: 2 kept, 0 broken", done.stdout), done.stdout


def _copy_with(tmp_path, module: str, planted: str):
    """The packages and pyproject.toml copied to `tmp_path`, `planted` appended to `module`."""
    for part in (*PACKAGES, "pyproject.toml"):
        copy = shutil.copytree if os.path.isdir(os.path.join(ROOT, part)) else shutil.copy
        kwargs = {"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree \
            else {}
        copy(os.path.join(ROOT, part), tmp_path / part, **kwargs)
    with open(tmp_path / module, "a", encoding="utf-8") as f:
        f.write(planted)
    return tmp_path


def test_lint_imports_finds_a_planted_cross_track_import(tmp_path):
    root = _copy_with(tmp_path, "tfmodels/keras_track/losses.py",
                      "\n\ndef _planted():\n    import tf1_compat.layers\n")
    done = lint_imports(root)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "tfmodels.keras_track is not allowed to import tf1_compat" in done.stdout
    assert "tfmodels.keras_track.losses -> tf1_compat.layers" in done.stdout


def test_lint_imports_finds_a_planted_cycle(tmp_path):
    # tf1_compat.model imports tf1_compat.losses; now losses imports model too
    root = _copy_with(tmp_path, "tf1_compat/losses.py",
                      "\n\ndef _planted():\n    from tf1_compat import model\n")
    done = lint_imports(root)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "No cycles are allowed in tf1_compat" in done.stdout
    # it names one import of the cycle: the one whose removal breaks it
    assert re.search(r"\.model -> \.losses|\.losses -> \.model", done.stdout), done.stdout


def contract_layers() -> list[set]:
    """The module names of each layer of pyproject.toml's layers contract, top first."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        contracts = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    return [{name.strip().strip("()") for name in re.split(r"[:|]", layer)} for layer in layers]


def test_every_module_sits_in_a_layer_of_the_contract():
    """Each module of tfmodels/ and tf1_compat/ belongs to a layer (the root package `tfmodels`,
    which only re-exports lazily, aside), so that import-linter checks every one."""
    listed = set().union(*contract_layers())
    unplaced = [name for name in modules(ROOT) if name != "tfmodels" and not any(
        name == layer or name.startswith(layer + ".") for layer in listed)]
    assert unplaced == []
    assert {"tfmodels.core", "tfmodels.keras_track", "tf1_compat", "tfmodels.cli"} <= listed


def test_every_module_opens_with_a_docstring():
    missing = [name for name, path in modules(ROOT).items()
               if not ast.get_docstring(ast.parse(open(path, encoding="utf-8").read()))]
    assert missing == []


KIT = ()  # (the migration kit, while it moved: none left out now)


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
    build/ folder is left in the tree) and its files listed. Neither outputs (logs/, runs/,
    ckpt/) nor tools' caches are copied: under xdist another worker may be writing them
    (hypothesis's .hypothesis/, ruff's .ruff_cache/), and a file renamed away in mid-copy fails
    `copytree`."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "logs", "runs", "ckpt", "__pycache__", "*.egg-info",
        ".*_cache", ".hypothesis", ".mutmut-cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=300)
    wheel = next(p for p in os.listdir(tmp_path) if p.endswith(".whl"))
    names = set(zipfile.ZipFile(tmp_path / wheel).namelist())
    expected = {os.path.relpath(path, ROOT).replace(os.sep, "/")
                for path in modules(ROOT).values()}
    assert expected - names == set()
