# Variable and name scopes, get_variable with an initializer, softmax, maximum, eval, collections.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
with tf.variable_scope("layer1"):
    w = tf.get_variable("weights", [2, 2], initializer=tf.constant_initializer(0.5))
    b = tf.Variable(tf.zeros([2]), name="bias")
with tf.name_scope("ops") as scope:
    y = tf.add(tf.matmul(tf.ones([1, 2]), w), b, name="out")
print(scope, w.name, b.name, y.name)
z = tf.nn.softmax(y)
m = tf.maximum(y, 0.7)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print(sess.run(z), sess.run(m))
    print(sess.run(y, feed_dict={}))
    for name, val in zip(["w", "b"], sess.run([w, b])):
        print(name, val.shape, val.sum())
    print(y.eval(), tf.get_default_session() is sess)
print(len(tf.global_variables()), [v.name for v in tf.trainable_variables()])
