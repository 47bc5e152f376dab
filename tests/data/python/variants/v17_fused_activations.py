# Activations TF runs inside a fused MatMul (oneDNN's post-ops): tanh, sigmoid and elu after
# `matmul + b` with variable or constant weights and bias give oneDNN's bits; a fetched
# pre-activation, or weights fed through a placeholder, keep TF's own (Eigen) kernels.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from numpy.random import RandomState

rdm = RandomState(3)
X = rdm.rand(64, 2) * 4 - 2
Y = [[float(x1 * x1 + x2 * x2 < 1.5)] for (x1, x2) in X]
x = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
w1 = tf.Variable(tf.random_normal([2, 4], stddev=1.0, seed=1))
b1 = tf.Variable(tf.constant(0.1, shape=[4]))
w2 = tf.Variable(tf.random_normal([4, 1], stddev=1.0, seed=2))
b2 = tf.Variable(tf.zeros([1]))
h = tf.tanh(tf.matmul(x, w1) + b1)
pre = tf.matmul(h, w2) + b2
y = tf.sigmoid(pre)
loss = -tf.reduce_mean(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) + (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0)))
train_step = tf.train.AdamOptimizer(0.05).minimize(loss)

# Constant weights and bias fuse too; weights fed through a placeholder do not.
wc = tf.constant([[0.5, -1.5, 2.5], [1.25, 0.75, -2.0]])
bc = tf.constant([0.3, -0.2, 0.1])
e_const = tf.nn.elu(tf.matmul(x, wc) + bc)
s_const = tf.sigmoid(bc + tf.matmul(x, wc))
wp = tf.placeholder(tf.float32, shape=(2, 3), name="w-fed")
s_fed = tf.sigmoid(tf.matmul(x, wp) + bc)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print(sess.run(h, feed_dict={x: X[:4]}))
    print(sess.run(y, feed_dict={x: X[:4]}))
    # The pre-activation fetched in the same run: TF computes the sigmoid unfused.
    y_unfused, _ = sess.run([y, pre], feed_dict={x: X[:4]})
    print(y_unfused)
    for i in range(200):
        start = (i * 16) % 64
        sess.run(train_step, feed_dict={x: X[start:start + 16], y_: Y[start:start + 16]})
        if (i + 1) % 50 == 0:
            print("After %d steps, loss %.9g" % (i + 1, sess.run(loss, feed_dict={x: X, y_: Y})))
    print(sess.run(w1))
    print(sess.run(b2))
    print(sess.run(y, feed_dict={x: X[:4]}))
    print(sess.run(e_const, feed_dict={x: X[:3]}))
    print(sess.run(s_const, feed_dict={x: X[:3]}))
    print(sess.run(s_fed, feed_dict={x: X[:3], wp: [[0.5, -1.5, 2.5], [1.25, 0.75, -2.0]]}))
