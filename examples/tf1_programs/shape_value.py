"""TF1 code that reads static shapes as GPT-2's does: `x.shape[-1].value`, `Dimension`s.

    python -m tf1_compat shape_value.py [fail]
"""
import sys

import tensorflow as tf


def shape_list(x):
    """GPT-2's helper: the static dimensions where known, the dynamic ones elsewhere."""
    static = x.shape.as_list()
    dynamic = tf.shape(x)
    return [dynamic[i] if s is None else s for i, s in enumerate(static)]


x = tf.placeholder(tf.float32, [None, 7, 12])
nx = x.shape[-1].value
w = tf.get_variable("w", [nx, 3], initializer=tf.ones_initializer())
batch, steps, _ = shape_list(x)
h = tf.reshape(tf.matmul(tf.reshape(x, [-1, nx]), w), [batch, steps, 3])
print("nx", nx, type(x.shape[-1]).__name__, x.shape[0].value, h.shape.as_list())
if sys.argv[1:] == ["fail"]:
    raise ValueError("the program's own mistake")
