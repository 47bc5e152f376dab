# ExponentialMovingAverage with another decay and update schedule.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
v = tf.Variable(1.5, dtype=tf.float32)
n = tf.Variable(0, trainable=False)
ema = tf.train.ExponentialMovingAverage(0.9, n)
update = ema.apply([v])
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for k, value in enumerate([2.0, 8.0, -1.0]):
        sess.run(tf.assign(v, value))
        sess.run(tf.assign(n, k * 50))
        sess.run(update)
        print(k, sess.run([v, ema.average(v)]))
