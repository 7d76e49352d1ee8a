"""`tfmodels`: list the models, train one in either track, or prove the two tracks agree.

    tfmodels list
    tfmodels train spiral --track tf1 --epochs 50
    tfmodels compare                     # mnist_mlp on the bundled digits
    tfmodels compare --dataset mnist --data ~/Downloads/mnist.npz

A mistake in the input ends in one line on stderr (exit status 2); `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from tfmodels.registry import DEFAULT_MODEL, MODELS, get_spec

EXIT_DISAGREE = 1
EXIT_USAGE = 2


def _verbose(value: str):
    if value == "auto":
        return value
    if value not in ("0", "1", "2"):
        raise argparse.ArgumentTypeError(f"expected auto, 0, 1 or 2, got {value!r}")
    return int(value)


def _training_options(p: argparse.ArgumentParser, verbose_default) -> None:
    p.add_argument("--epochs", type=int, help="default: the model's own (see `tfmodels list`)")
    p.add_argument("--batch-size", type=int, help="default: the model's own")
    p.add_argument("--seed", type=int, help="initial weights and shuffling (default: the model's)")
    p.add_argument("--dataset", help="digits, mnist, spiral, sine, binary4 (default: the model's)")
    p.add_argument("--data", metavar="PATH", help="an mnist.npz, for --dataset mnist")
    p.add_argument("--logdir", default="logs", help="TensorBoard root (default: logs)")
    p.add_argument("--verbose", type=_verbose, default=verbose_default,
                   help=f"progress: auto, 0, 1 or 2, as in Keras (default: {verbose_default})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfmodels",
        description="Deep-learning fundamentals in Keras 3 and TF1 graphs, proven equal.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="the registered models")

    train = sub.add_parser("train", help="train a model in one track")
    train.add_argument("model", help="a name from `tfmodels list`")
    train.add_argument("--track", choices=("keras", "tf1"), default="keras")
    _training_options(train, "auto")

    compare = sub.add_parser("compare", help="train both tracks and compare them number by number")
    compare.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                         help=f"a name from `tfmodels list` (default: {DEFAULT_MODEL})")
    _training_options(compare, 2)
    return parser


def _spec_and_data(args):
    import tensorflow as tf

    from tfmodels.data import load_dataset

    if not args.debug:  # TF1 APIs warn that they are deprecated: this project uses them on purpose
        tf.get_logger().setLevel("ERROR")

    spec = get_spec(args.model, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                    dataset=args.dataset)
    return spec, load_dataset(spec.dataset, spec.seed, args.data)


def cmd_list(args) -> int:
    rows = [("model", "layers", "loss", "optimizer", "data", "epochs", "batch")]
    for spec in MODELS.values():
        layers = " -> ".join(f"{ly.units} {ly.activation}" for ly in spec.layers)
        opt = f"{spec.optimizer.name}(lr={spec.optimizer.learning_rate:g})"
        rows.append((spec.name, f"{spec.input_dim} -> {layers}", spec.loss, opt, spec.dataset,
                     str(spec.epochs), str(spec.batch_size)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def _next_step(args) -> None:
    print(f"\nNext: tensorboard --logdir={args.logdir}")


def cmd_train(args) -> int:
    from tfmodels.compare import train_keras, train_tf1
    from tfmodels.logs import new_run_dir
    from tfmodels.spec import initial_weights

    spec, data = _spec_and_data(args)
    log_dir = os.path.join(new_run_dir(args.logdir, spec.name), args.track)
    trainer = train_keras if args.track == "keras" else train_tf1
    print(f"Training {spec.name} ({spec.description}) in the {args.track} track: "
          f"{spec.epochs} epochs, batch {spec.batch_size}, {len(data.x_train)} samples")
    result = trainer(spec, data, initial_weights(spec), log_dir, args.verbose)
    final = ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.history.items())
    print(f"Final epoch: {final}")
    print(f"Logs: {log_dir}")
    _next_step(args)
    return 0


def cmd_compare(args) -> int:
    from tfmodels.compare import compare
    from tfmodels.logs import new_run_dir

    spec, data = _spec_and_data(args)
    run_dir = new_run_dir(args.logdir, spec.name)
    print(f"Comparing the Keras and TF1 tracks on {spec.name} ({spec.description}), "
          f"data {spec.dataset}: {spec.epochs} epochs, batch {spec.batch_size}, same initial "
          f"weights (seed {spec.seed}), same batches")
    report = compare(spec, data, run_dir, verbose=args.verbose)
    print()
    print(report.table())
    print(f"Logs: {os.path.join(run_dir, 'keras')} and {os.path.join(run_dir, 'tf1')}")
    _next_step(args)
    return 0 if report.ok else EXIT_DISAGREE


COMMANDS = {"list": cmd_list, "train": cmd_train, "compare": cmd_compare}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, OSError) as e:  # the user's input: say what was wrong, in one line
        if args.debug:
            raise
        message = " ".join(str(e).split())
        print(f"tfmodels: error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
