//! TF's `port::ScopedFlushDenormal`: the hardware's flush-to-zero (FTZ) and denormals-are-zero
//! (DAZ) modes, set for a scope on the current thread.
//!
//! TF runs every CPU kernel with MXCSR.FTZ and MXCSR.DAZ set (its executor sets them around each
//! kernel, its pool threads for their whole life). The rest of this crate emulates that in
//! software, one `ftz` per operation, so that its kernels are right on any thread. A kernel that
//! instead takes a [`HwFtz`] token relies on the hardware: it may leave the flushes out, because
//! the token proves that the current thread runs with both modes set. The token borrows the guard
//! and cannot leave the thread (MXCSR is per thread), so a kernel with a token cannot run in a
//! pool task that lacks the modes.
//!
//! The two agree bit for bit except in a thin band: a result whose exact value rounds to
//! `f32::MIN_POSITIVE` on the subnormal grid (spacing 2^-149) but below it at full precision
//! (spacing 2^-150 just under `MIN_POSITIVE`), e.g. `0x3f7fffff * MIN_POSITIVE`. The software
//! flush rounds first and keeps `MIN_POSITIVE`; x86 detects tininess after rounding to 24 bits with
//! an unbounded exponent and writes zero, as TF does.
//!
//! Rust and LLVM assume the default floating-point environment. That is sound here in practice
//! because (1) no float constant a kernel uses is subnormal or folds to one, and (2) the mode
//! changes are `asm!` blocks that the compiler treats as touching memory, and kernels read their
//! operands from memory, so their arithmetic is not hoisted out of the scope.

use std::marker::PhantomData;

/// MXCSR's flush-to-zero bit.
const FTZ: u32 = 1 << 15;
/// MXCSR's denormals-are-zero bit.
const DAZ: u32 = 1 << 6;

/// Sets FTZ and DAZ on this thread until dropped (then restores the previous modes). Not `Send`:
/// it must be dropped on the thread that made it.
pub struct ScopedFlushDenormal {
    /// MXCSR before the scope (x86-64), restored on drop.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    saved: u32,
    _thread: PhantomData<*const ()>,
}

/// Proof that the current thread flushes subnormal inputs and results to zero in hardware.
#[derive(Clone, Copy)]
pub struct HwFtz<'a>(PhantomData<&'a ScopedFlushDenormal>);

#[cfg(target_arch = "x86_64")]
fn read_mxcsr() -> u32 {
    let mut v: u32 = 0;
    // SAFETY: `stmxcsr` stores the 32-bit control register at the given address, a live `u32`.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack, preserves_flags)) };
    v
}

#[cfg(target_arch = "x86_64")]
fn write_mxcsr(v: u32) {
    // SAFETY: `ldmxcsr` loads the control register from a live `u32`; `v` only ever differs from a
    // value read from MXCSR in the FTZ and DAZ bits, which every x86-64 CPU has.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, preserves_flags)) };
}

impl ScopedFlushDenormal {
    /// Sets FTZ and DAZ (a no-op where the CPU has no such modes; then [`Self::token`] is `None`).
    #[inline]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let saved = read_mxcsr();
            write_mxcsr(saved | FTZ | DAZ);
            ScopedFlushDenormal { saved, _thread: PhantomData }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            ScopedFlushDenormal { saved: 0, _thread: PhantomData }
        }
    }

    /// The token for kernels that rely on the hardware modes (`None` where there are none).
    #[inline]
    pub fn token(&self) -> Option<HwFtz<'_>> {
        if cfg!(target_arch = "x86_64") { Some(HwFtz(PhantomData)) } else { None }
    }
}

impl Default for ScopedFlushDenormal {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ScopedFlushDenormal {
    #[inline]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        write_mxcsr(self.saved);
    }
}

/// Whether this thread flushes in hardware now (both FTZ and DAZ set).
pub fn flushing() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        read_mxcsr() & (FTZ | DAZ) == FTZ | DAZ
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[test]
    fn the_scope_flushes_and_restores() {
        let tiny = black_box(1e-20f32);
        assert!(!flushing());
        assert!((black_box(tiny * tiny)).is_subnormal() || tiny * tiny == 0.0);
        {
            let g = ScopedFlushDenormal::new();
            if g.token().is_some() {
                assert!(flushing());
                // FTZ: a subnormal result is written as zero.
                assert_eq!(black_box(black_box(1e-20f32) * black_box(1e-20f32)).to_bits(), 0);
                // DAZ: a subnormal input reads as zero.
                let sub = black_box(f32::from_bits(1));
                assert_eq!(black_box(sub * black_box(2.0f32)).to_bits(), 0);
                assert_eq!(black_box(black_box(-1e-20f32) * black_box(1e-20f32)).to_bits(), 0x8000_0000);
                // The band (see the module doc): zero here, `MIN_POSITIVE` in software.
                let below_one = black_box(f32::from_bits(0x3f7f_ffff));
                assert_eq!(black_box(below_one * black_box(f32::MIN_POSITIVE)).to_bits(), 0);
            }
        }
        assert!(!flushing());
        assert!(black_box(black_box(f32::from_bits(1)) * black_box(2.0f32)).to_bits() == 2);
        let below_one = black_box(f32::from_bits(0x3f7f_ffff));
        assert_eq!(black_box(below_one * black_box(f32::MIN_POSITIVE)), f32::MIN_POSITIVE);
    }

    #[test]
    fn scopes_nest() {
        let a = ScopedFlushDenormal::new();
        {
            let _b = ScopedFlushDenormal::new();
        }
        assert_eq!(flushing(), a.token().is_some());
        drop(a);
        assert!(!flushing());
    }
}
