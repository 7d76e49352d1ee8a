"""Skip-gram word2vec: an embedding matrix, tf.nn.embedding_lookup, tf.nn.nce_loss, SGD.

    python word2vec.py
"""
import collections
import math

import numpy as np
import tensorflow as tf

SEED = 10
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

vocabulary_size, embedding_size, batch_size, num_sampled, skip_window = 30, 8, 16, 5, 1
# a synthetic corpus with some structure: words follow their neighbours often
words = [0]
for _ in range(500):
    words.append((words[-1] + rng.randint(1, 4)) % vocabulary_size
                 if rng.rand() < 0.7 else rng.randint(vocabulary_size))
count = collections.Counter(words)
data_index = 0


def generate_batch():
    global data_index
    batch = np.ndarray(shape=(batch_size,), dtype=np.int32)
    labels = np.ndarray(shape=(batch_size, 1), dtype=np.int32)
    for i in range(batch_size // 2):
        center = data_index + skip_window
        batch[2 * i] = batch[2 * i + 1] = words[center]
        labels[2 * i, 0] = words[center - 1]
        labels[2 * i + 1, 0] = words[center + 1]
        data_index = (data_index + 1) % (len(words) - 2 * skip_window)
    return batch, labels


train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
embeddings = tf.Variable(tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0))
embed = tf.nn.embedding_lookup(embeddings, train_inputs)
nce_weights = tf.Variable(tf.truncated_normal([vocabulary_size, embedding_size],
                                              stddev=1.0 / math.sqrt(embedding_size)))
nce_biases = tf.Variable(tf.zeros([vocabulary_size]))
loss = tf.reduce_mean(tf.nn.nce_loss(weights=nce_weights, biases=nce_biases, labels=train_labels,
                                     inputs=embed, num_sampled=num_sampled,
                                     num_classes=vocabulary_size))
optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keepdims=True))
normalized_embeddings = embeddings / norm

with tf.Session() as session:
    tf.global_variables_initializer().run()
    for step in range(6):
        batch_inputs, batch_labels = generate_batch()
        _, loss_val = session.run([optimizer, loss],
                                  feed_dict={train_inputs: batch_inputs,
                                             train_labels: batch_labels})
        print("step %d loss %.9g" % (step, loss_val))
    final_embeddings = normalized_embeddings.eval()
    print("most common word %d, its neighbour %d" % (
        count.most_common(1)[0][0],
        np.argsort(-final_embeddings.dot(final_embeddings[count.most_common(1)[0][0]]))[1]))
