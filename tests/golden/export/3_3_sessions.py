"""3.3 Sessions and ConfigProto (exported from a flowbench project).

Every way the notes open a session: create and close, a with block, a default session, an
InteractiveSession, what a closed session says, and a ConfigProto with allow_soft_placement and
log_device_placement.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- session configs -----
config_soft_log = tf.ConfigProto(allow_soft_placement=True, log_device_placement=True)  # soft+log

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
a = tf.constant([1.0, 2.0], dtype=tf.float32, name="a")
b = tf.constant([2.0, 3.4], dtype=tf.float32, name="b")
add = tf.add(a, b, name="add")

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

# 3.3.1 create and close
sess = tf.Session()
print(sess.run(add))
sess.close()
# 3.3.2 with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    print(sess.run(add))
sess.close()
# 3.3.3 default session
sess = tf.Session()
with sess.as_default():
    print(add)
    print(add.eval())
print(sess.run(add))
print(add.eval(session=sess))
sess.close()
# 3.3.4 interactive session
sess = tf.InteractiveSession()
print(add.eval())
sess.close()
# using a closed session
try:
    sess.run([add])
except Exception as e:
    print(error_line(e))
# 3.3.5 ConfigProto(allow_soft_placement=True, log_device_placement=True)
sess1 = tf.InteractiveSession(config=config_soft_log)
sess2 = tf.Session(config=config_soft_log)
print(sess2.run(add))
sess1.close()
sess2.close()
