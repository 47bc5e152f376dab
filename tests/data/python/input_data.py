"""TF 1.x's MNIST `input_data` for the tests' programs under real TF 2.x (which no longer ships
it): read_data_sets reads the four IDX files of a folder (gzipped), scales pixels by
float32(1/255), flattens the images, one-hot encodes the labels as float64 when asked, and splits
the first `validation_size` training examples off; next_batch shuffles with numpy's global
generator at the start of the first epoch and at each epoch's end, joining an epoch's tail to the
next one's head."""
import gzip
import os

import numpy


def _idx(path, magic):
    with gzip.open(path, "rb") as f:
        head = numpy.frombuffer(f.read(4), dtype=">u4")[0]
        if head != magic:
            raise ValueError("Invalid magic number %d in MNIST file: %s" % (head, path))
        ndim = 3 if magic == 2051 else 1
        dims = [int(d) for d in numpy.frombuffer(f.read(4 * ndim), dtype=">u4")]
        return numpy.frombuffer(f.read(int(numpy.prod(dims))), dtype=numpy.uint8).reshape(dims)


class DataSet(object):
    def __init__(self, images, labels):
        self._num_examples = images.shape[0]
        flat = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
        self._images = numpy.multiply(flat.astype(numpy.float32), 1.0 / 255.0)
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    images = property(lambda self: self._images)
    labels = property(lambda self: self._labels)
    num_examples = property(lambda self: self._num_examples)
    epochs_completed = property(lambda self: self._epochs_completed)

    def _reorder(self):
        perm = numpy.arange(self._num_examples)
        numpy.random.shuffle(perm)
        self._images = self._images[perm]
        self._labels = self._labels[perm]

    def next_batch(self, batch_size, shuffle=True):
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._reorder()
        if start + batch_size <= self._num_examples:
            self._index_in_epoch += batch_size
            return self._images[start:self._index_in_epoch], self._labels[start:self._index_in_epoch]
        self._epochs_completed += 1
        tail = (self._images[start:self._num_examples], self._labels[start:self._num_examples])
        if shuffle:
            self._reorder()
        self._index_in_epoch = batch_size - (self._num_examples - start)
        end = self._index_in_epoch
        return (numpy.concatenate((tail[0], self._images[0:end]), axis=0),
                numpy.concatenate((tail[1], self._labels[0:end]), axis=0))


class Datasets(object):
    def __init__(self, train, validation, test):
        self.train, self.validation, self.test = train, validation, test


def read_data_sets(train_dir, one_hot=False, validation_size=5000):
    def labels(name):
        raw = _idx(os.path.join(train_dir, name), 2049)
        if not one_hot:
            return raw
        dense = numpy.zeros((raw.shape[0], 10))
        dense[numpy.arange(raw.shape[0]), raw] = 1
        return dense

    train_images = _idx(os.path.join(train_dir, "train-images-idx3-ubyte.gz"), 2051)
    train_labels = labels("train-labels-idx1-ubyte.gz")
    test_images = _idx(os.path.join(train_dir, "t10k-images-idx3-ubyte.gz"), 2051)
    test_labels = labels("t10k-labels-idx1-ubyte.gz")
    if not 0 <= validation_size <= len(train_images):
        raise ValueError("validation_size should be between 0 and %d" % len(train_images))
    return Datasets(DataSet(train_images[validation_size:], train_labels[validation_size:]),
                    DataSet(train_images[:validation_size], train_labels[:validation_size]),
                    DataSet(test_images, test_labels))
