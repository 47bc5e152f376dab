# The seed's training program with another seed, batch size, optimizer, step count and log rate.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from numpy.random import RandomState
batch_size = 16
w1 = tf.Variable(tf.random_normal([2, 3], stddev=0.5, seed=3))
w2 = tf.Variable(tf.random_normal([3, 1], stddev=0.5, seed=3))
x = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
y = tf.sigmoid(tf.matmul(tf.matmul(x, w1), w2))
cross_entropy = -tf.reduce_mean(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) + (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0)))
train_step = tf.train.GradientDescentOptimizer(0.05).minimize(cross_entropy)
rdm = RandomState(2)
data_size = 256
X = rdm.rand(data_size, 2)
Y = [[int(x1 + x2 < 1)] for (x1, x2) in X]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(801):
        start = (i * batch_size) % data_size
        end = start + batch_size
        sess.run(train_step, feed_dict={x: X[start:end], y_: Y[start:end]})
        if i % 200 == 0:
            total = sess.run(cross_entropy, feed_dict={x: X, y_: Y})
            print("step %d: loss %g" % (i, total))
    print(sess.run(w2))
