//! Mutated TF1 Python programs (tokens deleted, swapped and renamed in the seed's and the
//! book's programs, with a deterministic generator) each end in a clear error, with the place it
//! happened at, or run to their end: none panics or hangs (a step and time budget stops
//! runaway loops). `FLOWBENCH_PY_FUZZ_CASES=N` runs more cases.

use flowbench::python::errors::PyErrorKind;
use flowbench::python::runtime::Limits;
use std::path::Path;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Splits source into tokens (identifiers, numbers, strings, single punctuation characters)
/// and the text between them.
fn tokens(src: &str) -> Vec<(usize, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else if c.is_ascii_whitespace() || !c.is_ascii() {
            i += 1;
            continue;
        } else {
            i += 1;
        }
        out.push((start, i));
    }
    out
}

fn mutate(src: &str, rng: &mut Rng) -> String {
    let toks = tokens(src);
    if toks.len() < 2 {
        return src.to_string();
    }
    let idents: Vec<&str> = toks
        .iter()
        .map(|&(a, b)| &src[a..b])
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        .collect();
    let k = rng.below(toks.len());
    let (a, b) = toks[k];
    match rng.below(3) {
        0 => format!("{}{}", &src[..a], &src[b..]),
        1 if k + 1 < toks.len() => {
            let (c, d) = toks[k + 1];
            format!("{}{}{}{}{}", &src[..a], &src[c..d], &src[b..c], &src[a..b], &src[d..])
        }
        _ => {
            let pool = ["w3", "sess", "tf", "x", "None", "0", "1e9", "-1", "[]", "range", "print"];
            let new = if rng.below(2) == 0 && !idents.is_empty() {
                idents[rng.below(idents.len())].to_string()
            } else {
                pool[rng.below(pool.len())].to_string()
            };
            format!("{}{}{}", &src[..a], new, &src[b..])
        }
    }
}

#[test]
fn mutated_programs_end_clearly() {
    let dir = crate::common::root().join("tests/data/python");
    let mut sources: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    sources.sort();
    let cases: usize = std::env::var("FLOWBENCH_PY_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let work = crate::common::temp_dir("py-fuzz");
    let path = work.join("mutant.py");
    let limits = Limits { max_time: Some(std::time::Duration::from_secs(5)), max_steps: Some(4000) };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ran, mut refused) = (0, 0);
    for case in 0..cases {
        let base = &sources[case % sources.len()];
        let mut src = mutate(base, &mut rng);
        if rng.below(3) == 0 {
            src = mutate(&src, &mut rng);
        }
        let mut printed = 0usize;
        let started = std::time::Instant::now();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            flowbench::python::run_source(&src, Path::new(&path), limits, &mut |_| printed += 1)
        }));
        let ran_result = match result {
            Ok(r) => r,
            Err(_) => panic!("case {case} panicked on:\n{src}"),
        };
        assert!(started.elapsed().as_secs() < 30, "case {case} took {:?}:\n{src}", started.elapsed());
        match ran_result.error {
            None => ran += 1,
            Some(e) => {
                refused += 1;
                let text = e.render("mutant.py");
                assert!(e.loc.is_some(), "case {case}: no place in {text}\n{src}");
                match &e.kind {
                    PyErrorKind::Exception { class, .. } => assert!(!class.is_empty(), "{text}"),
                    PyErrorKind::Unsupported(what) => assert!(!what.is_empty(), "{text}"),
                    PyErrorKind::Syntax(_) | PyErrorKind::Timeout(_) | PyErrorKind::NotKept(_) => {}
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
    assert_eq!(ran + refused, cases);
    assert!(ran > 0 && refused > 0, "ran {ran}, refused {refused}");
}
