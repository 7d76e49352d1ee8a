"""The migration kit at scale: a BERT-base-sized TF1 checkpoint into KerasHub's BertBackbone.

    python benchmarks/kit_scale.py                      # BERT-base: L=12, H=768, A=12, I=3072
    python benchmarks/kit_scale.py --layers 2 --hidden 64 --heads 4 --intermediate 128 \\
        --vocab 500 --positions 64                      # a quick run of the same steps

Each step runs in a process of its own, whose time and peak resident memory (`os.wait4`'s
`ru_maxrss`, that process alone, started from a small launcher) are measured:

1. `write`: `examples/keras_hub/tf1_bert.py` (google-research/bert's variable names and maths)
   at the given sizes, its random weights saved by its own `Saver` (BERT-base: 110M parameters,
   ~440 MB); not timed against anything, it only makes the checkpoint;
2. `floor`: Python, TensorFlow and KerasHub imported and the backbone built, nothing read: what
   any conversion in one process holds before it reads a tensor;
3. `convert`: `tfmodels convert --from tf1 --to keras CKPT model.keras --keras-model
   FACTORY` (no map file: the kit's known layout), the figure the issue asks for: seconds, and
   peak memory against the checkpoint's size (the convert's own, and above the floor);
4. `check`: the TF1 program (restored by its Saver, GELU in the tanh form KerasHub computes) and
   the `.keras` file loaded, both run on 2 sequences of 128 tokens, the largest difference
   printed (`--no-check` leaves it out). `tfmodels verify` takes one float input today, so it
   cannot run a three-input int model; this step stands in for it.

The table is printed and the figures written to `benchmarks/results-kit-<host>-<date>.json`
(`-2`, `-3`, ... where one exists: never overwritten). The checkpoint and the `.keras` file go to
`--workdir` (default: a temporary folder, removed after).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples", "keras_hub")

# Run in the step's own process: `python kit_scale.py --step NAME WORKDIR`.
FACTORY = """import json, os, sys
sys.path.insert(0, {examples!r})
from hub_backbones import bert


def backbone():
    with open(os.path.join(os.path.dirname(__file__), "config.json")) as f:
        return bert(**json.load(f))
"""


def _config(args) -> dict:
    return dict(vocab_size=args.vocab, hidden_size=args.hidden, num_hidden_layers=args.layers,
                num_attention_heads=args.heads, intermediate_size=args.intermediate,
                max_position_embeddings=args.positions, type_vocab_size=2, gelu="erf")


def _step_write(workdir: str, config: dict) -> dict:
    sys.path.insert(0, EXAMPLES)
    import tf1_bert

    tf1_bert.save(os.path.join(workdir, "ckpt", "model.ckpt"), config)
    return {}


def _step_floor(workdir: str, config: dict) -> dict:
    sys.path.insert(0, workdir)
    import factory

    import tfmodels.cli  # noqa: F401 - what `tfmodels convert` imports

    return {"params": int(factory.backbone().count_params())}


def _step_check(workdir: str, config: dict) -> dict:
    import keras
    import numpy as np
    import tensorflow as tf

    sys.path.insert(0, EXAMPLES)
    import tf1_bert

    rng = np.random.default_rng(0)
    shape = (2, min(128, config["max_position_embeddings"]))
    ids = rng.integers(0, config["vocab_size"], shape).astype(np.int32)
    mask = np.ones(shape, np.int32)
    mask[1, shape[1] // 2:] = 0
    types = rng.integers(0, 2, shape).astype(np.int32)
    graph = tf.Graph()
    with graph.as_default():
        inputs, outputs = tf1_bert.build(dict(config, gelu="tanh"))
        with tf.compat.v1.Session(graph=graph) as session:
            tf.compat.v1.train.Saver().restore(session, os.path.join(workdir, "ckpt",
                                                                     "model.ckpt"))
            want = session.run(outputs, dict(zip(inputs, (ids, mask, types))))
    model = keras.saving.load_model(os.path.join(workdir, "model.keras"), compile=False)
    got = model({"token_ids": ids, "segment_ids": types, "padding_mask": mask})
    got = (got["sequence_output"], got["pooled_output"])
    return {"max_abs_diff": float(max(np.abs(np.asarray(g) - w).max()
                                      for g, w in zip(got, want)))}


STEPS = {"write": _step_write, "floor": _step_floor, "check": _step_check}


# Each step is started by this small launcher, which reports the step's own peak: a child's
# ru_maxrss on Linux counts the memory of the process it was spawned from (vfork, then exec), so
# a step spawned straight from a large process (a test run holding TensorFlow) would show that.
_LAUNCH = """import json, os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
               "seconds": time.perf_counter() - start}, f)
"""


def _measured(argv: list, label: str) -> dict:
    """Run `argv` as a step of its own; its seconds, its own peak RSS (MB) and the JSON it
    printed last."""
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        with open(os.path.join(folder, "out"), "w+") as out, \
                open(os.path.join(folder, "err"), "w+") as err:
            subprocess.run([sys.executable, "-c", _LAUNCH, report, *argv], stdout=out,
                           stderr=err, check=False)
            out.seek(0), err.seek(0)
            printed, said = out.read(), err.read()
        with open(report) as f:
            measured = json.load(f)
    if measured["code"]:
        raise SystemExit(f"{label} failed (exit {measured['code']}):\n{said[-3000:]}")
    last = [line for line in printed.splitlines() if line.startswith("{")]
    extra = json.loads(last[-1]) if last else {}
    return {"step": label, "seconds": round(measured["seconds"], 2),
            "peak_rss_mb": round(measured["maxrss_kb"] / 1024, 1), **extra}


def _size(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def _write_results(facts: dict, records: list, out_dir: str) -> str:
    from tfmodels.bench.report import write_new_results  # the bench's rule: never overwrite

    return write_new_results(records, facts, out_dir,
                             f"results-kit-{facts['host']}-{facts['date']}")


def _run(args, workdir: str) -> int:
    config = _config(args)
    with open(os.path.join(workdir, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(workdir, "factory.py"), "w") as f:
        f.write(FACTORY.format(examples=EXAMPLES))
    me = [sys.executable, os.path.abspath(__file__), "--step"]
    records = [_measured(me + ["write", workdir], "write")]
    checkpoint = _size(os.path.join(workdir, "ckpt"))
    records.append(_measured(me + ["floor", workdir], "floor"))
    convert = [sys.executable, "-c", "import sys; from tfmodels.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "convert", "--from", "tf1", "--to", "keras",
               os.path.join(workdir, "ckpt", "model.ckpt"), os.path.join(workdir, "model.keras"),
               "--keras-model", os.path.join(workdir, "factory.py") + ":backbone"]
    records.append(_measured(convert, "convert"))
    if not args.no_check:
        records.append(_measured(me + ["check", workdir], "check"))
    mb = checkpoint / 2**20
    floor, conv = records[1]["peak_rss_mb"], records[2]["peak_rss_mb"]
    facts = {"host": socket.gethostname(), "date": datetime.date.today().isoformat(),
             "cpus": os.cpu_count(), "python": platform.python_version(), "config": config,
             "params": records[1].get("params"), "checkpoint_mb": round(mb, 1),
             "keras_file_mb": round(os.path.getsize(os.path.join(workdir, "model.keras"))
                                    / 2**20, 1),
             "convert_peak_over_checkpoint": round(conv / mb, 2),
             "convert_above_floor_over_checkpoint": round((conv - floor) / mb, 2),
             "convert_seconds_above_floor": round(records[2]["seconds"] - records[1]["seconds"],
                                                  1),
             "command": " ".join(sys.argv), "versions": _versions()}
    print(f"{'step':<8} {'seconds':>8} {'peak RSS MB':>12}  note")
    for r in records:
        note = {"write": f"checkpoint {mb:.0f} MB, {facts['params']:,} parameters",
                "floor": "TF + KerasHub imported, backbone built",
                "convert": f"peak {conv / mb:.2f}x the checkpoint, {(conv - floor) / mb:.2f}x "
                           f"above the floor; {facts['convert_seconds_above_floor']:.1f} s "
                           f"above it",
                "check": f"largest |TF1 - Keras| {r.get('max_abs_diff', 0):.2e}"}[r["step"]]
        print(f"{r['step']:<8} {r['seconds']:>8.1f} {r['peak_rss_mb']:>12.0f}  {note}")
    print("written:", _write_results(facts, records, args.out_dir))
    return 0


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("tensorflow", "keras", "keras-hub"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--hidden", type=int, default=768)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--intermediate", type=int, default=3072)
    p.add_argument("--vocab", type=int, default=30522)
    p.add_argument("--positions", type=int, default=512)
    p.add_argument("--workdir", help="where the checkpoint and .keras file go (kept)")
    p.add_argument("--out-dir", default=os.path.join(ROOT, "benchmarks"),
                   help="where results-kit-<host>-<date>.json goes")
    p.add_argument("--no-check", action="store_true", help="leave out the outputs' check")
    p.add_argument("--step", nargs=2, metavar=("NAME", "WORKDIR"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        name, workdir = args.step
        with open(os.path.join(workdir, "config.json")) as f:
            print(json.dumps(STEPS[name](workdir, json.load(f))))
        return 0
    for name in ("layers", "hidden", "heads", "intermediate", "vocab", "positions"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be a positive integer")
    if args.hidden % args.heads:
        p.error(f"--hidden {args.hidden} must be a multiple of --heads {args.heads}")
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        return _run(args, args.workdir)
    workdir = tempfile.mkdtemp(prefix="kit-scale-")
    try:
        return _run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
