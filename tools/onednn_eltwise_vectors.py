"""Record TF 2.21's fused activations (oneDNN's JIT eltwise post-ops) for tests/engine/onednn_eltwise.rs.

TF's grappler fuses `act(matmul(x, w) + b)` into `_MklFusedMatMul` when `w` and `b` are variables
(see src/engine/runtime/remap.rs); oneDNN then applies `act` by its own JIT kernel. Here `x` is
[[1.0]], `w` a [1, N] variable holding the inputs and `b` zeros, so the post-op sees the inputs
themselves (a -0 or a subnormal becomes +0 in the add). ONEDNN_VERBOSE is read back to check that
every run took the fused path.

Usage: /path/to/python-with-tensorflow tools/onednn_eltwise_vectors.py
writes tests/data/onednn_eltwise_vectors.json: {"elu"|"sigmoid"|"tanh": {"x": [hex], "y": [hex]}}.
"""
import json
import os
import sys
import tempfile

os.environ["ONEDNN_VERBOSE"] = "all"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
F = np.float32
ACTS = {"elu": (tf.nn.elu, "eltwise_elu"), "sigmoid": (tf.sigmoid, "eltwise_logistic"), "tanh": (tf.tanh, "eltwise_tanh")}


def from_bits(b):
    return np.asarray(b, np.uint32).view(F)


def inputs(rng):
    """Inputs that reach every branch: a grid, normals at several scales, every binade, the
    clamp and saturation edges, infinities and NaN."""
    parts = [
        np.linspace(-30, 30, 1201, dtype=np.float64).astype(F),
        (rng.standard_normal(600) * 0.01).astype(F),
        (rng.standard_normal(600) * 1.0).astype(F),
        (rng.standard_normal(600) * 10.0).astype(F),
    ]
    # Two values in every binade of both signs.
    e = np.repeat(np.arange(1, 255, dtype=np.uint32), 2)
    m = rng.integers(0, 1 << 23, e.size).astype(np.uint32)
    pos = from_bits((e << 23) | m)
    parts += [pos, -pos]
    edges = [0.0, 1.0, -1.0, 0.5, -0.5, 1e-7, -1e-7, 87.0, -87.0, 88.0, -88.0, 89.0, -89.0, 100.0, -100.0,
             1e30, -1e30, 3.4028235e38, -3.4028235e38, np.inf, -np.inf, np.nan,
             -86.6434, -86.6435, 17.32868, 17.3287, 16.6355, -16.6355, 9.0, -9.0, 10.0, -10.0]
    parts.append(np.array(edges, F))
    # Around the exp clamp ln(FLT_MIN) = 0xc2aeac50 and the logistic flush edge 0xc2ad496c.
    for c in (0xc2aeac50, 0xc2ad496c, 0x418aa123):
        b = np.arange(c - 8, c + 9, dtype=np.uint32)
        parts += [from_bits(b), -from_bits(b)]
    x = np.concatenate(parts).astype(F)
    # The fused add turns -0 and subnormals into +0: record the inputs as the post-op sees them.
    x = np.where((x == 0) | (np.abs(x) < np.finfo(F).tiny), F(0.0), x).astype(F)
    return x


def main():
    rng = np.random.default_rng(20261201)
    x_all = inputs(rng)
    sess = tf.Session()
    out = {}
    log = tempfile.TemporaryFile("w+")
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(log.fileno(), 1)
    try:
        for name, (act, _) in ACTS.items():
            n = x_all.size
            xp = tf.placeholder(F, [None, 1])
            w = tf.Variable(np.zeros((1, n), F))
            b = tf.Variable(np.zeros((n,), F))
            y = act(tf.matmul(xp, w) + b)
            sess.run([w.initializer, b.initializer])
            sess.run(w.assign(x_all[None]))
            out[name] = sess.run(y, {xp: [[1.0]]})[0]
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    log.seek(0)
    lines = [line for line in log.read().splitlines() if ",exec," in line and "inner_product" in line]
    for name, (_, post_op) in ACTS.items():
        if not any(f"attr-post-ops:{post_op}" in line for line in lines):
            sys.exit(f"{name}: TF did not run the fused {post_op} post-op")
    hexes = lambda v: [f"{int(b):08x}" for b in np.asarray(v, F).view(np.uint32)]  # noqa: E731
    data = {name: {"x": hexes(x_all), "y": hexes(out[name])} for name in ACTS}
    data["_about"] = f"TF {tf.__version__}: act(matmul([[1.0]], w) + 0) with w the inputs; oneDNN post-ops"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "onednn_eltwise_vectors.json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {x_all.size} inputs x {len(ACTS)} activations to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
