# Values that contain each other, dicts compared by their items, and an empty array of 10^12
# rows (what Python 3.11 with numpy 2.4 printed for it is nested_and_empty.out).
a = []
b = [a]
a.append(b)
for f in [lambda: a == b, lambda: a < b, lambda: a in [b], lambda: [a].index(b)]:
    try:
        print(f())
    except RecursionError as e:
        print("RecursionError:", e)
d = {}
e2 = {"k": d}
d["k"] = e2
try:
    print(d == e2)
except RuntimeError as e:
    print(type(e).__name__ + ":", e)
print([1, [2, {"a": (3, 4)}]] == [1, [2, {"a": (3, 4)}]], {"a": 1, "b": 2} == {"b": 2, "a": 1})
for f in [lambda: d.setdefault([1], 2), lambda: d[[1]], lambda: d.get({}), lambda: [1] in d]:
    try:
        f()
    except TypeError as e:
        print("TypeError:", e)
import numpy as np
z = np.zeros((10**12, 0))
print(z.shape, z, z[5:10].shape, z[::-1].shape, z.sum(), z.mean(axis=0))
for f in [lambda: z.sum(axis=1), lambda: z[:, 0], lambda: np.zeros((3, 0)).max(axis=1), lambda: z.tolist()]:
    try:
        print(f())
    except Exception as e:
        print(type(e).__name__ + ":", e)
n = 0
for r in z:
    n += 1
    if n == 3:
        break
print(n, len(z), r)
