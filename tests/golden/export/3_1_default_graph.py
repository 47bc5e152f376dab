"""3.1 The default graph (exported from a flowbench project).

Two constants and their sum in the default graph. print(result) shows the tensor, not its value;
every op belongs to the default graph unless another one is made default.

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

# ----- the program -----
# result = a + b; print(result)
print(add)
# print(a.graph is tf.get_default_graph())
print(a.graph is tf.get_default_graph())
