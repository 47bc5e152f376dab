//! The example projects bundled into the binary (`include_str!`, so the window works from any
//! directory), and the one the window opens on.

/// One bundled example: its file name and JSON text.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// File name, as in `assets/examples/`.
    pub file: &'static str,
    /// The project JSON.
    pub text: &'static str,
}

/// Every bundled example, in the tutorial's order: chapter 3 (the seed), the CSV one (its rows are
/// embedded), chapters 4 and 5, then the debugger's.
pub const EXAMPLES: &[Example] = &[
    Example { file: "3_1_default_graph.json", text: include_str!("../../assets/examples/3_1_default_graph.json") },
    Example { file: "3_1_two_graphs.json", text: include_str!("../../assets/examples/3_1_two_graphs.json") },
    Example { file: "3_1_device.json", text: include_str!("../../assets/examples/3_1_device.json") },
    Example { file: "3_2_tensors.json", text: include_str!("../../assets/examples/3_2_tensors.json") },
    Example { file: "3_3_sessions.json", text: include_str!("../../assets/examples/3_3_sessions.json") },
    Example { file: "3_4_3_forward.json", text: include_str!("../../assets/examples/3_4_3_forward.json") },
    Example { file: "3_4_4_placeholder.json", text: include_str!("../../assets/examples/3_4_4_placeholder.json") },
    Example { file: "3_4_5_training.json", text: include_str!("../../assets/examples/3_4_5_training.json") },
    Example { file: "csv_points.json", text: include_str!("../../assets/examples/csv_points.json") },
    Example { file: "4_2_2_custom_loss.json", text: include_str!("../../assets/examples/4_2_2_custom_loss.json") },
    Example {
        file: "4_4_1_learning_rate_decay.json",
        text: include_str!("../../assets/examples/4_4_1_learning_rate_decay.json"),
    },
    Example {
        file: "4_4_3_moving_average.json",
        text: include_str!("../../assets/examples/4_4_3_moving_average.json"),
    },
    Example { file: "5_2_1_mnist.json", text: include_str!("../../assets/examples/5_2_1_mnist.json") },
    Example { file: "5_4_saver.json", text: include_str!("../../assets/examples/5_4_saver.json") },
    Example { file: "debug_log_of_zero.json", text: include_str!("../../assets/examples/debug_log_of_zero.json") },
];

/// The MNIST example's digits (`assets/examples/digits`, four gzipped IDX files), carried in the
/// binary so that the example opened from the menu trains wherever the binary is.
const DIGITS: &[(&str, &[u8])] = &[
    ("train-images-idx3-ubyte.gz", include_bytes!("../../assets/examples/digits/train-images-idx3-ubyte.gz")),
    ("train-labels-idx1-ubyte.gz", include_bytes!("../../assets/examples/digits/train-labels-idx1-ubyte.gz")),
    ("t10k-images-idx3-ubyte.gz", include_bytes!("../../assets/examples/digits/t10k-images-idx3-ubyte.gz")),
    ("t10k-labels-idx1-ubyte.gz", include_bytes!("../../assets/examples/digits/t10k-labels-idx1-ubyte.gz")),
];

/// The folder an example opened from the menu (which has no file of its own) reads its data
/// files from: `assets/examples` of the source tree the binary was built from while it exists,
/// else a copy of the bundled digits written once under the user's cache folder
/// (`~/.cache/flowbench/examples/digits`). `None` if neither can be had.
pub fn data_dir() -> Option<std::path::PathBuf> {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    if source.join("digits").is_dir() {
        return Some(source);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))?
        .join("flowbench/examples");
    let digits = cache.join("digits");
    std::fs::create_dir_all(&digits).ok()?;
    for (name, bytes) in DIGITS {
        let path = digits.join(name);
        if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(bytes.len() as u64) {
            std::fs::write(&path, bytes).ok()?;
        }
    }
    Some(cache)
}

/// The bundled example `file` as a project; one that reads data files (IDX images) reads them
/// from [`data_dir`].
pub fn example_project(file: &str) -> Option<Result<crate::project::Project, crate::project::ProjectError>> {
    let mut project = crate::project::Project::from_json_str(example(file)?.text);
    if let Ok(p) = &mut project
        && p.datasets.iter().any(|d| matches!(d.source, crate::train::data::dataset::DatasetSource::Idx { .. }))
    {
        p.base_dir = crate::project::BaseDir(data_dir());
    }
    Some(project)
}

/// The example the window opens on: the richest one until the training example lands (then this
/// becomes `3_4_5_training.json`).
pub const STARTUP_EXAMPLE: &str = "3_4_5_training.json";

/// The bundled example named `file`.
pub fn example(file: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.file == file)
}

/// The title an example shows in the Open example menu, in the UI's language: the message
/// `example-<file stem>` where the message files have one, else [`title`].
pub fn menu_title(file: &str) -> String {
    let stem = file.strip_suffix(".json").unwrap_or(file);
    crate::app::i18n::tr_or(&format!("example-{stem}"), title(file))
}

/// The title an example shows in menus: its project's own name, the tutorial's section title
/// ("3.4.4 Placeholders and feed_dict"); the file name if it has none. Read once per example.
pub fn title(file: &str) -> &'static str {
    use std::sync::OnceLock;
    static TITLES: OnceLock<Vec<String>> = OnceLock::new();
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        name: String,
    }
    let titles = TITLES.get_or_init(|| {
        EXAMPLES
            .iter()
            .map(|e| match serde_json::from_str::<Head>(e.text) {
                Ok(h) if !h.name.trim().is_empty() => h.name,
                _ => e.file.to_string(),
            })
            .collect()
    });
    EXAMPLES.iter().position(|e| e.file == file).and_then(|i| titles.get(i)).map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// File ▸ Open example ▸ 5.2.1: the project has no file, yet its dataset's folder
    /// (`digits`) resolves, and reads as `read_data_sets(..., validation_size=200)` does.
    #[test]
    fn the_mnist_example_opened_from_the_menu_finds_its_digits() {
        let p = example_project("5_2_1_mnist.json").unwrap().unwrap();
        let base = p.base_dir.0.clone().expect("a data folder");
        let sets = p.dataset("mnist").unwrap().images_in(Some(&base)).unwrap();
        assert_eq!((sets.train.len(), sets.validation.len(), sets.test.len()), (1297, 200, 300));
        // Examples without data files keep no folder.
        let p = example_project("3_4_5_training.json").unwrap().unwrap();
        assert!(p.base_dir.0.is_none());
    }
}
