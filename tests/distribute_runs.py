"""Run by tests/test_distribute.py in a fresh process: 2 logical CPUs need a TensorFlow whose
devices are not yet initialised. Trains each case single-device and over the two CPUs from the
same weights on the same batches, and prints one JSON line of what it measured."""

import json
import sys
import time
import types

from tfmodels.core.strategy import configure_cpu_replicas, resolve

configure_cpu_replicas(2)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from helpers import GRAPH_SPEC  # noqa: E402  (this script's folder, tests/, is on sys.path)

from tf1_compat.distribute import StrategyModel, TowerModel  # noqa: E402
from tf1_compat.model import Model  # noqa: E402
from tfmodels.core.data import load_dataset  # noqa: E402
from tfmodels.core.registry import get_spec  # noqa: E402
from tfmodels.core.spec import ModelSpec, initial_weights  # noqa: E402
from tfmodels.keras_track.model import build_model  # noqa: E402

tf.get_logger().setLevel("ERROR")
DEVICES = ["/device:CPU:0", "/device:CPU:1"]


def max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def keras_run(spec, data, strategy_name, stock=False):
    plan = resolve(strategy_name)
    with plan.strategy().scope():
        model = build_model(spec, initial_weights(spec))
    if stock:  # Keras's own train_step, which scales each replica's mean by 1/replicas
        model.train_step = types.MethodType(keras.Sequential.train_step, model)
    history = model.fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                        epochs=spec.epochs, verbose=0, validation_data=(data.x_val, data.y_val))
    return {"weights": model.get_weights(), "history": history.history,
            "replicas": plan.strategy().num_replicas_in_sync, "devices": plan.devices,
            "predictions": model.predict(data.x_val, verbose=0)}


def tf1_run(spec, data, make):
    with make(spec, initial_weights(spec)) as model:
        history = model.fit(data.x_train, data.y_train, batch_size=spec.batch_size,
                            epochs=spec.epochs, verbose=0,
                            validation_data=(data.x_val, data.y_val))
        placed = sorted({op.device for op in model.graph.get_operations()
                         if op.name.startswith("tower_1/") and op.type == "MatMul"})
        mirrored = []
        if isinstance(model, StrategyModel):
            mirrored = [v.device for v in model.variables[0].values]
        return {"weights": model.get_weights(), "history": history.history,
                "placed": placed, "mirrored": mirrored, "iterations": model.iterations,
                "predictions": model.predict(data.x_val, verbose=0)}


def compare(single, multi):
    return {"weight_diff": max_diff(single["weights"], multi["weights"]),
            "prediction_diff": float(np.max(np.abs(single["predictions"]
                                                   - multi["predictions"]))),
            "loss_diff": max(abs(a - b) for a, b in zip(single["history"]["loss"],
                                                        multi["history"]["loss"])),
            **{k: v for k, v in multi.items() if k not in ("weights", "history", "predictions")}}


def upstream_steps_per_execution():
    """Keras's own Sequential and fit, 4 steps per call under MirroredStrategy: the error text,
    or "ok" once keras-team/keras#19246 is fixed."""
    with resolve("mirrored").strategy().scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse", steps_per_execution=4)
    x = np.ones((64, 4), np.float32)
    try:
        model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
        return {"fit": "ok"}
    except Exception as e:
        return {"fit": f"{type(e).__name__}: {' '.join(str(e).split())}"}


def refused_steps_per_execution():
    """What ours says when asked for 4 steps per call over two replicas."""
    with resolve("mirrored").strategy().scope():
        try:
            build_model(get_spec("binary4"), steps_per_execution=4)
            return {"error": None}
        except ValueError as e:
            return {"error": str(e)}


def main(cases):
    out = {}
    for case in cases:
        if case in ("upstream_spe", "refused_spe"):
            out[case] = {"upstream_spe": upstream_steps_per_execution,
                         "refused_spe": refused_steps_per_execution}[case]()
            continue
        track, name, epochs = case.split(":")
        spec = (ModelSpec.from_dict({**GRAPH_SPEC, "epochs": int(epochs)}) if name == "graph"
                else get_spec(name, epochs=int(epochs)))
        data = load_dataset(spec.dataset, spec.seed)
        start = time.perf_counter()
        if track in ("keras", "keras_stock"):
            stock = track == "keras_stock"
            single = keras_run(spec, data, "cpu", stock)
            multi = keras_run(spec, data, "mirrored", stock)
        else:
            make = {"towers": lambda s, w: TowerModel(s, w, DEVICES),
                    "strategy": lambda s, w: StrategyModel(s, w, DEVICES)}[track]
            single = tf1_run(spec, data, lambda s, w: Model(s, w))
            multi = tf1_run(spec, data, make)
        out[case] = {**compare(single, multi), "seconds": time.perf_counter() - start}
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
