//! The blocked float32 GEMM of large products (`C = op(A) op(B)` on the general path, where TF's
//! summation order is not kept): both operands are packed once into panels that all of the pool's
//! threads share, then the output's tiles are split across the threads and each tile is computed
//! by a register-blocked microkernel — AVX-512 (12 x 32), AVX2+FMA (6 x 16) or portable code
//! (4 x 4), picked at run time ([`Isa::detect`]; `FLOWBENCH_GEMM_ISA=avx2|scalar` forces a
//! fallback for measurements).
//!
//! Every output element is summed in one order whatever the kernel, the split or the thread
//! count: `k` is cut into equal blocks of at most [`KC_MAX`] (depending on `k` alone); within a
//! block the products are chained by fused multiply-adds in order, starting from `+0`, and each
//! block's sum is added to the element (the first block's stored). So the three kernels give the
//! same bits, and a product is the same on 1 or 16 threads.

use crate::engine::error::{Error, Result};
use rayon::ThreadPool;
use rayon::prelude::*;
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

impl Strided<'_> {
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
    sgemm_fused(isa, (m, k, n), a, b, c, (rsc, csc), pool, Epilogue::NONE)
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

/// [`sgemm`] with an [`Epilogue`] applied to each element of C.
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
) -> Result<()> {
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
        Job { isa, m: n, k, n: m, a: b.t(), b: a.t(), rsc: csc, csc: rsc, ep, ep_by_row: true }
    } else {
        Job { isa, m, k, n, a, b, rsc, csc, ep, ep_by_row: false }
    };
    let threads = match pool {
        Some(p) if m.saturating_mul(n).saturating_mul(k) >= PAR_MIN_MULADDS => p.current_num_threads().max(1),
        _ => 1,
    };
    PACKED.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => job.run(&mut buf, c, threads, pool),
        // A product started while this thread waits on another one's split (work stealing):
        // pack into a buffer of its own.
        Err(_) => job.run(&mut Vec::new(), c, threads, pool),
    });
    Ok(())
}

thread_local! {
    /// The packed operands of the last product started on this thread (kept to avoid allocating
    /// in every training step).
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
}

/// One element through the epilogue (`j` its column in the caller's C).
#[inline(always)]
fn epilogue(ep: &Epilogue<'_>, mut x: f32, j: usize) -> f32 {
    if let Some(b) = ep.bias {
        x += b[j];
    }
    if ep.relu && x < 0.0 { 0.0 } else { x }
}

/// Raw pointers shared by the pool's tasks: they write disjoint panels of the packed buffer, then
/// (after the packing phase has ended) read it and write disjoint tiles of C.
#[derive(Clone, Copy)]
struct Ptrs {
    packed: *mut f32,
    c: *mut f32,
}
// SAFETY: see the type's documentation: the tasks that share it never write the same element,
// and read the packed buffer only after every write to it has finished.
unsafe impl Send for Ptrs {}
// SAFETY: as above.
unsafe impl Sync for Ptrs {}

/// One tile for a microkernel: `kc` steps of the packed `MR`-wide panel `a` and `NR`-wide panel
/// `b` into the `mr x nr` corner of the tile at `c` (row stride `rsc`, column stride `csc`),
/// stored when `!accumulate`, else added to what is there.
#[derive(Clone, Copy)]
struct Tile {
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    rsc: usize,
    csc: usize,
    mr: usize,
    nr: usize,
    accumulate: bool,
}

impl Job<'_> {
    /// The blocks of `k`: their count and the length of all but the last.
    fn k_blocks(&self) -> (usize, usize) {
        let kb = self.k.div_ceil(KC_MAX);
        (kb, self.k.div_ceil(kb))
    }

    fn run(&self, buf: &mut Vec<f32>, c: &mut [f32], threads: usize, pool: Option<&ThreadPool>) {
        let (mr, nr) = self.isa.tile();
        let (mp, np) = (self.m.div_ceil(mr), self.n.div_ceil(nr));
        let a_len = mp * mr * self.k;
        let len = a_len + np * nr * self.k;
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        let ptrs = Ptrs { packed: buf.as_mut_ptr(), c: c.as_mut_ptr() };
        // Split the tiles by row panels or by column panels, whichever leaves the busiest thread
        // fewer tiles (rows on a tie).
        let by_rows = mp.div_ceil(threads.min(mp)) * np <= np.div_ceil(threads.min(np)) * mp;
        let tasks = if by_rows { threads.min(mp) } else { threads.min(np) };
        let chunk = |len: usize, t: usize| {
            let per = len.div_ceil(tasks);
            (t * per).min(len)..((t + 1) * per).min(len)
        };
        let pack = |t: usize| {
            let p = ptrs;
            for i in chunk(mp, t) {
                // SAFETY: panel i of A lies in packed[..a_len], written by this task alone.
                unsafe { self.pack_panel(self.a, self.m, mr, i, p.packed) };
            }
            for j in chunk(np, t) {
                // SAFETY: panel j of B lies in packed[a_len..len], written by this task alone.
                unsafe { self.pack_panel(self.b.t(), self.n, nr, j, p.packed.add(a_len)) };
            }
        };
        let compute = |t: usize| {
            let p = ptrs;
            let (rows, cols) = if by_rows { (chunk(mp, t), 0..np) } else { (0..mp, chunk(np, t)) };
            // SAFETY: the packing phase has filled packed[..len]; this task's tiles of C are
            // inside `c` (checked by `sgemm`) and written by no other task.
            unsafe { self.compute(rows, cols, p.packed, p.packed.add(a_len), p.c) };
        };
        match pool {
            Some(pool) if tasks > 1 => pool.install(|| {
                (0..tasks).into_par_iter().for_each(pack);
                (0..tasks).into_par_iter().for_each(compute);
            }),
            _ => {
                pack(0);
                compute(0);
            }
        }
    }

    /// Packs panel `p` (`w` rows of `src`, an `rows x k` matrix, from row `p * w`; missing rows as
    /// zeros) at `dst`: block by block of `k`, `kc` steps of `w` contiguous values. A is packed as
    /// itself, B as its transpose.
    ///
    /// # Safety
    /// `dst` must be valid for writes of the packed `ceil(rows / w) * w * k` values.
    unsafe fn pack_panel(&self, src: Strided<'_>, rows: usize, w: usize, p: usize, dst: *mut f32) {
        // The kernels' widths as constants, so that each step's copy is a few vector moves
        // instead of a call to `memcpy` (or a loop of checked scalar copies).
        // SAFETY: forwarded.
        unsafe {
            match w {
                32 => self.pack_panel_w::<32>(src, rows, p, dst),
                16 => self.pack_panel_w::<16>(src, rows, p, dst),
                12 => self.pack_panel_w::<12>(src, rows, p, dst),
                6 => self.pack_panel_w::<6>(src, rows, p, dst),
                4 => self.pack_panel_w::<4>(src, rows, p, dst),
                _ => self.pack_panel_any(src, rows, w, p, dst),
            }
        }
    }

    /// [`Job::pack_panel`] for a width known at compile time.
    ///
    /// # Safety
    /// As [`Job::pack_panel`].
    unsafe fn pack_panel_w<const W: usize>(&self, src: Strided<'_>, rows: usize, p: usize, dst: *mut f32) {
        let (kb, kcb) = self.k_blocks();
        let r0 = p * W;
        let live = W.min(rows - r0);
        let panels = rows.div_ceil(W);
        if live < W {
            // SAFETY: forwarded.
            return unsafe { self.pack_panel_any(src, rows, W, p, dst) };
        }
        for q in 0..kb {
            let k0 = q * kcb;
            let kc = kcb.min(self.k - k0);
            // SAFETY: block q starts at panels * W * k0; this panel's part of it is kc * W values.
            let out = unsafe { std::slice::from_raw_parts_mut(dst.add(panels * W * k0 + p * W * kc), kc * W) };
            if src.rs == 1 {
                // Each step's W values are contiguous in the source.
                for (t, o) in out.chunks_exact_mut(W).enumerate() {
                    let s = (k0 + t) * src.cs + r0;
                    o.copy_from_slice(&src.data[s..s + W]);
                }
            } else if src.cs == 1 {
                // Each row's kc values are contiguous: gather one value of each row per step.
                let srcs: [&[f32]; W] = std::array::from_fn(|r| {
                    let base = (r0 + r) * src.rs + k0;
                    &src.data[base..base + kc]
                });
                for (t, o) in out.chunks_exact_mut(W).enumerate() {
                    for (o, s) in o.iter_mut().zip(&srcs) {
                        // SAFETY: t < kc, the length of every row slice.
                        *o = unsafe { *s.get_unchecked(t) };
                    }
                }
            } else {
                for (t, o) in out.chunks_exact_mut(W).enumerate() {
                    for (r, o) in o.iter_mut().enumerate() {
                        *o = src.data[(r0 + r) * src.rs + (k0 + t) * src.cs];
                    }
                }
            }
        }
    }

    /// [`Job::pack_panel`] for any width and partial panels.
    ///
    /// # Safety
    /// As [`Job::pack_panel`].
    unsafe fn pack_panel_any(&self, src: Strided<'_>, rows: usize, w: usize, p: usize, dst: *mut f32) {
        let (kb, kcb) = self.k_blocks();
        let r0 = p * w;
        let live = w.min(rows - r0);
        let panels = rows.div_ceil(w);
        for q in 0..kb {
            let k0 = q * kcb;
            let kc = kcb.min(self.k - k0);
            // SAFETY: block q starts at panels * w * k0; this panel's part of it is kc * w values.
            let out = unsafe { std::slice::from_raw_parts_mut(dst.add(panels * w * k0 + p * w * kc), kc * w) };
            for r in 0..w {
                if r < live {
                    let base = (r0 + r) * src.rs + k0 * src.cs;
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
    }

    /// Computes the tiles in row panels `rows` x column panels `cols`.
    ///
    /// # Safety
    /// `pa` and `pb` must hold the packed A and B; `c` the output as checked by `sgemm`.
    unsafe fn compute(
        &self,
        rows: std::ops::Range<usize>,
        cols: std::ops::Range<usize>,
        pa: *const f32,
        pb: *const f32,
        c: *mut f32,
    ) {
        let (mr, nr) = self.isa.tile();
        let (mp, np) = (self.m.div_ceil(mr), self.n.div_ceil(nr));
        let (kb, kcb) = self.k_blocks();
        for q in 0..kb {
            let k0 = q * kcb;
            let kc = kcb.min(self.k - k0);
            for j in cols.clone() {
                for i in rows.clone() {
                    // SAFETY: the panels are inside the packed buffers (block q starts at
                    // mp * mr * k0 and np * nr * k0); tile (i, j)'s live corner is inside C.
                    let tile = unsafe {
                        Tile {
                            kc,
                            a: pa.add(mp * mr * k0 + i * mr * kc),
                            b: pb.add(np * nr * k0 + j * nr * kc),
                            c: c.add(i * mr * self.rsc + j * nr * self.csc),
                            rsc: self.rsc,
                            csc: self.csc,
                            mr: mr.min(self.m - i * mr),
                            nr: nr.min(self.n - j * nr),
                            accumulate: q > 0,
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
                        // SAFETY: as above: the tile's live corner is this task's part of C.
                        unsafe { self.finish_tile(&tile, i * mr, j * nr) };
                    }
                }
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

/// The portable 4 x 4 kernel.
///
/// # Safety
/// `t` must be a valid tile of a 4 x 4 packing.
unsafe fn kernel_scalar(t: &Tile) {
    let mut acc = [[0.0f32; 4]; 4];
    for s in 0..t.kc {
        // SAFETY: step s of each packed panel has four values.
        let (a, b) = unsafe { (&*t.a.add(4 * s).cast::<[f32; 4]>(), &*t.b.add(4 * s).cast::<[f32; 4]>()) };
        for (row, &x) in acc.iter_mut().zip(a) {
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
    ///
    /// # Safety
    /// AVX-512F; `t` a valid tile of a 12 x 32 packing.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn kernel_avx512(t: &Tile) {
        const MR: usize = 12;
        let mut acc = [[_mm512_setzero_ps(); 2]; MR];
        let (mut a, mut b) = (t.a, t.b);
        for _ in 0..t.kc {
            // SAFETY: each step of the packed panels has MR and 32 values.
            unsafe {
                let b0 = _mm512_loadu_ps(b);
                let b1 = _mm512_loadu_ps(b.add(16));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = _mm512_set1_ps(*a.add(r));
                    acc[0] = _mm512_fmadd_ps(x, b0, acc[0]);
                    acc[1] = _mm512_fmadd_ps(x, b1, acc[1]);
                }
                a = a.add(MR);
                b = b.add(32);
            }
        }
        if t.csc == 1 {
            let mask = |w: usize| -> __mmask16 { if w >= 16 { 0xffff } else { ((1u32 << w) - 1) as u16 } };
            let (m0, m1) = (mask(t.nr), mask(t.nr.saturating_sub(16)));
            for (r, acc) in acc.iter().enumerate().take(t.mr) {
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
            let mut out = [[0.0f32; 32]; MR];
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
    /// AVX2 and FMA; `t` a valid tile of a 6 x 16 packing.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn kernel_avx2(t: &Tile) {
        const MR: usize = 6;
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        let (mut a, mut b) = (t.a, t.b);
        for _ in 0..t.kc {
            // SAFETY: each step of the packed panels has MR and 16 values.
            unsafe {
                let b0 = _mm256_loadu_ps(b);
                let b1 = _mm256_loadu_ps(b.add(8));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x = _mm256_set1_ps(*a.add(r));
                    acc[0] = _mm256_fmadd_ps(x, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(x, b1, acc[1]);
                }
                a = a.add(MR);
                b = b.add(16);
            }
        }
        if t.csc == 1 {
            let (m0, m1) = (lane_mask(t.nr), lane_mask(t.nr.saturating_sub(8)));
            for (r, acc) in acc.iter().enumerate().take(t.mr) {
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
            let mut out = [[0.0f32; 16]; MR];
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
        let sizes = [(1, 1, 1), (7, 17, 1), (1, 513, 7), (17, 7, 255), (255, 17, 33), (33, 513, 17), (64, 600, 3)];
        for &(m, k, n) in &sizes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (av, bv) = (fill(m * k, 1), fill(k * n, 2));
                let a = if ta { Strided { data: &av, rs: 1, cs: m } } else { Strided { data: &av, rs: k, cs: 1 } };
                let b = if tb { Strided { data: &bv, rs: 1, cs: k } } else { Strided { data: &bv, rs: n, cs: 1 } };
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

    /// GFLOP/s of each kernel on the benchmark's big shapes, on one thread and on all cores:
    /// `cargo test --release --lib sgemm_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn sgemm_speed() {
        let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
        // (c)'s forward and weight gradient, (d)'s forward and weight gradient.
        let shapes = [(256, 784, 512, false), (784, 256, 512, true), (100, 784, 500, false), (784, 100, 500, true)];
        for isa in [Isa::Avx512, Isa::Avx2, Isa::Scalar].into_iter().filter(|i| i.available()) {
            for &(m, k, n, ta) in &shapes {
                let (av, bv) = (fill(m * k, 1), fill(k * n, 2));
                let a = if ta { Strided { data: &av, rs: 1, cs: m } } else { Strided { data: &av, rs: k, cs: 1 } };
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
                    println!("{isa:?} {m}x{k}x{n} ta={ta} threads={threads}: {gflops:.1} GFLOP/s (best of {reps})");
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
        for &(m, k, n) in &[(33, 513, 17), (64, 600, 3), (100, 300, 500), (5, 0, 7)] {
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
                        sgemm_fused(isa, (m, k, n), a, b, &mut got, (n, 1), p, ep).unwrap();
                        let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
                        assert_eq!(got, sep, "{isa:?} {m}x{k}x{n} relu={relu}");
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
}
