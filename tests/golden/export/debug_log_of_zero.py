"""Debugging: log(0) without clip_by_value (exported from a flowbench project).

The seed's 3.4.5 program without tf.clip_by_value and with Adam(10.0): after the first step the
weights are so large that the sigmoid rounds to exactly 1.0 for some rows, so Log_1 = log(1 - y)
takes log(0) = -inf at step 1, its gradient 1/0 turns the update into NaN, and the weights
printed after training are all nan. `flowbench debug assets/examples/debug_log_of_zero.json
--until has_inf_or_nan` names the op and the step.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- datasets (one row per example; columns as named) -----
# dataset "seed": columns x1, x2, y
seed_X = np.random.RandomState(1).rand(128, 2)
seed_data = np.array([list(row) + [float(sum(row) < 1.0)] for row in seed_X]).reshape(128, 3)

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
random_normal = tf.random_normal([2, 3], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal")
Variable = tf.Variable(random_normal, name="Variable")
random_normal_1 = tf.random_normal([3, 1], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal_1")
Variable_1 = tf.Variable(random_normal_1, name="Variable_1")
x_input = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_input = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
MatMul = tf.matmul(x_input, Variable, name="MatMul")
MatMul_1 = tf.matmul(MatMul, Variable_1, name="MatMul_1")
Sigmoid = tf.sigmoid(MatMul_1, name="Sigmoid")
Log = tf.log(Sigmoid, name="Log")
mul = tf.multiply(y_input, Log, name="mul")
sub_x = tf.constant(1.0, dtype=tf.float32, name="sub/x")
sub = tf.subtract(sub_x, y_input, name="sub")
sub_1_x = tf.constant(1.0, dtype=tf.float32, name="sub_1/x")
sub_1 = tf.subtract(sub_1_x, Sigmoid, name="sub_1")
Log_1 = tf.log(sub_1, name="Log_1")
mul_1 = tf.multiply(sub, Log_1, name="mul_1")
add = tf.add(mul, mul_1, name="add")
Mean = tf.reduce_mean(add, name="Mean")
Neg = tf.negative(Mean, name="Neg")
# Adam: the gradients of Neg:0 and the optimizer's slots and updates
Adam = tf.train.AdamOptimizer(learning_rate=10.0, beta1=0.9, beta2=0.999, epsilon=1e-8).minimize(Neg, var_list=[Variable, Variable_1], name="Adam")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    print(sess.run(Variable))
    print(sess.run(Variable_1))
    seed_x_input = seed_data[:, [0, 1]]  # x1, x2
    seed_y_input = seed_data[:, [2]]  # y
    for i in range(100):
        start = (i * 8) % len(seed_data)
        end = start + 8
        sess.run([Adam, Sigmoid, y_input], feed_dict={x_input: seed_x_input[start:end], y_input: seed_y_input[start:end]})
    print(sess.run(Variable))
    print(sess.run(Variable_1))
sess.close()
