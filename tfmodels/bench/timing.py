"""How `tfmodels bench` times: each variant in a process of its own (`serve`, driven by a
`Worker` over stdin/stdout), warmed up, then an epoch of every variant per round."""

from __future__ import annotations

import datetime
import json
import os
import platform
import socket
import statistics
import threading
import time

from tfmodels.bench import workload
from tfmodels.bench.floors import matmul_rate, measure_matmul_rate
from tfmodels.bench.peers import Torch
from tfmodels.bench.variants import CLASSES, missing
from tfmodels.bench.workload import (
    FLOOR,
    MODELS,
    PEERS,
    VARIANTS,
    bench_data,
    data_source,
    flops_per_sample,
)
from tfmodels.core.errors import UserError

__all__ = ["PROTOCOL", "SERVE", "Worker", "run", "run_batch_size", "serve", "plan_line",
           "estimate", "duration"]

PROTOCOL = "@bench "  # the worker's lines to the parent; anything else it prints is ignored
SERVE = ["-m", "tfmodels.bench", "--serve"]  # how a variant's process starts (after python)


def _say(**message) -> None:
    print(PROTOCOL + json.dumps(message), flush=True)


def serve(variant: str, batch: int, samples: int, device: str, model: str = "mlp") -> None:
    """A variant's own process: build, warm up (one epoch), then one timed epoch per `epoch` line
    on stdin until `quit`, answering each on stdout. Nothing but its own framework is loaded."""
    import resource
    import sys

    workload.MODEL = model
    x, y, _ = bench_data(samples)
    x = workload.shaped(x)
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


class Worker:
    """The parent's handle on one variant's process."""

    def __init__(self, variant: str, batch: int, samples: int, device: str, log):
        import subprocess
        import sys

        self.variant, self.log, self.failure, self.reply = variant, log, None, {}
        self.proc = subprocess.Popen(
            [sys.executable, *SERVE, variant, str(batch), str(samples), device, workload.MODEL],
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


def plan_line(batch_sizes, samples: int, rounds: int, variants) -> str:
    """What `run` will do, said before it starts (it takes minutes at the defaults)."""
    sizes = ", ".join(map(str, batch_sizes))
    return (f"Timing {len(variants)} variant(s) and the shape-aware floor at batch size(s) "
            f"{sizes}: each in a process of its own, started and warmed up with one epoch, "
            f"then {rounds} timed epoch(s) of {samples:,} samples; an estimate of the time it "
            f"takes follows the first timed round")


def estimate(startup: float, elapsed: float, first_round: dict, batch: int, later_batches,
             rounds: int) -> tuple[float, float]:
    """(low, high) seconds the whole run takes, said after the first timed round at the first
    batch size: `elapsed` seconds in (`startup` of them to get every process warm), that round
    took `first_round` ({variant: seconds}). Its other rounds take as long; each later batch
    size starts and warms up again (as long as the first did) and then runs its rounds, whose
    epochs cost between the first's per sample (low) and its per step (high: steps scale as
    1/batch). Warm-up epochs (tracing, compiling: minutes for `torch.compile`) are not used
    as a round's measure: they overstated the run up to six times."""
    per_round = sum(first_round.values())
    low = high = elapsed + (rounds - 1) * per_round
    for later in later_batches:
        scale = batch / later
        low += startup + rounds * per_round * min(1.0, scale)
        high += startup + rounds * per_round * max(1.0, scale)
    return low, high


def _span(low: float, high: float) -> str:
    """`about 2 min`, or `2 to 5 min` where the two ends read differently."""
    a, b = duration(low), duration(high)
    if a == b:
        return f"about {a}"
    unit_a, unit_b = a.rsplit(" ", 1)[-1], b.rsplit(" ", 1)[-1]
    return f"{a.rsplit(' ', 1)[0]} to {b}" if unit_a == unit_b and " h " not in a else f"{a} to {b}"


def duration(seconds: float) -> str:
    """`45 s`, `4 min`, `1 h 20 min`: a duration as a person reads it."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def run_batch_size(batch: int, samples: int, rounds: int, variants, device: str,
                   log=print, on_warm=None, on_first_round=None) -> list:
    """Every variant (and the shape-aware floor) at one batch size, each in its own process,
    warmed up, then timed in rounds: an epoch of each in turn per round. `on_warm({variant:
    warm-up epoch seconds})` is called once every process is warm, before the rounds;
    `on_first_round({variant: seconds})` after the first round."""
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
        warm = {}
        for name, worker in workers.items():  # warming up together; not timed
            ready = worker.receive()
            if ready:
                warm[name] = ready.get("ready", 0.0)
                log(f"  batch {batch}: {name} ready")
        if on_warm:
            on_warm(warm)
        if FLOOR in workers:  # the big matmul's rate, while the others wait
            workers[FLOOR].send("rate")
            workers[FLOOR].reply = workers[FLOOR].receive() or {}
        for i in range(rounds):
            for name, worker in workers.items():
                worker.send("epoch")
                reply = worker.receive()
                if reply:
                    times[name].append(reply["seconds"])
            if i == 0 and on_first_round:
                on_first_round({name: t[0] for name, t in times.items() if t})
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
    if model not in MODELS:
        raise UserError(f"--model {model!r}: expected one of {', '.join(MODELS)}")
    workload.MODEL = model
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise UserError(f"unknown variant(s) {sorted(unknown)}; expected some of: "
                        f"{', '.join(VARIANTS)}")
    if device == "gpu":
        _check_gpu()
    batch_sizes = list(batch_sizes)
    log(plan_line(batch_sizes, samples, rounds, variants))
    start = time.perf_counter()

    warm_at = []

    def say_estimate(first_round: dict) -> None:
        elapsed = time.perf_counter() - start
        low, high = estimate(warm_at[0], elapsed, first_round, batch_sizes[0], batch_sizes[1:],
                             rounds)
        log(f"Estimate: {_span(low, high)} in all, {_span(low - elapsed, high - elapsed)} from "
            f"now (from the first timed round at batch {batch_sizes[0]})")

    records = []
    for i, batch in enumerate(batch_sizes):
        first = i == 0
        records += run_batch_size(
            batch, samples, rounds, list(variants), device, log,
            on_warm=(lambda _: warm_at.append(time.perf_counter() - start)) if first else None,
            on_first_round=say_estimate if first else None)
    floors = [r for r in records if r["variant"] == FLOOR and "matmul_flops" in r]
    rate = max((max(r["matmul_flops"].values()) for r in floors), default=None)
    if rate is None and "tf1_data" in variants:  # no floor process ran (the CNN): measure here
        rate = measure_matmul_rate()
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


def _check_gpu() -> None:
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", "import tensorflow as tf; "
                            "print(len(tf.config.list_physical_devices('GPU')))"],
                           capture_output=True, text=True, timeout=300)
    if probe.stdout.strip() in ("", "0"):
        raise UserError("--device gpu: TensorFlow sees no GPU on this machine")
