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
EXIT_DIVERGED = 3


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
    _debug_option(p)


def _debug_option(p: argparse.ArgumentParser) -> None:
    # Accepted before or after the command; SUPPRESS keeps a subcommand from resetting it.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks of errors")


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
    train.add_argument("--checkpoint-dir", metavar="DIR",
                       help="save at every epoch end; run the same command again to resume")
    train.add_argument("--save-every", type=int, metavar="N",
                       help="also save every N training steps (needs --checkpoint-dir)")
    train.add_argument("--deterministic", action="store_true",
                       help="seed everything and enable TensorFlow's op determinism")
    _training_options(train, "auto")

    convert = sub.add_parser("convert", help="move weights between a TF1 checkpoint and Keras")
    convert.add_argument("source", help="a checkpoint folder of `train`, a TF1 checkpoint "
                                        "prefix, or a .keras / .weights.h5 file")
    convert.add_argument("target", help="a .keras or .weights.h5 file, or a TF1 checkpoint prefix")
    convert.add_argument("--from", dest="from_track", choices=("keras", "tf1"), required=True)
    convert.add_argument("--to", dest="to_track", choices=("keras", "tf1"), required=True)
    convert.add_argument("--model", help="the model, where the source does not name it")
    convert.add_argument("--dataset", help="the data set it was trained on (sets input size)")
    _debug_option(convert)

    compare = sub.add_parser("compare", help="train both tracks and compare them number by number")
    compare.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                         help=f"a name from `tfmodels list` (default: {DEFAULT_MODEL})")
    _training_options(compare, 2)
    return parser


def _quiet_tf(args) -> None:
    import tensorflow as tf

    if not args.debug:  # TF1 APIs warn that they are deprecated: this project uses them on purpose
        tf.get_logger().setLevel("ERROR")


def _spec_and_data(args):
    from tfmodels.data import load_dataset
    from tfmodels.logs import check_logdir

    spec = get_spec(args.model, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                    dataset=args.dataset)
    check_logdir(args.logdir)
    _quiet_tf(args)
    data = load_dataset(spec.dataset, spec.seed, args.data)
    if args.batch_size is not None and args.batch_size > len(data.x_train):
        raise ValueError(f"--batch-size {spec.batch_size} is larger than the "
                         f"{len(data.x_train)} training samples of {spec.dataset}")
    return spec, data


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
    from tfmodels.training import train

    if args.save_every is not None and (args.save_every < 1 or not args.checkpoint_dir):
        raise ValueError(f"--save-every {args.save_every}: needs a positive number of steps "
                         "and --checkpoint-dir")
    spec, data = _spec_and_data(args)
    if args.deterministic:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(spec.seed)
        tf.config.experimental.enable_op_determinism()
    print(f"Training {spec.name} ({spec.description}) in the {args.track} track: "
          f"{spec.epochs} epochs, batch {spec.batch_size}, {len(data.x_train)} samples")
    result = train(args.track, spec, data, logdir=args.logdir,
                   checkpoint_dir=args.checkpoint_dir, save_every=args.save_every,
                   verbose=args.verbose)
    final = ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.history.items())
    print(f"Final epoch: {final}")
    if args.checkpoint_dir:
        print(f"Checkpoint: {args.checkpoint_dir}")
    print(f"Logs: {result.log_dir}")
    _next_step(args)
    return 0


def cmd_convert(args) -> int:
    from tfmodels.convert import convert

    _quiet_tf(args)
    spec = convert(args.source, args.target, args.from_track, args.to_track, args.model,
                   args.dataset)
    print(f"Wrote the weights of {spec.name} from {args.source} ({args.from_track}) to "
          f"{args.target} ({args.to_track})")
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


COMMANDS = {"list": cmd_list, "train": cmd_train, "compare": cmd_compare,
            "convert": cmd_convert}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, OSError, FloatingPointError) as e:  # say what was wrong, in one line
        if args.debug:
            raise
        message = " ".join(str(e).split())
        print(f"tfmodels: error: {message}", file=sys.stderr)
        # FloatingPointError: tfmodels.training.Diverged, a loss that became NaN or infinite
        return EXIT_DIVERGED if isinstance(e, FloatingPointError) else EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
