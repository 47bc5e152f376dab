//! Reading and writing project files: JSON text in, a migrated and validated [`Project`] out
//! (a bad file is refused with a message that names the node or field; it never panics);
//! pretty JSON out, saved atomically.

use crate::project::file::{BaseDir, FORMAT_VERSION, Project, ProjectError};
use serde_json::Value as Json;
use std::path::Path;

/// Brings an older file's JSON up to the current version. Version 0 (before the format was
/// versioned) held one graph as top-level `nodes` and no script.
pub fn migrate(mut json: Json) -> Result<Json, ProjectError> {
    let Some(obj) = json.as_object_mut() else {
        return Err(ProjectError::Syntax("the top level must be a JSON object".to_string()));
    };
    let version = match obj.get("format_version") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| ProjectError::Version(format!("format_version must be a whole number, found {v}")))?,
    };
    if version > FORMAT_VERSION {
        return Err(ProjectError::Version(format!(
            "this file has format_version {version}, written by a newer flowbench; this build reads versions up to {FORMAT_VERSION}"
        )));
    }
    if version == 0 {
        let nodes = obj.remove("nodes").unwrap_or(Json::Array(Vec::new()));
        obj.insert("graphs".to_string(), serde_json::json!([{ "name": "default", "nodes": nodes }]));
        obj.insert("default_graph".to_string(), Json::String("default".to_string()));
        obj.insert("format_version".to_string(), Json::from(1));
    }
    Ok(json)
}

impl Project {
    /// Parses a project from JSON text, migrating older versions and validating everything.
    pub fn from_json_str(text: &str) -> Result<Project, ProjectError> {
        let json: Json = serde_json::from_str(text).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        let json = migrate(json)?;
        let project: Project = serde_json::from_value(json).map_err(|e| ProjectError::Syntax(e.to_string()))?;
        project.validate()?;
        Ok(project)
    }

    /// Reads and validates a project file.
    pub fn load(path: &Path) -> Result<Project, ProjectError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ProjectError::Io { path: path.display().to_string(), source })?;
        let mut project = Project::from_json_str(&text)?;
        let dir = path.parent().map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d });
        project.base_dir = BaseDir(dir.map(Path::to_path_buf));
        Ok(project)
    }

    /// Pretty JSON.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Saves atomically: writes a temporary file beside the target, then renames it over.
    pub fn save(&self, path: &Path) -> Result<(), ProjectError> {
        let io = |source| ProjectError::Io { path: path.display().to_string(), source };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let file_name =
            path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "project".to_string());
        let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, self.to_json_string() + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io(e)
        })
    }
}
