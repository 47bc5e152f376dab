#!/usr/bin/env python3
"""Dump TensorFlow's own float32 results as bit-exact test vectors for flowbench's eigen_math.

Runs real TF (2.21, CPU, tf.compat.v1 graph mode, default oneDNN settings) on chosen inputs and
writes tests/data/eigen_math_vectors.json, which tests/eigen_math.rs checks without Python or TF.
Every float is stored as 8 hex digits of its IEEE-754 bits.

Usage:  TF_CPP_MIN_LOG_LEVEL=3 python tools/eigen_vectors.py [out.json]

Covered:
  * unary ops Sigmoid, Exp, Log, Tanh, Reciprocal, Sqrt on tensors of lengths 1..17 (the
    8-wide packet path and the scalar tail), 256 random values, and edge cases (+-0, +-inf,
    NaNs, subnormals, huge values, the algorithms' cut-offs) on both paths;
  * SigmoidGrad, TanhGrad, SqrtGrad, ReciprocalGrad, Maximum, Minimum on pairs;
  * reduce_sum / reduce_mean over all elements (lengths 1..40 and larger, including one beyond
    Eigen's 8192-element leaf), reduce_sum over axis 0;
  * small MatMuls (the shapes of the seed's training graph and a few more).

Inputs are deterministic (numpy seed), so reruns on the same machine give the same file. Results
for Reciprocal (hardware rcpps), MatMul (oneDNN picks kernels by CPU) and the libm tails can
depend on the CPU / C library; the file records the CPU it was made on.
"""
import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402
from tensorflow.python.ops import gen_math_ops  # noqa: E402

tf.disable_v2_behavior()

F32 = np.float32
RNG = np.random.default_rng(20260521)


def hexs(a):
    return ["%08x" % v for v in np.asarray(a, dtype=F32).reshape(-1).view(np.uint32)]


def bits(*vals):
    return np.array(vals, dtype=np.uint32).view(F32)


def neighbours(v):
    v = F32(v)
    return [np.nextafter(v, F32(-np.inf)), v, np.nextafter(v, F32(np.inf))]


EDGES = np.concatenate([
    np.array([0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 0.5, 2.0, 1e-30, -1e-30, 1e30, -1e30, 1e-20,
              -1e-20, 1e-7, 100.0, -100.0, 20.0, -20.0, 9.0, -9.0, 3.0e38, -3.0e38, 1.0e-38],
             dtype=F32),
    bits(0x7FC00000, 0xFFC00000, 0x7FC12345, 0x7F800001, 0x00000001, 0x80000001, 0x007FFFFF,
         0x807FFFFF, 0x00400000, 0x80400000, 0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF),
    *[np.array(neighbours(v), dtype=F32) for v in
      (-104.0, 16.6355324, -16.6355324, 88.723, 87.0, -87.0, -87.33654, -88.7, -103.97208,
       7.90738964, -7.90738964, 0.70710677, 1.0)],
]).astype(F32)


def random_values(n):
    """A mix of moderate, log-uniform (+-1e-45 .. 3e38), wide and random-bit values."""
    k = RNG.integers(0, 4, n)
    moderate = RNG.uniform(-20, 20, n)
    logu = np.sign(RNG.uniform(-1, 1, n)) * 10.0 ** RNG.uniform(-45, 38.5, n)
    wide = RNG.uniform(-110, 110, n)
    rbits = RNG.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(F32)
    with np.errstate(over="ignore"):
        out = np.where(k == 0, moderate, np.where(k == 1, logu, wide)).astype(F32)
    return np.where(k == 3, rbits, out).astype(F32)


def unary_inputs():
    """Tensors for one unary op: edge cases on the packet path and on the tail, lengths 1..17."""
    tensors = []
    pad = (-len(EDGES)) % 8
    tensors.append(np.concatenate([EDGES, EDGES[:pad]]))  # all in full packets
    for i in range(0, len(EDGES), 7):  # all in the tail (length <= 7)
        tensors.append(EDGES[i:i + 7])
    for n in range(1, 18):
        tensors.append(random_values(n))
    tensors.append(random_values(128))
    return tensors


def run(fetches, feeds):
    with tf.Session() as s:
        return s.run(fetches, feeds)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "eigen_math_vectors.json")
    cpu = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model", "model name") and key not in cpu:
                    cpu[key] = val.strip()
    except OSError:
        pass
    doc = {
        "meta": {
            "generator": "tools/eigen_vectors.py",
            "tensorflow": tf.__version__,
            "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
            "machine": platform.machine(),
            "libc": " ".join(platform.libc_ver()),
            "cpu": cpu,
        },
        "unary": {},
        "binary": {},
        "sum": [],
        "sum_rows": [],
        "matmul": [],
    }

    # ---- unary ops ----
    ops = {"sigmoid": tf.sigmoid, "exp": tf.exp, "log": tf.log, "tanh": tf.tanh,
           "reciprocal": tf.math.reciprocal, "sqrt": tf.sqrt}
    for name, fn in ops.items():
        xs = unary_inputs()
        phs = [tf.placeholder(tf.float32, [None]) for _ in xs]
        ys = run([fn(p) for p in phs], dict(zip(phs, xs)))
        doc["unary"][name] = [{"x": hexs(x), "y": hexs(y)} for x, y in zip(xs, ys)]
        tf.reset_default_graph()

    # ---- binary ops (same shapes) ----
    bops = {
        "sigmoid_grad": gen_math_ops.sigmoid_grad, "tanh_grad": gen_math_ops.tanh_grad,
        "sqrt_grad": gen_math_ops.sqrt_grad, "reciprocal_grad": gen_math_ops.reciprocal_grad,
        "maximum": tf.maximum, "minimum": tf.minimum,
    }
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e-40, -1e-40], dtype=F32)
    for name, fn in bops.items():
        pairs = []
        for n in list(range(1, 18)) + [64]:
            a, b = random_values(n), random_values(n)
            if name in ("sigmoid_grad", "tanh_grad"):
                a = RNG.uniform(-1, 1, n).astype(F32)
            pairs.append((a, b))
        # every pair of specials, on the packet path (length 104) and in the tail (length 7 chunks)
        sa = np.repeat(special, len(special)); sb = np.tile(special, len(special))
        sa = np.concatenate([sa, sa[:4]]); sb = np.concatenate([sb, sb[:4]])
        pairs.append((sa, sb))
        for i in range(0, 100, 7):
            pairs.append((sa[i:i + 7], sb[i:i + 7]))
        pa = [tf.placeholder(tf.float32, [None]) for _ in pairs]
        pb = [tf.placeholder(tf.float32, [None]) for _ in pairs]
        feeds = {}
        for p, q, (a, b) in zip(pa, pb, pairs):
            feeds[p] = a
            feeds[q] = b
        ys = run([fn(p, q) for p, q in zip(pa, pb)], feeds)
        doc["binary"][name] = [{"a": hexs(a), "b": hexs(b), "y": hexs(y)} for (a, b), y in zip(pairs, ys)]
        tf.reset_default_graph()

    # ---- full reductions ----
    def lcg_values(seed, n):
        """Values the Rust test regenerates exactly: (k - 2^23) / 2^21 from a 32-bit LCG."""
        out = np.empty(n, dtype=F32)
        s = seed
        for i in range(n):
            s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
            out[i] = F32(((s >> 8) - (1 << 23)) / float(1 << 21))
        return out

    cases = []
    for n in list(range(1, 41)) + [63, 64, 65, 127, 128, 129, 200, 1000]:
        x = (RNG.standard_normal(n) * 10.0 ** RNG.uniform(-3, 3, n)).astype(F32)
        cases.append(({"x": hexs(x)}, x))
    for seed, n in ((1, 8192), (2, 8193), (3, 20000)):
        cases.append(({"lcg": {"seed": seed, "n": n}}, lcg_values(seed, n)))
    phs = [tf.placeholder(tf.float32, [None]) for _ in cases]
    feeds = {p: x for p, (_, x) in zip(phs, cases)}
    sums, means = run([[tf.reduce_sum(p) for p in phs], [tf.reduce_mean(p) for p in phs]], feeds)
    for (spec, _), s, m in zip(cases, sums, means):
        doc["sum"].append(dict(spec, sum=hexs(s)[0], mean=hexs(m)[0]))
    tf.reset_default_graph()

    shapes = [(8, 3), (8, 9), (15, 16), (16, 8), (40, 3), (64, 37), (128, 16)]
    xs = [RNG.standard_normal(s).astype(F32) for s in shapes]
    phs = [tf.placeholder(tf.float32, None) for _ in shapes]
    ys = run([tf.reduce_sum(p, axis=0) for p in phs], dict(zip(phs, xs)))
    for (r, c), x, y in zip(shapes, xs, ys):
        doc["sum_rows"].append({"rows": r, "cols": c, "x": hexs(x), "y": hexs(y)})
    tf.reset_default_graph()

    # ---- MatMul ----
    mm = [(8, 2, 3, 0, 0), (128, 2, 3, 0, 0), (8, 3, 1, 0, 0), (128, 3, 1, 0, 0), (3, 8, 1, 1, 0),
          (2, 8, 3, 1, 0), (8, 1, 3, 0, 1), (16, 8, 4, 0, 0), (4, 16, 5, 1, 0), (1, 5, 3, 0, 0),
          (2, 4, 1, 0, 0), (3, 3, 1, 0, 0), (8, 5, 7, 0, 0), (1, 32, 8, 0, 0), (16, 32, 4, 1, 0),
          (3, 17, 2, 1, 1), (8, 7, 1, 0, 0), (16, 33, 1, 0, 0), (8, 17, 2, 0, 1), (4, 9, 3, 0, 1), (32, 6, 1, 0, 1), (1, 12, 3, 1, 1)]
    pa, pb, feeds, data = [], [], {}, []
    for (m, k, n, ta, tb) in mm:
        a = RNG.standard_normal((k, m) if ta else (m, k)).astype(F32)
        b = RNG.standard_normal((n, k) if tb else (k, n)).astype(F32)
        p = tf.placeholder(tf.float32, [None, None]); q = tf.placeholder(tf.float32, [None, None])
        pa.append(p); pb.append(q); feeds[p] = a; feeds[q] = b; data.append((a, b))
    ys = run([tf.matmul(p, q, transpose_a=bool(c[3]), transpose_b=bool(c[4])) for p, q, c in zip(pa, pb, mm)], feeds)
    for (m, k, n, ta, tb), (a, b), y in zip(mm, data, ys):
        doc["matmul"].append({"m": m, "k": k, "n": n, "transpose_a": bool(ta), "transpose_b": bool(tb),
                              "a": hexs(a), "b": hexs(b), "y": hexs(y)})
    tf.reset_default_graph()

    with open(out_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    count = sum(len(t["x"]) for v in doc["unary"].values() for t in v)
    count += sum(len(t["y"]) for v in doc["binary"].values() for t in v)
    count += len(doc["sum"]) + sum(c["cols"] for c in doc["sum_rows"]) + sum(len(c["y"]) for c in doc["matmul"])
    print("wrote %s: %d checked values" % (out_path, count))


if __name__ == "__main__":
    main()
