"""What `ModelSpec.from_keras` reads of a functional Keras model's wiring: which layers each
layer takes, its inputs (one, or several named ones) and its one output. Anything a spec's graph
cannot say (several outputs, a layer called twice, a nested model) is refused by name in one
line.

TF1 had no such record: a graph was the ops a program made. Keras's functional API keeps it on
each layer's nodes (`keras.Model(inputs, outputs)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tfmodels.core.errors import UserError

__all__ = ["KerasGraph", "read_graph"]


@dataclass(frozen=True)
class KerasGraph:
    """A functional model's wiring, by layer name: `sources[name]` the layers it takes (the
    input's name among them for the first ones), `users[name]` the layers that take it."""

    input: str
    output: str
    sources: dict
    users: dict
    inputs: tuple = ()  # every input's name, in the model's order (several named inputs)

    def feeds_only(self, before: str, layer: str) -> bool:
        """`layer` takes `before` alone, and nothing else takes `before`: an activation layer
        there is `before`'s activation."""
        return self.sources[layer] == [before] and self.users.get(before) == [layer]


def _functional(model) -> bool:
    import keras

    return type(model) is keras.Model or (type(model).__name__ == "Functional"
                                           and type(model).__module__.startswith("keras."))


def read_graph(model) -> KerasGraph | None:
    """The wiring of a functional Keras model (`keras.Model(inputs, outputs)`), None for any
    other model (a `Sequential` is read as a chain)."""
    if not _functional(model):
        return None
    if len(model.outputs) != 1:
        raise UserError(f"the Keras model {model.name!r} has {len(model.inputs)} inputs and "
                        f"{len(model.outputs)} outputs; a spec's graph has one output")
    sources, users = {}, {}
    for layer in model.layers:
        nodes = layer._inbound_nodes
        if len(nodes) > 1:
            raise UserError(f"layer {layer.name!r} ({type(layer).__name__}) is called "
                            f"{len(nodes)} times: a shared layer is not carried by the spec "
                            f"(only one call per layer)")
        names = [t._keras_history.operation.name for t in nodes[0].input_tensors] \
            if nodes else []
        sources[layer.name] = names
        for name in names:
            users.setdefault(name, []).append(layer.name)
    inputs = tuple(t._keras_history.operation.name for t in model.inputs)
    return KerasGraph(input=inputs[0], output=model.outputs[0]._keras_history.operation.name,
                      sources=sources, users=users, inputs=inputs)
