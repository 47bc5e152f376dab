//! The modal windows ([`Modal`]) and the actions that wait for the unsaved-changes prompt
//! ([`Pending`]).

use std::path::PathBuf;

/// An action that waits for the unsaved-changes prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// File ▸ New.
    New,
    /// File ▸ Open…
    OpenDialog,
    /// Open this file.
    OpenPath(PathBuf),
    /// Open this bundled example.
    OpenExample(String),
    /// Quit.
    Quit,
    /// Save first, then do this.
    SaveThen(Box<Pending>),
}

/// A modal window.
#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    /// An error, such as the loader's message for a bad file.
    Error {
        /// Heading.
        title: String,
        /// Message.
        message: String,
    },
    /// "Save changes before …?"
    Unsaved(Pending),
    /// Session ▸ New session…
    NewSession {
        /// Graph index proposed.
        graph: usize,
    },
    /// Rename a node.
    RenameNode {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
    },
    /// Rename a graph.
    RenameGraph {
        /// Graph index.
        graph: usize,
    },
    /// Help ▸ Guide.
    Help,
}
