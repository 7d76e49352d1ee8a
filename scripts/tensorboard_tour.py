"""One of everything TensorBoard can show of this project, in well under a minute on 2 cores.

    python scripts/tensorboard_tour.py                  # into logs/tour
    python scripts/tensorboard_tour.py --logdir /tmp/tour
    tensorboard --logdir logs/tour

It runs the `tfmodels` commands a user would type (printed as it goes), each into `--logdir`:

- `compare mnist_mlp` with per-batch scalars and a profile of steps 2-4: Scalars (both tracks
  and `parity/`), Graphs (TF1 graph with profiled session runs; Keras conceptual and traced op
  graph), Histograms, Images (confusion matrix, misclassified digits), Profile (Keras);
- `compare spiral`: Images, the decision regions;
- `compare sine`: Images, the sine fit linear vs ReLU;
- `sweep mnist_mlp` over learning rates and batch sizes: HParams (too small a rate crawls,
  too large a one jumps about: C10).

Epochs are cut short so the tour stays quick; the pictures look better at the models' own
epoch counts (`tfmodels compare spiral`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

TOUR = [
    ["compare", "mnist_mlp", "--epochs", "3", "--update-freq", "batch",
     "--profile-batches", "2,4"],
    ["compare", "spiral", "--epochs", "15"],
    ["compare", "sine", "--epochs", "8"],
    ["sweep", "mnist_mlp", "--lr", "0.0001,0.001,0.01,0.1", "--batch-size", "32,128",
     "--epochs", "3"],
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default=os.path.join("logs", "tour"),
                        help="where the runs go (default: logs/tour)")
    args = parser.parse_args(argv)

    from tfmodels.cli import main as tfmodels

    start = time.perf_counter()
    for command in TOUR:
        command = command + ["--logdir", args.logdir, "--verbose", "0"]
        print(f"\n$ tfmodels {' '.join(command)}", flush=True)
        status = tfmodels(command)
        if status != 0:
            print(f"tensorboard_tour: `tfmodels {command[0]}` exited with {status}",
                  file=sys.stderr)
            return status
    print(f"\nThe tour took {time.perf_counter() - start:.0f} s. "
          f"Next: tensorboard --logdir={args.logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
