"""The code style the project keeps (ruff, configured in pyproject.toml)."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    assert ruff, "ruff is part of the dev extra: pip install -e '.[dev]'"
    done = subprocess.run([ruff, "check", ROOT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
