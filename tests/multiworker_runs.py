"""One task of a local cluster, for tests/test_multiworker.py (started by
scripts/launch_local_cluster.py, which sets TF_CONFIG). Usage: multiworker_runs.py MODE OUT_DIR
with MODE keras (our step), kerasfit (Keras's own fit, the upstream check), tf1 (ps/workers,
synchronous) or tf1async.
Writes OUT_DIR/<type>_<index>.json: final weights (as lists), the loss history, or the error."""

import json
import os
import sys

import numpy as np
import tensorflow as tf

from tfmodels.core.data import load_dataset
from tfmodels.core.registry import get_spec
from tfmodels.core.spec import initial_weights
from tfmodels.core.strategy import read_tf_config

SPEC = get_spec("binary4", epochs=2)


def main(mode, out_dir):
    tf.get_logger().setLevel("ERROR")
    config = read_tf_config()
    task = config["task"]
    data = load_dataset(SPEC.dataset, SPEC.seed)
    result = {}
    if mode in ("tf1", "tf1async"):
        from tf1_compat.cluster import train_between_graph

        history, weights = train_between_graph(SPEC, data, config,
                                               synchronous=mode == "tf1")
    else:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        if mode == "keras":
            from tfmodels.keras_track.distribute import MultiWorkerModel

            model = MultiWorkerModel(SPEC, initial_weights(SPEC), strategy)
            history = model.fit(data.x_train, data.y_train, batch_size=SPEC.batch_size,
                                epochs=SPEC.epochs, verbose=0,
                                validation_data=(data.x_val, data.y_val))
            weights = model.get_weights()
            result["replicas"] = strategy.num_replicas_in_sync
        else:  # kerasfit: does upstream fit work under MultiWorkerMirroredStrategy yet?
            import keras

            # Keras's own Sequential and fit on NumPy arrays, nothing of ours in between
            with strategy.scope():
                model = keras.Sequential([keras.Input((SPEC.input_dim,))] + [
                    keras.layers.Dense(layer.units, activation=layer.activation)
                    for layer in SPEC.layers])
                model.compile("adam", SPEC.loss, metrics=list(SPEC.metrics))
                model.set_weights(initial_weights(SPEC))
            try:
                history = model.fit(data.x_train, data.y_train, batch_size=SPEC.batch_size,
                                    epochs=1, verbose=0)
                result["fit"] = "ok"
            except Exception as e:  # the known failure, recorded for the test to read
                result["fit"] = f"{type(e).__name__}: {' '.join(str(e).split())[:500]}"
                history = None
            weights = model.get_weights()
    result["weights"] = [np.asarray(w).tolist() for w in weights]
    result["history"] = history.history if history is not None else {}
    path = os.path.join(out_dir, f"{task['type']}_{task['index']}.json")
    with open(path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
