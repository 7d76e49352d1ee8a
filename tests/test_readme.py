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
    named = set(re.findall(r"`((?:tfmodels|tf1_compat|tests|examples|scripts|docs|benchmarks)/"
                           r"[\w/.]+\.(?:py|md))`", text))
    named |= set(re.findall(r"python ((?:scripts|examples|benchmarks)/\w+\.py)", text))
    assert named, "the pattern found no file names: it is broken"
    missing = sorted(p for p in named if not os.path.exists(os.path.join(ROOT, p)))
    assert missing == []


def test_every_command_the_readme_names_exists():
    from tfmodels.cli import build_parser

    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    named = set(re.findall(r"^tfmodels (\w+)", "\n".join(blocks("README.md", "bash")), re.M))
    assert named and named - set(choices) == set()


def section(title: str) -> str:
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    start = text.index(f"\n## {title}\n")
    return text[start:text.index("\n## ", start + 1)]


@pytest.mark.slow
def test_the_migration_sections_commands_run_verbatim(tmp_path):
    """"Migrating your TF1 code": its commands, run as written from a folder holding the
    repository's examples/ (the programs they name), succeed; both `verify`s say Equivalent; the
    wrong port's FAIL line is what `verify` prints (its numbers to the digits that do not depend
    on the CPU's kernels)."""
    # every bash block of the section, in order, as one script
    commands = "\n".join(re.findall(r"^```bash\n(.*?)^```", section("Migrating your TF1 code"),
                                    flags=re.S | re.M))
    os.symlink(os.path.join(ROOT, "examples"), tmp_path / "examples")
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep
           + os.environ["PATH"]}
    done = subprocess.run(["bash", "-e", "-c", commands], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    # the convnet's two verifies, the several-inputs and integer-ids models, the KerasHub BERT
    assert done.stdout.count("\nEquivalent.\n") == 5, done.stdout
    assert "final loss" in done.stdout  # the unmodified TF 1.x program, through `tfmodels run`
    assert (tmp_path / "convnet.keras").is_file()

    wrong = subprocess.run(
        ["tfmodels", "verify", "--tf1", "examples/unseen/layers_convnet.py:build", "--keras",
         "examples/unseen/layers_convnet.py:keras_model_wrong_epsilon", "--input-shape", "12,12,1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert wrong.returncode == 1, wrong.stderr[-3000:]
    [printed] = [ln for ln in wrong.stdout.splitlines() if ln.startswith("FAIL")]
    [shown] = [ln for ln in section("Migrating your TF1 code").splitlines()
               if ln.startswith("FAIL")]
    assert shown.split(" (TF1")[0] == printed.split(" (TF1")[0]
