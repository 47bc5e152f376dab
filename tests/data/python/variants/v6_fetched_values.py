# Fetched values as numpy gives them: scalars, lists of fetches, tolist, indexing, formats.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import numpy as np
a = tf.constant([[1, 2], [3, 4]], name="a")
b = tf.cast(a, tf.float32)
c = tf.reduce_mean(b, axis=0)
d = tf.argmax(b, 1)
e = tf.constant(3)
f = tf.zeros([2, 2], dtype=tf.int32)
init = tf.global_variables_initializer()
with tf.Session() as sess:
    print(sess.run(init))
    print(sess.run(c), sess.run(d), sess.run(e), sess.run(f))
    r = sess.run(e)
    print(r, type(r).__name__, r + 1, r * 2.5)
    print(sess.run([c, e]))
    print(sess.run(b).tolist(), sess.run(b).shape, sess.run(b)[0, 1])
    print("%.2f" % sess.run(c)[0], "{:.3f}".format(sess.run(c)[1]))
    x = np.array([1.5, 2.5], dtype=np.float32)
    print(x, x * 2, x.dtype, np.float32(0.1), [np.float32(0.1)])
print(a.op.name, a.op.type, c.name, d.dtype, a.get_shape(), b.shape.as_list())
