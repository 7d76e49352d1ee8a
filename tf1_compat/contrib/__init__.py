"""TF1's `tf.contrib` (removed in TF 2.0), the parts rebuilt here: `tf1_compat.contrib.rnn`."""
