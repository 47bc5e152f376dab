# A training loop logging after its step on the `(i + 1) % k == 0` schedule (steps 100, 200,
# 300 counted from one), with Adam and cyclic batches of 32.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from numpy.random import RandomState
rdm = RandomState(5)
X = rdm.rand(128, 2)
Y = [[int(2 * x1 - x2 > 0.5)] for (x1, x2) in X]
x = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
w = tf.Variable(tf.random_normal([2, 1], stddev=1.0, seed=7))
b = tf.Variable(tf.zeros([1]))
y = tf.sigmoid(tf.matmul(x, w) + b)
loss = -tf.reduce_mean(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) + (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0)))
train_step = tf.train.AdamOptimizer(0.01).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(300):
        start = (i * 32) % 128
        sess.run(train_step, feed_dict={x: X[start:start + 32], y_: Y[start:start + 32]})
        if (i + 1) % 100 == 0:
            total = sess.run(loss, feed_dict={x: X, y_: Y})
            print("After %d training steps, loss on all data is %g" % (i + 1, total))
