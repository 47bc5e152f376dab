//! Bit-exact random number generation for the engine's stateful random ops.
//!
//! This module owns everything needed to reproduce, bit for bit and on any platform,
//! what TensorFlow 1.x's CPU kernels `RandomStandardNormal`, `TruncatedNormal` and
//! `RandomUniform` produce, plus numpy's legacy `RandomState(seed).rand(...)`:
//!
//! * [`derive_seeds`]: the Python-layer rule that turns a graph seed and an op seed into the
//!   op's `(seed, seed2)` attributes.
//! * [`Philox`]: the Philox4x32-10 counter-based generator each kernel instance owns, including
//!   TF's `Skip` carry behaviour and the per-run reservation of `N * 256` blocks
//!   ([`Philox::reserve_run`]).
//! * [`glibc_logf`] and [`glibc_sincosf`]: ports of the glibc (>= 2.28) float `logf` and
//!   `sincosf` algorithms, which are not correctly rounded but must be matched exactly because
//!   the TF kernel calls them during Box–Muller.
//! * The distribution fillers ([`standard_normal_f32`], [`truncated_normal_f32`],
//!   [`uniform_f32`] and their `f64` twins) that turn a run's base generator into output values
//!   in row-major order.
//! * [`RandomState`]: numpy's legacy MT19937 generator with `random_sample` / `rand`, and
//!   `shuffle` / `permutation` with numpy's bounded-integer rule (`random_interval`).
//!
//! Everything is pure integer and IEEE arithmetic with one rounding per operation (Rust never
//! contracts `a * b + c` into a fused multiply-add), so results do not depend on the platform
//! or on the number of threads. The one exception is the `f64` normal distributions, which use
//! the platform's double `ln`, `sin` and `cos` exactly as TF does; they match TF bit for bit where
//! those come from glibc (Linux), and may differ in the last bit elsewhere.
//!
//! Post-processing (`Mul` by stddev, `Add` of mean, the uniform range) is separate graph ops in
//! TF; [`scale_and_shift_f32`] and [`scale_and_shift_f64`] apply it with the same roundings.

/// Graph seed TF uses when only an op-level seed is given (`DEFAULT_GRAPH_SEED`).
pub const DEFAULT_GRAPH_SEED: i64 = 87_654_321;

/// `2^31 - 1`; seeds are reduced modulo this value (TF's `_MAXINT32`).
pub const MAXINT32: i64 = 2_147_483_647;

/// Philox blocks each kernel run reserves per output element.
pub const RESERVED_SAMPLES_PER_OUTPUT: u64 = 256;

/// Computes the `(seed, seed2)` op attributes from the graph-level seed and the op-level seed,
/// following TF's `random_seed.get_seed`.
///
/// * no graph seed, no op seed: `(0, 0)`, which the kernels treat as "nondeterministic";
/// * no graph seed, op seed `s`: `(87654321, s mod 2^31-1)`;
/// * graph seed `g`, op seed `s`: `(g mod 2^31-1, s mod 2^31-1)`;
/// * graph seed `g`, no op seed: `(g mod 2^31-1, auto mod 2^31-1)`.
///
/// `auto` is the automatic op-seed counter value to use when the graph seed is set and the op
/// seed is `None` (TF 1.x: the graph's `_last_id`; TF 2.x graph mode: 0, 1, 2, ...). The modulo
/// is the non-negative (Python) one. A resulting `(0, 0)` becomes `(0, 2147483647)`.
pub fn derive_seeds(graph_seed: Option<i64>, op_seed: Option<i64>, auto: i64) -> (i64, i64) {
    let seeds = match (graph_seed, op_seed) {
        (None, None) => return (0, 0),
        (None, Some(s)) => (DEFAULT_GRAPH_SEED, s.rem_euclid(MAXINT32)),
        (Some(g), s) => (g.rem_euclid(MAXINT32), s.unwrap_or(auto).rem_euclid(MAXINT32)),
    };
    if seeds == (0, 0) { (0, MAXINT32) } else { seeds }
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10
// ---------------------------------------------------------------------------------------------

const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;
const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;

/// Computes one Philox4x32-10 block from a 128-bit counter (4 words, least significant first)
/// and a 64-bit key (2 words), without touching any generator state.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c0);
        let p1 = u64::from(PHILOX_M1) * u64::from(c2);
        let n0 = ((p1 >> 32) as u32) ^ c1 ^ k0;
        let n1 = p1 as u32;
        let n2 = ((p0 >> 32) as u32) ^ c3 ^ k1;
        let n3 = p0 as u32;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
    }
    [c0, c1, c2, c3]
}

/// One Philox generator (key + 128-bit counter), the state of one TF random kernel instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Philox {
    key: [u32; 2],
    counter: [u32; 4],
}

impl Philox {
    /// Creates the generator a kernel with attributes `(seed, seed2)` starts from: key
    /// `(low32(seed), high32(seed))`, counter `(0, 0, low32(seed2), high32(seed2))`, with the
    /// attributes reinterpreted as two's-complement `u64`.
    ///
    /// If both are 0 (TF's "nondeterministic"), two random 64-bit values are used instead.
    pub fn from_seeds(seed: i64, seed2: i64) -> Philox {
        let (s, s2) = if seed == 0 && seed2 == 0 {
            (rand::random::<u64>(), rand::random::<u64>())
        } else {
            (seed as u64, seed2 as u64)
        };
        Philox { key: [s as u32, (s >> 32) as u32], counter: [0, 0, s2 as u32, (s2 >> 32) as u32] }
    }

    /// Creates a generator from a raw key and counter (words least significant first).
    pub fn from_parts(key: [u32; 2], counter: [u32; 4]) -> Philox {
        Philox { key, counter }
    }

    /// The 64-bit key as two 32-bit words, least significant first.
    pub fn key(&self) -> [u32; 2] {
        self.key
    }

    /// The 128-bit counter as four 32-bit words, least significant first.
    pub fn counter(&self) -> [u32; 4] {
        self.counter
    }

    /// Produces the block for the current counter, then increments the 128-bit counter by one.
    #[inline]
    pub fn next_block(&mut self) -> [u32; 4] {
        let out = philox4x32_10(self.counter, self.key);
        for word in &mut self.counter {
            *word = word.wrapping_add(1);
            if *word != 0 {
                break;
            }
        }
        out
    }

    /// Advances the counter by `blocks`, with TF's `PhiloxRandom::Skip` carry rules.
    pub fn skip(&mut self, blocks: u64) {
        let lo = blocks as u32;
        let mut hi = (blocks >> 32) as u32;
        let c = &mut self.counter;
        c[0] = c[0].wrapping_add(lo);
        if c[0] < lo {
            hi = hi.wrapping_add(1);
        }
        c[1] = c[1].wrapping_add(hi);
        if c[1] < hi {
            c[2] = c[2].wrapping_add(1);
            if c[2] == 0 {
                c[3] = c[3].wrapping_add(1);
            }
        }
    }

    /// Reserve N*256 blocks for one kernel run: returns the base generator and advances self (SPEC 3.2).
    ///
    /// `num_elements` is the number of output elements of the run (not the number of groups).
    /// Call this once per execution of a node, then pass the returned base generator to one
    /// of the distribution fillers.
    pub fn reserve_run(&mut self, num_elements: usize) -> Philox {
        let base = *self;
        self.skip((num_elements as u64).wrapping_mul(RESERVED_SAMPLES_PER_OUTPUT));
        base
    }
}

// ---------------------------------------------------------------------------------------------
// Uniform helpers
// ---------------------------------------------------------------------------------------------

/// `[0, 1)` float from the low 23 bits of `x` (TF's `Uint32ToFloat`): exactly
/// `(x & 0x7FFFFF) * 2^-23`.
#[inline]
pub fn u32_to_f32(x: u32) -> f32 {
    f32::from_bits(0x3F80_0000 | (x & 0x007F_FFFF)) - 1.0
}

/// `[0, 1)` double from 52 bits (TF's `Uint64ToDouble`): mantissa
/// `((x0 & 0xFFFFF) << 32) | x1` with exponent 1023, minus 1.
#[inline]
pub fn u64_to_f64(x0: u32, x1: u32) -> f64 {
    let mantissa = (u64::from(x0 & 0x000F_FFFF) << 32) | u64::from(x1);
    f64::from_bits((1023u64 << 52) | mantissa) - 1.0
}

// ---------------------------------------------------------------------------------------------
// glibc logf
// ---------------------------------------------------------------------------------------------

/// `(1/c, log c)` for the 16 subintervals of glibc's `logf`.
const LOGF_TAB: [(f64, f64); 16] = [
    (f64::from_bits(0x3ff6_61ec_79f8_f3be), f64::from_bits(0xbfd5_7bf7_808c_aade)),
    (f64::from_bits(0x3ff5_71ed_4aaf_883d), f64::from_bits(0xbfd2_bef0_a7c0_6ddb)),
    (f64::from_bits(0x3ff4_9539_f0f0_10b0), f64::from_bits(0xbfd0_1eae_7f51_3a67)),
    (f64::from_bits(0x3ff3_c995_b0b8_0385), f64::from_bits(0xbfcb_31d8_a682_24e9)),
    (f64::from_bits(0x3ff3_0d19_0c88_64a5), f64::from_bits(0xbfc6_574f_0ac0_7758)),
    (f64::from_bits(0x3ff2_5e22_7b0b_8ea0), f64::from_bits(0xbfc1_aa2b_c79c_8100)),
    (f64::from_bits(0x3ff1_bb4a_4a1a_343f), f64::from_bits(0xbfba_4e76_ce8c_0e5e)),
    (f64::from_bits(0x3ff1_2358_f08a_e5ba), f64::from_bits(0xbfb1_973c_5a61_1ccc)),
    (f64::from_bits(0x3ff0_953f_4199_00a7), f64::from_bits(0xbfa2_52f4_38e1_0c1e)),
    (1.0, 0.0),
    (f64::from_bits(0x3fee_608c_fd9a_47ac), f64::from_bits(0x3faa_a5aa_5df2_5984)),
    (f64::from_bits(0x3fec_a4b3_1f02_6aa0), f64::from_bits(0x3fbc_5e53_aa36_2eb4)),
    (f64::from_bits(0x3feb_2036_576a_fce6), f64::from_bits(0x3fc5_26e5_7720_db08)),
    (f64::from_bits(0x3fe9_c2d1_63a1_aa2d), f64::from_bits(0x3fcb_c286_0d22_4770)),
    (f64::from_bits(0x3fe8_86e6_0378_41ed), f64::from_bits(0x3fd1_058b_c8a0_7ee1)),
    (f64::from_bits(0x3fe7_67dc_f553_4862), f64::from_bits(0x3fd4_0430_57b6_ee09)),
];
const LOGF_LN2: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
const LOGF_A0: f64 = f64::from_bits(0xbfd0_0ea3_48b8_8334);
const LOGF_A1: f64 = f64::from_bits(0x3fd5_575b_0be0_0b6a);
const LOGF_A2: f64 = f64::from_bits(0xbfdf_fffe_f20a_4123);
const LOGF_OFF: u32 = 0x3F33_0000;

/// Natural logarithm of a float32, computed with glibc's (>= 2.27, ARM optimized-routines)
/// algorithm so that the result matches glibc's `logf` bit for bit, on every platform.
///
/// Defined for all inputs: `logf(1) = 0`, `logf(±0) = -inf`, `logf(inf) = inf`, negative or
/// NaN inputs give NaN, subnormals are normalized first (as glibc does).
pub fn glibc_logf(x: f32) -> f32 {
    let mut ix = x.to_bits();
    if ix == 0x3F80_0000 {
        return 0.0;
    }
    if ix.wrapping_sub(0x0080_0000) >= 0x7F80_0000 - 0x0080_0000 {
        // Zero, subnormal, negative, infinite or NaN.
        if ix.wrapping_mul(2) == 0 {
            return f32::NEG_INFINITY;
        }
        if ix == 0x7F80_0000 {
            return x;
        }
        if (ix & 0x8000_0000) != 0 || ix.wrapping_mul(2) >= 0xFF00_0000 {
            // Negative or NaN (glibc's NaN payload is not reproduced).
            return f32::NAN;
        }
        // Positive subnormal: scale into the normal range.
        ix = (x * f32::from_bits(0x4B00_0000)).to_bits(); // x * 2^23
        ix = ix.wrapping_sub(23 << 23);
    }
    let tmp = ix.wrapping_sub(LOGF_OFF);
    let i = ((tmp >> 19) & 15) as usize;
    let k = (tmp as i32) >> 23;
    let iz = ix.wrapping_sub(tmp & 0xFF80_0000);
    let (invc, logc) = LOGF_TAB[i];
    let z = f64::from(f32::from_bits(iz));
    let r = z * invc - 1.0;
    let y0 = logc + f64::from(k) * LOGF_LN2;
    let r2 = r * r;
    let y = LOGF_A1 * r + LOGF_A2;
    let y = LOGF_A0 * r2 + y;
    let y = y * r2 + (y0 + r);
    y as f32
}

// ---------------------------------------------------------------------------------------------
// glibc sincosf
// ---------------------------------------------------------------------------------------------

/// Coefficients of one of glibc's two `sincosf` polynomial tables.
struct SinCosTable {
    c0: f64,
    c1: f64,
    c2: f64,
    c3: f64,
    c4: f64,
    s1: f64,
    s2: f64,
    s3: f64,
}

const SC_C1: f64 = f64::from_bits(0xbfdf_ffff_fd0c_621c);
const SC_C2: f64 = f64::from_bits(0x3fa5_5553_e106_8f19);
const SC_C3: f64 = f64::from_bits(0xbf56_c087_e89a_359d);
const SC_C4: f64 = f64::from_bits(0x3ef9_9343_027b_f8c3);
const SC_S1: f64 = f64::from_bits(0xbfc5_5554_5995_a603);
const SC_S2: f64 = f64::from_bits(0x3f81_1076_0523_0bc4);
const SC_S3: f64 = f64::from_bits(0xbf29_94eb_3774_cf24);

/// Index 0: the plain table; index 1: the cosine polynomial negated.
const SC_TABLES: [SinCosTable; 2] = [
    SinCosTable { c0: 1.0, c1: SC_C1, c2: SC_C2, c3: SC_C3, c4: SC_C4, s1: SC_S1, s2: SC_S2, s3: SC_S3 },
    SinCosTable { c0: -1.0, c1: -SC_C1, c2: -SC_C2, c3: -SC_C3, c4: -SC_C4, s1: SC_S1, s2: SC_S2, s3: SC_S3 },
];
const SC_SIGN: [f64; 4] = [1.0, -1.0, -1.0, 1.0];
/// 2/pi * 2^24.
const SC_HPI_INV: f64 = f64::from_bits(0x4164_5f30_6dc9_c883);
/// pi/2.
const SC_HPI: f64 = f64::from_bits(0x3ff9_21fb_5444_2d18);
/// 2*pi * 2^-64.
const SC_PI63: f64 = f64::from_bits(0x3c19_21fb_5444_2d18);
/// 4/pi to 192 bits, 8 new bits per entry.
const SC_INV_PIO4: [u32; 24] = [
    0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529, 0x441529fc, 0x1529fc27,
    0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0, 0x34ddc0db, 0xddc0db62, 0xc0db6295,
    0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
];

#[inline]
fn abstop12(bits: u32) -> u32 {
    (bits >> 20) & 0x7FF
}

/// glibc's `sincosf_poly`: sine and cosine polynomials on the reduced argument, with the two
/// results swapped for odd quadrants.
#[inline]
fn sincosf_poly(x: f64, x2: f64, p: &SinCosTable, n: i32) -> (f32, f32) {
    let x4 = x2 * x2;
    let x3 = x2 * x;
    let c2 = p.c3 + x2 * p.c4;
    let s1 = p.s2 + x2 * p.s3;
    let c1 = p.c0 + x2 * p.c1;
    let x5 = x3 * x2;
    let x6 = x4 * x2;
    let s = x + x3 * p.s1;
    let c = c1 + x4 * p.c2;
    let sin_val = (s + x5 * s1) as f32;
    let cos_val = (c + x6 * c2) as f32;
    if n & 1 != 0 { (cos_val, sin_val) } else { (sin_val, cos_val) }
}

/// glibc's `reduce_large`: reduces `|y| >= 120` using 4/pi to 192 bits. Returns the reduced
/// argument and the quadrant (0..=3).
#[inline]
fn sincosf_reduce_large(bits: u32) -> (f64, i32) {
    let idx = ((bits >> 26) & 15) as usize;
    let shift = (bits >> 23) & 7;
    let xi = ((bits & 0x00FF_FFFF) | 0x0080_0000).wrapping_shl(shift);
    // The first product is 32-bit in C (only its low word survives the shift below).
    let res0 = u64::from(xi.wrapping_mul(SC_INV_PIO4[idx]));
    let res1 = u64::from(xi) * u64::from(SC_INV_PIO4[idx + 4]);
    let res2 = u64::from(xi) * u64::from(SC_INV_PIO4[idx + 8]);
    let mut res = (res2 >> 32) | (res0 << 32);
    res = res.wrapping_add(res1);
    let n = res.wrapping_add(1u64 << 61) >> 62;
    res = res.wrapping_sub(n << 62);
    ((res as i64) as f64 * SC_PI63, n as i32)
}

/// Sine and cosine of a float32, computed with glibc's (>= 2.28, ARM optimized-routines)
/// `sincosf` algorithm so that both results match glibc bit for bit, on every platform.
/// Returns `(sin(y), cos(y))`.
///
/// Defined for all inputs (large arguments use the 192-bit reduction; infinities and NaN give
/// NaN for both).
pub fn glibc_sincosf(y: f32) -> (f32, f32) {
    let bits = y.to_bits();
    let top = abstop12(bits);
    let x = f64::from(y);
    if top < 0x3F4 {
        // |y| < pi/4 (approximately).
        if top < 0x398 {
            // |y| < 2^-12.
            return (y, 1.0);
        }
        sincosf_poly(x, x * x, &SC_TABLES[0], 0)
    } else if top < 0x42F {
        // |y| < 120: fast reduction.
        let r = x * SC_HPI_INV;
        let n = (r as i32).wrapping_add(0x0080_0000) >> 24;
        let xr = x - f64::from(n) * SC_HPI;
        let s = SC_SIGN[(n & 3) as usize];
        let table = &SC_TABLES[usize::from(n & 2 != 0)];
        sincosf_poly(xr * s, xr * xr, table, n)
    } else if top < 0x7F8 {
        let (xr, n) = sincosf_reduce_large(bits);
        let quadrant = n.wrapping_add((bits >> 31) as i32);
        let s = SC_SIGN[(quadrant & 3) as usize];
        let table = &SC_TABLES[usize::from(quadrant & 2 != 0)];
        sincosf_poly(xr * s, xr * xr, table, n)
    } else {
        // Infinity or NaN (glibc's NaN payload is not reproduced).
        (f32::NAN, f32::NAN)
    }
}

// ---------------------------------------------------------------------------------------------
// Box–Muller
// ---------------------------------------------------------------------------------------------

/// `2*pi` in double precision.
const TWO_PI_D: f64 = f64::from_bits(0x4019_21fb_5444_2d18);
/// The float32 nearest to `1e-7` (bits `0x33D6BF95`).
const EPS_F32: f32 = 1.0e-7;
const EPS_F64: f64 = 1.0e-7;

/// TF's float32 Box–Muller transform: two uint32 words in, two standard normals out, sine
/// branch first. Uses [`glibc_logf`] and [`glibc_sincosf`].
#[inline]
pub fn box_muller_f32(x0: u32, x1: u32) -> (f32, f32) {
    let mut u1 = u32_to_f32(x0);
    if u1 < EPS_F32 {
        u1 = EPS_F32;
    }
    let v1 = (TWO_PI_D * f64::from(u32_to_f32(x1))) as f32;
    let u2 = (-2.0f32 * glibc_logf(u1)).sqrt();
    let (s, c) = glibc_sincosf(v1);
    (s * u2, c * u2)
}

/// TF's float64 Box–Muller transform: four uint32 words in, two standard normals out, sine
/// branch first. Uses the platform's double `ln`, `sin` and `cos` (glibc on Linux, as TF).
#[inline]
pub fn box_muller_f64(x0: u32, x1: u32, x2: u32, x3: u32) -> (f64, f64) {
    let mut u1 = u64_to_f64(x0, x1);
    if u1 < EPS_F64 {
        u1 = EPS_F64;
    }
    let v1 = TWO_PI_D * u64_to_f64(x2, x3);
    let u2 = (-2.0 * u1.ln()).sqrt();
    (v1.sin() * u2, v1.cos() * u2)
}

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

/// Fills `n` outputs group by group: group `k` comes from block `base + k`.
#[inline]
fn fill_blocks<T: Copy, const G: usize>(base: Philox, n: usize, group: impl Fn([u32; 4]) -> [T; G]) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    let mut gen_ = base;
    while out.len() < n {
        let values = group(gen_.next_block());
        let take = (n - out.len()).min(G);
        out.extend_from_slice(&values[..take]);
    }
    out
}

/// `RandomStandardNormal` float32 output of one run (`n` elements, row-major). The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn standard_normal_f32(base: Philox, n: usize) -> Vec<f32> {
    fill_blocks(base, n, |b| {
        let (a0, a1) = box_muller_f32(b[0], b[1]);
        let (a2, a3) = box_muller_f32(b[2], b[3]);
        [a0, a1, a2, a3]
    })
}

/// `RandomStandardNormal` float64 output of one run (`n` elements, row-major). The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn standard_normal_f64(base: Philox, n: usize) -> Vec<f64> {
    fill_blocks(base, n, |b| {
        let (a0, a1) = box_muller_f64(b[0], b[1], b[2], b[3]);
        [a0, a1]
    })
}

/// `RandomUniform` float32 output in `[0, 1)` of one run (`n` elements, row-major). The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn uniform_f32(base: Philox, n: usize) -> Vec<f32> {
    fill_blocks(base, n, |b| b.map(u32_to_f32))
}

/// `RandomUniform` float64 output in `[0, 1)` of one run (`n` elements, row-major). The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn uniform_f64(base: Philox, n: usize) -> Vec<f64> {
    fill_blocks(base, n, |b| [u64_to_f64(b[0], b[1]), u64_to_f64(b[2], b[3])])
}

/// Draws uint32 words one at a time from a generator (TF's `SingleSampleAdapter`).
struct WordStream {
    gen_: Philox,
    block: [u32; 4],
    used: usize,
}

impl WordStream {
    fn new(gen_: Philox) -> Self {
        WordStream { gen_, block: [0; 4], used: 4 }
    }

    #[inline]
    fn next(&mut self) -> u32 {
        if self.used >= 4 {
            self.block = self.gen_.next_block();
            self.used = 0;
        }
        let w = self.block[self.used];
        self.used += 1;
        w
    }
}

/// Truncation bound: samples with `|x| >= 2` are rejected.
const TRUNCATE_VALUE: f64 = 2.0;

/// Shared truncated-normal loop: group `k` of `G` outputs is drawn from `base` skipped by
/// `k * G * 256 / 4` blocks, consuming words one at a time.
#[inline]
fn fill_truncated<T: Copy + Default, const G: usize>(
    base: Philox,
    n: usize,
    attempt: impl Fn(&mut WordStream) -> [T; 2],
    accept: impl Fn(T) -> bool,
) -> Vec<T> {
    let skip_per_group = (G as u64) * RESERVED_SAMPLES_PER_OUTPUT / 4;
    let mut out = Vec::with_capacity(n);
    let mut k: u64 = 0;
    while out.len() < n {
        let mut gen_ = base;
        gen_.skip(k.wrapping_mul(skip_per_group));
        let mut words = WordStream::new(gen_);
        let mut group = [T::default(); G];
        let mut filled = 0;
        while filled < G {
            for v in attempt(&mut words) {
                if accept(v) {
                    group[filled] = v;
                    filled += 1;
                    if filled == G {
                        break;
                    }
                }
            }
        }
        let take = (n - out.len()).min(G);
        out.extend_from_slice(&group[..take]);
        k = k.wrapping_add(1);
    }
    out
}

/// `TruncatedNormal` float32 output of one run (`n` elements, row-major): standard normals
/// with `|x| < 2`, groups of 4 each drawn from their own 256-block reservation. The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn truncated_normal_f32(base: Philox, n: usize) -> Vec<f32> {
    fill_truncated::<f32, 4>(
        base,
        n,
        |w| {
            let x0 = w.next();
            let x1 = w.next();
            let (a, b) = box_muller_f32(x0, x1);
            [a, b]
        },
        |v| f64::from(v.abs()) < TRUNCATE_VALUE,
    )
}

/// `TruncatedNormal` float64 output of one run (`n` elements, row-major): standard normals
/// with `|x| < 2`, groups of 2 each drawn from their own 128-block reservation. The caller
/// calls [`Philox::reserve_run`] first and passes the returned base generator.
pub fn truncated_normal_f64(base: Philox, n: usize) -> Vec<f64> {
    fill_truncated::<f64, 2>(
        base,
        n,
        |w| {
            let x0 = w.next();
            let x1 = w.next();
            let x2 = w.next();
            let x3 = w.next();
            let (a, b) = box_muller_f64(x0, x1, x2, x3);
            [a, b]
        },
        |v| v.abs() < TRUNCATE_VALUE,
    )
}

/// Applies TF's post-processing `Add(Mul(x, scale), shift)` in place, rounding to float32
/// after the multiply and after the add (no fused multiply-add).
///
/// For `random_normal`/`truncated_normal` use `scale = stddev as f32`, `shift = mean as f32`.
/// For TF1 `random_uniform` use `scale = max as f32 - min as f32` (a float32 subtraction) and
/// `shift = min as f32`.
pub fn scale_and_shift_f32(values: &mut [f32], scale: f32, shift: f32) {
    for v in values {
        let product = *v * scale;
        *v = product + shift;
    }
}

/// float64 version of [`scale_and_shift_f32`].
pub fn scale_and_shift_f64(values: &mut [f64], scale: f64, shift: f64) {
    for v in values {
        let product = *v * scale;
        *v = product + shift;
    }
}

// ---------------------------------------------------------------------------------------------
// numpy legacy RandomState (MT19937)
// ---------------------------------------------------------------------------------------------

const MT_N: usize = 624;
const MT_M: usize = 397;
const MT_MATRIX_A: u32 = 0x9908_B0DF;
const MT_UPPER: u32 = 0x8000_0000;
const MT_LOWER: u32 = 0x7FFF_FFFF;

/// numpy legacy MT19937 RandomState
///
/// Reproduces `numpy.random.RandomState(seed)` seeding, `genrand_int32`, `random_sample` and
/// `rand` bit for bit.
#[derive(Clone)]
pub struct RandomState {
    mt: [u32; MT_N],
    pos: usize,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState").field("pos", &self.pos).finish_non_exhaustive()
    }
}

impl RandomState {
    /// `RandomState(seed)` for an integer seed: Knuth-style `init_genrand`.
    pub fn new(seed: u32) -> Self {
        let mut mt = [0u32; MT_N];
        mt[0] = seed;
        for i in 1..MT_N {
            let prev = mt[i - 1];
            mt[i] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32);
        }
        RandomState { mt, pos: MT_N }
    }

    /// `RandomState(key)` for a 1-D array seed: the reference `init_by_array`.
    ///
    /// numpy rejects an empty array; here an empty key is treated as `[0]`.
    pub fn from_array(key: &[u32]) -> Self {
        let key: &[u32] = if key.is_empty() { &[0] } else { key };
        let mut state = RandomState::new(19_650_218);
        let mt = &mut state.mt;
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..MT_N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= MT_N {
                mt[0] = mt[MT_N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..MT_N - 1 {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= MT_N {
                mt[0] = mt[MT_N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        state.pos = MT_N;
        state
    }

    /// Regenerates the whole state in place.
    fn twist(&mut self) {
        let mt = &mut self.mt;
        for i in 0..MT_N {
            let y = (mt[i] & MT_UPPER) | (mt[(i + 1) % MT_N] & MT_LOWER);
            let mag = if y & 1 != 0 { MT_MATRIX_A } else { 0 };
            mt[i] = mt[(i + MT_M) % MT_N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// Next tempered 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= MT_N {
            self.twist();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C_5680;
        y ^= (y << 15) & 0xEFC6_0000;
        y ^= y >> 18;
        y
    }

    /// One double in `[0, 1)` from two 32-bit outputs (27 + 26 bits), as numpy's legacy
    /// `random_sample`.
    pub fn random_sample(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// rand(d0, d1, ...) row-major
    ///
    /// `n` is the product of the dimensions; the values come in C (row-major) order.
    pub fn rand(&mut self, n: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.random_sample());
        }
        out
    }

    /// Next 64-bit output: two 32-bit outputs, the first as the high half (numpy's
    /// `mt19937_next64`).
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in `[0, max]` by rejection, as numpy's `random_interval`: draw 32 bits
    /// (64 when `max` needs them), mask them to the smallest `2^k - 1 >= max`, and draw again
    /// while the result exceeds `max`.
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let v = if max <= u64::from(u32::MAX) { u64::from(self.next_u32()) & mask } else { self.next_u64() & mask };
            if v <= max {
                return v;
            }
        }
    }

    /// `numpy.random.shuffle(x)` for a 1-D array (legacy `RandomState`): Fisher-Yates from the
    /// last element down, swapping `x[i]` with `x[random_interval(i)]`.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.random_interval(i as u64) as usize;
            x.swap(i, j);
        }
    }

    /// `numpy.random.permutation(n)`: `arange(n)` shuffled.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits32(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn philox_spec_vector() {
        let mut g = Philox::from_seeds(87_654_321, 1);
        assert_eq!(g.key(), [0x0539_7fb1, 0]);
        assert_eq!(g.counter(), [0, 0, 1, 0]);
        assert_eq!(g.next_block(), [0xab1e_98c7, 0xcdf5_cfa7, 0xf186_7731, 0x4c3f_748e]);
        assert_eq!(g.counter(), [1, 0, 1, 0]);
        assert_eq!(g.next_block(), [0x00ea_f265, 0xc483_6362, 0xa50b_474a, 0x8f3a_73d9]);
    }

    #[test]
    fn negative_seeds_use_twos_complement() {
        let g = Philox::from_seeds(-5, -7);
        assert_eq!(g.key(), [0xFFFF_FFFB, 0xFFFF_FFFF]);
        assert_eq!(g.counter(), [0, 0, 0xFFFF_FFF9, 0xFFFF_FFFF]);
    }

    #[test]
    fn zero_seeds_are_random_but_valid() {
        let g = Philox::from_seeds(0, 0);
        assert_eq!(g.counter()[0], 0);
        assert_eq!(g.counter()[1], 0);
    }

    #[test]
    fn skip_carries() {
        let mut g = Philox::from_parts([0, 0], [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 7]);
        g.skip(1);
        assert_eq!(g.counter(), [0, 0, 0, 8]);
        let mut g = Philox::from_parts([0, 0], [5, 0, 0, 0]);
        g.skip(0x0000_0002_FFFF_FFFF);
        assert_eq!(g.counter(), [4, 3, 0, 0]);
        let mut g = Philox::from_parts([0, 0], [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]);
        g.next_block();
        assert_eq!(g.counter(), [0, 0, 0, 0]);
        g.skip(u64::MAX);
        g.skip(u64::MAX);
    }

    #[test]
    fn reserve_run_advances_by_n_times_256() {
        let mut g = Philox::from_seeds(87_654_321, 1);
        let b0 = g.reserve_run(6);
        let b1 = g.reserve_run(6);
        let b2 = g.reserve_run(6);
        assert_eq!(b0.counter(), [0, 0, 1, 0]);
        assert_eq!(b1.counter(), [1536, 0, 1, 0]);
        assert_eq!(b2.counter(), [3072, 0, 1, 0]);
        g.reserve_run(usize::MAX);
    }

    #[test]
    fn program_w1_and_w2() {
        let mut g = Philox::from_seeds(87_654_321, 1);
        let w1 = standard_normal_f32(g.reserve_run(6), 6);
        assert_eq!(bits32(&w1), [0xbf4f_b28d, 0x3fbe_0755, 0x3d85_cb68, 0xc01c_5544, 0x3dcb_42bf, 0x3f17_5a7a]);
        let mut g2 = Philox::from_seeds(87_654_321, 1);
        let w2 = standard_normal_f32(g2.reserve_run(3), 3);
        assert_eq!(bits32(&w2), bits32(&w1[..3]));
    }

    #[test]
    fn box_muller_intermediates() {
        let u1 = u32_to_f32(0xab1e_98c7);
        assert_eq!(u1.to_bits(), 0x3e74_c638);
        let v1 = (TWO_PI_D * f64::from(u32_to_f32(0xcdf5_cfa7))) as f32;
        assert_eq!(v1.to_bits(), 0x40b9_0eac);
        let l = glibc_logf(u1);
        assert_eq!(l.to_bits(), 0xbfb7_2f71);
        assert_eq!((-2.0f32 * l).sqrt().to_bits(), 0x3fd8_8db6);
        let (s, c) = glibc_sincosf(v1);
        assert_eq!((s.to_bits(), c.to_bits()), (0xbef5_87dd, 0x3f60_a4b7));
        assert_eq!(EPS_F32.to_bits(), 0x33d6_bf95);
    }

    #[test]
    fn truncated_first_group_skips_rejected_value() {
        let mut g = Philox::from_seeds(87_654_321, 1);
        let t = truncated_normal_f32(g.reserve_run(4), 4);
        assert_eq!(bits32(&t)[..3], [0xbf4f_b28d, 0x3fbe_0755, 0x3d85_cb68]);
        assert_eq!(t[3].to_bits(), 0x3dcb_42bf);
    }

    #[test]
    fn special_inputs_do_not_panic() {
        assert_eq!(glibc_logf(1.0), 0.0);
        assert_eq!(glibc_logf(0.0), f32::NEG_INFINITY);
        assert_eq!(glibc_logf(-0.0), f32::NEG_INFINITY);
        assert_eq!(glibc_logf(f32::INFINITY), f32::INFINITY);
        assert!(glibc_logf(-1.0).is_nan());
        assert!(glibc_logf(f32::NAN).is_nan());
        assert!(glibc_logf(f32::from_bits(1)) < -100.0);
        assert!(glibc_sincosf(f32::INFINITY).0.is_nan());
        assert!(glibc_sincosf(f32::NAN).1.is_nan());
        assert_eq!(glibc_sincosf(0.0), (0.0, 1.0));
        let (s, c) = glibc_sincosf(f32::MAX);
        assert!(s.abs() <= 1.0 && c.abs() <= 1.0);
        let (s, c) = glibc_sincosf(-1.0e6);
        assert!((f64::from(s) - (-1.0e6f64).sin()).abs() < 1e-6);
        assert!((f64::from(c) - (-1.0e6f64).cos()).abs() < 1e-6);
    }

    #[test]
    fn derive_seed_rules() {
        assert_eq!(derive_seeds(None, None, 0), (0, 0));
        assert_eq!(derive_seeds(None, Some(1), 0), (87_654_321, 1));
        assert_eq!(derive_seeds(Some(5), None, 3), (5, 3));
        assert_eq!(derive_seeds(Some(0), Some(0), 0), (0, MAXINT32));
        assert_eq!(derive_seeds(Some(-1), Some(-5), 0), (MAXINT32 - 1, MAXINT32 - 5));
        assert_eq!(derive_seeds(Some(i64::MIN), Some(i64::MAX), 0).0, i64::MIN.rem_euclid(MAXINT32));
    }

    #[test]
    fn numpy_seed_1() {
        let mut rs = RandomState::new(1);
        let first: Vec<u32> = (0..4).map(|_| rs.next_u32()).collect();
        assert_eq!(first, [1_791_095_845, 4_282_876_139, 3_093_770_124, 4_005_303_368]);
        let mut rs = RandomState::new(1);
        let x = rs.rand(4);
        assert_eq!(x[0], 0.417022004702574);
        assert_eq!(x[1], 0.7203244934421581);
        assert_eq!(x[2], 0.00011437481734488664);
        assert_eq!(x[3], 0.30233257263183977);
        let _ = RandomState::from_array(&[]).next_u32();
    }
}
