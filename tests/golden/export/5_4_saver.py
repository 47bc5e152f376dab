"""5.4 Saving and restoring variables (exported from a flowbench project).

tf.train.Saver writes v1 and v2 as a TF V2 checkpoint (model.ckpt.index,
model.ckpt.data-00000-of-00001, model.ckpt.meta and the checkpoint state file) into a fresh
temporary folder; NewCheckpointReader lists it; a second graph that declares the same variables
with other initial values restores them; a third restores them under other names.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import os
import tempfile
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
folder = tempfile.mkdtemp()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
Const = tf.constant([1.0], dtype=tf.float32, name="Const")
v1 = tf.Variable(Const, name="v1")
Const_1 = tf.constant([2.0], dtype=tf.float32, name="Const_1")
v2 = tf.Variable(Const_1, name="v2")
add = tf.add(v1, v2, name="add")
init = tf.global_variables_initializer()

# ----- graph "restored" -----
restored = tf.Graph()
with restored.as_default():
    restored_Const = tf.constant([0.0], dtype=tf.float32, name="Const")
    restored_v1 = tf.Variable(restored_Const, name="v1")
    restored_Const_1 = tf.constant([0.0], dtype=tf.float32, name="Const_1")
    restored_v2 = tf.Variable(restored_Const_1, name="v2")
    restored_add = tf.add(restored_v1, restored_v2, name="add")

# ----- graph "renamed" -----
renamed = tf.Graph()
with renamed.as_default():
    renamed_Const = tf.constant([0.0], dtype=tf.float32, name="Const")
    renamed_other_v1 = tf.Variable(renamed_Const, name="other-v1")
    renamed_Const_1 = tf.constant([0.0], dtype=tf.float32, name="Const_1")
    renamed_other_v2 = tf.Variable(renamed_Const_1, name="other-v2")
    renamed_add = tf.add(renamed_other_v1, renamed_other_v2, name="add")

# ----- the program -----
# saver = tf.train.Saver(); with tf.Session() as sess: sess.run(init); saver.save(sess, path)
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    tf.train.Saver().save(sess, os.path.join(folder, "model.ckpt"))
sess.close()
print(sorted(os.listdir(folder)))
reader = tf.train.NewCheckpointReader(os.path.join(folder, "model.ckpt"))
for name, shape in sorted(reader.get_variable_to_shape_map().items()):
    print(name, shape, reader.get_tensor(name))
# A graph with v1 and v2 set to 0: saver.restore(sess, path); print(sess.run(result))
sess = tf.Session(graph=restored)
with sess.as_default():
    with restored.as_default():
        tf.train.Saver().restore(sess, os.path.join(folder, "model.ckpt"))
    print(sess.run(restored_add))
sess.close()
# tf.train.Saver({"v1": a, "v2": b}).restore(sess, path); print(sess.run(a + b))
sess = tf.Session(graph=renamed)
with sess.as_default():
    with renamed.as_default():
        tf.train.Saver({k: v for v in tf.global_variables() for k, n in [("v1", "other-v1"), ("v2", "other-v2")] if v.op.name == n}).restore(sess, os.path.join(folder, "model.ckpt"))
    print(sess.run(renamed_add))
sess.close()
