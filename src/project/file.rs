//! The project file's content: a versioned JSON format that flowbench owns. It holds the graphs
//! (see [`crate::project::graph_def`]), named session configs, datasets and a script of the steps
//! a program performs (see [`crate::project::script`]). Loading and saving are in
//! [`crate::project::io`], validation in [`crate::project::validate`], the lowering to engine
//! graphs in [`crate::project::lower`].

use crate::engine::runtime::session::ConfigProto;
use crate::project::graph_def::GraphDef;
use crate::project::script::Step;
use crate::train::data::dataset::Dataset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// Why a project file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not JSON, or JSON of the wrong form.
    #[error("not a valid flowbench project: {0}")]
    Syntax(String),
    /// A version this build cannot read.
    #[error("{0}")]
    Version(String),
    /// The graph in the file is wrong (dangling input, cycle, refused op).
    #[error("graph '{graph}', node '{node}': {message}")]
    Node {
        /// The graph.
        graph: String,
        /// The node.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// Anything else that names a field.
    #[error("{0}")]
    Invalid(String),
}

/// A named `ConfigProto`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NamedConfig {
    /// Name shown in the config panel.
    pub name: String,
    /// The config.
    pub config: ConfigProto,
}

/// A project's title, description and comments in another language (empty: as the project has
/// it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Translation {
    /// The title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The comments, one per comment of the project, in its order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
}

/// A whole project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    /// The format version; see [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Title.
    pub name: String,
    /// What the project shows; may note where it differs from the notes it comes from.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Comments kept with the file (shown in the UI, ignored by the engine).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<String>,
    /// The title, description and comments in other languages, by language tag (`zh-CN`): the
    /// notes panel shows the UI language's where there is one. Checked on load (a well-formed
    /// tag, one translated comment per comment).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
    /// The graphs.
    pub graphs: Vec<GraphDef>,
    /// Which graph is the default graph.
    pub default_graph: String,
    /// Named session configs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<NamedConfig>,
    /// Datasets the train loop feeds from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<Dataset>,
    /// The program's steps.
    pub script: Vec<Step>,
    /// The folder of the file the project was loaded from (not saved): referenced data files are
    /// relative to it.
    #[serde(skip)]
    pub base_dir: BaseDir,
}

/// Where a project file lives. Not part of the project's content: any two compare equal.
#[derive(Clone, Debug, Default)]
pub struct BaseDir(pub Option<std::path::PathBuf>);

impl PartialEq for BaseDir {
    fn eq(&self, _: &BaseDir) -> bool {
        true
    }
}

impl BaseDir {
    /// The folder, if known.
    pub fn get(&self) -> Option<&Path> {
        self.0.as_deref()
    }
}

impl Default for Project {
    fn default() -> Self {
        Project {
            format_version: FORMAT_VERSION,
            name: "untitled".to_string(),
            description: String::new(),
            comments: Vec::new(),
            translations: BTreeMap::new(),
            graphs: vec![GraphDef { name: "default".to_string(), ..Default::default() }],
            default_graph: "default".to_string(),
            configs: Vec::new(),
            datasets: Vec::new(),
            script: Vec::new(),
            base_dir: BaseDir::default(),
        }
    }
}

impl Project {
    /// A named config.
    pub fn config(&self, name: &str) -> Option<&ConfigProto> {
        self.configs.iter().find(|c| c.name == name).map(|c| &c.config)
    }

    /// The title, description and comments to show in language `lang` (a tag such as `zh-CN`):
    /// the translation's where it has them, else the project's own.
    pub fn notes_in(&self, lang: &str) -> (&str, &str, Vec<&str>) {
        let t = self.translations.get(lang);
        let name = t.map(|t| t.name.as_str()).filter(|s| !s.trim().is_empty()).unwrap_or(&self.name);
        let description =
            t.map(|t| t.description.as_str()).filter(|s| !s.trim().is_empty()).unwrap_or(&self.description);
        let comments = match t.filter(|t| t.comments.len() == self.comments.len()) {
            Some(t) => t.comments.iter().map(String::as_str).collect(),
            None => self.comments.iter().map(String::as_str).collect(),
        };
        (name, description, comments)
    }

    /// A dataset by name.
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }

    /// The graph def by name.
    pub fn graph_def(&self, name: &str) -> Option<&GraphDef> {
        self.graphs.iter().find(|g| g.name == name)
    }
}
