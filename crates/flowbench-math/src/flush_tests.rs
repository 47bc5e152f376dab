//! Tests of the two flush policies (`lanes::Flush`): every kernel that has a hardware-flush form
//! (`*_hw`, `Hard`) against its software-flush form (`Soft`), bit for bit.
//!
//! For each input, three results: the software form on a thread in the default mode (what
//! flowbench computes off the fast path), and the hardware and software forms under
//! [`ScopedFlushDenormal`] (as the fast path runs). The two under the guard must agree on every
//! input: leaving a flush to the hardware changes nothing. The hardware result may differ from
//! the software one of the default mode only in the band of `denormal`'s documentation (a
//! result just below `f32::MIN_POSITIVE` that rounds up to it on the subnormal grid: software
//! keeps `MIN_POSITIVE`, the hardware, like TF, writes zero); each such input is re-run through
//! the scalar lane with [`Trace`], which watches every rounding step for that case, and must show
//! one.
//!
//! * `*_sampled` (normal suite): ~300 000 inputs per one-input kernel (every sign and exponent
//!   with low, high and random mantissas, the specials: ±0, ±`MIN_POSITIVE`, subnormals, ±inf,
//!   NaNs, values around each clamp and cutoff, and inputs whose results land near
//!   `MIN_POSITIVE`), 200 000 random and special pairs per gradient, random matrices for the
//!   reductions.
//! * `all_inputs_*` (`--ignored`, run them in release: `cargo test --release -p flowbench-math
//!   -- --ignored all_inputs`): all 2^32 inputs of each one-input kernel, one test per kernel.

use crate::denormal::ScopedFlushDenormal;
use crate::lanes::{self, Flush, Hard, Soft};
use std::cell::Cell;
use std::hint::black_box;

thread_local! {
    /// Set by [`Trace`] when a rounding step lands in the band.
    static BAND: Cell<bool> = const { Cell::new(false) };
}

/// The software policy, watching for the band: an `add`, `sub`, `mul` or `div` whose rounded
/// result is `±MIN_POSITIVE` while its exact value (in `f64`: exact for the first three, within
/// 2^-53 for a quotient) is smaller in magnitude; or a library result (`expf`) that is
/// `±MIN_POSITIVE` (its exact value is not known here).
#[derive(Clone, Copy)]
struct Trace;

impl Trace {
    fn check(r: f32, exact: f64) -> f32 {
        if r.abs() == f32::MIN_POSITIVE && exact.abs() < f64::from(f32::MIN_POSITIVE) {
            BAND.with(|b| b.set(true));
        }
        lanes::ftz(r)
    }
}

impl Flush for Trace {
    const SOFT: bool = true;

    fn fl(v: f32) -> f32 {
        if v.abs() == f32::MIN_POSITIVE {
            BAND.with(|b| b.set(true));
        }
        lanes::ftz(v)
    }

    fn add(a: f32, b: f32) -> f32 {
        Self::check(a + b, f64::from(a) + f64::from(b))
    }

    fn sub(a: f32, b: f32) -> f32 {
        Self::check(a - b, f64::from(a) - f64::from(b))
    }

    fn mul(a: f32, b: f32) -> f32 {
        Self::check(a * b, f64::from(a) * f64::from(b))
    }

    fn div(a: f32, b: f32) -> f32 {
        Self::check(a / b, f64::from(a) / f64::from(b))
    }
}

/// Whether the software lane `f` meets the band on this input (run in the default mode).
fn band(f: impl Fn() -> f32) -> bool {
    BAND.with(|b| b.set(false));
    black_box(f());
    BAND.with(|b| b.get())
}

type Slice1 = fn(&[f32], &mut [f32]);
type Slice2 = fn(&[f32], &[f32], &mut [f32]);

/// A one-input kernel: name, software and hardware slice forms (packets only, or one element at
/// a time for a scalar path), and its lane under [`Trace`].
struct Unary {
    name: &'static str,
    soft: Slice1,
    hard: Slice1,
    trace: fn(f32) -> f32,
}

/// Applies a scalar lane to every element (for the tail paths and the no-AVX2 fallback).
macro_rules! each {
    ($f:expr) => {
        |x: &[f32], o: &mut [f32]| {
            for (o, &v) in o.iter_mut().zip(x) {
                *o = $f(v);
            }
        }
    };
}

fn unaries() -> Vec<Unary> {
    use crate::eigen_simd as es;
    vec![
        Unary {
            name: "sigmoid packets",
            soft: es::sigmoid_packets_with::<Soft>,
            hard: es::sigmoid_packets_with::<Hard>,
            trace: lanes::sigmoid_packet_lane_with::<Trace>,
        },
        Unary {
            name: "exp packets",
            soft: es::exp_packets_with::<Soft>,
            hard: es::exp_packets_with::<Hard>,
            trace: lanes::exp_packet_lane_with::<Trace>,
        },
        Unary {
            name: "log packets",
            soft: es::log_packets_with::<Soft>,
            hard: es::log_packets_with::<Hard>,
            trace: lanes::log_packet_lane_with::<Trace>,
        },
        Unary {
            name: "tanh packets",
            soft: es::tanh_packets_with::<Soft>,
            hard: es::tanh_packets_with::<Hard>,
            trace: lanes::tanh_lane_with::<Trace>,
        },
        Unary {
            name: "reciprocal packets",
            soft: es::reciprocal_packets_with::<Soft>,
            hard: es::reciprocal_packets_with::<Hard>,
            trace: lanes::reciprocal_packet_lane_with::<Trace>,
        },
        Unary {
            name: "sigmoid tail",
            soft: each!(lanes::sigmoid_scalar_with::<Soft>),
            hard: each!(lanes::sigmoid_scalar_with::<Hard>),
            trace: lanes::sigmoid_scalar_with::<Trace>,
        },
        Unary {
            name: "exp tail",
            soft: each!(lanes::exp_scalar_with::<Soft>),
            hard: each!(lanes::exp_scalar_with::<Hard>),
            trace: lanes::exp_scalar_with::<Trace>,
        },
        Unary {
            name: "reciprocal tail",
            soft: each!(lanes::reciprocal_scalar_with::<Soft>),
            hard: each!(lanes::reciprocal_scalar_with::<Hard>),
            trace: lanes::reciprocal_scalar_with::<Trace>,
        },
        Unary {
            name: "sqrt",
            soft: each!(lanes::sqrt_lane_with::<Soft>),
            hard: each!(lanes::sqrt_lane_with::<Hard>),
            trace: lanes::sqrt_lane_with::<Trace>,
        },
        // The scalar lanes themselves (the path of a CPU without AVX2).
        Unary {
            name: "sigmoid lane",
            soft: each!(lanes::sigmoid_packet_lane_with::<Soft>),
            hard: each!(lanes::sigmoid_packet_lane_with::<Hard>),
            trace: lanes::sigmoid_packet_lane_with::<Trace>,
        },
        Unary {
            name: "exp lane",
            soft: each!(lanes::exp_packet_lane_with::<Soft>),
            hard: each!(lanes::exp_packet_lane_with::<Hard>),
            trace: lanes::exp_packet_lane_with::<Trace>,
        },
        Unary {
            name: "log lane",
            soft: each!(lanes::log_packet_lane_with::<Soft>),
            hard: each!(lanes::log_packet_lane_with::<Hard>),
            trace: lanes::log_packet_lane_with::<Trace>,
        },
        Unary {
            name: "tanh lane",
            soft: each!(lanes::tanh_lane_with::<Soft>),
            hard: each!(lanes::tanh_lane_with::<Hard>),
            trace: lanes::tanh_lane_with::<Trace>,
        },
        Unary {
            name: "reciprocal lane",
            soft: each!(lanes::reciprocal_packet_lane_with::<Soft>),
            hard: each!(lanes::reciprocal_packet_lane_with::<Hard>),
            trace: lanes::reciprocal_packet_lane_with::<Trace>,
        },
    ]
}

/// What a comparison found for one kernel.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Found {
    /// Inputs checked.
    inputs: u64,
    /// Hardware and software forms differ under the guard (must be 0).
    under_guard: u64,
    /// Hardware (guard) and software (default mode) differ, in the band (allowed).
    band: u64,
    /// Hardware (guard) and software (default mode) differ, outside the band (must be 0).
    other: u64,
    /// Both forms give a NaN with a different payload, from two NaN inputs (allowed: see
    /// [`nan_choice`]).
    nan_choice: u64,
}

impl Found {
    fn add(&mut self, o: Found) {
        self.inputs += o.inputs;
        self.under_guard += o.under_guard;
        self.band += o.band;
        self.other += o.other;
        self.nan_choice += o.nan_choice;
    }

    fn ok(&self) -> bool {
        self.under_guard == 0 && self.other == 0
    }
}

/// Runs the three forms of `u` on `x` (a multiple of 8 long) and classifies the differences.
fn compare_unary(u: &Unary, x: &[f32], soft: &mut [f32], hard: &mut [f32], soft_g: &mut [f32]) -> Found {
    (u.soft)(black_box(x), soft);
    {
        let g = ScopedFlushDenormal::new();
        assert!(g.token().is_some(), "these tests need a CPU with FTZ/DAZ");
        (u.hard)(black_box(x), hard);
        (u.soft)(black_box(x), soft_g);
        black_box((&hard, &soft_g));
    }
    let mut f = Found { inputs: x.len() as u64, ..Found::default() };
    for (((&v, &s), &h), &sg) in x.iter().zip(soft.iter()).zip(hard.iter()).zip(soft_g.iter()) {
        if h.to_bits() != sg.to_bits() {
            if f.under_guard < 5 {
                eprintln!(
                    "{}: x = {:#010x}: hardware {:#010x}, software under the guard {:#010x}",
                    u.name,
                    v.to_bits(),
                    h.to_bits(),
                    sg.to_bits()
                );
            }
            f.under_guard += 1;
        }
        if h.to_bits() != s.to_bits() {
            if band(|| (u.trace)(v)) {
                f.band += 1;
            } else {
                if f.other < 5 {
                    eprintln!(
                        "{}: x = {:#010x}: hardware {:#010x}, software {:#010x}, not the band",
                        u.name,
                        v.to_bits(),
                        h.to_bits(),
                        s.to_bits()
                    );
                }
                f.other += 1;
            }
        }
    }
    f
}

/// Whether a difference is only which of two NaN inputs comes out: both results are NaN and both
/// inputs were. Rust leaves that choice unspecified; LLVM commutes multiplies as it likes, and
/// does so differently with and without the flush steps between them (the packet paths keep
/// Eigen's operand order `pmul(dy, t)` in the software form, as TF does, but nothing pins it).
fn nan_choice(y: f32, d: f32, r1: f32, r2: f32) -> bool {
    y.is_nan() && d.is_nan() && r1.is_nan() && r2.is_nan()
}

/// xorshift64*: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

/// Bit patterns worth testing explicitly: zeros, `±MIN_POSITIVE` and its neighbours, subnormals,
/// infinities, NaNs, and ±4 ulps around the clamps and cutoffs of the kernels and around the
/// inputs whose results land near `MIN_POSITIVE` (`exp(-87.34)`, `sigmoid(-87.34)`,
/// `1 / 2^126`, `sqrt(2^-252)`).
fn specials() -> Vec<u32> {
    let mut v = vec![
        0x0000_0000,
        0x8000_0000,
        0x0000_0001,
        0x8000_0001,
        0x0000_0002,
        0x0040_0000,
        0x8040_0000,
        0x007f_ffff,
        0x807f_ffff,
        0x0080_0000,
        0x8080_0000,
        0x0080_0001,
        0x8080_0001,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0xffc0_0000,
        0x7f80_0001,
        0xff80_0001,
        0x7fbf_ffff,
        0x7fff_ffff,
        0xffff_ffff,
        0x7fc1_2345,
        0xffa5_4321,
        0x7f7f_ffff,
        0xff7f_ffff,
    ];
    let edges: [f32; 28] = [
        f32::from_bits(0x4185_1592),
        -104.0,
        104.0,
        87.0,
        -87.0,
        -87.336_55,
        -87.336_54,
        -87.33,
        88.0,
        -88.0,
        f32::from_bits(0x42b1_722d),
        -f32::from_bits(0x42b1_722d),
        f32::from_bits(0x40fd_0956),
        -f32::from_bits(0x40fd_0956),
        std::f32::consts::FRAC_1_SQRT_2,
        1.0,
        -1.0,
        0.5,
        2.0,
        127.0,
        -126.0,
        -149.0,
        278.0,
        -278.0,
        0.693_359_4,
        f32::from_bits(0x7e80_0000), // 2^126: 1 / x = MIN_POSITIVE
        f32::from_bits(0xfe80_0000),
        f32::from_bits(0x7e7f_ffff),
    ];
    for e in edges {
        for d in -4i32..=4 {
            v.push(e.to_bits().wrapping_add(d as u32));
        }
    }
    // Around `-87.3365` (exp lands at MIN_POSITIVE): every float in a small window.
    let base = (-87.34f32).to_bits();
    v.extend((0..4096).map(|d| base - 2048 + d));
    // `1 / x` near MIN_POSITIVE: x just below and above 2^126.
    v.extend((0..512).map(|d| 0x7e80_0000 - 256 + d));
    v
}

/// ~300 000 inputs: every sign and exponent with low-bit, high-bit and random mantissas, plus
/// the specials; padded to a multiple of 8.
fn sampled_inputs() -> Vec<f32> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut v = specials();
    for sign in [0u32, 0x8000_0000] {
        for exp in 0u32..256 {
            let base = sign | (exp << 23);
            for m in 0..128u32 {
                v.push(base | m);
                v.push(base | (m << 16));
                v.push(base | (0x007f_ffff - m));
                v.push(base | (rng.next_u32() & 0x007f_ffff));
            }
        }
    }
    let mut x: Vec<f32> = v.into_iter().map(f32::from_bits).collect();
    while !x.len().is_multiple_of(8) {
        x.push(0.0);
    }
    x
}

#[test]
fn unary_kernels_sampled() {
    let x = sampled_inputs();
    let n = x.len();
    let (mut s, mut h, mut g) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut all_ok = true;
    for u in unaries() {
        let f = compare_unary(&u, &x, &mut s, &mut h, &mut g);
        eprintln!("{:>20}: {f:?}", u.name);
        all_ok &= f.ok();
    }
    assert!(all_ok, "hardware and software flush forms differ (see above)");
}

/// All 2^32 inputs of one kernel (chunks of 2^16 over the available threads).
fn all_inputs(name: &str) {
    const CHUNK: u64 = 1 << 16;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let start = std::time::Instant::now();
    let total = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                sc.spawn(move || {
                    let u = unaries().into_iter().find(|u| u.name == name).expect("kernel");
                    let mut x = vec![0.0f32; CHUNK as usize];
                    let (mut s, mut h, mut g) = (x.clone(), x.clone(), x.clone());
                    let mut found = Found::default();
                    let mut c = t;
                    while c < (1u64 << 32) / CHUNK {
                        for (i, v) in x.iter_mut().enumerate() {
                            *v = f32::from_bits((c * CHUNK + i as u64) as u32);
                        }
                        found.add(compare_unary(&u, &x, &mut s, &mut h, &mut g));
                        c += threads;
                    }
                    found
                })
            })
            .collect();
        let mut total = Found::default();
        for h in handles {
            total.add(h.join().expect("worker"));
        }
        total
    });
    eprintln!("{name}: all 2^32 inputs: {total:?} ({:.1} s)", start.elapsed().as_secs_f64());
    assert!(total.ok(), "{name}: {total:?}");
}

macro_rules! exhaustive {
    ($($test:ident: $name:literal,)*) => {
        $(
            #[test]
            #[ignore = "all 2^32 inputs; run in release: cargo test --release -p flowbench-math -- --ignored all_inputs"]
            fn $test() {
                all_inputs($name);
            }
        )*
    };
}

exhaustive! {
    all_inputs_sigmoid_packets: "sigmoid packets",
    all_inputs_exp_packets: "exp packets",
    all_inputs_log_packets: "log packets",
    all_inputs_tanh_packets: "tanh packets",
    all_inputs_reciprocal_packets: "reciprocal packets",
    all_inputs_sigmoid_tail: "sigmoid tail",
    all_inputs_exp_tail: "exp tail",
    all_inputs_reciprocal_tail: "reciprocal tail",
    all_inputs_sqrt: "sqrt",
    all_inputs_sigmoid_lane: "sigmoid lane",
    all_inputs_exp_lane: "exp lane",
    all_inputs_log_lane: "log lane",
    all_inputs_tanh_lane: "tanh lane",
    all_inputs_reciprocal_lane: "reciprocal lane",
}

/// `n` random pairs (random bits, values in the usual ranges, specials, tiny values) plus every
/// pair of a few specials; padded to a multiple of 8.
fn sampled_pairs(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let sp = specials();
    let mut rng = Rng(seed);
    let draw = |rng: &mut Rng| -> f32 {
        match rng.next_u32() % 5 {
            0 => f32::from_bits(rng.next_u32()),
            1 => (rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 0.5,
            2 => f32::from_bits(sp[(rng.next_u32() as usize) % sp.len()]),
            3 => f32::from_bits(rng.next_u32() & 0x807f_ffff | (rng.next_u32() % 40) << 23), // tiny
            _ => f32::from_bits(rng.next_u32() & 0x807f_ffff | (50 + rng.next_u32() % 40) << 23), // small
        }
    };
    let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        a.push(draw(&mut rng));
        b.push(draw(&mut rng));
    }
    for &s in &sp[..26] {
        for &t in &sp[..26] {
            a.push(f32::from_bits(s));
            b.push(f32::from_bits(t));
        }
    }
    while !a.len().is_multiple_of(8) {
        a.push(0.0);
        b.push(0.0);
    }
    (a, b)
}

/// A two-input kernel: software and hardware slice forms, the length of the pieces they run on
/// (a whole slice function on 13 elements runs one packet and a 5-element tail), and the
/// software formulas of its packet and tail paths under [`Trace`].
struct Binary {
    name: &'static str,
    soft: Slice2,
    hard: Slice2,
    piece: usize,
    packet: fn(f32, f32) -> f32,
    tail: fn(f32, f32) -> f32,
}

fn binaries() -> Vec<Binary> {
    use crate::eigen as em;
    use crate::eigen_simd as es;
    let sigmoid_grad_tail = |y: f32, d: f32| {
        let (y, d) = (Trace::fl(y), Trace::fl(d));
        Trace::mul(Trace::mul(d, y), Trace::sub(1.0, y))
    };
    let sqrt_grad_packet = |y: f32, d: f32| {
        let (y, d) = (Trace::fl(y), Trace::fl(d));
        if d == 0.0 { 0.0 } else { Trace::mul(Trace::div(0.5, y), d) }
    };
    let sqrt_grad_tail = |y: f32, d: f32| {
        let (y, d) = (Trace::fl(y), Trace::fl(d));
        if d == 0.0 { 0.0 } else { Trace::div(Trace::mul(0.5, d), y) }
    };
    let reciprocal_grad = |y: f32, d: f32| {
        let (y, d) = (Trace::fl(y), Trace::fl(d));
        if d == 0.0 { 0.0 } else { Trace::mul(-Trace::mul(y, y), d) }
    };
    vec![
        Binary {
            name: "sigmoid_grad packets",
            soft: es::sigmoid_grad_packets_with::<Soft>,
            hard: es::sigmoid_grad_packets_with::<Hard>,
            piece: 8,
            packet: lanes::sigmoid_grad_packet_lane_with::<Trace>,
            tail: lanes::sigmoid_grad_packet_lane_with::<Trace>,
        },
        Binary {
            name: "tanh_grad packets",
            soft: es::tanh_grad_packets_with::<Soft>,
            hard: es::tanh_grad_packets_with::<Hard>,
            piece: 8,
            packet: lanes::tanh_grad_packet_lane_with::<Trace>,
            tail: lanes::tanh_grad_packet_lane_with::<Trace>,
        },
        Binary {
            name: "sigmoid_grad_f32",
            soft: em::sigmoid_grad_f32,
            hard: em::sigmoid_grad_with::<Hard>,
            piece: 13,
            packet: lanes::sigmoid_grad_packet_lane_with::<Trace>,
            tail: sigmoid_grad_tail,
        },
        Binary {
            name: "tanh_grad_f32",
            soft: em::tanh_grad_f32,
            hard: em::tanh_grad_with::<Hard>,
            piece: 13,
            packet: lanes::tanh_grad_packet_lane_with::<Trace>,
            tail: lanes::tanh_grad_packet_lane_with::<Trace>,
        },
        Binary {
            name: "sqrt_grad_f32",
            soft: em::sqrt_grad_f32,
            hard: em::sqrt_grad_with::<Hard>,
            piece: 13,
            packet: sqrt_grad_packet,
            tail: sqrt_grad_tail,
        },
        Binary {
            name: "reciprocal_grad_f32",
            soft: em::reciprocal_grad_f32,
            hard: em::reciprocal_grad_with::<Hard>,
            piece: 13,
            packet: reciprocal_grad,
            tail: reciprocal_grad,
        },
    ]
}

/// Runs the three forms of `k` on the pairs and classifies the differences.
fn compare_binary(k: &Binary, a: &[f32], b: &[f32]) -> Found {
    let n = a.len();
    let (mut s, mut h, mut g) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let run = |f: Slice2, out: &mut [f32]| {
        for ((x, y), o) in a.chunks(k.piece).zip(b.chunks(k.piece)).zip(out.chunks_mut(k.piece)) {
            f(black_box(x), black_box(y), o);
        }
    };
    run(k.soft, &mut s);
    {
        let guard = ScopedFlushDenormal::new();
        assert!(guard.token().is_some(), "these tests need a CPU with FTZ/DAZ");
        run(k.hard, &mut h);
        run(k.soft, &mut g);
        black_box((&h, &g));
    }
    let mut f = Found { inputs: n as u64, ..Found::default() };
    for (i, (&y, &d)) in a.iter().zip(b).enumerate() {
        if h[i].to_bits() != s[i].to_bits() && nan_choice(y, d, h[i], s[i]) {
            f.nan_choice += 1;
            continue;
        }
        if h[i].to_bits() != g[i].to_bits() {
            if f.under_guard < 5 {
                eprintln!(
                    "{}: ({:#010x}, {:#010x}): hardware {:#010x}, software under the guard {:#010x}",
                    k.name,
                    y.to_bits(),
                    d.to_bits(),
                    h[i].to_bits(),
                    g[i].to_bits()
                );
            }
            f.under_guard += 1;
        }
        if h[i].to_bits() != s[i].to_bits() {
            let trace = if i % k.piece >= 8 { k.tail } else { k.packet };
            if band(|| trace(y, d)) {
                f.band += 1;
            } else {
                if f.other < 5 {
                    eprintln!(
                        "{}: ({:#010x}, {:#010x}): hardware {:#010x}, software {:#010x}, not the band",
                        k.name,
                        y.to_bits(),
                        d.to_bits(),
                        h[i].to_bits(),
                        s[i].to_bits()
                    );
                }
                f.other += 1;
            }
        }
    }
    f
}

#[test]
fn binary_kernels_sampled() {
    let (a, b) = sampled_pairs(200_000, 0x1234_5678_9abc_def1);
    let mut all_ok = true;
    for k in binaries() {
        let f = compare_binary(&k, &a, &b);
        eprintln!("{:>20}: {f:?}", k.name);
        all_ok &= f.ok();
    }
    assert!(all_ok, "hardware and software flush forms differ (see above)");
}

#[test]
#[ignore = "long: 100 million pairs per gradient; run in release"]
fn all_inputs_binary_kernels_many_pairs() {
    let start = std::time::Instant::now();
    let (a, b) = sampled_pairs(100_000_000, 0x0bad_cafe_f00d_d00d);
    let mut all_ok = true;
    for k in binaries() {
        let f = compare_binary(&k, &a, &b);
        eprintln!("{:>20}: {f:?}", k.name);
        all_ok &= f.ok();
    }
    eprintln!("{:.1} s", start.elapsed().as_secs_f64());
    assert!(all_ok, "hardware and software flush forms differ (see above)");
}

/// The public forms that take the token, on every length from 0 to 40 (packets and tails), and
/// the reductions on random matrices with subnormals, zeros and values that cancel.
#[test]
fn slice_functions_and_reductions() {
    use crate::eigen as em;
    let x = sampled_inputs();
    let (a, b) = sampled_pairs(20_000, 7);
    type Pair = (Slice1, fn(&[f32], &mut [f32], crate::denormal::HwFtz<'_>));
    let unary: [Pair; 6] = [
        (em::sigmoid_f32, em::sigmoid_f32_hw),
        (em::exp_f32, em::exp_f32_hw),
        (em::log_f32, em::log_f32_hw),
        (em::tanh_f32, em::tanh_f32_hw),
        (em::reciprocal_f32, em::reciprocal_f32_hw),
        (em::sqrt_f32, em::sqrt_f32_hw),
    ];
    type Pair2 = (Slice2, fn(&[f32], &[f32], &mut [f32], crate::denormal::HwFtz<'_>));
    let binary: [Pair2; 4] = [
        (em::sigmoid_grad_f32, em::sigmoid_grad_f32_hw),
        (em::tanh_grad_f32, em::tanh_grad_f32_hw),
        (em::sqrt_grad_f32, em::sqrt_grad_f32_hw),
        (em::reciprocal_grad_f32, em::reciprocal_grad_f32_hw),
    ];
    let guard = ScopedFlushDenormal::new();
    let t = guard.token().expect("these tests need a CPU with FTZ/DAZ");
    for len in 0..=40 {
        let (mut s, mut h) = (vec![0.0; len], vec![0.0; len]);
        for (i, (soft, hard)) in unary.iter().enumerate() {
            for xs in x.chunks_exact(len.max(1)).take(2000) {
                let xs = &xs[..len];
                soft(black_box(xs), &mut s);
                hard(black_box(xs), &mut h, t);
                assert!(
                    s.iter().zip(&h).all(|(p, q)| p.to_bits() == q.to_bits()),
                    "unary function {i}, length {len}: {xs:?}"
                );
            }
        }
        for (i, (soft, hard)) in binary.iter().enumerate() {
            for (ys, ds) in a.chunks_exact(len.max(1)).zip(b.chunks_exact(len.max(1))).take(500) {
                let (ys, ds) = (&ys[..len], &ds[..len]);
                soft(black_box(ys), black_box(ds), &mut s);
                hard(black_box(ys), black_box(ds), &mut h, t);
                assert!(s.iter().zip(&h).all(|(p, q)| p.to_bits() == q.to_bits()), "binary function {i}, length {len}");
            }
        }
    }
    // Reductions: values of mixed magnitudes (so that partial sums cancel into the subnormal
    // range), subnormals and zeros.
    let mut rng = Rng(99);
    let mut draw = || -> f32 {
        let r = rng.next_u32();
        let m = rng.next_u32() & 0x807f_ffff;
        match r % 4 {
            0 => f32::from_bits(m),               // subnormal or zero
            1 => f32::from_bits(m | 0x0080_0000), // just above MIN_POSITIVE
            2 => f32::from_bits(m | (1 + r % 3) << 23),
            _ => f32::from_bits(rng.next_u32() & 0x807f_ffff | (100 + r % 60) << 23),
        }
    };
    for rows in [1usize, 2, 3, 8, 10, 15, 16, 17, 33, 100] {
        for cols in [1usize, 2, 3, 7, 8, 9, 16, 17, 24] {
            for _ in 0..20 {
                let m: Vec<f32> = (0..rows * cols).map(|_| draw()).collect();
                let (mut s, mut h) = (vec![0.0; cols], vec![0.0; cols]);
                em::sum_rows_f32(black_box(&m), rows, cols, &mut s);
                em::sum_rows_f32_hw(black_box(&m), rows, cols, &mut h, t);
                assert!(s.iter().zip(&h).all(|(p, q)| p.to_bits() == q.to_bits()), "sum_rows {rows}x{cols}");
                let (s1, h1) = (em::sum_f32(black_box(&m)), em::sum_f32_hw(black_box(&m), t));
                assert_eq!(s1.to_bits(), h1.to_bits(), "sum {rows}x{cols}");
            }
        }
    }
    // Softmax cross-entropy: logits from -60 to 60 with subnormals and zeros among them (whose
    // exponentials underflow past the subnormals), labels in [0, 1].
    let mut scratch = Vec::new();
    for rows in [1usize, 3, 13] {
        for classes in [1usize, 2, 7, 8, 9, 10, 17] {
            let n = rows * classes;
            let x: Vec<f32> = (0..n)
                .map(|i| match rng.next_u32() % 5 {
                    0 => f32::from_bits(rng.next_u32() & 0x807f_ffff),
                    _ => (rng.next_u32() % 12_001) as f32 / 100.0 - 60.0 + (i % 3) as f32 * 0.25,
                })
                .collect();
            let z: Vec<f32> = (0..n).map(|_| (rng.next_u32() % 1001) as f32 / 1000.0).collect();
            let (mut ls, mut bs, mut lh, mut bh) = (vec![0.0; rows], vec![0.0; n], vec![0.0; rows], vec![0.0; n]);
            em::softmax_xent_f32(black_box(&z), black_box(&x), classes, &mut ls, &mut bs, &mut scratch);
            em::softmax_xent_f32_hw(black_box(&z), black_box(&x), classes, &mut lh, &mut bh, &mut scratch, t);
            let same = |p: &[f32], q: &[f32]| p.iter().zip(q).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same(&ls, &lh) && same(&bs, &bh), "softmax_xent {rows}x{classes}");
        }
    }
    drop(guard);
}

/// The band itself, on inputs made to land in it: the hardware form gives zero where the software
/// one (in the default mode) keeps `MIN_POSITIVE`, [`Trace`] sees it, and the comparisons above
/// count it as the band.
#[test]
fn the_band_is_the_only_difference() {
    // TanhGrad: `1 - y * y` with `y = 2^-12` is `1 - 2^-24`, times `dy = MIN_POSITIVE`: exactly
    // `MIN_POSITIVE - 2^-150`. SigmoidGrad: `y * (1 - y) = 0.25`, times `dy = (1 - 2^-24) 2^-124`.
    let cases: [(usize, f32, f32); 2] =
        [(1, f32::from_bits(0x3980_0000), f32::MIN_POSITIVE), (0, 0.5, f32::from_bits(0x017f_ffff))];
    let kernels = binaries();
    for (k, y, d) in cases {
        let kernel = &kernels[k];
        let (ys, ds) = ([y; 8], [d; 8]);
        let (mut s, mut h) = ([0.0f32; 8], [0.0f32; 8]);
        (kernel.soft)(black_box(&ys), black_box(&ds), &mut s);
        {
            let _g = ScopedFlushDenormal::new();
            (kernel.hard)(black_box(&ys), black_box(&ds), &mut h);
            black_box(&h);
        }
        assert_eq!(s[0], f32::MIN_POSITIVE, "{}", kernel.name);
        assert_eq!(h[0].to_bits(), 0, "{}", kernel.name);
        assert!(band(|| (kernel.packet)(y, d)), "{}", kernel.name);
        let (ya, da) = (vec![y; 16], vec![d; 16]);
        let f = compare_binary(kernel, &ya, &da);
        assert_eq!(f, Found { inputs: 16, band: 16, ..Found::default() }, "{}", kernel.name);
    }
}
