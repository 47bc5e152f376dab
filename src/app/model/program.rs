//! The Python program view's state: the program opened with File ▸ Open (its path and source),
//! the run the window watches (`crate::python::stepper::Stepper`), where it is (the current
//! line, or the line it failed or was stopped at), the sessions it has opened, and the document
//! that was open before it (restored when the program fails). [`ProgramCommand`] is what the
//! view's controls ask for.

use crate::app::model::document::{Document, Engine};
use crate::python::stepper::{SessionView, Stepper};
use std::path::PathBuf;

/// What the program view's controls ask for (see `crate::app::apply`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramCommand {
    /// Runs the program from its start to its end.
    Run,
    /// Runs one statement (a call runs whole) and pauses; starts the program paused before its
    /// first statement when it is not running.
    Step,
    /// Runs on from where it is paused.
    Continue,
    /// Pauses a running program before its next statement.
    Pause,
    /// Ends the program before its next statement.
    Stop,
    /// Sets or clears a breakpoint on a line (Run and Continue pause before it).
    ToggleBreakpoint(usize),
    /// Hides the view (a running program is stopped).
    Close,
}

/// Where the program is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramState {
    /// Paused before the current line.
    Paused,
    /// Running.
    Running,
    /// Ran to its end.
    Finished,
    /// Failed at the error line.
    Failed,
    /// Stopped from the window.
    Stopped,
}

impl ProgramState {
    /// True while the program's thread is alive.
    pub fn is_live(self) -> bool {
        matches!(self, ProgramState::Paused | ProgramState::Running)
    }
}

/// The document and engine that were open before the program (given back when it fails).
pub struct Before {
    /// The document.
    pub doc: Document,
    /// Its engine, with its sessions.
    pub engine: Engine,
    /// Its sessions' metadata.
    pub sessions_meta: Vec<crate::app::model::view::SessionMeta>,
}

/// The program view.
pub struct ProgramView {
    /// The program's file.
    pub path: PathBuf,
    /// Its source.
    pub source: String,
    /// The run, while its thread is alive.
    pub stepper: Option<Stepper>,
    /// Where it is.
    pub state: ProgramState,
    /// The line of the statement about to run (1-based), or where it ended.
    pub line: Option<usize>,
    /// The line of the error that ended it, with the message.
    pub error: Option<(usize, String)>,
    /// Its sessions, as of the latest snapshot.
    pub sessions: Vec<SessionView>,
    /// What was open before the program (restored when it fails).
    pub before: Option<Before>,
    /// Pauses seen in this run.
    pub pauses: u64,
    /// Lines with a breakpoint.
    pub breakpoints: std::collections::BTreeSet<usize>,
}

impl ProgramView {
    /// The file name (`3_4_5_training.py`).
    pub fn file_name(&self) -> String {
        crate::app::model::document::file_name(&self.path)
    }
}
