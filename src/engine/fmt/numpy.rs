//! Text formatting of arrays and scalars exactly as numpy 2.x prints them.
//!
//! Users compare what the engine prints with what real TensorFlow / numpy
//! print, so the output of this module must match numpy's `str(arr)` (what
//! `print(arr)` shows) character for character under the default print
//! options: `precision=8`, `floatmode='maxprec'`, `suppress=False`,
//! `linewidth=75`, `threshold=1000`, `edgeitems=3`, `sign='-'`,
//! `legacy=False`.
//!
//! The module contains:
//!
//! * a small exact implementation of the Dragon4 digit generator, following
//!   the algorithm numpy uses (shortest "unique" digits for the value's own
//!   precision, optionally cut off after a number of digits with exact,
//!   round-half-even rounding of the true binary value);
//! * numpy's `FloatingFormat`, `IntegerFormat` and `BoolFormat` element
//!   formatters (common widths, padding, scientific/positional choice);
//! * numpy's `_formatArray` layout: nested brackets, line wrapping at the
//!   line width with hanging indents, blank lines between blocks of 3-D and
//!   higher arrays, and `...` summarisation of arrays with more than 1000
//!   elements;
//! * the scalar `str()` of numpy floats and C's `%g`.
//!
//! Behaviour follows current numpy (2.3 and later): float32 arrays switch to
//! scientific notation once the largest magnitude reaches `1e6` (`1e8` for
//! float64), and a float32 *scalar* prints in scientific notation from `1e6`
//! on (float64 from `1e16`). numpy 2.0–2.2 used `1e8` / `1e16` for float32 as
//! well (`legacy='2.2'`).

use std::cmp::Ordering;

/// numpy's default `precision` print option.
const PRECISION: i32 = 8;
/// numpy's default `linewidth` print option.
const LINE_WIDTH: usize = 75;
/// numpy's default `threshold` print option (summarise above this size).
const THRESHOLD: usize = 1000;
/// numpy's default `edgeitems` print option.
const EDGE_ITEMS: usize = 3;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Formats a float32 array like `str(np.array(data, dtype=np.float32).reshape(shape))`.
///
/// An empty `shape` is a 0-d array, printed like the scalar (see
/// [`scalar_f32`]). If `data.len()` does not match the shape, the data is
/// printed as a 1-D array instead.
pub fn format_f32(data: &[f32], shape: &[usize]) -> String {
    format_array(data, shape, |x| scalar_f32(*x), float_formatter)
}

/// Formats a float64 array like `str(np.array(data, dtype=np.float64).reshape(shape))`.
///
/// An empty `shape` is a 0-d array, printed like the scalar (see
/// [`scalar_f64`]). If `data.len()` does not match the shape, the data is
/// printed as a 1-D array instead.
pub fn format_f64(data: &[f64], shape: &[usize]) -> String {
    format_array(data, shape, |x| scalar_f64(*x), float_formatter)
}

/// Formats an int32 array like numpy: elements right-aligned to a common width.
pub fn format_i32(data: &[i32], shape: &[usize]) -> String {
    format_array(data, shape, |x| x.to_string(), |shown: &[i32]| int_formatter(shown.iter().map(|&v| i64::from(v))))
}

/// Formats an int64 array like numpy: elements right-aligned to a common width.
pub fn format_i64(data: &[i64], shape: &[usize]) -> String {
    format_array(data, shape, |x| x.to_string(), |shown: &[i64]| int_formatter(shown.iter().copied()))
}

/// Formats a bool array like numpy: `True` is padded to ` True` so that it
/// lines up with `False` (except in 0-d arrays, which print `True`/`False`).
pub fn format_bool(data: &[bool], shape: &[usize]) -> String {
    format_array(
        data,
        shape,
        |&x| if x { "True" } else { "False" }.to_string(),
        |_: &[bool]| {
            Box::new(|&x: &bool| if x { " True" } else { "False" }.to_string()) as Box<dyn Fn(&bool) -> String>
        },
    )
}

/// Shortest round-trip repr of a scalar as numpy prints a 0-d/scalar float32 (e.g. `3.957578`, `1.0`, `nan`, `inf`, `1e-10`).
///
/// This is `str(np.float32(x))`: positional with at least one fractional
/// digit for `0` and `1e-4 <= |x| < 1e6`, otherwise scientific without a
/// trailing `.` (`1e+06`, `1.5e-10`).
pub fn scalar_f32(x: f32) -> String {
    scalar_repr(x)
}

/// Shortest round-trip repr of a float64 scalar as numpy (and Python's
/// `repr(float)`) print it: positional for `0` and `1e-4 <= |x| < 1e16`,
/// otherwise scientific (`1e+16`, `1e-05`).
pub fn scalar_f64(x: f64) -> String {
    scalar_repr(x)
}

/// C printf `%g` (default precision 6) and `%.Ng` formatting of a double, as Python's `"%g" % x` gives (e.g. 1.89805, 0.655075, 1e-05, 1e+20).
///
/// A `precision` of 0 is treated as 1, as C does. The value is rounded
/// exactly (round-half-even on exact ties), trailing zeros are removed, and
/// the exponent has at least two digits. Non-finite values print as `nan`,
/// `inf` and `-inf`.
pub fn printf_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    // Exact doubles have fewer than 800 significant digits; more requested
    // digits would be zeros, which %g strips anyway.
    let p = precision.clamp(1, 1100) as i32;
    let dec = x.decode();
    let (mut digits, exp) = dragon4(&dec, false, CutoffMode::TotalLength, p, -1);
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    let mut out = String::new();
    if dec.negative {
        out.push('-');
    }
    if (-4..p).contains(&exp) {
        if exp >= 0 {
            let whole = exp as usize + 1;
            for i in 0..whole {
                out.push(char::from(*digits.get(i).unwrap_or(&b'0')));
            }
            if digits.len() > whole {
                out.push('.');
                out.extend(digits[whole..].iter().map(|&b| char::from(b)));
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.extend(digits.iter().map(|&b| char::from(b)));
        }
    } else {
        out.push(char::from(digits[0]));
        if digits.len() > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|&b| char::from(b)));
        }
        push_exponent(&mut out, exp, 2);
    }
    out
}

// ---------------------------------------------------------------------------
// Float abstraction
// ---------------------------------------------------------------------------

/// A finite float split into sign, integer mantissa and binary exponent, as
/// Dragon4 wants it (`value = mantissa * 2^exponent`).
#[derive(Clone, Copy, Debug)]
struct Decoded {
    negative: bool,
    mantissa: u64,
    exponent: i32,
    /// Index of the highest set bit of `mantissa`.
    mantissa_bit: u32,
    /// The value is a power of two whose lower neighbour is closer than the
    /// upper one (normal numbers with a zero stored mantissa).
    unequal_margins: bool,
}

/// The operations the generic formatter needs from `f32` / `f64`.
trait NpFloat: Copy + PartialOrd {
    fn decode(self) -> Decoded;
    fn is_finite_(self) -> bool;
    fn is_nan_(self) -> bool;
    fn is_neg(self) -> bool;
    fn abs_(self) -> Self;
    fn is_zero(self) -> bool;
    /// numpy's `FloatingFormat` rule for switching to scientific notation,
    /// evaluated in the array's own precision like numpy does.
    fn needs_exp_format(max_abs: Self, min_abs: Self) -> bool;
    /// Whether the scalar `str()` uses positional notation.
    fn scalar_is_positional(self) -> bool;
}

impl NpFloat for f32 {
    fn decode(self) -> Decoded {
        let bits = self.to_bits();
        let negative = bits >> 31 != 0;
        let biased = ((bits >> 23) & 0xff) as i32;
        let frac = u64::from(bits & 0x7f_ffff);
        if biased != 0 {
            Decoded {
                negative,
                mantissa: frac | (1 << 23),
                exponent: biased - 150,
                mantissa_bit: 23,
                unequal_margins: biased != 1 && frac == 0,
            }
        } else {
            Decoded {
                negative,
                mantissa: frac,
                exponent: -149,
                mantissa_bit: if frac == 0 { 0 } else { 63 - frac.leading_zeros() },
                unequal_margins: false,
            }
        }
    }
    fn is_finite_(self) -> bool {
        self.is_finite()
    }
    fn is_nan_(self) -> bool {
        self.is_nan()
    }
    fn is_neg(self) -> bool {
        self.is_sign_negative()
    }
    fn abs_(self) -> Self {
        self.abs()
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
    fn needs_exp_format(max_abs: Self, min_abs: Self) -> bool {
        // exp_cutoff_max = 10 ** min(8, finfo(float32).precision) = 1e6
        max_abs >= 1e6 || min_abs < 1e-4 || max_abs / min_abs > 1000.0
    }
    fn scalar_is_positional(self) -> bool {
        let a = f64::from(self.abs());
        a == 0.0 || (1e-4..1e6).contains(&a)
    }
}

impl NpFloat for f64 {
    fn decode(self) -> Decoded {
        let bits = self.to_bits();
        let negative = bits >> 63 != 0;
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & 0x000f_ffff_ffff_ffff;
        if biased != 0 {
            Decoded {
                negative,
                mantissa: frac | (1 << 52),
                exponent: biased - 1075,
                mantissa_bit: 52,
                unequal_margins: biased != 1 && frac == 0,
            }
        } else {
            Decoded {
                negative,
                mantissa: frac,
                exponent: -1074,
                mantissa_bit: if frac == 0 { 0 } else { 63 - frac.leading_zeros() },
                unequal_margins: false,
            }
        }
    }
    fn is_finite_(self) -> bool {
        self.is_finite()
    }
    fn is_nan_(self) -> bool {
        self.is_nan()
    }
    fn is_neg(self) -> bool {
        self.is_sign_negative()
    }
    fn abs_(self) -> Self {
        self.abs()
    }
    fn is_zero(self) -> bool {
        self == 0.0
    }
    fn needs_exp_format(max_abs: Self, min_abs: Self) -> bool {
        // exp_cutoff_max = 10 ** min(8, finfo(float64).precision) = 1e8
        max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1000.0
    }
    fn scalar_is_positional(self) -> bool {
        let a = self.abs();
        a == 0.0 || (1e-4..1e16).contains(&a)
    }
}

/// numpy's scalar `str()` of a float (`np.float32(x)`, `np.float64(x)`).
fn scalar_repr<F: NpFloat>(x: F) -> String {
    if x.is_nan_() {
        return "nan".to_string();
    }
    if !x.is_finite_() {
        return if x.is_neg() { "-inf" } else { "inf" }.to_string();
    }
    let dec = x.decode();
    if x.scalar_is_positional() {
        format_positional(&dec, -1, -1, true, Trim::LeaveOneZero, -1, -1)
    } else {
        format_scientific(&dec, -1, -1, true, Trim::DptZeros, -1, -1)
    }
}

// ---------------------------------------------------------------------------
// Minimal unsigned big integer for Dragon4
// ---------------------------------------------------------------------------

/// Little-endian base-2^32 unsigned integer, always normalised (no high zero
/// limbs). Only the handful of operations Dragon4 needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    fn from_u64(v: u64) -> Self {
        let mut b = BigUint { limbs: vec![v as u32, (v >> 32) as u32] };
        b.normalize();
        b
    }

    fn pow2(n: u32) -> Self {
        let mut b = BigUint::from_u64(1);
        b.shl(n);
        b
    }

    fn normalize(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn shl(&mut self, n: u32) {
        if self.is_zero() {
            return;
        }
        let words = (n / 32) as usize;
        let bits = n % 32;
        let mut out = vec![0u32; words];
        if bits == 0 {
            out.extend_from_slice(&self.limbs);
        } else {
            let mut carry = 0u32;
            for &l in &self.limbs {
                out.push((l << bits) | carry);
                carry = l >> (32 - bits);
            }
            out.push(carry);
        }
        self.limbs = out;
        self.normalize();
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in &mut self.limbs {
            let v = u64::from(*l) * u64::from(m) + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.normalize();
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        if n > 0 {
            self.mul_small(10u32.pow(n));
        }
    }

    fn add(&self, other: &BigUint) -> BigUint {
        let len = self.limbs.len().max(other.limbs.len());
        let mut out = Vec::with_capacity(len + 1);
        let mut carry = 0u64;
        for i in 0..len {
            let a = u64::from(*self.limbs.get(i).unwrap_or(&0));
            let b = u64::from(*other.limbs.get(i).unwrap_or(&0));
            let v = a + b + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        let mut b = BigUint { limbs: out };
        b.normalize();
        b
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &BigUint) {
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let b = i64::from(*other.limbs.get(i).unwrap_or(&0));
            let mut v = i64::from(self.limbs[i]) - b - borrow;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            } else {
                borrow = 0;
            }
            self.limbs[i] = v as u32;
        }
        self.normalize();
    }

    fn cmp_big(&self, other: &BigUint) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

// ---------------------------------------------------------------------------
// Dragon4
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CutoffMode {
    /// `cutoff` counts significant digits (scientific notation).
    TotalLength,
    /// `cutoff` counts digits after the decimal point (positional notation).
    FractionLength,
}

/// numpy's `trim` argument of `format_float_positional` / `_scientific`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Trim {
    /// `'k'`: keep trailing zeros and the decimal point.
    Keep,
    /// `'.'`: trim trailing zeros, keep the decimal point.
    Zeros,
    /// `'0'`: trim trailing zeros but leave one zero after the point.
    LeaveOneZero,
    /// `'-'`: trim trailing zeros and the decimal point.
    DptZeros,
}

/// Generates decimal digits of a finite value with numpy's Dragon4.
///
/// `unique`: stop at the shortest digit string that still identifies the
/// value among its neighbours (of the value's own type). Otherwise digits of
/// the exact value are produced. `cutoff_max` (if `>= 0`) limits the digits,
/// `cutoff_min` (if `>= 0`, unique mode only) forces at least that many; both
/// count total digits or fractional digits depending on `mode`. The last digit
/// is rounded (to nearest, ties to even, on the exact remaining value unless
/// the uniqueness margins decide).
///
/// Returns the ASCII digits and the decimal exponent of the first digit.
fn dragon4(d: &Decoded, unique: bool, mode: CutoffMode, cutoff_max: i32, cutoff_min: i32) -> (Vec<u8>, i32) {
    if d.mantissa == 0 {
        return (vec![b'0'], 0);
    }
    let e = d.exponent;
    let is_even = d.mantissa.is_multiple_of(2);
    let mut value = BigUint::from_u64(d.mantissa);
    let mut scale;
    let mut margin_low;
    // `Some` only with unequal margins; otherwise the high margin is the low one.
    let mut margin_high: Option<BigUint>;
    if d.unequal_margins {
        if e > 0 {
            value.shl(e as u32 + 2);
            scale = BigUint::from_u64(4);
            margin_low = BigUint::pow2(e as u32);
            margin_high = Some(BigUint::pow2(e as u32 + 1));
        } else {
            value.shl(2);
            scale = BigUint::pow2((2 - e) as u32);
            margin_low = BigUint::from_u64(1);
            margin_high = Some(BigUint::from_u64(2));
        }
    } else {
        if e > 0 {
            value.shl(e as u32 + 1);
            scale = BigUint::from_u64(2);
            margin_low = BigUint::pow2(e as u32);
        } else {
            value.shl(1);
            scale = BigUint::pow2((1 - e) as u32);
            margin_low = BigUint::from_u64(1);
        }
        margin_high = None;
    }

    // Estimate of (exponent of first digit + 1); exact or one too small.
    let mut digit_exp = ((f64::from(d.mantissa_bit as i32 + e)) * std::f64::consts::LOG10_2 - 0.69).ceil() as i32;
    if cutoff_max >= 0 && mode == CutoffMode::FractionLength && digit_exp <= -cutoff_max {
        digit_exp = -cutoff_max + 1;
    }
    if digit_exp > 0 {
        scale.mul_pow10(digit_exp as u32);
    } else if digit_exp < 0 {
        let n = (-digit_exp) as u32;
        value.mul_pow10(n);
        margin_low.mul_pow10(n);
        if margin_high.is_some() {
            let mut h = margin_low.clone();
            h.mul_small(2);
            margin_high = Some(h);
        }
    }
    let mul10 = |value: &mut BigUint, lo: &mut BigUint, hi: &mut Option<BigUint>| {
        value.mul_small(10);
        lo.mul_small(10);
        if hi.is_some() {
            let mut h = lo.clone();
            h.mul_small(2);
            *hi = Some(h);
        }
    };
    if value.cmp_big(&scale) != Ordering::Less {
        digit_exp += 1;
    } else {
        mul10(&mut value, &mut margin_low, &mut margin_high);
    }

    // Exponent of the last digit we may print (bounded like numpy's buffer).
    let mut cutoff_exp = digit_exp - 4096;
    if cutoff_max >= 0 {
        let desired = match mode {
            CutoffMode::TotalLength => digit_exp - cutoff_max,
            CutoffMode::FractionLength => -cutoff_max,
        };
        if desired > cutoff_exp {
            cutoff_exp = desired;
        }
    }
    let mut cutoff_min_exp = digit_exp;
    if cutoff_min >= 0 {
        let desired = match mode {
            CutoffMode::TotalLength => digit_exp - cutoff_min,
            CutoffMode::FractionLength => -cutoff_min,
        };
        if desired < cutoff_min_exp {
            cutoff_min_exp = desired;
        }
    }
    let mut out_exp = digit_exp - 1;

    let mut digits: Vec<u8> = Vec::new();
    let mut low = false;
    let mut high = false;
    let mut digit: u8;
    loop {
        digit_exp -= 1;
        digit = 0;
        while value.cmp_big(&scale) != Ordering::Less && digit < 10 {
            value.sub_assign(&scale);
            digit += 1;
        }
        if unique {
            let mh = margin_high.as_ref().unwrap_or(&margin_low);
            // With an even mantissa the rounding interval is closed
            // (round-half-even reads the boundaries back to this value).
            let hi_cmp = value.add(mh).cmp_big(&scale);
            let lo_cmp = value.cmp_big(&margin_low);
            if is_even {
                low = lo_cmp != Ordering::Greater;
                high = hi_cmp != Ordering::Less;
            } else {
                low = lo_cmp == Ordering::Less;
                high = hi_cmp == Ordering::Greater;
            }
            if ((low || high) && digit_exp <= cutoff_min_exp) || digit_exp <= cutoff_exp {
                break;
            }
        } else if value.is_zero() || digit_exp <= cutoff_exp {
            break;
        }
        digits.push(b'0' + digit.min(9));
        mul10(&mut value, &mut margin_low, &mut margin_high);
    }

    let round_down = if low == high {
        let mut twice = value.clone();
        twice.mul_small(2);
        match twice.cmp_big(&scale) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => digit & 1 == 0,
        }
    } else {
        low
    };

    if round_down {
        digits.push(b'0' + digit.min(9));
    } else if digit >= 9 {
        loop {
            match digits.pop() {
                None => {
                    digits.push(b'1');
                    out_exp += 1;
                    break;
                }
                Some(b'9') => {}
                Some(c) => {
                    digits.push(c + 1);
                    break;
                }
            }
        }
    } else {
        digits.push(b'0' + digit + 1);
    }
    (digits, out_exp)
}

/// Appends `e`, the exponent's sign and at least `min_digits` exponent digits.
fn push_exponent(out: &mut String, exp: i32, min_digits: usize) {
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let s = exp.unsigned_abs().to_string();
    for _ in s.len()..min_digits {
        out.push('0');
    }
    out.push_str(&s);
}

/// numpy's `format_float_positional` (fractional=True) for a finite value.
/// Negative integer arguments mean "not given".
fn format_positional(
    d: &Decoded,
    precision: i32,
    min_digits: i32,
    unique: bool,
    trim: Trim,
    pad_left: i32,
    pad_right: i32,
) -> String {
    let (digits, print_exp) = dragon4(d, unique, CutoffMode::FractionLength, precision, min_digits);
    let num_digits = digits.len() as i32;
    let has_sign = i32::from(d.negative);
    let mut s = String::new();
    if d.negative {
        s.push('-');
    }
    let num_whole;
    let mut num_frac;
    if print_exp >= 0 {
        num_whole = print_exp + 1;
        if num_digits <= num_whole {
            s.extend(digits.iter().map(|&b| char::from(b)));
            for _ in 0..(num_whole - num_digits) {
                s.push('0');
            }
            num_frac = 0;
        } else {
            let w = num_whole as usize;
            s.extend(digits[..w].iter().map(|&b| char::from(b)));
            s.push('.');
            s.extend(digits[w..].iter().map(|&b| char::from(b)));
            num_frac = num_digits - num_whole;
        }
    } else {
        let zeros = -print_exp - 1;
        s.push_str("0.");
        for _ in 0..zeros {
            s.push('0');
        }
        s.extend(digits.iter().map(|&b| char::from(b)));
        num_whole = 1;
        num_frac = zeros + num_digits;
    }
    if trim != Trim::DptZeros && num_frac == 0 {
        s.push('.');
    }
    if trim == Trim::LeaveOneZero {
        if num_frac == 0 {
            s.push('0');
            num_frac += 1;
        }
    } else if trim == Trim::Keep && precision > num_frac {
        for _ in 0..(precision - num_frac) {
            s.push('0');
        }
        num_frac = precision;
    }
    if precision >= 0 && trim != Trim::Keep && num_frac > 0 {
        while s.ends_with('0') {
            s.pop();
            num_frac -= 1;
        }
        if s.ends_with('.') {
            if trim == Trim::LeaveOneZero {
                s.push('0');
                num_frac += 1;
            } else if trim == Trim::DptZeros {
                s.pop();
            }
        }
    }
    if pad_right >= num_frac {
        if trim == Trim::DptZeros && num_frac == 0 {
            s.push(' ');
        }
        for _ in 0..(pad_right - num_frac) {
            s.push(' ');
        }
    }
    if pad_left > num_whole + has_sign {
        let n = (pad_left - num_whole - has_sign) as usize;
        s.insert_str(0, &" ".repeat(n));
    }
    s
}

/// numpy's `format_float_scientific` for a finite value. Negative integer
/// arguments mean "not given".
fn format_scientific(
    d: &Decoded,
    precision: i32,
    min_digits: i32,
    unique: bool,
    trim: Trim,
    pad_left: i32,
    exp_digits: i32,
) -> String {
    let (digits, print_exp) = dragon4(
        d,
        unique,
        CutoffMode::TotalLength,
        if precision < 0 { -1 } else { precision + 1 },
        if min_digits < 0 { -1 } else { min_digits + 1 },
    );
    let has_sign = i32::from(d.negative);
    let mut s = String::new();
    if d.negative {
        s.push('-');
    }
    s.push(char::from(digits[0]));
    let mut num_frac = digits.len() as i32 - 1;
    if num_frac > 0 {
        s.push('.');
        s.extend(digits[1..].iter().map(|&b| char::from(b)));
    }
    if trim != Trim::DptZeros && num_frac == 0 {
        s.push('.');
    }
    if trim == Trim::LeaveOneZero {
        if num_frac == 0 {
            s.push('0');
            num_frac += 1;
        }
    } else if trim == Trim::Keep && precision > num_frac {
        for _ in 0..(precision - num_frac) {
            s.push('0');
        }
        num_frac = precision;
    }
    if precision >= 0 && trim != Trim::Keep && num_frac > 0 {
        while s.ends_with('0') {
            s.pop();
        }
        if trim == Trim::LeaveOneZero && s.ends_with('.') {
            s.push('0');
        }
    }
    let exp_digits = if exp_digits < 0 { 2 } else { exp_digits.min(5) };
    push_exponent(&mut s, print_exp, exp_digits as usize);
    if pad_left > 1 + has_sign {
        let n = (pad_left - 1 - has_sign) as usize;
        s.insert_str(0, &" ".repeat(n));
    }
    s
}

// ---------------------------------------------------------------------------
// Element formatters (numpy's FloatingFormat / IntegerFormat)
// ---------------------------------------------------------------------------

/// numpy's `FloatingFormat` in 'maxprec' mode, built from the elements that
/// will be shown.
struct FloatFormat {
    exp_format: bool,
    precision: i32,
    min_digits: i32,
    trim: Trim,
    pad_left: i32,
    pad_right: i32,
    exp_size: i32,
}

impl FloatFormat {
    fn new<F: NpFloat>(shown: &[F]) -> Self {
        let finite: Vec<F> = shown.iter().copied().filter(|x| x.is_finite_()).collect();
        let mut max_abs: Option<F> = None;
        let mut min_abs: Option<F> = None;
        for &x in finite.iter().filter(|x| !x.is_zero()) {
            let a = x.abs_();
            if max_abs.is_none_or(|m| a > m) {
                max_abs = Some(a);
            }
            if min_abs.is_none_or(|m| a < m) {
                min_abs = Some(a);
            }
        }
        let exp_format = match (max_abs, min_abs) {
            (Some(mx), Some(mn)) => F::needs_exp_format(mx, mn),
            _ => false,
        };
        let mut f = FloatFormat {
            exp_format,
            precision: PRECISION,
            min_digits: 0,
            trim: Trim::Zeros,
            pad_left: 0,
            pad_right: 0,
            exp_size: -1,
        };
        if finite.is_empty() {
            // nothing to measure
        } else if exp_format {
            let mut max_int = 0;
            let mut max_frac = 0;
            let mut max_exp = 0;
            for &x in &finite {
                let s = format_scientific(&x.decode(), PRECISION, -1, true, Trim::Zeros, -1, -1);
                let (mant, exp) = s.split_once('e').unwrap_or((&s, ""));
                let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
                max_int = max_int.max(int.len() as i32);
                max_frac = max_frac.max(frac.len() as i32);
                max_exp = max_exp.max(exp.len() as i32);
            }
            f.exp_size = max_exp - 1;
            f.trim = Trim::Keep;
            f.precision = max_frac;
            f.min_digits = max_frac;
            f.pad_left = max_int;
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            let mut max_int = 0;
            let mut max_frac = 0;
            for &x in &finite {
                let s = format_positional(&x.decode(), PRECISION, -1, true, Trim::Zeros, -1, -1);
                let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                max_int = max_int.max(int.len() as i32);
                max_frac = max_frac.max(frac.len() as i32);
            }
            f.pad_left = max_int;
            f.pad_right = max_frac;
            f.trim = Trim::Zeros;
            f.min_digits = 0;
        }
        if finite.len() != shown.len() {
            let neg_inf = shown.iter().any(|x| !x.is_finite_() && !x.is_nan_() && x.is_neg());
            let offset = f.pad_right + 1;
            f.pad_left = f.pad_left.max(3 - offset).max(3 + i32::from(neg_inf) - offset);
        }
        f
    }

    fn format<F: NpFloat>(&self, x: F) -> String {
        if !x.is_finite_() {
            let ret = if x.is_nan_() {
                "nan"
            } else if x.is_neg() {
                "-inf"
            } else {
                "inf"
            };
            let width = (self.pad_left + self.pad_right + 1).max(0) as usize;
            return format!("{ret:>width$}");
        }
        let d = x.decode();
        if self.exp_format {
            format_scientific(&d, self.precision, self.min_digits, true, self.trim, self.pad_left, self.exp_size)
        } else {
            format_positional(&d, self.precision, self.min_digits, true, self.trim, self.pad_left, self.pad_right)
        }
    }
}

type ElemFormatter<'a, T> = Box<dyn Fn(&T) -> String + 'a>;

fn float_formatter<F: NpFloat + 'static>(shown: &[F]) -> ElemFormatter<'static, F> {
    let ff = FloatFormat::new(shown);
    Box::new(move |x: &F| ff.format(*x))
}

fn int_formatter<T: Copy + ToString + 'static>(shown: impl Iterator<Item = i64>) -> ElemFormatter<'static, T> {
    let mut width = 0;
    let mut min: Option<i64> = None;
    let mut max: Option<i64> = None;
    for v in shown {
        min = Some(min.map_or(v, |m| m.min(v)));
        max = Some(max.map_or(v, |m| m.max(v)));
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        width = lo.to_string().len().max(hi.to_string().len());
    }
    Box::new(move |x: &T| format!("{:>width$}", x.to_string()))
}

// ---------------------------------------------------------------------------
// Array layout (numpy's _formatArray)
// ---------------------------------------------------------------------------

/// Shared driver: handles 0-d, empty and mismatched inputs, summarisation,
/// and the nested layout.
fn format_array<T, S, M>(data: &[T], shape: &[usize], scalar: S, make: M) -> String
where
    S: Fn(&T) -> String,
    M: FnOnce(&[T]) -> ElemFormatter<'static, T>,
    T: Copy,
{
    let expected = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
    let fallback = [data.len()];
    // numpy arrays have at most 64 dimensions; anything else is malformed.
    let shape: &[usize] = if expected == Some(data.len()) && shape.len() <= 64 { shape } else { &fallback };
    if shape.is_empty() {
        return data.first().map(&scalar).unwrap_or_default();
    }
    if data.is_empty() {
        return "[]".to_string();
    }
    let summarize = data.len() > THRESHOLD;
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    let mut shown_idx = Vec::new();
    collect_shown(shape, &strides, 0, 0, summarize, &mut shown_idx);
    let shown: Vec<T> = shown_idx.iter().map(|&i| data[i]).collect();
    let fmt = make(&shown);
    let layout = Layout { shape, strides: &strides, summarize, elem: &|i: usize| fmt(&data[i]) };
    layout.recurse(0, 0, " ", LINE_WIDTH as isize)
}

/// Flat indices of the elements numpy keeps when summarising
/// (`_leading_trailing`), in row-major order.
fn collect_shown(
    shape: &[usize],
    strides: &[usize],
    axis: usize,
    offset: usize,
    summarize: bool,
    out: &mut Vec<usize>,
) {
    if axis == shape.len() {
        out.push(offset);
        return;
    }
    let n = shape[axis];
    let mut visit = |i: usize| collect_shown(shape, strides, axis + 1, offset + i * strides[axis], summarize, out);
    if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).for_each(&mut visit);
        (n - EDGE_ITEMS..n).for_each(&mut visit);
    } else {
        (0..n).for_each(&mut visit);
    }
}

struct Layout<'a> {
    shape: &'a [usize],
    strides: &'a [usize],
    summarize: bool,
    elem: &'a dyn Fn(usize) -> String,
}

/// numpy's `_extendLine` (legacy=False): wrap before `word` if it would pass
/// `width`, unless the line holds nothing but the indent.
fn extend_line(s: &mut String, line: &mut String, word: &str, width: isize, prefix: &str) {
    let needs_wrap = (line.len() + word.len()) as isize > width && line.len() > prefix.len();
    if needs_wrap {
        s.push_str(line.trim_end_matches(' '));
        s.push('\n');
        line.clear();
        line.push_str(prefix);
    }
    line.push_str(word);
}

impl Layout<'_> {
    fn recurse(&self, axis: usize, offset: usize, hanging: &str, width: isize) -> String {
        let axes_left = self.shape.len() - axis;
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let n = self.shape[axis];
        let stride = self.strides[axis];
        let show_summary = self.summarize && 2 * EDGE_ITEMS < n;
        let (leading, trailing) = if show_summary { (EDGE_ITEMS, EDGE_ITEMS) } else { (0, n) };
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width - 1;
            let mut line = hanging.to_string();
            for i in 0..leading {
                extend_line(&mut s, &mut line, &(self.elem)(offset + i * stride), elem_width, hanging);
                line.push(' ');
            }
            if show_summary {
                extend_line(&mut s, &mut line, "...", elem_width, hanging);
                line.push(' ');
            }
            for i in (2..=trailing).rev() {
                let word = (self.elem)(offset + (n - i) * stride);
                extend_line(&mut s, &mut line, &word, elem_width, hanging);
                line.push(' ');
            }
            let word = (self.elem)(offset + (n - 1) * stride);
            extend_line(&mut s, &mut line, &word, elem_width, hanging);
            s.push_str(&line);
        } else {
            let line_sep = "\n".repeat(axes_left - 1);
            let row = |i: usize, s: &mut String| {
                s.push_str(hanging);
                s.push_str(&self.recurse(axis + 1, offset + i * stride, &next_hanging, next_width));
            };
            for i in 0..leading {
                row(i, &mut s);
                s.push_str(&line_sep);
            }
            if show_summary {
                s.push_str(hanging);
                s.push_str("...");
                s.push_str(&line_sep);
            }
            for i in (2..=trailing).rev() {
                row(n - i, &mut s);
                s.push_str(&line_sep);
            }
            row(n - 1, &mut s);
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// C printf `%.Ne` of a double, as Python's `"%e" % x` gives (`1.200000e-04`).
pub fn printf_e(x: f64, precision: usize) -> String {
    if !x.is_finite() {
        return printf_g(x, precision);
    }
    let s = format!("{:.*e}", precision, x);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings below were produced by real numpy 2.4 (`str(arr)`)
    // and Python (`"%.Ng" % x`); see each table's doc comment.

    #[test]
    fn real_tensorflow_outputs() {
        let a = [-0.8113182f32, 1.4845988, 0.06532937, -2.4427042, 0.0992484, 0.5912243];
        assert_eq!(
            format_f32(&a, &[2, 3]),
            "[[-0.8113182   1.4845988   0.06532937]\n [-2.4427042   0.0992484   0.5912243 ]]"
        );
        assert_eq!(
            format_f32(&[-0.8113182, 1.4845988, 0.06532937], &[3, 1]),
            "[[-0.8113182 ]\n [ 1.4845988 ]\n [ 0.06532937]]"
        );
        assert_eq!(format_f32(&[3.957578, 1.1537654, 3.1674924], &[3, 1]), "[[3.957578 ]\n [1.1537654]\n [3.1674924]]");
        let b = [0.02476986f32, 0.5694867, 1.6921943, -2.1977353, -0.23668918, 1.1143899];
        assert_eq!(
            format_f32(&b, &[2, 3]),
            "[[ 0.02476986  0.5694867   1.6921943 ]\n [-2.1977353  -0.23668918  1.1143899 ]]"
        );
        assert_eq!(format_f32(&[3.957578], &[1, 1]), "[[3.957578]]");
        assert_eq!(format_f32(&[3.957578], &[]), "3.957578");
    }

    #[test]
    fn simple_layouts() {
        assert_eq!(format_f32(&[3.0, 5.4], &[2]), "[3.  5.4]");
        assert_eq!(format_f32(&[5.0, 7.0], &[2]), "[5. 7.]");
        assert_eq!(format_f32(&[0.0], &[1]), "[0.]");
        assert_eq!(format_f32(&[-0.0], &[1]), "[-0.]");
        assert_eq!(format_f64(&[1e-5, 1.0], &[2]), "[1.e-05 1.e+00]");
        assert_eq!(format_f64(&[1e-10, 2.5], &[2]), "[1.0e-10 2.5e+00]");
        assert_eq!(format_i32(&[1, 2, 3], &[3]), "[1 2 3]");
        assert_eq!(format_i32(&[1, -2, 3, 4], &[2, 2]), "[[ 1 -2]\n [ 3  4]]");
        assert_eq!(format_bool(&[true, false], &[2]), "[ True False]");
        assert_eq!(format_i64(&[5], &[]), "5");
        assert_eq!(format_bool(&[true], &[]), "True");
        assert_eq!(format_f64(&[f64::NAN, 1.5, f64::NEG_INFINITY], &[3]), "[ nan  1.5 -inf]");
        let three_d: Vec<i32> = (0..8).collect();
        assert_eq!(format_i32(&three_d, &[2, 2, 2]), "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]");
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert_eq!(format_f32(&[], &[0]), "[]");
        assert_eq!(format_f32(&[], &[2, 0]), "[]");
        assert_eq!(format_i32(&[], &[0, 3]), "[]");
        assert_eq!(format_bool(&[], &[]), "[]");
        // Shape/data mismatch: printed as 1-D.
        assert_eq!(format_f32(&[1.0, 2.5], &[3]), "[1.  2.5]");
        assert_eq!(format_i32(&[1, 2], &[]), "[1 2]");
        assert_eq!(format_i64(&[1, 2, 3], &[0]), "[1 2 3]");
        assert_eq!(format_f64(&[1.0], &[usize::MAX, 2]), "[1.]");
        assert_eq!(format_f32(&[], &[5]), "[]");
        assert_eq!(printf_g(1.5, usize::MAX), "1.5");
        assert_eq!(format_i32(&[4], &[1; 65]), "[4]");
        assert_eq!(format_i32(&[4], &[1; 4]), "[[[[4]]]]");
    }

    fn check<T: Copy + std::fmt::Debug>(cases: &[(&[T], &[usize], &str)], f: fn(&[T], &[usize]) -> String) {
        for (data, shape, expected) in cases {
            assert_eq!(f(data, shape), *expected, "data {data:?}, shape {shape:?}");
        }
    }

    #[test]
    fn float32_arrays_match_numpy() {
        check(F32_CASES, format_f32);
    }

    #[test]
    fn float64_arrays_match_numpy() {
        check(F64_CASES, format_f64);
    }

    #[test]
    fn int_arrays_match_numpy() {
        check(I32_CASES, format_i32);
        check(I64_CASES, format_i64);
    }

    #[test]
    fn bool_arrays_match_numpy() {
        check(BOOL_CASES, format_bool);
    }

    /// Builds the same data numpy built for [`SUMMARY_CASES`].
    fn summary_output(generator: &str, n: usize, shape: &[usize]) -> String {
        match generator {
            // np.arange(n, dtype=np.float32) * np.float32(0.37)
            "f32_037" => {
                let d: Vec<f32> = (0..n).map(|i| i as f32 * 0.37f32).collect();
                format_f32(&d, shape)
            }
            // np.arange(n, dtype=np.float64) * 1e-3 - 0.5
            "f64_milli" => {
                let d: Vec<f64> = (0..n).map(|i| i as f64 * 1e-3 - 0.5).collect();
                format_f64(&d, shape)
            }
            // np.arange(n, dtype=np.int64) - 7
            "i64_minus7" => {
                let d: Vec<i64> = (0..n as i64).map(|i| i - 7).collect();
                format_i64(&d, shape)
            }
            // np.arange(n) % 3 == 0
            "bool_mod3" => {
                let d: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
                format_bool(&d, shape)
            }
            // np.arange(n, dtype=np.float32) * np.float32(1e-6)
            "f32_micro" => {
                let d: Vec<f32> = (0..n).map(|i| i as f32 * 1e-6f32).collect();
                format_f32(&d, shape)
            }
            other => panic!("unknown generator {other}"),
        }
    }

    #[test]
    fn summarised_arrays_match_numpy() {
        for (generator, n, shape, expected) in SUMMARY_CASES {
            assert_eq!(summary_output(generator, *n, shape), *expected, "{generator} {shape:?}");
        }
    }

    #[test]
    fn scalars_match_numpy() {
        for &(x32, s32, x64, s64) in SCALAR_CASES {
            assert_eq!(scalar_f32(x32), s32, "float32 {x32:?}");
            assert_eq!(scalar_f64(x64), s64, "float64 {x64:?}");
            assert_eq!(format_f32(&[x32], &[]), s32);
            assert_eq!(format_f64(&[x64], &[]), s64);
        }
    }

    #[test]
    fn printf_g_matches_python() {
        for &(x, p, expected) in PRINTF_G_CASES {
            assert_eq!(printf_g(x, p), expected, "%.{p}g of {x:?}");
        }
    }

    /// `(data, shape, str(np.array(data, dtype=float32)))`, generated with numpy 2.4.
    #[rustfmt::skip]
    const F32_CASES: &[(&[f32], &[usize], &str)] = &[
        (&[3.0, 5.4], &[2], "[3.  5.4]"),
        (&[5.0, 7.0], &[2], "[5. 7.]"),
        (&[0.0], &[1], "[0.]"),
        (&[-0.0], &[1], "[-0.]"),
        (&[-0.0, 1.5], &[2], "[-0.   1.5]"),
        (&[0.1, 0.2, 0.3], &[3], "[0.1 0.2 0.3]"),
        (&[0.33333334, 0.6666667, 1.0], &[3], "[0.33333334 0.6666667  1.        ]"),
        (&[1e-05, 1.0], &[2], "[1.e-05 1.e+00]"),
        (&[1e-10, 2.5], &[2], "[1.0e-10 2.5e+00]"),
        (&[0.1, 1e-05, 1.2345679], &[3], "[1.0000000e-01 9.9999997e-06 1.2345679e+00]"),
        (&[0.0, 1e-05], &[2], "[0.e+00 1.e-05]"),
        (&[0.0, -1e-05], &[2], "[ 0.e+00 -1.e-05]"),
        (&[1e+06, 2.0], &[2], "[1.e+06 2.e+00]"),
        (&[999999.0, 1.5], &[2], "[9.99999e+05 1.50000e+00]"),
        (&[1e+08, 1.0], &[2], "[1.e+08 1.e+00]"),
        (&[1.2345679e+08, 3.0], &[2], "[1.2345679e+08 3.0000000e+00]"),
        (&[1e+30, -1e-30], &[2], "[ 1.e+30 -1.e-30]"),
        (&[f32::NAN, 1.5, f32::NEG_INFINITY], &[3], "[ nan  1.5 -inf]"),
        (&[f32::NAN, 1e-05, f32::NEG_INFINITY], &[3], "[   nan 1.e-05   -inf]"),
        (&[f32::NAN], &[1], "[nan]"),
        (&[f32::INFINITY, f32::NEG_INFINITY], &[2], "[ inf -inf]"),
        (&[f32::NAN, f32::INFINITY, 0.0], &[3], "[nan inf  0.]"),
        (&[0.001953125, 0.0009765625, 0.00048828125], &[3], "[0.00195312 0.00097656 0.00048828]"),
        (&[1.0, 1.0, 0.12345678], &[3], "[1.         1.         0.12345678]"),
        (&[1e-04, 0.00010001, 0.1], &[3], "[1.0000e-04 1.0001e-04 1.0000e-01]"),
        (&[1000.5, 1.0], &[2], "[1.0005e+03 1.0000e+00]"),
        (&[1000.5, 0.5], &[2], "[1.0005e+03 5.0000e-01]"),
        (&[0.3047171, -1.0399841, 0.7504512, 0.9405647, -1.9510351, -1.3021795], &[2, 3], "[[ 0.3047171 -1.0399841  0.7504512]\n [ 0.9405647 -1.9510351 -1.3021795]]"),
        (&[0.1278404, -0.3162426, -0.016801158, -0.8530439, 0.879398, 0.7777919], &[3, 2], "[[ 0.1278404  -0.3162426 ]\n [-0.01680116 -0.8530439 ]\n [ 0.879398    0.7777919 ]]"),
        (&[0.066030696, 1.1272413, 0.46750933, -0.85929245, 0.36875078, -0.95888263, 0.8784503, -0.049925912, -0.18486236, -0.68092954, 1.2225413, -0.15452948, -0.42832783, -0.35213354, 0.5323092, 0.36544406, 0.4127326, 0.430821, 2.1416476, -0.40641502, -0.51224273, -0.81377274, 0.61597943, 1.1289723], &[2, 3, 4], "[[[ 0.0660307   1.1272413   0.46750933 -0.85929245]\n  [ 0.36875078 -0.95888263  0.8784503  -0.04992591]\n  [-0.18486236 -0.68092954  1.2225413  -0.15452948]]\n\n [[-0.42832783 -0.35213354  0.5323092   0.36544406]\n  [ 0.4127326   0.430821    2.1416476  -0.40641502]\n  [-0.51224273 -0.81377274  0.61597943  1.1289723 ]]]"),
        (&[-0.11394746, -0.8401565, -0.8244812, 0.6505928, 0.7432542, 0.54315424, -0.6655097, 0.23216133, 0.11668581, 0.21868859, 0.8714288, 0.22359554, 0.67891353, 0.06757907, 0.2891194, 0.63128823], &[2, 2, 2, 2], "[[[[-0.11394746 -0.8401565 ]\n   [-0.8244812   0.6505928 ]]\n\n  [[ 0.7432542   0.54315424]\n   [-0.6655097   0.23216133]]]\n\n\n [[[ 0.11668581  0.21868859]\n   [ 0.8714288   0.22359554]]\n\n  [[ 0.67891353  0.06757907]\n   [ 0.2891194   0.63128823]]]]"),
        (&[-1.4571558, -0.3196712, -0.47037265, -0.63887787, -0.27514225, 1.4949414, -0.86583114, 0.96827835, -1.6828698, -0.33488503, 0.16275306, 0.58622235, 0.7112266, 0.79334724, -0.34872508, -0.4623518, 0.8579759, -0.19130433, -1.2756863, -1.1332872, -0.9194523, 0.49716073, 0.14242573, 0.69048536, -0.42725265, 0.1585397, 0.6255904, -0.30934653, 0.45677525, -0.6619259], &[30], "[-1.4571558  -0.3196712  -0.47037265 -0.63887787 -0.27514225  1.4949414\n -0.86583114  0.96827835 -1.6828698  -0.33488503  0.16275306  0.58622235\n  0.7112266   0.79334724 -0.34872508 -0.4623518   0.8579759  -0.19130433\n -1.2756863  -1.1332872  -0.9194523   0.49716073  0.14242573  0.69048536\n -0.42725265  0.1585397   0.6255904  -0.30934653  0.45677525 -0.6619259 ]"),
        (&[-3.6305386e-07, -3.817379e-07, -1.1958397e-06, 4.8697245e-07, -4.6940235e-07, 1.2494119e-08, 4.807467e-07, 4.4653117e-07, 6.6538513e-07, -9.8485486e-08, -4.232983e-07, -7.971821e-08, -1.6873345e-06, -1.4471125e-06, -1.3226996e-06, -9.972468e-07, 3.9977422e-07, -9.0547906e-07, -3.7816255e-07, 1.2992283e-06, -3.5626397e-07, 7.3751556e-07, -9.336177e-07, -2.0543756e-07, -9.5002207e-07, -3.3903308e-07, 8.4030813e-07, -1.7273204e-06, 4.3442364e-07, 2.377356e-07, -5.9415e-07, -1.4460578e-06, 7.212951e-08, -5.294927e-07, 2.3267621e-07, 2.1852145e-08, 1.6017789e-06, -2.3935561e-07, -1.0234975e-06, 1.7927563e-07], &[2, 20], "[[-3.6305386e-07 -3.8173789e-07 -1.1958397e-06  4.8697245e-07\n  -4.6940235e-07  1.2494119e-08  4.8074668e-07  4.4653117e-07\n   6.6538513e-07 -9.8485486e-08 -4.2329830e-07 -7.9718212e-08\n  -1.6873345e-06 -1.4471125e-06 -1.3226996e-06 -9.9724684e-07\n   3.9977422e-07 -9.0547906e-07 -3.7816255e-07  1.2992283e-06]\n [-3.5626397e-07  7.3751556e-07 -9.3361768e-07 -2.0543756e-07\n  -9.5002207e-07 -3.3903308e-07  8.4030813e-07 -1.7273204e-06\n   4.3442364e-07  2.3773561e-07 -5.9414998e-07 -1.4460578e-06\n   7.2129509e-08 -5.2949270e-07  2.3267621e-07  2.1852145e-08\n   1.6017789e-06 -2.3935561e-07 -1.0234975e-06  1.7927563e-07]]"),
        (&[219.99669, 1359.1876, 835.11127, 356.87106, 1463.3029, -1188.7631, -639.7515, -926.5759, -389.8098, -1376.6862, 635.15094, -222.2227, -1470.8063, -1015.5791, 313.51385, 838.1266, 1996.7308, 2913.8625, 414.40942, -989.53815, -2132.0464, 267.71146, -812.9411, -415.35727], &[2, 12], "[[  219.99669  1359.1876    835.11127   356.87106  1463.3029  -1188.7631\n   -639.7515   -926.5759   -389.8098  -1376.6862    635.15094  -222.2227 ]\n [-1470.8063  -1015.5791    313.51385   838.1266   1996.7308   2913.8625\n    414.40942  -989.53815 -2132.0464    267.71146  -812.9411   -415.35727]]"),
        (&[0.08685271, 4.892723e-09, 465877.03, 7.621097e+06, 5.629717e-07, 8.683683, 1.5858575e-07, 982.0122, 0.00015835857, 588.1049, 8776.075, 46439.223], &[3, 4], "[[8.6852707e-02 4.8927231e-09 4.6587703e+05 7.6210970e+06]\n [5.6297171e-07 8.6836834e+00 1.5858575e-07 9.8201221e+02]\n [1.5835857e-04 5.8810492e+02 8.7760752e+03 4.6439223e+04]]"),
        (&[-18.0, -40.0, 11.0, 41.0, 47.0, -27.0, -27.0, -47.0, -36.0, 5.0, 4.0, -13.0], &[2, 2, 3], "[[[-18. -40.  11.]\n  [ 41.  47. -27.]]\n\n [[-27. -47. -36.]\n  [  5.   4. -13.]]]"),
        (&[-0.8213867, 0.8384892, -0.90292716, 0.93157303, 0.38495097, -0.15663789, -0.040762525, -0.6547877, 0.4460722], &[1, 9], "[[-0.8213867   0.8384892  -0.90292716  0.93157303  0.38495097 -0.15663789\n  -0.04076253 -0.6547877   0.4460722 ]]"),
        (&[-0.45498347, -1.2256057, -1.2779375, 0.17258792], &[4, 1, 1], "[[[-0.45498347]]\n\n [[-1.2256057 ]]\n\n [[-1.2779375 ]]\n\n [[ 0.17258792]]]"),
    ];

    /// `(data, shape, str(np.array(data, dtype=float64)))`, generated with numpy 2.4.
    #[rustfmt::skip]
    const F64_CASES: &[(&[f64], &[usize], &str)] = &[
        (&[3.0, 5.4], &[2], "[3.  5.4]"),
        (&[5.0, 7.0], &[2], "[5. 7.]"),
        (&[0.0], &[1], "[0.]"),
        (&[-0.0], &[1], "[-0.]"),
        (&[-0.0, 1.5], &[2], "[-0.   1.5]"),
        (&[0.1, 0.2, 0.3], &[3], "[0.1 0.2 0.3]"),
        (&[0.3333333333333333, 0.6666666666666666, 1.0], &[3], "[0.33333333 0.66666667 1.        ]"),
        (&[1e-05, 1.0], &[2], "[1.e-05 1.e+00]"),
        (&[1e-10, 2.5], &[2], "[1.0e-10 2.5e+00]"),
        (&[0.1, 1e-05, 1.23456789], &[3], "[1.00000000e-01 1.00000000e-05 1.23456789e+00]"),
        (&[0.0, 1e-05], &[2], "[0.e+00 1.e-05]"),
        (&[0.0, -1e-05], &[2], "[ 0.e+00 -1.e-05]"),
        (&[1000000.0, 2.0], &[2], "[1.e+06 2.e+00]"),
        (&[999999.0, 1.5], &[2], "[9.99999e+05 1.50000e+00]"),
        (&[100000000.0, 1.0], &[2], "[1.e+08 1.e+00]"),
        (&[123456789.0, 3.0], &[2], "[1.23456789e+08 3.00000000e+00]"),
        (&[1e+300, -1e-300], &[2], "[ 1.e+300 -1.e-300]"),
        (&[f64::NAN, 1.5, f64::NEG_INFINITY], &[3], "[ nan  1.5 -inf]"),
        (&[f64::NAN, 1e-05, f64::NEG_INFINITY], &[3], "[   nan 1.e-05   -inf]"),
        (&[f64::NAN], &[1], "[nan]"),
        (&[f64::INFINITY, f64::NEG_INFINITY], &[2], "[ inf -inf]"),
        (&[f64::NAN, f64::INFINITY, 0.0], &[3], "[nan inf  0.]"),
        (&[0.001953125, 0.0009765625, 0.00048828125], &[3], "[0.00195312 0.00097656 0.00048828]"),
        (&[0.999999999, 1.000000005, 0.123456785], &[3], "[1.         1.         0.12345678]"),
        (&[0.0001, 0.00010001, 0.1], &[3], "[0.0001     0.00010001 0.1       ]"),
        (&[1000.5, 1.0], &[2], "[1.0005e+03 1.0000e+00]"),
        (&[1000.5, 0.5], &[2], "[1.0005e+03 5.0000e-01]"),
        (&[1.579091256410435, 0.15999161357343825, -0.11863832610988256, 0.2858261396025429, 1.3060017417068248, 0.21938250136385634], &[2, 3], "[[ 1.57909126  0.15999161 -0.11863833]\n [ 0.28582614  1.30600174  0.2193825 ]]"),
        (&[-0.41092723083373717, 1.1062887100598888, 0.4287564384616135, 1.535755991995992, 0.18323443722190613, -1.2244690317205003], &[3, 2], "[[-0.41092723  1.10628871]\n [ 0.42875644  1.53575599]\n [ 0.18323444 -1.22446903]]"),
        (&[-1.368159199245665, 1.6509279322312496, 1.723665720783297, -0.17951921328260065, -0.38318732113598775, 1.4614442922422022, -1.107045682043488, -0.8947270189558264, 0.6433267946890444, -0.3946051228595896, -0.005121866720071296, -0.16344289852451258, 0.33757454879893356, 1.4074818613137168, 0.09058490690174555, 0.6439387932768579, -2.0501721010310225, -0.04871840193011795, -0.8432302702928711, -1.218813060423628, -0.8781523669287508, -0.33412344070081207, 0.9159025423560131, -1.326392717739564], &[2, 3, 4], "[[[-1.3681592   1.65092793  1.72366572 -0.17951921]\n  [-0.38318732  1.46144429 -1.10704568 -0.89472702]\n  [ 0.64332679 -0.39460512 -0.00512187 -0.1634429 ]]\n\n [[ 0.33757455  1.40748186  0.09058491  0.64393879]\n  [-2.0501721  -0.0487184  -0.84323027 -1.21881306]\n  [-0.87815237 -0.33412344  0.91590254 -1.32639272]]]"),
        (&[0.030631492594417446, -0.4841694333335785, -0.32767309436196085, 1.0027578253046041, 0.5381154370039261, 1.3373981074427437, -0.15450567924990047, -0.695942611670703, -0.22385881688049952, 0.2424967912712216, 0.17657335845371103, -1.0843880722333665, 0.09048978162787422, 0.22822833013890514, 2.5174740375339204, 1.8768446112816701], &[2, 2, 2, 2], "[[[[ 0.03063149 -0.48416943]\n   [-0.32767309  1.00275783]]\n\n  [[ 0.53811544  1.33739811]\n   [-0.15450568 -0.69594261]]]\n\n\n [[[-0.22385882  0.24249679]\n   [ 0.17657336 -1.08438807]]\n\n  [[ 0.09048978  0.22822833]\n   [ 2.51747404  1.87684461]]]]"),
        (&[-0.8532433505588201, -0.2873833615491761, -1.4634420018370031, -0.5907070139634865, 0.3156050035903405, 1.2058536208882336, -0.7290838377436085, -0.6541464400677965, -2.147289029738655, -0.16266592054490767, -1.062414411859563, -0.5294394273660737, -0.8768607781675882, -0.09426255425255699, -1.7577283913566313, -1.4670452453909906, 2.129247112028298, -1.287422581274031, -1.0967855784546396, 1.836913528321314, 2.905067169240407, -1.1715666288253417, -0.36824895678803055, 0.34155555094050954, 1.7286976444055924, -0.9868570784282374, -0.24527784594210975, 0.777337576061744, 0.43476607446661863, -0.37615607123009925], &[30], "[-0.85324335 -0.28738336 -1.463442   -0.59070701  0.315605    1.20585362\n -0.72908384 -0.65414644 -2.14728903 -0.16266592 -1.06241441 -0.52943943\n -0.87686078 -0.09426255 -1.75772839 -1.46704525  2.12924711 -1.28742258\n -1.09678558  1.83691353  2.90506717 -1.17156663 -0.36824896  0.34155555\n  1.72869764 -0.98685708 -0.24527785  0.77733758  0.43476607 -0.37615607]"),
        (&[-1.3382296451604113e-07, -1.3748958083699817e-06, -2.3817374397466522e-07, -2.663874900089551e-07, 2.3216988962625594e-07, -5.55327218819016e-07, 4.71538522545139e-07, 1.0127158178198285e-06, 1.5542932766846604e-07, 3.5175640839920347e-07, 5.315534757786736e-08, 8.439309141418042e-11, -7.215580335428473e-07, 3.16494261673308e-07, -9.728659841348946e-08, 2.093168308930595e-06, 1.5733549024752424e-06, 3.8584655255650077e-07, -7.630572096947675e-07, -1.1124114719834179e-06, 1.191142953088865e-06, 2.627492251471385e-07, 4.801434033916108e-07, -1.7445859869741925e-06, 9.274384815581807e-07, 4.5442033821436294e-07, -1.110430684414478e-06, -4.7152480744994893e-07, 2.6371720435651956e-07, 5.2466798356243626e-08, -2.9217118580355497e-07, -1.0348826806596085e-07, -2.5197737820688534e-07, 1.5256251210246856e-07, 1.471491972993157e-06, -2.5666584409312974e-06, -2.3685026450968422e-07, 1.7651242137244696e-07, 2.959939896870995e-07, -3.719145813212898e-07], &[2, 20], "[[-1.33822965e-07 -1.37489581e-06 -2.38173744e-07 -2.66387490e-07\n   2.32169890e-07 -5.55327219e-07  4.71538523e-07  1.01271582e-06\n   1.55429328e-07  3.51756408e-07  5.31553476e-08  8.43930914e-11\n  -7.21558034e-07  3.16494262e-07 -9.72865984e-08  2.09316831e-06\n   1.57335490e-06  3.85846553e-07 -7.63057210e-07 -1.11241147e-06]\n [ 1.19114295e-06  2.62749225e-07  4.80143403e-07 -1.74458599e-06\n   9.27438482e-07  4.54420338e-07 -1.11043068e-06 -4.71524807e-07\n   2.63717204e-07  5.24667984e-08 -2.92171186e-07 -1.03488268e-07\n  -2.51977378e-07  1.52562512e-07  1.47149197e-06 -2.56665844e-06\n  -2.36850265e-07  1.76512421e-07  2.95993990e-07 -3.71914581e-07]]"),
        (&[-1756.7217824785826, 327.99548371410964, 1727.350214164185, -1533.8614049161376, 863.8280136981883, -328.5252231228939, -61.3243458288473, -1052.8985107039491, -334.4561723558767, 1300.0445946989585, 582.655241987707, 1732.3116054099441, 1177.4118889776937, 439.0866789295762, 1743.934526167792, 438.99315873829875, 827.9881767970589, -296.57095353470834, 66.54581585920482, -697.4238233002768, 989.5839345948531, -1178.3036231148656, 782.3503424176613, -190.65105750515946], &[2, 12], "[[-1756.72178248   327.99548371  1727.35021416 -1533.86140492\n    863.8280137   -328.52522312   -61.32434583 -1052.8985107\n   -334.45617236  1300.0445947    582.65524199  1732.31160541]\n [ 1177.41188898   439.08667893  1743.93452617   438.99315874\n    827.9881768   -296.57095353    66.54581586  -697.4238233\n    989.58393459 -1178.30362311   782.35034242  -190.65105751]]"),
        (&[97.0464395009091, 9.248955933962444e-08, 8338.38749601126, 6.052125283549426e-08, 37415398.71613614, 5.024936677988441e-07, 93662629.50802556, 168613.946975611, 42.40558938442735, 81223.84861491634, 133865.86355366468, 56012336.14220629], &[3, 4], "[[9.70464395e+01 9.24895593e-08 8.33838750e+03 6.05212528e-08]\n [3.74153987e+07 5.02493668e-07 9.36626295e+07 1.68613947e+05]\n [4.24055894e+01 8.12238486e+04 1.33865864e+05 5.60123361e+07]]"),
        (&[-41.0, -25.0, 22.0, 9.0, -45.0, -41.0, 2.0, 11.0, -34.0, -33.0, -38.0, 6.0], &[2, 2, 3], "[[[-41. -25.  22.]\n  [  9. -45. -41.]]\n\n [[  2.  11. -34.]\n  [-33. -38.   6.]]]"),
        (&[0.6087614722244398, -2.2912895085981, 0.3043667290302598, 0.07203357323257792, 0.41389028537269307, 1.6162096816512073, -2.063238276804743, -0.5911034251911056, 0.5909063227933546], &[1, 9], "[[ 0.60876147 -2.29128951  0.30436673  0.07203357  0.41389029  1.61620968\n  -2.06323828 -0.59110343  0.59090632]]"),
        (&[-1.5815943994539423, 1.475949048053509, 0.3683566127006584, 0.846583985843404], &[4, 1, 1], "[[[-1.5815944 ]]\n\n [[ 1.47594905]]\n\n [[ 0.36835661]]\n\n [[ 0.84658399]]]"),
    ];

    #[rustfmt::skip]
    const I32_CASES: &[(&[i32], &[usize], &str)] = &[
        (&[1, 2, 3], &[3], "[1 2 3]"),
        (&[1, -2, 3, 4], &[2, 2], "[[ 1 -2]\n [ 3  4]]"),
        (&[0], &[1], "[0]"),
        (&[-5], &[1], "[-5]"),
        (&[-12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], &[2, 3, 4], "[[[-12 -11 -10  -9]\n  [ -8  -7  -6  -5]\n  [ -4  -3  -2  -1]]\n\n [[  0   1   2   3]\n  [  4   5   6   7]\n  [  8   9  10  11]]]"),
        (&[843246932, 548642831, -583470486, 342462826, 461069170, -332724484, 476462642, 796733094, 634228570, 525064293, 268994875, -458930119, 590445897, -271615965, 64393640, -371120040, -373965854, -684776703, 922595355, -704433256, -827482372, 872254926, 110026333, -124191926, 474982700, -233360355, -744156763, 459371417, -648001001, 105986130], &[30], "[ 843246932  548642831 -583470486  342462826  461069170 -332724484\n  476462642  796733094  634228570  525064293  268994875 -458930119\n  590445897 -271615965   64393640 -371120040 -373965854 -684776703\n  922595355 -704433256 -827482372  872254926  110026333 -124191926\n  474982700 -233360355 -744156763  459371417 -648001001  105986130]"),
        (&[2147483647, -2147483648], &[2], "[ 2147483647 -2147483648]"),
    ];

    #[rustfmt::skip]
    const I64_CASES: &[(&[i64], &[usize], &str)] = &[
        (&[9223372036854775807, -9223372036854775808, 0], &[3], "[ 9223372036854775807 -9223372036854775808                    0]"),
        (&[872279973676924, 560602987818784, -41260871750920, -247281053038348, 973263089848644, 435520472007287, 902389320007682, -763042845565918, 701067358381565, 274147767982415, -756156643329775, 176515999938441], &[3, 4], "[[ 872279973676924  560602987818784  -41260871750920 -247281053038348]\n [ 973263089848644  435520472007287  902389320007682 -763042845565918]\n [ 701067358381565  274147767982415 -756156643329775  176515999938441]]"),
    ];

    #[rustfmt::skip]
    const BOOL_CASES: &[(&[bool], &[usize], &str)] = &[
        (&[true, false], &[2], "[ True False]"),
        (&[true], &[1], "[ True]"),
        (&[false], &[1], "[False]"),
        (&[true, false, true, true], &[2, 2], "[[ True False]\n [ True  True]]"),
        (&[false, true, true, false, false, false, true, true, false, false, true, false, false, false, false, false, true, true, true, true], &[20], "[False  True  True False False False  True  True False False  True False\n False False False False  True  True  True  True]"),
        (&[true, false, false, true, false, true, true, false, true, true, false, false], &[2, 3, 2], "[[[ True False]\n  [False  True]\n  [False  True]]\n\n [[ True False]\n  [ True  True]\n  [False False]]]"),
    ];

    /// `(generator, n, shape, expected)`; see `summary_data`.
    #[rustfmt::skip]
    const SUMMARY_CASES: &[(&str, usize, &[usize], &str)] = &[
        ("f32_037", 2000, &[2000], "[0.0000e+00 3.7000e-01 7.4000e-01 ... 7.3889e+02 7.3926e+02 7.3963e+02]"),
        ("f64_milli", 2000, &[2000], "[-0.5   -0.499 -0.498 ...  1.497  1.498  1.499]"),
        ("i64_minus7", 2000, &[2000], "[  -7   -6   -5 ... 1990 1991 1992]"),
        ("f32_037", 1001, &[1001], "[  0.     0.37   0.74 ... 369.26 369.63 370.  ]"),
        ("f64_milli", 1001, &[1001], "[-0.5   -0.499 -0.498 ...  0.498  0.499  0.5  ]"),
        ("i64_minus7", 1001, &[1001], "[ -7  -6  -5 ... 991 992 993]"),
        ("f32_037", 1200, &[40, 30], "[[0.00000000e+00 3.70000005e-01 7.40000010e-01 ... 9.98999977e+00\n  1.03600006e+01 1.07300005e+01]\n [1.11000004e+01 1.14700003e+01 1.18400002e+01 ... 2.10900002e+01\n  2.14600010e+01 2.18299999e+01]\n [2.22000008e+01 2.25699997e+01 2.29400005e+01 ... 3.21899986e+01\n  3.25600014e+01 3.29300003e+01]\n ...\n [4.10700012e+02 4.11070007e+02 4.11440002e+02 ... 4.20690002e+02\n  4.21059998e+02 4.21429993e+02]\n [4.21800018e+02 4.22170013e+02 4.22540009e+02 ... 4.31790009e+02\n  4.32160004e+02 4.32529999e+02]\n [4.32899994e+02 4.33270020e+02 4.33640015e+02 ... 4.42890015e+02\n  4.43260010e+02 4.43630005e+02]]"),
        ("f64_milli", 1200, &[40, 30], "[[-0.5   -0.499 -0.498 ... -0.473 -0.472 -0.471]\n [-0.47  -0.469 -0.468 ... -0.443 -0.442 -0.441]\n [-0.44  -0.439 -0.438 ... -0.413 -0.412 -0.411]\n ...\n [ 0.61   0.611  0.612 ...  0.637  0.638  0.639]\n [ 0.64   0.641  0.642 ...  0.667  0.668  0.669]\n [ 0.67   0.671  0.672 ...  0.697  0.698  0.699]]"),
        ("i64_minus7", 1200, &[40, 30], "[[  -7   -6   -5 ...   20   21   22]\n [  23   24   25 ...   50   51   52]\n [  53   54   55 ...   80   81   82]\n ...\n [1103 1104 1105 ... 1130 1131 1132]\n [1133 1134 1135 ... 1160 1161 1162]\n [1163 1164 1165 ... 1190 1191 1192]]"),
        ("f32_037", 1200, &[2, 10, 60], "[[[0.0000000e+00 3.7000000e-01 7.4000001e-01 ... 2.1090000e+01\n   2.1460001e+01 2.1830000e+01]\n  [2.2200001e+01 2.2570000e+01 2.2940001e+01 ... 4.3290001e+01\n   4.3660000e+01 4.4029999e+01]\n  [4.4400002e+01 4.4770000e+01 4.5139999e+01 ... 6.5489998e+01\n   6.5860001e+01 6.6230003e+01]\n  ...\n  [1.5540001e+02 1.5577000e+02 1.5614000e+02 ... 1.7649001e+02\n   1.7686000e+02 1.7723000e+02]\n  [1.7760001e+02 1.7797000e+02 1.7834000e+02 ... 1.9869000e+02\n   1.9906000e+02 1.9943001e+02]\n  [1.9980000e+02 2.0017000e+02 2.0054001e+02 ... 2.2089000e+02\n   2.2126001e+02 2.2163000e+02]]\n\n [[2.2200000e+02 2.2237001e+02 2.2274001e+02 ... 2.4309000e+02\n   2.4346001e+02 2.4383000e+02]\n  [2.4420000e+02 2.4457001e+02 2.4494000e+02 ... 2.6529001e+02\n   2.6566000e+02 2.6603000e+02]\n  [2.6639999e+02 2.6676999e+02 2.6714001e+02 ... 2.8748999e+02\n   2.8786002e+02 2.8823001e+02]\n  ...\n  [3.7739999e+02 3.7777002e+02 3.7814001e+02 ... 3.9848999e+02\n   3.9886002e+02 3.9923001e+02]\n  [3.9960001e+02 3.9997000e+02 4.0034000e+02 ... 4.2069000e+02\n   4.2106000e+02 4.2142999e+02]\n  [4.2180002e+02 4.2217001e+02 4.2254001e+02 ... 4.4289001e+02\n   4.4326001e+02 4.4363000e+02]]]"),
        ("f64_milli", 1200, &[2, 10, 60], "[[[-0.5   -0.499 -0.498 ... -0.443 -0.442 -0.441]\n  [-0.44  -0.439 -0.438 ... -0.383 -0.382 -0.381]\n  [-0.38  -0.379 -0.378 ... -0.323 -0.322 -0.321]\n  ...\n  [-0.08  -0.079 -0.078 ... -0.023 -0.022 -0.021]\n  [-0.02  -0.019 -0.018 ...  0.037  0.038  0.039]\n  [ 0.04   0.041  0.042 ...  0.097  0.098  0.099]]\n\n [[ 0.1    0.101  0.102 ...  0.157  0.158  0.159]\n  [ 0.16   0.161  0.162 ...  0.217  0.218  0.219]\n  [ 0.22   0.221  0.222 ...  0.277  0.278  0.279]\n  ...\n  [ 0.52   0.521  0.522 ...  0.577  0.578  0.579]\n  [ 0.58   0.581  0.582 ...  0.637  0.638  0.639]\n  [ 0.64   0.641  0.642 ...  0.697  0.698  0.699]]]"),
        ("i64_minus7", 1200, &[2, 10, 60], "[[[  -7   -6   -5 ...   50   51   52]\n  [  53   54   55 ...  110  111  112]\n  [ 113  114  115 ...  170  171  172]\n  ...\n  [ 413  414  415 ...  470  471  472]\n  [ 473  474  475 ...  530  531  532]\n  [ 533  534  535 ...  590  591  592]]\n\n [[ 593  594  595 ...  650  651  652]\n  [ 653  654  655 ...  710  711  712]\n  [ 713  714  715 ...  770  771  772]\n  ...\n  [1013 1014 1015 ... 1070 1071 1072]\n  [1073 1074 1075 ... 1130 1131 1132]\n  [1133 1134 1135 ... 1190 1191 1192]]]"),
        ("f32_037", 1200, &[3, 400], "[[0.0000e+00 3.7000e-01 7.4000e-01 ... 1.4689e+02 1.4726e+02 1.4763e+02]\n [1.4800e+02 1.4837e+02 1.4874e+02 ... 2.9489e+02 2.9526e+02 2.9563e+02]\n [2.9600e+02 2.9637e+02 2.9674e+02 ... 4.4289e+02 4.4326e+02 4.4363e+02]]"),
        ("f64_milli", 1200, &[3, 400], "[[-0.5   -0.499 -0.498 ... -0.103 -0.102 -0.101]\n [-0.1   -0.099 -0.098 ...  0.297  0.298  0.299]\n [ 0.3    0.301  0.302 ...  0.697  0.698  0.699]]"),
        ("i64_minus7", 1200, &[3, 400], "[[  -7   -6   -5 ...  390  391  392]\n [ 393  394  395 ...  790  791  792]\n [ 793  794  795 ... 1190 1191 1192]]"),
        ("f32_037", 1200, &[400, 3], "[[0.0000000e+00 3.7000000e-01 7.4000001e-01]\n [1.1100000e+00 1.4800000e+00 1.8500000e+00]\n [2.2200000e+00 2.5900002e+00 2.9600000e+00]\n ...\n [4.4067001e+02 4.4104001e+02 4.4141000e+02]\n [4.4178000e+02 4.4214999e+02 4.4252002e+02]\n [4.4289001e+02 4.4326001e+02 4.4363000e+02]]"),
        ("f64_milli", 1200, &[400, 3], "[[-0.5   -0.499 -0.498]\n [-0.497 -0.496 -0.495]\n [-0.494 -0.493 -0.492]\n ...\n [ 0.691  0.692  0.693]\n [ 0.694  0.695  0.696]\n [ 0.697  0.698  0.699]]"),
        ("i64_minus7", 1200, &[400, 3], "[[  -7   -6   -5]\n [  -4   -3   -2]\n [  -1    0    1]\n ...\n [1184 1185 1186]\n [1187 1188 1189]\n [1190 1191 1192]]"),
        ("f32_037", 1040, &[2, 2, 2, 130], "[[[[0.0000000e+00 3.7000000e-01 7.4000001e-01 ... 4.6990002e+01\n    4.7360001e+01 4.7730000e+01]\n   [4.8100002e+01 4.8470001e+01 4.8840000e+01 ... 9.5090004e+01\n    9.5459999e+01 9.5830002e+01]]\n\n  [[9.6200005e+01 9.6570000e+01 9.6940002e+01 ... 1.4319000e+02\n    1.4356000e+02 1.4393001e+02]\n   [1.4430000e+02 1.4467000e+02 1.4504001e+02 ... 1.9129001e+02\n    1.9166000e+02 1.9203000e+02]]]\n\n\n [[[1.9240001e+02 1.9277000e+02 1.9314000e+02 ... 2.3939000e+02\n    2.3976001e+02 2.4013000e+02]\n   [2.4050000e+02 2.4087001e+02 2.4124001e+02 ... 2.8748999e+02\n    2.8786002e+02 2.8823001e+02]]\n\n  [[2.8860001e+02 2.8897000e+02 2.8934000e+02 ... 3.3559000e+02\n    3.3595999e+02 3.3633002e+02]\n   [3.3670001e+02 3.3707001e+02 3.3744000e+02 ... 3.8369000e+02\n    3.8406000e+02 3.8442999e+02]]]]"),
        ("f64_milli", 1040, &[2, 2, 2, 130], "[[[[-0.5   -0.499 -0.498 ... -0.373 -0.372 -0.371]\n   [-0.37  -0.369 -0.368 ... -0.243 -0.242 -0.241]]\n\n  [[-0.24  -0.239 -0.238 ... -0.113 -0.112 -0.111]\n   [-0.11  -0.109 -0.108 ...  0.017  0.018  0.019]]]\n\n\n [[[ 0.02   0.021  0.022 ...  0.147  0.148  0.149]\n   [ 0.15   0.151  0.152 ...  0.277  0.278  0.279]]\n\n  [[ 0.28   0.281  0.282 ...  0.407  0.408  0.409]\n   [ 0.41   0.411  0.412 ...  0.537  0.538  0.539]]]]"),
        ("i64_minus7", 1040, &[2, 2, 2, 130], "[[[[  -7   -6   -5 ...  120  121  122]\n   [ 123  124  125 ...  250  251  252]]\n\n  [[ 253  254  255 ...  380  381  382]\n   [ 383  384  385 ...  510  511  512]]]\n\n\n [[[ 513  514  515 ...  640  641  642]\n   [ 643  644  645 ...  770  771  772]]\n\n  [[ 773  774  775 ...  900  901  902]\n   [ 903  904  905 ... 1030 1031 1032]]]]"),
        ("f32_037", 1200, &[2, 600], "[[0.0000000e+00 3.7000000e-01 7.4000001e-01 ... 2.2089000e+02\n  2.2126001e+02 2.2163000e+02]\n [2.2200000e+02 2.2237001e+02 2.2274001e+02 ... 4.4289001e+02\n  4.4326001e+02 4.4363000e+02]]"),
        ("f64_milli", 1200, &[2, 600], "[[-0.5   -0.499 -0.498 ...  0.097  0.098  0.099]\n [ 0.1    0.101  0.102 ...  0.697  0.698  0.699]]"),
        ("i64_minus7", 1200, &[2, 600], "[[  -7   -6   -5 ...  590  591  592]\n [ 593  594  595 ... 1190 1191 1192]]"),
        ("bool_mod3", 2000, &[2000], "[ True False False ... False  True False]"),
        ("f32_micro", 1200, &[1200], "[0.000e+00 1.000e-06 2.000e-06 ... 1.197e-03 1.198e-03 1.199e-03]"),
    ];

    /// `(x as f32, str(np.float32(x)), x as f64, str(np.float64(x)))`.
    #[rustfmt::skip]
    const SCALAR_CASES: &[(f32, &str, f64, &str)] = &[
        (3.957578, "3.957578", 3.957578, "3.957578"),
        (1.0, "1.0", 1.0, "1.0"),
        (0.0, "0.0", 0.0, "0.0"),
        (-0.0, "-0.0", -0.0, "-0.0"),
        (1e-10, "1e-10", 1e-10, "1e-10"),
        (1.5e-10, "1.5e-10", 1.5e-10, "1.5e-10"),
        (1e-04, "1e-04", 0.0001, "0.0001"),
        (9.9e-05, "9.9e-05", 9.9e-05, "9.9e-05"),
        (0.1, "0.1", 0.1, "0.1"),
        (1.6777216e+07, "1.6777216e+07", 16777216.0, "16777216.0"),
        (1e+10, "1e+10", 10000000000.0, "10000000000.0"),
        (999999.0, "999999.0", 999999.0, "999999.0"),
        (1e+06, "1e+06", 1000000.0, "1000000.0"),
        (1.234567e+06, "1.234567e+06", 1234567.0, "1234567.0"),
        (1e+15, "1e+15", 1000000000000000.0, "1000000000000000.0"),
        (1e+16, "1e+16", 1e+16, "1e+16"),
        (1e+17, "1e+17", 1e+17, "1e+17"),
        (123.456, "123.456", 123.456, "123.456"),
        (-2.5, "-2.5", -2.5, "-2.5"),
        (3.4028235e+38, "3.4028235e+38", 3.4028235e+38, "3.4028235e+38"),
        (1e-45, "1e-45", 1e-45, "1e-45"),
        (f32::NAN, "nan", f64::NAN, "nan"),
        (f32::INFINITY, "inf", f64::INFINITY, "inf"),
        (f32::NEG_INFINITY, "-inf", f64::NEG_INFINITY, "-inf"),
        (0.3, "0.3", 0.30000001192092896, "0.30000001192092896"),
        (0.6666667, "0.6666667", 0.6666666666666666, "0.6666666666666666"),
    ];

    /// `(x, precision, "%.<precision>g" % x)` from Python.
    #[rustfmt::skip]
    const PRINTF_G_CASES: &[(f64, usize, &str)] = &[
        (1.8980512345, 6, "1.89805"),
        (1.8980512345, 0, "2"),
        (1.8980512345, 1, "2"),
        (1.8980512345, 3, "1.9"),
        (1.8980512345, 10, "1.898051235"),
        (1.8980512345, 17, "1.8980512345"),
        (0.655075123, 6, "0.655075"),
        (0.655075123, 0, "0.7"),
        (0.655075123, 1, "0.7"),
        (0.655075123, 3, "0.655"),
        (0.655075123, 10, "0.655075123"),
        (0.655075123, 17, "0.65507512300000004"),
        (1e-05, 6, "1e-05"),
        (1e-05, 0, "1e-05"),
        (1e-05, 1, "1e-05"),
        (1e-05, 3, "1e-05"),
        (1e-05, 10, "1e-05"),
        (1e-05, 17, "1.0000000000000001e-05"),
        (123456789.0, 6, "1.23457e+08"),
        (123456789.0, 0, "1e+08"),
        (123456789.0, 1, "1e+08"),
        (123456789.0, 3, "1.23e+08"),
        (123456789.0, 10, "123456789"),
        (123456789.0, 17, "123456789"),
        (0.0, 6, "0"),
        (0.0, 0, "0"),
        (0.0, 1, "0"),
        (0.0, 3, "0"),
        (0.0, 10, "0"),
        (0.0, 17, "0"),
        (-0.0, 6, "-0"),
        (-0.0, 0, "-0"),
        (-0.0, 1, "-0"),
        (-0.0, 3, "-0"),
        (-0.0, 10, "-0"),
        (-0.0, 17, "-0"),
        (-0.5, 6, "-0.5"),
        (-0.5, 0, "-0.5"),
        (-0.5, 1, "-0.5"),
        (-0.5, 3, "-0.5"),
        (-0.5, 10, "-0.5"),
        (-0.5, 17, "-0.5"),
        (0.5, 6, "0.5"),
        (0.5, 0, "0.5"),
        (0.5, 1, "0.5"),
        (0.5, 3, "0.5"),
        (0.5, 10, "0.5"),
        (0.5, 17, "0.5"),
        (2.5, 6, "2.5"),
        (2.5, 0, "2"),
        (2.5, 1, "2"),
        (2.5, 3, "2.5"),
        (2.5, 10, "2.5"),
        (2.5, 17, "2.5"),
        (1.5, 6, "1.5"),
        (1.5, 0, "2"),
        (1.5, 1, "2"),
        (1.5, 3, "1.5"),
        (1.5, 10, "1.5"),
        (1.5, 17, "1.5"),
        (1e+20, 6, "1e+20"),
        (1e+20, 0, "1e+20"),
        (1e+20, 1, "1e+20"),
        (1e+20, 3, "1e+20"),
        (1e+20, 10, "1e+20"),
        (1e+20, 17, "1e+20"),
        (0.0001, 6, "0.0001"),
        (0.0001, 0, "0.0001"),
        (0.0001, 1, "0.0001"),
        (0.0001, 3, "0.0001"),
        (0.0001, 10, "0.0001"),
        (0.0001, 17, "0.0001"),
        (9.9999e-05, 6, "9.9999e-05"),
        (9.9999e-05, 0, "0.0001"),
        (9.9999e-05, 1, "0.0001"),
        (9.9999e-05, 3, "0.0001"),
        (9.9999e-05, 10, "9.9999e-05"),
        (9.9999e-05, 17, "9.9999000000000003e-05"),
        (0.000123456, 6, "0.000123456"),
        (0.000123456, 0, "0.0001"),
        (0.000123456, 1, "0.0001"),
        (0.000123456, 3, "0.000123"),
        (0.000123456, 10, "0.000123456"),
        (0.000123456, 17, "0.00012345600000000001"),
        (999999.5, 6, "1e+06"),
        (999999.5, 0, "1e+06"),
        (999999.5, 1, "1e+06"),
        (999999.5, 3, "1e+06"),
        (999999.5, 10, "999999.5"),
        (999999.5, 17, "999999.5"),
        (9999995.0, 6, "1e+07"),
        (9999995.0, 0, "1e+07"),
        (9999995.0, 1, "1e+07"),
        (9999995.0, 3, "1e+07"),
        (9999995.0, 10, "9999995"),
        (9999995.0, 17, "9999995"),
        (100000.0, 6, "100000"),
        (100000.0, 0, "1e+05"),
        (100000.0, 1, "1e+05"),
        (100000.0, 3, "1e+05"),
        (100000.0, 10, "100000"),
        (100000.0, 17, "100000"),
        (1000000.0, 6, "1e+06"),
        (1000000.0, 0, "1e+06"),
        (1000000.0, 1, "1e+06"),
        (1000000.0, 3, "1e+06"),
        (1000000.0, 10, "1000000"),
        (1000000.0, 17, "1000000"),
        (7.123456789012345, 6, "7.12346"),
        (7.123456789012345, 0, "7"),
        (7.123456789012345, 1, "7"),
        (7.123456789012345, 3, "7.12"),
        (7.123456789012345, 10, "7.123456789"),
        (7.123456789012345, 17, "7.1234567890123452"),
        (-273.15, 6, "-273.15"),
        (-273.15, 0, "-3e+02"),
        (-273.15, 1, "-3e+02"),
        (-273.15, 3, "-273"),
        (-273.15, 10, "-273.15"),
        (-273.15, 17, "-273.14999999999998"),
        (1e+100, 6, "1e+100"),
        (1e+100, 0, "1e+100"),
        (1e+100, 1, "1e+100"),
        (1e+100, 3, "1e+100"),
        (1e+100, 10, "1e+100"),
        (1e+100, 17, "1e+100"),
        (5e-324, 6, "4.94066e-324"),
        (5e-324, 0, "5e-324"),
        (5e-324, 1, "5e-324"),
        (5e-324, 3, "4.94e-324"),
        (5e-324, 10, "4.940656458e-324"),
        (5e-324, 17, "4.9406564584124654e-324"),
        (1.7976931348623157e+308, 6, "1.79769e+308"),
        (1.7976931348623157e+308, 0, "2e+308"),
        (1.7976931348623157e+308, 1, "2e+308"),
        (1.7976931348623157e+308, 3, "1.8e+308"),
        (1.7976931348623157e+308, 10, "1.797693135e+308"),
        (1.7976931348623157e+308, 17, "1.7976931348623157e+308"),
        (0.1, 6, "0.1"),
        (0.1, 0, "0.1"),
        (0.1, 1, "0.1"),
        (0.1, 3, "0.1"),
        (0.1, 10, "0.1"),
        (0.1, 17, "0.10000000000000001"),
        (f64::NAN, 6, "nan"),
        (f64::INFINITY, 6, "inf"),
        (f64::NEG_INFINITY, 6, "-inf"),
    ];
}
