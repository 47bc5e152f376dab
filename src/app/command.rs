//! The window's vocabulary: every change it makes is a [`Command`]. Panels only read the state
//! and emit commands; `crate::app::apply` carries them out in one place. Graph edits are
//! snapshotted for undo and redo; session commands act on the live workspace and are appended
//! to the project's script, so that `flowbench run` replays what was done by hand.
//!
//! A leaf: it names engine, project and train data types and the window's small data types
//! (`crate::app::model`), none of which imports it back.

use crate::app::model::export::PlotKind;
use crate::app::model::modal::{Modal, Pending};
use crate::app::model::settings::Settings;
use crate::app::model::training::TrainSetup;
use crate::app::model::view::Refusal;
use crate::engine::DType;
use crate::engine::graph::Initializer;
use crate::engine::graph::op::Op;
use crate::project::{NamedConfig, NodeDef};
use std::path::PathBuf;

/// Something the user asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    // ----- graph edits (undoable) -----
    /// Adds nodes to a graph; names are made unique (inputs among the new nodes follow).
    AddNodes {
        /// Graph index.
        graph: usize,
        /// The nodes.
        nodes: Vec<NodeDef>,
    },
    /// `tf.Variable(initializer(shape))`: the initial-value op, `VariableV2` and its `Assign`.
    AddVariable {
        /// Graph index.
        graph: usize,
        /// Element type.
        dtype: DType,
        /// Shape.
        shape: Vec<usize>,
        /// How it is initialized.
        init: Initializer,
        /// Where to put it.
        pos: [f32; 2],
    },
    /// Deletes nodes (and the wires into and out of them).
    DeleteNodes {
        /// Graph index.
        graph: usize,
        /// Node names.
        names: Vec<String>,
    },
    /// Wires output `tensor` into input `input` of `node`; refused with TF's message when the
    /// node cannot take it.
    Connect {
        /// Graph index.
        graph: usize,
        /// The producing tensor (`a:0`).
        tensor: String,
        /// The consuming node.
        node: String,
        /// Which input.
        input: usize,
    },
    /// Removes the wire into input `input` of `node`.
    Disconnect {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
        /// Which input.
        input: usize,
    },
    /// Adds `from` as a control input of `node`.
    AddControlInput {
        /// Graph index.
        graph: usize,
        /// The node that must run first.
        from: String,
        /// The node that waits for it.
        node: String,
    },
    /// Removes every control input of `node` (or only `from` when given).
    RemoveControlInputs {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
        /// Only this one, if given.
        from: Option<String>,
    },
    /// Renames a node; wires follow.
    RenameNode {
        /// Graph index.
        graph: usize,
        /// Current name.
        old: String,
        /// New name.
        new: String,
    },
    /// Replaces a node's op and attrs.
    SetOp {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
        /// The new op.
        op: Op,
    },
    /// Sets a node's requested device.
    SetDevice {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
        /// The device spec (`/gpu:0`), empty for none.
        device: String,
    },
    /// Moves nodes on the canvas.
    MoveNodes {
        /// Graph index.
        graph: usize,
        /// New positions.
        moves: Vec<(String, [f32; 2])>,
    },
    /// Lays a graph out in columns.
    AutoLayout {
        /// Graph index.
        graph: usize,
    },
    /// Adds an empty graph.
    NewGraph,
    /// Renames a graph.
    RenameGraph {
        /// Graph index.
        graph: usize,
        /// New name.
        name: String,
    },
    /// Makes a graph the default graph.
    SetDefaultGraph {
        /// Graph index.
        graph: usize,
    },
    /// Sets a graph's seed (`tf.set_random_seed`).
    SetGraphSeed {
        /// Graph index.
        graph: usize,
        /// The seed.
        seed: Option<i64>,
    },
    /// Adds or replaces a named config.
    SaveConfig(NamedConfig),
    /// Removes a named config.
    DeleteConfig(String),
    /// Refuses a wire the canvas cannot make, showing why at the pin.
    Refuse(Refusal),
    /// Pastes the clipboard into a graph.
    Paste {
        /// Graph index.
        graph: usize,
    },
    /// Reverts the last edit.
    Undo,
    /// Re-applies the last undone edit.
    Redo,

    // ----- selection and run setup -----
    /// Shows a graph's tab.
    SetActiveGraph(usize),
    /// Sets the selected nodes of the active graph.
    Select(Vec<String>),
    /// Selects every node of the active graph.
    SelectAll,
    /// Selects a node of a graph and brings it into view (log click-through).
    Focus {
        /// Graph index.
        graph: usize,
        /// The node.
        node: String,
    },
    /// Copies the selected nodes.
    Copy,
    /// Adds or removes a tensor from the fetches.
    ToggleFetch(String),
    /// Adds or removes an op from the targets.
    ToggleTarget(String),
    /// Clears fetches, targets and feeds.
    ClearRun,
    /// Sets the text of a feed.
    SetFeed(String, String),
    /// Chooses the session runs go to.
    SetRunSession(Option<usize>),

    // ----- sessions (recorded in the script) -----
    /// `sess = tf.Session(graph=..., config=...)`.
    OpenSession {
        /// Graph index.
        graph: usize,
        /// Named config; the default `ConfigProto` if `None`.
        config: Option<String>,
    },
    /// `sess.run(tf.global_variables_initializer())`.
    InitializeVariables {
        /// Session index.
        session: usize,
    },
    /// `sess.run(fetches, feed_dict)` with the run panel's fetches, targets and feeds.
    Run {
        /// Session index.
        session: usize,
    },
    /// `sess.close()`.
    CloseSession {
        /// Session index.
        session: usize,
    },
    /// Closes every open session.
    CloseAllSessions,
    /// Replays the project's script, printing what the program prints into the log.
    ReplayScript,
    /// Empties the log.
    ClearLog,
    /// Changes the persisted settings (View menu).
    SetSettings(Settings),

    // ----- files -----
    /// File ▸ New (asks first when there are unsaved changes).
    New,
    /// File ▸ Open… (asks first when there are unsaved changes).
    OpenDialog,
    /// Opens a file (asks first when there are unsaved changes).
    OpenPath(PathBuf),
    /// Opens a bundled example (asks first when there are unsaved changes).
    OpenExample(String),
    /// File ▸ Save.
    Save,
    /// File ▸ Save As…
    SaveAs,
    /// Saves to this path.
    SaveTo(PathBuf),
    /// Quits (asks first when there are unsaved changes).
    Quit,
    /// Shows the built-in file browser for a dialog (no native dialog could be shown, or the
    /// user prefers it).
    ShowFileBrowser {
        /// What it is for.
        kind: crate::app::dialogs::DialogKind,
        /// The file name proposed when saving.
        suggested: String,
    },
    /// A file dialog (native or built-in) answered: a path, or `None` when cancelled.
    DialogAnswered {
        /// Which dialog.
        kind: crate::app::dialogs::DialogKind,
        /// The path picked.
        path: Option<PathBuf>,
    },
    /// Carries out a pending action without asking (after the unsaved-changes prompt).
    Proceed(Pending),
    /// Shows a modal window.
    ShowModal(Modal),
    /// Closes the modal window.
    CloseModal,

    // ----- training -----
    /// Replaces the train panel's setup.
    SetTrainSetup(Box<TrainSetup>),
    /// Starts training with the setup (paused first when `paused`).
    StartTraining {
        /// Start paused (for Step 1 / Step N before Start).
        paused: bool,
    },
    /// Sends a command to the running job (pause, resume, step, stop, eval interval).
    TrainControl(crate::train::worker::Command),
    /// `optimizer.minimize(loss)`: adds gradients, slots and a train op to the graph.
    CreateTrainOp {
        /// Graph index.
        graph: usize,
        /// The loss tensor.
        loss: String,
        /// The optimizer and its hyper-parameters.
        optimizer: crate::engine::autodiff::optimizers::Optimizer,
    },
    /// Shows the training view (true) or the graph editor (false) in the centre.
    ShowTraining(bool),
    /// Exports a plot's data as CSV (asks where to save it).
    ExportCsv(PlotKind),
    /// Exports a plot as PNG: a screenshot of `rect` (asks where to save it).
    ExportPng {
        /// Which plot.
        plot: PlotKind,
        /// Its rect on screen, in points.
        rect: egui::Rect,
    },
    /// Writes the pending export to this path.
    WriteExport(PathBuf),
    /// File ▸ Export ▸ TensorFlow script… (asks where to save it).
    ExportTfScriptDialog,
    /// Writes the project as a TF `compat.v1` script to this path.
    WriteTfScript(PathBuf),
    /// File ▸ Import CSV… (asks for the file).
    ImportCsvDialog,
    /// Imports this CSV file as a dataset with the defaults (last column the label, the others
    /// features, rows embedded), as one undoable edit.
    ImportCsv(PathBuf),
    /// Opens the import window on this CSV file (the answer of File ▸ Import CSV…'s dialog).
    ShowCsvImport(PathBuf),
    /// Imports a CSV file with the import window's choices, as one undoable edit; on error the
    /// window stays open with the error and the project is unchanged.
    ImportCsvWith {
        /// The file.
        path: PathBuf,
        /// Columns, names, header and storage.
        options: crate::project::csv::ImportOptions,
    },
    /// Closes the import window without importing.
    CloseCsvImport,

    // ----- TF's files: checkpoints and graphs (apply/checkpoint.rs) -----
    /// Session ▸ Save checkpoint…: asks for a prefix, then saves `session`.
    SaveCheckpointDialog {
        /// Workspace index of the session.
        session: usize,
    },
    /// `tf.train.Saver().save(sess, path)` on `session` (recorded in the script).
    SaveCheckpoint {
        /// Workspace index of the session.
        session: usize,
        /// The checkpoint prefix.
        path: PathBuf,
    },
    /// Session ▸ Restore checkpoint…: asks for a checkpoint, then restores it into `session`.
    RestoreCheckpointDialog {
        /// Workspace index of the session.
        session: usize,
    },
    /// `tf.train.Saver().restore(sess, path)` into `session` (recorded in the script); `path`
    /// is a prefix or one of the checkpoint's files.
    RestoreCheckpoint {
        /// Workspace index of the session.
        session: usize,
        /// The checkpoint.
        path: PathBuf,
    },
    /// File ▸ Open checkpoint…: asks for a checkpoint to browse.
    OpenCheckpointDialog,
    /// Opens the checkpoint browser on a checkpoint (prefix, file or `checkpoint` state file).
    OpenCheckpoint(PathBuf),
    /// Selects a tensor in the checkpoint browser.
    SelectCheckpointTensor(String),
    /// Closes the checkpoint browser.
    CloseCheckpointBrowser,
    /// File ▸ Import TensorFlow graph…: asks for a `.pb`, `.pbtxt` or `.meta` file.
    ImportTfGraphDialog,
    // ----- debugger -----
    /// Runs the run panel's fetches, targets and feeds in a session under the debugger, paused
    /// before the first op of the plan.
    DebugRun {
        /// Session index.
        session: usize,
    },
    /// Steers the debugger (step, continue, breakpoints, ...).
    Debug(crate::app::model::debugger::DebugCommand),
    // ----- the Python program view -----
    /// Run / Step / Continue / Pause / Stop / Close of the program view.
    Program(crate::app::model::program::ProgramCommand),
}
