"""A multilayer perceptron, the TF 1.x tutorial way: weights and biases as tf.Variable dicts.

    python mlp.py
"""
import numpy as np
import tensorflow as tf

SEED = 1
tf.set_random_seed(SEED)
rng = np.random.RandomState(SEED)

# Parameters
learning_rate = 0.1
training_steps = 6
batch_size = 16
n_input, n_hidden_1, n_hidden_2, n_classes = 8, 12, 10, 3

# Synthetic data: three blobs
centers = rng.normal(size=(n_classes, n_input)) * 2
labels_np = rng.randint(0, n_classes, size=64)
data_np = (centers[labels_np] + rng.normal(size=(64, n_input))).astype(np.float32)
onehot_np = np.eye(n_classes, dtype=np.float32)[labels_np]

X = tf.placeholder("float", [None, n_input])
Y = tf.placeholder("float", [None, n_classes])

weights = {
    'h1': tf.Variable(tf.random_normal([n_input, n_hidden_1], stddev=0.3)),
    'h2': tf.Variable(tf.random_normal([n_hidden_1, n_hidden_2], stddev=0.3)),
    'out': tf.Variable(tf.random_normal([n_hidden_2, n_classes], stddev=0.3))
}
biases = {
    'b1': tf.Variable(tf.zeros([n_hidden_1])),
    'b2': tf.Variable(tf.zeros([n_hidden_2])),
    'out': tf.Variable(tf.zeros([n_classes]))
}


def multilayer_perceptron(x):
    layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights['h1']), biases['b1']))
    layer_2 = tf.nn.relu(tf.add(tf.matmul(layer_1, weights['h2']), biases['b2']))
    return tf.matmul(layer_2, weights['out']) + biases['out']


logits = multilayer_perceptron(X)
loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=Y))
optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate)
train_op = optimizer.minimize(loss_op)
correct_pred = tf.equal(tf.argmax(logits, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)
    for step in range(training_steps):
        start = (step * batch_size) % len(data_np)
        batch_x = data_np[start:start + batch_size]
        batch_y = onehot_np[start:start + batch_size]
        _, loss = sess.run([train_op, loss_op], feed_dict={X: batch_x, Y: batch_y})
        print("step %d loss %.9g" % (step, loss))
    print("accuracy %.4f" % sess.run(accuracy, feed_dict={X: data_np, Y: onehot_np}))
