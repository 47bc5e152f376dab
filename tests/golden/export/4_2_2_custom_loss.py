"""4.2.2 A custom loss (exported from a flowbench project).

Selling one unit too few costs 10, one too many costs 1, so the model learns to predict a little
more than x1 + x2: loss = reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * 1, (y_ - y) * 10)),
trained with Adam(0.001) on 128 points whose labels are x1 + x2 plus numpy noise in [-0.05,
0.05), in batches of 8 for 5000 steps.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- datasets (one row per example; columns as named) -----
# dataset "sales": columns x1, x2, y
sales_X_rdm = np.random.RandomState(1)
sales_X = sales_X_rdm.rand(128, 2)
sales_data = np.array([list(row) + [sum(row) + sales_X_rdm.rand() / 10.0 - 0.05] for row in sales_X]).reshape(128, 3)

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
x_input = tf.placeholder(tf.float32, shape=(None, 2), name="x-input")
y_input = tf.placeholder(tf.float32, shape=(None, 1), name="y-input")
random_normal = tf.random_normal([2, 1], mean=0.0, stddev=1.0, dtype=tf.float32, seed=1, name="random_normal")
Variable = tf.Variable(random_normal, name="Variable")
MatMul = tf.matmul(x_input, Variable, name="MatMul")
Greater = tf.greater(MatMul, y_input, name="Greater")
sub = tf.subtract(MatMul, y_input, name="sub")
mul_y = tf.constant(1.0, dtype=tf.float32, name="mul/y")
mul = tf.multiply(sub, mul_y, name="mul")
sub_1 = tf.subtract(y_input, MatMul, name="sub_1")
mul_1_y = tf.constant(10.0, dtype=tf.float32, name="mul_1/y")
mul_1 = tf.multiply(sub_1, mul_1_y, name="mul_1")
Select = tf.where(Greater, mul, mul_1, name="Select")
Sum = tf.reduce_sum(Select, name="Sum")
# Adam: the gradients of Sum:0 and the optimizer's slots and updates
Adam = tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8).minimize(Sum, var_list=[Variable], name="Adam")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    sales_x_input = sales_data[:, [0, 1]]  # x1, x2
    sales_y_input = sales_data[:, [2]]  # y
    for i in range(5000):
        start = (i * 8) % len(sales_data)
        end = start + 8
        sess.run(Adam, feed_dict={x_input: sales_x_input[start:end], y_input: sales_y_input[start:end]})
        if i % 1000 == 0:
            loss_value = sess.run(Sum, feed_dict={x_input: sales_x_input, y_input: sales_y_input})
            print("After %d training step(s), loss on all data is %g" % (i, loss_value))
    print(sess.run(Variable))
sess.close()
