"""The TensorFlow side of `flowbench bench --tf PYTHON`: the same training workloads in real TF
(tf.compat.v1 graph mode, a default Session: intra_op_parallelism_threads 0 = all cores), timed
the way flowbench times its own.

`flowbench bench` runs this script (it is compiled into the binary; this file is the source) as
one long-lived process and interleaves it with its own runs: it writes one request a line on
stdin, `ID STEPS` (e.g. `c 200`), and reads one JSON line back,
`{"id": "c", "steps": 200, "secs": 3.21}`. Each workload's graph is built, its variables
initialised and its data made once, on first use; a request times only the training loop (the
`sess.run` calls with their feeds, and the seed program's periodic loss on all data), like
flowbench, whose time is the worker's from spawn to finish. Data is made with numpy's
RandomState exactly as flowbench makes it, and fed as float32 arrays (no conversion in the loop).

Workloads (ids as in `flowbench bench`):
  a   the seed program: 2-3-1, Adam(0.001), batch 8, loss on all 128 rows every 1000 steps;
  b   a 2-8-8-1 tanh net on a 500-point spiral, GradientDescent(0.03), sigmoid xent, batch 10;
  c   an MLP 784-512-10, relu, softmax xent, Adam(0.001), batch 256, random data (2048 rows);
  d   the tutorial's whole MNIST training step (chapter 5.2.1): 784-500-10 relu, sparse softmax
      cross-entropy on argmax labels, L2 regularisation of the weights, GradientDescent at an
      exponentially decayed rate, an ExponentialMovingAverage of the variables, batch 100, random
      data of MNIST's shape (10000 rows).
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)


def dense(x, fan_in, fan_out, seed, scope):
    with tf.name_scope(scope):
        w = tf.Variable(tf.truncated_normal([fan_in, fan_out], 0.0, math.sqrt(1.0 / fan_in), seed=seed), name="weights")
        b = tf.Variable(tf.zeros([fan_out]), name="biases")
        return tf.matmul(x, w) + b


def seed_program():
    batch = 8
    w1 = tf.Variable(tf.random_normal([2, 3], stddev=1, seed=1))
    w2 = tf.Variable(tf.random_normal([3, 1], stddev=1, seed=1))
    x = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
    y_ = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
    y = tf.sigmoid(tf.matmul(tf.matmul(x, w1), w2))
    loss = -tf.reduce_mean(
        y_ * tf.log(tf.clip_by_value(y, 1e-10, 1.0)) + (1 - y_) * tf.log(tf.clip_by_value(1 - y, 1e-10, 1.0))
    )
    train = tf.train.AdamOptimizer(0.001).minimize(loss)
    X = np.random.RandomState(1).rand(128, 2)
    Y = np.array([[float(a + b < 1)] for (a, b) in X], dtype=np.float32)
    X = X.astype(np.float32)

    def loop(sess, steps):
        for i in range(steps):
            s = (i * batch) % 128
            sess.run([train, y, y_], feed_dict={x: X[s : s + batch], y_: Y[s : s + batch]})
            if i % 1000 == 0:
                sess.run(loss, feed_dict={x: X, y_: Y})

    return loop


def spiral(n, seed):
    rs = np.random.RandomState(seed)
    rows = []
    for i in range(n):
        label = float(i % 2)
        k = (i // 2) / max(n // 2, 1)
        r = 5.0 * k
        t = 1.75 * k * 2.0 * math.pi + label * math.pi
        nx = (rs.random_sample() - 0.5) * 0.2
        ny = (rs.random_sample() - 0.5) * 0.2
        rows.append([r * math.sin(t) + nx, r * math.cos(t) + ny, label])
    return np.array(rows)


def cyclic(sess, train, x, y_, X, Y, batch, steps):
    n = X.shape[0]
    for i in range(steps):
        s = (i * batch) % n
        sess.run(train, feed_dict={x: X[s : s + batch], y_: Y[s : s + batch]})


def spiral_net():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y_ = tf.placeholder(tf.float32, [None, 1], name="y")
    h = tf.tanh(dense(x, 2, 8, 1, "layer1"))
    h = tf.tanh(dense(h, 8, 8, 2, "layer2"))
    logits = dense(h, 8, 1, 3, "output")
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y_, logits=logits))
    train = tf.train.GradientDescentOptimizer(0.03).minimize(loss)
    D = spiral(500, 7).astype(np.float32)
    X, Y = D[:, :2].copy(), D[:, 2:].copy()
    return lambda sess, steps: cyclic(sess, train, x, y_, X, Y, 10, steps)


def random_data(rows, features, classes, seed):
    """Each row: `features` uniform values then a class from one more, as flowbench makes it."""
    u = np.random.RandomState(seed).random_sample(rows * (features + 1)).reshape(rows, features + 1)
    X = u[:, :features].astype(np.float32)
    Y = np.zeros((rows, classes), dtype=np.float32)
    Y[np.arange(rows), (u[:, features] * classes).astype(np.int64)] = 1.0
    return X, Y


def mlp():
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    y_ = tf.placeholder(tf.float32, [None, 10], name="y")
    h = tf.nn.relu(dense(x, 784, 512, 1, "hidden"))
    logits = dense(h, 512, 10, 2, "softmax_linear")
    xent = tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.stop_gradient(y_), logits=logits, name="xentropy")
    train = tf.train.AdamOptimizer(0.001).minimize(tf.reduce_mean(xent))
    X, Y = random_data(2048, 784, 10, 3)
    return lambda sess, steps: cyclic(sess, train, x, y_, X, Y, 256, steps)


MNIST_ROWS = 10000


def mnist_layers():
    x = tf.placeholder(tf.float32, [None, 784], name="x-input")
    y_ = tf.placeholder(tf.float32, [None, 10], name="y-input")
    w1 = tf.Variable(tf.truncated_normal([784, 500], stddev=0.1, seed=1))
    b1 = tf.Variable(tf.constant(0.1, shape=[500]))
    w2 = tf.Variable(tf.truncated_normal([500, 10], stddev=0.1, seed=2))
    b2 = tf.Variable(tf.constant(0.1, shape=[10]))
    return x, y_, (w1, b1, w2, b2)


def inference(x, w1, b1, w2, b2):
    return tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2


def mnist_full():
    x, y_, (w1, b1, w2, b2) = mnist_layers()
    y = inference(x, w1, b1, w2, b2)
    global_step = tf.Variable(0, trainable=False)
    ema = tf.train.ExponentialMovingAverage(0.99, global_step)
    ema_op = ema.apply(tf.trainable_variables())
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(logits=y, labels=tf.argmax(y_, 1))
    loss = tf.reduce_mean(xent) + 0.0001 * tf.nn.l2_loss(w1) + 0.0001 * tf.nn.l2_loss(w2)
    lr = tf.train.exponential_decay(0.8, global_step, MNIST_ROWS / 100, 0.99, staircase=True)
    step = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=global_step)
    with tf.control_dependencies([step, ema_op]):
        train = tf.no_op(name="train")
    X, Y = random_data(MNIST_ROWS, 784, 10, 5)
    return lambda sess, steps: cyclic(sess, train, x, y_, X, Y, 100, steps)


BUILDERS = {"a": seed_program, "b": spiral_net, "c": mlp, "d": mnist_full}


def main():
    built = {}
    print(json.dumps({"ready": True, "tf": tf.__version__}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        try:
            wid, steps = parts[0], int(parts[1])
            if wid not in built:
                if wid not in BUILDERS:
                    raise ValueError("unknown workload %r" % wid)
                g = tf.Graph()
                with g.as_default():
                    loop = BUILDERS[wid]()
                    init = tf.global_variables_initializer()
                sess = tf.Session(graph=g)
                sess.run(init)
                built[wid] = (sess, loop)
            sess, loop = built[wid]
            t = time.perf_counter()
            loop(sess, steps)
            secs = time.perf_counter() - t
            print(json.dumps({"id": wid, "steps": steps, "secs": secs}), flush=True)
        except Exception as e:  # reported to flowbench, which stops with it
            print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}), flush=True)


if __name__ == "__main__":
    main()
