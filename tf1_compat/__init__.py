"""The TF1 track: each model as a `tf.Graph` built through `tf.compat.v1`, run in a `Session`.

Placeholders with a `None` batch dimension, layers made of `get_variable` inside
`variable_scope`, a `tf.compat.v1.train` optimizer's `minimize`, `global_variables_initializer`,
a `Session` loop fed by `feed_dict`, and `summary.FileWriter` for TensorBoard. Keras 3 removed
`tf.compat.v1.layers`, so the layers are built from variables by hand - the lesson of the notes.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
