"""How fast each track trains the MNIST MLP, against its peers and the machine's limits.

    tfmodels bench                      # 60,000 samples, batch 128 and 32, 3 timed rounds
    tfmodels bench --record             # ... and write the table to docs/benchmarks.md

Every variant trains `784 -> 512 relu -> 10 softmax` with RMSprop on the same data (real MNIST
when Keras's cache has it, else random data of its shape). Each variant runs in a process of its
own - a peer framework (PyTorch) never shares one with TensorFlow - started and warmed up once,
then timed in rounds: one epoch of every variant per round, in turn, so a noisy machine slows
them alike; each figure is the median over the rounds. A variant that is missing (PyTorch not
installed) or crashes (its process dies) becomes a row saying so; the table always prints. Peak
memory is each variant's own process's.

Two limits, both printed per batch size:
- the strict floor: the machine's best float32 matmul rate (a large square matmul) over the
  FLOPs one training sample strictly costs: the forward pass's two matmuls, the two weight
  gradients and the second layer's input gradient, 2 x (2 x (784*512 + 512*10) + 512*10), about
  1.64 MFLOP (no step computes the first layer's input gradient);
- the shape-aware floor (`matmul_floor`): exactly those five matmuls at their own shapes for the
  batch size, an epoch's worth back to back in one compiled loop (no per-call dispatch): what
  small-batch matmuls really reach on this machine.
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
from tfmodels.table import table

__all__ = [
    "VARIANTS", "FLOPS_PER_SAMPLE", "MODELS", "MODEL", "flops_per_sample", "FLOOR", "PEERS",
    "data_source", "bench_data", "KerasDefault", "KerasTrack", "KerasTrackXLA", "TF1Track",
    "TF1Data", "TF2Function", "Torch", "TorchCompile", "MatmulFloor", "CLASSES", "missing",
    "PROTOCOL", "SERVE", "serve", "matmul_rate", "Worker", "run_batch_size", "run", "bench_table",
    "write_results", "write_docs", "main", "add_arguments", "command",
]

VARIANTS = ("keras_default", "keras_track", "keras_track_xla", "tf1_feed", "tf1_data",
            "tf2_function", "torch", "torch_compile")
# Forward (2 matmuls), the 2 weight gradients, the 2nd layer's input gradient: 2 FLOPs a MAC.
FLOPS_PER_SAMPLE = 2 * (2 * (784 * 512 + 512 * 10) + 512 * 10)
# The models timed: `--model mlp` (the default) or `cnn`, the digits convnet on 28x28 MNIST.
MODELS = {"mlp": "mnist_mlp", "cnn": "digits_cnn"}
MODEL = "mlp"  # the one this process times (set by `run` and `serve`)


def flops_per_sample(model: str) -> int:
    """What one training sample strictly costs (multiply-adds x 2): no step computes the first
    layer's input gradient."""
    if model == "mlp":
        return FLOPS_PER_SAMPLE
    conv = 2 * 28 * 28 * 8 * 3 * 3 * 1  # 3x3 'same' conv, 1 -> 8 channels: forward, weight grad
    dense = 2 * (14 * 14 * 8) * 10  # after 2x2 pooling: forward, weight and input gradients
    return 2 * conv + 3 * dense
FLOOR = "matmul_floor"  # the shape-aware floor, measured like a variant
PEERS = {"torch": "torch", "torch_compile": "torch"}  # variant -> the module it needs


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

    return get_spec(MODELS[MODEL], dataset="mnist", batch_size=batch)


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
        optimizer = (keras.optimizers.RMSprop() if MODEL == "mlp"
                     else keras.optimizers.Adam(0.005))
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
    """PyTorch on the CPU, the same model and optimizer settings (Keras's RMSprop defaults), at
    its best here: every core, denormals flushed."""

    compile = False
    device = "cpu"

    def __init__(self, x, y, batch):
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        torch.set_flush_denormal(True)  # else RMSprop's tiny squares go denormal and crawl
        self.torch = torch
        self.x = torch.from_numpy(x).to(self.device)
        self.y = torch.from_numpy(y.argmax(1)).to(self.device)
        self.batch = batch
        nn = torch.nn
        if MODEL == "mlp":
            layers = [nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)]
        else:  # channels first, as PyTorch's convolutions want them
            self.x = self.x.reshape(-1, 1, 28, 28)
            layers = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Dropout(0.25), nn.Linear(8 * 14 * 14, 10)]
        self.model = nn.Sequential(*layers).to(self.device)
        self.optimizer = (
            torch.optim.RMSprop(self.model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
            if MODEL == "mlp" else torch.optim.Adam(self.model.parameters(), lr=0.005, eps=1e-7))
        self.loss = torch.nn.CrossEntropyLoss()  # softmax + cross-entropy on the logits
        self.forward = torch.compile(self.model) if self.compile else self.model

    def epoch(self):
        order = self.torch.randperm(len(self.x), device=self.device)
        for i in range(0, len(order), self.batch):
            idx = order[i:i + self.batch]
            self.optimizer.zero_grad()
            self.loss(self.forward(self.x[idx]), self.y[idx]).backward()
            self.optimizer.step()


class TorchCompile(Torch):
    """The same, with `torch.compile` (its default Inductor backend)."""

    compile = True


class MatmulFloor:
    """The shape-aware floor: an epoch of exactly the step's five matmuls at the batch's shapes,
    in one compiled loop. Weights carried from step to step keep them from being hoisted out."""

    def __init__(self, x, y, batch):
        import tensorflow as tf

        rng = np.random.default_rng(0)
        xb = tf.constant(x[:batch])
        g = tf.constant(rng.normal(0, 1e-3, (batch, 10)).astype(np.float32))
        w = (tf.constant(rng.normal(0, 0.05, (784, 512)).astype(np.float32)),
             tf.constant(rng.normal(0, 0.05, (512, 10)).astype(np.float32)))
        steps = len(x) // batch

        @tf.function
        def epoch(w1, w2):
            for _ in tf.range(steps):
                h = tf.matmul(xb, w1)
                tf.matmul(h, w2)  # the logits (what the loss would read)
                dw2 = tf.matmul(h, g, transpose_a=True)
                dh = tf.matmul(g, w2, transpose_b=True)
                dw1 = tf.matmul(xb, dh, transpose_a=True)
                w1, w2 = w1 - 1e-9 * dw1, w2 - 1e-9 * dw2
            return w1, w2

        self.run, self.w = epoch, w

    def epoch(self):
        self.run(*self.w)[0].numpy()


CLASSES = {"keras_default": KerasDefault, "keras_track": KerasTrack,
           "keras_track_xla": KerasTrackXLA, "tf1_feed": TF1Track,
           "tf1_data": TF1Data, "tf2_function": TF2Function, "torch": Torch,
           "torch_compile": TorchCompile, FLOOR: MatmulFloor}


def missing(variant: str) -> str | None:
    """Why `variant` cannot run here (its framework is not installed), else None; checked
    without importing it."""
    import importlib.util

    if variant == FLOOR and MODEL != "mlp":
        return "the shape-aware floor is measured for the MLP only"
    module = PEERS.get(variant)
    if module and importlib.util.find_spec(module) is None:
        return f"{module} is not installed (pip install -e '.[bench]')"
    return None


# --- measuring --------------------------------------------------------------------------------

PROTOCOL = "@bench "  # the worker's lines to the parent; anything else it prints is ignored
SERVE = ["-m", "tfmodels.bench", "--serve"]  # how a variant's process starts (after python)


def _say(**message) -> None:
    print(PROTOCOL + json.dumps(message), flush=True)


def serve(variant: str, batch: int, samples: int, device: str, model: str = "mlp") -> None:
    """A variant's own process: build, warm up (one epoch), then one timed epoch per `epoch` line
    on stdin until `quit`, answering each on stdout. Nothing but its own framework is loaded."""
    import resource
    import sys

    global MODEL
    MODEL = model
    x, y, _ = bench_data(samples)
    if model == "cnn":
        x = x.reshape(-1, 28, 28, 1)
    if device == "gpu" and variant in PEERS:
        Torch.device = "cuda"
    if device == "gpu" and variant not in PEERS:
        import tensorflow as tf

        with tf.device("/GPU:0"):
            runner = CLASSES[variant](x, y, batch)
    else:
        runner = CLASSES[variant](x, y, batch)
    start = time.perf_counter()
    runner.epoch()  # tracing, compiling, first touches of memory
    _say(ready=time.perf_counter() - start)
    for line in sys.stdin:
        if line.strip() == "rate":  # asked once every variant is warm: a quiet moment
            _say(**matmul_rate())
            continue
        if line.strip() != "epoch":
            break
        start = time.perf_counter()
        runner.epoch()
        _say(seconds=time.perf_counter() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    _say(peak_rss_mb=peak_kb / 1024,
         tensorflow="tensorflow" in sys.modules)


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
    return {"matmul_flops": rates}


class Worker:
    """The parent's handle on one variant's process."""

    def __init__(self, variant: str, batch: int, samples: int, device: str, log):
        import subprocess
        import sys

        self.variant, self.log, self.failure, self.reply = variant, log, None, {}
        self.proc = subprocess.Popen(
            [sys.executable, *SERVE, variant, str(batch), str(samples), device, MODEL],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.stderr = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):  # keep its stderr (TensorFlow's chatter) from filling the pipe
        for line in self.proc.stderr:
            self.stderr = (self.stderr + [line.rstrip()])[-20:]

    def receive(self) -> dict | None:
        """The worker's next message, or None when it died (the reason in `failure`)."""
        if self.failure:
            return None
        for line in self.proc.stdout:
            if line.startswith(PROTOCOL):
                return json.loads(line[len(PROTOCOL):])
        code = self.proc.wait()
        self.failure = _death(code, self.stderr)
        self.log(f"  {self.variant}: {self.failure}")
        return None

    def send(self, command: str) -> None:
        if self.failure:
            return
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died: receive() says how

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _death(code: int, stderr: list) -> str:
    import signal

    if code < 0:
        return f"crashed: {signal.Signals(-code).name}"
    last = next((line for line in reversed(stderr) if line.strip()), "")
    return f"failed: exit status {code}" + (f" ({last[:120]})" if last else "")


def run_batch_size(batch: int, samples: int, rounds: int, variants, device: str,
                   log=print) -> list:
    """Every variant (and the shape-aware floor) at one batch size, each in its own process,
    warmed up, then timed in rounds: an epoch of each in turn per round."""
    records = {}
    workers = {}
    for name in [*variants, FLOOR]:
        why = missing(name)
        if why:
            records[name] = {"variant": name, "batch": batch, "note": f"missing: {why}"}
            continue
        workers[name] = Worker(name, batch, samples, device, log)
    times = {name: [] for name in workers}
    try:
        for name, worker in workers.items():  # warming up together; not timed
            if worker.receive():
                log(f"  batch {batch}: {name} ready")
        if FLOOR in workers:  # the big matmul's rate, while the others wait
            workers[FLOOR].send("rate")
            workers[FLOOR].reply = workers[FLOOR].receive() or {}
        for _ in range(rounds):
            for name, worker in workers.items():
                worker.send("epoch")
                reply = worker.receive()
                if reply:
                    times[name].append(reply["seconds"])
        for name, worker in workers.items():
            worker.send("quit")
            last = worker.receive() or {}
            record = {"variant": name, "batch": batch, "peak_rss_mb": last.get("peak_rss_mb"),
                      "tensorflow_loaded": last.get("tensorflow")}
            if worker.failure:
                record["note"] = worker.failure
            else:
                record["samples_per_s"] = samples // batch * batch / statistics.median(
                    times[name]) if name == FLOOR else samples / statistics.median(times[name])
                record["rounds"] = times[name]
            if "matmul_flops" in worker.reply:
                record["matmul_flops"] = worker.reply["matmul_flops"]
            records[name] = record
    finally:
        for worker in workers.values():
            worker.close()
    return [records[name] for name in [*variants, FLOOR]]


def run(batch_sizes=(128, 32), samples: int = 60_000, rounds: int = 3,
        variants=VARIANTS, device: str = "cpu", log=print, model: str = "mlp"
        ) -> tuple[list, dict]:
    """Time every variant at every batch size; returns (records, facts about the run)."""
    global MODEL
    if model not in MODELS:
        raise UserError(f"--model {model!r}: expected one of {', '.join(MODELS)}")
    MODEL = model
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise UserError(f"unknown variant(s) {sorted(unknown)}; expected some of: "
                        f"{', '.join(VARIANTS)}")
    if device == "gpu":
        _check_gpu()
    records = []
    for batch in batch_sizes:
        records += run_batch_size(batch, samples, rounds, list(variants), device, log)
    floors = [r for r in records if r["variant"] == FLOOR and "matmul_flops" in r]
    rate = max((max(r["matmul_flops"].values()) for r in floors), default=None)
    if rate is None and "tf1_data" in variants:  # no floor process ran (the CNN): measure here
        rate = _measure_matmul_rate()
    facts = {"model": model, "flops_per_sample": flops_per_sample(model),
             "torch": _version("torch"),
             "host": socket.gethostname(), "date": datetime.date.today().isoformat(),
             "data": data_source(), "samples": samples, "rounds": rounds, "device": device,
             "cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
             "matmul_gflops": rate and rate / 1e9,
             "strict_floor": rate and rate / flops_per_sample(model)}
    return records, facts


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _measure_matmul_rate() -> float | None:
    """The best matmul rate, measured in a process of its own (TensorFlow stays out of ours)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import json; from tfmodels.bench import "
                           "matmul_rate; print(json.dumps(matmul_rate()))"],
                          capture_output=True, text=True, timeout=600)
    try:
        return max(json.loads(done.stdout.strip().splitlines()[-1])["matmul_flops"].values())
    except (ValueError, IndexError, KeyError):
        return None


def _check_gpu() -> None:
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", "import tensorflow as tf; "
                            "print(len(tf.config.list_physical_devices('GPU')))"],
                           capture_output=True, text=True, timeout=300)
    if probe.stdout.strip() in ("", "0"):
        raise UserError("--device gpu: TensorFlow sees no GPU on this machine")


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
    os.makedirs(out_dir, exist_ok=True)
    model = "" if facts.get("model", "mlp") == "mlp" else f"-{facts['model']}"
    stem = os.path.join(out_dir, f"results-{facts['host']}-{facts['date']}{model}")
    path, n = f"{stem}.json", 1
    while os.path.exists(path):
        n += 1
        path = f"{stem}-{n}.json"
    with open(path, "x") as f:
        json.dump({"facts": facts, "records": records}, f, indent=1)
    return path


def write_docs(records, facts, path: str) -> None:
    gflops = facts.get("matmul_gflops")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(f"""# Benchmarks

The latest `tfmodels bench --record{"" if facts["model"] == "mlp" else " --model cnn"}`: {
    "the MNIST MLP (784 → 512 relu → 10 softmax, RMSprop)" if facts["model"] == "mlp" else
    "the digits convnet on MNIST (Conv2D 8 3×3 relu, 2×2 max pooling, dropout 0.25, Dense 10 "
    "softmax, Adam)"},
{facts['samples']:,} samples ({facts['data']} data), each variant in a process of its own,
warmed up, then timed in {facts['rounds']} interleaved rounds (an epoch of every variant per
round); each figure is the median of its rounds.

Machine: {facts['cpu_count']} cores ({facts['processor']}), {facts['device']}; best float32
matmul {f"{gflops:.0f} GFLOP/s" if gflops else "not measured"}; measured {facts['date']}.

{bench_table(records, facts)}

The strict floor is that matmul rate over the {facts["flops_per_sample"]:,} FLOPs one training
sample strictly costs (the forward pass, the weight gradients, the input gradients of all but the
first layer); `matmul_floor` (the MLP only) runs exactly those matmuls at the batch's shapes, an
epoch of them in one compiled loop: the shape-aware floor. Peak RSS is each variant's own
process's. See the README's "Speed" section for what the tracks do to reach these figures.

Peers: PyTorch {facts.get("torch") or "(not installed)"} in its own process (no TensorFlow
loaded), the same model, optimizer settings (Keras's RMSprop defaults: lr 1e-3, alpha 0.9,
eps 1e-7; Adam for the convnet) and batches of the same size, at its best on this machine: all
cores (`torch.set_num_threads`), denormals flushed (`torch.set_flush_denormal(True)`, without
which RMSprop's tiny squares crawl), and `torch_compile`, the same under `torch.compile`'s
default Inductor backend.
""")


def main(argv=None) -> int:
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:  # a variant's own process (Worker)
        variant, batch, samples, device, model = argv[1:6]
        serve(variant, int(batch), int(samples), device, model)
        return 0
    p = argparse.ArgumentParser(prog="tfmodels bench", description=__doc__.split("\n")[0])
    add_arguments(p)
    return command(p.parse_args(argv))



def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch-sizes", default="128,32", help="comma-separated (default: 128,32)")
    p.add_argument("--samples", type=int_option(1), default=60_000)
    p.add_argument("--epochs", type=int_option(1), default=3,
                   help="timed rounds: an epoch of every variant per round (median)")
    p.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--model", choices=tuple(MODELS), default="mlp",
                   help="mlp: 784 -> 512 relu -> 10, RMSprop (default); cnn: the digits convnet "
                        "(Conv2D 8 3x3, pooling, dropout, Dense 10, Adam) on 28x28 MNIST")
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
                         [v for v in args.variants.split(",") if v], args.device,
                         model=args.model)
    print()
    print(bench_table(records, facts))
    print(f"\nResults: {write_results(records, facts, args.out)}")
    if args.record:
        docs = os.path.join("docs", "benchmarks.md" if args.model == "mlp"
                            else f"benchmarks-{args.model}.md")
        write_docs(records, facts, docs)
        print(f"Table: {docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
