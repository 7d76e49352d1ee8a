"""A TF 1.x Estimator tutorial: model_fn, numpy_input_fn, train, evaluate, predict.

    python -m tf1_compat estimator_classifier.py MODEL_DIR STEPS
"""
import json
import sys

import numpy as np
import tensorflow as tf

model_dir, steps = sys.argv[1], int(sys.argv[2])
rng = np.random.RandomState(0)
x_train = rng.normal(size=(200, 2)).astype(np.float32)
y_train = (x_train[:, 0] * x_train[:, 1] > 0).astype(np.int32)
x_test = rng.normal(size=(50, 2)).astype(np.float32)
y_test = (x_test[:, 0] * x_test[:, 1] > 0).astype(np.int32)


def model_fn(features, labels, mode, params):
    net = features["x"]
    for units in params["hidden_units"]:
        net = tf.layers.dense(net, units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, 2)
    predicted = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"class_ids": predicted})
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    metrics = {"accuracy": tf.metrics.accuracy(labels=labels, predictions=predicted)}
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)
    optimizer = tf.train.AdagradOptimizer(learning_rate=0.3)
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


classifier = tf.estimator.Estimator(
    model_fn=model_fn, model_dir=model_dir, params={"hidden_units": [10, 10]},
    config=tf.estimator.RunConfig(tf_random_seed=1, save_checkpoints_steps=50))
classifier.train(tf.estimator.inputs.numpy_input_fn(
    {"x": x_train}, y_train, batch_size=20, num_epochs=None, shuffle=True), steps=steps)
test_input = tf.estimator.inputs.numpy_input_fn({"x": x_test}, y_test, num_epochs=1,
                                                shuffle=False)
results = classifier.evaluate(test_input)
predictions = classifier.predict(tf.estimator.inputs.numpy_input_fn(
    {"x": x_test}, num_epochs=1, shuffle=False))
np.save("predictions.npy", np.array([p["class_ids"] for p in predictions]))
np.save("labels.npy", y_test)
print(json.dumps({k: float(v) for k, v in results.items()}))
