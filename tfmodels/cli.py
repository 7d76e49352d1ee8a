"""`tfmodels`: list the models, train one in either track, or prove the two tracks agree.

    tfmodels list
    tfmodels train spiral --track tf1 --epochs 50
    tfmodels compare                     # mnist_mlp on the bundled digits
    tfmodels compare --dataset mnist --data ~/Downloads/mnist.npz
    tfmodels compare --spec my_model.json    # a model of your own, in the spec's vocabulary

Every command ends with the exit status of `tfmodels.core.errors` (README: "Exit statuses"): 0 done,
1 the tracks disagree, 2 a mistake in the input, 3 training diverged, 4 the environment failed,
70 a bug of ours. Statuses 2 to 4 are one line on stderr (`--debug` adds the traceback); a bug
says it is one and prints its traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback

from tfmodels.bench import add_arguments as add_bench_arguments
from tfmodels.core.checks import batch_size_for, check_batch_size, int_option
from tfmodels.core.errors import (
    EXIT_BUG,
    EXIT_DISAGREE,
    UserError,
    exit_status,
    folded,
    io_failure,
    lost_peer,
    one_line,
)
from tfmodels.core.inputs import num_samples
from tfmodels.core.registry import DEFAULT_MODEL, MODELS, get_spec, override
from tfmodels.core.spec import TRACKS, ModelSpec, OptimizerSpec
from tfmodels.core.table import table

__all__ = [
    "FLAGS", "as_flags", "POSITIVE_INT", "NON_NEGATIVE_INT", "build_parser", "layer_summary",
    "cmd_list", "cmd_train", "cmd_convert", "cmd_compare", "cmd_sweep", "cmd_evaluate",
    "cmd_predict", "cmd_bench", "cmd_verify", "cmd_run", "COMMANDS", "main",
]

# The library names what it refuses by its parameter (`batch_size=5000`, `strategy=gpu`); a CLI
# user gave it as a flag. Every error line the CLI prints says the flag instead, translated by
# this table and `as_flags` only. A key with `=value` is a switch's whole word.
FLAGS = {
    "batch_size": "--batch-size",
    "epochs": "--epochs",
    "strategy": "--strategy",
    "tpu": "--tpu",
    "cpu_replicas": "--cpu-replicas",
    "tf1_pattern": "--tf1-pattern",
    "track": "--track",
    "log_root": "--logdir",
    "checkpoint_dir": "--checkpoint-dir",
    "steps_per_execution": "--steps-per-execution",
    "jit_compile=True": "--jit-compile",
    "fused_optimizer=False": "--no-fused-optimizer",
    "spec file": "--spec",
    "dataset": "--dataset",
    "data": "--data",
    "path": "--data",  # load_dataset's mnist.npz
    "mnist_path": "--mnist",
    "output": "--output",
    # convert and verify (the migration kit)
    "from_track": "--from",
    "to_track": "--to",
    "model": "--model",
    "mapping": "--map",
    "allow_missing": "--allow-missing",
    "keras_model": "--keras-model",
    "graph": "--tf1-graph",
    "int_range": "--int-range",
    "inputs": "--input",
}


def _flag_words() -> dict:
    """The library's words -> the CLI's: `name=value` -> `--flag value` for every name; the name
    alone too where it is nothing but a parameter's (a spec file's field, `batch_size must be
    ...`, keeps its name: the user wrote it in the file)."""
    fields = {f.name for f in dataclasses.fields(ModelSpec)}
    words = {}
    for name, flag in FLAGS.items():
        if "=" in name:
            words[name] = flag
            continue
        words[f"{name}="] = f"{flag} "
        if ("_" in name or " " in name) and name not in fields:
            words[name] = flag
    return words


_WORDS = _flag_words()
_FLAG_WORDS = re.compile("|".join(
    rf"(?<![\w.-]){re.escape(w)}" + ("" if w.endswith("=") else r"(?![\w-])")
    for w in sorted(_WORDS, key=len, reverse=True)))


def as_flags(message: str) -> str:
    """A library message in the CLI's words: `batch_size=5000` as `--batch-size 5000`, ..."""
    return _FLAG_WORDS.sub(lambda m: _WORDS[m[0]], message)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose mistakes are one line (`tfmodels train: error: argument
    --epochs: ...`, no usage block) and exit status 2, like every other mistake."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see "
                     f"`{self.prog} --help`)\n")


POSITIVE_INT = int_option(1)
NON_NEGATIVE_INT = int_option(0, most=None)  # --seed: its bound (2**32) is said by check_seed


def _verbose(value: str):
    if value == "auto":
        return value
    if value not in ("0", "1", "2"):
        raise argparse.ArgumentTypeError(f"expected auto, 0, 1 or 2, got {value!r}")
    return int(value)


def _training_options(p: argparse.ArgumentParser, verbose_default, batch_size=True) -> None:
    p.add_argument("--spec", metavar="FILE",
                   help="a model of your own: a JSON (or TOML) file in the spec's vocabulary, "
                        "instead of a registered model (README: Models of your own)")
    p.add_argument("--epochs", type=POSITIVE_INT,
                   help="default: the model's own (see `tfmodels list`)")
    if batch_size:
        p.add_argument("--batch-size", type=POSITIVE_INT, help="default: the model's own")
    p.add_argument("--seed", type=NON_NEGATIVE_INT,
                   help="initial weights and shuffling (default: the model's)")
    p.add_argument("--dataset", help="digits, mnist, spiral, sine, binary4 (default: the model's)")
    p.add_argument("--data", metavar="PATH", help="an mnist.npz, for --dataset mnist")
    # None until main() fills in "logs": a resumed run must know if --logdir was given.
    p.add_argument("--logdir", help="TensorBoard root (default: logs)")
    p.add_argument("--verbose", type=_verbose, default=verbose_default,
                   help=f"progress: auto, 0, 1 or 2, as in Keras (default: {verbose_default})")
    _debug_option(p)


def _debug_option(p: argparse.ArgumentParser) -> None:
    # Accepted before or after the command; SUPPRESS keeps a subcommand from resetting it.
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks of errors")


def _checkpoint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint-dir", metavar="DIR",
                   help="save at every epoch end; run the same command again to resume")
    p.add_argument("--save-every", type=int, metavar="N",
                   help="also save every N training steps (needs --checkpoint-dir)")


def _speed_options(p: argparse.ArgumentParser) -> None:
    """The switches of how a step runs, the same for train, compare and sweep."""
    p.add_argument("--deterministic", action="store_true",
                   help="seed everything and enable TensorFlow's op determinism")
    p.add_argument("--jit-compile", action="store_true",
                   help="Keras track: compile with XLA (faster; no longer equal to TF1)")
    p.add_argument("--steps-per-execution", type=POSITIVE_INT, metavar="N",
                   help="Keras track: run N steps per call, callbacks every N steps "
                        "(default: 32; 1 with --save-every, --update-freq batch|N, "
                        "--profile-batches or several replicas)")
    p.add_argument("--no-fused-optimizer", dest="fused_optimizer", action="store_false",
                   help="Keras track: update RMSprop with Keras's own ops instead of "
                        "TensorFlow's fused kernel (slower; ~1 ulp a step from TF1)")


def _speed(args, spec) -> dict:
    """The Keras track's speed switches as `train` takes them; --deterministic acts at once."""
    if args.deterministic:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(spec.seed)
        tf.config.experimental.enable_op_determinism()
    return {"jit_compile": args.jit_compile, "steps_per_execution": args.steps_per_execution,
            "fused_optimizer": args.fused_optimizer}


def _check_switches(args) -> None:
    """The Keras track's switches are refused for the TF1 track before anything is printed."""
    from tfmodels.training import check_switches

    check_switches(args.track, args.jit_compile, args.steps_per_execution,
                   args.fused_optimizer)


def _refuse_checkpoints(args, reason: str) -> None:
    for option in ("checkpoint_dir", "save_every"):
        if getattr(args, option) is not None:
            raise UserError(f"--{option.replace('_', '-')}: {args.command} {reason}")


def _strategy_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("devices (see README: Scaling out)")
    g.add_argument("--strategy", metavar="NAME",
                   help="auto, cpu, gpu, mirrored, tpu or multiworker (default: none, "
                        "TensorFlow's own placement)")
    g.add_argument("--cpu-replicas", type=POSITIVE_INT, metavar="N",
                   help="split the CPU into N logical devices (e.g. for --strategy mirrored)")
    g.add_argument("--tpu", metavar="ADDRESS", help="a remote TPU, grpc://HOST:PORT")
    g.add_argument("--tf1-pattern", metavar="NAME",
                   help="how the TF1 track uses several devices: towers (default) or strategy; "
                        "a ps/worker cluster (--strategy multiworker): sync (default) or async")


def _plan(args, spec=None):
    """The resolved --strategy (printed), or None; refused for `spec` where it cannot take
    it (several named inputs)."""
    if not getattr(args, "strategy", None):
        if getattr(args, "tpu", None):
            raise UserError("--tpu needs --strategy tpu or auto")
        if getattr(args, "tf1_pattern", None):
            raise UserError(f"--tf1-pattern {args.tf1_pattern} needs --strategy (how the TF1 "
                            f"track uses several devices)")
        return None
    from tfmodels.core.strategy import resolve, tf1_pattern_for

    plan = resolve(args.strategy, tpu=args.tpu)
    tf1_pattern_for(plan, args.tf1_pattern)  # checked before anything is said or written
    if spec is not None:
        from tfmodels.training import check_distributable

        check_distributable(spec, plan)
    print(f"Devices: {plan.describe()}")
    return plan


def _tensorboard_options(p: argparse.ArgumentParser, histogram_freq="1", images=True) -> None:
    # Strings here, checked in _log_options: a bad value is then one line naming the option.
    g = p.add_argument_group("TensorBoard")
    g.add_argument("--update-freq", default="epoch", metavar="epoch|batch|N",
                   help="scalars per epoch, per batch (batch_loss, ...), or every N batches")
    g.add_argument("--histogram-freq", default=histogram_freq, metavar="N",
                   help=f"weight histograms every N epochs, 0 for none (default: "
                        f"{histogram_freq})")
    g.add_argument("--images", action=argparse.BooleanOptionalAction, default=images,
                   help=f"pictures (activations, fits, confusion matrix) at the end (default: "
                        f"{'on' if images else 'off'})")
    g.add_argument("--profile-batches", metavar="FIRST,LAST",
                   help="profile these training steps (from 2), e.g. 2,4")


def _log_options(args):
    from tfmodels.core.logs import LogOptions, parse_profile_batches

    freq = args.update_freq
    if freq not in ("epoch", "batch"):
        if not freq.isdigit() or int(freq) < 1:
            raise UserError(f"--update-freq: expected epoch, batch or a positive integer, "
                            f"got {freq!r}")
        freq = int(freq)
    if not args.histogram_freq.isdigit():
        raise UserError(f"--histogram-freq: expected an integer >= 0, got "
                        f"{args.histogram_freq!r}")
    profile = None
    if args.profile_batches is not None:
        profile = parse_profile_batches(args.profile_batches, "--profile-batches")
    return LogOptions(update_freq=freq, histogram_freq=int(args.histogram_freq),
                      images=args.images, profile_batches=profile)


def _add_train(sub) -> None:
    train = sub.add_parser("train", help="train a model in one track")
    train.add_argument("model", nargs="?", help="a name from `tfmodels list` (or --spec FILE)")
    train.add_argument("--track", choices=TRACKS, default="keras")
    _checkpoint_options(train)
    _speed_options(train)
    _training_options(train, "auto")
    _tensorboard_options(train)
    _strategy_options(train)


def _add_convert(sub) -> None:
    convert = sub.add_parser("convert", help="move weights between a TF1 checkpoint and Keras "
                                             "(or from a Keras 2 file into Keras 3)")
    convert.add_argument("source", help="a checkpoint folder of `train`, a TF1 checkpoint "
                                        "prefix, or a .keras / .weights.h5 file")
    convert.add_argument("target", help="a .keras or .weights.h5 file, or a TF1 checkpoint prefix")
    convert.add_argument("--from", dest="from_track", choices=(*TRACKS, "keras2"), required=True,
                         help="keras2: a tf_keras .h5 file (model.save or save_weights), its "
                              "save_weights TF checkpoint or SavedModel folder, into the Keras 3 "
                              "model --keras-model (or --model) gives")
    convert.add_argument("--to", dest="to_track", choices=TRACKS, required=True)
    convert.add_argument("--model", help="the model, where the source does not name it")
    convert.add_argument("--dataset", help="the data set it was trained on (sets input size)")
    migrate = convert.add_argument_group(
        "any TF1 checkpoint <-> any Keras 3 model (README: Any TF1 checkpoint into a Keras 3 "
        "model)")
    migrate.add_argument("--keras-model", metavar="MODEL",
                         help="the Keras model: a .keras file or module:factory (a function "
                              "returning a built model); --from tf1 fills it, --from keras reads "
                              "a .weights.h5 source into it")
    migrate.add_argument("--tf1-graph", metavar="MODULE:BUILD",
                         help="--to tf1: a function making the TF1 program's variables (in a "
                              "fresh graph); their names and shapes are matched")
    migrate.add_argument("--map", metavar="FILE",
                         help='a JSON file {"keras weight path": "tf1 variable name", ...} that '
                              "decides before names, order and shapes")
    migrate.add_argument("--allow-missing", action="append", metavar="NAME",
                         help="a weight that may keep its initial value where nothing matches "
                              "it (repeat it, or NAME,NAME)")
    migrate.add_argument("--forget-bias", type=float, default=1.0,
                         help="the TF1 LSTM cells' forget_bias, not stored in checkpoints "
                              "(default: 1.0, TF1's)")
    _debug_option(convert)


def _add_compare(sub) -> None:
    compare = sub.add_parser("compare", help="train both tracks and compare them number by number")
    compare.add_argument("model", nargs="?",
                         help=f"a name from `tfmodels list` (default: {DEFAULT_MODEL}; or "
                              f"--spec FILE)")
    compare.add_argument("--track", help=argparse.SUPPRESS)  # refused with a reason
    _checkpoint_options(compare)
    _speed_options(compare)
    _training_options(compare, 2)
    _tensorboard_options(compare)
    _strategy_options(compare)


def _add_sweep(sub) -> None:
    sweep = sub.add_parser("sweep", help="train a grid of learning rates and batch sizes "
                                         "for TensorBoard's HParams dashboard")
    sweep.add_argument("model", nargs="?", help="a name from `tfmodels list` (or --spec FILE)")
    sweep.add_argument("--lr", required=True, metavar="LR,LR,...",
                       help="learning rates, e.g. 0.001,0.01,0.1")
    sweep.add_argument("--batch-size", metavar="N,N,...",
                       help="batch sizes, e.g. 16,32 (default: the model's own)")
    sweep.add_argument("--track", choices=TRACKS, default="keras")
    _checkpoint_options(sweep)
    _speed_options(sweep)
    _training_options(sweep, 0, batch_size=False)
    _tensorboard_options(sweep, histogram_freq="0", images=False)
    _strategy_options(sweep)


def _add_checkpoint_readers(sub) -> None:
    """`evaluate` and `predict`: a checkpoint folder of `train`, read."""
    evaluate = sub.add_parser("evaluate", help="loss and metrics of a checkpoint of `train`")
    evaluate.add_argument("checkpoint_dir", metavar="CHECKPOINT_DIR",
                          help="the --checkpoint-dir of a `tfmodels train` run (either track)")
    evaluate.add_argument("--data", metavar="FILE",
                          help="an .npz with arrays x and y (default: the validation split of "
                               "the model's data set)")
    evaluate.add_argument("--mnist", metavar="PATH",
                          help="an mnist.npz, for a model trained on --dataset mnist")
    _debug_option(evaluate)

    predict = sub.add_parser("predict", help="the outputs of a checkpoint of `train` for inputs")
    predict.add_argument("checkpoint_dir", metavar="CHECKPOINT_DIR",
                         help="the --checkpoint-dir of a `tfmodels train` run (either track)")
    predict.add_argument("--data", metavar="FILE", required=True,
                         help="inputs: an .npy, an .npz with an array x, or a .csv of rows")
    predict.add_argument("--output", metavar="FILE",
                         help="write the outputs to a .npy or .csv file (default: print them)")
    _debug_option(predict)


def _add_bench(sub) -> None:
    bench = sub.add_parser("bench", help="time both tracks against their peers and the "
                                         "machine's arithmetic floor")
    add_bench_arguments(bench)  # the benchmark's options, declared with it
    _debug_option(bench)


def _add_verify(sub) -> None:
    verify = sub.add_parser("verify", help="prove that a Keras 3 model computes what your TF1 "
                                           "model function computed (tfmodels.migration)")
    side = verify.add_mutually_exclusive_group(required=True)
    side.add_argument("--tf1", metavar="MODULE:BUILD",
                      help="your TF1 model function build(inputs, training) returning the "
                           "outputs (module:function or path/to/file.py:function)")
    side.add_argument("--model-fn", metavar="MODULE:MODEL_FN",
                      help="your TF1 Estimator model_fn(features, labels, mode) instead")
    side.add_argument("--keras2", metavar="FILE|MODULE:FACTORY",
                      help="a Keras 2 (tf_keras) model instead: an .h5 file of model.save, a "
                           "SavedModel folder or path/to/file.py:factory returning a tf_keras "
                           "model, run by tf_keras in a process of its own: its weights fill "
                           "--keras, the outputs are compared, then --steps training steps "
                           "(its compiled optimizer, else --optimizer; dropout masks aligned)")
    verify.add_argument("--keras", metavar="MODEL",
                        help="the Keras 3 model: module:factory (a function returning a built "
                             "model) or a .keras file; omitted, the TF1 function inside a "
                             "TF1StyleLayer")
    verify.add_argument("--input-shape", metavar="D,D,...",
                        help="one sample's shape, without the batch, e.g. 28,28,1 (one float32 "
                             "input); omitted, each input of the --keras model as it declares "
                             "it (several, integer ids: see --int-range)")
    _verify_options(verify)  # the library's Options, declared once there
    _debug_option(verify)


def _add_run(sub) -> None:
    run = sub.add_parser("run", help="run an unmodified TF 1.x program on TensorFlow 2.16+ "
                                     "(tf.layers, tf.contrib, tf.estimator: tf1_compat)")
    run.add_argument("program", help="the TF1 program, a .py file")
    run.add_argument("program_args", nargs=argparse.REMAINDER, metavar="ARG",
                     help="its own arguments, passed on as they are")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, each command's options declared once, in its `_add_*`."""
    parser = _Parser(
        prog="tfmodels",
        description="Deep-learning fundamentals in Keras 3 and TF1 graphs, proven equal.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the registered models")
    for add in (_add_train, _add_convert, _add_compare, _add_sweep, _add_checkpoint_readers,
                _add_bench, _add_verify, _add_run):
        add(sub)
    return parser


def _verify_options(p: argparse.ArgumentParser) -> None:
    """`verify`'s options, made from the library's `Options` (declared once, there)."""
    from dataclasses import MISSING, fields

    from tfmodels.migration.equivalence import Options

    for f in fields(Options):
        meta = dict(f.metadata)
        if meta.pop("cli", True) is False:
            continue
        flag = meta.pop("flag") or "--" + f.name.replace("_", "-")
        p.add_argument(flag, dest=f.name, default=None if f.default is MISSING else f.default,
                       **meta)


def _quiet_tf(args) -> None:
    import tensorflow as tf

    if not args.debug:  # TF1 APIs warn that they are deprecated: this project uses them on purpose
        tf.get_logger().setLevel("ERROR")


def _spec_and_data(args):
    from tfmodels.core.data import for_spec, load_dataset
    from tfmodels.core.logs import check_logdir

    batch_size = args.batch_size if args.command != "sweep" else None
    overrides = {"epochs": args.epochs, "batch_size": batch_size, "seed": args.seed,
                 "dataset": args.dataset}
    if args.spec and args.model:
        raise UserError(f"give a model name or --spec, not both (got {args.model!r} and "
                        f"--spec {args.spec})")
    if args.spec:
        spec = override(ModelSpec.from_file(args.spec), **overrides)
    elif args.model or args.command == "compare":
        spec = get_spec(args.model or DEFAULT_MODEL, **overrides)
    else:
        raise UserError(f"{args.command} needs a model: a name from `tfmodels list`, or "
                        f"--spec FILE")
    check_logdir(args.logdir)
    _quiet_tf(args)
    data = for_spec(load_dataset(spec.dataset, spec.seed, args.data), spec)
    samples = num_samples(data.x_train)
    if batch_size is not None:  # given: refused where larger than the data
        check_batch_size(batch_size, samples, spec.dataset)
    elif args.spec and args.command != "sweep" and spec.batch_size > samples:
        raise UserError(f"--spec {args.spec}: its batch_size {spec.batch_size} is larger than "
                        f"the {samples} training samples of {spec.dataset}; give at most "
                        f"{samples}")
    # the spec's own: fitted to the data, as a run trains it, so the lines printed say so
    spec = spec.replace(batch_size=batch_size_for(spec.batch_size, samples))
    return spec, data


def layer_summary(layer) -> str:
    """A layer in a few characters for `tfmodels list`: `512 relu`, `conv 8x3x3 relu`, ..."""
    kind = layer.kind
    if kind == "Dense":
        return f"{layer.units} {layer.activation}"
    if kind == "Conv2D":
        return f"conv {layer.filters}x{layer.kernel_size[0]}x{layer.kernel_size[1]} " \
               f"{layer.activation}"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"{kind[:3].lower()}pool {layer.pool_size[0]}x{layer.pool_size[1]}"
    if kind == "Dropout":
        return f"dropout {layer.rate:g}"
    if kind in ("LSTM", "SimpleRNN", "GRU"):
        return f"{kind.lower()} {layer.units}"
    if kind in ("SeparableConv2D", "DepthwiseConv2D"):
        size = f"{layer.kernel_size[0]}x{layer.kernel_size[1]}"
        size = f"{layer.filters}x{size}" if kind == "SeparableConv2D" else size
        stride = f"/{layer.strides[0]}" if layer.strides[0] > 1 else ""
        return f"{kind[:3].lower()}conv {size}{stride} {layer.activation}"
    if kind == "Activation":
        return layer.activation
    if kind == "Embedding":
        return f"embed {layer.input_dim}x{layer.output_dim}"
    return {"BatchNormalization": "batchnorm", "GlobalAveragePooling2D": "globalavg",
            "LayerNormalization": "layernorm", "ZeroPadding2D": "zeropad"}.get(kind, kind.lower())


def _wired_summary(spec, i: int) -> str:
    """`layer_summary` of layer `i`, with the names of its inputs where it does not take the
    layer before it (a graph spec's branches and merges): `add(batch_normalization_3,
    batch_normalization_1)`."""
    sources = spec.wiring.sources[i]
    text = layer_summary(spec.layers[i])
    plain = sources == (i - 1,) and not (i == 0 and spec.several_inputs)
    return text if plain else f"{text}({spec.wiring.describe(sources)})"


def cmd_list(args) -> int:
    rows = [("model", "layers", "loss", "optimizer", "data", "epochs", "batch")]
    for spec in MODELS.values():
        layers = " -> ".join(_wired_summary(spec, i) for i in range(len(spec.layers)))
        opt = f"{spec.optimizer.name}(lr={spec.optimizer.learning_rate:g})"
        shape = ", ".join(f"{name} {'x'.join(map(str, shape))}"
                          for name, shape in spec.inputs) if spec.several_inputs \
            else "x".join(map(str, spec.input_shape))
        loss = spec.loss + (" (logits)" if spec.from_logits else "")
        rows.append((spec.name, f"{shape} -> {layers}", loss, opt, spec.dataset,
                     str(spec.epochs), str(spec.batch_size)))
    print(table(rows, align="l"))
    return 0


def _next_step(args) -> None:
    print(f"\nNext: tensorboard --logdir={args.logdir}")


def cmd_train(args) -> int:
    from tfmodels.training import train

    if args.save_every is not None and (args.save_every < 1 or not args.checkpoint_dir):
        raise UserError(f"--save-every {args.save_every}: needs a positive number of steps "
                        "and --checkpoint-dir")
    if args.checkpoint_dir == "":  # would be no checkpoint at all, silently
        raise UserError("checkpoint_dir='' is empty; give a folder (or leave the option out)")
    options = _log_options(args)
    spec, data = _spec_and_data(args)
    _check_switches(args)
    if args.checkpoint_dir:  # a folder that cannot be resumed is refused before a word is said
        from tfmodels.training import check_resumable

        check_resumable(args.track, spec, args.checkpoint_dir, args.logdir, args.logdir_given)
    plan = _plan(args, spec)
    speed = _speed(args, spec)
    print(f"Training {spec.name} ({spec.description}) in the {args.track} track: "
          f"{spec.epochs} epochs, batch {spec.batch_size}, {num_samples(data.x_train)} samples")
    result = train(args.track, spec, data, log_root=args.logdir,
                   checkpoint_dir=args.checkpoint_dir, save_every=args.save_every,
                   options=options, verbose=args.verbose, strategy=plan,
                   tf1_pattern=args.tf1_pattern, check_log_root=args.logdir_given, **speed)
    final = ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.history.items())
    if result.final_validation is None:
        print(f"Final epoch: {final}")
    else:  # a TF1 cluster's worker: its own batches, then the weights every worker shares
        print(f"Final epoch, this worker's own batches: {final}")
        print("Validation of the cluster's final weights (the same on every worker): "
              + ", ".join(f"{k} {v:.4f}" for k, v in result.final_validation.items()))
    if args.checkpoint_dir:
        print(f"Checkpoint: {args.checkpoint_dir}")
    print(f"Logs: {result.log_dir or 'none from this task (the chief writes them)'}")
    _next_step(args)
    return 0


def cmd_convert(args) -> int:
    from tfmodels.migration.conversion import convert

    _quiet_tf(args)
    if args.from_track == "keras2":
        return _from_keras2(args)
    if args.keras_model or args.tf1_graph or args.map or args.allow_missing:
        return _migrate(args)
    if args.forget_bias != 1.0:
        raise UserError(f"--forget-bias {args.forget_bias:g}: goes with --keras-model (our own "
                        f"models' LSTMs keep the bias whole)")
    spec = convert(args.source, args.target, args.from_track, args.to_track, args.model,
                   args.dataset)
    print(f"Wrote the weights of {spec.name} from {args.source} ({args.from_track}) to "
          f"{args.target} ({args.to_track})")
    return 0


def _print_as_flags(text: str) -> None:
    """What the library prints for the user (the matching table), in the CLI's words."""
    print(as_flags(text))


def _from_keras2(args) -> int:
    """`convert --from keras2`: a Keras 2 file into a Keras 3 model, yours (--keras-model) or
    one of ours (--model)."""
    from tfmodels.migration.conversion import keras2_to_keras

    if args.to_track != "keras":
        raise UserError(f"--from keras2 --to {args.to_track}: a Keras 2 file goes into a Keras 3 "
                        f"model (--to keras)")
    for option, value in (("--tf1-graph", args.tf1_graph), ("--forget-bias", args.forget_bias)):
        if value not in (None, 1.0):
            raise UserError(f"{option} {value}: goes with TF1 checkpoints, not --from keras2")
    if (args.keras_model is None) == (args.model is None):
        raise UserError("--from keras2 fills one Keras 3 model: give --keras-model (a .keras "
                        "file or module:factory) or --model (one of ours), not both")
    if args.dataset is not None and args.model is None:
        raise UserError(f"--dataset {args.dataset}: goes with --model")
    model = args.keras_model
    if model is None:
        from tfmodels.core.registry import get_spec
        from tfmodels.keras_track.model import build_model

        model = build_model(get_spec(args.model, dataset=args.dataset))
    result = keras2_to_keras(args.source, model, args.target, args.map, args.allow_missing,
                             out=_print_as_flags)
    print(f"Wrote {sum(len(slot.variables) for slot, _, _ in result.pairs)} Keras weights from "
          f"{args.source} (keras2) to {args.target} (keras)")
    return 0


def _migrate(args) -> int:
    """`convert` of a model that is not ours: the names matched by the kit's matching."""
    from tfmodels.migration.conversion import keras_to_tf1, tf1_to_keras

    for option, value in (("--model", args.model), ("--dataset", args.dataset)):
        if value is not None:
            raise UserError(f"{option} {value}: names one of our models; --keras-model gives "
                            f"the model of yours")
    if args.from_track == args.to_track:
        raise UserError(f"--from and --to are both {args.from_track}; nothing to convert")
    if args.to_track == "keras":
        if not args.keras_model:
            raise UserError("--from tf1 --to keras with --map, --tf1-graph or --allow-missing "
                            "needs --keras-model (a .keras file or module:factory) to fill")
        if args.tf1_graph:
            raise UserError(f"--tf1-graph {args.tf1_graph}: goes with --to tf1 (the checkpoint "
                            f"names its variables itself)")
        result = tf1_to_keras(args.source, args.keras_model, args.target, args.map,
                              args.allow_missing, args.forget_bias, out=_print_as_flags)
    else:
        result = keras_to_tf1(args.source, args.target, args.tf1_graph, args.map,
                              args.keras_model, args.allow_missing, args.forget_bias,
                              out=_print_as_flags)
    if args.to_track == "keras":
        count = f"{sum(len(slot.variables) for slot, _, _ in result.pairs)} Keras weights"
    else:
        count = f"{sum(len(source.names) for _, source, _ in result.pairs)} TF1 variables"
    print(f"Wrote {count} from {args.source} ({args.from_track}) to {args.target} "
          f"({args.to_track})")
    return 0


def cmd_compare(args) -> int:
    from tfmodels.core.logs import new_run_dir
    from tfmodels.parity import compare

    if args.track is not None:
        raise UserError(f"--track {args.track}: compare trains both tracks; train one track "
                        f"with `tfmodels train --track {args.track}`")
    _refuse_checkpoints(args, "trains both tracks from one start in one go; to resume "
                              "after an interruption, train each track with `tfmodels train "
                              "--checkpoint-dir`")
    options = _log_options(args)
    spec, data = _spec_and_data(args)
    if args.strategy == "multiworker":
        raise UserError("compare runs in one process; train each track with --strategy "
                        "multiworker under scripts/launch_local_cluster.py instead")
    plan = _plan(args, spec)
    speed = _speed(args, spec)
    run_dir = new_run_dir(args.logdir, spec.name)
    print(f"Comparing the Keras and TF1 tracks on {spec.name} ({spec.description}), "
          f"data {spec.dataset}: {spec.epochs} epochs, batch {spec.batch_size}, same initial "
          f"weights (seed {spec.seed}), same batches")
    distribute = {"strategy": plan, "tf1_pattern": args.tf1_pattern} if plan else {}
    report = compare(spec, data, run_dir, verbose=args.verbose, options=options,
                     keras_options=speed, **distribute)
    print()
    print(report.table())
    print(f"Logs: {os.path.join(run_dir, 'keras')} and {os.path.join(run_dir, 'tf1')}")
    _next_step(args)
    return 0 if report.ok else EXIT_DISAGREE


def cmd_sweep(args) -> int:
    from tfmodels.sweep import parse_list, sweep, trials_table

    _refuse_checkpoints(args, "trains a new run per trial; to resume a trial, train it with "
                              "`tfmodels train --checkpoint-dir`")
    learning_rates = parse_list(args.lr, float, "--lr")
    options = _log_options(args)
    spec, data = _spec_and_data(args)
    batch_sizes = (parse_list(args.batch_size, int, "--batch-size") if args.batch_size
                   else [spec.batch_size])
    for batch in batch_sizes:
        check_batch_size(batch, num_samples(data.x_train), spec.dataset)
    for lr in learning_rates:  # each trial's optimizer, made before the first line is printed
        spec.replace(optimizer=OptimizerSpec(spec.optimizer.name,
                                             {**spec.optimizer.params, "learning_rate": lr}))
    if args.strategy == "multiworker":
        raise UserError("sweep runs in one process; train each trial with --strategy "
                        "multiworker under scripts/launch_local_cluster.py instead")
    _check_switches(args)
    plan = _plan(args, spec)
    distribute = {"strategy": plan, "tf1_pattern": args.tf1_pattern} if plan else {}
    speed = _speed(args, spec)
    runs, last = len(learning_rates) * len(batch_sizes), {"ran": 0, "at": time.perf_counter()}
    print(f"Sweeping {spec.name} in the {args.track} track: learning rates "
          f"{', '.join(f'{lr:g}' for lr in learning_rates)} x batch sizes "
          f"{', '.join(map(str, batch_sizes))}, {spec.epochs} epochs each: {runs} runs")

    def progress(trial):  # a line per run as it ends: a sweep of minutes is never silent
        now, last["ran"] = time.perf_counter(), last["ran"] + 1
        keys = sorted(trial.history, key=lambda k: (k.startswith("val_"), k[-4:] != "loss", k))
        loss = ", ".join(f"{k} {trial.history[k][-1]:.4f}" for k in keys)  # loss first
        print(f"  run {last['ran']}/{runs}: lr {trial.learning_rate:g}, batch "
              f"{trial.batch_size}: {loss} ({now - last['at']:.1f} s)", flush=True)
        last["at"] = now

    trials = sweep(spec, data, learning_rates, batch_sizes, args.track, args.logdir,
                   args.verbose, on_trial=progress, options=options, **speed, **distribute)
    print()
    print(trials_table(trials))
    print(f"Logs: {os.path.dirname(trials[0].log_dir)} (the HParams tab)")
    _next_step(args)
    return 0


def cmd_evaluate(args) -> int:
    from tfmodels.inference import evaluate

    _quiet_tf(args)
    spec, results = evaluate(args.checkpoint_dir, args.data, args.mnist)
    on = args.data or f"the validation split of {spec.dataset}"
    print(f"{spec.name} from {args.checkpoint_dir}, on {on}:")
    print(table([("", *results), ("", *(f"{v:.6g}" for v in results.values()))], align="lr"))
    return 0


def cmd_predict(args) -> int:
    import numpy as np

    from tfmodels.inference import check_output, predict, write_predictions

    _quiet_tf(args)
    if args.output:
        check_output(args.output)  # said before the model is loaded
    spec, outputs = predict(args.checkpoint_dir, args.data)
    if args.output:
        write_predictions(outputs, args.output)
        print(f"Wrote the {spec.name} outputs for {len(outputs)} samples to {args.output}")
    else:
        np.savetxt(sys.stdout, outputs.reshape(len(outputs), -1), delimiter=",", fmt="%.9g")
    return 0


def cmd_bench(args) -> int:
    from tfmodels.bench import command

    _quiet_tf(args)
    return command(args)


def cmd_verify(args) -> int:
    from dataclasses import fields

    from tfmodels.migration.equivalence import Options, Unmatched, verify

    _quiet_tf(args)
    if args.keras2:
        return _verify_keras2(args)
    ref = args.tf1 or args.model_fn
    shape = (f"inputs ({args.batch_size}, {', '.join(args.input_shape.split(','))})"
             if args.input_shape else "the Keras model's inputs")
    progress = _checks_after(
        f"Verifying {args.keras or 'the TF1 function in a TF1StyleLayer'} against "
        f"{ref}: {shape}, {args.steps} steps of {args.optimizer}, rtol {args.rtol:g}, "
        f"atol {args.atol:g}")

    try:
        options = {f.name: getattr(args, f.name) for f in fields(Options)
                   if f.metadata.get("cli", True)}
        options["log_dir"] = options["log_dir"] or "logs"  # the command's default: under logs/
        report = verify(ref, args.keras, args.input_shape, model_fn=args.model_fn is not None,
                        out=progress, **options)
    except Unmatched as e:
        print(e.table, flush=True)  # what matched and what did not, before the one-line error
        raise
    if report.table:
        print()
        print(report.table)
    print()
    print("Equivalent." if report.ok else
          f"NOT equivalent: {report.failure.name}: {report.failure.detail}")
    if report.log_dir:
        print(f"Logs: {report.log_dir}")
    return 0 if report.ok else EXIT_DISAGREE


def _checks_after(heading: str):
    """A `verify` report's `out`: each check's line, the heading printed with the first, so a
    refusal before any check prints nothing but its own line."""
    said = []

    def progress(check):
        if not said:
            print(heading)
            said.append(True)
        print(check.line(), flush=True)

    return progress


def _verify_keras2(args) -> int:
    """`verify --keras2 FILE --keras MODEL`: the Keras 2 model as the reference side."""
    from tfmodels.migration.equivalence import Unmatched
    from tfmodels.migration.keras2_reference import verify_keras2

    if not args.keras:
        raise UserError(f"--keras2 {args.keras2}: give the Keras 3 port with --keras")
    if args.input_shape:
        raise UserError(f"--input-shape {args.input_shape}: with --keras2 the inputs are the "
                        f"--keras model's own")
    progress = _checks_after(
        f"Verifying {args.keras} against the Keras 2 model {args.keras2}: the Keras model's "
        f"inputs, {args.steps} training steps, rtol {args.rtol:g}, atol {args.atol:g}")

    try:
        report = verify_keras2(args.keras2, args.keras, steps=args.steps,
                               batch_size=args.batch_size, seed=args.seed,
                               optimizer=args.optimizer, learning_rate=args.learning_rate,
                               loss=args.loss, int_range=args.int_range, rtol=args.rtol,
                               atol=args.atol, mapping=args.mapping,
                               out=progress)
    except Unmatched as e:
        print(e.table, flush=True)
        raise
    print()
    print(report.table)
    print()
    print("Equivalent." if report.ok else
          f"NOT equivalent: {report.failure.name}: {report.failure.detail}")
    return 0 if report.ok else EXIT_DISAGREE


def cmd_run(args) -> int:
    """`python -m tf1_compat PROGRAM [ARG ...]`, as a command of ours (this process becomes the
    program's: TF1 graph mode, its argv)."""
    from tf1_compat.runner import run_program

    sys.stdout.flush()
    return run_program(args.program, args.program_args)


COMMANDS = {"list": cmd_list, "train": cmd_train, "compare": cmd_compare,
            "convert": cmd_convert, "sweep": cmd_sweep, "evaluate": cmd_evaluate,
            "predict": cmd_predict, "bench": cmd_bench, "verify": cmd_verify,
            "run": cmd_run}


def _quiet_disk_failures_in_threads() -> None:
    """TF1's `FileWriter` writes in a thread of its own; a full disk fails there with a
    traceback and a log line of its own, and again in the main thread at the next flush, where
    it becomes our one line (exit status 4). The thread's copies say nothing more: keep them
    off the terminal."""
    default = threading.excepthook

    def hook(args):
        if io_failure(args.exc_value) is None:
            default(args)

    threading.excepthook = hook
    logging.getLogger("tensorflow").addFilter(
        lambda record: io_failure(OSError(record.getMessage())) is None)


def main(argv=None) -> int:
    """Run the command of `argv` (default: `sys.argv[1:]`); its exit status. A Ctrl-C at any
    moment of it is one line, `tfmodels: interrupted`, and status 130."""
    try:
        return _run(argv)
    except KeyboardInterrupt:  # while parsing, or a second one during the first's clean-up
        print("tfmodels: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


def _run(argv) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # a mistake in the arguments (said in one line), or --help
        return e.code
    _quiet_disk_failures_in_threads()
    if hasattr(args, "logdir"):
        args.logdir_given, args.logdir = args.logdir is not None, args.logdir or "logs"
    # SIGTERM (`kill`, a scheduler's stop) ends a command as Ctrl-C does: the lock released,
    # the last complete checkpoint kept, one line, status 128 + 15.
    signals = []

    def terminate(signum, frame):
        if not signals:  # a second one waits for the first's clean-up
            signals.append(signum)
            raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if in_main else None
    try:
        if args.command != "list":  # its start-up lines as TF_CPP_MIN_LOG_LEVEL asks, once
            from tfmodels.core.startup import import_tensorflow

            import_tensorflow()
        if getattr(args, "cpu_replicas", None) is not None:
            from tfmodels.core.strategy import configure_cpu_replicas

            configure_cpu_replicas(args.cpu_replicas)  # before TensorFlow touches a device
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("tfmodels: interrupted", file=sys.stderr)
        # 128 + the signal, as the shell reports an interrupted command
        return 128 + (signals[0] if signals else signal.SIGINT)
    except Exception as e:  # noqa: BLE001 - every failure ends in its status of the table
        status = exit_status(e)
        message = folded(e, None) or type(e).__name__
        if status == EXIT_BUG:
            print(f"tfmodels: internal error, a bug in tfmodels (please report it with this "
                  f"traceback): {type(e).__name__}: {message}", file=sys.stderr)
            traceback.print_exc()
            return status
        if args.debug:
            raise
        message = lost_peer(e) or one_line(as_flags(message))
        print(f"tfmodels: error: {message}", file=sys.stderr)
        return status
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)

if __name__ == "__main__":
    sys.exit(main())
