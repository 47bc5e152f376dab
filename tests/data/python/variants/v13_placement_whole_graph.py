# The placement log: TF places (and logs) the whole graph at a session's first run, unused nodes
# included, non-constants first; and the whole graph again at the first run after it grew.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
a = tf.constant([1.0, 2.0], name="a")
b = tf.constant([3.0, 4.0], name="b")
c = tf.add(a, b, name="c")
d = tf.multiply(a, b, name="d")
with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
    print(sess.run(c))
    e = tf.subtract(a, b, name="e")
    print(sess.run(e))
    print(sess.run(d))
    print(sess.run([c, d]))
