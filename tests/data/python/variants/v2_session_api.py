# Sessions, fetch structures, names and a while loop.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import numpy as np
g = tf.Graph()
with g.as_default():
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]], name="a")
    b = tf.Variable(tf.ones([2, 2]), name="b")
    with tf.name_scope("layer"):
        c = tf.matmul(a, b) * 2 - 1
        d = tf.reduce_sum(c, axis=1)
    e = tf.nn.relu(d - 10)
    print(c, d.name, e.shape, e.dtype, c.op.type)
    init = tf.global_variables_initializer()
with tf.Session(graph=g) as sess:
    sess.run(init)
    out = sess.run({"c": c, "pair": (d, e)})
    print(out["c"])
    print(out["pair"][0], out["pair"][1])
    i = 0
    total = 0.0
    while i < 3:
        total += float(sess.run(d)[i % 2])
        i += 1
    print("total %.3f" % total, f"{total:8.2f}", "{:>6}".format(i))
    print(sess.run([d, e]))
