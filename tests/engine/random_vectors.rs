//! Checks `flowbench::engine::kernels::random` bit for bit against the verified TensorFlow / numpy
//! vectors in `tests/data/tf_random_vectors.json` (a copy of the reference `vectors.json`).

use crate::common::sha256_hex;
use flowbench::engine::kernels::random::*;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tf_random_vectors.json");
    let text = std::fs::read_to_string(path).expect("read test vectors");
    serde_json::from_str(&text).expect("parse test vectors")
}

fn hex32(v: &Value) -> u32 {
    u32::from_str_radix(v.as_str().expect("hex string"), 16).expect("hex u32")
}

fn hex64(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex string"), 16).expect("hex u64")
}

fn hex32_list(v: &Value) -> Vec<u32> {
    v.as_array().expect("array").iter().map(hex32).collect()
}

fn hex64_list(v: &Value) -> Vec<u64> {
    v.as_array().expect("array").iter().map(hex64).collect()
}

fn str_list(v: &Value) -> Vec<&str> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string")).collect()
}

#[test]
fn sha256_self_test() {
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_eq!(sha256_hex(long), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// ------------------------------------------------------------------------------------------
// Op cases
// ------------------------------------------------------------------------------------------

/// Output of one case, as bit patterns plus little-endian bytes.
enum Output {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

fn run_case(case: &Value) -> Output {
    let attrs = &case["attrs"];
    let seed = attrs["seed"].as_i64().expect("seed");
    let seed2 = attrs["seed2"].as_i64().expect("seed2");
    let n = case["n"].as_u64().expect("n") as usize;
    let shape_n: u64 = case["shape"].as_array().expect("shape").iter().map(|d| d.as_u64().expect("dim")).product();
    assert_eq!(shape_n as usize, n, "{}: n vs shape", case["name"]);
    let run_index = case["session_run_index"].as_u64().expect("session_run_index");
    let op = case["op_type"].as_str().expect("op_type");
    let dtype = case["dtype"].as_str().expect("dtype");

    let mut node = Philox::from_seeds(seed, seed2);
    let mut base = node.reserve_run(n);
    for _ in 0..run_index {
        base = node.reserve_run(n);
    }
    let c = base.counter();
    let low64 = u64::from(c[0]) | (u64::from(c[1]) << 32);
    assert_eq!(
        low64,
        case["philox_counter_low64_at_start"].as_u64().expect("counter low64"),
        "{}: base counter",
        case["name"]
    );
    assert_eq!(
        [c[2], c[3]],
        [seed2 as u64 as u32, ((seed2 as u64) >> 32) as u32],
        "{}: counter high words",
        case["name"]
    );

    let mean = case.get("mean").and_then(Value::as_f64);
    let stddev = case.get("stddev").and_then(Value::as_f64);
    let minval = case.get("minval").and_then(Value::as_f64);
    let maxval = case.get("maxval").and_then(Value::as_f64);
    let normal_like = op != "RandomUniform";

    match dtype {
        "float32" => {
            let mut v = match op {
                "RandomStandardNormal" => standard_normal_f32(base, n),
                "TruncatedNormal" => truncated_normal_f32(base, n),
                "RandomUniform" => uniform_f32(base, n),
                other => panic!("unknown op {other}"),
            };
            if normal_like && (mean.is_some() || stddev.is_some()) {
                let sd = stddev.unwrap_or(1.0) as f32;
                let mu = mean.unwrap_or(0.0) as f32;
                scale_and_shift_f32(&mut v, sd, mu);
            }
            if !normal_like && (minval.is_some() || maxval.is_some()) {
                let lo = minval.unwrap_or(0.0) as f32;
                let hi = maxval.unwrap_or(1.0) as f32;
                scale_and_shift_f32(&mut v, hi - lo, lo);
            }
            Output::F32(v)
        }
        "float64" => {
            let mut v = match op {
                "RandomStandardNormal" => standard_normal_f64(base, n),
                "TruncatedNormal" => truncated_normal_f64(base, n),
                "RandomUniform" => uniform_f64(base, n),
                other => panic!("unknown op {other}"),
            };
            if normal_like && (mean.is_some() || stddev.is_some()) {
                scale_and_shift_f64(&mut v, stddev.unwrap_or(1.0), mean.unwrap_or(0.0));
            }
            if !normal_like && (minval.is_some() || maxval.is_some()) {
                let lo = minval.unwrap_or(0.0);
                let hi = maxval.unwrap_or(1.0);
                scale_and_shift_f64(&mut v, hi - lo, lo);
            }
            Output::F64(v)
        }
        other => panic!("unknown dtype {other}"),
    }
}

/// Compares `got` (bit patterns) against the case's full `hex` list, or against
/// `hex_head32` + `hex_tail8` when the full list is not stored.
fn check_bits(name: &str, case: &Value, got: &[u64], parse: fn(&Value) -> Vec<u64>) {
    if let Some(full) = case.get("hex") {
        let want = parse(full);
        assert_eq!(got.len(), want.len(), "{name}: length");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{name}: element {i}: got {g:x}, want {w:x}");
        }
    } else {
        let head = parse(&case["hex_head32"]);
        let tail = parse(&case["hex_tail8"]);
        assert!(got.len() >= head.len() + tail.len(), "{name}: too short");
        assert_eq!(&got[..head.len()], &head[..], "{name}: head");
        assert_eq!(&got[got.len() - tail.len()..], &tail[..], "{name}: tail");
    }
}

fn check_decimal_values(name: &str, case: &Value, got_f64: &[f64], is_f32: bool) {
    let check = |key: &str, offset: usize| {
        if let Some(vals) = case.get(key) {
            for (i, s) in str_list(vals).into_iter().enumerate() {
                let idx = offset + i;
                if is_f32 {
                    let want: f32 = s.parse().expect("decimal f32");
                    assert_eq!(want.to_bits(), (got_f64[idx] as f32).to_bits(), "{name}: decimal {idx}");
                } else {
                    let want: f64 = s.parse().expect("decimal f64");
                    assert_eq!(want.to_bits(), got_f64[idx].to_bits(), "{name}: decimal {idx}");
                }
            }
        }
    };
    check("values", 0);
    check("values_head32", 0);
    if let Some(tail) = case.get("values_tail8") {
        let len = tail.as_array().expect("array").len();
        check("values_tail8", got_f64.len() - len);
    }
}

#[test]
fn all_op_cases_bit_exact() {
    let v = vectors();
    let cases = v["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 42);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let (bits, widened, bytes, is_f32) = match run_case(case) {
            Output::F32(vals) => (
                vals.iter().map(|x| u64::from(x.to_bits())).collect::<Vec<_>>(),
                vals.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
                vals.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
                true,
            ),
            Output::F64(vals) => (
                vals.iter().map(|x| x.to_bits()).collect(),
                vals.clone(),
                vals.iter().flat_map(|x| x.to_le_bytes()).collect(),
                false,
            ),
        };
        assert_eq!(bits.len(), case["n"].as_u64().expect("n") as usize, "{name}: length");
        let parse: fn(&Value) -> Vec<u64> =
            if is_f32 { |x| hex32_list(x).into_iter().map(u64::from).collect() } else { hex64_list };
        check_bits(name, case, &bits, parse);
        check_decimal_values(name, case, &widened, is_f32);
        assert_eq!(
            sha256_hex(&bytes),
            case["sha256_of_little_endian_values"].as_str().expect("sha256"),
            "{name}: sha256 of whole output"
        );
    }
}

/// Graph seed / op seed / auto counter that produced each case's attrs, checked through
/// `derive_seeds`.
#[test]
fn derive_seeds_matches_case_attrs() {
    let v = vectors();
    let mut checked = 0;
    for case in v["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let attrs = (case["attrs"]["seed"].as_i64().expect("seed"), case["attrs"]["seed2"].as_i64().expect("seed2"));
        let (graph, op, auto) = match name {
            n if n.starts_with("raw_") => continue,
            "graphseed5_normal_first" => (Some(5), None, 0),
            "graphseed5_normal_second" => (Some(5), None, 1),
            "graphseed5_uniform_third" => (Some(5), None, 2),
            "graphseed5_normal_opseed1" => (Some(5), Some(1), 0),
            "graphseed5_opseed3_tf1_emulation" => (Some(5), None, 3),
            "graphseed5_opseed9_tf1_emulation" => (Some(5), None, 9),
            "graphseed5_opseed15_uniform_tf1_emulation" => (Some(5), None, 15),
            _ => {
                // No graph seed: the op seed is the `seed=` argument of the Python call.
                let call = case["python_tf1"].as_str().expect("python_tf1");
                let at = call.find("seed=").expect("seed= in call") + "seed=".len();
                let digits: String = call[at..].chars().take_while(char::is_ascii_digit).collect();
                (None, Some(digits.parse::<i64>().expect("op seed")), 0)
            }
        };
        assert_eq!(derive_seeds(graph, op, auto), attrs, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 39);
}

#[test]
fn derive_seeds_table() {
    /// (graph seed, op seed, auto) -> attrs
    type Row = (Option<i64>, Option<i64>, i64, (i64, i64));
    let table: &[Row] = &[
        (None, None, 0, (0, 0)),
        (None, None, 17, (0, 0)),
        (None, Some(1), 0, (87_654_321, 1)),
        (None, Some(2_147_483_647), 0, (87_654_321, 0)),
        (None, Some(-1), 0, (87_654_321, 2_147_483_646)),
        (None, Some(0), 0, (87_654_321, 0)),
        (Some(5), Some(1), 99, (5, 1)),
        // TF 2.x graph mode auto seeds.
        (Some(5), None, 0, (5, 0)),
        (Some(5), None, 1, (5, 1)),
        (Some(5), None, 2, (5, 2)),
        // TF 1.x auto seeds (graph._last_id) for random_normal, random_normal, random_uniform.
        (Some(5), None, 3, (5, 3)),
        (Some(5), None, 9, (5, 9)),
        (Some(5), None, 15, (5, 15)),
        // (0, 0) is replaced by (0, 2^31-1).
        (Some(0), Some(0), 0, (0, 2_147_483_647)),
        (Some(0), None, 0, (0, 2_147_483_647)),
        (Some(2_147_483_647), Some(4_294_967_294), 0, (0, 2_147_483_647)),
        (Some(0), Some(1), 0, (0, 1)),
        // Python's non-negative modulo.
        (Some(-5), Some(-7), 0, (2_147_483_642, 2_147_483_640)),
        (Some(4_294_967_296), None, 2_147_483_650, (2, 3)),
        (Some(i64::MIN), Some(i64::MAX), 0, (i64::MIN.rem_euclid(2_147_483_647), i64::MAX % 2_147_483_647)),
    ];
    for &(g, s, auto, want) in table {
        assert_eq!(derive_seeds(g, s, auto), want, "derive_seeds({g:?}, {s:?}, {auto})");
    }
}

#[test]
fn repeated_runs_continue_the_stream() {
    // Session runs 0, 1, 2 of one node: the same generator, reserved once per run.
    let v = vectors();
    let cases = v["cases"].as_array().expect("cases");
    let find = |name: &str| {
        let case = cases.iter().find(|c| c["name"] == name).expect("case");
        hex32_list(&case["hex"])
    };
    let mut node = Philox::from_seeds(87_654_321, 1);
    for run in 0..3 {
        let got: Vec<u32> = standard_normal_f32(node.reserve_run(6), 6).iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, find(&format!("normal_2x3_seed1_repeat_run{run}")), "normal run {run}");
    }
    let mut node = Philox::from_seeds(87_654_321, 1);
    for run in 0..2 {
        let got: Vec<u32> = truncated_normal_f32(node.reserve_run(6), 6).iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, find(&format!("truncated_2x3_seed1_repeat_run{run}")), "truncated run {run}");
    }
    let mut node = Philox::from_seeds(87_654_321, 1);
    for run in 0..2 {
        let got: Vec<u32> = uniform_f32(node.reserve_run(6), 6).iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, find(&format!("uniform_2x3_seed1_repeat_run{run}")), "uniform run {run}");
    }
}

// ------------------------------------------------------------------------------------------
// Philox, Box–Muller and libm vectors
// ------------------------------------------------------------------------------------------

#[test]
fn philox_blocks() {
    let v = vectors();
    let blocks = v["philox4x32_10_blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 4);
    for b in blocks {
        let key = hex32_list(&b["key"]);
        let ctr = hex32_list(&b["counter"]);
        let want = hex32_list(&b["output"]);
        let key = [key[0], key[1]];
        let ctr = [ctr[0], ctr[1], ctr[2], ctr[3]];
        assert_eq!(philox4x32_10(ctr, key).to_vec(), want);
        let mut g = Philox::from_parts(key, ctr);
        assert_eq!(g.next_block().to_vec(), want);
    }
    // The last vector's note: Philox(seed=0x0123456789abcdef, seed2=0x0fedcba987654321)
    // after Skip(0xffffffff).
    let mut g = Philox::from_seeds(0x0123_4567_89ab_cdef, 0x0fed_cba9_8765_4321);
    g.skip(0xffff_ffff);
    assert_eq!(g.key(), [0x89ab_cdef, 0x0123_4567]);
    assert_eq!(g.counter(), [0xffff_ffff, 0, 0x8765_4321, 0x0fed_cba9]);
    assert_eq!(g.next_block().to_vec(), hex32_list(&blocks[3]["output"]));
    // The first three vectors are consecutive blocks of seed (87654321, 1).
    let mut g = Philox::from_seeds(87_654_321, 1);
    for b in &blocks[..3] {
        assert_eq!(g.next_block().to_vec(), hex32_list(&b["output"]));
    }
}

#[test]
fn box_muller_first_pair() {
    let v = vectors();
    let bm = &v["box_muller_first_pair_seed_87654321_1"];
    let x0 = hex32(&bm["x0"]);
    let x1 = hex32(&bm["x1"]);
    let u1 = u32_to_f32(x0);
    assert_eq!(u1.to_bits(), hex32(&bm["u1"]));
    assert_eq!(u1, bm["u1_value"].as_str().expect("u1_value").parse::<f32>().expect("f32"));
    let two_pi = 2.0 * std::f64::consts::PI;
    let v1 = (two_pi * f64::from(u32_to_f32(x1))) as f32;
    assert_eq!(v1.to_bits(), hex32(&bm["v1 = (float)(2*pi_double * uniform(x1))"]));
    let l = glibc_logf(u1);
    assert_eq!(l.to_bits(), hex32(&bm["logf(u1)"]));
    let u2 = (-2.0f32 * l).sqrt();
    assert_eq!(u2.to_bits(), hex32(&bm["u2 = sqrtf(-2*logf(u1))"]));
    let (s, c) = glibc_sincosf(v1);
    assert_eq!(s.to_bits(), hex32(&bm["sinf(v1)"]));
    assert_eq!(c.to_bits(), hex32(&bm["cosf(v1)"]));
    assert_eq!((s * u2).to_bits(), hex32(&bm["out0 = sin*u2"]));
    assert_eq!((c * u2).to_bits(), hex32(&bm["out1 = cos*u2"]));
    let (o0, o1) = box_muller_f32(x0, x1);
    assert_eq!((o0.to_bits(), o1.to_bits()), (hex32(&bm["out0 = sin*u2"]), hex32(&bm["out1 = cos*u2"])));
}

#[test]
fn glibc_logf_vectors() {
    let v = vectors();
    let list = v["glibc_logf_vectors_not_equal_to_double_rounding"].as_array().expect("logf vectors");
    assert_eq!(list.len(), 24);
    for e in list {
        let x = f32::from_bits(hex32(&e["x"]));
        let want = hex32(&e["glibc_logf"]);
        assert_eq!(glibc_logf(x).to_bits(), want, "logf({:08x})", x.to_bits());
        // The vector is only interesting because double-then-round differs.
        assert_eq!((f64::from(x).ln() as f32).to_bits(), hex32(&e["double_log_rounded"]));
        assert_ne!(want, hex32(&e["double_log_rounded"]));
    }
}

#[test]
fn glibc_sincosf_vectors() {
    let v = vectors();
    let list = v["glibc_sincosf_vectors_not_equal_to_double_rounding"].as_array().expect("sincosf vectors");
    assert_eq!(list.len(), 24);
    for e in list {
        let x = f32::from_bits(hex32(&e["x"]));
        let (s, c) = glibc_sincosf(x);
        assert_eq!(s.to_bits(), hex32(&e["glibc_sinf"]), "sinf({:08x})", x.to_bits());
        assert_eq!(c.to_bits(), hex32(&e["glibc_cosf"]), "cosf({:08x})", x.to_bits());
        let differs = hex32(&e["glibc_sinf"]) != hex32(&e["double_sin_rounded"])
            || hex32(&e["glibc_cosf"]) != hex32(&e["double_cos_rounded"]);
        assert!(differs, "vector {:08x} should differ from double rounding", x.to_bits());
    }
}

// ------------------------------------------------------------------------------------------
// numpy MT19937
// ------------------------------------------------------------------------------------------

#[test]
fn numpy_mt19937_rand() {
    let v = vectors();
    let np = &v["numpy_mt19937"];
    let mut rs = RandomState::new(1);
    for (i, want) in np["genrand_int32_first8_seed1"].as_array().expect("first8").iter().enumerate() {
        assert_eq!(u64::from(rs.next_u32()), want.as_u64().expect("u32"), "genrand_int32 #{i}");
    }
    let shape: Vec<usize> =
        np["shape"].as_array().expect("shape").iter().map(|d| d.as_u64().expect("dim") as usize).collect();
    let n: usize = shape.iter().product();
    assert_eq!(n, 256);
    let mut rs = RandomState::new(1);
    let got = rs.rand(n);
    let want_bits = hex64_list(&np["hex"]);
    let want_vals = str_list(&np["values"]);
    assert_eq!(want_bits.len(), n);
    for i in 0..n {
        assert_eq!(got[i].to_bits(), want_bits[i], "rand element {i}");
        assert_eq!(got[i], want_vals[i].parse::<f64>().expect("f64"), "rand decimal {i}");
    }
    // rand(128, 2) consumed exactly 512 outputs: the state continues with output #513.
    let mut fresh = RandomState::new(1);
    for _ in 0..512 {
        fresh.next_u32();
    }
    assert_eq!(rs.next_u32(), fresh.next_u32());
    // random_sample is rand(1).
    let mut a = RandomState::new(1);
    assert_eq!(a.random_sample().to_bits(), want_bits[0]);
}

/// First four `genrand_int32` outputs and `rand(700)` elements 0, 311, 312 and 699 for more
/// seeds, from the reference `tfrand.py` (which SPEC 9 says was checked against numpy for these).
#[test]
fn numpy_mt19937_more_seeds() {
    type Expect = ([u32; 4], [u64; 4]);
    let check = |mut first: RandomState, mut second: RandomState, (want_u32, want_f64): Expect, what: &str| {
        let got: Vec<u32> = (0..4).map(|_| first.next_u32()).collect();
        assert_eq!(got, want_u32, "{what}: first outputs");
        let x = second.rand(700);
        for (idx, want) in [0usize, 311, 312, 699].into_iter().zip(want_f64) {
            assert_eq!(x[idx].to_bits(), want, "{what}: rand element {idx}");
        }
    };
    let int_seeds: [(u32, Expect); 3] = [
        (
            0,
            (
                [2357136044, 2546248239, 3071714933, 3626093760],
                [0x3fe18fe1565f12a8, 0x3fc2cf25ce2031cc, 0x3fb45b8f280519f0, 0x3feaf8072ee1d1f7],
            ),
        ),
        (
            42,
            (
                [1608637542, 3421126067, 4083286876, 787846414],
                [0x3fd7f8771e5f51ec, 0x3fb415b7a8070ca8, 0x3f99f58b97983ee0, 0x3fdecaffda90acda],
            ),
        ),
        (
            u32::MAX,
            (
                [419326371, 479346978, 3918654476, 2416749639],
                [0x3fb8fe69a3924820, 0x3fd2369739e9c078, 0x3fecc39c1c9cc10c, 0x3f811b3f0b3bebc0],
            ),
        ),
    ];
    for (seed, expect) in int_seeds {
        check(RandomState::new(seed), RandomState::new(seed), expect, &format!("RandomState({seed})"));
    }
    let long_key: Vec<u32> = (0..700).collect();
    let array_seeds: [(&[u32], Expect); 3] = [
        (
            &[1, 2, 3],
            (
                [2619334238, 1552691353, 3808334787, 2540200029],
                [0x3fe383fbc97230c2, 0x3fc366ea184bc1cc, 0x3fde45dec6c1dcfa, 0x3fe20f1d4d9c8e97],
            ),
        ),
        (
            &[123456789, 987654321],
            (
                [1739400281, 1824205245, 563802996, 3293359780],
                [0x3fd9eb491365d94c, 0x3fc4e1035b5058dc, 0x3fc2b16b1c5d1488, 0x3fba1b4b40405b78],
            ),
        ),
        (
            &long_key,
            (
                [3727595200, 1914792892, 3929396303, 3603564374],
                [0x3febc5d2d9c885ae, 0x3fdbe90eace7987e, 0x3fd0b69a0a451d94, 0x3fd372a308761096],
            ),
        ),
    ];
    for (key, expect) in array_seeds {
        check(
            RandomState::from_array(key),
            RandomState::from_array(key),
            expect,
            &format!("RandomState(array of {})", key.len()),
        );
    }
    // An empty key does not panic.
    let _ = RandomState::from_array(&[]).rand(3);
}
