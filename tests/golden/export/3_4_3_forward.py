"""3.4.3 Forward propagation (exported from a flowbench project).

A 2-3-1 network without biases or activations: x (1x2) times w1 (2x3) times w2 (3x1). The
weights start from random_normal(stddev=1, seed=1), the same numbers TF draws.

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
Const = tf.constant([[0.7, 0.9]], dtype=tf.float32, name="Const")
MatMul = tf.matmul(Const, Variable, name="MatMul")
MatMul_1 = tf.matmul(MatMul, Variable_1, name="MatMul_1")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess: sess.run((w1.initializer, w2.initializer)); print(sess.run(y))
sess = tf.Session()
with sess.as_default():
    sess.run([Variable.initializer, Variable_1.initializer])
    print(sess.run(MatMul_1))
sess.close()
# init_op = tf.global_variables_initializer(); print("w1:\n", w1.eval(), "\nw2:\n", w2.eval())
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    print("w1:\n", Variable.eval(), "\nw2:\n", Variable_1.eval())
sess.close()
