"""Each bench variant's speed and CPU use, epoch by epoch, all in one process (a diagnostic,
not part of `tfmodels bench`: an epoch that uses well under one core is waiting on something -
how the TF1 `tf.data` path's idle iterator re-initialisation was found, tfmodels.core.data.untuned).

    python benchmarks/probe_rounds.py [--samples 20000] [--rounds 5] [--variants a,b,...]

Prints `round variant samples/s cores`, where cores is CPU time over wall time: about 1.5 for a
variant that computes on this 2-core machine, well under 1 for one that waits.
"""

import argparse
import os
import time

from tfmodels.bench import CLASSES, bench_data


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--variants", default="keras_default,keras_track,tf1_feed,tf1_data,"
                                         "tf2_function,torch")
    args = p.parse_args()
    x, y, _ = bench_data(args.samples)
    names = args.variants.split(",")
    runners = {name: CLASSES[name](x, y, args.batch) for name in names}
    for round_ in range(args.rounds):
        for name in names:
            start, cpu = time.perf_counter(), os.times()
            runners[name].epoch()
            wall, end = time.perf_counter() - start, os.times()
            cores = (end.user - cpu.user + end.system - cpu.system) / wall
            print(f"{round_} {name:14s} {args.samples / wall:8.0f} samples/s  {cores:.2f} cores",
                  flush=True)


if __name__ == "__main__":
    main()
