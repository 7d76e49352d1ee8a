"""The benchmark, in a tiny configuration, so that it cannot rot."""

import json
import os
import statistics

import pytest

from tfmodels import bench
from tfmodels.bench import FLOOR, FLOPS_PER_SAMPLE, bench_table, timing
from tfmodels.cli import main

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.mark.slow  # eight processes, each starting TensorFlow: a minute or more on 2 cores
def test_bench_prints_the_table_and_writes_the_records(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    variants = ["keras_default", "keras_track", "tf1_data"]
    assert main(["bench", "--samples", "256", "--epochs", "2", "--batch-sizes", "64,32",
                 "--variants", ",".join(variants), "--out", "results", "--record"]) == 0
    out = capsys.readouterr().out
    assert "| variant | batch | samples/s | × default Keras fit | × TF1 track (tf.data) |" in out
    (name,) = os.listdir("results")
    assert name.startswith("results-") and name.endswith(".json")
    saved = json.loads((tmp_path / "results" / name).read_text())
    records, facts = saved["records"], saved["facts"]
    assert [(r["variant"], r["batch"]) for r in records] == [
        (v, b) for b in (64, 32) for v in (*variants, FLOOR)]
    for r in records:
        assert r["samples_per_s"] > 0 and len(r["rounds"]) == 2 and "note" not in r
        assert r["samples_per_s"] == pytest.approx(
            (256 // r["batch"] * r["batch"] if r["variant"] == FLOOR else 256)
            / statistics.median(r["rounds"]))
        # each variant's own process: TensorFlow and the data, a few hundred MB at least
        assert r["peak_rss_mb"] > 100 and r["tensorflow_loaded"]
    # a 2-core CPU does tens of GFLOP/s at least: the strict floor is thousands of samples/s
    assert facts["strict_floor"] == pytest.approx(facts["matmul_gflops"] * 1e9 /
                                                  FLOPS_PER_SAMPLE)
    assert facts["strict_floor"] > 1e10 / FLOPS_PER_SAMPLE
    docs = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert "| keras_track | 64 |" in docs and "| matmul_floor | 32 |" in docs
    assert "`bash benchmarks/gpu.sh [OUT]`" in docs  # the GPU recipe beside the tables


def test_a_second_run_the_same_day_keeps_the_first_ones_results(tmp_path):
    facts = {"host": "h", "date": "2026-12-02"}
    paths = [bench.write_results([{"variant": "torch", "run": n}], facts, str(tmp_path))
             for n in (1, 2, 3)]
    assert [os.path.basename(p) for p in paths] == [
        "results-h-2026-12-02.json", "results-h-2026-12-02-2.json", "results-h-2026-12-02-3.json"]
    assert [json.load(open(p))["records"][0]["run"] for p in paths] == [1, 2, 3]


def test_the_strict_flop_count_is_the_steps_matmuls():
    forward = 2 * (784 * 512 + 512 * 10)
    weight_gradients = 2 * (784 * 512 + 512 * 10)
    second_layer_input_gradient = 2 * 512 * 10  # the first layer's is never computed
    assert FLOPS_PER_SAMPLE == forward + weight_gradients + second_layer_input_gradient


@pytest.mark.slow  # four processes, a minute on 2 cores
def test_a_crashing_variant_and_a_missing_peer_are_rows_and_the_rest_still_runs(monkeypatch):
    monkeypatch.setattr(timing, "SERVE", [os.path.join(HERE, "crashing_bench.py")])
    monkeypatch.setitem(bench.PEERS, "absent_peer", "no_such_framework_module")
    lines = []
    records = bench.run_batch_size(32, 128, 2, ["segfault", "numpy_peer", "absent_peer",
                                               "keras_track"], "cpu", log=lines.append)
    by = {r["variant"]: r for r in records}
    assert by["segfault"]["note"] == "crashed: SIGSEGV" and "samples_per_s" not in by["segfault"]
    assert by["absent_peer"]["note"] == ("missing: no_such_framework_module is not installed "
                                         "(pip install -e '.[bench]')")
    # a peer's process loads no TensorFlow, and the others went on timing
    assert by["numpy_peer"]["tensorflow_loaded"] is False and by["numpy_peer"]["samples_per_s"]
    assert by["keras_track"]["samples_per_s"] > 0 and len(by["keras_track"]["rounds"]) == 2
    assert "  segfault: crashed: SIGSEGV" in lines
    facts = {"strict_floor": 1e5}
    row = next(line for line in bench.bench_table(records, facts).splitlines()
               if "segfault" in line)
    assert row.endswith("crashed: SIGSEGV |")


def test_the_convnets_flop_count():
    conv = 28 * 28 * 8 * 3 * 3  # multiply-adds of a 3x3 'same' conv, 1 -> 8 channels
    dense = 14 * 14 * 8 * 10  # after 2x2 pooling
    # conv: forward and weight gradient (no input gradient: the first layer); dense: all three
    assert bench.flops_per_sample("cnn") == 2 * (2 * conv + 3 * dense)


@pytest.mark.slow  # three processes starting TensorFlow, a minute on 2 cores
def test_the_convnet_bench_runs_both_tracks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--model", "cnn", "--samples", "128", "--epochs", "1",
                 "--batch-sizes", "32", "--variants", "keras_track,tf1_data", "--out", "r",
                 "--record"]) == 0
    (name,) = os.listdir("r")
    saved = json.loads((tmp_path / "r" / name).read_text())
    assert name.endswith("-cnn.json") and saved["facts"]["model"] == "cnn"
    by = {r["variant"]: r for r in saved["records"]}
    assert by["keras_track"]["samples_per_s"] > 0 and by["tf1_data"]["samples_per_s"] > 0
    assert by[FLOOR]["samples_per_s"] > 0  # the convnet's own: its products at its shapes
    assert saved["facts"]["strict_floor"] == pytest.approx(
        saved["facts"]["matmul_gflops"] * 1e9 / bench.flops_per_sample("cnn"))
    assert "digits convnet" in (tmp_path / "docs" / "benchmarks-cnn.md").read_text()


def test_ratios_are_against_default_keras_and_tf1_at_the_same_batch():
    records = [{"variant": "keras_default", "batch": 32, "samples_per_s": 100.0,
                "peak_rss_mb": 1.0},
               {"variant": "tf1_data", "batch": 32, "samples_per_s": 200.0, "peak_rss_mb": 1.0},
               {"variant": "keras_track", "batch": 32, "samples_per_s": 250.0,
                "peak_rss_mb": 1.0},
               {"variant": FLOOR, "batch": 32, "samples_per_s": 500.0, "peak_rss_mb": 1.0}]
    row = next(line for line in bench_table(records, {"strict_floor": 1000.0}).splitlines()
               if "keras_track" in line)
    assert "| 2.50 | 1.25 | 0.25 | 0.50 |" in row


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


def test_the_residual_convnets_flop_count():
    # digits_resnet on 28x28: multiply-adds of each convolution and of the Dense layer
    stem = 28 * 28 * 3 * 3 * 1 * 8  # reads the image: forward and weight gradient only
    body = 28 * 28 * 3 * 3 * 8 * 8  # the identity block's conv
    down = 14 * 14 * 3 * 3 * 8 * 16  # stride 2
    project = 14 * 14 * 1 * 1 * 8 * 16  # the 1x1 stride-2 shortcut
    dense = 14 * 14 * 16 * 10
    assert bench.flops_per_sample("resnet") == 2 * (2 * stem + 3 * (body + down + project
                                                                     + dense))


def test_every_model_has_its_words_in_the_recorded_page():
    from tfmodels.bench.report import MODEL_WORDS

    assert sorted(MODEL_WORDS) == sorted(bench.MODELS)


@pytest.mark.parametrize("variant", ["keras_default", "keras_track", "tf1_feed", "tf1_data",
                                     "tf2_function"])
def test_the_residual_convnet_trains_in_each_tensorflow_variant(variant, monkeypatch):
    """A tiny epoch of `--model resnet` in each TensorFlow variant (in this process; the bench
    starts one process per variant): the graph spec's merges are there, and the weights move.
    No timing."""
    import numpy as np

    from tfmodels.bench import workload
    from tfmodels.bench.variants import CLASSES
    from tfmodels.core.data import one_hot

    monkeypatch.setattr(workload, "MODEL", "resnet")
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28, 1), dtype=np.float32)
    runner = CLASSES[variant](x, one_hot(rng.integers(0, 10, 16), 10), 8)
    model = runner.model
    before = [w.copy() for w in model.get_weights()]
    if variant == "keras_track":
        assert type(model).__name__ == "SpecFunctional"
    elif variant.startswith("tf1"):
        assert model.spec.name == "digits_resnet" and not model.spec.wiring.chain
    else:  # plain Keras, none of the Keras track's training machinery
        assert type(model).__name__ == "Functional"
    if not variant.startswith("tf1"):
        assert sum(type(layer).__name__ == "Add" for layer in model.layers) == 2
    runner.epoch()
    after = model.get_weights()
    assert len(after) == len(before) == 22  # 4 convs x 2, 3 batch norms x 4, Dense x 2
    assert all(np.any(a != b) for a, b in zip(after, before))


@pytest.mark.slow  # three processes starting TensorFlow, a minute on 2 cores
def test_the_residual_convnet_bench_runs(tmp_path, monkeypatch):
    """`--model resnet` end to end, tiny: each variant's process reshapes the images for the
    convnet and trains the graph spec; the page names the model. Not a timing."""
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--model", "resnet", "--samples", "64", "--epochs", "1",
                 "--batch-sizes", "32", "--variants", "keras_default,tf1_feed", "--out", "r",
                 "--record"]) == 0
    (name,) = os.listdir("r")
    saved = json.loads((tmp_path / "r" / name).read_text())
    assert name.endswith("-resnet.json") and saved["facts"]["model"] == "resnet"
    assert saved["facts"]["flops_per_sample"] == bench.flops_per_sample("resnet")
    by = {r["variant"]: r for r in saved["records"]}
    assert by["keras_default"]["samples_per_s"] > 0 and by["tf1_feed"]["samples_per_s"] > 0
    page = (tmp_path / "docs" / "benchmarks-resnet.md").read_text()
    assert "--model resnet" in page and "digits_resnet" in page


@pytest.mark.parametrize("model, convs, dense", [("cnn", 1, 1), ("resnet", 4, 1)])
def test_a_convnets_shape_aware_floor_makes_every_product_the_flop_count_counts(
        model, convs, dense, monkeypatch):
    """`matmul_floor` for a convnet: per step, each Conv2D's forward product and weight
    gradient, the input gradient of each layer that does not read the image, and the Dense
    layer's three matmuls, as `workload.matmul_flops` counts them; and the epoch runs."""
    import collections

    import numpy as np

    from tfmodels.bench import workload
    from tfmodels.bench.variants import CLASSES
    from tfmodels.core.data import one_hot

    monkeypatch.setattr(workload, "MODEL", model)
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    floor = CLASSES[FLOOR](x, one_hot(rng.integers(0, 10, 64), 10), 32)
    graph = floor.run.get_concrete_function(floor.kernels).graph.as_graph_def()
    ops = collections.Counter(node.op for f in graph.library.function for node in f.node_def)
    assert ops["Conv2D"] == ops["Conv2DBackpropFilter"] == convs
    assert ops["Conv2DBackpropInput"] == convs - 1  # the first convolution reads the image
    assert ops["MatMul"] == 3 * dense
    before = [k.numpy() for k in floor.kernels]
    after = floor.run(floor.kernels)
    assert all(np.any(a.numpy() != b) for a, b in zip(after, before))  # each product is used


# --- benchmarks/gpu.sh: the GPU run, ready; on a machine without a GPU it refuses at once --------

def _gpu_sh(tmp_path, *args):
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu.sh"
    return subprocess.run(["bash", str(script), *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)


def test_the_gpu_run_refuses_in_one_line_without_a_gpu_and_writes_nothing(tmp_path):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):  # the refusal is what a machine without one sees
        pytest.skip("this machine has a GPU: the script would run; run benchmarks/gpu.sh itself")
    out = tmp_path / "gpu-run"
    done = _gpu_sh(tmp_path, out)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gpu.sh: TensorFlow sees no GPU on this machine (tensorflow[and-cuda] and an NVIDIA "
        "driver are needed); nothing was run"]
    assert not out.exists() and done.stdout == ""


def test_the_gpu_run_never_writes_into_an_earlier_runs_folder(tmp_path):
    out = tmp_path / "gpu-run"
    out.mkdir()
    done = _gpu_sh(tmp_path, out)
    assert done.returncode == 2 and "exists; name a new folder" in done.stderr
    assert list(out.iterdir()) == []
