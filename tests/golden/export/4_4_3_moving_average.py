"""4.4.3 ExponentialMovingAverage (exported from a flowbench project).

A moving average of v1 kept by tf.train.ExponentialMovingAverage(0.99, step): ema.apply([v1])
makes the shadow variable v1/ExponentialMovingAverage and the update op; with a step the decay
is min(0.99, (1 + step) / (10 + step)). v1 is set to 5, then (at step 10000) to 10, and the pair
[v1, ema.average(v1)] is printed after each update, as numpy 2 prints a list of scalars.

Runs under TensorFlow 2.x (tf.compat.v1 graph mode) and prints on stdout what
`flowbench run` prints; TF writes the device placement log to stderr.
"""
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()

# ----- graph "default" (the default graph) -----
default_graph = tf.get_default_graph()
Variable_initial_value = tf.constant(0.0, dtype=tf.float32, name="Variable/initial_value")
Variable = tf.Variable(Variable_initial_value, name="Variable")
Variable_1_initial_value = tf.constant(0, dtype=tf.int32, name="Variable_1/initial_value")
Variable_1 = tf.Variable(Variable_1_initial_value, name="Variable_1")
Variable_ExponentialMovingAverage = tf.Variable(Variable_initial_value, name="Variable/ExponentialMovingAverage")
ExponentialMovingAverage_decay = tf.constant(0.99, dtype=tf.float32, name="ExponentialMovingAverage/decay")
ExponentialMovingAverage_num_updates = tf.cast(Variable_1, tf.float32, name="ExponentialMovingAverage/num_updates")
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
with tf.control_dependencies([ExponentialMovingAverage_AssignMovingAvg.op]):
    ExponentialMovingAverage = tf.no_op(name="ExponentialMovingAverage")
init = tf.global_variables_initializer()

# ----- the program -----
# with tf.Session() as sess:
sess = tf.Session()
with sess.as_default():
    sess.run(init)
    print(sess.run([Variable, Variable_ExponentialMovingAverage]))
    Assign_value_node = tf.constant(5.0, dtype=tf.float32, name="Assign/value")
    Assign_node = tf.assign(Variable, default_graph.get_tensor_by_name("Assign/value:0"), name="Assign")
    sess.run(default_graph.get_operation_by_name("Assign"))
    sess.run(ExponentialMovingAverage)
    print(sess.run([Variable, Variable_ExponentialMovingAverage]))
    Assign_1_value_node = tf.constant(10000, dtype=tf.int32, name="Assign_1/value")
    Assign_1_node = tf.assign(Variable_1, default_graph.get_tensor_by_name("Assign_1/value:0"), name="Assign_1")
    sess.run(default_graph.get_operation_by_name("Assign_1"))
    Assign_2_value_node = tf.constant(10.0, dtype=tf.float32, name="Assign_2/value")
    Assign_2_node = tf.assign(Variable, default_graph.get_tensor_by_name("Assign_2/value:0"), name="Assign_2")
    sess.run(default_graph.get_operation_by_name("Assign_2"))
    sess.run(ExponentialMovingAverage)
    print(sess.run([Variable, Variable_ExponentialMovingAverage]))
    sess.run(ExponentialMovingAverage)
    print(sess.run([Variable, Variable_ExponentialMovingAverage]))
sess.close()
