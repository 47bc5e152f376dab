//! The window, driven headless with egui_kittest: interaction, training, CSV import and export,
//! and the screenshot tests (rendered by Mesa's lavapipe).

#[path = "../common/mod.rs"]
mod common;

mod checkpoint;
mod confusion;
mod consistency;
mod csv_import;
mod debugger;
mod desktop;
mod export_csv;
mod image_grid;
mod interaction;
mod language;
mod optimizer_structure;
mod python_open;
mod python_program;
mod snapshots;
mod training;
mod ux;
