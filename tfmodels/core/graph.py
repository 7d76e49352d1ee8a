"""How a spec's layers are wired: a chain (a plain list of layers, as `keras.Sequential`) or a
graph of layers (as Keras's functional API), each layer naming its predecessors.

A layer of a graph spec may carry a `name` of its own (default `<prefix>_<index>`, as in a
chain: `conv2d_0`, `add_3`) and `inputs`, the names of the layers (or `"input"`, the model's
input) whose outputs it takes (default: the layer listed before it, the input for the first).
The merge kinds (`Add`, `Concatenate`, `Multiply`) take two or more; every other kind one. The
model's output is the last layer listed, or the one `outputs` names. `wire` checks all of it
and finds an order to build the layers in (a topological order: each layer after its inputs);
each mistake is one line naming the layer and what was expected.

TF1 had no such object: a graph was whatever ops a program made, each taking the tensors it
was given; Keras's functional API records the same wiring on its layers' nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfmodels.core.errors import UserError

__all__ = ["INPUT", "Wiring", "wire"]

# The name by which a graph spec's layers take the model's input.
INPUT = "input"


@dataclass(frozen=True)
class Wiring:
    """A spec's layers as a graph: each layer's name, its predecessors (layer indices; -1 is
    the model's input), an order to build them in, and the output layer's index."""

    names: tuple
    sources: tuple
    order: tuple
    output: int
    chain: bool  # a plain list: each layer takes the one before it
    input_names: tuple = (INPUT,)  # the model's inputs: input k is source -(k + 1)

    def source_name(self, j: int) -> str:
        """A predecessor's name: a layer's, or an input's (negative: input -(j + 1))."""
        return self.input_names[-j - 1] if j < 0 else self.names[j]

    def describe(self, sources: tuple) -> str:
        """Predecessors by name, as a spec file writes them."""
        return ", ".join(repr(self.source_name(j)) for j in sources)


def _names(layers, names, input_names=(INPUT,)) -> tuple:
    """Each layer's name: its own, else `<prefix>_<index>`; unique, and not `input`."""
    if names is not None and len(names) != len(layers):
        raise UserError(f"names lists {len(names)} layer names for {len(layers)} layers")
    resolved, seen = [], {}
    for i, layer in enumerate(layers):
        own = None if names is None else names[i]
        if own is not None and (not isinstance(own, str) or not own.strip() or "/" in own):
            raise UserError(f"layer {i} ({layer.kind}) name must be a non-empty string without "
                            f"'/', got {own!r}")
        name = layer.name(i) if own is None else own
        if name in input_names:
            whose = "the model input's" if len(input_names) == 1 else "a model input's"
            raise UserError(f"layer {i} ({layer.kind}) is named {name!r}, {whose} name; "
                            f"expected another name")
        if name in seen:
            raise UserError(f"layer {i} ({layer.kind}) is named {name!r}, as layer {seen[name]} "
                            f"is; expected a name of its own")
        seen[name] = i
        resolved.append(name)
    return tuple(resolved)


def _sources(layers, names: tuple, inputs_of, input_names=(INPUT,)) -> tuple:
    """Each layer's predecessors as indices (-1: the model's input)."""
    if inputs_of is not None and len(inputs_of) != len(layers):
        raise UserError(f"inputs_of lists {len(inputs_of)} entries for {len(layers)} layers")
    index = {name: i for i, name in enumerate(names)}
    index.update({name: -k - 1 for k, name in enumerate(input_names)})
    sources = []
    for i, layer in enumerate(layers):
        given = None if inputs_of is None else inputs_of[i]
        where = f"layer {names[i]!r} ({layer.kind})"
        if given is None:
            srcs = (i - 1,)
        else:
            if isinstance(given, str) or not isinstance(given, (list, tuple)) or not given \
                    or not all(isinstance(g, str) for g in given):
                raise UserError(f"{where} inputs must be a non-empty list of layer names, got "
                                f"{given!r}")
            for g in given:
                if g not in index:
                    raise UserError(f"{where} takes {g!r}, which is no layer's name nor the "
                                    f"input's; expected one of: {', '.join(index)}")
            srcs = tuple(index[g] for g in given)
        if getattr(layer, "merge", False):
            if len(srcs) < 2:
                got = list(given) if given is not None else "the layer before it"
                raise UserError(f"{where} merges two or more inputs, got {len(srcs)}: {got}; "
                                f"name them in its inputs")
        elif len(srcs) != 1:
            raise UserError(f"{where} takes one input, got {len(srcs)}: {list(given)}; merge "
                            f"them first with Add, Concatenate or Multiply")
        sources.append(srcs)
    return tuple(sources)


def _order(names: tuple, sources: tuple) -> tuple:
    """Each layer after its inputs (Kahn's algorithm, taking the first listed of the ready
    ones, so that a list already in order keeps it); one line naming a cycle's layers where
    there is one."""
    waiting = {i: {j for j in srcs if j >= 0} for i, srcs in enumerate(sources)}
    order = []
    while waiting:
        ready = sorted(i for i, before in waiting.items() if not before & waiting.keys())
        if not ready:
            start = min(waiting)
            path = [start]
            while True:  # follow predecessors that are still waiting until one repeats
                nxt = min(j for j in sources[path[-1]] if j in waiting)
                if nxt in path:
                    cycle = path[path.index(nxt):] + [nxt]
                    break
                path.append(nxt)
            loop = " <- ".join(repr(names[j]) for j in cycle)
            raise UserError(f"layer {names[cycle[0]]!r} takes its own output through a cycle "
                            f"({loop}); expected a graph without cycles")
        order.append(ready[0])
        del waiting[ready[0]]
    return tuple(order)


def wire(layers, names=None, inputs_of=None, outputs=None, input_names=None) -> Wiring:
    """The wiring of `layers`: a chain when `names`, `inputs_of`, `outputs` and `input_names`
    are all None, else the graph they describe (`names[i]`, `inputs_of[i]`: layer i's name and
    predecessors, None for the default; `outputs`: the output layer's name, in a one-element
    list; `input_names`: the model's named inputs, default the one `"input"`)."""
    several = input_names is not None
    input_names = tuple(input_names) if several else (INPUT,)
    resolved = _names(layers, names, input_names)
    sources = _sources(layers, resolved, inputs_of, input_names)
    order = _order(resolved, sources)
    output = len(layers) - 1
    if outputs is not None:
        if isinstance(outputs, str) or not isinstance(outputs, (list, tuple)) \
                or len(outputs) != 1:
            raise UserError(f"outputs must name the one output layer, as a one-element list, "
                            f"got {outputs!r}")
        if outputs[0] not in resolved:
            raise UserError(f"output {outputs[0]!r} is not produced by any layer; expected one "
                            f"of: {', '.join(resolved)}")
        output = resolved.index(outputs[0])
    used = {j for srcs in sources for j in srcs} | {output}
    for i, name in enumerate(resolved):
        if i not in used:
            raise UserError(f"layer {name!r} ({layers[i].kind}): its output is never used; "
                            f"expected it to be an input of a later layer or the output "
                            f"({resolved[output]!r})")
    if several:
        taken = {j for srcs in sources for j in srcs if j < 0}
        for k, name in enumerate(input_names):
            if -k - 1 not in taken:
                raise UserError(f"input {name!r} is taken by no layer; expected it in the "
                                f"inputs of a layer")
    chain = names is None and inputs_of is None and outputs is None and not several
    return Wiring(resolved, sources, order, output, chain, input_names)
