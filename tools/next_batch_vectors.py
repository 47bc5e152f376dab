#!/usr/bin/env python3
"""Record what TF 1.x's MNIST `input_data` does on the bundled digits files, as test vectors.

Runs the reference `input_data.py` (book-programs/) with the venv's numpy on
assets/examples/digits and writes tests/data/next_batch/digits_next_batch.json, which
tests/programs/idx_datasets.rs checks without Python: the sets' sizes, the sha256 of their
float32 images and one-hot labels, numpy's float32 pixel scale for all 256 byte values, and for
several (np.random.seed, batch size, shuffle) the examples each `next_batch` returns (as indices
into the training set before any shuffle).

Usage:  /work/tfvenv/bin/python tools/next_batch_vectors.py [path/to/input_data.py folder]
"""
import hashlib
import json
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference/book-programs")
import input_data  # noqa: E402

DIGITS = os.path.join(ROOT, "assets", "datasets", "digits")


def sha(a, dtype):
    return hashlib.sha256(np.ascontiguousarray(a, dtype=dtype).tobytes()).hexdigest()


def batches(seed, validation_size, batch_size, count, shuffle=True):
    np.random.seed(seed)
    sets = input_data.read_data_sets(DIGITS, one_hot=False, validation_size=validation_size)
    train = sets.train
    n = train.num_examples
    # Tag each example with its index: the batches then name the examples they hold.
    train._images = np.arange(n, dtype=np.float64).reshape(n, 1)
    train._labels = np.arange(n)
    out = []
    for _ in range(count):
        xs, ys = train.next_batch(batch_size, shuffle=shuffle)
        assert (xs[:, 0].astype(np.int64) == ys).all()
        out.append([int(i) for i in ys])
    return {"numpy_seed": seed, "validation_size": validation_size, "batch_size": batch_size,
            "shuffle": shuffle, "batches": out}


def main():
    sets = input_data.read_data_sets(DIGITS, one_hot=True, validation_size=200)
    scale = np.multiply(np.arange(256, dtype=np.uint8).astype(np.float32), 1.0 / 255.0)
    doc = {
        "description": "input_data.read_data_sets / next_batch on assets/examples/digits "
                       "(tools/next_batch_vectors.py); batches hold indices into the unshuffled training set.",
        "generated_with": "numpy " + np.__version__,
        "pixel_scale_hex": ["%08x" % x for x in scale.view(np.uint32)],
        "one_hot_validation_200": {
            name: {"num_examples": s.num_examples, "images_shape": list(s.images.shape),
                   "sha256_images_float32_le": sha(s.images, "<f4"),
                   "labels_dtype": str(s.labels.dtype),
                   "sha256_labels_float64_le": sha(s.labels, "<f8")}
            for name, s in (("train", sets.train), ("validation", sets.validation), ("test", sets.test))
        },
        "cases": [
            batches(0, 200, 100, 30),
            batches(1, 200, 7, 200),
            batches(0, 200, 1297, 3),
            batches(0, 200, 1500, 3),
            batches(2, 0, 500, 4, shuffle=False),
            batches(12345, 5000 - 3703, 64, 25),
        ],
    }
    with open(os.path.join(ROOT, "tests", "data", "next_batch", "digits_next_batch.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


main()
