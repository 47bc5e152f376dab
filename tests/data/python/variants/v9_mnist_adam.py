# An MNIST-style program on the bundled 8x8 digits with another shape, optimizer and seeds: a
# 64-30-10 relu net trained with Adam in batches of 50 from next_batch, its accuracy printed on
# the validation set before every 20th step and on the test set after the loop.
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import input_data

STEPS = 61
BATCH = 50

mnist = input_data.read_data_sets("../../../../assets/examples/digits", one_hot=True, validation_size=300)
np.random.seed(7)
tf.set_random_seed(3)
x = tf.placeholder(tf.float32, [None, 64], name="x")
y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
w1 = tf.Variable(tf.truncated_normal([64, 30], stddev=0.1))
b1 = tf.Variable(tf.zeros([30]))
w2 = tf.Variable(tf.truncated_normal([30, 10], stddev=0.1))
b2 = tf.Variable(tf.zeros([10]))
logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
train = tf.train.AdamOptimizer(0.01).minimize(loss)
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(y_, 1)), tf.float32))
valid = {x: mnist.validation.images, y_: mnist.validation.labels}
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(STEPS):
        if i % 20 == 0:
            acc = sess.run(accuracy, feed_dict=valid)
            print("step %d: validation accuracy %g, loss %.4f" % (i, acc, sess.run(loss, feed_dict=valid)))
        xs, ys = mnist.train.next_batch(BATCH)
        sess.run(train, feed_dict={x: xs, y_: ys})
    print("after %d steps: test accuracy %g" % (STEPS, sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels})))
