//! The log's lines: [`LogEntry`] and its [`LogKind`] (info, the equivalent Python line,
//! placement, printed values, warnings and TF errors).

/// Kinds of log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// Something the window did.
    Info,
    /// The Python line equivalent to what was done (`sess1.run(MatMul_1:0)`).
    Python,
    /// A placement-log line (`log_device_placement`).
    Placement,
    /// Values printed by a run.
    Result,
    /// A warning.
    Warning,
    /// A TF error.
    Error,
}

/// One log line, linked to a node (graph index, name) when it concerns one.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// What kind of line.
    pub kind: LogKind,
    /// The text.
    pub text: String,
    /// The node it concerns.
    pub node: Option<(usize, String)>,
}
