"""The TensorFlow variants `tfmodels bench` times, each training one epoch per `epoch()` call,
and the table of every variant's class (the PyTorch peers are in `peers`, the shape-aware floor in
`floors`)."""

from __future__ import annotations

from tfmodels.bench import workload
from tfmodels.bench.floors import shape_floor
from tfmodels.bench.peers import Torch, TorchCompile
from tfmodels.bench.workload import FLOOR, PEERS

__all__ = ["CLASSES", "KerasDefault", "KerasTrack", "KerasTrackXLA", "TF1Data", "TF1Track",
           "TF2Function", "missing", "plain_keras"]


def plain_keras(spec):
    """The spec's model in plain Keras, none of the Keras track's training machinery: a
    `keras.Sequential` of its layers, or for a graph spec (the residual convnet) a plain
    `keras.Model` over the functional graph's tensors."""
    import keras

    from tfmodels.keras_track.model import build_graph, build_layers

    if spec.wiring.chain:
        return keras.Sequential(build_layers(spec))
    graph = build_graph(spec)
    return keras.Model(graph.inputs, graph.outputs, name=spec.name)


class KerasDefault:
    """What a Keras user writes first: Sequential, compile with strings, fit with defaults."""

    def __init__(self, x, y, batch):

        self.x, self.y, self.batch = x, y, batch
        self.model = plain_keras(workload.spec(batch))
        self.model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0)


class KerasTrack:
    """Our Keras track as shipped: `build_model(spec)` and its `fit`."""

    speed_switches: dict = {}

    def __init__(self, x, y, batch):
        from tfmodels.keras_track.model import build_model

        self.x, self.y, self.batch = x, y, batch
        self.model = build_model(workload.spec(batch), **self.speed_switches)

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0)


class KerasTrackXLA(KerasTrack):
    """Our Keras track with its speed switches on: XLA and 32 steps per call (not TF1-equal)."""

    speed_switches = {"jit_compile": True, "steps_per_execution": 32}


class TF1Track:
    """Our TF1 track: a Session fed by `feed_dict` or by a `tf.data` iterator in the graph."""

    pipeline = "feed_dict"

    def __init__(self, x, y, batch):
        from tf1_compat.model import build_model

        self.x, self.y, self.batch = x, y, batch
        self.model = build_model(workload.spec(batch))

    def epoch(self):
        self.model.fit(self.x, self.y, batch_size=self.batch, epochs=1, verbose=0,
                       pipeline=self.pipeline)


class TF1Data(TF1Track):
    pipeline = "dataset"


class TF2Function:
    """A plain TF2 loop: the same Keras layers, one `tf.function` step, a `tf.data` pipeline."""

    def __init__(self, x, y, batch):
        import keras
        import tensorflow as tf

        self.model = plain_keras(workload.spec(batch))
        optimizer = (keras.optimizers.RMSprop() if workload.MODEL == "mlp"
                     else keras.optimizers.Adam(0.005))
        loss_fn = keras.losses.CategoricalCrossentropy()
        self.data = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x))
                     .batch(batch).prefetch(tf.data.AUTOTUNE))

        @tf.function
        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, self.model(xb, training=True))
            grads = tape.gradient(loss, self.model.trainable_variables)
            optimizer.apply(grads, self.model.trainable_variables)
            return loss

        self.step = step

    def epoch(self):
        for xb, yb in self.data:
            self.step(xb, yb)


CLASSES = {"keras_default": KerasDefault, "keras_track": KerasTrack,
           "keras_track_xla": KerasTrackXLA, "tf1_feed": TF1Track,
           "tf1_data": TF1Data, "tf2_function": TF2Function, "torch": Torch,
           "torch_compile": TorchCompile, FLOOR: shape_floor}


def missing(variant: str) -> str | None:
    """Why `variant` cannot run here (its framework is not installed), else None; checked
    without importing it."""
    import importlib.util

    module = PEERS.get(variant)
    if module and importlib.util.find_spec(module) is None:
        return f"{module} is not installed (pip install -e '.[bench]')"
    return None
