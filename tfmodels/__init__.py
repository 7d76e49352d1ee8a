"""Deep-learning fundamentals in Keras 3 (this package) and TF1 graphs (`tf1_compat`).

Both tracks build from one `ModelSpec` (`tfmodels.spec`), train on the same batches
(`tfmodels.data.batch_indices`) and are proven to compute the same numbers (`tfmodels.compare`).
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU features) hides our own output; a user
# who wants it back sets TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
