# Node errors caught as TF's error classes, their str(e) and e.message printed in parts; a
# caught error printed as TF 2.x words it, one caught silently, then runs that succeed.
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
x = tf.placeholder(tf.float32, shape=(None, 2), name="x")
y = tf.reduce_sum(x * 2.0)
v = tf.Variable(1.0, name="v")
with tf.Session() as sess:
    try:
        sess.run(y)
    except tf.errors.InvalidArgumentError as e:
        lines = str(e).split("\n")
        print(type(e).__name__, lines[0], [l for l in lines if l.startswith("Node:")])
    try:
        sess.run(v + 1.0)
    except tf.errors.OpError as e:
        print("caught:", type(e).__name__, isinstance(e, tf.errors.FailedPreconditionError))
        print(e.message.split("\n")[-2])
    try:
        sess.run(v)
    except tf.errors.FailedPreconditionError:
        pass
    try:
        sess.run(y, feed_dict={x: [[1.0]]})
    except ValueError as e:
        print("ValueError: " + str(e))
    sess.run(tf.global_variables_initializer())
    print(sess.run(y, feed_dict={x: [[3.0, 2.0]]}), sess.run(v))
