"""A two-layer LSTM language model: MultiRNNCell of DropoutWrapper'd cells, embedding, softmax.

    python stacked_dropout.py
"""
import numpy as np
import tensorflow as tf

SEED = 6
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

vocab_size, embed_size, hidden_size, num_layers, num_steps, batch_size = 20, 6, 8, 2, 5, 4
corpus = rng.randint(0, vocab_size, size=200)

input_data = tf.placeholder(tf.int32, [batch_size, num_steps])
targets = tf.placeholder(tf.int32, [batch_size, num_steps])
keep_prob = tf.placeholder(tf.float32, [])


def lstm_cell():
    cell = tf.contrib.rnn.BasicLSTMCell(hidden_size, forget_bias=0.0, state_is_tuple=True)
    return tf.contrib.rnn.DropoutWrapper(cell, output_keep_prob=keep_prob, seed=SEED)


cell = tf.contrib.rnn.MultiRNNCell([lstm_cell() for _ in range(num_layers)], state_is_tuple=True)
initial_state = cell.zero_state(batch_size, tf.float32)
embedding = tf.get_variable("embedding", [vocab_size, embed_size], dtype=tf.float32)
inputs = tf.nn.embedding_lookup(embedding, input_data)
# One step at a time: each DropoutWrapper op draws every step's mask from one stream, and with
# dynamic_rnn's default 32 parallel iterations a later step may take its draw first when the
# machine is busy (in TF1 as in the drop-in), which moved this program's first loss by 7e-5 in
# one CI run: parallel_iterations=1 makes the masks repeat exactly, as the comparison needs.
outputs, final_state = tf.nn.dynamic_rnn(cell, inputs, initial_state=initial_state,
                                         parallel_iterations=1)
output = tf.reshape(outputs, [-1, hidden_size])
softmax_w = tf.get_variable("softmax_w", [hidden_size, vocab_size], dtype=tf.float32)
softmax_b = tf.get_variable("softmax_b", [vocab_size], dtype=tf.float32)
logits = tf.matmul(output, softmax_w) + softmax_b
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
    labels=tf.reshape(targets, [-1]), logits=logits))
train_op = tf.train.GradientDescentOptimizer(1.0).minimize(loss)

with tf.Session() as session:
    session.run(tf.global_variables_initializer())
    for step in range(5):
        start = step * batch_size * num_steps
        chunk = corpus[start:start + batch_size * num_steps + 1]
        x = chunk[:-1].reshape(batch_size, num_steps)
        y = chunk[1:].reshape(batch_size, num_steps)
        cost, _ = session.run([loss, train_op], {input_data: x, targets: y, keep_prob: 0.5})
        print("step %d loss %.9g" % (step, cost))
