"""3.4.5 A complete training program (exported from a flowbench project).

The seed's full program: a 2-3-1 network with a sigmoid output, trained with Adam(0.001) on 128
points from numpy's RandomState(1), labelled x1 + x2 < 1, in batches of 8 for 5000 steps,
printing the cross entropy on all data every 1000 steps and the weights before and after.

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
    seed_x_input = seed_data[:, [0, 1]]  # x1, x2
    seed_y_input = seed_data[:, [2]]  # y
    for i in range(5000):
        start = (i * 8) % len(seed_data)
        end = start + 8
        sess.run([Adam, Sigmoid, y_input], feed_dict={x_input: seed_x_input[start:end], y_input: seed_y_input[start:end]})
        if i % 1000 == 0:
            loss_value = sess.run(Neg, feed_dict={x_input: seed_x_input, y_input: seed_y_input})
            print("After %d training step(s), cross entropy on all data is %g" % (i, loss_value))
    print(sess.run(Variable))
    print(sess.run(Variable_1))
sess.close()
