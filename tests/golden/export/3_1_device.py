"""3.1 Device scope (exported from a flowbench project).

The notes open a device scope on a new graph g with g.device("/gpu:0"), but a + b is built in
the default graph (g was never made default), so the add carries no device and prints as add:0.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
a = tf.constant([1.0, 2.0], dtype=tf.float32, name="a")
b = tf.constant([2.0, 3.0], dtype=tf.float32, name="b")
add = tf.add(a, b, name="add")

# ----- graph "g" -----
g = tf.Graph()

# ----- the program -----
# with g.device("/gpu:0"): result = a + b   (the op lands in the default graph)
print(add)
