"""`benchmarks/kit_scale.py`, the migration kit at scale, in a tiny configuration so that it
cannot rot; its measuring and its results file checked on their own."""

import importlib.util
import json
import os
import sys

import pytest

from tests.helpers import ROOT


def _script():
    spec = importlib.util.spec_from_file_location(
        "kit_scale", os.path.join(ROOT, "benchmarks", "kit_scale.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


kit_scale = _script()
TINY = ["--layers", "2", "--hidden", "32", "--heads", "4", "--intermediate", "64", "--vocab",
        "50", "--positions", "16"]


def test_a_step_is_measured_in_its_own_process():
    """300 MB held by the child: its own peak, not this process's (which holds no such block)."""
    got = kit_scale._measured([sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = "
                               "b'x' * len(b[::4096]); print('{\"held\": 300}')"], "alloc")
    assert got["step"] == "alloc" and got["held"] == 300 and got["seconds"] > 0
    assert 300 < got["peak_rss_mb"] < 300 + 200, got


def test_a_failing_step_says_which_and_why():
    with pytest.raises(SystemExit, match=r"alloc failed \(exit 3\):\n.*boom"):
        kit_scale._measured([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); "
                             "sys.exit(3)"], "alloc")


def test_a_second_run_the_same_day_keeps_the_first_ones_results(tmp_path):
    facts = {"host": "h", "date": "2026-12-06"}
    paths = [kit_scale._write_results(facts, [{"run": n}], str(tmp_path)) for n in (1, 2)]
    assert [os.path.basename(p) for p in paths] == ["results-kit-h-2026-12-06.json",
                                                    "results-kit-h-2026-12-06-2.json"]
    assert [json.load(open(p))["records"] for p in paths] == [[{"run": 1}], [{"run": 2}]]


def test_sizes_that_make_no_model_are_refused(capsys):
    with pytest.raises(SystemExit):
        kit_scale.main([*TINY, "--heads", "5"])
    assert "--hidden 32 must be a multiple of --heads 5" in capsys.readouterr().err


@pytest.mark.slow  # four processes, each starting TensorFlow and KerasHub: ~a minute on 2 cores
def test_the_script_writes_converts_checks_and_records(tmp_path, capsys):
    assert kit_scale.main([*TINY, "--workdir", str(tmp_path / "work"),
                           "--out-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    (name,) = os.listdir(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / name).read_text())
    facts, records = saved["facts"], saved["records"]
    assert [r["step"] for r in records] == ["write", "floor", "convert", "check"]
    assert all(r["seconds"] > 0 and r["peak_rss_mb"] > 100 for r in records)
    # BertBackbone's own count: 2 layers of 32 wide, 50 tokens, 16 positions, 2 segments
    layer = 4 * (32 * 32 + 32) + 2 * 2 * 32 + (32 * 64 + 64) + (64 * 32 + 32)
    assert facts["params"] == (50 + 16 + 2) * 32 + 2 * 32 + 2 * layer + 32 * 32 + 32
    assert records[3]["max_abs_diff"] < 1e-5  # the converted model computes the program's
    assert os.path.getsize(tmp_path / "work" / "model.keras") > 4 * facts["params"]
    assert "convert" in out and f"written: {tmp_path / 'out' / name}" in out
