"""Writes the reference files under tests/data/tf/ with real TensorFlow (run once; committed).

    /work/tfvenv/bin/python tests/data/tf/make_reference.py

ckpt/model.ckpt.*: a V2 checkpoint (tf.compat.v1.train.Saver) of variables of every dtype
flowbench has, of several shapes (scalar, vector, matrix, rank 3, empty)."""
import os
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "ckpt")
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    os.remove(os.path.join(out, f))

with tf.Graph().as_default():
    tf.Variable(np.float32(1.5), name="scalar_f32")
    tf.Variable(np.array([1.0, -2.5, 3.25], np.float32), name="weights/vector")
    tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) / 7, name="weights/matrix")
    tf.Variable(np.array([[1e-30, -0.0], [np.inf, 3.0]], np.float64), name="doubles")
    tf.Variable(np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 12, name="ints")
    tf.Variable(np.array([2**40, -7], np.int64), name="longs")
    tf.Variable(np.array([True, False, True]), name="flags")
    tf.Variable(np.zeros((0, 3), np.float32), name="empty")
    tf.Variable(np.int64(9), name="global_step")
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V2, save_relative_paths=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.save(sess, os.path.join(out, "model.ckpt"), write_meta_graph=False)
print(sorted(os.listdir(out)))

# What TF's inspect_checkpoint prints for it (`flowbench ckpt inspect` prints the same).
import contextlib, io
from tensorflow.python.tools import inspect_checkpoint as ic
for fname, kw in [("inspect.txt", dict(tensor_name="", all_tensors=False)),
                  ("inspect_values.txt", dict(tensor_name="", all_tensors=True)),
                  ("inspect_ints.txt", dict(tensor_name="ints", all_tensors=False))]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ic.print_tensors_in_checkpoint_file(os.path.join(out, "model.ckpt"), **kw)
    with open(os.path.join(here, fname), "w") as f:
        f.write(buf.getvalue())

# events/: a TensorBoard event file written by tf.summary.FileWriter with real summary ops: the
# scalar "loss" at steps 0 and 10, and at step 10 the histogram "weights" of HIST_VALUES.
import shutil
HIST_VALUES = [0.5, -1.25, 3.0, 0.0, 1e-13, -2e-12, 100.0, 0.5, 7.25e5, -3.5]
ev = os.path.join(here, "events")
shutil.rmtree(ev, ignore_errors=True)
with tf.Graph().as_default():
    loss = tf.placeholder(tf.float32, shape=[], name="loss_value")
    w = tf.constant(np.array(HIST_VALUES, np.float32).reshape(2, 5), name="w")
    s_loss = tf.summary.scalar("loss", loss)
    s_hist = tf.summary.histogram("weights", w)
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(ev)
        writer.add_summary(sess.run(s_loss, {loss: 0.75}), 0)
        writer.add_summary(sess.run(tf.summary.merge([s_loss, s_hist]), {loss: 0.125}), 10)
        writer.close()
for f in os.listdir(ev):
    # A fixed name: the test finds it without knowing when or where it was written.
    os.rename(os.path.join(ev, f), os.path.join(ev, "events.out.tfevents.reference"))

# graphs/: GraphDefs TF wrote (tf.train.write_graph). forward.pb uses only ops flowbench has;
# forward.txt is what TF computes with it: after running "init", "y:0" and "loss:0" for x = X,
# as dtype, shape and the bytes in hex. tiled.pb adds a Tile node flowbench has no op for.
gdir = os.path.join(here, "graphs")
shutil.rmtree(gdir, ignore_errors=True)
X = np.array([[0.7, 0.9], [-0.3, 0.25], [1.5, -2.0]], np.float32)
with tf.Graph().as_default() as g:
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, shape=(None, 2), name="x")
    w1 = tf.Variable(tf.random_normal([2, 3], stddev=1, seed=1), name="w1")
    b1 = tf.Variable(tf.constant([0.1, -0.2, 0.3]), name="b1")
    w2 = tf.Variable(tf.truncated_normal([3, 1], stddev=1.0), name="w2")
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    y = tf.sigmoid(tf.matmul(h, w2, transpose_a=False), name="y")
    loss = tf.reduce_mean(tf.square(y - 0.5), name="loss")
    init = tf.global_variables_initializer()
    tf.train.write_graph(g.as_graph_def(), gdir, "forward.pb", as_text=False)
    with tf.Session() as sess:
        sess.run(init)
        with open(os.path.join(gdir, "forward.txt"), "w") as f:
            for v in sess.run([y, loss], {x: X}):
                v = np.asarray(v)
                f.write("%s %s %s\n" % (v.dtype, list(v.shape), v.tobytes().hex()))
    tf.tile(y, [1, 2], name="tiled")
    tf.train.write_graph(g.as_graph_def(), gdir, "tiled.pb", as_text=False)
# tiled.pbtxt: the same graph as tiled.pb in protobuf's text format (flowbench reads it with its
# own parser: the two must be the same GraphDef). forward.meta: what tf.train.Saver writes for
# the forward graph (the saver's nodes, its SaverDef and the variable collections).
with tf.Graph().as_default() as g:
    gd = tf.GraphDef()
    gd.ParseFromString(open(os.path.join(gdir, "tiled.pb"), "rb").read())
    tf.import_graph_def(gd, name="")
    tf.train.write_graph(gd, gdir, "tiled.pbtxt", as_text=True)
with tf.Graph().as_default() as g:
    # The forward graph again, as above.
    tf.set_random_seed(3)
    x = tf.placeholder(tf.float32, shape=(None, 2), name="x")
    w1 = tf.Variable(tf.random_normal([2, 3], stddev=1, seed=1), name="w1")
    b1 = tf.Variable(tf.constant([0.1, -0.2, 0.3]), name="b1")
    w2 = tf.Variable(tf.truncated_normal([3, 1], stddev=1.0), name="w2")
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    y = tf.sigmoid(tf.matmul(h, w2, transpose_a=False), name="y")
    loss = tf.reduce_mean(tf.square(y - 0.5), name="loss")
    init = tf.global_variables_initializer()
    tf.train.Saver().export_meta_graph(os.path.join(gdir, "forward.meta"))
