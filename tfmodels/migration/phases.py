"""`verify` for a model trained in phases by several optimizers: a GAN's discriminator, then its
generator, each with its own loss, optimizer and `var_list`.

    from tfmodels.migration import verify_phases
    report = verify_phases("examples/gan.py:gan_tf1", "examples/gan.py:gan", ["x:4", "z:2"])

A TF1 GAN built two train ops, `AdamOptimizer(...).minimize(d_loss, var_list=d_vars)` and the
generator's, and ran them in turn on each batch; its Keras 3 port holds two models, two
optimizers and a training step of each. The two sides, as the user hands them:

- TF1: `program(inputs)` (or `module:function`), graph code given a dict of placeholders by the
  inputs' names, returning `{"outputs": {name: tensor}, "train": {phase: (loss, train_op)}}`,
  the phases in the order a training step runs them. Each network's variables live under a
  variable scope of its name (`generator/...`), as tutorials made them to collect `var_list`s.
- Keras: a `Port(networks, outputs, steps)` or a function (`module:function`) returning one:
  `networks` `{name: keras.Model}` (the names of the TF1 scopes), `outputs(inputs)` the
  outputs by the TF1 side's names, `steps` `{phase: step(inputs) -> loss}` applying the port's
  own optimizer (the same phases in the same order).

The inputs are described (`NAME:SHAPE[:DTYPE]`, as `verify`'s `inputs`): floating ones drawn
from a standard normal (noise and samples), integer ones from `[0, int_range)`, fed to both
sides alike. Checks, in order, each stopping the run when it fails:

1. **names and shapes**: every weight of each Keras network paired with one TF1 variable of its
   scope (`matching`, as `tfmodels convert` pairs them; a map file per run, `mapping`), filled
   with the TF1 initial values; optimizer slots are not model variables (left out);
2. **outputs, no randomness**: every output, by name;
3. **training steps**: `steps` steps on new batches, each running the phases in order on both
   sides: after each phase the loss it returned, then every variable of every network, so a
   failure names the step, the phase and the network whose variable differs (a discriminator
   step that moves the generator: `var_list`);
4. **outputs after training**.

What the TF1 program's optimizers do is compared with what the port's do: the port maps them
(TF1's Adam has epsilon 1e-8, Keras's 1e-7 by default: docs/optimizers.md). Not compared:
dropout (none aligned here), batch norm in training mode, optimizer slots themselves, and the
gradients: the port's steps apply its own, so unlike `verify`, which hands the Keras optimizer
TF1's gradients (`equivalence.reference_gradients`), Adam here still divides the float32 noise
of a near-zero gradient by that gradient's running size (the examples' GAN, without batch norm,
ends within 2.4e-7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfmodels.core.errors import UserError, folded
from tfmodels.migration.equivalence import ATOL, RTOL, Check, Report, leaf_differences

__all__ = ["Port", "verify_phases"]


@dataclass
class Port:
    """The Keras side: its networks by name, its outputs, its training steps in order."""

    networks: dict
    outputs: object
    steps: dict


def _port(keras_side) -> Port:
    from tfmodels.migration.user_code import load_callable

    made = keras_side
    if isinstance(keras_side, str):
        made = load_callable(keras_side, "Keras port")
    if callable(made) and not isinstance(made, Port):
        try:
            made = made()
        except UserError:
            raise
        except Exception as e:
            raise UserError(f"Keras port {getattr(keras_side, '__name__', keras_side)!r} raised "
                            f"{type(e).__name__}: {folded(e, 200)}") from None
    if not isinstance(made, Port):
        raise UserError(f"Keras port: expected a Port(networks, outputs, steps) or a function "
                        f"returning one, got {type(made).__name__}")
    if not made.networks or not made.steps or not callable(made.outputs):
        raise UserError("Keras port: networks and steps must name at least one each, and "
                        "outputs be a function of the inputs")
    return made


def _inputs(inputs, int_range):
    from tfmodels.migration.model_io import Input, Inputs, described

    if isinstance(inputs, str) or not inputs:
        raise UserError(f"inputs: expected a list of NAME:SHAPE[:DTYPE] texts (e.g. "
                        f"['x:4', 'z:2']), got {inputs!r}")
    items = []
    for name, (shape, dtype, fill) in described(inputs).items():
        if fill is not None:
            raise UserError(f"input {name!r}: the fill {fill!r} is verify's (one Keras model "
                            f"beside a TF1 function); verify_phases draws every input")
        dtype = dtype or "float32"
        high = None
        if dtype != "bool" and np.issubdtype(np.dtype(dtype), np.integer):
            if int_range is None:
                raise UserError(f"input {name!r} is {dtype}: give int_range=N, ids drawn "
                                f"from [0, N)")
            high = int_range
        items.append(Input(name, shape, dtype, high))
    return Inputs(tuple(items), "dict")


class _Program:
    """The TF1 side: its graph, session, outputs, phases and model variables."""

    def __init__(self, program, inputs, seed: int):
        import tensorflow as tf

        from tfmodels.migration.user_code import load_callable

        v1 = tf.compat.v1
        if isinstance(program, str):
            program = load_callable(program, "TF1 program")
        self.inputs, self.graph = inputs, tf.Graph()
        with self.graph.as_default():
            v1.set_random_seed(seed)
            self.x = inputs.placeholders(v1)
            try:
                built = program(self.x)
            except UserError:
                raise
            except Exception as e:
                raise UserError(f"TF1 program raised {type(e).__name__}: {folded(e, 200)}") \
                    from None
            self.outputs, self.train = _parts(built)
            self.variables = {v.op.name: v for v in v1.trainable_variables()}
            self.variables.update({v.op.name: v for v in v1.global_variables()
                                   if v.op.name.endswith(("moving_mean", "moving_variance"))})
            init = v1.global_variables_initializer()
        self.session = v1.Session(graph=self.graph)
        self.session.run(init)

    def feed(self, x) -> dict:
        return self.inputs.feed(self.x, x)

    def values(self, names) -> dict:
        return self.session.run({n: self.variables[n] for n in names})


def _parts(built) -> tuple:
    import tensorflow as tf

    if not isinstance(built, dict) or set(built) != {"outputs", "train"}:
        raise UserError(f"TF1 program: expected it to return {{'outputs': {{name: tensor}}, "
                        f"'train': {{phase: (loss, train_op)}}}}, got "
                        f"{sorted(built) if isinstance(built, dict) else type(built).__name__}")
    outputs, train = built["outputs"], built["train"]
    if not isinstance(outputs, dict) or not outputs or not all(
            tf.is_tensor(v) for v in outputs.values()):
        raise UserError("TF1 program: 'outputs' must be a dict of tensors by name")
    if not isinstance(train, dict) or not train or not all(
            isinstance(p, tuple) and len(p) == 2 for p in train.values()):
        raise UserError("TF1 program: 'train' must be a dict {phase: (loss, train_op)}")
    return outputs, train


def _pair(port: Port, program: _Program, mapping) -> tuple:
    """[(network, Match)] for every network, its weights then holding the TF1 values."""
    from tfmodels.migration.matching import (
        Ambiguous,
        keras_slots,
        keras_values,
        match,
        normalized,
        tf1_sources,
    )

    pairs, tables, used = [], [], set()
    for net, model in port.networks.items():
        names = [n for n in program.variables if n.startswith(net + "/")]
        used |= set(names)
        shapes = {n: tuple(program.variables[n].shape) for n in names}
        dtypes = {n: program.variables[n].dtype.base_dtype.name for n in names}
        slots = keras_slots(model)
        sources, skipped = tf1_sources(shapes, dtypes, {normalized(s.key) for s in slots})
        try:
            result = match(slots, sources, skipped, mapping, shapes, dtypes)
        except Ambiguous as e:
            raise UserError(f"names and shapes: network {net!r}: {e}") from None
        tables.append(f"{net}:\n{result.table()}")
        problems = [f"Keras {s.label} has no TF1 variable ({why})" for s, why in result.missing]
        problems += [f"TF1 {' + '.join(s.names)} has no Keras weight ({why})"
                     for s, why in result.unused]
        if problems:
            raise UserError(f"names and shapes: network {net!r}: {'; '.join(problems)}")
        values = program.values([n for _, s, _ in result.pairs for n in s.names])
        for slot, source, _ in result.pairs:
            arrays = keras_values(slot, source, [values[n] for n in source.names])
            for variable, array in zip(slot.variables, arrays):
                variable.assign(np.asarray(array, variable.dtype))
        pairs.append((net, result))
    left = sorted(set(program.variables) - used)
    if left:
        raise UserError(f"names and shapes: TF1 variables {', '.join(left[:4])} are under no "
                        f"network's scope ({', '.join(port.networks)})")
    return pairs, "\n\n".join(tables)


def _variables_differ(pairs, program: _Program, rtol, atol):
    """None or (network, one line) for the first variable that differs; the largest gap."""
    from tfmodels.migration.matching import keras_values

    worst = 0.0
    for net, result in pairs:
        values = program.values([n for _, s, _ in result.pairs for n in s.names])
        for slot, source, _ in result.pairs:
            arrays = keras_values(slot, source, [values[n] for n in source.names])
            for variable, array in zip(slot.variables, arrays):
                why, gap = leaf_differences({"v": array}, {"v": variable.numpy()}, rtol, atol)
                if why:
                    return (net, f"variable {variable.path} (TF1 "
                                 f"{' + '.join(source.names)}): {why}"), worst
                worst = max(worst, gap)
    return None, worst


def _outputs_check(name, program: _Program, port: Port, x, rtol, atol) -> Check:
    from tfmodels.migration.model_io import paired_leaves

    a = program.session.run(program.outputs, program.feed(x))
    try:
        b = port.outputs({k: np.asarray(v) for k, v in x.items()})
    except Exception as e:
        raise UserError(f"the Keras port's outputs raised {type(e).__name__}: "
                        f"{folded(e, 200)}") from None
    if not isinstance(b, dict):
        raise UserError(f"the Keras port's outputs: expected a dict by name, got "
                        f"{type(b).__name__}")
    names = paired_leaves(a, b, "port")
    why, worst = leaf_differences({t: a[t] for _, t, _ in names},
                                  {t: np.asarray(b[k]) for _, t, k in names}, rtol, atol)
    return Check(name, why is None, f"outputs differ: {why}" if why else
                 f"equal ({', '.join(sorted(a))}), max |difference| {worst:.3g}", worst)


def _phase(program: _Program, port: Port, phase: str, x) -> tuple:
    loss, op = program.train[phase]
    loss_tf1, _ = program.session.run([loss, op], program.feed(x))
    try:
        loss_keras = port.steps[phase]({k: np.asarray(v) for k, v in x.items()})
    except Exception as e:
        raise UserError(f"the Keras port's {phase!r} step raised {type(e).__name__}: "
                        f"{folded(e, 200)}") from None
    return float(loss_tf1), float(np.asarray(loss_keras))


def _steps_check(run: dict) -> Check:
    program, port, o = run["program"], run["port"], run["options"]
    phases = ", then ".join(program.train)
    name = f"{o['steps']} training steps ({phases})"
    worst = 0.0
    for step in range(1, o["steps"] + 1):
        x = run["inputs"].draw(run["rng"], o["batch_size"])
        for phase in program.train:
            losses = _phase(program, port, phase, x)
            why, _ = leaf_differences({"l": losses[0]}, {"l": losses[1]}, o["rtol"], o["atol"])
            if why:
                return Check(name, False, f"step {step}, {phase} phase: the {phase} loss "
                                          f"differs: {why}")
            differs, gap = _variables_differ(run["pairs"], program, o["rtol"], o["atol"])
            if differs:
                return Check(name, False, f"step {step}, after the {phase} phase: network "
                                          f"{differs[0]!r}: {differs[1]}")
            worst = max(worst, gap)
            run["report"].losses.setdefault(phase, []).append(losses)
    return Check(name, True, f"every phase's loss and every network's variables equal after "
                             f"every phase (max |difference| in the variables {worst:.3g})",
                 worst)


def verify_phases(tf1, keras_port, inputs, *, steps: int = 3, batch_size: int = 8,
                  seed: int = 0, int_range: int | None = None, mapping=None, rtol: float = RTOL,
                  atol: float = ATOL, out=None) -> Report:
    """The checks of the module's docstring on a TF1 program of several train ops and its
    Keras port (`Port`); returns the `Report` (`report.losses[phase]`: (TF1, Keras) a step).
    A program that cannot be compared (phases or outputs named differently, weights that
    cannot be paired) raises `UserError`."""
    from tfmodels.migration.equivalence import Options

    Options(steps=steps, batch_size=batch_size, seed=seed, int_range=int_range, rtol=rtol,
            atol=atol)  # the same checks of the same options as verify's
    described = _inputs(inputs, int_range)
    described.check_batch(batch_size)
    port = _port(keras_port)
    if isinstance(mapping, str):
        from tfmodels.migration.matching import read_map

        mapping = read_map(mapping)
    program = _Program(tf1, described, seed)
    try:
        if list(program.train) != list(port.steps):
            raise UserError(f"the TF1 program's phases are {', '.join(program.train)}; the "
                            f"Keras port's steps {', '.join(port.steps)}: name them alike, in "
                            f"the order a training step runs them")
        report, rng = Report(), np.random.default_rng(seed)
        pairs, report.table = _pair(port, program, mapping)
        n = sum(len(s.variables) for _, r in pairs for s, _, _ in r.pairs)
        checks = [lambda: Check("names and shapes", True, f"{n} Keras weights of "
                                f"{len(pairs)} networks ({', '.join(port.networks)}) paired "
                                f"with TF1 variables of their scopes")]
        x0 = described.draw(rng, batch_size)
        run = {"program": program, "port": port, "pairs": pairs, "inputs": described,
               "rng": rng, "report": report, "options": dict(
                   steps=steps, batch_size=batch_size, rtol=rtol, atol=atol)}
        checks.append(lambda: _outputs_check("outputs, no randomness", program, port, x0,
                                             rtol, atol))
        if steps:
            checks.append(lambda: _steps_check(run))
            checks.append(lambda: _outputs_check("outputs after training", program, port, x0,
                                                 rtol, atol))
        for check in checks:
            result = check()
            report.checks.append(result)
            if out is not None:
                out(result)
            if not result.ok:
                break
    finally:
        program.session.close()
    return report
