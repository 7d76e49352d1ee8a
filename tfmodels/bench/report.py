"""What `tfmodels bench` reports: the Markdown table, the JSON results in benchmarks/, and
docs/benchmarks.md (`--record`)."""

from __future__ import annotations

import json
import os

from tfmodels.bench.workload import FLOOR, FLOPS_PER_SAMPLE
from tfmodels.core.table import table

__all__ = ["MODEL_WORDS", "bench_table", "write_docs", "write_results", "write_new_results"]


def bench_table(records: list, facts: dict) -> str:
    """The Markdown table: samples/s, x default Keras fit, x the TF1 track (tf.data), fractions
    of both floors, each variant's own peak memory, and why a row has no figure."""
    def rate(variant, batch):
        return next((r.get("samples_per_s") for r in records
                     if r["variant"] == variant and r["batch"] == batch), None)

    def ratio(value, base):
        return f"{value / base:.2f}" if value and base else "–"

    strict = facts.get("strict_floor")
    rows = [["variant", "batch", "samples/s", "× default Keras fit", "× TF1 track (tf.data)",
             "fraction of strict floor", "fraction of shape-aware floor", "peak RSS (MB)",
             "note"]]
    for r in records:
        value, batch = r.get("samples_per_s"), r["batch"]
        shaped = rate(FLOOR, batch)
        rows.append([r["variant"], str(batch), f"{value:,.0f}" if value else "–",
                     ratio(value, rate("keras_default", batch)),
                     ratio(value, rate("tf1_data", batch)), ratio(value, strict),
                     ratio(value, shaped),
                     f"{r['peak_rss_mb']:,.0f}" if r.get("peak_rss_mb") else "–",
                     r.get("note", "")])
    rows.append(["strict floor", "–", f"{strict:,.0f}" if strict else "–", "–", "–", "1.00",
                 "–", "–", f"{facts.get('flops_per_sample', FLOPS_PER_SAMPLE):,} FLOPs a sample"])
    return table(rows, align="lrrrrrrrl", markdown=True)


def write_results(records, facts, out_dir: str) -> str:
    """The records as `results-<host>-<date>[-<model>].json` in `out_dir`; a second run the same
    day gets `...-2.json` (then `-3`, ...) rather than overwriting the first."""
    model = "" if facts.get("model", "mlp") == "mlp" else f"-{facts['model']}"
    return write_new_results(records, facts, out_dir, f"results-{facts['host']}-{facts['date']}"
                                                      f"{model}")


def write_new_results(records, facts, out_dir: str, name: str) -> str:
    """`{"facts", "records"}` as `<name>.json` in `out_dir`, or `<name>-2.json` (`-3`, ...)
    where that exists: a run never overwrites another's."""
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, name)
    path, n = f"{stem}.json", 1
    while os.path.exists(path):
        n += 1
        path = f"{stem}-{n}.json"
    with open(path, "x") as f:
        json.dump({"facts": facts, "records": records}, f, indent=1)
    return path


# What each `--model` is, in the recorded page's first line.
MODEL_WORDS = {
    "mlp": "the MNIST MLP (784 → 512 relu → 10 softmax, RMSprop)",
    "cnn": "the digits convnet on MNIST (Conv2D 8 3×3 relu, 2×2 max pooling, dropout 0.25, "
           "Dense 10 softmax, Adam)",
    "resnet": "the residual convnet `digits_resnet` on MNIST (Conv2D 8 3×3 relu → BN → "
              "[Conv2D 8 → BN] + identity → [Conv2D 16 3×3 stride 2 → BN] + 1×1 stride-2 "
              "projection → Dense 10 softmax, Adam)",
}


def write_docs(records, facts, path: str) -> None:
    gflops = facts.get("matmul_gflops")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""# Benchmarks

The latest `tfmodels bench --record{"" if facts["model"] == "mlp" else
                                    f" --model {facts['model']}"}`: {
    MODEL_WORDS[facts["model"]]},
{facts['samples']:,} samples ({facts['data']} data), each variant in a process of its own,
warmed up, then timed in {facts['rounds']} interleaved rounds (an epoch of every variant per
round); each figure is the median of its rounds.

Machine: {facts['cpu_count']} cores ({facts['processor']}), {facts['device']}; best float32
matmul {f"{gflops:.0f} GFLOP/s" if gflops else "not measured"}; measured {facts['date']}.

{bench_table(records, facts)}

The strict floor is that matmul rate over the {facts["flops_per_sample"]:,} FLOPs one training
sample strictly costs (the forward pass, the weight gradients, the input gradients of all but the
first layer); `matmul_floor` runs exactly those products (matmuls; for a convnet its
convolutions, their filter and input gradients, and its Dense layer's matmuls) at the batch's
shapes, an epoch of them in one compiled loop: the shape-aware floor. Peak RSS is each variant's own
process's. See the README's "Speed" section for what the tracks do to reach these figures.

Peers: PyTorch {facts.get("torch") or "(not installed)"} in its own process (no TensorFlow
loaded), the same model, optimizer settings (Keras's RMSprop defaults: lr 1e-3, alpha 0.9,
eps 1e-7; Adam for the convnets) and batches of the same size, at its best on this machine: all
cores (`torch.set_num_threads`), denormals flushed (`torch.set_flush_denormal(True)`, without
which RMSprop's tiny squares crawl), and `torch_compile`, the same under `torch.compile`'s
default Inductor backend.

Where the time goes beyond the floor: `python benchmarks/step_anatomy.py` builds the MLP's step
up from the floor (the whole arithmetic, the outputs, XLA) and times RMSprop's update alone, with
the ceiling that update sets on any step that runs it as a kernel of its own; `python
benchmarks/profile_ops.py [--model cnn]` splits a variant's step by op type. The README's
"Speed" section has their latest figures. On a GPU, `bash benchmarks/gpu.sh [OUT]` records
these tables for the MLP and the convnet (both tracks, PyTorch on CUDA, the floors) and
`tfmodels compare` of every model there; without a GPU it refuses in one line.
""")
