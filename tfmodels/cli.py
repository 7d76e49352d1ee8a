"""`tfmodels`: list the models, train one in either track, or prove the two tracks agree.

    tfmodels list
    tfmodels train spiral --track tf1 --epochs 50
    tfmodels compare                     # mnist_mlp on the bundled digits
    tfmodels compare --dataset mnist --data ~/Downloads/mnist.npz
    tfmodels compare spiral --update-freq batch --profile-batches 2,4
    tfmodels sweep spiral --lr 0.001,0.01,0.1 --batch-size 16,32 --track tf1

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


def _training_options(p: argparse.ArgumentParser, verbose_default, batch_size=True) -> None:
    p.add_argument("--epochs", type=int, help="default: the model's own (see `tfmodels list`)")
    if batch_size:
        p.add_argument("--batch-size", type=int, help="default: the model's own")
    p.add_argument("--seed", type=int, help="initial weights and shuffling (default: the model's)")
    p.add_argument("--dataset", help="digits, mnist, spiral, sine, binary4 (default: the model's)")
    p.add_argument("--data", metavar="PATH", help="an mnist.npz, for --dataset mnist")
    p.add_argument("--logdir", default="logs", help="TensorBoard root (default: logs)")
    p.add_argument("--verbose", type=_verbose, default=verbose_default,
                   help=f"progress: auto, 0, 1 or 2, as in Keras (default: {verbose_default})")


def _tensorboard_options(p: argparse.ArgumentParser) -> None:
    # Strings here, checked in _log_options: a bad value is then one line naming the option.
    g = p.add_argument_group("TensorBoard")
    g.add_argument("--update-freq", default="epoch", metavar="epoch|batch|N",
                   help="scalars per epoch, per batch (batch_loss, ...), or every N batches")
    g.add_argument("--histogram-freq", default="1", metavar="N",
                   help="weight histograms every N epochs, 0 for none (default: 1)")
    g.add_argument("--images", action=argparse.BooleanOptionalAction, default=True,
                   help="pictures (activations, fits, confusion matrix) at the end (default: on)")
    g.add_argument("--profile-batches", metavar="FIRST,LAST",
                   help="profile these training steps (from 2), e.g. 2,4")


def _log_options(args):
    from tfmodels.tensorboard import LogOptions, parse_profile_batches

    freq = args.update_freq
    if freq not in ("epoch", "batch"):
        if not freq.isdigit() or int(freq) < 1:
            raise ValueError(f"--update-freq: expected epoch, batch or a positive integer, "
                             f"got {freq!r}")
        freq = int(freq)
    if not args.histogram_freq.isdigit():
        raise ValueError(f"--histogram-freq: expected an integer >= 0, got "
                         f"{args.histogram_freq!r}")
    profile = None
    if args.profile_batches is not None:
        profile = parse_profile_batches(args.profile_batches, "--profile-batches")
    return LogOptions(update_freq=freq, histogram_freq=int(args.histogram_freq),
                      images=args.images, profile_batches=profile)


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
    _tensorboard_options(train)

    compare = sub.add_parser("compare", help="train both tracks and compare them number by number")
    compare.add_argument("model", nargs="?", default=DEFAULT_MODEL,
                         help=f"a name from `tfmodels list` (default: {DEFAULT_MODEL})")
    _training_options(compare, 2)
    _tensorboard_options(compare)

    sweep = sub.add_parser("sweep", help="train a grid of learning rates and batch sizes "
                                         "for TensorBoard's HParams dashboard")
    sweep.add_argument("model", help="a name from `tfmodels list`")
    sweep.add_argument("--lr", required=True, metavar="LR,LR,...",
                       help="learning rates, e.g. 0.001,0.01,0.1")
    sweep.add_argument("--batch-size", metavar="N,N,...",
                       help="batch sizes, e.g. 16,32 (default: the model's own)")
    sweep.add_argument("--track", choices=("keras", "tf1"), default="keras")
    _training_options(sweep, 0, batch_size=False)
    return parser


def _spec_and_data(args):
    import tensorflow as tf

    from tfmodels.data import load_dataset

    if not args.debug:  # TF1 APIs warn that they are deprecated: this project uses them on purpose
        tf.get_logger().setLevel("ERROR")

    batch_size = args.batch_size if args.command != "sweep" else None
    spec = get_spec(args.model, epochs=args.epochs, batch_size=batch_size, seed=args.seed,
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

    options = _log_options(args)
    spec, data = _spec_and_data(args)
    log_dir = os.path.join(new_run_dir(args.logdir, spec.name), args.track)
    trainer = train_keras if args.track == "keras" else train_tf1
    print(f"Training {spec.name} ({spec.description}) in the {args.track} track: "
          f"{spec.epochs} epochs, batch {spec.batch_size}, {len(data.x_train)} samples")
    result = trainer(spec, data, initial_weights(spec), log_dir, args.verbose, options)
    final = ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.history.items())
    print(f"Final epoch: {final}")
    print(f"Logs: {log_dir}")
    _next_step(args)
    return 0


def cmd_compare(args) -> int:
    from tfmodels.compare import compare
    from tfmodels.logs import new_run_dir

    options = _log_options(args)
    spec, data = _spec_and_data(args)
    run_dir = new_run_dir(args.logdir, spec.name)
    print(f"Comparing the Keras and TF1 tracks on {spec.name} ({spec.description}), "
          f"data {spec.dataset}: {spec.epochs} epochs, batch {spec.batch_size}, same initial "
          f"weights (seed {spec.seed}), same batches")
    report = compare(spec, data, run_dir, verbose=args.verbose, options=options)
    print()
    print(report.table())
    print(f"Logs: {os.path.join(run_dir, 'keras')} and {os.path.join(run_dir, 'tf1')}")
    _next_step(args)
    return 0 if report.ok else EXIT_DISAGREE


def cmd_sweep(args) -> int:
    from tfmodels.sweep import parse_list, sweep, table

    learning_rates = parse_list(args.lr, float, "--lr")
    spec, data = _spec_and_data(args)
    batch_sizes = (parse_list(args.batch_size, int, "--batch-size") if args.batch_size
                   else [spec.batch_size])
    print(f"Sweeping {spec.name} in the {args.track} track: learning rates "
          f"{', '.join(f'{lr:g}' for lr in learning_rates)} x batch sizes "
          f"{', '.join(map(str, batch_sizes))}, {spec.epochs} epochs each")

    def progress(trial):
        loss = ", ".join(f"{k} {v[-1]:.4f}" for k, v in trial.history.items())
        print(f"  lr {trial.learning_rate:g}, batch {trial.batch_size}: {loss}")

    trials = sweep(spec, data, learning_rates, batch_sizes, args.track, args.logdir,
                   args.verbose, on_trial=progress)
    print()
    print(table(trials))
    print(f"Logs: {os.path.dirname(trials[0].log_dir)} (the HParams tab)")
    _next_step(args)
    return 0


COMMANDS = {"list": cmd_list, "train": cmd_train, "compare": cmd_compare, "sweep": cmd_sweep}


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
