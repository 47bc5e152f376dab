# input_data as MNIST programs use it: the sets, their sizes and arrays, next_batch across an
# epoch (numpy's global generator shared with np.random), labels one-hot or as classes.
import numpy as np
import input_data
mnist = input_data.read_data_sets("../../../../assets/examples/digits", one_hot=True, validation_size=200)
print(mnist.train.num_examples, mnist.validation.num_examples, mnist.test.num_examples)
print(mnist.validation.images.shape, mnist.test.labels.shape, mnist.train.images.dtype)
print(mnist.test.labels[0], np.argmax(mnist.test.labels[:5], 1))
np.random.seed(3)
xs, ys = mnist.train.next_batch(4)
print(xs.shape, np.argmax(ys, 1))
xs, ys = mnist.train.next_batch(1295)
print(xs.shape, np.argmax(ys[-3:], 1))
print(np.random.rand())
plain = input_data.read_data_sets("../../../../assets/examples/digits", validation_size=0)
print(plain.train.num_examples, plain.test.labels[:10])
