"""Linear regression as a tf.estimator.Estimator: a model_fn, numpy_input_fn, a SessionRunHook
that prints the loss of each step.

    python estimator_linear.py MODEL_DIR
"""
import sys

import numpy as np
import tensorflow as tf

SEED = 12
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

x_train = rng.normal(size=(20, 3)).astype(np.float32)
y_train = (x_train.dot([[1.5], [-2.0], [0.5]]) + 0.3).astype(np.float32)


def model_fn(features, labels, mode):
    W = tf.get_variable("W", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    y = tf.matmul(features["x"], W) + b
    loss = tf.reduce_mean(tf.square(y - labels))
    global_step = tf.train.get_global_step()
    optimizer = tf.train.GradientDescentOptimizer(0.1)
    train = optimizer.minimize(loss, global_step=global_step)
    return tf.estimator.EstimatorSpec(mode=mode, predictions=y, loss=loss, train_op=train,
                                      training_hooks=[PrintLoss(loss)])


class PrintLoss(tf.train.SessionRunHook):
    def __init__(self, loss):
        self._loss = loss
        self._step = 0

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self._loss)

    def after_run(self, run_context, run_values):
        print("step %d loss %.9g" % (self._step, run_values.results))
        self._step += 1


estimator = tf.estimator.Estimator(model_fn=model_fn, model_dir=sys.argv[1],
                                   config=tf.estimator.RunConfig(tf_random_seed=SEED))
input_fn = tf.estimator.inputs.numpy_input_fn({"x": x_train}, y_train, batch_size=20,
                                              num_epochs=None, shuffle=False)
estimator.train(input_fn=input_fn, steps=8)
print("W", estimator.get_variable_value("W").ravel())
