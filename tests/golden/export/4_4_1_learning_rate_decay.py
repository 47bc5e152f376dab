"""4.4.1 A decaying learning rate (exported from a flowbench project).

Minimises y = x^2 from x = 5 with GradientDescent whose learning rate is
tf.train.exponential_decay(0.1, global_step, 1, 0.96, staircase=True); minimize(y,
global_step=global_step) increments the step after each update. Every 10 steps it prints x and
the learning rate.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
Variable_initial_value = tf.constant(0, dtype=tf.int32, name="Variable/initial_value")
Variable = tf.Variable(Variable_initial_value, name="Variable")
ExponentialDecay_initial_learning_rate = tf.constant(0.1, dtype=tf.float32, name="ExponentialDecay/initial_learning_rate")
ExponentialDecay_Cast_x = tf.constant(1, dtype=tf.int32, name="ExponentialDecay/Cast/x")
ExponentialDecay_Cast = tf.cast(ExponentialDecay_Cast_x, tf.float32, name="ExponentialDecay/Cast")
ExponentialDecay_Cast_1_x = tf.constant(0.96, dtype=tf.float32, name="ExponentialDecay/Cast_1/x")
ExponentialDecay_Cast_2 = tf.cast(Variable, tf.float32, name="ExponentialDecay/Cast_2")
ExponentialDecay_truediv = tf.realdiv(ExponentialDecay_Cast_2, ExponentialDecay_Cast, name="ExponentialDecay/truediv")
ExponentialDecay_Floor = tf.floor(ExponentialDecay_truediv, name="ExponentialDecay/Floor")
ExponentialDecay_Pow = tf.pow(ExponentialDecay_Cast_1_x, ExponentialDecay_Floor, name="ExponentialDecay/Pow")
ExponentialDecay = tf.multiply(ExponentialDecay_initial_learning_rate, ExponentialDecay_Pow, name="ExponentialDecay")
Const = tf.constant(5.0, dtype=tf.float32, name="Const")
x = tf.Variable(Const, name="x")
Square = tf.square(x, name="Square")
# GradientDescent: the gradients of Square:0 and the optimizer's slots and updates
GradientDescent = tf.train.GradientDescentOptimizer(learning_rate=ExponentialDecay).minimize(Square, var_list=[x], global_step=Variable, name="GradientDescent")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    for i in range(100):
        sess.run(GradientDescent)
        if i % 10 == 0:
            print("After %s iteration(s): x%s is %f, learning rate is %f." % (i + 1, i + 1, sess.run(x), sess.run(ExponentialDecay)))
sess.close()
