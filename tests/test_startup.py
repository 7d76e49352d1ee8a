"""TensorFlow's start-up lines: shown as TF_CPP_MIN_LOG_LEVEL asks, each once; and the commands
that need no TensorFlow (`tfmodels list`, reading a spec) do not start it."""

import os
import re
import subprocess
import sys

import pytest

from tfmodels.core.startup import keep_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INFO = b"I0000 00:00:1796541869.414917   18746 port.cc:153] oneDNN custom operations are on.\n"
INFO_LATER = (b"I0000 00:00:1796541874.201337   18746 port.cc:153] oneDNN custom operations are "
              b"on.\n")
ERROR = b"E0000 00:00:1796541851.385530   18163 cuda_platform.cc:52] failed call to cuInit\n"
NOTICE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"


@pytest.mark.parametrize("level, shown", [(0, [INFO, ERROR, NOTICE]), (1, [ERROR]),
                                          (2, [ERROR]), (3, [])])
def test_each_line_at_or_above_the_level_once(level, shown):
    seen = set()
    lines = [NOTICE, INFO, ERROR, NOTICE, INFO_LATER, ERROR]  # as TensorFlow prints them: twice
    kept = [line for line in lines if keep_line(line, level, seen)]
    assert sorted(kept) == sorted(shown)


def test_other_lines_pass_as_they_are():
    seen = set()
    line = b"Traceback (most recent call last):\n"
    assert keep_line(line, 3, seen) and keep_line(line, 3, seen)


def start(level: str) -> str:
    code = "from tfmodels.core.startup import import_tensorflow; import_tensorflow()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": level},
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_tensorflow_starts_silently_at_the_projects_level():
    assert not re.search(r"^[IW]\d{4} ", start("2"), re.M)


def test_tensorflow_says_each_start_up_line_once_at_level_0():
    said = [re.sub(r"^(\w)\d{4} [\d:.]+\s+\d+ ", r"\1 ", line)
            for line in start("0").splitlines() if line.strip()]
    assert any("oneDNN" in line for line in said), said  # TensorFlow 2.21 says it (twice)
    assert len(said) == len(set(said)), said


@pytest.mark.parametrize("module", ["tfmodels.cli", "tfmodels.core.registry",
                                    "tfmodels.core.spec"])
def test_modules_that_need_no_tensorflow_do_not_start_it(module):
    code = f"import sys, {module}; print(sorted({{'tensorflow', 'keras'}} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr[-2000:]
