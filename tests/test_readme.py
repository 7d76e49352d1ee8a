"""The README stays true: its Python blocks run as written, the files and commands it names
exist."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blocks(path: str, language: str) -> list[str]:
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def test_readme_has_a_python_block():
    assert blocks("README.md", "python")


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(blocks("README.md", "python"))))
def test_readme_python_block_runs_verbatim(index, tmp_path):
    code = blocks("README.md", "python")[index]
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-3000:]


def test_every_file_the_readme_names_exists():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    named = set(re.findall(r"`((?:tfmodels|tf1_compat|tests|scripts|docs|benchmarks)/[\w/.]+"
                           r"\.(?:py|md))`", text))
    named |= set(re.findall(r"python ((?:scripts|benchmarks)/\w+\.py)", text))
    assert named, "the pattern found no file names: it is broken"
    missing = sorted(p for p in named if not os.path.exists(os.path.join(ROOT, p)))
    assert missing == []


def test_every_command_the_readme_names_exists():
    from tfmodels.cli import build_parser

    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    named = set(re.findall(r"^tfmodels (\w+)", "\n".join(blocks("README.md", "bash")), re.M))
    assert named and named - set(choices) == set()
