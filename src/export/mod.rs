//! Export of a project to a program that runs outside flowbench. The one format today is a
//! TensorFlow `compat.v1` Python script ([`python`]): every graph with the names kept, the
//! session configs, the datasets and the script's steps, printing what `flowbench run` prints.
//!
//! What has no TF equivalent is never dropped silently: each such op or setting becomes an
//! [`Unsupported`] item, named in the script (as a `# unsupported:` comment at its place) and in
//! [`Export::unsupported`]; the CLI refuses to write the file while there are any, unless asked
//! to (`--allow-unsupported`).

pub mod graphdef;
pub mod python;

use std::path::PathBuf;

/// Why an export could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The project does not build (it should have been refused when loaded).
    #[error("the project does not build: {0}")]
    Project(String),
    /// A dataset could not be read (a referenced CSV file that is missing or malformed).
    #[error("dataset '{name}': {message}")]
    Dataset {
        /// The dataset.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Options of an export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The directory of the project file: relative dataset paths are relative to it.
    pub project_dir: Option<PathBuf>,
    /// The directory the script is written to: a referenced data file too big to embed is read
    /// from a path relative to it (absolute when unknown).
    pub script_dir: Option<PathBuf>,
    /// Datasets with at most this many values are embedded in the script; bigger ones that come
    /// from a file are read from that file.
    pub embed_limit: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { project_dir: None, script_dir: None, embed_limit: 200_000 }
    }
}

/// Something in the project that the exported program cannot reproduce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// Where: `graph 'default', node 'gradients/add_grad/Reshape' (SumToShape)`, or a step.
    pub what: String,
    /// Why.
    pub why: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

/// The result of an export: the program text and what it could not reproduce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    /// The program.
    pub text: String,
    /// Ops and settings with no equivalent, in the order they occur.
    pub unsupported: Vec<Unsupported>,
}
