#!/usr/bin/env python3
"""Dump TensorFlow's own float32 SoftmaxCrossEntropyWithLogits results as bit-exact test vectors.

Runs real TF (2.21, CPU, tf.compat.v1 graph mode) on chosen logits and labels and writes
tests/data/softmax_xent_vectors.json, which tests/engine/softmax_xent.rs checks without Python
or TF. Every float is stored as 8 hex digits of its IEEE-754 bits.

Usage:  TF_CPP_MIN_LOG_LEVEL=3 python tools/xent_vectors.py [out.json]

Covered: [batch, classes] for classes 1..18, 31..33 and 100 (an 8-wide packet with and without a
scalar tail in each row, and a flat tensor whose length is or is not a multiple of 8), one-hot
and soft labels, logits spread wide enough that some exponentials underflow to subnormals (which
TF flushes), and rows holding +-inf. The libm tails (expf, logf) can depend on the C library.
"""
import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()


def hexes(a):
    return [format(int(v), "08x") for v in np.asarray(a, dtype=np.float32).ravel().view(np.uint32)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "tests", "data", "softmax_xent_vectors.json")
    rng = np.random.RandomState(20261201)
    cases = []
    shapes = [(b, c) for c in list(range(1, 19)) + [31, 32, 33] for b in (1, 3)] + [(64, 10), (2, 100)]
    for batch, classes in shapes:
        for kind in ("onehot", "soft", "wide"):
            scale = 40.0 if kind == "wide" else 3.0
            x = (rng.randn(batch, classes) * scale).astype(np.float32)
            if kind == "onehot":
                z = np.eye(classes, dtype=np.float32)[rng.randint(0, classes, batch)]
            else:
                z = rng.rand(batch, classes).astype(np.float32)
                z /= z.sum(1, keepdims=True)
            cases.append((x, z))
    x = (rng.randn(4, 10) * 3).astype(np.float32)
    x[0, 3] = np.inf
    x[1, 9] = -np.inf
    x[2, :] = -np.inf
    x[3, 0] = 1e-40
    z = np.eye(10, dtype=np.float32)[[3, 9, 1, 0]]
    cases.append((x, z))
    X = tf.placeholder(tf.float32, [None, None])
    Z = tf.placeholder(tf.float32, [None, None])
    loss, backprop = tf.raw_ops.SoftmaxCrossEntropyWithLogits(features=X, labels=Z)
    records = []
    with tf.Session() as s:
        for x, z in cases:
            lv, bv = s.run([loss, backprop], {X: x, Z: z})
            records.append({"shape": list(x.shape), "logits": hexes(x), "labels": hexes(z),
                            "loss": hexes(lv), "backprop": hexes(bv)})
    doc = {"tf_version": tf.__version__, "machine": platform.machine(), "processor": platform.processor(),
           "cases": records}
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{len(records)} cases -> {out}")


if __name__ == "__main__":
    main()
