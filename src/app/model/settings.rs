//! What survives a restart: [`Settings`] (recent files, which panels are shown, the language), kept in
//! eframe's storage under [`SETTINGS_KEY`]. Window and panel sizes are kept by eframe and egui.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Key under which [`Settings`] are kept in eframe's storage.
pub const SETTINGS_KEY: &str = "flowbench-settings";

/// What survives a restart (kept in eframe's storage; window size and panel sizes are kept by
/// eframe and egui themselves).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Recently opened or saved files, newest first.
    pub recent: Vec<PathBuf>,
    /// Show the inspector (right).
    pub show_inspector: bool,
    /// Show the config and device panel.
    pub show_config: bool,
    /// Show the sessions panel.
    pub show_sessions: bool,
    /// Show the run panel.
    pub show_run: bool,
    /// Show the log.
    pub show_log: bool,
    /// The UI's language (a code of `i18n::LANGUAGES`); None until the first start picks the
    /// system locale's.
    pub language: Option<String>,
    /// Show the notes (the project's description and comments).
    pub show_notes: bool,
    /// The light theme (the dark one by default).
    pub light_theme: bool,
    /// Use the built-in file browser even where a native dialog could be shown.
    pub builtin_file_browser: bool,
    /// The folder the built-in file browser showed last.
    pub last_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            recent: Vec::new(),
            show_inspector: true,
            show_config: true,
            show_sessions: true,
            show_run: true,
            show_log: true,
            language: None,
            show_notes: true,
            light_theme: false,
            builtin_file_browser: false,
            last_dir: None,
        }
    }
}

impl Settings {
    /// Puts `path` at the top of the recent files.
    pub fn add_recent(&mut self, path: PathBuf) {
        self.recent.retain(|p| *p != path);
        self.recent.insert(0, path);
        self.recent.truncate(10);
    }
}
