//! Runtime state the panels share and the window does not persist: the graph tab, the
//! selection, the run setup ([`ViewState`]), a refused wire ([`Refusal`]), the last run's
//! outcome ([`RunResult`]), what the window remembers about each session ([`SessionMeta`]) and
//! the [`Clock`] session ages are measured with.

use std::collections::BTreeMap;
use std::time::Instant;

/// A wire the editor refused, shown at the input pin.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Graph index.
    pub graph: usize,
    /// The node whose input refused it.
    pub node: String,
    /// The input (`usize::MAX` for the control input).
    pub input: usize,
    /// TF's message.
    pub message: String,
}

/// The last run's outcome, for the run panel.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The session id.
    pub session: String,
    /// Fetch name and its value as numpy prints it.
    pub values: Vec<(String, String)>,
    /// The error, if the run failed.
    pub error: Option<String>,
}

/// What the window remembers about a session beyond the engine's stats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionMeta {
    /// When it was opened (seconds on the app clock).
    pub opened_at: f64,
    /// How long it was open, once closed.
    pub closed_after: Option<f64>,
    /// The named config it was opened with.
    pub config: Option<String>,
}

/// Seconds for session ages: real time, or a fixed value so snapshots are deterministic.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// Wall-clock seconds since the window started.
    Real(Instant),
    /// Always this value.
    Fixed(f64),
}

impl Clock {
    /// Seconds now.
    pub fn now(&self) -> f64 {
        match self {
            Clock::Real(t) => t.elapsed().as_secs_f64(),
            Clock::Fixed(x) => *x,
        }
    }
}

/// Runtime UI state shared by the panels (not persisted).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    /// The graph tab shown.
    pub active_graph: usize,
    /// Selected nodes of the active graph.
    pub selection: Vec<String>,
    /// A node to bring into view (log click-through).
    pub focus: Option<String>,
    /// Tensors to fetch.
    pub fetches: Vec<String>,
    /// Ops to run as targets.
    pub targets: Vec<String>,
    /// Feed texts by tensor name.
    pub feeds: BTreeMap<String, String>,
    /// The session runs go to.
    pub run_session: Option<usize>,
    /// The last refused wire.
    pub refusal: Option<Refusal>,
    /// The log has named the default graph in Python (`default = tf.get_default_graph()`).
    pub py_default_graph_named: bool,
}
