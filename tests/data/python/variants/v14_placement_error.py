# A node pinned to a GPU that is not there fails every run, needed or not (TF places the whole
# graph); the placement log first lists the nodes placed before it, a variable with its read.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
v = tf.Variable(tf.constant([1.0, 2.0]), name="v")
p = tf.placeholder(tf.float32, shape=[2], name="p")
with tf.device("/gpu:0"):
    g = tf.constant(5.0, name="g")
a = tf.constant([1.0, 2.0], name="a")
c = tf.add(a, v, name="c")
s = tf.add(p, a, name="s")
with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
    try:
        print(sess.run(a))
    except Exception as e:
        lines = str(e).split("\n")
        # (The lines between name this file's path.)
        print(type(e).__name__, lines[0])
        print(lines[-2])
        print(lines[-1])
