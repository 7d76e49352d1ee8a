"""How fast each track trains the MNIST MLP, against its peers and the machine's limit.

    tfmodels bench                      # 60,000 samples, batch 128 and 32, 3 timed epochs
    tfmodels bench --record             # ... and write the table to docs/benchmarks.md

Every variant trains `784 -> 512 relu -> 10 softmax` with RMSprop on the same data (real MNIST
when Keras's cache has it, else random data of its shape). The variants of a batch size live in
one process and are timed in turns - an epoch of each, then the next round - after one warm-up
epoch each, so a noisy machine slows them alike; each figure is the median over the timed
epochs.

The arithmetic floor is this machine's best float32 matmul rate (TensorFlow's or NumPy's)
divided by what one training sample costs: forward and backward, 3 x 2 x (784*512 + 512*10)
FLOPs. No implementation of this model can train faster than that.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import threading
import time

import numpy as np

from tfmodels.core.checks import int_option
from tfmodels.core.errors import UserError
from tfmodels.table import table as format_table

VARIANTS = ("keras_default", "keras_track", "keras_track_xla", "tf1_feed", "tf1_data",
            "tf2_function", "torch")
FLOPS_PER_SAMPLE = 3 * 2 * (784 * 512 + 512 * 10)


# --- data -----------------------------------------------------------------------------------

def data_source() -> str:
    """What `bench_data` serves: "mnist" when Keras's cache has it, else "random"."""
    from tfmodels.core.data import mnist_cache_path

    return "mnist" if os.path.exists(mnist_cache_path()) else "random"


def bench_data(samples: int, seed: int = 0):
    """MNIST's training images when Keras's cache has them, else random data of their shape."""
    from tfmodels.core.data import mnist_cache_path, one_hot

    if data_source() == "mnist":
        with np.load(mnist_cache_path(), allow_pickle=False) as f:
            x, y = f["x_train"][:samples], f["y_train"][:samples]
        return (x.reshape(len(x), -1) / 255.0).astype(np.float32), one_hot(y, 10), "mnist"
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 784), dtype=np.float32)
    return x, one_hot(rng.integers(0, 10, samples), 10), "random"


# --- the variants: each trains one epoch per call -------------------------------------------

def _spec(batch: int):
    from tfmodels.core.registry import get_spec

    return get_spec("mnist_mlp", dataset="mnist", batch_size=batch)


class KerasDefault:
    """What a Keras user writes first: Sequential, compile with strings, fit with defaults."""

    def __init__(self, x, y, batch):
        import keras

        from tfmodels.keras_track.model import build_layers

        self.x, self.y, self.batch = x, y, batch
        self.model = keras.Sequential(build_layers(_spec(batch)))  # plain Keras layers
        self.model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0)


class KerasTrack:
    """Our Keras track as shipped: `build_model(spec)` and its `fit`."""

    speed_switches: dict = {}

    def __init__(self, x, y, batch):
        from tfmodels.keras_track.model import build_model

        self.x, self.y, self.batch = x, y, batch
        self.model = build_model(_spec(batch), **self.speed_switches)

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0)


class KerasTrackXLA(KerasTrack):
    """Our Keras track with its speed switches on: XLA and 32 steps per call (not TF1-equal)."""

    speed_switches = {"jit_compile": True, "steps_per_execution": 32}


class TF1Track:
    """Our TF1 track: a Session fed by `feed_dict` or by a `tf.data` iterator in the graph."""

    pipeline = "feed_dict"

    def __init__(self, x, y, batch):
        from tf1_compat.model import build_model

        self.x, self.y, self.batch = x, y, batch
        self.model = build_model(_spec(batch))

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0,
                       pipeline=self.pipeline)


class TF1Data(TF1Track):
    pipeline = "dataset"


class TF2Function:
    """A plain TF2 loop: the same Keras layers, one `tf.function` step, a `tf.data` pipeline."""

    def __init__(self, x, y, batch):
        import keras
        import tensorflow as tf

        from tfmodels.keras_track.model import build_layers

        self.model = keras.Sequential(build_layers(_spec(batch)))  # plain Keras layers
        optimizer = keras.optimizers.RMSprop()
        loss_fn = keras.losses.CategoricalCrossentropy()
        self.data = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x))
                     .batch(batch).prefetch(tf.data.AUTOTUNE))

        @tf.function
        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, self.model(xb, training=True))
            grads = tape.gradient(loss, self.model.trainable_variables)
            optimizer.apply(grads, self.model.trainable_variables)
            return loss

        self.step = step

    def epoch(self):
        for xb, yb in self.data:
            self.step(xb, yb)


class Torch:
    """PyTorch on the CPU, the same model and optimizer settings (Keras's RMSprop defaults)."""

    def __init__(self, x, y, batch):
        import torch

        torch.set_flush_denormal(True)  # else RMSprop's tiny squares go denormal and crawl
        self.torch = torch
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y.argmax(1))
        self.batch = batch
        self.model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                         torch.nn.Linear(512, 10))
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=1e-3, alpha=0.9,
                                             eps=1e-7)
        self.loss = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits

    def epoch(self):
        order = self.torch.randperm(len(self.x))
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            self.optimizer.zero_grad()
            self.loss(self.model(self.x[idx]), self.y[idx]).backward()
            self.optimizer.step()


CLASSES = {"keras_default": KerasDefault, "keras_track": KerasTrack,
           "keras_track_xla": KerasTrackXLA, "tf1_feed": TF1Track,
           "tf1_data": TF1Data, "tf2_function": TF2Function, "torch": Torch}


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# --- measuring --------------------------------------------------------------------------------

class PeakRSS:
    """The process's largest resident set while a block runs (sampled every 10 ms)."""

    def __init__(self):
        self.peak = 0

    @staticmethod
    def now() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self):
        while not self._done.wait(0.01):
            self.peak = max(self.peak, self.now())

    def __enter__(self):
        self.peak, self._done = self.now(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def matmul_rate(n: int = 2048, repeats: int = 10) -> dict:
    """FLOP/s of a large float32 matmul, in TensorFlow and in NumPy."""
    import tensorflow as tf

    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    ta = tf.constant(a)
    rates = {}
    for name, matmul in (("tensorflow", lambda: tf.linalg.matmul(ta, ta).numpy()),
                         ("numpy", lambda: a @ a)):
        matmul()  # warm up
        start = time.perf_counter()
        for _ in range(repeats):
            matmul()
        rates[name] = repeats * 2 * n ** 3 / (time.perf_counter() - start)
    return rates


def run_batch_size(batch: int, samples: int, epochs: int, variants, device: str) -> list:
    """Every variant at one batch size, in this process: warm up each, then time in turns."""
    import tensorflow as tf

    x, y, _ = bench_data(samples)
    runners, times, peaks = {}, {v: [] for v in variants}, {}
    with tf.device("/GPU:0" if device == "gpu" else "/CPU:0"):
        for name in variants:  # build and warm up (tracing, XLA compiles) one by one
            with PeakRSS() as rss:
                runners[name] = CLASSES[name](x, y, batch)
                runners[name].epoch()
            peaks[name] = rss.peak
            print(f"  batch {batch}: {name} warmed up", flush=True)
        for _ in range(epochs):  # then in turns, so load on the machine hits all alike
            for name in variants:
                with PeakRSS() as rss:
                    start = time.perf_counter()
                    runners[name].epoch()
                    times[name].append(time.perf_counter() - start)
                peaks[name] = max(peaks[name], rss.peak)
    return [{"variant": name, "batch": batch,
             "samples_per_s": samples / statistics.median(times[name]),
             "peak_rss_mb": peaks[name] / 2 ** 20} for name in variants]


def run(batch_sizes=(128, 32), samples: int = 60_000, epochs: int = 3,
        variants=VARIANTS, device: str = "cpu", log=print) -> tuple[list, dict]:
    """Time every variant at every batch size; returns (records, facts about the run).

    Each batch size runs in a fresh process: what one set of variants leaves behind (threads of
    open sessions and input pipelines, memory) must not weigh on the next.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import tensorflow as tf

    if device == "gpu" and not tf.config.list_physical_devices("GPU"):
        raise UserError("--device gpu: TensorFlow sees no GPU on this machine")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise UserError(f"unknown variant(s) {sorted(unknown)}; expected some of: "
                        f"{', '.join(VARIANTS)}")
    if "torch" in variants and not torch_available():
        log("(torch is not installed: skipping it; pip install -e '.[bench]' to include it)")
        variants = [v for v in variants if v != "torch"]
    source = data_source()
    rates = matmul_rate()
    floor = max(rates.values()) / FLOPS_PER_SAMPLE
    records = [{"variant": "floor", "batch": None, "samples_per_s": floor, "peak_rss_mb": None}]
    spawn = multiprocessing.get_context("spawn")
    for batch in batch_sizes:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            records += pool.submit(run_batch_size, batch, samples, epochs, list(variants),
                                   device).result()
    facts = {"host": socket.gethostname(), "date": datetime.date.today().isoformat(),
             "data": source, "samples": samples, "epochs": epochs, "device": device,
             "cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
             "tensorflow": tf.__version__, "matmul_gflops": {k: v / 1e9 for k, v in rates.items()}}
    return records, facts


def table(records: list) -> str:
    """The Markdown table: samples/s, x default Keras fit, fraction of the floor, memory."""
    floor = next(r["samples_per_s"] for r in records if r["variant"] == "floor")
    base = {r["batch"]: r["samples_per_s"] for r in records if r["variant"] == "keras_default"}
    rows = [["variant", "batch", "samples/s", "× default Keras fit",
             "fraction of the arithmetic floor", "peak RSS (MB)"]]
    for r in records:
        if r["variant"] == "floor":
            continue
        ratio = f"{r['samples_per_s'] / base[r['batch']]:.2f}" if r["batch"] in base else "–"
        rows.append([r["variant"], str(r["batch"]), f"{r['samples_per_s']:,.0f}", ratio,
                     f"{r['samples_per_s'] / floor:.2f}", f"{r['peak_rss_mb']:,.0f}"])
    rows.append(["arithmetic floor", "–", f"{floor:,.0f}", "–", "1.00", "–"])
    return format_table(rows, align="lr", markdown=True)


def write_results(records, facts, out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"results-{facts['host']}-{facts['date']}.json")
    with open(path, "w") as f:
        json.dump(records, f, indent=1)
    return path


def write_docs(records, facts, path: str) -> None:
    gflops = ", ".join(f"{k} {v:.0f}" for k, v in facts["matmul_gflops"].items())
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""# Benchmarks

The latest `tfmodels bench --record`: the MNIST MLP (784 → 512 relu → 10 softmax, RMSprop),
{facts['samples']:,} samples ({facts['data']} data), median of {facts['epochs']} timed epochs after
a warm-up epoch, the variants of a batch size in one process and timed in turns.

Machine: {facts['cpu_count']} cores ({facts['processor']}), {facts['device']}, TensorFlow
{facts['tensorflow']}; float32 matmul {gflops} GFLOP/s; measured {facts['date']}.

{table(records)}

The arithmetic floor is the best matmul rate over the {FLOPS_PER_SAMPLE:,} FLOPs one training
sample costs (3 × 2 × (784·512 + 512·10)). Peak RSS is the whole process's resident memory while
that variant trained (all variants share the process, so it includes what the others loaded).
See the README's "Speed" section for what the tracks do to reach these figures.
""")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="tfmodels bench", description=__doc__.split("\n")[0])
    add_arguments(p)
    return command(p.parse_args(argv))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-sizes", default="128,32", help="comma-separated (default: 128,32)")
    p.add_argument("--samples", type=int_option(1), default=60_000)
    p.add_argument("--epochs", type=int_option(1), default=3,
                   help="timed epochs per variant (median)")
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--out", default="benchmarks", help="folder for the JSON results")
    p.add_argument("--record", action="store_true", help="also write docs/benchmarks.md")


def command(args) -> int:
    try:
        batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    except ValueError:
        raise UserError(f"--batch-sizes {args.batch_sizes!r}: expected integers like 128,32") \
            from None
    if min(batch_sizes) < 1:
        raise UserError(f"--batch-sizes {args.batch_sizes}: expected positive integers")
    if args.samples < max(batch_sizes):
        raise UserError(f"--samples {args.samples}: expected at least the largest batch size "
                        f"({max(batch_sizes)})")
    unknown = sorted(set(v for v in args.variants.split(",") if v) - set(VARIANTS))
    if unknown:  # said before anything is timed or written
        raise UserError(f"--variants: unknown variant(s) {unknown}; expected some of: "
                        f"{', '.join(VARIANTS)}")
    records, facts = run(batch_sizes, args.samples, args.epochs,
                         [v for v in args.variants.split(",") if v], args.device)
    print()
    print(table(records))
    print(f"\nResults: {write_results(records, facts, args.out)}")
    if args.record:
        write_docs(records, facts, os.path.join("docs", "benchmarks.md"))
        print("Table: docs/benchmarks.md")
    return 0
