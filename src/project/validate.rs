//! Validation of a whole project: graph names, the default graph, every graph lowering (strictly,
//! see [`crate::project::lower`]), and the references each script step makes.

use crate::engine::runtime::session::MAX_THREADS;
use crate::engine::value::Value;
use crate::project::file::{Project, ProjectError};
use crate::project::lower::lower_project;
use crate::project::script::{PrintArg, Step};
use crate::train::data::dataset::MAX_ROWS;
use crate::train::data::dataset::{Dataset, DatasetSource};
use crate::train::data::idx::Field;
use std::collections::HashSet;

impl Project {
    /// Checks the whole file: every graph builds, names resolve, the script refers to what exists.
    pub fn validate(&self) -> Result<(), ProjectError> {
        let mut seen = HashSet::new();
        for g in &self.graphs {
            if !seen.insert(g.name.as_str()) {
                return Err(ProjectError::Invalid(format!("graphs: the name '{}' is used twice", g.name)));
            }
        }
        if !self.graphs.iter().any(|g| g.name == self.default_graph) {
            return Err(ProjectError::Invalid(format!(
                "default_graph: there is no graph named '{}'",
                self.default_graph
            )));
        }
        for c in &self.configs {
            let threads = [
                ("intra_op_parallelism_threads", c.config.intra_op_parallelism_threads),
                ("inter_op_parallelism_threads", c.config.inter_op_parallelism_threads),
            ];
            for (field, n) in threads {
                if n > MAX_THREADS {
                    return Err(ProjectError::Invalid(format!(
                        "config '{}': {field}: {n} is too many (at most {MAX_THREADS})",
                        c.name
                    )));
                }
            }
        }
        for (tag, t) in &self.translations {
            let mut parts = tag.split('-');
            let lang_ok =
                parts.next().is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
            let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !lang_ok || !rest_ok {
                return Err(ProjectError::Invalid(format!(
                    "translations: '{tag}' is not a language tag (such as 'zh-CN')"
                )));
            }
            if !t.comments.is_empty() && t.comments.len() != self.comments.len() {
                return Err(ProjectError::Invalid(format!(
                    "translations.{tag}.comments: {} comment(s) for the project's {}",
                    t.comments.len(),
                    self.comments.len()
                )));
            }
        }
        let mut names = HashSet::new();
        for d in &self.datasets {
            if !names.insert(d.name.as_str()) {
                return Err(ProjectError::Invalid(format!("datasets: the name '{}' is used twice", d.name)));
            }
            d.check_sizes().map_err(ProjectError::Invalid)?;
        }
        lower_project(self)?;
        for d in &self.datasets {
            validate_dataset(d).map_err(|m| ProjectError::Invalid(format!("datasets: '{}': {m}", d.name)))?;
        }
        for (i, step) in self.script.iter().enumerate() {
            validate_step(step, self).map_err(|m| ProjectError::Invalid(format!("script step {}: {m}", i + 1)))?;
        }
        Ok(())
    }
}

/// Checks a dataset's fields that can be checked without reading its files.
fn validate_dataset(d: &Dataset) -> std::result::Result<(), String> {
    if let DatasetSource::Idx { dir, files, .. } = &d.source {
        if dir.trim().is_empty() {
            return Err("dir: must name the folder of the IDX files".to_string());
        }
        if let Some(k) = files.as_ref().and_then(|f| f.iter().position(|n| n.trim().is_empty())) {
            return Err(format!("files[{k}]: must name a file"));
        }
        // The files are read from `dir`, which must be inside the project's folder: a name that
        // is a path could leave it.
        let is_path = |n: &String| n.contains(['/', '\\']) || n == ".." || n == ".";
        if let Some(k) = files.as_ref().and_then(|f| f.iter().position(is_path)) {
            return Err(format!("files[{k}]: must be a file name inside dir, not a path"));
        }
    }
    Ok(())
}

/// Checks the references a step makes, without running it.
pub fn validate_step(step: &Step, project: &Project) -> std::result::Result<(), String> {
    let graph_ok = |g: &Option<String>| match g {
        Some(name) if project.graph_def(name).is_none() => Err(format!("no graph named '{name}'")),
        _ => Ok(()),
    };
    match step {
        Step::OpenSession { graph, config, .. } => {
            graph_ok(graph)?;
            if let Some(c) = config
                && project.config(c).is_none()
            {
                return Err(format!("no config named '{c}'"));
            }
            Ok(())
        }
        Step::Run { graph, feeds, .. } => {
            graph_ok(graph)?;
            for f in feeds {
                Value::from_json(&f.value, None).map_err(|e| format!("feed for '{}': {}", f.tensor, e.message))?;
            }
            Ok(())
        }
        Step::AddNode { graph, .. } => graph_ok(graph),
        Step::TrainLoop { dataset, batch_size, log, feeds, .. } => {
            if dataset.is_empty() {
                if let Some(f) = feeds.first() {
                    return Err(format!("the train loop feeds '{}' but names no dataset", f.tensor));
                }
                if log.as_ref().is_some_and(|l| l.split.is_some()) {
                    return Err("log.split: the train loop names no dataset".to_string());
                }
                if log.as_ref().and_then(|l| l.end.as_ref()).is_some_and(|e| e.split.is_some()) {
                    return Err("log.end.split: the train loop names no dataset".to_string());
                }
            } else {
                let ds = project.dataset(dataset).ok_or_else(|| format!("no dataset named '{dataset}'"))?;
                let images = matches!(ds.source, DatasetSource::Idx { .. });
                if images {
                    for (k, f) in feeds.iter().enumerate() {
                        if !matches!(f.columns.as_slice(), [c] if Field::by_name(c).is_some()) {
                            return Err(format!(
                                "feeds[{k}].columns: dataset '{dataset}' holds IDX images: a placeholder is fed one field, \
                                 [\"images\"] or [\"labels\"] (got [{}])",
                                f.columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
                            ));
                        }
                    }
                } else if log.as_ref().is_some_and(|l| l.split.is_some()) {
                    return Err(format!(
                        "log.split: dataset '{dataset}' is a table (evaluated on all its rows); split is for IDX datasets"
                    ));
                } else if log.as_ref().and_then(|l| l.end.as_ref()).is_some_and(|e| e.split.is_some()) {
                    return Err(format!(
                        "log.end.split: dataset '{dataset}' is a table (evaluated on all its rows); split is for IDX datasets"
                    ));
                }
            }
            if *batch_size == 0 {
                return Err("batch_size must be at least 1".to_string());
            }
            if *batch_size > MAX_ROWS {
                return Err(format!("batch_size: {batch_size} is too large (at most {MAX_ROWS})"));
            }
            if log.as_ref().is_some_and(|l| l.every == 0) {
                return Err("log.every must be at least 1".to_string());
            }
            if let Some(l) = log {
                crate::train::check_log_format(&l.format).map_err(|m| format!("log.format: {m}"))?;
            }
            Ok(())
        }
        Step::Print { args, .. } => {
            for a in args {
                match a {
                    PrintArg::Repr { graph, .. } | PrintArg::IsDefaultGraph { graph, .. } => graph_ok(graph)?,
                    PrintArg::Eval { graph, .. } => graph_ok(graph)?,
                    PrintArg::Text(_) | PrintArg::ListDir { .. } | PrintArg::RunList { .. } => {}
                }
            }
            Ok(())
        }
        Step::Try { body } | Step::TryQuiet { body } => validate_step(body, project),
        Step::SaveCheckpoint { path, .. } | Step::RestoreCheckpoint { path, .. } | Step::PrintCheckpoint { path }
            if path.is_empty() =>
        {
            Err("a checkpoint step needs a path".to_string())
        }
        _ => Ok(()),
    }
}
