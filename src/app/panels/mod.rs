//! The panels: one file per panel or view, each a struct with
//! `ui(&mut self, ui, &AppState, &mut Vec<Command>)` that reads the state and emits commands
//! (its own struct keeps only widget state such as text being typed). None of them changes
//! `AppState`; `crate::app::apply` does.

pub mod checkpoint_browser;
pub mod config;
pub mod confusion;
pub mod csv_import;
pub mod debug;
pub mod file_browser;
pub mod graph_editor;
pub mod image_grid;
pub mod inspector;
pub mod log;
pub mod menu;
pub mod modals;
pub mod notes;
pub mod plots;
pub mod program;
pub mod run;
pub mod sessions;
pub mod train;
