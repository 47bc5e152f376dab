//! The one checked path for memory a file or a feed can size: element counts and byte sizes with
//! checked arithmetic, and a per-session memory budget (default: half of physical RAM, read from
//! `/proc/meminfo` on Linux; 4 GiB where it cannot be read). A request over the budget fails as
//! TF's allocator fails: `ResourceExhaustedError: OOM when allocating tensor with
//! shape[100000,100000] and type float on /job:localhost/replica:0/task:0/device:CPU:0 by
//! allocator cpu` — never an abort, never an empty result.
//!
//! A session runs its kernels inside [`with_budget`], which sets what it may still allocate on
//! this thread; every kernel output ([`reserve`]), random tensor and dataset table is charged
//! against it. Outside a session each single request is checked against the default budget.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, ErrorClass, Result};
use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The highest tensor rank the engine accepts (numpy's own limit is 64).
pub const MAX_RANK: usize = 32;

/// Used when physical memory cannot be read.
const FALLBACK_PHYSICAL: u64 = 8 << 30;

thread_local! {
    /// Bytes the running session may still allocate on this thread (`None`: no session runs).
    static REMAINING: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Physical memory in bytes (`MemTotal` of `/proc/meminfo`), if it can be read.
pub fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = match parts.next() {
        Some("kB") | Some("KB") => 1024,
        None => 1,
        Some(_) => return None,
    };
    n.checked_mul(unit)
}

/// A process-wide default set by [`set_default_budget`] (0: none).
static DEFAULT_OVERRIDE: AtomicU64 = AtomicU64::new(0);

/// The default per-session budget: half of physical memory (half of 8 GiB when unknown), or
/// what [`set_default_budget`] set.
pub fn default_budget() -> u64 {
    static BUDGET: OnceLock<u64> = OnceLock::new();
    match DEFAULT_OVERRIDE.load(Ordering::Relaxed) {
        0 => *BUDGET.get_or_init(|| physical_memory().unwrap_or(FALLBACK_PHYSICAL) / 2),
        set => set,
    }
}

/// Sets the default budget of every session of this process that has no `memory_limit_mb` of its
/// own (0 restores half of physical memory). The fuzzer keeps its cases small with it.
pub fn set_default_budget(bytes: u64) {
    DEFAULT_OVERRIDE.store(bytes, Ordering::Relaxed);
}

/// A session's budget in bytes: `limit_mb` megabytes (`ConfigProto.memory_limit_mb`), or the
/// default when 0.
pub fn session_budget(limit_mb: u64) -> u64 {
    if limit_mb == 0 { default_budget() } else { limit_mb.saturating_mul(1 << 20) }
}

/// Runs `f` with `bytes` as what may still be allocated on this thread (restored afterwards).
pub fn with_budget<R>(bytes: u64, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REMAINING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|r| r.replace(Some(bytes))));
    f()
}

/// Refuses a rank above [`MAX_RANK`] (`UnimplementedError`).
pub fn check_rank(rank: usize) -> Result<()> {
    if rank > MAX_RANK {
        return Err(Error::new(
            ErrorClass::Unimplemented,
            format!("Tensors of rank {rank} are not supported (the maximum is {MAX_RANK})"),
        ));
    }
    Ok(())
}

/// The number of elements of `shape`, or `None` when it overflows.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// TF's allocator failure for a tensor of `shape` and `dtype`.
pub fn oom(shape: &[usize], dtype: DType) -> Error {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    Error::new(
        ErrorClass::ResourceExhausted,
        format!(
            "OOM when allocating tensor with shape[{}] and type {} on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu",
            dims.join(","),
            dtype.runtime_name()
        ),
    )
}

/// Checks and charges a tensor of `shape` whose elements take `elem_bytes` each (`dtype` names
/// it in the error): returns its element count, or TF's OOM error when the count or size
/// overflows or the bytes exceed what the budget has left.
pub fn reserve_bytes(shape: &[usize], elem_bytes: usize, dtype: DType) -> Result<usize> {
    check_rank(shape.len())?;
    let n = element_count(shape).ok_or_else(|| oom(shape, dtype))?;
    let bytes =
        n.checked_mul(elem_bytes.max(1)).filter(|&b| b <= isize::MAX as usize).ok_or_else(|| oom(shape, dtype))?;
    let bytes = bytes as u64;
    REMAINING.with(|r| match r.get() {
        Some(left) if bytes > left => Err(oom(shape, dtype)),
        Some(left) => {
            r.set(Some(left - bytes));
            Ok(n)
        }
        None if bytes > default_budget() => Err(oom(shape, dtype)),
        None => Ok(n),
    })
}

/// [`reserve_bytes`] for a tensor of `dtype`.
pub fn reserve(shape: &[usize], dtype: DType) -> Result<usize> {
    reserve_bytes(shape, dtype.size_bytes(), dtype)
}

/// A vector of `n` copies of `x` for a tensor of `shape` (charged as `dtype`), allocated without
/// aborting: TF's OOM error when it is over the budget or the system refuses it.
pub fn filled_vec<T: Clone>(shape: &[usize], dtype: DType, x: T) -> Result<Vec<T>> {
    let n = reserve_bytes(shape, std::mem::size_of::<T>(), dtype)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| oom(shape, dtype))?;
    v.resize(n, x);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_meminfo() {
        assert_eq!(parse_meminfo("MemTotal:       16303412 kB\nMemFree: 1 kB\n"), Some(16303412 * 1024));
        assert_eq!(parse_meminfo("nothing"), None);
        assert!(default_budget() > 0);
    }

    #[test]
    fn refuses_over_budget_and_overflow_with_tf_wording() {
        let e = with_budget(1 << 30, || reserve(&[100000, 100000], DType::Float32)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ResourceExhaustedError: OOM when allocating tensor with shape[100000,100000] and type float on /job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu"
        );
        assert!(reserve(&[1 << 31, 1 << 31, 1 << 31], DType::Float32).is_err());
        assert!(reserve(&[usize::MAX], DType::Float64).is_err());
        // The budget is charged: two halves fit, a third does not.
        with_budget(1000, || {
            assert_eq!(reserve(&[125], DType::Float32).unwrap(), 125);
            assert!(reserve(&[125], DType::Float32).is_ok());
            assert!(reserve(&[1], DType::Float32).is_err());
        });
        assert_eq!(filled_vec(&[2, 3], DType::Int32, 7i32).unwrap(), vec![7; 6]);
    }
}
