# A ConfigProto set field by field, the placement log, and a tensor times a Python number.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
a = tf.constant([1.0, 2.0], name="a")
b = a * 3
config = tf.ConfigProto()
config.gpu_options.allow_growth = True
config.log_device_placement = True
with tf.Session(config=config) as sess:
    print(sess.run(b))
    print(sess.run([b, a])[0] + 1)
w = tf.Variable(tf.zeros([2, 1]), name="w")
print(w, [w], w.dtype, w.dtype.base_dtype, w.dtype.name)
