"""3.1 Two graphs, each with a variable v (exported from a flowbench project).

g1 and g2 each hold a variable named v: graphs do not share names or values. g1's v starts at 0,
g2's at 1, and a session on each graph sees its own v.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()

# ----- graph "g1" -----
g1 = tf.Graph()
with g1.as_default():
    g1_v = tf.Variable(lambda: tf.fill([1], np.float32(0.0), name="zeros"), name="v")
    g1_init = tf.global_variables_initializer()

# ----- graph "g2" -----
g2 = tf.Graph()
with g2.as_default():
    g2_v = tf.Variable(lambda: tf.fill([1], np.float32(1.0), name="ones"), name="v")
    g2_init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session(graph=g1) as sess:
sess = tf.Session(graph=g1)
with sess.as_default():
    # tf.global_variables_initializer().run()
    g1_init.run()
    # print(sess.run(tf.get_variable("v")))
    print(sess.run(g1_v))
sess.close()
# with tf.Session(graph=g2) as sess:
sess = tf.Session(graph=g2)
with sess.as_default():
    g2_init.run()
    print(sess.run(g2_v))
sess.close()
