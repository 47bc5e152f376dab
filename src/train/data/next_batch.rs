//! `DataSet.next_batch` of TF 1.x's MNIST `input_data`, exactly: which examples each batch
//! holds, for a set of `num_examples` rows.
//!
//! On the first call of the first epoch the rows are shuffled with numpy's global RNG
//! (`numpy.random.shuffle(numpy.arange(n))`, seeded by `np.random.seed`: here a
//! [`RandomState`]); batches are consecutive slices of that order; a batch that runs past the
//! end takes the epoch's tail, reshuffles (the new order permutes the previous one, as
//! `self._images = self.images[perm]` does) and completes itself with the head of the next
//! epoch. A batch larger than the set behaves as numpy's slicing makes it (clipped, never
//! wrapping twice). With `shuffle` off the order stays `0..n`.

use crate::engine::kernels::random::RandomState;

/// The state of one `DataSet`'s batching.
#[derive(Clone, Debug)]
pub struct NextBatch {
    /// The current order: row `k` of the shuffled arrays is example `order[k]`.
    order: Vec<usize>,
    index_in_epoch: usize,
    epochs_completed: u64,
    shuffle: bool,
    rng: RandomState,
    scratch: Vec<usize>,
}

impl NextBatch {
    /// A fresh `DataSet` of `num_examples` rows drawing from `rng` (numpy's global RNG).
    pub fn new(num_examples: usize, shuffle: bool, rng: RandomState) -> NextBatch {
        NextBatch {
            order: (0..num_examples).collect(),
            index_in_epoch: 0,
            epochs_completed: 0,
            shuffle,
            rng,
            scratch: Vec::with_capacity(if shuffle { num_examples } else { 0 }),
        }
    }

    /// `epochs_completed`.
    pub fn epochs_completed(&self) -> u64 {
        self.epochs_completed
    }

    /// Applies `numpy.random.shuffle(perm)`, then `order = order[perm]`.
    fn reshuffle(&mut self) {
        let n = self.order.len();
        self.scratch.clear();
        self.scratch.extend(0..n);
        self.rng.shuffle(&mut self.scratch);
        for k in 0..n {
            let p = self.scratch[k];
            self.scratch[k] = self.order[p];
        }
        std::mem::swap(&mut self.order, &mut self.scratch);
    }

    /// [`NextBatch::next_batch`] drawing its shuffles from `rng` instead of its own generator
    /// (a Python program's `next_batch` shares numpy's global generator with its other draws).
    pub fn next_batch_with(&mut self, rng: &mut RandomState, batch_size: usize, out: &mut Vec<usize>) {
        std::mem::swap(&mut self.rng, rng);
        self.next_batch(batch_size, out);
        std::mem::swap(&mut self.rng, rng);
    }

    /// `next_batch(batch_size)`: the examples of the next batch, written to `out` (cleared
    /// first; no allocation once `out` and the state have their capacity).
    pub fn next_batch(&mut self, batch_size: usize, out: &mut Vec<usize>) {
        out.clear();
        let n = self.order.len();
        let start = self.index_in_epoch;
        if self.epochs_completed == 0 && start == 0 && self.shuffle {
            self.reshuffle();
        }
        if start + batch_size > n {
            self.epochs_completed += 1;
            // `rest = n - start` may be negative after a batch larger than the set: numpy's
            // slice `[start:n]` is then empty and the next index grows by `-rest`.
            let tail = self.order.get(start.min(n)..).unwrap_or(&[]);
            out.extend_from_slice(tail);
            if self.shuffle {
                self.reshuffle();
            }
            let end = batch_size + start - n;
            self.index_in_epoch = end;
            out.extend_from_slice(&self.order[..end.min(n)]);
        } else {
            self.index_in_epoch += batch_size;
            out.extend_from_slice(&self.order[start..start + batch_size]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_join_and_cover_every_example_once() {
        let mut b = NextBatch::new(10, true, RandomState::new(0));
        let mut out = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..3 {
            b.next_batch(4, &mut out);
            assert_eq!(out.len(), 4);
            seen.extend_from_slice(&out);
        }
        // 12 rows: the whole first epoch, then two of the second.
        let mut first: Vec<usize> = seen[..10].to_vec();
        first.sort_unstable();
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        assert_eq!(b.epochs_completed(), 1);
    }

    #[test]
    fn without_shuffle_the_order_stays() {
        let mut b = NextBatch::new(5, false, RandomState::new(0));
        let mut out = Vec::new();
        b.next_batch(3, &mut out);
        assert_eq!(out, [0, 1, 2]);
        b.next_batch(3, &mut out);
        assert_eq!(out, [3, 4, 0]);
        b.next_batch(7, &mut out);
        // start 1: the tail 1..5, then the head up to 7 + 1 - 5 = 3.
        assert_eq!(out, [1, 2, 3, 4, 0, 1, 2]);
        b.next_batch(2, &mut out);
        assert_eq!(out, [3, 4]);
        // A batch larger than the set: clipped as numpy slices clip.
        let mut b = NextBatch::new(3, false, RandomState::new(0));
        b.next_batch(5, &mut out);
        assert_eq!(out, [0, 1, 2, 0, 1]);
        b.next_batch(5, &mut out);
        assert_eq!(out, [2, 0, 1, 2]);
        b.next_batch(5, &mut out);
        assert_eq!(out, [0, 1, 2]);
    }
}
