"""A bidirectional GRU tagger: tf.nn.bidirectional_dynamic_rnn, a label per timestep.

    python birnn.py
"""
import numpy as np
import tensorflow as tf

SEED = 5
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

T, D, H, C = 5, 3, 4, 2
inputs_np = rng.normal(size=(20, T, D)).astype(np.float32)
tags_np = (np.cumsum(inputs_np[:, :, 0], axis=1) > 0).astype(np.int32)

inputs = tf.placeholder(tf.float32, [None, T, D])
tags = tf.placeholder(tf.int32, [None, T])

cell_fw = tf.nn.rnn_cell.GRUCell(H)
cell_bw = tf.nn.rnn_cell.GRUCell(H)
(out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, dtype=tf.float32)
outputs = tf.concat([out_fw, out_bw], axis=2)
logits = tf.layers.dense(tf.reshape(outputs, [-1, 2 * H]), C)
logits = tf.reshape(logits, [-1, T, C])
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tags, logits=logits))
train_op = tf.train.AdamOptimizer(0.02).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(5):
        batch = slice((step * 5) % 20, (step * 5) % 20 + 5)
        _, loss_val = sess.run([train_op, loss], {inputs: inputs_np[batch], tags: tags_np[batch]})
        print("step %d loss %.9g" % (step, loss_val))
