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

The package: `workload` (the variants, models and data), `variants` (the TensorFlow variants),
`peers` (PyTorch), `floors` (the matmul rates), `timing` (the processes and rounds), `report`
(the table and the files); here, the command line. `python -m tfmodels.bench --serve ...` is a
variant's own process.
"""

from __future__ import annotations

import argparse
import os

from tfmodels.bench.floors import MatmulFloor, matmul_rate
from tfmodels.bench.report import bench_table, write_docs, write_results
from tfmodels.bench.timing import run, run_batch_size, serve
from tfmodels.bench.variants import CLASSES, KerasTrack, TF1Track, missing
from tfmodels.bench.workload import (
    FLOOR,
    FLOPS_PER_SAMPLE,
    MODELS,
    PEERS,
    VARIANTS,
    bench_data,
    data_source,
    flops_per_sample,
)
from tfmodels.core.checks import int_option
from tfmodels.core.errors import UserError

__all__ = ["CLASSES", "FLOOR", "FLOPS_PER_SAMPLE", "MODELS", "PEERS", "VARIANTS", "KerasTrack",
           "MatmulFloor", "TF1Track", "add_arguments", "bench_data", "command", "data_source",
           "flops_per_sample", "main", "matmul_rate", "missing", "run", "run_batch_size", "serve",
           "table", "write_docs", "write_results"]


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
                        "(Conv2D 8 3x3, pooling, dropout, Dense 10, Adam); resnet: the residual "
                        "convnet (digits_resnet: batch norm, identity and 1x1 projection "
                        "shortcuts, Adam); the convnets on 28x28 MNIST")
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
