//! The data the window keeps or derives, below the commands and the executor: the document and
//! the engine state derived from it, undo history, training state and series, the log, the
//! shared view state, modals, settings, exports, the CSV import window's choices and the checkpoint browser. Nothing
//! here imports the commands, the state, the executor or the panels.

pub mod checkpoint;
pub mod csv_import;
pub mod debugger;
pub mod document;
pub mod export;
pub mod feed;
pub mod file_browser;
pub mod layered;
pub mod log;
pub mod modal;
pub mod program;
pub mod series;
pub mod settings;
pub mod train_python;
pub mod training;
pub mod undo;
pub mod view;
