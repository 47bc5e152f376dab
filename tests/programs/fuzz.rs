//! A structural fuzzer that stays: the bundled examples (and their CSV file) mutated as JSON
//! trees — keys and array items deleted, duplicated and swapped, numbers replaced by extremes
//! (0, -1, 2^31, 2^63, 2^64-1, 1e308, "NaN"), shapes made huge, types changed, values copied from
//! elsewhere, text truncated — then `check`, `run` (train loops capped) and `export` run
//! in-process through the functions the CLI uses. Every case must end in a result or a one-line
//! refusal: no panic, no hang over 10 s, memory under a bound.
//!
//! CI runs 2,000 seeded cases. `FLOWBENCH_FUZZ_SECS=600 cargo test --test programs fuzz --
//! --nocapture` runs for that long and prints the counts (`FLOWBENCH_FUZZ_SEED` changes the seed).

use crate::common::{root, temp_dir};
use flowbench::project::{Project, Step};
use flowbench::train::data::dataset::DatasetSource;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A path into a JSON tree: object keys and array indices.
#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

fn paths(v: &Json, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    match v {
        Json::Object(m) => {
            for (k, c) in m {
                here.push(Seg::Key(k.clone()));
                paths(c, here, out);
                here.pop();
            }
        }
        Json::Array(a) => {
            // Long arrays (constants' data, dataset rows): a few items are enough.
            for (i, c) in a.iter().enumerate().take(8) {
                here.push(Seg::Index(i));
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Json, path: &[Seg]) -> Option<&'a mut Json> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), Json::Object(m)) => m.get_mut(k)?,
            (Seg::Index(i), Json::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn at_ref<'a>(v: &'a Json, path: &[Seg]) -> Option<&'a Json> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), Json::Object(m)) => m.get(k)?,
            (Seg::Index(i), Json::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn extreme(rng: &mut Rng) -> Json {
    let choices: [Json; 14] = [
        Json::from(0),
        Json::from(-1),
        Json::from(1u64 << 31),
        Json::from(1u64 << 63),
        Json::from(u64::MAX),
        Json::from(i64::MIN),
        serde_json::json!(1e308),
        serde_json::json!(-1e308),
        serde_json::json!(0.5),
        Json::from("NaN"),
        Json::from("inf"),
        Json::from("-inf"),
        Json::from(100_000),
        Json::from(4_294_967_295u64),
    ];
    choices[rng.below(choices.len())].clone()
}

fn huge_shape(rng: &mut Rng) -> Json {
    let shapes = [
        serde_json::json!([100000, 100000]),
        serde_json::json!([2147483648u64, 2147483648u64]),
        serde_json::json!([u64::MAX]),
        serde_json::json!([
            1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
        ]),
        serde_json::json!([0]),
        serde_json::json!([]),
        serde_json::json!([3000, 3000]),
        serde_json::json!([-1, 2]),
    ];
    shapes[rng.below(shapes.len())].clone()
}

fn other_type(v: &Json, rng: &mut Rng) -> Json {
    let choices = [
        Json::Null,
        Json::Bool(true),
        Json::from(1),
        Json::from("x"),
        Json::Array(vec![v.clone()]),
        serde_json::json!({ "value": v.clone() }),
        Json::from(""),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    choices[rng.below(choices.len())].clone()
}

/// Numbers that still parse as most numeric fields (so that the case gets past loading).
fn numeric_extreme(rng: &mut Rng) -> Json {
    let choices: [Json; 10] = [
        Json::from(0),
        Json::from(1),
        Json::from(2),
        Json::from(65536),
        Json::from(1u64 << 31),
        Json::from(u32::MAX),
        Json::from(1u64 << 40),
        Json::from(-1),
        serde_json::json!(1e308),
        serde_json::json!(1e-300),
    ];
    choices[rng.below(choices.len())].clone()
}

/// One mutation of `doc`: half the time a number (or the array holding it) made extreme, which
/// usually still loads and so reaches `run` and `export`; otherwise a structural one.
fn mutate_once(doc: &mut Json, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    if rng.below(2) == 0 {
        let numbers: Vec<&Vec<Seg>> = all.iter().filter(|p| at_ref(doc, p).is_some_and(Json::is_number)).collect();
        if !numbers.is_empty() {
            let target = numbers[rng.below(numbers.len())].clone();
            if rng.below(4) == 0
                && let Some((Seg::Index(_), parent)) = target.split_last()
                && let Some(v) = at(doc, parent)
            {
                *v = huge_shape(rng);
            } else if let Some(v) = at(doc, &target) {
                *v = numeric_extreme(rng);
            }
            return;
        }
    }
    let target = all[rng.below(all.len())].clone();
    let donor = all[rng.below(all.len())].clone();
    let donor_value = at_ref(doc, &donor).cloned().unwrap_or(Json::Null);
    let Some(v) = at(doc, &target) else { return };
    match rng.below(10) {
        // Delete a key or an item.
        0 => match v {
            Json::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(rng.below(m.len())).cloned().unwrap_or_default();
                m.remove(&k);
            }
            Json::Array(a) if !a.is_empty() => {
                a.remove(rng.below(a.len()));
            }
            _ => *v = Json::Null,
        },
        // Duplicate an item (or a key's value under another known key).
        1 => match v {
            Json::Array(a) if !a.is_empty() => {
                let i = rng.below(a.len());
                let item = a[i].clone();
                a.insert(i, item);
            }
            Json::Object(m) if !m.is_empty() => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let (a, b) = (&keys[rng.below(keys.len())], &keys[rng.below(keys.len())]);
                if let Some(x) = m.get(a).cloned() {
                    m.insert(b.clone(), x);
                }
            }
            _ => {}
        },
        // Swap two items or two keys' values.
        2 => match v {
            Json::Array(a) if a.len() > 1 => {
                let (i, j) = (rng.below(a.len()), rng.below(a.len()));
                a.swap(i, j);
            }
            Json::Object(m) if m.len() > 1 => {
                let keys: Vec<String> = m.keys().cloned().collect();
                let (a, b) = (keys[rng.below(keys.len())].clone(), keys[rng.below(keys.len())].clone());
                let (x, y) = (m.get(&a).cloned(), m.get(&b).cloned());
                if let (Some(x), Some(y)) = (x, y) {
                    m.insert(a, y);
                    m.insert(b, x);
                }
            }
            _ => {}
        },
        // Numbers to extremes (any scalar, really).
        3 | 4 => {
            if let Json::Array(a) = v {
                if let Some(x) = a.get_mut(0) {
                    *x = extreme(rng);
                }
            } else {
                *v = extreme(rng);
            }
        }
        // Huge or odd shapes.
        5 => *v = huge_shape(rng),
        // Another type.
        6 => *v = other_type(v, rng),
        // A value from elsewhere in the file.
        7 => *v = donor_value,
        // An unknown key (now and then).
        8 => {
            if let Json::Object(m) = v
                && rng.below(4) == 0
            {
                m.insert("unknown_field".to_string(), Json::from(1));
            }
        }
        // Strings: empty, very long, odd names.
        _ => {
            let s = ["", "a:0", ":", "x:99", "../x", "/dev/zero", "é", "a/b/c:1", "\u{0}"];
            *v = Json::from(s[rng.below(s.len())].repeat(1 + rng.below(3)));
        }
    }
}

/// A mutated project text: one to three structural mutations, sometimes truncated.
fn mutate_project(text: &str, rng: &mut Rng) -> String {
    let Ok(mut doc) = serde_json::from_str::<Json>(text) else { return text.to_string() };
    for _ in 0..1 + rng.below(3) {
        mutate_once(&mut doc, rng);
    }
    let out = if rng.below(2) == 0 {
        serde_json::to_string(&doc).unwrap_or_default()
    } else {
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    };
    if rng.below(20) == 0 {
        let cut = rng.below(out.len());
        let mut cut_at = cut;
        while !out.is_char_boundary(cut_at) {
            cut_at -= 1;
        }
        return out[..cut_at].to_string();
    }
    out
}

/// A mutated CSV text: cells replaced by extremes, rows dropped or duplicated, columns added,
/// quotes, truncation.
fn mutate_csv(text: &str, rng: &mut Rng) -> String {
    let mut rows: Vec<Vec<String>> = text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect();
    for _ in 0..1 + rng.below(3) {
        if rows.is_empty() {
            break;
        }
        let r = rng.below(rows.len());
        match rng.below(7) {
            0 => {
                rows.remove(r);
            }
            1 => {
                let row = rows[r].clone();
                rows.insert(r, row);
            }
            2 => {
                let cells = ["NaN", "inf", "1e308", "-0", "", "\"", "\"1\"", "x", "18446744073709551615", "1,2"];
                let c = rng.below(rows[r].len().max(1));
                if let Some(cell) = rows[r].get_mut(c) {
                    *cell = cells[rng.below(cells.len())].to_string();
                }
            }
            3 => rows[r].push("9".to_string()),
            4 => {
                let wide: Vec<String> = (0..1000 + rng.below(2)).map(|k| format!("c{k}")).collect();
                rows.insert(0, wide);
            }
            5 => rows.swap(0, r),
            _ => rows[r].clear(),
        }
    }
    let mut out: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    if rng.below(10) == 0 {
        out.truncate(rng.below(out.len() + 1));
        while !out.is_char_boundary(out.len()) {
            out.pop();
        }
    }
    out
}

#[derive(Default, Debug)]
struct Counts {
    runs: usize,
    refusals: usize,
    refused_after_load: usize,
    successes: usize,
    panics: usize,
    hangs: usize,
    multiline: usize,
    max_rss_mb: u64,
}

/// What one case ended in.
enum Outcome {
    /// Every command that could run ran.
    Ok,
    /// Refused (with a one-line message, checked where it was made); true when the file loaded
    /// and `run` or `export` refused it.
    Refused(bool),
    /// A panic (message).
    Panic(String),
}

/// Keeps a loaded project's run small: train loops capped, generated datasets small.
fn bound(p: &mut Project) {
    // A step on image files (the MNIST example's 64-500-10 net) costs ~40 table steps: 5 of them.
    let images = p.datasets.iter().any(|d| matches!(d.source, DatasetSource::Idx { .. }));
    for s in &mut p.script {
        let s = match s {
            Step::Try { body } => body.as_mut(),
            s => s,
        };
        if let Step::TrainLoop { steps, .. } = s {
            *steps = (*steps).min(if images { 5 } else { 50 });
        }
    }
    for d in &mut p.datasets {
        match &mut d.source {
            DatasetSource::NumpyRand { rows, .. }
            | DatasetSource::Circle { rows, .. }
            | DatasetSource::Xor { rows, .. }
            | DatasetSource::Gauss { rows, .. }
            | DatasetSource::Spiral { rows, .. } => *rows = (*rows).min(2000),
            _ => {}
        }
    }
}

fn one_line(msg: &str, counts_multiline: &mut usize, what: &str) {
    if msg.trim_end().contains('\n') {
        *counts_multiline += 1;
        eprintln!("fuzz: a {what} refusal of more than one line: {msg:?}");
    }
}

/// check, run and export on a project file, as the CLI does them.
fn project_case(path: &Path, multiline: &mut usize) -> Outcome {
    let mut refusal = None;
    // check
    let loaded = Project::load(path).and_then(|p| p.check_data_paths().map(|()| p));
    let mut p = match loaded {
        Ok(p) => p,
        Err(e) => {
            let m = e.to_string();
            one_line(&m, multiline, "check");
            return Outcome::Refused(false);
        }
    };
    // export (the same as `flowbench export`, to a buffer)
    let opts =
        flowbench::export::ExportOptions { project_dir: p.base_dir.get().map(Path::to_path_buf), ..Default::default() };
    if let Err(e) = flowbench::export::python::export(&p, &opts) {
        let m = e.to_string();
        one_line(&m, multiline, "export");
        refusal.get_or_insert(m);
    }
    // run
    bound(&mut p);
    if let Err(e) = flowbench::interpreter::run_script(&p, &mut |_| {}) {
        let m = e.to_string();
        if m.contains("panicked") {
            return Outcome::Panic(m);
        }
        one_line(&m, multiline, "run");
        refusal.get_or_insert(m);
    }
    match refusal {
        Some(_) => Outcome::Refused(true),
        None => Outcome::Ok,
    }
}

/// import-csv of a mutated CSV file into a copy of the csv example, as the CLI does it.
fn csv_case(project: &Path, csv: &Path, out: &Path, multiline: &mut usize) -> Outcome {
    let opts = flowbench::project::csv::ImportOptions {
        name: "points".to_string(),
        label: Some("y".to_string()),
        ..Default::default()
    };
    let mut sink = Vec::new();
    let code = flowbench::cli::import_csv_command(project, csv, Some(out), &opts, &mut sink);
    if code != 0 {
        // The message went to stderr; the parser's own error is checked here.
        let e = flowbench::train::data::csv::read_file(csv, Default::default());
        let m = e.err().map_or_else(|| "refused".to_string(), |e| e.to_string());
        one_line(&m, multiline, "import-csv");
        return Outcome::Refused(false);
    }
    match Project::load(out) {
        Ok(p) => {
            let mut p = p;
            bound(&mut p);
            match flowbench::interpreter::run_script(&p, &mut |_| {}) {
                Err(e) if e.to_string().contains("panicked") => Outcome::Panic(e.to_string()),
                _ => Outcome::Ok,
            }
        }
        Err(_) => Outcome::Refused(true),
    }
}

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

struct Corpus {
    projects: Vec<(String, String)>,
    csv: String,
    csv_project: String,
}

fn corpus() -> Corpus {
    let dir = root().join("assets/examples");
    let mut projects = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        if p.extension().and_then(|e| e.to_str()) == Some("json") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            projects.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    Corpus {
        projects,
        csv: std::fs::read_to_string(dir.join("csv_points.csv")).unwrap(),
        csv_project: std::fs::read_to_string(dir.join("csv_points.json")).unwrap(),
    }
}

/// Runs one case on a thread of its own with a time limit.
fn run_case(corpus: &Corpus, rng: &mut Rng, dir: &Path, case: usize, counts: &mut Counts) {
    let work = dir.join(format!("case{}", case % 4));
    let _ = std::fs::create_dir_all(&work);
    let csv_path = work.join("csv_points.csv");
    let is_csv = rng.below(8) == 0;
    let (text, csv_text) = if is_csv {
        (corpus.csv_project.clone(), mutate_csv(&corpus.csv, rng))
    } else {
        let (_, t) = &corpus.projects[rng.below(corpus.projects.len())];
        (mutate_project(t, rng), corpus.csv.clone())
    };
    let project_path = work.join("p.json");
    std::fs::write(&project_path, &text).unwrap();
    std::fs::write(&csv_path, &csv_text).unwrap();
    let out_path = work.join("out.json");
    let (tx, rx) = mpsc::channel();
    let text_for_report = text.clone();
    std::thread::Builder::new()
        .name(format!("fuzz-case-{case}"))
        .spawn(move || {
            let mut multiline = 0;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if is_csv {
                    csv_case(&project_path, &csv_path, &out_path, &mut multiline)
                } else {
                    project_case(&project_path, &mut multiline)
                }
            }))
            .unwrap_or_else(|p| {
                let m = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Outcome::Panic(m)
            });
            let _ = tx.send((outcome, multiline));
        })
        .unwrap();
    counts.runs += 1;
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok((outcome, multiline)) => {
            counts.multiline += multiline;
            match outcome {
                Outcome::Ok => counts.successes += 1,
                Outcome::Refused(loaded) => {
                    counts.refusals += 1;
                    counts.refused_after_load += usize::from(loaded);
                }
                Outcome::Panic(m) => {
                    counts.panics += 1;
                    eprintln!("fuzz: case {case} panicked: {m}\n--- input ---\n{text_for_report}\n---");
                }
            }
        }
        Err(_) => {
            counts.hangs += 1;
            eprintln!("fuzz: case {case} ran over 10 s\n--- input ---\n{text_for_report}\n---");
        }
    }
    counts.max_rss_mb = counts.max_rss_mb.max(rss_mb());
}

#[test]
fn fuzz_examples_never_panic_hang_or_refuse_in_more_than_a_line() {
    // Keep every case's tensors small: 256 MB per session.
    flowbench::engine::memory::set_default_budget(256 << 20);
    let secs: Option<u64> = std::env::var("FLOWBENCH_FUZZ_SECS").ok().and_then(|s| s.parse().ok());
    let seed: u64 = std::env::var("FLOWBENCH_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5EED_F10B);
    let corpus = corpus();
    let dir = temp_dir("fuzz");
    let mut rng = Rng(seed | 1);
    let mut counts = Counts::default();
    let start = Instant::now();
    let mut case = 0;
    loop {
        match secs {
            Some(s) if start.elapsed() >= Duration::from_secs(s) => break,
            None if case >= 2000 => break,
            _ => {}
        }
        run_case(&corpus, &mut rng, &dir, case, &mut counts);
        case += 1;
    }
    flowbench::engine::memory::set_default_budget(0);
    println!(
        "fuzz: {} runs in {:.0?}: {} refusals ({} of them by run or export after loading), {} successes, {} panics, {} hangs, {} multi-line refusals, max RSS {} MB",
        counts.runs,
        start.elapsed(),
        counts.refusals,
        counts.refused_after_load,
        counts.successes,
        counts.panics,
        counts.hangs,
        counts.multiline,
        counts.max_rss_mb
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!((counts.panics, counts.hangs, counts.multiline), (0, 0, 0), "{counts:?}");
    assert!(counts.refusals > 0 && counts.successes > 0, "{counts:?}");
    assert!(counts.max_rss_mb < 4096, "{counts:?}");
}
