# Dense softmax cross-entropy (soft labels) as TF computes it, through three GD steps.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

logits = tf.Variable(tf.random_normal([64, 10], stddev=3.0, seed=1))
r = tf.abs(tf.random_normal([64, 10], seed=2))
labels = r / tf.reduce_sum(r, 1, keepdims=True)
loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
train = tf.train.GradientDescentOptimizer(0.5).minimize(tf.reduce_sum(loss))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print(sess.run(loss))
    for i in range(3):
        sess.run(train)
    print(sess.run(loss))
    print(sess.run(logits)[:2])
