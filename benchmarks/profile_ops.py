"""Where a bench variant's training step spends its time, by TensorFlow op type.

    pip install -e ".[profile]"
    python benchmarks/profile_ops.py [--variant keras_track] [--batch 32] [--samples 12800]
                                     [--model mlp|cnn|resnet]

Trains one warm-up epoch, then one epoch under TensorFlow's profiler, and prints each op type's
self-time per training step (summed over threads, so on 2 cores it can exceed the step's wall
time; "Dataset" also counts tf.data's threads waiting on a full prefetch buffer). The full trace
is left in the printed folder for TensorBoard's Profile tab. `--stock-optimizer` builds the Keras
track with Keras's own RMSprop ops instead of the fused kernel, to see what that costs.
"""

import argparse
import collections
import glob
import json
import tempfile

import tensorflow as tf

from tfmodels.bench import CLASSES, KerasTrack, bench_data, workload


def op_stats(xplane: str) -> dict:
    """{op type: self-time in microseconds} from a profile, through xprof's op statistics."""
    from xprof.convert import raw_to_tool_data

    data, _ = raw_to_tool_data.xspace_to_tool_data([xplane], "framework_op_stats", {})
    table = json.loads(data)[0]
    ids = [c["id"] for c in table["cols"]]
    totals = collections.Counter()
    for row in table["rows"]:
        r = dict(zip(ids, (c.get("v") for c in row["c"])))
        totals[r["type"]] += r["total_self_time"]
    totals.pop("IDLE", None)  # threads waiting for work
    return totals


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", default="keras_track", choices=sorted(CLASSES))
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--samples", type=int, default=12_800)
    p.add_argument("--stock-optimizer", action="store_true")
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--model", default="mlp", choices=["mlp", "cnn", "resnet"],
                   help="the bench's models (`tfmodels bench --model`)")
    args = p.parse_args()
    workload.MODEL = args.model
    try:
        import xprof  # noqa: F401
    except ImportError:
        raise SystemExit("profile_ops.py needs xprof: pip install -e '.[profile]'") from None
    if args.stock_optimizer:
        KerasTrack.speed_switches = {"fused_optimizer": False}
    x, y, _ = bench_data(args.samples)
    x = workload.shaped(x)
    runner = CLASSES[args.variant](x, y, args.batch)
    runner.epoch()  # tracing and first-call costs stay out of the profile
    logdir = tempfile.mkdtemp(prefix="profile_ops-")
    tf.profiler.experimental.start(logdir)
    runner.epoch()
    tf.profiler.experimental.stop()
    (xplane,) = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)
    totals = op_stats(xplane)
    steps = -(-args.samples // args.batch)
    total = sum(totals.values())
    print(f"{args.variant}, batch {args.batch}: {total / 1e3 / steps:.3f} ms of op time a step")
    for op, t in totals.most_common(args.top):
        print(f"  {op:32s} {100 * t / total:5.1f}%  {t / 1e3 / steps:.3f} ms/step")
    print(f"trace: {logdir} (tensorboard --logdir {logdir})")


if __name__ == "__main__":
    main()
