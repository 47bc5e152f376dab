//! The blocked float32 GEMM of large products (`C = op(A) op(B)` on the general path, where TF's
//! summation order is not kept). A product is forked once into one task per thread of the pool,
//! the calling thread taking the first. When C has enough row panels, the tasks share one packing
//! of B per block of `k` (each packs the panels it claims) and then claim C's row panels one at
//! a time, so a task that starts late or runs slow takes less of the work (`Job::run_shared`);
//! otherwise C's column panels or row panels (whichever leaves less to pack twice) are split
//! between the tasks, each packing its own panels of B into its thread's buffer. Tiles read A
//! in place (or a copied row panel when A's rows are not contiguous) and are computed by a
//! register-blocked microkernel — AVX-512 (12 x 32, its steps in assembly), AVX2+FMA (6 x 16)
//! or portable code (4 x 4), picked at run time ([`Isa::detect`];
//! `FLOWBENCH_GEMM_ISA=avx2|scalar` forces a fallback for measurements) — then a bias add and
//! relu fused into the finished tile.
//!
//! Every output element is summed in one order whatever the kernel, the split or the thread
//! count: `k` is cut into equal blocks of at most [`KC_MAX`] (depending on `k` alone); within a
//! block the products are chained by fused multiply-adds in order, starting from `+0`, and each
//! block's sum is added to the element (the first block's stored). So the three kernels give the
//! same bits, and a product is the same on 1 or 16 threads. [`Order::TfSeqFma`] runs the same
//! kernels in the order of TF's in-order-FMA products instead (oneDNN's blocks of `k`, chains
//! from `-0`, TF's flush modes), for the products that must keep TF's bits.

use crate::engine::error::{Error, Result};
use crate::engine::math::denormal::ScopedFlushDenormal;
use crate::engine::math::eigen::GEMM_BK;
use rayon::ThreadPool;
use std::cell::RefCell;
use std::sync::OnceLock;

/// Largest block of `k` summed in registers before it is added to the output.
pub const KC_MAX: usize = 256;
/// Products with at least this many multiply-adds are split across a pool.
pub(crate) const PAR_MIN_MULADDS: usize = 1 << 18;

/// Which microkernel computes the tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 12 x 32 tiles in 24 `zmm` accumulators.
    Avx512,
    /// 6 x 16 tiles in 12 `ymm` accumulators.
    Avx2,
    /// 4 x 4 tiles in plain Rust (`f32::mul_add`).
    Scalar,
}

impl Isa {
    /// The best kernel this CPU runs, unless `FLOWBENCH_GEMM_ISA` (`avx512`, `avx2`, `scalar`)
    /// asks for a fallback (an unavailable one is ignored). Detected once.
    pub fn detect() -> Isa {
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(|| {
            let best = [Isa::Avx512, Isa::Avx2].into_iter().find(|i| i.available()).unwrap_or(Isa::Scalar);
            let forced = std::env::var("FLOWBENCH_GEMM_ISA").ok().and_then(|v| match v.as_str() {
                "avx512" => Some(Isa::Avx512),
                "avx2" => Some(Isa::Avx2),
                "scalar" => Some(Isa::Scalar),
                _ => None,
            });
            forced.filter(|i| i.available()).unwrap_or(best)
        })
    }

    /// True when this CPU runs the kernel.
    pub fn available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Rows and columns of the kernel's tile.
    fn tile(self) -> (usize, usize) {
        match self {
            Isa::Avx512 => (12, 32),
            Isa::Avx2 => (6, 16),
            Isa::Scalar => (4, 4),
        }
    }
}

/// A read-only matrix through strides: element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a> {
    /// The elements.
    pub data: &'a [f32],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> Strided<'a> {
    /// `op(X)` of a row-major buffer as a `rows x cols` matrix: `data` holds X as `[rows, cols]`,
    /// or, when `transposed`, holds X^T as `[cols, rows]` (`tf.matmul`'s `transpose_a`/`_b`).
    pub fn op(data: &'a [f32], rows: usize, cols: usize, transposed: bool) -> Self {
        if transposed { Strided { data, rs: 1, cs: rows } } else { Strided { data, rs: cols, cs: 1 } }
    }

    /// True when every element of a `rows x cols` matrix is inside `data`.
    fn holds(&self, rows: usize, cols: usize) -> bool {
        rows == 0
            || cols == 0
            || (rows - 1)
                .checked_mul(self.rs)
                .and_then(|r| (cols - 1).checked_mul(self.cs).and_then(|c| r.checked_add(c)))
                .is_some_and(|last| last < self.data.len())
    }

    /// The transposed view.
    fn t(self) -> Self {
        Strided { data: self.data, rs: self.cs, cs: self.rs }
    }
}

/// Whether an `m x n` output with strides `(rs, cs)` gives every element its own place (the
/// pool's tasks write disjoint elements only then).
fn disjoint(m: usize, n: usize, rs: usize, cs: usize) -> bool {
    m.saturating_mul(n) <= 1
        || (m == 1 && cs >= 1)
        || (n == 1 && rs >= 1)
        || (cs >= 1 && rs >= n.saturating_mul(cs))
        || (rs >= 1 && cs >= m.saturating_mul(rs))
}

/// `C = A B` for an `m x k` matrix `A` and a `k x n` matrix `B` into `c` (element `(i, j)` at
/// `c[i * rsc + j * csc]`), with `isa`'s kernel (the portable one when the CPU lacks it), split
/// across `pool` when the product is big enough. Errors when an operand is smaller than its shape
/// or the output aliases nothing it should.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    isa: Isa,
    (m, k, n): (usize, usize, usize),
    a: Strided<'_>,
    b: Strided<'_>,
    c: &mut [f32],
    (rsc, csc): (usize, usize),
    pool: Option<&ThreadPool>,
) -> Result<()> {
    sgemm_fused(isa, (m, k, n), a, b, c, (rsc, csc), pool, Epilogue::NONE, Order::Blocked)
}

/// How each element of a product is summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The blocked GEMM's own order (see the module documentation): equal blocks of `k` of at
    /// most [`KC_MAX`], chains from `+0`, the calling threads' float modes.
    Blocked,
    /// The order of TF's in-order-FMA products (Eigen's `SeqFma`, with oneDNN's blocks of `k` for
    /// long ones: `eigen::gemm_k_blocks`): each element's first product starts its chain (the
    /// accumulators start from `-0`, which `fma(x, y, -0)` leaves as `x * y` exactly, signed zeros
    /// included), each block is one chain of FMAs in order, the blocks' sums are added to the
    /// element in order, and every task runs with TF's flush-to-zero and denormals-are-zero. So
    /// the bits are those of `matmul_simd::MatMulPlan::run_hw` for a product whose kernel is
    /// `SeqFma`, at the blocked kernels' speed and split across the pool. Vector kernels only
    /// (the portable kernel's `mul_add` does not honour the flush modes).
    TfSeqFma,
}

impl Order {
    /// The value each accumulator starts from.
    fn chain_start(self) -> f32 {
        match self {
            Order::Blocked => 0.0,
            Order::TfSeqFma => -0.0,
        }
    }
}

/// What is done to each element of a product once its sum is complete, while its tile is still
/// in cache: `c + bias[j]` (column `j`'s bias), then `relu` (`c < 0 ? 0 : c`), each rounded as
/// the separate `BiasAdd`/`Add` and `Relu` ops round them (so the bits are theirs).
#[derive(Clone, Copy, Debug)]
pub struct Epilogue<'a> {
    /// One value per column of C, added to it.
    pub bias: Option<&'a [f32]>,
    /// Then `max(c, 0)` as `Relu` computes it (NaN and `-0` pass through).
    pub relu: bool,
}

impl Epilogue<'_> {
    /// Nothing after the sum.
    pub const NONE: Epilogue<'static> = Epilogue { bias: None, relu: false };

    fn is_none(&self) -> bool {
        self.bias.is_none() && !self.relu
    }
}

/// [`sgemm`] with an [`Epilogue`] applied to each element of C, summed in `order`: the blocked
/// GEMM's own ([`Order::Blocked`]) or TF's ([`Order::TfSeqFma`], which also errors unless `isa`
/// is a vector kernel this CPU has).
#[allow(clippy::too_many_arguments)]
pub fn sgemm_fused(
    isa: Isa,
    (m, k, n): (usize, usize, usize),
    a: Strided<'_>,
    b: Strided<'_>,
    c: &mut [f32],
    (rsc, csc): (usize, usize),
    pool: Option<&ThreadPool>,
    ep: Epilogue<'_>,
    order: Order,
) -> Result<()> {
    if order == Order::TfSeqFma && (isa == Isa::Scalar || !isa.available()) {
        return Err(Error::internal("sgemm: TF's order needs the AVX-512 or AVX2 kernel"));
    }
    if ep.bias.is_some_and(|b| b.len() < n) {
        return Err(Error::internal("sgemm: a bias shorter than the columns"));
    }
    if !a.holds(m, k) || !b.holds(k, n) || !(Strided { data: c, rs: rsc, cs: csc }).holds(m, n) {
        return Err(Error::internal("sgemm: an operand is smaller than its shape"));
    }
    if !disjoint(m, n, rsc, csc) {
        return Err(Error::internal("sgemm: the output's strides make elements overlap"));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        for i in 0..m {
            for j in 0..n {
                c[i * rsc + j * csc] = epilogue(&ep, 0.0, j);
            }
        }
        return Ok(());
    }
    let isa = if isa.available() { isa } else { Isa::Scalar };
    let nr = isa.tile().1;
    // A product with few columns wastes most of a tile's width: compute `C^T = B^T A^T` instead
    // (each element is still the same chain of the same products, so the bits do not change).
    let job = if n < nr / 2 && m > n {
        Job { isa, m: n, k, n: m, a: b.t(), b: a.t(), rsc: csc, csc: rsc, ep, ep_by_row: true, order }
    } else {
        Job { isa, m, k, n, a, b, rsc, csc, ep, ep_by_row: false, order }
    };
    let threads = match pool {
        Some(p) if m.saturating_mul(n).saturating_mul(k) >= PAR_MIN_MULADDS => p.current_num_threads().max(1),
        _ => 1,
    };
    job.run(c, threads, pool);
    Ok(())
}

/// Products with at most this many blocks of `k` share one packing of B among their tasks
/// ([`Job::run_shared`]).
const SHARED_MAX_BLOCKS: usize = 8;
/// ... and at least this many row panels of C per task (so that claiming them one at a time
/// evens out the tasks; (d)'s forward, 9 row panels for 2 tasks, ran 6–20% slower shared).
const SHARED_MIN_ROW_PANELS: usize = 8;

thread_local! {
    /// The packed panels of B shared by the tasks of a product that the calling thread started
    /// ([`Job::run_shared`]; two blocks' worth).
    static SHARED_B: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// The packed panels of B (and of A's rows when they are copied) of the last product task
    /// run on this thread (kept to avoid allocating in every training step).
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// One checked product.
#[derive(Clone, Copy)]
struct Job<'a> {
    isa: Isa,
    m: usize,
    k: usize,
    n: usize,
    a: Strided<'a>,
    b: Strided<'a>,
    rsc: usize,
    csc: usize,
    /// Applied to each element after its last block.
    ep: Epilogue<'a>,
    /// The epilogue's bias is indexed by this job's rows (C was transposed), else its columns.
    ep_by_row: bool,
    /// How sums are blocked and started.
    order: Order,
}

/// One element through the epilogue (`j` its column in the caller's C).
#[inline(always)]
fn epilogue(ep: &Epilogue<'_>, mut x: f32, j: usize) -> f32 {
    if let Some(b) = ep.bias {
        x += b[j];
    }
    if ep.relu && x < 0.0 { 0.0 } else { x }
}

/// The output shared by the pool's tasks, each of which writes its own tiles only.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: see the type's documentation: the tasks that share it never write the same element.
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

/// One tile for a microkernel: `kc` steps of `mr` rows of A (row `r`, step `s` at
/// `a[r * rsa + s * csa]`, in place or in a copied panel) and the packed `NR`-wide panel `b` into the `mr x nr`
/// corner of the tile at `c` (row stride `rsc`, column stride `csc`), stored when `!accumulate`,
/// else added to what is there.
#[derive(Clone, Copy)]
struct Tile {
    kc: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
    mr: usize,
    nr: usize,
    accumulate: bool,
    /// Where each accumulator starts: `+0`, or `-0` for TF's chains (see [`Order::TfSeqFma`]).
    init: f32,
}

/// oneDNN's blocks of `k` (`eigen::gemm_k_blocks`, without allocating): how many full blocks of
/// [`GEMM_BK`] lead, and the rest (one block, or two halves when longer than `GEMM_BK`).
fn onednn_blocks(k: usize) -> (usize, usize) {
    let full = if k > 2 * GEMM_BK { (k - 2 * GEMM_BK).div_ceil(GEMM_BK) } else { 0 };
    (full, k - full * GEMM_BK)
}

/// The part `t` of `len` items cut into `parts` near-equal runs.
fn chunk(len: usize, parts: usize, t: usize) -> std::ops::Range<usize> {
    let per = len.div_ceil(parts.max(1));
    (t * per).min(len)..((t + 1) * per).min(len)
}

impl Job<'_> {
    /// The number of blocks of `k` and the longest one's length.
    fn k_blocks(&self) -> (usize, usize) {
        match self.order {
            Order::Blocked => {
                let kb = self.k.div_ceil(KC_MAX);
                (kb, self.k.div_ceil(kb))
            }
            Order::TfSeqFma => {
                let (full, rest) = onednn_blocks(self.k);
                let halves = usize::from(rest > GEMM_BK) + usize::from(rest > 0);
                (full + halves, if full > 0 { GEMM_BK } else { rest.div_ceil(halves.max(1)) })
            }
        }
    }

    /// Block `q` of `k` as `(start, len)`.
    fn k_block(&self, q: usize) -> (usize, usize) {
        match self.order {
            Order::Blocked => {
                let kcb = self.k_blocks().1;
                (q * kcb, kcb.min(self.k - q * kcb))
            }
            Order::TfSeqFma => {
                let (full, rest) = onednn_blocks(self.k);
                let start = full * GEMM_BK;
                if q < full {
                    (q * GEMM_BK, GEMM_BK)
                } else if rest > GEMM_BK {
                    let first = rest.div_ceil(2);
                    if q == full { (start, first) } else { (start + first, rest - first) }
                } else {
                    (start, rest)
                }
            }
        }
    }

    /// Runs the product on `threads` tasks, forked once: sharing B's packing when C has enough
    /// row panels ([`Job::run_shared`]); otherwise C's column panels or row panels (and, with
    /// more threads than those, the other side's too) are split into one task per thread, each
    /// packing its own panels of B (and of A, when copied), one block of `k` at a time, into its
    /// thread's buffer (so nothing is shared but the read-only operands and no task waits for
    /// another).
    fn run(&self, c: &mut [f32], threads: usize, pool: Option<&ThreadPool>) {
        let (mr, nr) = self.isa.tile();
        let (mp, np) = (self.m.div_ceil(mr), self.n.div_ceil(nr));
        let t = threads.max(1);
        if let Some(pool) = pool
            && t > 1
            && self.k_blocks().0 <= SHARED_MAX_BLOCKS
            && mp >= SHARED_MIN_ROW_PANELS * t
            && self.run_shared(c, t, pool)
        {
            return;
        }
        // Each task packs the B panels of its columns and, when A's rows are copied, the A
        // panels of its rows: split the side that leaves each task less to pack (when both
        // sides have a panel per thread).
        let by_cols = match (np >= t, mp >= t) {
            (true, false) => true,
            (false, true) => false,
            _ => {
                let a = if self.a.cs != 1 { self.m * self.k } else { 0 };
                let b = self.n * self.k;
                a + b / t <= a / t + b
            }
        };
        let (col_parts, row_parts) = if by_cols {
            let cols = t.min(np);
            (cols, (t / cols).min(mp).max(1))
        } else {
            let rows = t.min(mp);
            ((t / rows).min(np).max(1), rows)
        };
        let tasks = col_parts * row_parts;
        let out = OutPtr(c.as_mut_ptr());
        let task = |t: usize| {
            let (rows, cols) = (chunk(mp, row_parts, t / col_parts), chunk(np, col_parts, t % col_parts));
            let o = out;
            // TF's float modes for TF's order (the calling thread's are restored after).
            let _modes = (self.order == Order::TfSeqFma).then(ScopedFlushDenormal::new);
            PACKED.with(|cell| match cell.try_borrow_mut() {
                // SAFETY: this task's tiles of C are inside `c` (checked by `sgemm`) and written
                // by no other task.
                Ok(mut buf) => unsafe { self.compute(rows, cols, &mut buf, o.0) },
                // Only when a product starts inside another one's task on this thread.
                // SAFETY: as above.
                Err(_) => unsafe { self.compute(rows, cols, &mut Vec::new(), o.0) },
            });
        };
        match pool {
            // The calling thread computes the first task while the pool's threads take the
            // others (one wake-up per extra task, and no thread idles waiting for the product).
            Some(pool) if tasks > 1 => pool.in_place_scope(|s| {
                for t in 1..tasks {
                    s.spawn(move |_| task(t));
                }
                task(0);
            }),
            _ => task(0),
        }
    }

    /// [`Job::run`] with one packing of B shared by the `threads` tasks: for each block of `k`,
    /// the tasks claim chunks of B's column panels to pack into one buffer (two buffers in
    /// turn), wait until every panel is packed and every row panel of the previous block is
    /// done, then claim C's row panels one at a time, each against all the column panels. So no
    /// panel is packed twice, each row panel of A is read once per block, and a task that starts
    /// late or runs slow takes less of the work. Every tile is computed as in [`Job::compute`],
    /// and each element's blocks in order, so the bits do not depend on who computes what.
    /// False (nothing done) when the buffer is in use (a product inside another one's task).
    fn run_shared(&self, c: &mut [f32], threads: usize, pool: &ThreadPool) -> bool {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (mr, nr) = self.isa.tile();
        let (mp, np) = (self.m.div_ceil(mr), self.n.div_ceil(nr));
        let (kb, kcb) = self.k_blocks();
        let room = np * nr * kcb;
        SHARED_B.with(|cell| {
            let Ok(mut buf) = cell.try_borrow_mut() else { return false };
            if buf.len() < 2 * room {
                buf.resize(2 * room, 0.0);
            }
            let shared = OutPtr(buf.as_mut_ptr());
            let out = OutPtr(c.as_mut_ptr());
            let counters = || -> [AtomicUsize; SHARED_MAX_BLOCKS] { std::array::from_fn(|_| AtomicUsize::new(0)) };
            // Per block: panels claimed for packing, panels packed, row panels claimed, done.
            let (pack_claims, packed, row_claims, rows_done) = (counters(), counters(), counters(), counters());
            let step = np.div_ceil(2 * threads).max(1);
            // Spins (the other tasks are a few microseconds from done), then yields its core
            // to them in case they are waiting for one (more threads than cores).
            let wait = |n: &AtomicUsize, want: usize| {
                let mut spins = 0u32;
                while n.load(Ordering::Acquire) < want {
                    if spins < 4096 {
                        spins += 1;
                        std::hint::spin_loop();
                    } else {
                        std::thread::yield_now();
                    }
                }
            };
            let task = |_: usize| {
                let (shared, out) = (shared, out);
                // TF's float modes for TF's order (the calling thread's are restored after).
                let _modes = (self.order == Order::TfSeqFma).then(ScopedFlushDenormal::new);
                let work = |abuf: &mut Vec<f32>| {
                    if self.packs_a() && abuf.len() < mr * kcb {
                        abuf.resize(mr * kcb, 0.0);
                    }
                    let pa = abuf.as_mut_ptr();
                    for q in 0..kb {
                        let (k0, kc) = self.k_block(q);
                        let pb = shared.0.wrapping_add((q % 2) * room);
                        loop {
                            let j0 = pack_claims[q].fetch_add(step, Ordering::Relaxed);
                            if j0 >= np {
                                break;
                            }
                            let cols = j0..(j0 + step).min(np);
                            let done = cols.len();
                            // SAFETY: this chunk's panels lie in the block's buffer (`room`
                            // values), claimed by this task alone; no task still reads this
                            // buffer: its last block (q - 2) was finished before anyone got
                            // past block q - 1's wait below.
                            unsafe { self.pack_b(cols, k0, kc, pb.wrapping_add(j0 * nr * kc)) };
                            packed[q].fetch_add(done, Ordering::Release);
                        }
                        wait(&packed[q], np);
                        if q > 0 {
                            wait(&rows_done[q - 1], mp);
                        }
                        loop {
                            let i = row_claims[q].fetch_add(1, Ordering::Relaxed);
                            if i >= mp {
                                break;
                            }
                            // SAFETY: the block's panels are packed (waited for); row panel i's
                            // tiles are this task's alone for this block, and their previous
                            // block is done (waited for); `pa` has room for an A panel.
                            unsafe { self.row_panel(i, 0..np, q, pb, pa, out.0) };
                            rows_done[q].fetch_add(1, Ordering::Release);
                        }
                    }
                };
                PACKED.with(|cell| match cell.try_borrow_mut() {
                    Ok(mut abuf) => work(&mut abuf),
                    // Only when a product starts inside another one's task on this thread.
                    Err(_) => work(&mut Vec::new()),
                });
            };
            pool.in_place_scope(|s| {
                for t in 1..threads {
                    s.spawn(move |_| task(t));
                }
                task(0);
            });
            true
        })
    }

    /// Packs panel `p` of B (`w` columns from column `p * w`; missing ones as zeros) for steps
    /// `k0..k0 + kc` at `dst`: `kc` steps of `w` contiguous values.
    ///
    /// # Safety
    /// `dst` must be valid for writes of `kc * w` values.
    unsafe fn pack_panel(&self, w: usize, p: usize, k0: usize, kc: usize, dst: *mut f32) {
        // The kernels' widths as constants, so that each step's copy is a few vector moves
        // instead of a call to `memcpy` (or a loop of checked scalar copies).
        // SAFETY: forwarded.
        unsafe {
            match w {
                32 => self.pack_panel_w::<32>(p, k0, kc, dst),
                16 => self.pack_panel_w::<16>(p, k0, kc, dst),
                4 => self.pack_panel_w::<4>(p, k0, kc, dst),
                _ => self.pack_panel_any(w, p, k0, kc, dst),
            }
        }
    }

    /// [`Job::pack_panel`] for a width known at compile time.
    ///
    /// # Safety
    /// As [`Job::pack_panel`].
    unsafe fn pack_panel_w<const W: usize>(&self, p: usize, k0: usize, kc: usize, dst: *mut f32) {
        let src = self.b.t();
        let c0 = p * W;
        if W > self.n - c0 {
            // SAFETY: forwarded.
            return unsafe { self.pack_panel_any(W, p, k0, kc, dst) };
        }
        // SAFETY: the caller's contract.
        let out = unsafe { std::slice::from_raw_parts_mut(dst, kc * W) };
        if src.rs == 1 {
            // Each step's W values are contiguous in B's row.
            for (t, o) in out.chunks_exact_mut(W).enumerate() {
                let s = (k0 + t) * src.cs + c0;
                o.copy_from_slice(&src.data[s..s + W]);
            }
        } else if src.cs == 1 {
            #[cfg(target_arch = "x86_64")]
            if W == 32 && self.isa == Isa::Avx512 {
                let from = src.data[c0 * src.rs + k0..].as_ptr();
                // SAFETY: the caller's contract; the 32 columns' kc values lie inside B (its
                // extent checked by `sgemm`, the panel full); the CPU has AVX-512F.
                return unsafe { x86::pack_columns_32_avx512(from, src.rs, kc, dst) };
            }
            // Each column's kc values are contiguous: gather one value of each per step.
            let srcs: [&[f32]; W] = std::array::from_fn(|r| {
                let base = (c0 + r) * src.rs + k0;
                &src.data[base..base + kc]
            });
            for (t, o) in out.chunks_exact_mut(W).enumerate() {
                for (o, s) in o.iter_mut().zip(&srcs) {
                    // SAFETY: t < kc, the length of every column slice.
                    *o = unsafe { *s.get_unchecked(t) };
                }
            }
        } else {
            for (t, o) in out.chunks_exact_mut(W).enumerate() {
                for (r, o) in o.iter_mut().enumerate() {
                    *o = src.data[(c0 + r) * src.rs + (k0 + t) * src.cs];
                }
            }
        }
    }

    /// [`Job::pack_panel`] for any width and partial panels.
    ///
    /// # Safety
    /// As [`Job::pack_panel`].
    unsafe fn pack_panel_any(&self, w: usize, p: usize, k0: usize, kc: usize, dst: *mut f32) {
        let src = self.b.t();
        let c0 = p * w;
        let live = w.min(self.n - c0);
        // SAFETY: the caller's contract.
        let out = unsafe { std::slice::from_raw_parts_mut(dst, kc * w) };
        for r in 0..w {
            if r < live {
                let base = (c0 + r) * src.rs + k0 * src.cs;
                for t in 0..kc {
                    out[t * w + r] = src.data[base + t * src.cs];
                }
            } else {
                for t in 0..kc {
                    out[t * w + r] = 0.0;
                }
            }
        }
    }

    /// Packs the full 32-wide panels `cols` of a B with contiguous rows, steps `k0..k0 + kc`, at
    /// `dst` (panel after panel, `kc` steps of 32 values each), reading B row by row.
    ///
    /// # Safety
    /// `dst` must be valid for writes of `cols.len() * kc * 32` values; every panel in `cols`
    /// full (`cols.end * 32 <= n`); `self.b.cs == 1`.
    unsafe fn pack_rows_32(&self, cols: std::ops::Range<usize>, k0: usize, kc: usize, dst: *mut f32) {
        let b = self.b;
        let panels = cols.len();
        #[cfg(target_arch = "x86_64")]
        if self.isa == Isa::Avx512 {
            // Whole 64-byte vectors (the AVX-512 kernel's ISA, checked by `sgemm`).
            let src = b.data[k0 * b.rs + cols.start * 32..].as_ptr();
            let rows = (kc, b.rs, panels);
            // SAFETY: the caller's contract; every row read lies inside B (its extent checked
            // by `sgemm`, the panels full).
            return unsafe { x86::pack_rows_32_avx512(src, rows, dst) };
        }
        // SAFETY: the caller's contract.
        let out = unsafe { std::slice::from_raw_parts_mut(dst, panels * kc * 32) };
        for t in 0..kc {
            let row = &b.data[(k0 + t) * b.rs + cols.start * 32..][..panels * 32];
            for (p, src) in row.chunks_exact(32).enumerate() {
                let o = &mut out[(p * kc + t) * 32..][..32];
                o.copy_from_slice(src);
            }
        }
    }

    /// Copies rows `r0..r0 + live` of A, steps `k0..k0 + kc`, to `dst`: `kc` steps of `w`
    /// values (the first `live` of each step set).
    ///
    /// # Safety
    /// `dst` must be valid for writes of `kc * w` values; `live <= w`.
    unsafe fn pack_a_panel(&self, r0: usize, live: usize, w: usize, k0: usize, kc: usize, dst: *mut f32) {
        let src = self.a;
        let full12 = src.rs == 1 && live == w && w == 12;
        #[cfg(target_arch = "x86_64")]
        if full12 && self.isa == Isa::Avx512 {
            let from = src.data[r0 + k0 * src.cs..].as_ptr();
            // SAFETY: the caller's contract; every step's 12 values lie inside A (its extent
            // checked by `sgemm`); the CPU has AVX-512F (`sgemm` checked the kernel's ISA).
            return unsafe { x86::pack_a_12_avx512(from, src.cs, kc, dst) };
        }
        // SAFETY: the caller's contract.
        let out = unsafe { std::slice::from_raw_parts_mut(dst, kc * w) };
        if full12 {
            // The AVX-512 kernel's full panels: a copy of a known length (a few vector moves,
            // not a call to `memcpy` per step).
            for (t, o) in out.chunks_exact_mut(12).enumerate() {
                let s = r0 + (k0 + t) * src.cs;
                let o: &mut [f32; 12] = o.try_into().expect("a step of 12 values");
                *o = src.data[s..s + 12].try_into().expect("a step of 12 values");
            }
        } else if src.rs == 1 {
            // Each step's rows are contiguous in the source.
            for (t, o) in out.chunks_exact_mut(w).enumerate() {
                let s = r0 + (k0 + t) * src.cs;
                for (o, x) in o[..live].iter_mut().zip(&src.data[s..s + live]) {
                    *o = *x;
                }
            }
        } else {
            for (t, o) in out.chunks_exact_mut(w).enumerate() {
                for (r, o) in o[..live].iter_mut().enumerate() {
                    *o = src.data[(r0 + r) * src.rs + (k0 + t) * src.cs];
                }
            }
        }
    }

    /// Computes the tiles in row panels `rows` x column panels `cols`, block by block of `k`:
    /// packs the block's panels of B into `buf`, then sweeps the row panels, each against all
    /// of the packed panels (its rows of A stay in L1 while the panels stream from L2).
    ///
    /// # Safety
    /// `c` must be the output as checked by `sgemm`, its tiles in `rows` x `cols` written by no
    /// other thread.
    unsafe fn compute(
        &self,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        buf: &mut Vec<f32>,
        c: *mut f32,
    ) {
        if rows.is_empty() || cols.is_empty() {
            return;
        }
        let (mr, nr) = self.isa.tile();
        let (kb, kcb) = self.k_blocks();
        let len = cols.len() * nr * kcb;
        let total = len + if self.packs_a() { mr * kcb } else { 0 };
        if buf.len() < total {
            buf.resize(total, 0.0);
        }
        let pb = buf.as_mut_ptr();
        // SAFETY: buf has `total` values.
        let pa = unsafe { pb.add(len) };
        for q in 0..kb {
            let (k0, kc) = self.k_block(q);
            // SAFETY: the panels of this block lie in buf[..len].
            unsafe { self.pack_b(cols.clone(), k0, kc, pb) };
            for i in rows.clone() {
                // SAFETY: the packed panels of `cols` start at `pb`; the A panel's room is
                // buf[len..total]; the caller's contract for C.
                unsafe { self.row_panel(i, cols.clone(), q, pb, pa, c) };
            }
        }
    }

    /// A's rows are read in place when each row's steps are contiguous (a few streams that the
    /// prefetchers follow); otherwise each row panel is first copied, step by step, into a panel
    /// of its own (`mr` values a step) that stays in L1 across the column panels.
    fn packs_a(&self) -> bool {
        self.a.cs != 1
    }

    /// Packs the column panels `cols` of B for steps `k0..k0 + kc` at `dst`, panel after panel.
    ///
    /// # Safety
    /// `dst` must be valid for writes of `cols.len() * nr * kc` values.
    unsafe fn pack_b(&self, cols: std::ops::Range<usize>, k0: usize, kc: usize, dst: *mut f32) {
        let nr = self.isa.tile().1;
        if nr == 32 && self.b.cs == 1 && cols.end * 32 <= self.n {
            // B's rows are contiguous and the panels full: copy row by row (one stream through
            // each row of B, which the prefetchers follow, instead of a 2-line stride through
            // every row per panel).
            // SAFETY: forwarded.
            unsafe { self.pack_rows_32(cols, k0, kc, dst) };
        } else {
            for (jj, j) in cols.enumerate() {
                // SAFETY: panel jj lies in the caller's room.
                unsafe { self.pack_panel(nr, j, k0, kc, dst.add(jj * nr * kc)) };
            }
        }
    }

    /// The tiles of row panel `i` against the packed column panels `cols` (panel `cols.start`
    /// at `pb`) for block `q` of `k`: stored for the first block, added for the others, the
    /// epilogue applied after the last. `pa` is room for the row panel's copy of A (`mr * kc`
    /// values) when A's rows are copied.
    ///
    /// # Safety
    /// `pb` holds the block's packed panels of `cols`; `pa` is valid for `mr * kc` writes when
    /// [`Job::packs_a`]; `c` is the output as checked by `sgemm`, these tiles written by no other
    /// thread meanwhile.
    unsafe fn row_panel(
        &self,
        i: usize,
        cols: std::ops::Range<usize>,
        q: usize,
        pb: *const f32,
        pa: *mut f32,
        c: *mut f32,
    ) {
        let (mr, nr) = self.isa.tile();
        let kb = self.k_blocks().0;
        let (k0, kc) = self.k_block(q);
        let live = mr.min(self.m - i * mr);
        let (a, rsa, csa) = if self.packs_a() {
            // SAFETY: the caller's contract.
            unsafe { self.pack_a_panel(i * mr, live, mr, k0, kc, pa) };
            (pa.cast_const(), 1, mr)
        } else {
            // SAFETY: (i * mr, k0) is an element of A (`sgemm` checked A's extent).
            (unsafe { self.a.data.as_ptr().add(i * mr * self.a.rs + k0 * self.a.cs) }, self.a.rs, self.a.cs)
        };
        for (jj, j) in cols.enumerate() {
            // SAFETY: the kernels read only the live rows and steps of `a`; the packed panel is
            // at `pb`; tile (i, j)'s live corner is inside C.
            let tile = unsafe {
                Tile {
                    kc,
                    a,
                    rsa,
                    csa,
                    b: pb.add(jj * nr * kc),
                    c: c.add(i * mr * self.rsc + j * nr * self.csc),
                    rsc: self.rsc,
                    csc: self.csc,
                    mr: live,
                    nr: nr.min(self.n - j * nr),
                    accumulate: q > 0,
                    init: self.order.chain_start(),
                }
            };
            // SAFETY: the CPU has the kernel's ISA (`sgemm` checked it); `tile` is valid.
            unsafe {
                match self.isa {
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => x86::kernel_avx512(&tile),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => x86::kernel_avx2(&tile),
                    _ => kernel_scalar(&tile),
                }
            }
            if q + 1 == kb && !self.ep.is_none() {
                // SAFETY: as above: the tile's live corner is this thread's part of C.
                unsafe { self.finish_tile(&tile, i * mr, j * nr) };
            }
        }
    }
}

impl Job<'_> {
    /// Runs the epilogue over a tile whose sums are complete (its corner at row `r0`, column
    /// `c0` of this job's C).
    ///
    /// # Safety
    /// `t.c` must be valid for reads and writes of the live corner.
    #[inline]
    unsafe fn finish_tile(&self, t: &Tile, r0: usize, c0: usize) {
        #[cfg(target_arch = "x86_64")]
        if self.isa == Isa::Avx512 && t.csc == 1 && !self.ep_by_row {
            // SAFETY: the CPU has AVX-512F (`sgemm` checked it); the rest is forwarded.
            return unsafe { x86::finish_tile_avx512(t, &self.ep, c0) };
        }
        for r in 0..t.mr {
            for j in 0..t.nr {
                let at = if self.ep_by_row { r0 + r } else { c0 + j };
                // SAFETY: (r, j) is in the live corner.
                unsafe {
                    let p = t.c.add(r * t.rsc + j * t.csc);
                    *p = epilogue(&self.ep, *p, at);
                }
            }
        }
    }
}

/// Writes (or adds) the `MR x NR` accumulators `acc` (row-major) to the live corner of `t`.
///
/// # Safety
/// `t.c` must be valid for the live corner.
#[inline]
unsafe fn store_tile<const MR: usize, const NR: usize>(t: &Tile, acc: &[[f32; NR]; MR]) {
    for (r, row) in acc.iter().enumerate().take(t.mr) {
        for (j, &v) in row.iter().enumerate().take(t.nr) {
            // SAFETY: (r, j) is in the live corner.
            unsafe {
                let p = t.c.add(r * t.rsc + j * t.csc);
                *p = if t.accumulate { *p + v } else { v };
            }
        }
    }
}

/// Calls `$k::<R>($t)` for `R` = `$t.mr`, one of `1..=$max` (the kernels read only live rows).
macro_rules! by_rows {
    ($k:ident, $t:expr, $($r:literal)+) => {
        match $t.mr {
            $($r => $k::<$r>($t),)+
            _ => unreachable!("a tile has 1 to MR rows"),
        }
    };
}

/// The portable 4 x 4 kernel.
///
/// # Safety
/// `t` must be a valid tile of a 4-wide packing with 1 to 4 rows.
unsafe fn kernel_scalar(t: &Tile) {
    // SAFETY: forwarded.
    unsafe { by_rows!(kernel_scalar_rows, t, 1 2 3 4) }
}

/// [`kernel_scalar`] for `R` live rows.
///
/// # Safety
/// As [`kernel_scalar`], with `t.mr == R`.
unsafe fn kernel_scalar_rows<const R: usize>(t: &Tile) {
    let mut acc = [[t.init; 4]; R];
    for s in 0..t.kc {
        // SAFETY: step s of the packed panel has four values; the R rows of A are live.
        let b = unsafe { &*t.b.add(4 * s).cast::<[f32; 4]>() };
        for (r, row) in acc.iter_mut().enumerate() {
            // SAFETY: as above.
            let x = unsafe { *t.a.add(r * t.rsa + s * t.csa) };
            for (v, &y) in row.iter_mut().zip(b) {
                *v = x.mul_add(y, *v);
            }
        }
    }
    // SAFETY: forwarded.
    unsafe { store_tile(t, &acc) };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Tile, store_tile};
    use std::arch::x86_64::*;

    /// The 12 x 32 AVX-512 kernel: per step two vectors of B, each row's A value broadcast.
    /// Full-height tiles run [`kernel_avx512_12`]; the last row panel of a product whose rows
    /// are not a multiple of 12 runs the generic kernel on its live rows only.
    ///
    /// # Safety
    /// AVX-512F; `t` a valid tile of a 32-wide packing with 1 to 12 rows.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_avx512(t: &Tile) {
        // SAFETY: forwarded; the rows are checked by `by_rows`.
        unsafe {
            if t.mr == 12 {
                if t.nr == 32 && t.csc == 1 {
                    for r in 0..12 {
                        let p = t.c.add(r * t.rsc).cast::<i8>();
                        _mm_prefetch::<_MM_HINT_T0>(p);
                        _mm_prefetch::<_MM_HINT_T0>(p.add(64));
                    }
                    kernel_avx512_12(t, t.c, t.rsc, t.accumulate);
                } else {
                    let mut out = [[0.0f32; 32]; 12];
                    kernel_avx512_12(t, out.as_mut_ptr().cast(), 32, false);
                    if t.csc == 1 {
                        store_rows_masked(t, &out);
                    } else {
                        store_tile(t, &out);
                    }
                }
            } else {
                by_rows!(kernel_avx512_rows, t, 1 2 3 4 5 6 7 8 9 10 11)
            }
        }
    }

    /// [`super::store_tile`] for a tile with contiguous rows, 16 lanes at a time (masked to
    /// the live columns).
    ///
    /// # Safety
    /// AVX-512F; `t.c` valid for reads and writes of the live corner, `t.csc == 1`.
    #[target_feature(enable = "avx512f")]
    unsafe fn store_rows_masked(t: &Tile, out: &[[f32; 32]; 12]) {
        let mask = |w: usize| -> __mmask16 { if w >= 16 { 0xffff } else { ((1u32 << w) - 1) as u16 } };
        for h in 0..t.nr.div_ceil(16) {
            let m = mask(t.nr - 16 * h);
            for (r, row) in out.iter().enumerate().take(t.mr) {
                // SAFETY: the caller's contract; masked-off lanes are not accessed.
                unsafe {
                    let p = t.c.add(r * t.rsc + 16 * h);
                    let mut v = _mm512_loadu_ps(row.as_ptr().add(16 * h));
                    if t.accumulate {
                        v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), v);
                    }
                    _mm512_mask_storeu_ps(p, m, v);
                }
            }
        }
    }

    /// Rows of B requested ahead of the one [`pack_rows_32_avx512`] copies.
    const PREFETCH_ROWS: usize = 4;

    /// Packs `panels` full 32-wide panels of `kc` rows of B (row `t` at `src + t * rs`, its
    /// panels contiguous in it) at `dst`, panel after panel: two 64-byte moves per step.
    ///
    /// # Safety
    /// AVX-512F; `src` valid for reads of `panels * 32` values at each of the `kc` rows; `dst`
    /// valid for writes of `panels * kc * 32` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pack_rows_32_avx512(src: *const f32, (kc, rs, panels): (usize, usize, usize), dst: *mut f32) {
        for t in 0..kc {
            // SAFETY: the caller's contract.
            unsafe {
                let row = src.add(t * rs);
                // The row PREFETCH_ROWS ahead (B was just written, often by the other core):
                // its lines requested while this one is copied (a prefetch never faults).
                let ahead = row.wrapping_add(PREFETCH_ROWS * rs).cast::<i8>();
                let mut o = dst.add(t * 32);
                for p in 0..panels {
                    _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(p * 128));
                    _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(p * 128 + 64));
                    let (x0, x1) = (_mm512_loadu_ps(row.add(p * 32)), _mm512_loadu_ps(row.add(p * 32 + 16)));
                    _mm512_storeu_ps(o, x0);
                    _mm512_storeu_ps(o.add(16), x1);
                    o = o.add(kc * 32);
                }
            }
        }
    }

    /// Packs 32 columns of B whose `kc` values are each contiguous (column `r` at `src + r * rs`)
    /// at `dst`, step by step (32 values a step): 16 x 16 blocks transposed in registers.
    ///
    /// # Safety
    /// AVX-512F; `src` valid for reads of `kc` values at each of the 32 columns; `dst` for
    /// `32 * kc` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pack_columns_32_avx512(src: *const f32, rs: usize, kc: usize, dst: *mut f32) {
        let full = kc / 16 * 16;
        for h in 0..2 {
            for t0 in (0..full).step_by(16) {
                // SAFETY: the caller's contract (steps t0..t0 + 16 of columns 16h..16h + 16).
                unsafe {
                    let mut v: [__m512; 16] = std::array::from_fn(|r| _mm512_loadu_ps(src.add((16 * h + r) * rs + t0)));
                    transpose_16x16(&mut v);
                    for (t, v) in v.iter().enumerate() {
                        _mm512_storeu_ps(dst.add((t0 + t) * 32 + 16 * h), *v);
                    }
                }
            }
        }
        for t in full..kc {
            for r in 0..32 {
                // SAFETY: as above.
                unsafe { *dst.add(t * 32 + r) = *src.add(r * rs + t) };
            }
        }
    }

    /// Transposes the 16 x 16 matrix whose rows are `v` in place.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose_16x16(v: &mut [__m512; 16]) {
        // Rows interleaved in pairs by 32-bit lanes, then in fours by 64-bit lanes: `b[4i + q]`
        // holds, in its 128-bit lane `l`, rows 4i..4i + 4 of column 4l + q. Two exchanges of
        // 128-bit lanes then gather column c = 4l + q's four groups into row c.
        let mut a = [_mm512_setzero_ps(); 16];
        for i in 0..8 {
            a[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
            a[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
        }
        let mut b = [_mm512_setzero_ps(); 16];
        for i in 0..4 {
            let pd = |j: usize| _mm512_castps_pd(a[4 * i + j]);
            b[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(0), pd(2)));
            b[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(0), pd(2)));
            b[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(1), pd(3)));
            b[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(1), pd(3)));
        }
        for q in 0..4 {
            let (x, y, z, w) = (b[q], b[4 + q], b[8 + q], b[12 + q]);
            let (c0, c1) = (_mm512_shuffle_f32x4::<0x88>(x, y), _mm512_shuffle_f32x4::<0xdd>(x, y));
            let (d0, d1) = (_mm512_shuffle_f32x4::<0x88>(z, w), _mm512_shuffle_f32x4::<0xdd>(z, w));
            v[q] = _mm512_shuffle_f32x4::<0x88>(c0, d0);
            v[4 + q] = _mm512_shuffle_f32x4::<0x88>(c1, d1);
            v[8 + q] = _mm512_shuffle_f32x4::<0xdd>(c0, d0);
            v[12 + q] = _mm512_shuffle_f32x4::<0xdd>(c1, d1);
        }
    }

    /// Copies `kc` steps of 12 contiguous values (step `t` at `src + t * cs`) to `dst`, 12
    /// values a step, with one masked 64-byte move each.
    ///
    /// # Safety
    /// AVX-512F; `src` valid for reads of 12 values at each step; `dst` for `12 * kc` values.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn pack_a_12_avx512(src: *const f32, cs: usize, kc: usize, dst: *mut f32) {
        const M: __mmask16 = 0x0fff;
        for t in 0..kc {
            // SAFETY: the caller's contract; masked-off lanes are not accessed.
            unsafe { _mm512_mask_storeu_ps(dst.add(12 * t), M, _mm512_maskz_loadu_ps(M, src.add(t * cs))) };
        }
    }

    /// The 12-row kernel's steps in assembly (the order of loads, broadcasts and FMAs fixed:
    /// 24 accumulators in `zmm0..zmm23`, B in `zmm24..zmm25`, broadcasts rotating through
    /// `zmm26..zmm31`, B's panel prefetched 8 steps ahead), then the 12 x 32 sums stored to (or
    /// added to) `c` with row stride `rsc`. Each element is the same chain of FMAs as in
    /// [`kernel_avx512_rows`].
    ///
    /// # Safety
    /// AVX-512F; `t` a valid 12-row tile of a 32-wide packing; `c` valid for reads and writes
    /// of 12 rows of 32 values `rsc` apart.
    #[target_feature(enable = "avx512f")]
    unsafe fn kernel_avx512_12(t: &Tile, c: *mut f32, rsc: usize, accumulate: bool) {
        let rs = t.rsa * 4;
        // SAFETY: the caller's contract: rows 0..12 and steps 0..kc of A, the packed panel
        // (the prefetches may point past it, which is harmless) and the 12 x 32 corner of `c`.
        unsafe {
            std::arch::asm!(
                "vpbroadcastd zmm0, {init:e}",
                "vmovaps zmm1, zmm0",
                "vmovaps zmm2, zmm0",
                "vmovaps zmm3, zmm0",
                "vmovaps zmm4, zmm0",
                "vmovaps zmm5, zmm0",
                "vmovaps zmm6, zmm0",
                "vmovaps zmm7, zmm0",
                "vmovaps zmm8, zmm0",
                "vmovaps zmm9, zmm0",
                "vmovaps zmm10, zmm0",
                "vmovaps zmm11, zmm0",
                "vmovaps zmm12, zmm0",
                "vmovaps zmm13, zmm0",
                "vmovaps zmm14, zmm0",
                "vmovaps zmm15, zmm0",
                "vmovaps zmm16, zmm0",
                "vmovaps zmm17, zmm0",
                "vmovaps zmm18, zmm0",
                "vmovaps zmm19, zmm0",
                "vmovaps zmm20, zmm0",
                "vmovaps zmm21, zmm0",
                "vmovaps zmm22, zmm0",
                "vmovaps zmm23, zmm0",
                "test {kc}, {kc}",
                "jz 3f",
                "2:",
                "vmovups zmm24, [{b}]",
                "vmovups zmm25, [{b} + 64]",
                "prefetcht0 [{b} + 1024]",
                "prefetcht0 [{b} + 1088]",
                "vbroadcastss zmm26, dword ptr [{p0}]",
                "vfmadd231ps zmm0, zmm24, zmm26",
                "vfmadd231ps zmm1, zmm25, zmm26",
                "vbroadcastss zmm27, dword ptr [{p0} + {rs}]",
                "vfmadd231ps zmm2, zmm24, zmm27",
                "vfmadd231ps zmm3, zmm25, zmm27",
                "vbroadcastss zmm28, dword ptr [{p0} + {rs}*2]",
                "vfmadd231ps zmm4, zmm24, zmm28",
                "vfmadd231ps zmm5, zmm25, zmm28",
                "vbroadcastss zmm29, dword ptr [{p0} + {rs3}]",
                "vfmadd231ps zmm6, zmm24, zmm29",
                "vfmadd231ps zmm7, zmm25, zmm29",
                "vbroadcastss zmm30, dword ptr [{p0} + {rs}*4]",
                "vfmadd231ps zmm8, zmm24, zmm30",
                "vfmadd231ps zmm9, zmm25, zmm30",
                "vbroadcastss zmm31, dword ptr [{p0} + {rs5}]",
                "vfmadd231ps zmm10, zmm24, zmm31",
                "vfmadd231ps zmm11, zmm25, zmm31",
                "vbroadcastss zmm26, dword ptr [{p1}]",
                "vfmadd231ps zmm12, zmm24, zmm26",
                "vfmadd231ps zmm13, zmm25, zmm26",
                "vbroadcastss zmm27, dword ptr [{p1} + {rs}]",
                "vfmadd231ps zmm14, zmm24, zmm27",
                "vfmadd231ps zmm15, zmm25, zmm27",
                "vbroadcastss zmm28, dword ptr [{p1} + {rs}*2]",
                "vfmadd231ps zmm16, zmm24, zmm28",
                "vfmadd231ps zmm17, zmm25, zmm28",
                "vbroadcastss zmm29, dword ptr [{p1} + {rs3}]",
                "vfmadd231ps zmm18, zmm24, zmm29",
                "vfmadd231ps zmm19, zmm25, zmm29",
                "vbroadcastss zmm30, dword ptr [{p1} + {rs}*4]",
                "vfmadd231ps zmm20, zmm24, zmm30",
                "vfmadd231ps zmm21, zmm25, zmm30",
                "vbroadcastss zmm31, dword ptr [{p1} + {rs5}]",
                "vfmadd231ps zmm22, zmm24, zmm31",
                "vfmadd231ps zmm23, zmm25, zmm31",
                "add {p0}, {cs}",
                "add {p1}, {cs}",
                "add {b}, 128",
                "dec {kc}",
                "jnz 2b",
                "3:",
                "test {acc:e}, {acc:e}",
                "jz 4f",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm0, zmm24, zmm0",
                "vaddps zmm1, zmm25, zmm1",
                "vmovups [{c}], zmm0",
                "vmovups [{c} + 64], zmm1",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm2, zmm24, zmm2",
                "vaddps zmm3, zmm25, zmm3",
                "vmovups [{c}], zmm2",
                "vmovups [{c} + 64], zmm3",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm4, zmm24, zmm4",
                "vaddps zmm5, zmm25, zmm5",
                "vmovups [{c}], zmm4",
                "vmovups [{c} + 64], zmm5",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm6, zmm24, zmm6",
                "vaddps zmm7, zmm25, zmm7",
                "vmovups [{c}], zmm6",
                "vmovups [{c} + 64], zmm7",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm8, zmm24, zmm8",
                "vaddps zmm9, zmm25, zmm9",
                "vmovups [{c}], zmm8",
                "vmovups [{c} + 64], zmm9",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm10, zmm24, zmm10",
                "vaddps zmm11, zmm25, zmm11",
                "vmovups [{c}], zmm10",
                "vmovups [{c} + 64], zmm11",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm12, zmm24, zmm12",
                "vaddps zmm13, zmm25, zmm13",
                "vmovups [{c}], zmm12",
                "vmovups [{c} + 64], zmm13",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm14, zmm24, zmm14",
                "vaddps zmm15, zmm25, zmm15",
                "vmovups [{c}], zmm14",
                "vmovups [{c} + 64], zmm15",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm16, zmm24, zmm16",
                "vaddps zmm17, zmm25, zmm17",
                "vmovups [{c}], zmm16",
                "vmovups [{c} + 64], zmm17",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm18, zmm24, zmm18",
                "vaddps zmm19, zmm25, zmm19",
                "vmovups [{c}], zmm18",
                "vmovups [{c} + 64], zmm19",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm20, zmm24, zmm20",
                "vaddps zmm21, zmm25, zmm21",
                "vmovups [{c}], zmm20",
                "vmovups [{c} + 64], zmm21",
                "add {c}, {rsc}",
                "vmovups zmm24, [{c}]",
                "vmovups zmm25, [{c} + 64]",
                "vaddps zmm22, zmm24, zmm22",
                "vaddps zmm23, zmm25, zmm23",
                "vmovups [{c}], zmm22",
                "vmovups [{c} + 64], zmm23",
                "add {c}, {rsc}",
                "jmp 5f",
                "4:",
                "vmovups [{c}], zmm0",
                "vmovups [{c} + 64], zmm1",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm2",
                "vmovups [{c} + 64], zmm3",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm4",
                "vmovups [{c} + 64], zmm5",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm6",
                "vmovups [{c} + 64], zmm7",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm8",
                "vmovups [{c} + 64], zmm9",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm10",
                "vmovups [{c} + 64], zmm11",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm12",
                "vmovups [{c} + 64], zmm13",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm14",
                "vmovups [{c} + 64], zmm15",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm16",
                "vmovups [{c} + 64], zmm17",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm18",
                "vmovups [{c} + 64], zmm19",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm20",
                "vmovups [{c} + 64], zmm21",
                "add {c}, {rsc}",
                "vmovups [{c}], zmm22",
                "vmovups [{c} + 64], zmm23",
                "add {c}, {rsc}",
                "5:",
                kc = inout(reg) t.kc => _,
                p0 = inout(reg) t.a => _,
                p1 = inout(reg) t.a.wrapping_add(6 * t.rsa) => _,
                rs = in(reg) rs,
                rs3 = in(reg) 3 * rs,
                rs5 = in(reg) 5 * rs,
                cs = in(reg) t.csa * 4,
                b = inout(reg) t.b => _,
                c = inout(reg) c => _,
                rsc = in(reg) rsc * 4,
                acc = in(reg) u32::from(accumulate),
                init = in(reg) t.init.to_bits(),
                out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _, out("zmm4") _, out("zmm5") _,
                out("zmm6") _, out("zmm7") _, out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _, out("zmm16") _, out("zmm17") _,
                out("zmm18") _, out("zmm19") _, out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _, out("zmm28") _, out("zmm29") _,
                out("zmm30") _, out("zmm31") _,
                options(nostack),
            );
        }
    }

    /// The AVX-512 kernel for `R` rows (intrinsics).
    ///
    /// # Safety
    /// As [`kernel_avx512`], with `t.mr == R`.
    #[target_feature(enable = "avx512f")]
    unsafe fn kernel_avx512_rows<const R: usize>(t: &Tile) {
        let mut acc = [[_mm512_set1_ps(t.init); 2]; R];
        let (mut a, mut b) = (t.a, t.b);
        for _ in 0..t.kc {
            // SAFETY: each step of the packed panel has 32 values; the R rows of A are live.
            unsafe {
                let b0 = _mm512_loadu_ps(b);
                let b1 = _mm512_loadu_ps(b.add(16));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = _mm512_set1_ps(*a.add(r * t.rsa));
                    acc[0] = _mm512_fmadd_ps(x, b0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(x, b1, acc[1]);
                }
                a = a.wrapping_add(t.csa);
                b = b.add(32);
            }
        }
        if t.csc == 1 {
            let mask = |w: usize| -> __mmask16 { if w >= 16 { 0xffff } else { ((1u32 << w) - 1) as u16 } };
            let (m0, m1) = (mask(t.nr), mask(t.nr.saturating_sub(16)));
            for (r, acc) in acc.iter().enumerate() {
                // SAFETY: row r of the tile's live corner is t.nr values at t.c + r * rsc;
                // masked-off lanes are not accessed.
                unsafe {
                    let p = t.c.add(r * t.rsc);
                    let (mut v0, mut v1) = (acc[0], acc[1]);
                    if t.accumulate {
                        v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, p), v0);
                    }
                    _mm512_mask_storeu_ps(p, m0, v0);
                    if t.nr > 16 {
                        if t.accumulate {
                            v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, p.add(16)), v1);
                        }
                        _mm512_mask_storeu_ps(p.add(16), m1, v1);
                    }
                }
            }
        } else {
            let mut out = [[0.0f32; 32]; R];
            for (o, acc) in out.iter_mut().zip(&acc) {
                // SAFETY: `o` has room for 32 values.
                unsafe {
                    _mm512_storeu_ps(o.as_mut_ptr(), acc[0]);
                    _mm512_storeu_ps(o.as_mut_ptr().add(16), acc[1]);
                }
            }
            // SAFETY: forwarded.
            unsafe { store_tile(t, &out) };
        }
    }

    /// [`super::Job::finish_tile`] for a tile with contiguous rows and a bias by column (`c0`
    /// the tile's first column): the same rounding as [`super::epilogue`], 16 lanes at a time.
    ///
    /// # Safety
    /// AVX-512F; `t.c` valid for reads and writes of the live corner, `t.csc == 1`, the bias
    /// (if any) at least `c0 + t.nr` long.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn finish_tile_avx512(t: &Tile, ep: &super::Epilogue<'_>, c0: usize) {
        let mask = |w: usize| -> __mmask16 { if w >= 16 { 0xffff } else { ((1u32 << w) - 1) as u16 } };
        let zero = _mm512_setzero_ps();
        for h in 0..t.nr.div_ceil(16) {
            let m = mask(t.nr - 16 * h);
            // SAFETY: the caller's contract; masked-off lanes are not accessed.
            let bias = ep.bias.map(|b| unsafe { _mm512_maskz_loadu_ps(m, b.as_ptr().add(c0 + 16 * h)) });
            for r in 0..t.mr {
                // SAFETY: as above.
                unsafe {
                    let p = t.c.add(r * t.rsc + 16 * h);
                    let mut v = _mm512_maskz_loadu_ps(m, p);
                    if let Some(b) = bias {
                        v = _mm512_add_ps(v, b);
                    }
                    if ep.relu {
                        // `x < 0 ? 0 : x`: NaN and -0 pass through.
                        v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, zero), zero);
                    }
                    _mm512_mask_storeu_ps(p, m, v);
                }
            }
        }
    }

    /// The lane mask selecting the first `w` (0..=8) lanes.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn lane_mask(w: usize) -> __m256i {
        let idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(w.min(8) as i32), idx)
    }

    /// The 6 x 16 AVX2+FMA kernel.
    ///
    /// # Safety
    /// AVX2 and FMA; `t` a valid tile of a 16-wide packing with 1 to 6 rows.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel_avx2(t: &Tile) {
        // SAFETY: forwarded.
        unsafe { by_rows!(kernel_avx2_rows, t, 1 2 3 4 5 6) }
    }

    /// [`kernel_avx2`] for `R` rows.
    ///
    /// # Safety
    /// As [`kernel_avx2`], with `t.mr == R`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn kernel_avx2_rows<const R: usize>(t: &Tile) {
        let mut acc = [[_mm256_set1_ps(t.init); 2]; R];
        let (mut a, mut b) = (t.a, t.b);
        for _ in 0..t.kc {
            // SAFETY: each step of the packed panel has 16 values; the R rows of A are live.
            unsafe {
                let b0 = _mm256_loadu_ps(b);
                let b1 = _mm256_loadu_ps(b.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = _mm256_set1_ps(*a.add(r * t.rsa));
                    acc[0] = _mm256_fmadd_ps(x, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(x, b1, acc[1]);
                }
                a = a.wrapping_add(t.csa);
                b = b.add(16);
            }
        }
        if t.csc == 1 {
            let (m0, m1) = (lane_mask(t.nr), lane_mask(t.nr.saturating_sub(8)));
            for (r, acc) in acc.iter().enumerate() {
                // SAFETY: row r of the live corner is t.nr values at t.c + r * rsc; masked-off
                // lanes are not accessed.
                unsafe {
                    let p = t.c.add(r * t.rsc);
                    let (mut v0, mut v1) = (acc[0], acc[1]);
                    if t.accumulate {
                        v0 = _mm256_add_ps(_mm256_maskload_ps(p, m0), v0);
                    }
                    _mm256_maskstore_ps(p, m0, v0);
                    if t.nr > 8 {
                        if t.accumulate {
                            v1 = _mm256_add_ps(_mm256_maskload_ps(p.add(8), m1), v1);
                        }
                        _mm256_maskstore_ps(p.add(8), m1, v1);
                    }
                }
            }
        } else {
            let mut out = [[0.0f32; 16]; R];
            for (o, acc) in out.iter_mut().zip(&acc) {
                // SAFETY: `o` has room for 16 values.
                unsafe {
                    _mm256_storeu_ps(o.as_mut_ptr(), acc[0]);
                    _mm256_storeu_ps(o.as_mut_ptr().add(8), acc[1]);
                }
            }
            // SAFETY: forwarded.
            unsafe { store_tile(t, &out) };
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "x86_64")]
    use super::x86_peak;
    use super::*;

    /// A deterministic pseudo-random matrix.
    fn fill(len: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// Every kernel the CPU runs, each against an `f64` triple loop, and all of them bit for bit
    /// against each other, on odd shapes, transposes and thread counts.
    #[test]
    fn kernels_match_a_triple_loop_and_each_other() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let isas: Vec<Isa> = [Isa::Scalar, Isa::Avx2, Isa::Avx512].into_iter().filter(|i| i.available()).collect();
        // Full and partial tiles of every kernel (rows not a multiple of 12, 6 or 4; columns not
        // a multiple of 32, 16 or 4), one and several blocks of k, C computed transposed.
        let sizes = [
            (1, 1, 1),
            (7, 17, 1),
            (1, 513, 7),
            (17, 7, 255),
            (255, 17, 33),
            (33, 513, 17),
            (64, 600, 3),
            (40, 600, 70),
            (24, 257, 64),
            (3, 300, 40),
        ];
        for &(m, k, n) in &sizes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (av, bv) = (fill(m * k, 1), fill(k * n, 2));
                let a = Strided::op(&av, m, k, ta);
                let b = Strided::op(&bv, k, n, tb);
                let mut first: Option<Vec<f32>> = None;
                for &isa in &isas {
                    for p in [None, Some(&pool)] {
                        let mut c = vec![f32::NAN; m * n];
                        sgemm(isa, (m, k, n), a, b, &mut c, (n, 1), p).unwrap();
                        for i in 0..m {
                            for j in 0..n {
                                let want: f64 = (0..k)
                                    .map(|t| a.data[i * a.rs + t * a.cs] as f64 * b.data[t * b.rs + j * b.cs] as f64)
                                    .sum();
                                let got = c[i * n + j] as f64;
                                assert!((got - want).abs() <= 1e-5 * k as f64, "{isa:?} {m}x{k}x{n} ({i},{j})");
                            }
                        }
                        match &first {
                            None => first = Some(c),
                            Some(f) => assert!(f.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()), "{isa:?}"),
                        }
                    }
                }
            }
        }
    }

    /// This core's FMA peak in GFLOP/s for `isa` (1 for the portable kernel), measured: twelve
    /// independent chains of 512-bit (or 256-bit) FMAs, best of ten runs of ~5 ms.
    fn fma_peak_gflops(isa: Isa) -> f64 {
        #[cfg(target_arch = "x86_64")]
        {
            let iters = 500_000u64;
            let mut best = f64::MAX;
            for _ in 0..10 {
                let t = std::time::Instant::now();
                // SAFETY: `isa.available()` was checked by the caller.
                let sum = unsafe {
                    match isa {
                        Isa::Avx512 => x86_peak::fma_chains_512(iters),
                        Isa::Avx2 => x86_peak::fma_chains_256(iters),
                        Isa::Scalar => return 1.0,
                    }
                };
                std::hint::black_box(sum);
                best = best.min(t.elapsed().as_secs_f64());
            }
            let lanes = if isa == Isa::Avx512 { 16.0 } else { 8.0 };
            12.0 * 2.0 * lanes * iters as f64 / best / 1e9
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = isa;
            1.0
        }
    }

    /// GFLOP/s of each kernel on the benchmark's big shapes, on one thread and on all cores, as a
    /// share of the FMA peak measured on this machine (and, for AVX-512, the 12 x 32 kernel alone
    /// on operands that stay in L1, which shows what is lost outside it):
    /// `cargo test --release --lib sgemm_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn sgemm_speed() {
        let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
        #[cfg(target_arch = "x86_64")]
        if Isa::Avx512.available() {
            // The first few hundred milliseconds of FMA work run slower here (the core's clock
            // settles): warm up before measuring anything.
            // SAFETY: the CPU has AVX-512F.
            std::hint::black_box(unsafe { x86_peak::fma_chains_512(100_000_000) });
            let peak = fma_peak_gflops(Isa::Avx512);
            let kc = 196;
            let (a, b) = (fill(12 * kc, 3), fill(32 * kc, 4));
            let mut c = vec![0.0f32; 12 * 32];
            let tile = Tile {
                kc,
                a: a.as_ptr(),
                rsa: 1,
                csa: 12,
                b: b.as_ptr(),
                c: c.as_mut_ptr(),
                rsc: 32,
                csc: 1,
                mr: 12,
                nr: 32,
                accumulate: false,
                init: 0.0,
            };
            let reps = 20_000;
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    // SAFETY: the CPU has AVX-512F; `tile` addresses `a`, `b` and `c` exactly.
                    unsafe { x86::kernel_avx512(&tile) };
                }
                best = best.min(t.elapsed().as_secs_f64());
            }
            let gflops = 2.0 * (12 * 32 * kc * reps) as f64 / best / 1e9;
            println!(
                "Avx512 12x32 kernel, operands in L1: {gflops:.1} GFLOP/s ({:.0}% of an FMA peak of {peak:.1} measured just before)",
                100.0 * gflops / peak
            );
        }
        // (c)'s forward and weight gradient, (d)'s forward and weight gradient.
        let shapes = [(256, 784, 512, false), (784, 256, 512, true), (100, 784, 500, false), (784, 100, 500, true)];
        for isa in [Isa::Avx512, Isa::Avx2, Isa::Scalar].into_iter().filter(|i| i.available()) {
            let core_peak = fma_peak_gflops(isa);
            // Every thread of the pool at once (two vCPUs may share a core, or a host's power).
            let pool_peak: f64 = pool.broadcast(|_| fma_peak_gflops(isa)).iter().sum();
            if isa != Isa::Scalar {
                println!(
                    "{isa:?} FMA peak (measured): {core_peak:.1} GFLOP/s a core, {pool_peak:.1} on the pool's {} threads at once",
                    pool.current_num_threads()
                );
            }
            for &(m, k, n, ta) in &shapes {
                let (av, bv) = (fill(m * k, 1), fill(k * n, 2));
                let a = Strided::op(&av, m, k, ta);
                let b = Strided { data: &bv, rs: n, cs: 1 };
                let mut c = vec![0.0f32; m * n];
                if isa == Isa::Avx512 {
                    // The crate this replaced, one thread, for comparison.
                    let mut best = f64::MAX;
                    for _ in 0..30 {
                        let t = std::time::Instant::now();
                        // SAFETY: the strides address exactly the m x k, k x n and m x n buffers.
                        unsafe {
                            matrixmultiply::sgemm(
                                m,
                                k,
                                n,
                                1.0,
                                av.as_ptr(),
                                a.rs as isize,
                                a.cs as isize,
                                bv.as_ptr(),
                                n as isize,
                                1,
                                0.0,
                                c.as_mut_ptr(),
                                n as isize,
                                1,
                            )
                        };
                        best = best.min(t.elapsed().as_secs_f64());
                    }
                    println!(
                        "matrixmultiply {m}x{k}x{n} ta={ta}: {:.1} GFLOP/s",
                        2.0 * (m * k * n) as f64 / best / 1e9
                    );
                }
                for p in [None, Some(&pool)] {
                    let reps = if isa == Isa::Scalar { 2 } else { 30 };
                    let mut best = f64::MAX;
                    for _ in 0..reps {
                        let t = std::time::Instant::now();
                        sgemm(isa, (m, k, n), a, b, &mut c, (n, 1), p).unwrap();
                        best = best.min(t.elapsed().as_secs_f64());
                    }
                    let threads = p.map_or(1, |p| p.current_num_threads());
                    let gflops = 2.0 * (m * k * n) as f64 / best / 1e9;
                    let share = if isa == Isa::Scalar {
                        String::new()
                    } else {
                        let peak = if threads > 1 { pool_peak } else { core_peak };
                        format!("; {:.0}% of the peak", 100.0 * gflops / peak)
                    };
                    println!(
                        "{isa:?} {m}x{k}x{n} ta={ta} threads={threads}: {gflops:.1} GFLOP/s (best of {reps}{share})"
                    );
                }
            }
        }
    }

    /// Times the three TF-order products of (c)'s step (the second layer's forward `H W2`, `dZ
    /// W2^T` and `H^T dZ`: ten columns or ten terms) on one thread and on a pool, operands warm:
    /// best and median of 400 calls. `cargo test --release --lib tf_order_narrow_products_speed
    /// -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn tf_order_narrow_products_speed() {
        let isa = Isa::detect();
        if isa == Isa::Scalar {
            return;
        }
        let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
        let shapes = [(256, 512, 10, false, false), (256, 10, 512, false, true), (512, 256, 10, true, false)];
        for &(m, k, n, ta, tb) in &shapes {
            let (av, bv) = (fill(m * k, 1), fill(k * n, 2));
            let (a, b) = (Strided::op(&av, m, k, ta), Strided::op(&bv, k, n, tb));
            let mut c = vec![0.0f32; m * n];
            for p in [None, Some(&pool)] {
                let (ep, order) = (Epilogue::NONE, Order::TfSeqFma);
                let mut us: Vec<f64> = (0..400)
                    .map(|_| {
                        let t = std::time::Instant::now();
                        sgemm_fused(isa, (m, k, n), a, b, &mut c, (n, 1), p, ep, order).unwrap();
                        t.elapsed().as_secs_f64() * 1e6
                    })
                    .collect();
                us.sort_by(f64::total_cmp);
                let threads = p.map_or(1, |p| p.current_num_threads());
                println!(
                    "{isa:?} TF order {m}x{k}x{n} ta={ta} tb={tb} threads={threads}: best {:.1} us, median {:.1} us",
                    us[0], us[200]
                );
            }
        }
    }

    /// oneDNN's blocks of `k`, as `Order::TfSeqFma` walks them, are `eigen::gemm_k_blocks`.
    #[test]
    fn tf_order_blocks_are_onednns() {
        let (a, b) = (fill(4, 1), fill(4, 2));
        for k in 1..3000 {
            let s = Strided { data: &a, rs: 0, cs: 0 };
            let t = Strided { data: &b, rs: 0, cs: 0 };
            let job = Job {
                isa: Isa::Scalar,
                m: 1,
                k,
                n: 1,
                a: s,
                b: t,
                rsc: 1,
                csc: 1,
                ep: Epilogue::NONE,
                ep_by_row: false,
                order: Order::TfSeqFma,
            };
            let (kb, longest) = job.k_blocks();
            let got: Vec<(usize, usize)> = (0..kb).map(|q| job.k_block(q)).collect();
            assert_eq!(got, crate::engine::math::eigen::gemm_k_blocks(k), "k = {k}");
            assert_eq!(longest, got.iter().map(|b| b.1).max().unwrap(), "k = {k}");
        }
    }

    /// TF's order through the blocked kernels gives the bits of TF's in-order-FMA small matmul
    /// (run with TF's flush modes), signed zeros included, on every vector kernel, split or not.
    #[test]
    fn tf_order_matches_the_small_matmul() {
        use crate::engine::math::eigen::{MatMulKernel, matmul_kernel};
        use crate::engine::math::matmul_simd::MatMulPlan;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let isas: Vec<Isa> = [Isa::Avx2, Isa::Avx512].into_iter().filter(|i| i.available()).collect();
        let shapes = [
            (256, 512, 10, false, false),
            (256, 10, 512, false, true),
            (512, 256, 10, true, false),
            (100, 500, 10, false, false),
            (100, 10, 500, false, true),
            (500, 100, 10, true, false),
            (33, 385, 17, false, false),
            (40, 784, 70, false, false),
            (20, 1000, 37, true, false),
            (64, 384, 64, false, true),
            (17, 3, 40, false, false),
            (2, 769, 2, false, false),
        ];
        // A third of the values +0 or -0 (so that whole chains of zero products occur), and some
        // subnormal or near it (read as zero, or products flushed, in TF's modes).
        let zeros = |v: Vec<f32>| -> Vec<f32> {
            v.into_iter()
                .enumerate()
                .map(|(i, x)| match i {
                    _ if i % 3 == 0 => 0.0,
                    _ if i % 11 == 0 => -0.0,
                    _ if i % 13 == 0 => x * 1e-38,
                    _ => x,
                })
                .collect()
        };
        for &(m, k, n, ta, tb) in &shapes {
            assert_eq!(matmul_kernel(m, n, ta, tb), MatMulKernel::SeqFma, "{m}x{k}x{n}");
            let (mut av, bv) = (zeros(fill(m * k, 7)), zeros(fill(k * n, 8)));
            // op(A)'s first row all +0 against negative values: every product -0 or +0.
            for s in 0..k {
                av[if ta { s * m } else { s }] = 0.0;
            }
            let plan = MatMulPlan::new(m, k, n, ta, tb);
            let mut scratch = vec![0.0f32; plan.scratch_len()];
            let mut want = vec![0.0f32; m * n];
            {
                let modes = ScopedFlushDenormal::new();
                plan.run_hw(modes.token(), &av, &bv, &mut want, &mut scratch);
            }
            let want: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
            let a = Strided::op(&av, m, k, ta);
            let b = Strided::op(&bv, k, n, tb);
            for &isa in &isas {
                for p in [None, Some(&pool)] {
                    let mut got = vec![f32::NAN; m * n];
                    sgemm_fused(isa, (m, k, n), a, b, &mut got, (n, 1), p, Epilogue::NONE, Order::TfSeqFma).unwrap();
                    let bad = got.iter().zip(&want).position(|(g, w)| g.to_bits() != *w);
                    assert_eq!(
                        bad,
                        None,
                        "{isa:?} {m}x{k}x{n} ta={ta} tb={tb} split={}: first difference",
                        p.is_some()
                    );
                }
            }
        }
        let z = Strided { data: &[0.0; 4], rs: 2, cs: 1 };
        let scalar =
            sgemm_fused(Isa::Scalar, (2, 2, 2), z, z, &mut [0.0; 4], (2, 1), None, Epilogue::NONE, Order::TfSeqFma);
        assert!(scalar.is_err());
    }

    /// The AVX-512 packing of columns whose steps are contiguous (a transposed B) puts each
    /// value where the portable packing does, with a partial block of 16 steps at the end.
    #[test]
    fn columns_pack_by_transposed_blocks() {
        if !Isa::Avx512.available() {
            return;
        }
        for (kc, rs) in [(37, 50), (16, 16), (5, 9), (48, 100)] {
            let src: Vec<f32> = (0..32 * rs).map(|i| i as f32).collect();
            let mut dst = vec![f32::NAN; 32 * kc];
            // SAFETY: the CPU has AVX-512F; 32 columns of `kc <= rs` values `rs` apart; room for
            // 32 * kc values.
            unsafe { x86::pack_columns_32_avx512(src.as_ptr(), rs, kc, dst.as_mut_ptr()) };
            for t in 0..kc {
                for r in 0..32 {
                    assert_eq!(dst[t * 32 + r], src[r * rs + t], "kc {kc} step {t} column {r}");
                }
            }
        }
    }

    /// The fused bias add and relu give the bits of the separate ops, on every kernel, with C
    /// computed transposed or not, split or not.
    #[test]
    fn epilogue_matches_separate_ops() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let isas: Vec<Isa> = [Isa::Scalar, Isa::Avx2, Isa::Avx512].into_iter().filter(|i| i.available()).collect();
        for &(m, k, n) in &[(33, 513, 17), (64, 600, 3), (100, 300, 500), (5, 0, 7), (40, 600, 70), (24, 257, 64)] {
            let (av, bv) = (fill(m * k, 3), fill(k * n, 4));
            let mut bias = fill(n, 5);
            if n > 2 {
                bias[1] = f32::NAN;
                bias[2] = -0.0;
            }
            let a = Strided { data: &av, rs: k, cs: 1 };
            let b = Strided { data: &bv, rs: n, cs: 1 };
            for &isa in &isas {
                for p in [None, Some(&pool)] {
                    let mut want = vec![0.0f32; m * n];
                    sgemm(isa, (m, k, n), a, b, &mut want, (n, 1), p).unwrap();
                    for relu in [false, true] {
                        let sep: Vec<u32> = want
                            .iter()
                            .enumerate()
                            .map(|(i, &c)| {
                                let x = c + bias[i % n];
                                (if relu && x < 0.0 { 0.0 } else { x }).to_bits()
                            })
                            .collect();
                        let mut got = vec![f32::NAN; m * n];
                        let ep = Epilogue { bias: Some(&bias), relu };
                        sgemm_fused(isa, (m, k, n), a, b, &mut got, (n, 1), p, ep, Order::Blocked).unwrap();
                        let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
                        assert_eq!(got, sep, "{isa:?} {m}x{k}x{n} relu={relu}");
                    }
                }
            }
        }
    }

    /// A product whose tasks share one packing of B and claim its row panels
    /// (`Job::run_shared`) gives the bits of one thread, in both orders, with more threads than
    /// cores, up to the largest number of blocks of `k` that shares (and past it, or with too
    /// few row panels, where the tasks split C as before).
    #[test]
    fn shared_packing_gives_the_bits_of_one_thread() {
        let pools: Vec<rayon::ThreadPool> =
            [2, 3, 8].iter().map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap()).collect();
        let isas: Vec<Isa> = [Isa::Avx2, Isa::Avx512].into_iter().filter(|i| i.available()).collect();
        let shapes = [
            (256, 784, 512, false),
            (100, 784, 500, false),
            (784, 100, 500, true),
            (200, 2048, 40, false),
            (200, 2100, 64, true),
        ];
        for &(m, k, n, ta) in &shapes {
            let (av, bv) = (fill(m * k, 6), fill(k * n, 7));
            let a = Strided::op(&av, m, k, ta);
            let b = Strided { data: &bv, rs: n, cs: 1 };
            for &isa in &isas {
                for order in [Order::Blocked, Order::TfSeqFma] {
                    let bits = |pool: Option<&rayon::ThreadPool>| -> Vec<u32> {
                        let mut c = vec![f32::NAN; m * n];
                        sgemm_fused(isa, (m, k, n), a, b, &mut c, (n, 1), pool, Epilogue::NONE, order).unwrap();
                        c.iter().map(|v| v.to_bits()).collect()
                    };
                    let one = bits(None);
                    for p in &pools {
                        let t = p.current_num_threads();
                        assert!(
                            bits(Some(p)) == one,
                            "{isa:?} {order:?} {m}x{k}x{n} ta={ta}: {t} threads differ from one"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn short_operands_are_an_error() {
        let a = [1.0f32; 5];
        let mut c = [0.0f32; 4];
        let s = Strided { data: &a, rs: 3, cs: 1 };
        assert!(sgemm(Isa::Scalar, (2, 3, 2), s, s, &mut c, (2, 1), None).is_err());
    }
    /// What the pool's wake-up costs a big product: (c)'s two products split in two as `run`
    /// split them before `run_shared` (forward by columns, weight gradient by rows), through the
    /// rayon pool (whose idle thread sleeps between products) against a helper thread that spins
    /// between them, in alternating rounds of 300 products (the VM's speed drifts, so only pairs
    /// are compared); both give the same bits:
    /// `cargo test --release --lib pool_against_a_spinning_helper -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn pool_against_a_spinning_helper() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        if !Isa::Avx512.available() {
            return;
        }
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for ta in [false, true] {
            let (m, k, n) = if ta { (784, 256, 512) } else { (256, 784, 512) };
            let (av, bv) = (fill(m * k, 5), fill(k * n, 6));
            let a = Strided::op(&av, m, k, ta);
            let b = Strided { data: &bv, rs: n, cs: 1 };
            let (mut by_pool, mut by_helper) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
            let job = Job {
                isa: Isa::Avx512,
                m,
                k,
                n,
                a,
                b,
                rsc: n,
                csc: 1,
                ep: Epilogue::NONE,
                ep_by_row: false,
                order: Order::Blocked,
            };
            let (mp, np) = (m.div_ceil(12), n.div_ceil(32));
            // `run`'s split for two threads: the forward by columns, the weight gradient by rows.
            let part = |t: usize| if ta { (chunk(mp, 2, t), 0..np) } else { (0..mp, chunk(np, 2, t)) };
            let (posted, finished) = (AtomicU64::new(0), AtomicU64::new(0));
            let (spinning, stop) = (AtomicBool::new(false), AtomicBool::new(false));
            let out = OutPtr(by_helper.as_mut_ptr());
            std::thread::scope(|s| {
                s.spawn(|| {
                    let (mut seen, mut buf) = (0, Vec::new());
                    while !stop.load(Ordering::Acquire) {
                        if !spinning.load(Ordering::Acquire) {
                            std::thread::sleep(std::time::Duration::from_micros(200));
                            continue;
                        }
                        let e = posted.load(Ordering::Acquire);
                        if e == seen {
                            std::hint::spin_loop();
                            continue;
                        }
                        seen = e;
                        let (rows, cols) = part(1);
                        let o = out;
                        // SAFETY: part 1's tiles are inside `by_helper`; the posting thread
                        // writes part 0's only, and waits for `finished` before reusing it.
                        unsafe { job.compute(rows, cols, &mut buf, o.0) };
                        finished.store(e, Ordering::Release);
                    }
                });
                let mut buf = Vec::new();
                for round in 0..8 {
                    let (reps, helper) = (300, round % 2 == 1);
                    spinning.store(helper, Ordering::Release);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    let t = std::time::Instant::now();
                    for _ in 0..reps {
                        if helper {
                            let e = posted.fetch_add(1, Ordering::AcqRel) + 1;
                            let (rows, cols) = part(0);
                            let o = out;
                            // SAFETY: part 0's tiles are inside `by_helper`, written by no
                            // other thread.
                            unsafe { job.compute(rows, cols, &mut buf, o.0) };
                            while finished.load(Ordering::Acquire) != e {
                                std::hint::spin_loop();
                            }
                        } else {
                            sgemm(Isa::Avx512, (m, k, n), a, b, &mut by_pool, (n, 1), Some(&pool)).unwrap();
                        }
                    }
                    let us = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
                    let gflops = 2.0 * (m * k * n) as f64 / us / 1e3;
                    let how = if helper { "spinning helper" } else { "rayon pool     " };
                    println!("{how} {m}x{k}x{n}: {us:.0} us a product ({gflops:.1} GFLOP/s)");
                }
                stop.store(true, Ordering::Release);
            });
            assert_eq!(by_pool, by_helper);
        }
    }
}

/// FMA loops for [`tests::fma_peak_gflops`]: twelve independent chains (more than the FMA
/// units' latency times their count), so the loop runs at the units' throughput. Each chain
/// starts from its own value (so the compiler cannot merge them) and converges to 0.5 (no
/// denormals); the lanes' sum is returned so that the loop is not optimised away.
#[cfg(all(test, target_arch = "x86_64"))]
mod x86_peak {
    use std::arch::x86_64::*;

    macro_rules! fma_chains {
        ($name:ident, $feature:literal, $vector:ty, $lanes:literal, $set1:ident, $fmadd:ident) => {
            /// `iters` x 12 FMAs of a whole vector each.
            ///
            /// # Safety
            /// The CPU has the function's target features.
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn $name(iters: u64) -> f32 {
                let (b, c) = ($set1(0.5), $set1(0.25));
                let mut acc = [$set1(0.0); 12];
                for (i, a) in acc.iter_mut().enumerate() {
                    *a = $set1(i as f32);
                }
                for _ in 0..iters {
                    for a in &mut acc {
                        *a = $fmadd(*a, b, c);
                    }
                }
                // SAFETY: a vector is its lanes.
                acc.iter()
                    .map(|&a| unsafe { std::mem::transmute::<$vector, [f32; $lanes]>(a) }.iter().sum::<f32>())
                    .sum()
            }
        };
    }

    fma_chains!(fma_chains_512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps);
    fma_chains!(fma_chains_256, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps);
}
