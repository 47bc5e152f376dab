//! Decimated training series (not the undo history): a [`Series`] keeps at most [`Series::capacity`] buckets whatever
//! the number of samples pushed. Each bucket covers a run of consecutive samples and keeps the
//! lowest and the highest of them (min/max decimation, as TensorBoard and burn-train downsample
//! their scalars), so spikes stay visible at any zoom; when the buckets are full, neighbours are
//! merged pairwise and each bucket covers twice as many samples. Ten million pushes keep the
//! same few thousand points, and memory stays flat.

/// One sample: the training step, the wall time (seconds since training started) and the value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Training step.
    pub step: f64,
    /// Seconds since the job started.
    pub time: f64,
    /// The value.
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Bucket {
    min: Sample,
    max: Sample,
    last: Sample,
    count: u64,
}

impl Bucket {
    fn of(s: Sample) -> Bucket {
        Bucket { min: s, max: s, last: s, count: 1 }
    }

    fn add(&mut self, s: Sample) {
        if s.value < self.min.value || self.min.value.is_nan() {
            self.min = s;
        }
        if s.value > self.max.value || self.max.value.is_nan() {
            self.max = s;
        }
        self.last = s;
        self.count += 1;
    }

    fn merge(mut self, other: Bucket) -> Bucket {
        if other.min.value < self.min.value {
            self.min = other.min;
        }
        if other.max.value > self.max.value {
            self.max = other.max;
        }
        self.last = other.last;
        self.count += other.count;
        self
    }
}

/// A decimated series of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    buckets: Vec<Bucket>,
    capacity: usize,
    per_bucket: u64,
    total: u64,
}

/// Buckets kept per series by default (two points each when drawn).
pub const DEFAULT_CAPACITY: usize = 1024;

impl Default for Series {
    fn default() -> Self {
        Series::new(DEFAULT_CAPACITY)
    }
}

impl Series {
    /// An empty series keeping at most `capacity` buckets (at least 2).
    pub fn new(capacity: usize) -> Series {
        let capacity = capacity.max(2) & !1;
        Series { buckets: Vec::with_capacity(capacity), capacity, per_bucket: 1, total: 0 }
    }

    /// The most buckets it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Samples pushed so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Buckets held now (never more than the capacity).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The last sample pushed.
    pub fn last(&self) -> Option<Sample> {
        self.buckets.last().map(|b| b.last)
    }

    /// Adds a sample.
    pub fn push(&mut self, s: Sample) {
        self.total += 1;
        match self.buckets.last_mut() {
            Some(b) if b.count < self.per_bucket => b.add(s),
            _ => {
                if self.buckets.len() >= self.capacity {
                    self.halve();
                    if let Some(b) = self.buckets.last_mut().filter(|b| b.count < self.per_bucket) {
                        b.add(s);
                        return;
                    }
                }
                self.buckets.push(Bucket::of(s));
            }
        }
    }

    /// Merges neighbouring buckets pairwise; each then covers twice as many samples.
    fn halve(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        let mut it = old.into_iter();
        while let Some(a) = it.next() {
            self.buckets.push(match it.next() {
                Some(b) => a.merge(b),
                None => a,
            });
        }
        self.per_bucket = self.per_bucket.saturating_mul(2);
    }

    /// The points to draw, in order: each bucket's min and max in the order they occurred
    /// (one point for a bucket of one sample).
    pub fn points(&self) -> Vec<Sample> {
        let mut out = Vec::with_capacity(self.buckets.len() * 2);
        for b in &self.buckets {
            if b.count == 1 || b.min == b.max {
                out.push(b.last);
            } else if b.min.step <= b.max.step {
                out.push(b.min);
                out.push(b.max);
            } else {
                out.push(b.max);
                out.push(b.min);
            }
        }
        out
    }

    /// The points to draw where at most about `max_points` can be told apart (a plot's width in
    /// pixels): neighbouring buckets merged in groups first, so a many-line plot tessellates a
    /// few hundred points per line, not thousands; the same as [`Series::points`] when it has
    /// few enough.
    pub fn points_within(&self, max_points: usize) -> Vec<Sample> {
        let group = (self.buckets.len() * 2).div_ceil(max_points.max(2));
        if group <= 1 {
            return self.points();
        }
        let merged: Vec<Bucket> =
            self.buckets.chunks(group).map(|c| c[1..].iter().fold(c[0], |a, &b| a.merge(b))).collect();
        Series { buckets: merged, capacity: self.capacity, per_bucket: self.per_bucket, total: self.total }.points()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Series::new(self.capacity);
    }
}

/// TensorBoard's scalar smoothing: an exponential moving average with weight `w` (0 = none,
/// towards 1 = smoother), debiased so the first points are not pulled towards zero. Non-finite
/// values are passed through and do not disturb the average.
pub fn smooth(values: &[f64], w: f64) -> Vec<f64> {
    let w = w.clamp(0.0, 0.999);
    let mut last = 0.0;
    let mut n = 0i32;
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() || w == 0.0 {
                return v;
            }
            last = last * w + (1.0 - w) * v;
            n = n.saturating_add(1);
            let debias = 1.0 - w.powi(n);
            if debias > 0.0 { last / debias } else { v }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(step: u64, value: f64) -> Sample {
        Sample { step: step as f64, time: step as f64 * 1e-6, value }
    }

    #[test]
    fn ten_million_pushes_stay_bounded_and_keep_extremes() {
        let mut h = Series::new(1024);
        let n = 10_000_000u64;
        for i in 0..n {
            // A slowly falling loss with one spike and one dip.
            let v = match i {
                3_333_333 => 100.0,
                7_777_777 => -5.0,
                _ => 1.0 / (1.0 + i as f64 * 1e-6),
            };
            h.push(s(i, v));
            if i % 1_000_003 == 0 {
                assert!(h.len() <= 1024);
            }
        }
        assert_eq!(h.total(), n);
        assert!(h.len() <= 1024 && h.len() >= 512, "{}", h.len());
        let pts = h.points();
        assert!(pts.len() <= 2048);
        assert!(pts.iter().any(|p| p.value == 100.0 && p.step == 3_333_333.0), "the spike is kept");
        assert!(pts.iter().any(|p| p.value == -5.0 && p.step == 7_777_777.0), "the dip is kept");
        assert!(pts.windows(2).all(|w| w[0].step <= w[1].step), "points stay in step order");
        assert_eq!(h.last().map(|p| p.step), Some((n - 1) as f64));
        // Memory is the buckets' vector: it never grew past its capacity.
        assert!(h.buckets.capacity() <= 2048);
    }

    #[test]
    fn points_within_a_width_keep_the_extremes() {
        let mut sr = Series::new(1024);
        for i in 0..100_000u64 {
            sr.push(s(
                i,
                if i == 77_777 {
                    1e9
                } else if i == 33_333 {
                    -1e9
                } else {
                    (i % 13) as f64
                },
            ));
        }
        let all = sr.points();
        let few = sr.points_within(300);
        assert!(few.len() <= 300 && few.len() >= 150, "{}", few.len());
        for v in [1e9, -1e9] {
            assert!(few.iter().any(|p| p.value == v));
        }
        assert!(few.windows(2).all(|w| w[0].step <= w[1].step));
        assert_eq!(sr.points_within(10_000), all);
    }

    #[test]
    fn few_samples_are_kept_exactly() {
        let mut h = Series::new(16);
        for i in 0..10 {
            h.push(s(i, i as f64));
        }
        assert_eq!(h.points().iter().map(|p| p.value).collect::<Vec<_>>(), (0..10).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn smoothing_matches_tensorboard() {
        assert_eq!(smooth(&[1.0, 2.0, 3.0], 0.0), vec![1.0, 2.0, 3.0]);
        let sm = smooth(&[1.0, 1.0, 1.0], 0.9);
        assert!(sm.iter().all(|v| (v - 1.0).abs() < 1e-12), "{sm:?}");
        let sm = smooth(&[0.0, 10.0], 0.5);
        // last = 0, then 5; debias 1 - 0.25 = 0.75 → 6.666…
        assert!((sm[1] - 5.0 / 0.75).abs() < 1e-12);
    }
}
