"""A TF1 seq2seq program: tf.contrib.seq2seq, which tf1_compat does not provide.

    python -m tf1_compat unprovided.py
"""
import tensorflow as tf

cell = tf.nn.rnn_cell.LSTMCell(8)
print("built the cell")
helper = tf.contrib.seq2seq.TrainingHelper  # the line the error must name
print("not reached")
