"""5.2.1 The complete MNIST program (exported from a flowbench project).

The chapter's complete MNIST program: a 64-500-10 relu net (784 inputs with real MNIST files;
here the bundled 8x8 digits in MNIST's IDX format) trained with GradientDescent at
tf.train.exponential_decay(0.8, global_step, 1297 / 100, 0.99, staircase=True) on the
cross-entropy plus 0.0001 * the L2 loss of both weights, in batches of 100 from next_batch after
np.random.seed(0); its weights are drawn under tf.set_random_seed(1). An
ExponentialMovingAverage(0.99, global_step) of every trainable variable gives the average model,
whose accuracy is printed on the validation set every 500 steps (before the step) and on the
test set at the end.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- TF 1.x's tensorflow.examples.tutorials.mnist.input_data (TF 2.x no longer ships it) -----
import gzip
import os

MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def _read_idx(path, magic):
    if not os.path.exists(path) and path.endswith(".gz") and os.path.exists(path[:-3]):
        path = path[:-3]
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        kind = "image" if magic == 2051 else "label"
        raise ValueError("Invalid magic number %d in MNIST %s file: %s" % (found, kind, path))
    dims = [int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(magic & 0xFF)]
    return np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=4 + 4 * len(dims)).reshape(dims)


class DataSet(object):
    """input_data.DataSet: arrays of examples (images, labels, ...); next_batch shuffles them
    together with numpy's global RNG at each epoch and joins an epoch's tail with the next one's head."""

    def __init__(self, *arrays):
        self._arrays = list(arrays)
        self._num_examples = arrays[0].shape[0]
        self._epochs_completed = 0
        self._index_in_epoch = 0

    images = property(lambda self: self._arrays[0])
    labels = property(lambda self: self._arrays[1])
    num_examples = property(lambda self: self._num_examples)

    def next_batch(self, batch_size, shuffle=True):
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = np.arange(self._num_examples)
            np.random.shuffle(perm0)
            self._arrays = [a[perm0] for a in self._arrays]
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest = self._num_examples - start
            rests = [a[start:self._num_examples] for a in self._arrays]
            if shuffle:
                perm = np.arange(self._num_examples)
                np.random.shuffle(perm)
                self._arrays = [a[perm] for a in self._arrays]
            self._index_in_epoch = batch_size - rest
            end = self._index_in_epoch
            return tuple(np.concatenate((r, a[0:end]), axis=0) for r, a in zip(rests, self._arrays))
        self._index_in_epoch += batch_size
        end = self._index_in_epoch
        return tuple(a[start:end] for a in self._arrays)


class Datasets(object):
    def __init__(self, train, validation, test):
        self.train, self.validation, self.test = train, validation, test


def read_data_sets(train_dir, one_hot=False, validation_size=5000, files=MNIST_FILES):
    def images(name):
        a = _read_idx(os.path.join(train_dir, name), 2051)
        return np.multiply(a.reshape(a.shape[0], a.shape[1] * a.shape[2]).astype(np.float32), 1.0 / 255.0)

    def labels(name):
        a = _read_idx(os.path.join(train_dir, name), 2049)
        if not one_hot:
            return a
        dense = np.zeros((a.shape[0], 10))
        dense.flat[np.arange(a.shape[0]) * 10 + a.ravel()] = 1
        return dense

    train_images, train_labels = images(files[0]), labels(files[1])
    test_images, test_labels = images(files[2]), labels(files[3])
    if not 0 <= validation_size <= len(train_images):
        raise ValueError("validation_size should be between 0 and %d" % len(train_images))
    return Datasets(DataSet(train_images[validation_size:], train_labels[validation_size:]),
                    DataSet(train_images[:validation_size], train_labels[:validation_size]),
                    DataSet(test_images, test_labels))

# ----- datasets (one row per example; columns as named) -----
# dataset "mnist": MNIST's IDX files; fields images, labels of .train, .validation, .test
mnist_data = read_data_sets(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../assets/examples/digits"), one_hot=True, validation_size=200)

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
tf.set_random_seed(1)
x_input = tf.placeholder(tf.float32, shape=(None, 64), name="x-input")
y_input = tf.placeholder(tf.float32, shape=(None, 10), name="y-input")
truncated_normal = tf.truncated_normal([64, 500], mean=0.0, stddev=0.1, dtype=tf.float32, seed=0, name="truncated_normal")
Variable = tf.Variable(truncated_normal, name="Variable")
Const = tf.fill([500], np.float32(0.1), name="Const")
Variable_1 = tf.Variable(Const, name="Variable_1")
truncated_normal_1 = tf.truncated_normal([500, 10], mean=0.0, stddev=0.1, dtype=tf.float32, seed=1, name="truncated_normal_1")
Variable_2 = tf.Variable(truncated_normal_1, name="Variable_2")
Const_1 = tf.fill([10], np.float32(0.1), name="Const_1")
Variable_3 = tf.Variable(Const_1, name="Variable_3")
MatMul = tf.matmul(x_input, Variable, name="MatMul")
add = tf.add(MatMul, Variable_1, name="add")
Relu = tf.nn.relu(add, name="Relu")
MatMul_1 = tf.matmul(Relu, Variable_2, name="MatMul_1")
add_1 = tf.add(MatMul_1, Variable_3, name="add_1")
Variable_4_initial_value = tf.constant(0, dtype=tf.int32, name="Variable_4/initial_value")
Variable_4 = tf.Variable(Variable_4_initial_value, name="Variable_4")
Variable_ExponentialMovingAverage = tf.Variable(truncated_normal, name="Variable/ExponentialMovingAverage")
Variable_1_ExponentialMovingAverage = tf.Variable(Const, name="Variable_1/ExponentialMovingAverage")
Variable_2_ExponentialMovingAverage = tf.Variable(truncated_normal_1, name="Variable_2/ExponentialMovingAverage")
Variable_3_ExponentialMovingAverage = tf.Variable(Const_1, name="Variable_3/ExponentialMovingAverage")
ExponentialMovingAverage_decay = tf.constant(0.99, dtype=tf.float32, name="ExponentialMovingAverage/decay")
ExponentialMovingAverage_num_updates = tf.cast(Variable_4, tf.float32, name="ExponentialMovingAverage/num_updates")
ExponentialMovingAverage_add_x = tf.constant(1.0, dtype=tf.float32, name="ExponentialMovingAverage/add/x")
ExponentialMovingAverage_add = tf.add(ExponentialMovingAverage_add_x, ExponentialMovingAverage_num_updates, name="ExponentialMovingAverage/add")
ExponentialMovingAverage_add_1_x = tf.constant(10.0, dtype=tf.float32, name="ExponentialMovingAverage/add_1/x")
ExponentialMovingAverage_add_1 = tf.add(ExponentialMovingAverage_add_1_x, ExponentialMovingAverage_num_updates, name="ExponentialMovingAverage/add_1")
ExponentialMovingAverage_truediv = tf.realdiv(ExponentialMovingAverage_add, ExponentialMovingAverage_add_1, name="ExponentialMovingAverage/truediv")
ExponentialMovingAverage_Minimum = tf.minimum(ExponentialMovingAverage_decay, ExponentialMovingAverage_truediv, name="ExponentialMovingAverage/Minimum")
ExponentialMovingAverage_AssignMovingAvg_sub_x = tf.constant(1.0, dtype=tf.float32, name="ExponentialMovingAverage/AssignMovingAvg/sub/x")
ExponentialMovingAverage_AssignMovingAvg_sub = tf.subtract(ExponentialMovingAverage_AssignMovingAvg_sub_x, ExponentialMovingAverage_Minimum, name="ExponentialMovingAverage/AssignMovingAvg/sub")
ExponentialMovingAverage_AssignMovingAvg_sub_1 = tf.subtract(Variable_ExponentialMovingAverage, Variable, name="ExponentialMovingAverage/AssignMovingAvg/sub_1")
ExponentialMovingAverage_AssignMovingAvg_mul = tf.multiply(ExponentialMovingAverage_AssignMovingAvg_sub_1, ExponentialMovingAverage_AssignMovingAvg_sub, name="ExponentialMovingAverage/AssignMovingAvg/mul")
ExponentialMovingAverage_AssignMovingAvg = tf.assign_sub(Variable_ExponentialMovingAverage, ExponentialMovingAverage_AssignMovingAvg_mul, name="ExponentialMovingAverage/AssignMovingAvg")
ExponentialMovingAverage_AssignMovingAvg_1_sub_x = tf.constant(1.0, dtype=tf.float32, name="ExponentialMovingAverage/AssignMovingAvg_1/sub/x")
ExponentialMovingAverage_AssignMovingAvg_1_sub = tf.subtract(ExponentialMovingAverage_AssignMovingAvg_1_sub_x, ExponentialMovingAverage_Minimum, name="ExponentialMovingAverage/AssignMovingAvg_1/sub")
ExponentialMovingAverage_AssignMovingAvg_1_sub_1 = tf.subtract(Variable_1_ExponentialMovingAverage, Variable_1, name="ExponentialMovingAverage/AssignMovingAvg_1/sub_1")
ExponentialMovingAverage_AssignMovingAvg_1_mul = tf.multiply(ExponentialMovingAverage_AssignMovingAvg_1_sub_1, ExponentialMovingAverage_AssignMovingAvg_1_sub, name="ExponentialMovingAverage/AssignMovingAvg_1/mul")
ExponentialMovingAverage_AssignMovingAvg_1 = tf.assign_sub(Variable_1_ExponentialMovingAverage, ExponentialMovingAverage_AssignMovingAvg_1_mul, name="ExponentialMovingAverage/AssignMovingAvg_1")
ExponentialMovingAverage_AssignMovingAvg_2_sub_x = tf.constant(1.0, dtype=tf.float32, name="ExponentialMovingAverage/AssignMovingAvg_2/sub/x")
ExponentialMovingAverage_AssignMovingAvg_2_sub = tf.subtract(ExponentialMovingAverage_AssignMovingAvg_2_sub_x, ExponentialMovingAverage_Minimum, name="ExponentialMovingAverage/AssignMovingAvg_2/sub")
ExponentialMovingAverage_AssignMovingAvg_2_sub_1 = tf.subtract(Variable_2_ExponentialMovingAverage, Variable_2, name="ExponentialMovingAverage/AssignMovingAvg_2/sub_1")
ExponentialMovingAverage_AssignMovingAvg_2_mul = tf.multiply(ExponentialMovingAverage_AssignMovingAvg_2_sub_1, ExponentialMovingAverage_AssignMovingAvg_2_sub, name="ExponentialMovingAverage/AssignMovingAvg_2/mul")
ExponentialMovingAverage_AssignMovingAvg_2 = tf.assign_sub(Variable_2_ExponentialMovingAverage, ExponentialMovingAverage_AssignMovingAvg_2_mul, name="ExponentialMovingAverage/AssignMovingAvg_2")
ExponentialMovingAverage_AssignMovingAvg_3_sub_x = tf.constant(1.0, dtype=tf.float32, name="ExponentialMovingAverage/AssignMovingAvg_3/sub/x")
ExponentialMovingAverage_AssignMovingAvg_3_sub = tf.subtract(ExponentialMovingAverage_AssignMovingAvg_3_sub_x, ExponentialMovingAverage_Minimum, name="ExponentialMovingAverage/AssignMovingAvg_3/sub")
ExponentialMovingAverage_AssignMovingAvg_3_sub_1 = tf.subtract(Variable_3_ExponentialMovingAverage, Variable_3, name="ExponentialMovingAverage/AssignMovingAvg_3/sub_1")
ExponentialMovingAverage_AssignMovingAvg_3_mul = tf.multiply(ExponentialMovingAverage_AssignMovingAvg_3_sub_1, ExponentialMovingAverage_AssignMovingAvg_3_sub, name="ExponentialMovingAverage/AssignMovingAvg_3/mul")
ExponentialMovingAverage_AssignMovingAvg_3 = tf.assign_sub(Variable_3_ExponentialMovingAverage, ExponentialMovingAverage_AssignMovingAvg_3_mul, name="ExponentialMovingAverage/AssignMovingAvg_3")
with tf.control_dependencies([ExponentialMovingAverage_AssignMovingAvg.op, ExponentialMovingAverage_AssignMovingAvg_1.op, ExponentialMovingAverage_AssignMovingAvg_2.op, ExponentialMovingAverage_AssignMovingAvg_3.op]):
    ExponentialMovingAverage = tf.no_op(name="ExponentialMovingAverage")
MatMul_2 = tf.matmul(x_input, Variable_ExponentialMovingAverage, name="MatMul_2")
add_2 = tf.add(MatMul_2, Variable_1_ExponentialMovingAverage, name="add_2")
Relu_1 = tf.nn.relu(add_2, name="Relu_1")
MatMul_3 = tf.matmul(Relu_1, Variable_2_ExponentialMovingAverage, name="MatMul_3")
add_3 = tf.add(MatMul_3, Variable_3_ExponentialMovingAverage, name="add_3")
ArgMax = tf.argmax(y_input, 1, name="ArgMax")
SparseSoftmaxCrossEntropyWithLogits = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=add_1, labels=ArgMax, name="SparseSoftmaxCrossEntropyWithLogits")
Mean = tf.reduce_mean(SparseSoftmaxCrossEntropyWithLogits[0], name="Mean")
mul_x = tf.constant(0.0001, dtype=tf.float32, name="mul/x")
L2Loss = tf.nn.l2_loss(Variable, name="L2Loss")
mul = tf.multiply(mul_x, L2Loss, name="mul")
mul_1_x = tf.constant(0.0001, dtype=tf.float32, name="mul_1/x")
L2Loss_1 = tf.nn.l2_loss(Variable_2, name="L2Loss_1")
mul_1 = tf.multiply(mul_1_x, L2Loss_1, name="mul_1")
add_4 = tf.add(mul, mul_1, name="add_4")
add_5 = tf.add(Mean, add_4, name="add_5")
ExponentialDecay_initial_learning_rate = tf.constant(0.8, dtype=tf.float32, name="ExponentialDecay/initial_learning_rate")
ExponentialDecay_Cast_x = tf.constant(12.97, dtype=tf.float32, name="ExponentialDecay/Cast/x")
ExponentialDecay_Cast_1_x = tf.constant(0.99, dtype=tf.float32, name="ExponentialDecay/Cast_1/x")
ExponentialDecay_Cast_2 = tf.cast(Variable_4, tf.float32, name="ExponentialDecay/Cast_2")
ExponentialDecay_truediv = tf.realdiv(ExponentialDecay_Cast_2, ExponentialDecay_Cast_x, name="ExponentialDecay/truediv")
ExponentialDecay_Floor = tf.floor(ExponentialDecay_truediv, name="ExponentialDecay/Floor")
ExponentialDecay_Pow = tf.pow(ExponentialDecay_Cast_1_x, ExponentialDecay_Floor, name="ExponentialDecay/Pow")
ExponentialDecay = tf.multiply(ExponentialDecay_initial_learning_rate, ExponentialDecay_Pow, name="ExponentialDecay")
# GradientDescent: the gradients of add_5:0 and the optimizer's slots and updates
GradientDescent = tf.train.GradientDescentOptimizer(learning_rate=ExponentialDecay).minimize(add_5, var_list=[Variable, Variable_1, Variable_2, Variable_3], global_step=Variable_4, name="GradientDescent")
with tf.control_dependencies([GradientDescent, ExponentialMovingAverage]):
    train = tf.no_op(name="train")
ArgMax_1 = tf.argmax(add_3, 1, name="ArgMax_1")
ArgMax_2 = tf.argmax(y_input, 1, name="ArgMax_2")
Equal = tf.equal(ArgMax_1, ArgMax_2, name="Equal")
Cast = tf.cast(Equal, tf.float32, name="Cast")
Mean_1 = tf.reduce_mean(Cast, name="Mean_1")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    np.random.seed(0)
    mnist_batches = DataSet(mnist_data.train.images, mnist_data.train.labels)
    for i in range(3000):
        if i % 500 == 0:
            print("After %d training step(s), validation accuracy using average model is %g, loss %g" % (i, sess.run(Mean_1, feed_dict={x_input: mnist_data.validation.images, y_input: mnist_data.validation.labels}), sess.run(add_5, feed_dict={x_input: mnist_data.validation.images, y_input: mnist_data.validation.labels})))
        batch = mnist_batches.next_batch(100)
        sess.run(train, feed_dict={x_input: batch[0], y_input: batch[1]})
    print("After %d training step(s), test accuracy using average model is %g" % (3000, sess.run(Mean_1, feed_dict={x_input: mnist_data.test.images, y_input: mnist_data.test.labels})))
sess.close()
