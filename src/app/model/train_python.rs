//! The log's Python for a training run started from the window: the dataset as the exported
//! script defines it (taken from `crate::export::python`'s own text, so the two never differ),
//! the feeds' column slices, and the `for i in range(STEPS):` loop with the batch cut as the
//! worker cuts it (`start = (i * BATCH) % len(data)`, or `next_batch` for image data), the train
//! op run through the session's Python name. Tensor and op names are strings, as in the log's
//! other `sess.run` lines, so the lines run after the ones before them.

use crate::export::ExportOptions;
use crate::export::python::{export, py_str};
use crate::project::Project;

/// Lines of a dataset's definition longer than this (embedded rows) are replaced by a comment.
const MAX_DEFINITION_CHARS: usize = 400;

/// What the training run does, in the words of the lines before it.
pub struct TrainLoop<'a> {
    /// The session's Python name (`sess1`).
    pub session: &'a str,
    /// The project dataset trained on (already in `project`).
    pub dataset: &'a str,
    /// Its column names (`images`, `labels` for image data).
    pub columns: &'a [String],
    /// Image data (IDX): batches by `next_batch` after `np.random.seed(0)`.
    pub images: bool,
    /// Placeholder tensor and the columns that feed it.
    pub feeds: &'a [(String, Vec<String>)],
    /// The train op.
    pub train_op: &'a str,
    /// Steps and rows per batch.
    pub steps: u64,
    pub batch_size: usize,
}

/// The Python lines of a training run.
pub fn train_loop_lines(project: &Project, t: &TrainLoop<'_>) -> Vec<String> {
    let (definition, data) = dataset_definition(project, t.dataset);
    let mut lines = definition;
    let mut items = Vec::new();
    for (k, (tensor, cols)) in t.feeds.iter().enumerate() {
        if t.images {
            items.push(format!("{}: batch[{k}]", py_str(tensor)));
            continue;
        }
        let idx: Vec<String> =
            cols.iter().filter_map(|c| t.columns.iter().position(|x| x == c)).map(|i| i.to_string()).collect();
        let base = tensor.split(':').next().unwrap_or(tensor);
        let var = format!("{data}_{}", identifier(base));
        lines.push(format!("{var} = {data}[:, [{}]]  # {}", idx.join(", "), cols.join(", ")));
        items.push(format!("{}: {var}[start:end]", py_str(tensor)));
    }
    let feed = if items.is_empty() { String::new() } else { format!(", feed_dict={{{}}}", items.join(", ")) };
    if t.images {
        lines.push("np.random.seed(0)".to_string());
    }
    lines.push(format!("for i in range({}):", t.steps));
    if t.images {
        lines.push(format!("    batch = {data}.train.next_batch({})", t.batch_size));
    } else {
        lines.push(format!("    start = (i * {}) % len({data})", t.batch_size));
        lines.push(format!("    end = start + {}", t.batch_size));
    }
    lines.push(format!("    {}.run({}{feed})", t.session, py_str(t.train_op)));
    lines
}

/// The dataset's definition as the exported script writes it, and the name it binds; a long
/// one (rows written out) becomes a comment saying where the rows come from.
fn dataset_definition(project: &Project, dataset: &str) -> (Vec<String>, String) {
    let fallback = format!("{}_data", identifier(dataset));
    let opts = ExportOptions { embed_limit: 0, ..ExportOptions::default() };
    let Ok(ex) = export(project, &opts) else {
        return (
            vec![format!("# {fallback}: the rows of dataset {} (File ▸ Export writes them)", py_str(dataset))],
            fallback,
        );
    };
    let head = format!("# dataset {}", py_str(dataset));
    let mut block: Vec<String> = Vec::new();
    let mut inside = false;
    for l in ex.text.lines() {
        if inside {
            if l.is_empty() || l.starts_with("# dataset ") || l.starts_with("# -----") {
                break;
            }
            block.push(l.to_string());
        } else if l.starts_with(&head) {
            inside = true;
            block.push(l.to_string());
        }
    }
    let data = block
        .iter()
        .filter_map(|l| l.split_once(" = ").map(|(v, _)| v))
        .find(|v| v.ends_with("_data") && v.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map_or(fallback, str::to_string);
    let needs_helpers = block.iter().any(|l| l.contains("read_data_sets("));
    if block.is_empty() || block.iter().map(String::len).sum::<usize>() > MAX_DEFINITION_CHARS || needs_helpers {
        let what = if needs_helpers { "input_data's read_data_sets" } else { "the rows" };
        return (
            vec![format!("# {data}: {what} of dataset {} (File ▸ Export writes the definition)", py_str(dataset))],
            data,
        );
    }
    let mut lines = vec!["import numpy as np".to_string()];
    lines.extend(block);
    (lines, data)
}

/// A Python identifier made from a name (`x-input` → `x_input`).
fn identifier(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) { format!("_{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_loop_is_the_exported_scripts_loop_with_string_names() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/examples/3_4_5_training.json"))
            .expect("example");
        let project = Project::from_json_str(&text).expect("project");
        let columns: Vec<String> = ["x1", "x2", "y"].iter().map(|s| s.to_string()).collect();
        let feeds = vec![
            ("x-input:0".to_string(), vec!["x1".to_string(), "x2".to_string()]),
            ("y-input:0".to_string(), vec!["y".to_string()]),
        ];
        let lines = train_loop_lines(
            &project,
            &TrainLoop {
                session: "sess1",
                dataset: "seed",
                columns: &columns,
                images: false,
                feeds: &feeds,
                train_op: "Adam",
                steps: 5000,
                batch_size: 8,
            },
        );
        assert_eq!(
            lines,
            [
                "import numpy as np",
                "# dataset \"seed\": columns x1, x2, y",
                "seed_X = np.random.RandomState(1).rand(128, 2)",
                "seed_data = np.array([list(row) + [float(sum(row) < 1.0)] for row in seed_X]).reshape(128, 3)",
                "seed_data_x_input = seed_data[:, [0, 1]]  # x1, x2",
                "seed_data_y_input = seed_data[:, [2]]  # y",
                "for i in range(5000):",
                "    start = (i * 8) % len(seed_data)",
                "    end = start + 8",
                "    sess1.run(\"Adam\", feed_dict={\"x-input:0\": seed_data_x_input[start:end], \"y-input:0\": seed_data_y_input[start:end]})",
            ]
        );
    }
}
