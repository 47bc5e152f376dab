# tf.gradients: values, names, unconnected inputs, several ys, and a hand-written update.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

x = tf.placeholder(tf.float32, shape=(None, 2), name="x")
w = tf.Variable(tf.random_normal([2, 3], stddev=1.0, seed=1), name="w")
b = tf.Variable(tf.zeros([3]), name="b")
u = tf.Variable(1.5, name="u")
h = tf.nn.sigmoid(2.0 * (tf.matmul(x, w) + b))
loss = tf.reduce_mean(tf.square(h - 0.5))
gw, gb, gu = tf.gradients(loss, [w, b, u])
print(gw.name, gb.shape, gu)
g2 = tf.gradients([loss, tf.reduce_sum(h)], w)
print(len(g2), g2[0].name)
dx = tf.gradients(loss, x)[0]
print(dx.name, dx.shape)
step = [tf.assign_sub(w, 0.5 * gw), tf.assign_sub(b, 0.5 * gb)]
data = [[0.1, 0.2], [0.3, -0.4], [1.0, 0.5]]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print(sess.run(gw, feed_dict={x: data}))
    print(sess.run(gb, feed_dict={x: data}))
    print(sess.run(g2[0], feed_dict={x: data}))
    print(sess.run(dx, feed_dict={x: data}))
    for i in range(3):
        sess.run(step, feed_dict={x: data})
        print(i, sess.run(loss, feed_dict={x: data}))
    print(sess.run(w))
