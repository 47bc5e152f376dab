//! TensorBoard event files: flowbench parses the file real TF's `tf.summary.FileWriter` wrote
//! (`tests/data/tf/events/`, made by `tests/data/tf/make_reference.py`) and builds the very
//! histogram TF's `HistogramSummary` built; what flowbench writes reads back, and with
//! `FLOWBENCH_TF_PYTHON` TF's own `summary_iterator` reads it with the same values.

use crate::common::{root, temp_dir};
use flowbench::formats::events::{EventWriter, FILE_VERSION, histogram, read_events};
use flowbench::formats::proto::{EventKind, SummaryValueKind};

/// The values `make_reference.py` histogrammed (as float32, as TF held them).
fn hist_values() -> Vec<f64> {
    [0.5f32, -1.25, 3.0, 0.0, 1e-13, -2e-12, 100.0, 0.5, 7.25e5, -3.5].iter().map(|&x| x as f64).collect()
}

#[test]
fn parses_the_event_file_tf_wrote() {
    let events = read_events(&root().join("tests/data/tf/events/events.out.tfevents.reference")).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].what, Some(EventKind::FileVersion(FILE_VERSION.into())));
    let summary = |i: usize| match &events[i].what {
        Some(EventKind::Summary(s)) => s.clone(),
        other => panic!("event {i}: {other:?}"),
    };
    assert_eq!(events[1].step, 0);
    let s = summary(1);
    assert_eq!(s.value.len(), 1);
    assert_eq!(s.value[0].tag, "loss");
    assert_eq!(s.value[0].value, Some(SummaryValueKind::SimpleValue(0.75)));
    assert_eq!(events[2].step, 10);
    let s = summary(2);
    assert_eq!(s.value[0].value, Some(SummaryValueKind::SimpleValue(0.125)));
    assert_eq!(s.value[1].tag, "weights");
    let Some(SummaryValueKind::Histo(tf_hist)) = &s.value[1].value else { panic!("{:?}", s.value[1]) };
    assert_eq!(*tf_hist, histogram("weights", &hist_values()).unwrap());
    assert!(events[2].wall_time > 1.7e9);
}

#[test]
fn writes_event_files_that_read_back() {
    let dir = temp_dir("events");
    let mut w = EventWriter::create(&dir.join("logs")).unwrap();
    w.add_summary(0, &[("loss", 0.5)], &[]).unwrap();
    w.add_summary(5, &[("loss", 0.25), ("accuracy", 1.0)], &[("w1", vec![1.0, -2.0, 3.5])]).unwrap();
    let name = w.path().file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("events.out.tfevents."), "{name}");
    let events = read_events(w.path()).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].what, Some(EventKind::FileVersion("brain.Event:2".into())));
    let Some(EventKind::Summary(s)) = &events[2].what else { panic!() };
    assert_eq!(events[2].step, 5);
    assert_eq!(s.value.iter().map(|v| v.tag.as_str()).collect::<Vec<_>>(), ["loss", "accuracy", "w1"]);
    let Some(SummaryValueKind::Histo(h)) = &s.value[2].value else { panic!() };
    assert_eq!((h.min, h.max, h.num, h.sum, h.sum_squares), (-2.0, 3.5, 3.0, 2.5, 17.25));
    // A cut file is an error, not a panic.
    let bytes = std::fs::read(w.path()).unwrap();
    let cut = dir.join("cut");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    assert!(read_events(&cut).unwrap_err().to_string().starts_with("DataLossError: truncated record"));
}

#[test]
fn tf_reads_flowbench_event_files() {
    let Some(py) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow) to run this under TF");
        return;
    };
    let dir = temp_dir("events-tf");
    let mut w = EventWriter::create(&dir).unwrap();
    w.add_summary(3, &[("loss", 0.125)], &[("weights", hist_values())]).unwrap();
    let script = format!(
        r#"
import tensorflow.compat.v1 as tf
for e in tf.train.summary_iterator({p:?}):
    for v in e.summary.value:
        if v.HasField("histo"):
            h = v.histo
            print(e.step, v.tag, h.min, h.max, h.num, h.sum, h.sum_squares, len(h.bucket), sum(h.bucket))
        else:
            print(e.step, v.tag, v.simple_value)
    if e.file_version:
        print(e.file_version)
"#,
        p = w.path().display().to_string()
    );
    let o = std::process::Command::new(py).arg("-c").arg(script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let h = histogram("weights", &hist_values()).unwrap();
    let want = format!(
        "brain.Event:2\n3 loss 0.125\n3 weights {:?} {:?} 10.0 {:?} {:?} {} 10.0\n",
        h.min,
        h.max,
        h.sum,
        h.sum_squares,
        h.bucket.len()
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
}

#[test]
fn run_logdir_writes_the_training_curve() {
    use crate::common::{assert_trained_output, flowbench, golden};
    let dir = temp_dir("logdir");
    let logs = dir.join("logs");
    let example = root().join("assets/examples/3_4_5_training.json");
    let o = flowbench(&["run".as_ref(), example.as_os_str(), "--logdir".as_ref(), logs.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // What is printed does not change.
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert_trained_output(&stdout, &golden("3_4_5_training.out"), 10);
    let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let events = read_events(&files[0]).unwrap();
    assert_eq!(events[0].what, Some(EventKind::FileVersion(FILE_VERSION.into())));
    assert!(matches!(events[1].what, Some(EventKind::GraphDef(_))));
    let mut losses = Vec::new();
    let mut hist_tags = std::collections::BTreeSet::new();
    for e in &events {
        if let Some(EventKind::Summary(s)) = &e.what {
            for v in &s.value {
                match &v.value {
                    Some(SummaryValueKind::SimpleValue(x)) if v.tag == "loss" => losses.push((e.step, *x)),
                    Some(SummaryValueKind::Histo(h)) => {
                        assert!(h.num > 0.0);
                        hist_tags.insert(v.tag.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    // One loss per printed line, equal to it as %g prints it.
    let printed: Vec<(i64, f64)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("After "))
        .map(|l| {
            let step = l.split(' ').next().unwrap().parse().unwrap();
            let loss = l.rsplit(' ').next().unwrap().parse().unwrap();
            (step, loss)
        })
        .collect();
    assert_eq!(losses.len(), printed.len());
    for ((s, x), (ps, px)) in losses.iter().zip(&printed) {
        assert_eq!(s, ps);
        assert!((*x as f64 - px).abs() <= 1e-5 * px.abs(), "{x} vs {px}");
    }
    assert_eq!(hist_tags.into_iter().collect::<Vec<_>>(), ["Variable", "Variable_1"]);
}

/// The scalars of the event files in `logs` as `step tag value` lines, in file order.
fn scalar_lines(logs: &std::path::Path) -> (std::path::PathBuf, String) {
    let files: Vec<_> = std::fs::read_dir(logs).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let mut out = String::new();
    for e in read_events(&files[0]).unwrap() {
        if let Some(EventKind::Summary(s)) = &e.what {
            for v in &s.value {
                if let Some(SummaryValueKind::SimpleValue(x)) = &v.value {
                    out.push_str(&format!("{} {} {:?}\n", e.step, v.tag, *x as f64));
                }
            }
        }
    }
    (files[0].clone(), out)
}

/// 4.4.1's decaying learning rate is logged as `learning_rate`, and the tensors its printed line
/// evaluates (`x`, `ExponentialDecay`) as scalars, each equal to what is printed.
#[test]
fn run_logdir_logs_the_learning_rate_and_metrics() {
    use crate::common::flowbench;
    let logs = temp_dir("logdir-lr").join("logs");
    let example = root().join("assets/examples/4_4_1_learning_rate_decay.json");
    let o = flowbench(&["run".as_ref(), example.as_os_str(), "--logdir".as_ref(), logs.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(stdout, std::fs::read_to_string(root().join("tests/golden/4_4_1_learning_rate_decay.out")).unwrap());
    let (_, lines) = scalar_lines(&logs);
    let find = |step: i64, tag: &str| -> f64 {
        lines
            .lines()
            .find_map(|l| {
                let mut p = l.split(' ');
                (p.next()? == step.to_string() && p.next()? == tag).then(|| p.next().unwrap().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no {tag} at step {step} in\n{lines}"))
    };
    // "After 11 iteration(s): x11 is 0.690561, learning rate is 0.063824." is step 10.
    for l in stdout.lines() {
        let words: Vec<&str> = l.split(' ').collect();
        let step: i64 = words[1].parse::<i64>().unwrap() - 1;
        let x: f64 = words[5].trim_end_matches(',').parse().unwrap();
        let lr: f64 = words[9].trim_end_matches('.').parse().unwrap();
        assert!((find(step, "x") - x).abs() < 1e-6, "{l}");
        assert!((find(step, "learning_rate") - lr).abs() < 1e-6, "{l}");
        assert_eq!(find(step, "learning_rate"), find(step, "ExponentialDecay"));
    }
    assert_eq!(lines.lines().filter(|l| l.contains(" learning_rate ")).count(), stdout.lines().count());
}

/// TF's own reader reads a run's log with the same scalars flowbench reads.
#[test]
fn tf_reads_a_run_logdir() {
    use crate::common::flowbench;
    let Some(py) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow) to run this under TF");
        return;
    };
    let logs = temp_dir("logdir-lr-tf").join("logs");
    let example = root().join("assets/examples/4_4_1_learning_rate_decay.json");
    let o = flowbench(&["run".as_ref(), example.as_os_str(), "--logdir".as_ref(), logs.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (file, want) = scalar_lines(&logs);
    let script = format!(
        r#"
import tensorflow.compat.v1 as tf
for e in tf.train.summary_iterator({p:?}):
    for v in e.summary.value:
        if v.WhichOneof("value") == "simple_value":
            print(e.step, v.tag, repr(float(v.simple_value)))
"#,
        p = file.display().to_string()
    );
    let o = std::process::Command::new(py).arg("-c").arg(script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    assert!(want.contains(" learning_rate ") && want.contains(" x "), "{want}");
}
