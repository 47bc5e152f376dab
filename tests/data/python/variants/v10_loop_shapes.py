# Training loops of other shapes: cyclic batches of 16 with a momentum optimizer, the loss and the
# accuracy fetched together every 25 steps after the step (a %.4f and a %g), then a loop that
# feeds nothing logging its step plus one before anything else is run.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from numpy.random import RandomState

rs = RandomState(11)
X = rs.rand(96, 3)
Y = [[float(a + 2 * b - c > 1.0)] for (a, b, c) in X]
x = tf.placeholder(tf.float32, shape=(None, 3), name="x")
y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y_")
w = tf.Variable(tf.random_normal([3, 1], stddev=0.5, seed=4))
b = tf.Variable(0.0)
logits = tf.matmul(x, w) + b
loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_, logits=logits))
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), y_), tf.float32))
train = tf.train.MomentumOptimizer(0.3, 0.9).minimize(loss)
counter = tf.Variable(0, name="counter")
bump = tf.assign_add(counter, 3).op
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(101):
        start = (i * 16) % 96
        sess.run(train, feed_dict={x: X[start:start + 16], y_: Y[start:start + 16]})
        if i % 25 == 0:
            l, a = sess.run([loss, accuracy], feed_dict={x: X, y_: Y})
            print("%d: loss %.4f, accuracy %g" % (i, l, a))
    for k in range(6):
        sess.run(bump)
        if k % 2 == 0:
            print("turn %d: counter %d" % (k + 1, sess.run(counter)))
