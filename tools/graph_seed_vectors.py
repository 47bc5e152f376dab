#!/usr/bin/env python3
"""Dump how real TensorFlow derives random ops' seeds from a graph-level seed, as test vectors.

Runs TF 2.21 (tf.compat.v1 graph mode) on small graphs built with `tf.set_random_seed` and writes
tests/data/tf_graph_seeds.json, which tests/engine/graph_seeds.rs checks without Python or TF:
for each graph, the random ops in creation order with the `seed`/`seed2` attrs TF gave them, and
(for some) the values of one run: their hex bits when small, else the first values and the
sha256 of the whole little-endian output.

TF 2.x's rule (random_seed.get_seed): with a graph seed g and no op seed, the op seed is a
per-graph counter 0, 1, 2, ... of the ops that asked for one (not TF 1.x's `graph._last_id`);
attrs are (g % (2**31-1), op_seed % (2**31-1)), with (0, 0) replaced by (0, 2**31-1).

Usage:  TF_CPP_MIN_LOG_LEVEL=3 /work/tfvenv/bin/python tools/graph_seed_vectors.py [out.json]
"""
import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()

RANDOM = ("TruncatedNormal", "RandomStandardNormal", "RandomUniform")


def hexs(a):
    return ["%08x" % x for x in np.asarray(a, dtype=np.float32).ravel().view(np.uint32)]


def case(name, graph_seed, build, values=True):
    g = tf.Graph()
    with g.as_default():
        calls = build()
    ops = []
    with tf.Session(graph=g) as sess:
        for call, t, args in calls:
            op = t.op
            # the kernel op (the call's output may be a Mul/Add on top of it)
            kernel = [o for o in g.get_operations() if o.type in RANDOM and o.name.startswith(op.name.rsplit("/", 1)[0] + "/")] \
                if op.type not in RANDOM else [op]
            k = kernel[0]
            entry = {"call": call, "op": k.type, "seed": k.get_attr("seed"), "seed2": k.get_attr("seed2")}
            entry.update(args)
            if values:
                v = sess.run(t)
                if v.size <= 16:
                    entry["values"] = hexs(v)
                else:
                    entry["first"] = hexs(v.ravel()[:8])
                    entry["sha256_of_little_endian_values"] = hashlib.sha256(
                        np.asarray(v, dtype="<f4").tobytes()).hexdigest()
            ops.append(entry)
    return {"name": name, "graph_seed": graph_seed, "ops": ops}


def A(shape, op_seed=None, **params):
    return {"shape": shape, "op_seed": op_seed, "params": params}


def mnist():
    # 5_2_1_mnist.py's variables, in its order.
    tf.set_random_seed(1)
    tf.placeholder(tf.float32, [None, 64], name="x-input")
    tf.placeholder(tf.float32, [None, 10], name="y-input")
    a = tf.truncated_normal([64, 500], stddev=0.1)
    tf.Variable(a)
    tf.Variable(tf.constant(0.1, shape=[500]))
    b = tf.truncated_normal([500, 10], stddev=0.1)
    tf.Variable(b)
    return [("truncated_normal([64, 500], stddev=0.1)", a, A([64, 500], stddev=0.1)), ("truncated_normal([500, 10], stddev=0.1)", b, A([500, 10], stddev=0.1))]


def mixed():
    # Explicit op seeds do not advance the counter; other ops do not either.
    tf.set_random_seed(5)
    out = [("random_normal([2, 3])", tf.random_normal([2, 3]), A([2, 3]))]
    tf.constant(1.0)
    out.append(("random_normal([3], seed=7)", tf.random_normal([3], seed=7), A([3], op_seed=7)))
    out.append(("random_uniform([5])", tf.random_uniform([5]), A([5])))
    out.append(("truncated_normal([4], mean=1.0, stddev=2.0)", tf.truncated_normal([4], mean=1.0, stddev=2.0), A([4], mean=1.0, stddev=2.0)))
    out.append(("random_uniform([2, 2], -1.0, 1.0)", tf.random_uniform([2, 2], -1.0, 1.0), A([2, 2], minval=-1.0, maxval=1.0)))
    return out


def seed_zero():
    tf.set_random_seed(0)
    return [("random_normal([2])", tf.random_normal([2]), A([2])),
            ("random_normal([2], seed=0)", tf.random_normal([2], seed=0), A([2], op_seed=0)),
            ("random_normal([2])", tf.random_normal([2]), A([2]))]


def negative():
    tf.set_random_seed(-3)
    return [("random_normal([3])", tf.random_normal([3]), A([3])), ("random_uniform([3])", tf.random_uniform([3]), A([3]))]


def big():
    tf.set_random_seed(2**40 + 5)
    return [("random_uniform([3])", tf.random_uniform([3]), A([3])), ("random_uniform([3])", tf.random_uniform([3]), A([3]))]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf_graph_seeds.json")
    cases = [case("mnist_5_2_1", 1, mnist), case("mixed", 5, mixed), case("graph_seed_0", 0, seed_zero),
             case("graph_seed_-3", -3, negative), case("graph_seed_2**40+5", 2**40 + 5, big)]
    doc = {
        "description": "Random ops' seed attrs and values under a graph-level seed, from real TF "
                       "(tools/graph_seed_vectors.py), in creation order; op_seed null = none given.",
        "generated_with": "tensorflow " + tf.__version__ + ", numpy " + np.__version__,
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


main()
