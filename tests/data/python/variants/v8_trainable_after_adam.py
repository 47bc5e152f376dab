# Optimizer slots (Adam's m and v) and beta powers are variables, but not trainable ones.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
w1 = tf.Variable(tf.random_normal([2, 3], stddev=1, seed=1))
w2 = tf.Variable(tf.random_normal([3, 1], stddev=1, seed=1))
x = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
y = tf.sigmoid(tf.matmul(tf.matmul(x, w1), w2))
cross_entropy = -tf.reduce_mean(y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) + (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0)))
train_step = tf.train.AdamOptimizer(0.001).minimize(cross_entropy)
print(len(tf.trainable_variables()), len(tf.global_variables()))
print([v.name for v in tf.trainable_variables()])
print([v.name for v in tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)])
