"""CSV data: the 3.4.5 network trained on your own points (exported from a flowbench project).

The seed's 2-3-1 network and Adam(0.001), trained on 48 points read from a CSV file
(csv_points.csv: columns id, x1, x2, noise, y; features x1 and x2, label y), in batches of 8 for
2000 steps, printing the cross entropy on all rows every 500 steps and the weights before and
after.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- datasets (one row per example; columns as named) -----
# dataset "points": columns x1, x2, y
points_data = np.array([
    [0.076, 0.78, 0.0],
    [0.438, 0.723, 0.0],
    [0.978, 0.538, 1.0],
    [0.501, 0.072, 1.0],
    [0.268, 0.5, 0.0],
    [0.679, 0.804, 1.0],
    [0.381, 0.066, 1.0],
    [0.288, 0.91, 0.0],
    [0.213, 0.452, 0.0],
    [0.931, 0.025, 1.0],
    [0.601, 0.95, 0.0],
    [0.23, 0.548, 0.0],
    [0.909, 0.133, 1.0],
    [0.523, 0.75, 0.0],
    [0.669, 0.468, 1.0],
    [0.205, 0.491, 0.0],
    [0.372, 0.477, 0.0],
    [0.366, 0.838, 0.0],
    [0.769, 0.314, 1.0],
    [0.573, 0.276, 1.0],
    [0.453, 0.353, 1.0],
    [0.657, 0.37, 1.0],
    [0.459, 0.719, 0.0],
    [0.413, 0.906, 0.0],
    [0.18, 0.741, 0.0],
    [0.422, 0.426, 1.0],
    [0.634, 0.523, 1.0],
    [0.415, 0.001, 1.0],
    [0.092, 0.709, 0.0],
    [0.524, 0.696, 1.0],
    [0.955, 0.683, 1.0],
    [0.053, 0.309, 0.0],
    [0.593, 0.235, 1.0],
    [0.965, 0.945, 1.0],
    [0.848, 0.472, 1.0],
    [0.841, 0.131, 1.0],
    [0.309, 0.463, 0.0],
    [0.742, 0.486, 1.0],
    [0.137, 0.344, 0.0],
    [0.324, 0.3, 1.0],
    [0.166, 0.415, 0.0],
    [0.448, 0.775, 0.0],
    [0.796, 0.522, 1.0],
    [0.461, 0.778, 0.0],
    [0.887, 0.675, 1.0],
    [0.8, 0.939, 1.0],
    [0.041, 0.876, 0.0],
    [0.277, 0.476, 0.0],
], dtype=np.float64).reshape(48, 3)

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
clip_by_value_clip_value_min = tf.constant(1e-10, dtype=tf.float32, name="clip_by_value/clip_value_min")
clip_by_value_clip_value_max = tf.constant(1.0, dtype=tf.float32, name="clip_by_value/clip_value_max")
clip_by_value = tf.clip_by_value(Sigmoid, clip_by_value_clip_value_min, clip_by_value_clip_value_max, name="clip_by_value")
Log = tf.log(clip_by_value, name="Log")
mul = tf.multiply(y_input, Log, name="mul")
sub_x = tf.constant(1.0, dtype=tf.float32, name="sub/x")
sub = tf.subtract(sub_x, y_input, name="sub")
sub_1_x = tf.constant(1.0, dtype=tf.float32, name="sub_1/x")
sub_1 = tf.subtract(sub_1_x, Sigmoid, name="sub_1")
clip_by_value_1_clip_value_min = tf.constant(1e-10, dtype=tf.float32, name="clip_by_value_1/clip_value_min")
clip_by_value_1_clip_value_max = tf.constant(1.0, dtype=tf.float32, name="clip_by_value_1/clip_value_max")
clip_by_value_1 = tf.clip_by_value(sub_1, clip_by_value_1_clip_value_min, clip_by_value_1_clip_value_max, name="clip_by_value_1")
Log_1 = tf.log(clip_by_value_1, name="Log_1")
mul_1 = tf.multiply(sub, Log_1, name="mul_1")
add = tf.add(mul, mul_1, name="add")
Mean = tf.reduce_mean(add, name="Mean")
Neg = tf.negative(Mean, name="Neg")
# Adam: the gradients of Neg:0 and the optimizer's slots and updates
Adam = tf.train.AdamOptimizer(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8).minimize(Neg, var_list=[Variable, Variable_1], name="Adam")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    print(sess.run(Variable))
    print(sess.run(Variable_1))
    points_x_input = points_data[:, [0, 1]]  # x1, x2
    points_y_input = points_data[:, [2]]  # y
    for i in range(2000):
        start = (i * 8) % len(points_data)
        end = start + 8
        sess.run([Adam, Sigmoid, y_input], feed_dict={x_input: points_x_input[start:end], y_input: points_y_input[start:end]})
        if i % 500 == 0:
            loss_value = sess.run(Neg, feed_dict={x_input: points_x_input, y_input: points_y_input})
            print("After %d training step(s), cross entropy on all data is %g" % (i, loss_value))
    print(sess.run(Variable))
    print(sess.run(Variable_1))
sess.close()
