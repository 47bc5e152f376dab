"""3.4.4 Placeholders and feed_dict (exported from a flowbench project).

The forward pass again, with the input as a placeholder fed at run time: first one example of
shape (1, 2), then three examples of shape (3, 2) through a second placeholder.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
random_normal = tf.random_normal([2, 3], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal")
Variable = tf.Variable(random_normal, name="Variable")
random_normal_1 = tf.random_normal([3, 1], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal_1")
Variable_1 = tf.Variable(random_normal_1, name="Variable_1")
input = tf.placeholder(tf.float32, shape=(1, 2), name="input")
MatMul = tf.matmul(input, Variable, name="MatMul")
MatMul_1 = tf.matmul(MatMul, Variable_1, name="MatMul_1")
init = tf.global_variables_initializer()
input_1 = tf.placeholder(tf.float32, shape=(3, 2), name="input_1")
MatMul_2 = tf.matmul(input_1, Variable, name="MatMul_2")
MatMul_3 = tf.matmul(MatMul_2, Variable_1, name="MatMul_3")
init_1 = tf.variables_initializer(tf.global_variables(), name="init_1")

# ----- the program -----
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    print(sess.run(MatMul_1, feed_dict={input: [[0.7, 0.9]]}))
sess.close()
sess = tf.Session()
with sess.as_default():
    sess.run(init_1)
    print(sess.run(MatMul_3, feed_dict={input_1: [[0.7, 0.9], [0.1, 0.4], [0.5, 0.8]]}))
sess.close()
