"""3.2 Tensors: names, shapes and dtypes (exported from a flowbench project).

A tensor has a name, a shape and a dtype. Adding a float32 and an int32 tensor is refused when
the graph is built; giving c the dtype float32 (as d) fixes it. An InteractiveSession makes
eval() work without naming a session.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
a = tf.constant([1.0, 2.0], dtype=tf.float32, name="a")
b = tf.constant([2.0, 3.4], dtype=tf.float32, name="b")
c = tf.constant([4, 5], dtype=tf.int32, name="c")
d = tf.constant([4.0, 5.0], dtype=tf.float32, name="d")
add = tf.add(a, b, name="add")
add_2 = tf.add(a, d, name="add_2")

# ----- the program -----


def error_line(e):
    """`type(e).__name__ + ": " + str(e)`, with a TF runtime error cut to TF's own message."""
    text = str(e)
    if isinstance(e, tf.errors.OpError):
        lines = [l for l in e.message.split("\n") if l.strip()]
        # TF 2.x wraps the kernel's message: "Graph execution error: ... Node: 'x'", message, "[[{{node x}}]]".
        after = [lines[k + 1] for k in range(len(lines) - 1) if lines[k].startswith("Node: ")]
        text = after[0] if after else (lines[0] if lines else "")
    return type(e).__name__ + ": " + text

# try: result1 = a + c   (float32 + int32 is refused)
try:
    add_node = tf.add(a, c, name="add")
except Exception as e:
    print(error_line(e))
print(add)
print(add_2)
sess = tf.InteractiveSession()
print(add.eval())
print(add_2.eval())
sess.close()
