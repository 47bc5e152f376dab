# Minimising (x - 3)^2 with Momentum and a smooth exponential decay; a Python function builds
# the loss.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

def loss_of(v, target=3.0):
    return tf.square(v - target)

global_step = tf.Variable(0, trainable=False)
lr = tf.train.exponential_decay(0.05, global_step, 10, 0.9, staircase=False)
x = tf.Variable(tf.constant(-2.0), name="x")
loss = loss_of(x)
train = tf.train.MomentumOptimizer(lr, 0.8).minimize(loss, global_step=global_step)
with tf.Session() as sess:
    tf.global_variables_initializer().run()
    for step in range(60):
        sess.run(train)
        if (step + 1) % 15 == 0:
            xv, lv, rate = sess.run([x, loss, lr])
            print("step %d: x=%f loss=%g lr=%.5f" % (step + 1, xv, lv, rate))
