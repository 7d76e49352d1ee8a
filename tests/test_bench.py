"""The benchmark, in a tiny configuration, so that it cannot rot."""

import json
import os

import pytest

from tfmodels.bench import FLOPS_PER_SAMPLE, VARIANTS, table
from tfmodels.cli import main


def test_bench_prints_the_table_and_writes_the_records(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    variants = [v for v in VARIANTS if v != "torch"]
    assert main(["bench", "--samples", "256", "--epochs", "1", "--batch-sizes", "64,32",
                 "--variants", ",".join(variants), "--out", "results", "--record"]) == 0
    out = capsys.readouterr().out
    assert "| variant | batch | samples/s | × default Keras fit |" in out
    (name,) = os.listdir("results")
    assert name.startswith("results-") and name.endswith(".json")
    records = json.loads((tmp_path / "results" / name).read_text())
    assert {r["variant"] for r in records} == set(variants) | {"floor"}
    assert {r["batch"] for r in records if r["variant"] != "floor"} == {64, 32}
    for r in records:
        assert set(r) == {"variant", "batch", "samples_per_s", "peak_rss_mb"}
        assert r["samples_per_s"] > 0
    floor = next(r for r in records if r["variant"] == "floor")["samples_per_s"]
    # a 2-core CPU does tens of GFLOP/s at least: the floor is thousands of samples a second
    assert floor > 1e9 / FLOPS_PER_SAMPLE
    docs = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert "| keras_track | 64 |" in docs and "arithmetic floor" in docs


def test_ratios_are_against_default_keras_at_the_same_batch():
    records = [{"variant": "floor", "batch": None, "samples_per_s": 1000.0, "peak_rss_mb": None},
               {"variant": "keras_default", "batch": 32, "samples_per_s": 100.0,
                "peak_rss_mb": 1.0},
               {"variant": "tf1_feed", "batch": 32, "samples_per_s": 250.0, "peak_rss_mb": 1.0}]
    row = next(line for line in table(records).splitlines() if "tf1_feed" in line)
    assert "| 2.50 |" in row and "| 0.25 |" in row


@pytest.mark.parametrize("argv, message", [
    (["--batch-sizes", "a,b"], "--batch-sizes 'a,b': expected integers"),
    (["--batch-sizes", "128"], "--samples 64: expected at least the largest batch size (128)"),
    (["--variants", "jax"], "unknown variant(s) ['jax']"),
    (["--device", "gpu"], "--device gpu: TensorFlow sees no GPU"),
])
def test_bench_refuses_bad_options(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--samples", "64", "--epochs", "1", "--batch-sizes", "32", *argv]) == 2
    assert message in capsys.readouterr().err
