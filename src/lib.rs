//! flowbench: a workbench that makes the TensorFlow 1.x graph-and-session model something you can
//! see and touch. The library holds the graph engine (`engine`, which never imports egui), the
//! project file format and its script (`project`), the command-line front end (`cli`) and the
//! workbench window (`app`).

pub mod app;
pub mod bench;
pub mod cli;
pub mod engine;
pub mod export;
pub mod project;
pub mod train;
