"""Probe the float32 summation order of TF's MatMul (oneDNN's sgemm) on this machine.

For one output element c = sum_t a_t * b_t, set a_p = L, a_q = -L (L = 2^40) and every other
a_t = 1, b = 1: partial sums holding L swallow the ones, L and -L cancel at their lowest common
ancestor in the summation tree, and every one added after that survives. So
k - c = the number of terms under that ancestor. From these counts for all pairs (p, q) the
tree is known; this compares it with candidate orders (Python models below).

Usage: matmul_order_probe.py M K N [tb|ta|tatb] [threads]
"""
import ctypes, itertools, sys, os
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
_libm = ctypes.CDLL("libm.so.6")
_libm.fmaf.restype = ctypes.c_float
_libm.fmaf.argtypes = [ctypes.c_float] * 3
F = np.float32


def fma(a, b, c):
    return F(_libm.fmaf(float(a), float(b), float(c)))


class TfMatMul:
    def __init__(self, ta=False, tb=False, threads=0):
        self.g = tf1.Graph()
        with self.g.as_default():
            self.a = tf1.placeholder(tf.float32, [None, None])
            self.b = tf1.placeholder(tf.float32, [None, None])
            self.c = tf.matmul(self.a, self.b, transpose_a=ta, transpose_b=tb)
        cfg = tf1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads)
        self.s = tf1.Session(graph=self.g, config=cfg)
        self.ta, self.tb = ta, tb

    def __call__(self, A, B):
        return self.s.run(self.c, {self.a: A, self.b: B})


def operands(m, k, n, ta, tb, rowvals):
    """op(A) rows all equal to `rowvals`, op(B) all ones, laid out as the transposes ask."""
    opA = np.tile(np.asarray(rowvals, F), (m, 1))
    opB = np.ones((k, n), F)
    return (opA.T.copy() if ta else opA), (opB.T.copy() if tb else opB)


L = F(2.0**40)


def lca_table(mm, m, k, n, ta, tb):
    """lca[p][q] (p < q): per output element (an m x n int array) the size of the subtree."""
    out = {}
    for p, q in itertools.combinations(range(k), 2):
        v = np.ones(k, F)
        v[p], v[q] = L, -L
        A, B = operands(m, k, n, ta, tb, v)
        c = mm(A, B)
        out[(p, q)] = (k - np.rint(c)).astype(int)
    return out


def model_lca(f, k):
    out = {}
    for p, q in itertools.combinations(range(k), 2):
        v = np.ones(k, F)
        v[p], v[q] = L, -L
        out[(p, q)] = int(k - np.rint(f(v, np.ones(k, F))))
    return out


def describe(tab, k, i, j):
    rows = []
    for p in range(k):
        rows.append(" ".join("%3d" % tab[(min(p, q), max(p, q))][i, j] if p != q else "  ." for q in range(k)))
    return "\n".join(rows)


if __name__ == "__main__":
    m, k, n = map(int, sys.argv[1:4])
    t = sys.argv[4] if len(sys.argv) > 4 else ""
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    ta, tb = "ta" in t, "tb" in t
    mm = TfMatMul(ta, tb, threads)
    tab = lca_table(mm, m, k, n, ta, tb)
    seen = {}
    for i in range(m):
        for j in range(n):
            key = tuple(tab[pq][i, j] for pq in sorted(tab))
            seen.setdefault(key, []).append((i, j))
    print("%d distinct trees over %d outputs" % (len(seen), m * n))
    for key, els in seen.items():
        i, j = els[0]
        print("outputs", els[:12], "..." if len(els) > 12 else "")
        print(describe(tab, k, i, j))
