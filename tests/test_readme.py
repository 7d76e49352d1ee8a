"""The README stays true: its bash and Python blocks run as written, in order, from a fresh copy
of the repository; the files and commands it names exist; the outputs it shows are printed.

Which blocks run: every ```bash and ```python block, unless the line just before its fence is
an HTML comment `<!-- not run by tests/test_readme.py: REASON -->` (the reason is for the reader
of the README's source as much as for this test; a block may be left out only with one). Blocks of
other languages (```json, ```text, a bare fence: files and outputs shown) are not commands.

How they run (`readme_run`, once for the module): the files `git ls-files` lists are copied into a
temporary folder, which is made a git repository of one commit, as a clean clone would be; each
block then runs there in README order, in the copy's root, bash blocks with `bash -e -c` and
Python blocks with `python -c`, `PYTHONPATH` at the copy (so the copy's code runs) and `PATH`
starting at this Python's folder (so `tfmodels` is its entry point). A block that needs a file
finds it only if an earlier block made it. Afterwards `git status --short` must be empty: all a
block writes lands where `.gitignore` says (`logs/`, `runs/`, `ckpt/`). Measured: the 14 blocks
in 7 min 30 s and, with other test runs beside them, 13 min 25 s (2026-12-06, a 2-core x86
CPU); the lessons, the local clusters and `tfmodels bench` are marked not run as they would add
many minutes and tests/test_scripts.py, tests/test_multiworker.py and tests/test_bench.py
already run them.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOT_RUN = "<!-- not run by tests/test_readme.py: "


def readme() -> str:
    return open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def fenced(text: str) -> list[tuple[str, str, str]]:
    """(language, code, the line before the fence) of every fenced block, in order."""
    found, position = [], 0
    while (match := re.compile(r"^```([\w-]*)\n(.*?)^```$", re.S | re.M).search(text, position)):
        start = match.start()
        line_before = text[text.rfind("\n", 0, start - 1) + 1:start - 1] if start else ""
        found.append((match.group(1), match.group(2), line_before))
        position = match.end()
    return found


def blocks(path: str, language: str) -> list[str]:
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return [code for lang, code, _ in fenced(text) if lang == language]


def runnable(text: str) -> list[tuple[str, str]]:
    """The (language, code) of the bash and Python blocks not marked as not run, in order."""
    return [(lang, code) for lang, code, before in fenced(text)
            if lang in ("bash", "python") and not before.startswith(NOT_RUN)]


def test_blocks_not_run_say_why_and_the_rest_run():
    marked = [(lang, before) for lang, _, before in fenced(readme()) if before.startswith(NOT_RUN)]
    assert marked and all(lang in ("bash", "python") for lang, _ in marked)
    assert all(before.endswith(" -->") and len(before) > len(NOT_RUN) + 15
               for _, before in marked), marked
    assert len(runnable(readme())) >= 10, "most blocks should run"
    # the convention is parsed as written: a marked block is left out, an unmarked one is not
    sample = f"a\n{NOT_RUN}why -->\n```bash\nfalse\n```\n\n```bash\ntrue\n```\n"
    assert runnable(sample) == [("bash", "true\n")]


def fresh_copy(folder) -> str:
    """The checkout's tracked files (as they are in the work tree) as a git repository of one
    commit, as a clean clone of this code would be."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    copy = os.path.join(folder, "repo")
    for path in filter(None, listed):
        source = os.path.join(ROOT, path)
        if os.path.isfile(source):  # a file deleted in the work tree is not in a clone of it
            os.makedirs(os.path.dirname(os.path.join(copy, path)), exist_ok=True)
            shutil.copy2(source, os.path.join(copy, path))
    git = ["git", "-c", "user.name=readme", "-c", "user.email=readme@test", "-c",
           "commit.gpgsign=false"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "a fresh copy"]):
        subprocess.run(git + command, cwd=copy, check=True, capture_output=True)
    return copy


def environment(copy: str) -> dict:
    return {**os.environ, "PYTHONPATH": copy,
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}


def run_in_order(copy: str, runs: list[tuple[str, str]]) -> list:
    """Run (language, code) blocks in `copy` in order, stopping at the first failure; returns
    [(language, code, CompletedProcess)]."""
    env, done = environment(copy), []
    for lang, code in runs:
        argv = ["bash", "-e", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        result = subprocess.run(argv, cwd=copy, capture_output=True, text=True, timeout=1200,
                                env=env)
        done.append((lang, code, result))
        if result.returncode:
            break
    return done


def status(copy: str) -> str:
    return subprocess.run(["git", "status", "--short", "--untracked-files=all"], cwd=copy,
                          capture_output=True, text=True, check=True).stdout


def test_the_fresh_copy_sees_what_a_block_leaves_outside_gitignore(tmp_path):
    """The machinery the slow tests rely on: a block that fails stops the run, a file written
    in the root shows in `git status`, one under runs/, logs/ or ckpt/ does not."""
    copy = fresh_copy(tmp_path)
    assert status(copy) == "" and os.path.isfile(os.path.join(copy, "README.md"))
    done = run_in_order(copy, [("bash", "mkdir -p runs/a logs ckpt scripts/logs\n"
                                        "touch runs/a/m.keras logs/x ckpt/y scripts/logs/z\n"),
                               ("python", "open('stray.keras', 'w').close()"),
                               ("bash", "false\n"), ("bash", "touch never\n")])
    assert [r.returncode for _, _, r in done] == [0, 0, 1]
    assert status(copy) == "?? stray.keras\n"


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every runnable block in README order in a fresh copy; stops at the first failure.
    Returns (the copy, [(language, code, CompletedProcess)])."""
    copy = fresh_copy(tmp_path_factory.mktemp("readme"))
    return copy, run_in_order(copy, runnable(readme()))


@pytest.mark.slow
def test_every_block_runs_in_order_from_a_fresh_copy(readme_run):
    _, done = readme_run
    lang, code, result = done[-1]
    assert result.returncode == 0, f"```{lang}\n{code}```\n{result.stdout[-2000:]}\n" \
                                   f"{result.stderr[-3000:]}"
    assert len(done) == len(runnable(readme()))


@pytest.mark.slow
def test_following_the_readme_writes_only_where_gitignore_says(readme_run):
    copy, _ = readme_run
    assert status(copy) == ""
    assert os.path.isdir(os.path.join(copy, "runs"))  # the blocks did write


def output_of(done, words: str) -> str:
    [result] = [r for _, code, r in done if words in code]
    return result.stdout


def section(title: str) -> str:
    text = readme()
    start = text.index(f"\n## {title}\n")
    return text[start:text.index("\n## ", start + 1)]


@pytest.mark.slow
def test_the_migration_sections_commands_say_what_the_readme_says(readme_run):
    """"Migrating your TF1 code": both `verify`s of the convnet, the two of several inputs
    and integer ids and the KerasHub BERT port's say Equivalent; the unmodified program
    trains; the wrong port's FAIL line is what `verify` prints (to the digits that do not
    depend on the CPU's kernels)."""
    copy, done = readme_run
    migration = "".join(output_of(done, words) for words in
                        ("examples/unseen/layers_convnet.py runs/", "verify_models.py:two_heads",
                         "verify_bert.py:bert_tf1"))
    assert migration.count("\nEquivalent.\n") == 5, migration  # and the KerasHub BERT port
    assert "final loss" in output_of(done, "tfmodels run examples/tf1_programs/mlp_layers.py")
    assert os.path.isfile(os.path.join(copy, "runs", "layers_convnet.keras"))

    wrong = subprocess.run(
        ["tfmodels", "verify", "--tf1", "examples/unseen/layers_convnet.py:build", "--keras",
         "examples/unseen/layers_convnet.py:keras_model_wrong_epsilon", "--input-shape", "12,12,1"],
        cwd=copy, capture_output=True, text=True, timeout=300, env=environment(copy))
    assert wrong.returncode == 1, wrong.stderr[-3000:]
    [printed] = [ln for ln in wrong.stdout.splitlines() if ln.startswith("FAIL")]
    [shown] = [ln for ln in section("Migrating your TF1 code").splitlines()
               if ln.startswith("FAIL")]
    assert shown.split(" (TF1")[0] == printed.split(" (TF1")[0]


def commands(code: str) -> set[str]:
    """A bash block's commands: continuation lines joined, comments and spacing taken out."""
    joined = re.sub(r"\\\n", " ", code)
    lines = (re.sub(r"(^|\s)#.*", "", line) for line in joined.splitlines())
    return {" ".join(line.split()) for line in lines if line.strip()}


def test_the_migration_guides_commands_are_ones_the_readme_runs():
    """docs/migration.md walks the README's convnet: its commands are the README's, which this
    module runs in order from a fresh copy and after which `git status` is empty. So the guide's
    commands run as written and write only where .gitignore says (runs/, logs/), not a
    `convnet/model.ckpt` in the user's folder."""
    readme_commands = set().union(*(commands(code) for lang, code in runnable(readme())
                                    if lang == "bash"))
    guide = set().union(*map(commands, blocks("docs/migration.md", "bash")))
    assert len(guide) >= 4, guide
    assert sorted(guide - readme_commands) == []


def test_the_unknown_model_error_is_what_the_readme_shows(tmp_path):
    """The command line's example of a mistake: exit 2 and the one line the README quotes,
    nothing printed before it."""
    shown = re.search(r"\(`(tfmodels: error: unknown\s+model 'resnet'; .*?)`\)", readme(), re.S)
    done = subprocess.run(["tfmodels", "compare", "resnet"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env=environment(ROOT))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == " ".join(shown.group(1).split()) + "\n"


def test_every_file_the_readme_names_exists():
    text = readme()
    named = set(re.findall(r"`((?:tfmodels|tf1_compat|tests|examples|scripts|docs|benchmarks)/"
                           r"[\w/.]+\.(?:py|md))`", text))
    named |= set(re.findall(r"python ((?:scripts|examples|benchmarks)/[\w/]+\.py)", text))
    assert named, "the pattern found no file names: it is broken"
    missing = sorted(p for p in named if not os.path.exists(os.path.join(ROOT, p)))
    assert missing == []


def test_every_command_the_readme_names_exists():
    from tfmodels.cli import build_parser

    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    named = set(re.findall(r"^tfmodels (\w+)", "\n".join(blocks("README.md", "bash")), re.M))
    assert named and named - set(choices) == set()


@pytest.mark.slow
def test_the_quick_starts_shown_output_is_what_compare_prints(readme_run):
    """Quick start's `tfmodels compare` output (run by the TensorBoard section's block): the
    table's header, the parity verdict and the closing line as shown (the numbers depend on
    the CPU's kernels in their last digits, so they are not compared)."""
    _, done = readme_run
    printed = output_of(done, "tfmodels compare  ").splitlines()
    shown = re.search(r"^```\n(epoch .*?)^```", section("Quick start"), re.S | re.M)
    lines = shown.group(1).splitlines()
    wanted = [lines[0]] + [ln for ln in lines if ln.startswith(("parity:", "Next:"))]
    assert len(wanted) == 3 and all(ln in printed for ln in wanted), (wanted, printed)
