"""4.4.2 L2 regularisation through a collection (exported from a flowbench project).

A 2-10-10-10-1 network with elu activations: each weight's L2 term, 0.003 * tf.nn.l2_loss(w), is
added to the 'losses' collection, the mean squared error too, and the total loss is their sum
(tf.add_n(tf.get_collection('losses'))), trained with Adam(0.001) on 128 points labelled x1^2 +
x2^2 < 0.5, in batches of 8 for 5000 steps.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- datasets (one row per example; columns as named) -----
# dataset "disc": columns x1, x2, y
disc_X = np.random.RandomState(1).rand(128, 2)
disc_data = np.array([list(row) + [float(sum(v ** 2 for v in row) < 0.5)] for row in disc_X]).reshape(128, 3)

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
Placeholder = tf.placeholder(tf.float32, shape=(None, 2), name="Placeholder")
Placeholder_1 = tf.placeholder(tf.float32, shape=(None, 1), name="Placeholder_1")
random_normal = tf.random_normal([2, 10], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal")
Variable = tf.Variable(random_normal, name="Variable")
L2Loss = tf.nn.l2_loss(Variable, name="L2Loss")
mul_x = tf.constant(0.003, dtype=tf.float32, name="mul/x")
mul = tf.multiply(mul_x, L2Loss, name="mul")
Const = tf.constant([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], dtype=tf.float32, name="Const")
Variable_1 = tf.Variable(Const, name="Variable_1")
MatMul = tf.matmul(Placeholder, Variable, name="MatMul")
add = tf.add(MatMul, Variable_1, name="add")
Elu = tf.nn.elu(add, name="Elu")
random_normal_1 = tf.random_normal([10, 10], mean=0.0, stddev=1.0, dtype=tf.float32, seed=2, name="random_normal_1")
Variable_2 = tf.Variable(random_normal_1, name="Variable_2")
L2Loss_1 = tf.nn.l2_loss(Variable_2, name="L2Loss_1")
mul_x_1 = tf.constant(0.003, dtype=tf.float32, name="mul/x_1")
mul_1 = tf.multiply(mul_x_1, L2Loss_1, name="mul_1")
Const_1 = tf.constant([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], dtype=tf.float32, name="Const_1")
Variable_3 = tf.Variable(Const_1, name="Variable_3")
MatMul_1 = tf.matmul(Elu, Variable_2, name="MatMul_1")
add_1 = tf.add(MatMul_1, Variable_3, name="add_1")
Elu_1 = tf.nn.elu(add_1, name="Elu_1")
random_normal_2 = tf.random_normal([10, 10], mean=0.0, stddev=1.0, dtype=tf.float32, seed=3, name="random_normal_2")
Variable_4 = tf.Variable(random_normal_2, name="Variable_4")
L2Loss_2 = tf.nn.l2_loss(Variable_4, name="L2Loss_2")
mul_x_2 = tf.constant(0.003, dtype=tf.float32, name="mul/x_2")
mul_2 = tf.multiply(mul_x_2, L2Loss_2, name="mul_2")
Const_2 = tf.constant([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], dtype=tf.float32, name="Const_2")
Variable_5 = tf.Variable(Const_2, name="Variable_5")
MatMul_2 = tf.matmul(Elu_1, Variable_4, name="MatMul_2")
add_2 = tf.add(MatMul_2, Variable_5, name="add_2")
Elu_2 = tf.nn.elu(add_2, name="Elu_2")
random_normal_3 = tf.random_normal([10, 1], mean=0.0, stddev=1.0, dtype=tf.float32, seed=4, name="random_normal_3")
Variable_6 = tf.Variable(random_normal_3, name="Variable_6")
L2Loss_3 = tf.nn.l2_loss(Variable_6, name="L2Loss_3")
mul_x_3 = tf.constant(0.003, dtype=tf.float32, name="mul/x_3")
mul_3 = tf.multiply(mul_x_3, L2Loss_3, name="mul_3")
Const_3 = tf.constant([0.1], dtype=tf.float32, name="Const_3")
Variable_7 = tf.Variable(Const_3, name="Variable_7")
MatMul_3 = tf.matmul(Elu_2, Variable_6, name="MatMul_3")
add_3 = tf.add(MatMul_3, Variable_7, name="add_3")
Elu_3 = tf.nn.elu(add_3, name="Elu_3")
sub = tf.subtract(Placeholder_1, Elu_3, name="sub")
Square = tf.square(sub, name="Square")
Mean = tf.reduce_mean(Square, name="Mean")
AddN = tf.add_n([mul, mul_1, mul_2, mul_3, Mean], name="AddN")
# Adam: the gradients of AddN:0 and the optimizer's slots and updates
Adam = tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8).minimize(AddN, var_list=[Variable, Variable_1, Variable_2, Variable_3, Variable_4, Variable_5, Variable_6, Variable_7], name="Adam")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    disc_Placeholder = disc_data[:, [0, 1]]  # x1, x2
    disc_Placeholder_1 = disc_data[:, [2]]  # y
    for i in range(5000):
        start = (i * 8) % len(disc_data)
        end = start + 8
        sess.run(Adam, feed_dict={Placeholder: disc_Placeholder[start:end], Placeholder_1: disc_Placeholder_1[start:end]})
        if i % 1000 == 0:
            print("After %d steps, mse %g, total loss %g" % (i, sess.run(Mean, feed_dict={Placeholder: disc_Placeholder, Placeholder_1: disc_Placeholder_1}), sess.run(AddN, feed_dict={Placeholder: disc_Placeholder, Placeholder_1: disc_Placeholder_1})))
    print(sess.run(Variable_6))
sess.close()
