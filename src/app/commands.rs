//! Every change the window makes goes through a [`Command`]: panels only read the state and
//! emit commands, which [`AppState::apply`] carries out here, in one place. Edits to the project
//! are snapshotted for undo and redo; session commands act on the live workspace and are
//! appended to the project's script, so that `flowbench run` replays what was done by hand.

use super::dialogs::DialogKind;
use super::document::{
    self, Document, Engine, auto_layout, check_node_name, file_name, index_of, node_of, rename_in, unique_name,
};
use super::examples;
use super::{AppState, LogEntry, LogKind, Modal, Pending, Refusal, RunResult, SessionMeta};
use crate::engine::DType;
use crate::engine::graph::Initializer;
use crate::engine::graph::op::Op;
use crate::engine::kernels::random::derive_seeds;
use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::NamedFeed;
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use crate::interpreter::{Interpreter, ScriptOutput};
use crate::project::script::{FeedDef, Step};
use crate::project::{GraphDef, NamedConfig, NodeDef, Project};
use std::collections::HashSet;
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
    SetSettings(super::Settings),

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
    /// Carries out a pending action without asking (after the unsaved-changes prompt).
    Proceed(Pending),
    /// Shows a modal window.
    ShowModal(Modal),
    /// Closes the modal window.
    CloseModal,

    // ----- training -----
    /// Replaces the train panel's setup.
    SetTrainSetup(Box<super::training::TrainSetup>),
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
    ExportCsv(super::plots::PlotKind),
    /// Exports a plot as PNG: a screenshot of `rect` (asks where to save it).
    ExportPng {
        /// Which plot.
        plot: super::plots::PlotKind,
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
}

/// The part of the project that undo and redo restore (the script is a record of sessions,
/// which are not undone).
#[derive(Clone, Debug, PartialEq)]
struct EditState {
    graphs: Vec<GraphDef>,
    default_graph: String,
    configs: Vec<NamedConfig>,
    datasets: Vec<crate::project::dataset::Dataset>,
}

impl EditState {
    fn of(p: &Project) -> EditState {
        EditState {
            graphs: p.graphs.clone(),
            default_graph: p.default_graph.clone(),
            configs: p.configs.clone(),
            datasets: p.datasets.clone(),
        }
    }

    fn restore(self, p: &mut Project) {
        p.graphs = self.graphs;
        p.default_graph = self.default_graph;
        p.configs = self.configs;
        p.datasets = self.datasets;
    }
}

/// Undo and redo stacks of project snapshots.
#[derive(Clone, Debug, Default)]
pub struct History {
    undo: Vec<EditState>,
    redo: Vec<EditState>,
}

impl History {
    /// True when there is an edit to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// True when there is an edit to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

const MAX_UNDO: usize = 200;

impl AppState {
    /// Applies a batch of commands in order.
    pub fn apply_all(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            self.apply(c);
        }
    }

    /// Applies one command: the one place where state changes.
    pub fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::AddNodes { graph, nodes } => {
                self.edit(graph, |gd, _| {
                    let names = add_nodes(gd, nodes);
                    Ok(names)
                })
                .map(|names| self.view.selection = names)
                .unwrap_or(());
            }
            Command::AddVariable { graph, dtype, shape, init, pos } => {
                self.edit(graph, |gd, _| Ok(add_variable(gd, dtype, &shape, &init, pos)))
                    .map(|names| self.view.selection = names)
                    .unwrap_or(());
            }
            Command::DeleteNodes { graph, names } => {
                if names.is_empty() {
                    return;
                }
                let _ = self.edit(graph, |gd, _| {
                    gd.nodes.retain(|n| !names.contains(&n.name));
                    for n in &mut gd.nodes {
                        for t in &mut n.inputs {
                            if names.iter().any(|d| d == node_of(t)) {
                                t.clear();
                            }
                        }
                        while n.inputs.last().is_some_and(String::is_empty) {
                            n.inputs.pop();
                        }
                        n.control_inputs.retain(|c| !names.contains(c));
                    }
                    Ok(())
                });
                self.view.selection.retain(|s| !names.contains(s));
                self.view.fetches.retain(|f| !names.iter().any(|d| d == node_of(f)));
                self.view.targets.retain(|t| !names.contains(t));
            }
            Command::Connect { graph, tensor, node, input } => self.connect(graph, tensor, node, input),
            Command::Disconnect { graph, node, input } => {
                let _ = self.edit(graph, |gd, _| {
                    if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node)
                        && let Some(t) = n.inputs.get_mut(input)
                    {
                        t.clear();
                        while n.inputs.last().is_some_and(String::is_empty) {
                            n.inputs.pop();
                        }
                    }
                    Ok(())
                });
            }
            Command::AddControlInput { graph, from, node } => self.add_control(graph, from, node),
            Command::RemoveControlInputs { graph, node, from } => {
                let _ = self.edit(graph, |gd, _| {
                    if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                        n.control_inputs.retain(|c| from.as_ref().is_some_and(|f| f != c));
                    }
                    Ok(())
                });
            }
            Command::RenameNode { graph, old, new } => {
                let new = new.trim().to_string();
                if new == old {
                    return;
                }
                let res = self.edit(graph, |gd, _| {
                    check_node_name(&new)?;
                    if gd.nodes.iter().any(|n| n.name == new) {
                        return Err(format!("ValueError: Duplicate node name in graph: '{new}'"));
                    }
                    rename_in(gd, &old, &new);
                    Ok(())
                });
                match res {
                    Ok(()) => {
                        for s in &mut self.view.selection {
                            if *s == old {
                                s.clone_from(&new);
                            }
                        }
                        for f in &mut self.view.fetches {
                            if node_of(f) == old {
                                *f = format!("{new}:{}", index_of(f));
                            }
                        }
                    }
                    Err(e) => self.log_error(e, Some((graph, old))),
                }
            }
            Command::SetOp { graph, node, op } => {
                let _ = self.edit(graph, |gd, _| {
                    if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                        n.op = op;
                    }
                    Ok(())
                });
            }
            Command::SetDevice { graph, node, device } => {
                let device = device.trim().to_string();
                if let Err(e) = crate::engine::runtime::device::DeviceSpec::parse(&device) {
                    self.log_error(e.to_string(), Some((graph, node)));
                    return;
                }
                let _ = self.edit(graph, |gd, _| {
                    if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == node) {
                        n.device = device;
                    }
                    Ok(())
                });
            }
            Command::MoveNodes { graph, moves } => {
                let _ = self.edit(graph, |gd, _| {
                    for (name, pos) in moves {
                        if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == name) {
                            n.pos = Some(pos);
                        }
                    }
                    Ok(())
                });
            }
            Command::AutoLayout { graph } => {
                let _ = self.edit(graph, |gd, _| {
                    for (name, pos) in auto_layout(gd) {
                        if let Some(n) = gd.nodes.iter_mut().find(|n| n.name == name) {
                            n.pos = Some(pos);
                        }
                    }
                    Ok(())
                });
            }
            Command::NewGraph => {
                self.snapshot();
                let taken: HashSet<String> = self.doc.project.graphs.iter().map(|g| g.name.clone()).collect();
                let name = (1..).map(|i| format!("g{i}")).find(|n| !taken.contains(n)).unwrap_or_default();
                self.doc.project.graphs.push(GraphDef { name, ..Default::default() });
                self.changed();
                self.view.active_graph = self.doc.project.graphs.len() - 1;
                self.view.selection.clear();
            }
            Command::RenameGraph { graph, name } => {
                let name = name.trim().to_string();
                let taken = self.doc.project.graphs.iter().enumerate().any(|(i, g)| i != graph && g.name == name);
                if name.is_empty() || taken {
                    self.log_error(
                        format!("ValueError: a graph named '{name}' already exists or the name is empty"),
                        None,
                    );
                    return;
                }
                let Some(old) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
                if old == name {
                    return;
                }
                self.snapshot();
                if self.doc.project.default_graph == old {
                    self.doc.project.default_graph.clone_from(&name);
                }
                if let Some(g) = self.doc.project.graphs.get_mut(graph) {
                    g.name = name;
                }
                self.changed();
            }
            Command::SetDefaultGraph { graph } => {
                let Some(name) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
                if name != self.doc.project.default_graph {
                    self.snapshot();
                    self.doc.project.default_graph = name;
                    self.changed();
                }
            }
            Command::SetGraphSeed { graph, seed } => {
                let _ = self.edit(graph, |gd, _| {
                    gd.seed = seed;
                    Ok(())
                });
            }
            Command::SaveConfig(nc) => {
                if nc.name.trim().is_empty() {
                    return;
                }
                if self.doc.project.configs.contains(&nc) {
                    return;
                }
                self.snapshot();
                match self.doc.project.configs.iter_mut().find(|c| c.name == nc.name) {
                    Some(c) => *c = nc,
                    None => self.doc.project.configs.push(nc),
                }
                self.changed();
            }
            Command::DeleteConfig(name) => {
                if self.doc.project.configs.iter().any(|c| c.name == name) {
                    self.snapshot();
                    self.doc.project.configs.retain(|c| c.name != name);
                    self.changed();
                }
            }
            Command::Refuse(r) => {
                let at = Some((r.graph, r.node.clone()));
                self.log_error(r.message.clone(), at);
                self.view.refusal = Some(r);
            }
            Command::Paste { graph } => {
                if self.clipboard.is_empty() {
                    return;
                }
                let mut nodes = self.clipboard.clone();
                for n in &mut nodes {
                    n.pos = n.pos.map(|[x, y]| [x + 60.0, y + 60.0]);
                }
                let _ = self.edit(graph, |gd, _| Ok(add_nodes(gd, nodes))).map(|names| self.view.selection = names);
            }
            Command::Undo => {
                if let Some(prev) = self.history.undo.pop() {
                    self.history.redo.push(EditState::of(&self.doc.project));
                    prev.restore(&mut self.doc.project);
                    self.after_history();
                }
            }
            Command::Redo => {
                if let Some(next) = self.history.redo.pop() {
                    self.history.undo.push(EditState::of(&self.doc.project));
                    next.restore(&mut self.doc.project);
                    self.after_history();
                }
            }

            Command::SetActiveGraph(g) => {
                if g < self.doc.project.graphs.len() && g != self.view.active_graph {
                    self.view.active_graph = g;
                    self.view.selection.clear();
                    self.view.fetches.clear();
                    self.view.targets.clear();
                }
            }
            Command::Select(names) => self.view.selection = names,
            Command::SelectAll => {
                self.view.selection =
                    self.active_def().map(|g| g.nodes.iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
            }
            Command::Focus { graph, node } => {
                if graph < self.doc.project.graphs.len() {
                    if graph != self.view.active_graph {
                        self.apply(Command::SetActiveGraph(graph));
                    }
                    self.view.selection = vec![node.clone()];
                    self.view.focus = Some(node);
                }
            }
            Command::Copy => {
                if let Some(gd) = self.active_def() {
                    self.clipboard =
                        gd.nodes.iter().filter(|n| self.view.selection.contains(&n.name)).cloned().collect();
                }
            }
            Command::ToggleFetch(t) => {
                if let Some(i) = self.view.fetches.iter().position(|f| *f == t) {
                    self.view.fetches.remove(i);
                } else {
                    self.view.fetches.push(t);
                }
            }
            Command::ToggleTarget(t) => {
                if let Some(i) = self.view.targets.iter().position(|f| *f == t) {
                    self.view.targets.remove(i);
                } else {
                    self.view.targets.push(t);
                }
            }
            Command::ClearRun => {
                self.view.fetches.clear();
                self.view.targets.clear();
                self.view.feeds.clear();
            }
            Command::SetFeed(t, text) => {
                self.view.feeds.insert(t, text);
            }
            Command::SetRunSession(s) => self.view.run_session = s,

            Command::OpenSession { graph, config } => self.open_session(graph, config),
            Command::InitializeVariables { session } => {
                if !self.busy_refusal(session, "initialized") {
                    self.initialize(session)
                }
            }
            Command::Run { session } => {
                if !self.busy_refusal(session, "run or fetched") {
                    self.run(session)
                }
            }
            Command::CloseSession { session } => {
                if !self.busy_refusal(session, "closed") {
                    self.close_session(session)
                }
            }
            Command::CloseAllSessions => {
                let open: Vec<usize> = (0..self.engine.ws.sessions.len())
                    .filter(|&i| self.engine.ws.sessions.get(i).is_some_and(|s| !s.session.is_closed() && !s.busy))
                    .collect();
                for s in open {
                    self.close_session(s);
                }
            }
            Command::ReplayScript => self.replay(),
            Command::ClearLog => self.log.clear(),
            Command::SetSettings(st) => self.settings = st,

            Command::New | Command::Quit | Command::OpenDialog => {
                let p = match cmd {
                    Command::New => Pending::New,
                    Command::Quit => Pending::Quit,
                    _ => Pending::OpenDialog,
                };
                self.guard(p);
            }
            Command::OpenPath(p) => self.guard(Pending::OpenPath(p)),
            Command::OpenExample(f) => self.guard(Pending::OpenExample(f)),
            Command::Save => match self.doc.path.clone() {
                Some(p) => {
                    self.save_to(p);
                }
                None => self.ask_dialog(DialogKind::SaveAs),
            },
            Command::SaveAs => self.ask_dialog(DialogKind::SaveAs),
            Command::SaveTo(p) => {
                if self.save_to(p)
                    && let Some(next) = self.after_save.take()
                {
                    self.proceed(next);
                }
            }
            Command::Proceed(p) => {
                self.modal = None;
                self.proceed(p);
            }
            Command::ShowModal(m) => self.modal = Some(m),
            Command::CloseModal => {
                self.modal = None;
                self.after_save = None;
            }

            Command::SetTrainSetup(setup) => self.set_train_setup(*setup),
            Command::StartTraining { paused } => self.start_training(paused),
            Command::TrainControl(c) => self.control_training(c),
            Command::CreateTrainOp { graph, loss, optimizer } => self.create_train_op(graph, loss, optimizer),
            Command::ShowTraining(on) => self.training.show = on,
            Command::ExportCsv(plot) => self.export_csv(plot),
            Command::ExportPng { plot, rect } => self.export.request_png(plot, rect),
            Command::WriteExport(path) => self.write_export(path),
            Command::ExportTfScriptDialog => self.ask_dialog(DialogKind::ExportTfScript),
            Command::WriteTfScript(path) => self.write_tf_script(path),
            Command::ImportCsvDialog => self.ask_dialog(DialogKind::ImportCsv),
            Command::ImportCsv(path) => self.import_csv_file(path),
            Command::ShowCsvImport(path) => {
                self.csv_import = Some(super::csv_import_dialog::CsvImportDialog::open(path));
            }
            Command::ImportCsvWith { path, options } => {
                if let Err(e) = self.import_csv_with(path.clone(), &options) {
                    self.log_error(format!("{}: {e}", path.display()), None);
                }
            }
            Command::CloseCsvImport => self.csv_import = None,
        }
    }

    /// Replaces graph `graph` with `new` as one undoable edit; true when it changed.
    pub(crate) fn edit_graph(&mut self, graph: usize, new: GraphDef) -> bool {
        let mut changed = false;
        let _ = self.edit(graph, |gd, _| {
            changed = *gd != new;
            *gd = new;
            Ok(())
        });
        changed
    }

    /// Refuses a session command while a training job owns the session.
    fn busy_refusal(&mut self, session: usize, what: &str) -> bool {
        let Some(e) = self.engine.ws.sessions.get(session) else { return false };
        if !e.busy {
            return false;
        }
        let msg = format!(
            "FailedPreconditionError: Session '{}' is training: its variables can't be {what} until training stops.",
            e.id
        );
        self.log_error(msg, None);
        true
    }

    // ----- editing -----

    fn active_def(&self) -> Option<&GraphDef> {
        self.doc.project.graphs.get(self.view.active_graph)
    }

    pub(crate) fn snapshot(&mut self) {
        self.history.undo.push(EditState::of(&self.doc.project));
        if self.history.undo.len() > MAX_UNDO {
            self.history.undo.remove(0);
        }
        self.history.redo.clear();
    }

    pub(crate) fn changed(&mut self) {
        self.doc.touch();
        self.engine.sync(&self.doc.project);
    }

    fn after_history(&mut self) {
        if self.view.active_graph >= self.doc.project.graphs.len() {
            self.view.active_graph = 0;
        }
        let names: HashSet<String> =
            self.active_def().map(|g| g.nodes.iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
        self.view.selection.retain(|s| names.contains(s));
        self.changed();
    }

    /// Edits graph `graph` with `f`; on success the change is snapshotted for undo and the
    /// engine rebuilt. An error leaves the project unchanged.
    fn edit<T>(
        &mut self,
        graph: usize,
        f: impl FnOnce(&mut GraphDef, &Engine) -> Result<T, String>,
    ) -> Result<T, String> {
        let Some(gd) = self.doc.project.graphs.get(graph) else {
            return Err("no such graph".to_string());
        };
        let mut new = gd.clone();
        let out = f(&mut new, &self.engine)?;
        if self.doc.project.graphs.get(graph) == Some(&new) {
            return Ok(out);
        }
        self.snapshot();
        if let Some(slot) = self.doc.project.graphs.get_mut(graph) {
            *slot = new;
        }
        self.view.refusal = None;
        self.changed();
        Ok(out)
    }

    fn connect(&mut self, graph: usize, tensor: String, node: String, input: usize) {
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let mut trial = gd.clone();
        let Some(n) = trial.nodes.iter_mut().find(|n| n.name == node) else { return };
        while n.inputs.len() <= input {
            n.inputs.push(String::new());
        }
        n.inputs[input] = format!("{}:{}", node_of(&tensor), index_of(&tensor));
        let (_, errs) = document::build_tolerant(&trial, None);
        let refused = match errs.get(&node) {
            Some(e) if !e.incomplete => Some(e.message.clone()),
            Some(e) if e.message.starts_with("the graph has a cycle") => Some(e.message.clone()),
            _ => None,
        };
        match refused {
            Some(message) => {
                self.view.refusal = Some(Refusal { graph, node: node.clone(), input, message: message.clone() });
                self.log_error(
                    format!("{message}\n  (wire {tensor} → {node} input {input} refused)"),
                    Some((graph, node)),
                );
            }
            None => {
                let _ = self.edit(graph, |gd, _| {
                    *gd = trial;
                    Ok(())
                });
            }
        }
    }

    fn add_control(&mut self, graph: usize, from: String, node: String) {
        if from == node {
            return;
        }
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let mut trial = gd.clone();
        if let Some(n) = trial.nodes.iter_mut().find(|n| n.name == node)
            && !n.control_inputs.contains(&from)
        {
            n.control_inputs.push(from.clone());
        }
        let (_, errs) = document::build_tolerant(&trial, None);
        if let Some(e) = errs.get(&node).filter(|e| e.message.starts_with("the graph has a cycle")) {
            let message = e.message.clone();
            self.view.refusal =
                Some(Refusal { graph, node: node.clone(), input: usize::MAX, message: message.clone() });
            self.log_error(message, Some((graph, node)));
            return;
        }
        let _ = self.edit(graph, |gd, _| {
            *gd = trial;
            Ok(())
        });
    }

    // ----- sessions -----

    fn graph_name_for_script(&self, graph: usize) -> Option<String> {
        let name = self.doc.project.graphs.get(graph)?.name.clone();
        (name != self.doc.project.default_graph).then_some(name)
    }

    fn record(&mut self, step: Step) {
        self.doc.project.script.push(step);
        self.doc.touch();
    }

    fn open_session(&mut self, graph: usize, config: Option<String>) {
        let Some(gname) = self.doc.project.graphs.get(graph).map(|g| g.name.clone()) else { return };
        let cfg = match &config {
            Some(c) => match self.doc.project.config(c) {
                Some(cfg) => cfg.clone(),
                None => {
                    self.log_error(format!("ValueError: no config named '{c}'"), None);
                    return;
                }
            },
            None => ConfigProto::default(),
        };
        let taken: HashSet<String> = self
            .engine
            .ws
            .sessions
            .iter()
            .map(|s| s.id.clone())
            .chain(self.doc.project.script.iter().filter_map(|s| match s {
                Step::OpenSession { id, .. } => Some(id.clone()),
                _ => None,
            }))
            .collect();
        let id = (1..).map(|i| format!("sess{i}")).find(|n| !taken.contains(n)).unwrap_or_else(|| "sess".to_string());
        match self.engine.ws.open_session(&id, graph, cfg, false) {
            Ok(idx) => {
                while self.sessions_meta.len() < idx {
                    self.sessions_meta.push(SessionMeta::default());
                }
                self.sessions_meta.push(SessionMeta {
                    opened_at: self.clock.now(),
                    closed_after: None,
                    config: config.clone(),
                });
                let cfg_arg = config.as_ref().map_or(String::new(), |c| format!(", config={c}"));
                self.log_line(LogKind::Python, format!("{id} = tf.Session(graph={gname}{cfg_arg})"), None);
                self.view.run_session = Some(idx);
                let step =
                    Step::OpenSession { id, graph: self.graph_name_for_script(graph), config, interactive: false };
                self.record(step);
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    fn initialize(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let graph = entry.graph;
        let id = entry.id.clone();
        let targets: Vec<String> = self
            .engine
            .graph(graph)
            .map(|g| g.variables().iter().filter_map(|(_, i)| g.node(*i)).map(|n| n.name.clone()).collect())
            .unwrap_or_default();
        self.log_line(LogKind::Python, format!("{id}.run(tf.global_variables_initializer())"), None);
        match self.engine.ws.run(session, None, &[], &[], &targets) {
            Ok(out) => {
                for p in &out.placement_log {
                    self.log_line(LogKind::Placement, p.log_line(), Some((graph, p.node.clone())));
                }
                self.log_line(LogKind::Info, format!("{} variable(s) initialized in {id}", targets.len()), None);
                if !targets.is_empty() {
                    let step = Step::Run {
                        session: Some(id),
                        fetches: Vec::new(),
                        targets,
                        feeds: Vec::new(),
                        graph: None,
                        print: false,
                    };
                    self.record(step);
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }

    fn run(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let sgraph = entry.graph;
        let id = entry.id.clone();
        let graph = self.view.active_graph;
        let fetches = self.view.fetches.clone();
        let targets = self.view.targets.clone();
        let mut feeds = Vec::new();
        let mut feed_defs = Vec::new();
        let fed: Vec<String> =
            self.view.feeds.iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, _)| k.clone()).collect();
        let (_, needed) =
            self.active_def().map(|gd| document::run_closure(gd, &fetches, &targets, &[])).unwrap_or_default();
        for t in &fed {
            if !needed.contains(t) {
                continue;
            }
            let text = self.view.feeds.get(t).cloned().unwrap_or_default();
            match super::run_panel::parse_feed(&text) {
                Ok((json, value)) => {
                    feeds.push(NamedFeed { tensor: t.clone(), value });
                    feed_defs.push(FeedDef { tensor: t.clone(), value: json });
                }
                Err(e) => {
                    self.log_error(format!("ValueError: feed for {t}: {e}"), Some((graph, node_of(t).to_string())));
                    return;
                }
            }
        }
        let feed_text: Vec<String> = feed_defs.iter().map(|f| format!("{}: {}", f.tensor, f.value)).collect();
        let call = match (fetches.as_slice(), feed_text.is_empty()) {
            ([one], true) => format!("{id}.run({one})"),
            (_, true) => {
                format!("{id}.run([{}])", fetches.iter().chain(&targets).cloned().collect::<Vec<_>>().join(", "))
            }
            _ => format!(
                "{id}.run([{}], feed_dict={{{}}})",
                fetches.iter().chain(&targets).cloned().collect::<Vec<_>>().join(", "),
                feed_text.join(", ")
            ),
        };
        self.log_line(LogKind::Python, call, None);
        let names_graph = (graph < self.engine.ws.graphs.len()).then_some(graph);
        match self.engine.ws.run(session, names_graph, &fetches, &feeds, &targets) {
            Ok(out) => {
                for p in &out.placement_log {
                    self.log_line(LogKind::Placement, p.log_line(), Some((sgraph, p.node.clone())));
                }
                let values: Vec<(String, String)> =
                    fetches.iter().cloned().zip(out.values.iter().map(Value::to_numpy_string)).collect();
                let printed = match out.values.as_slice() {
                    [one] => one.to_numpy_string(),
                    many => many.iter().map(Value::to_numpy_string).collect::<Vec<_>>().join("\n"),
                };
                if !fetches.is_empty() {
                    self.log_line(LogKind::Result, printed, None);
                }
                self.last_result = Some(RunResult { session: id.clone(), values, error: None });
                let step = Step::Run {
                    session: Some(id),
                    fetches: fetches.clone(),
                    targets,
                    feeds: feed_defs,
                    graph: if graph == sgraph {
                        None
                    } else {
                        self.doc.project.graphs.get(graph).map(|g| g.name.clone())
                    },
                    print: !fetches.is_empty(),
                };
                self.record(step);
            }
            Err(e) => {
                let text = e.to_string();
                self.last_result = Some(RunResult { session: id, values: Vec::new(), error: Some(text.clone()) });
                let g = if e.node.is_some() { sgraph } else { graph };
                self.log_error(text, e.node.map(|n| (g, n)));
            }
        }
    }

    fn close_session(&mut self, session: usize) {
        let Some(entry) = self.engine.ws.sessions.get(session) else { return };
        let id = entry.id.clone();
        let was_open = !entry.session.is_closed();
        self.log_line(LogKind::Python, format!("{id}.close()"), None);
        if let Err(e) = self.engine.ws.close_session(session) {
            self.log_error(e.to_string(), None);
            return;
        }
        if was_open {
            let now = self.clock.now();
            if let Some(m) = self.sessions_meta.get_mut(session) {
                m.closed_after = Some(now - m.opened_at);
            }
            self.record(Step::CloseSession { session: id });
        }
    }

    fn replay(&mut self) {
        let project = self.doc.project.clone();
        self.log_line(
            LogKind::Info,
            format!("replaying the script of '{}' ({} steps)", project.name, project.script.len()),
            None,
        );
        let first_new = self.engine.ws.sessions.len();
        let mut lines: Vec<(LogKind, String)> = Vec::new();
        let mut result = Ok(());
        {
            let mut interp = Interpreter { project: &project, ws: &mut self.engine.ws };
            let mut out = |o: ScriptOutput| match o {
                ScriptOutput::Text(t) => lines.push((LogKind::Result, t.trim_end_matches('\n').to_string())),
                ScriptOutput::Placement(p) => lines.push((LogKind::Placement, p)),
            };
            for step in &project.script {
                if let Err(e) = interp.step(step, &mut out) {
                    result = Err(e);
                    break;
                }
            }
        }
        // Replayed sessions get ids suffixed so the window's own ones stay distinct.
        let now = self.clock.now();
        for i in first_new..self.engine.ws.sessions.len() {
            if let Some(s) = self.engine.ws.sessions.get_mut(i) {
                s.id = format!("{} (replay)", s.id);
            }
            while self.sessions_meta.len() <= i {
                self.sessions_meta.push(SessionMeta { opened_at: now, closed_after: None, config: None });
            }
            if self.engine.ws.sessions.get(i).is_some_and(|s| s.session.is_closed())
                && let Some(m) = self.sessions_meta.get_mut(i)
            {
                m.closed_after = Some(0.0);
            }
        }
        // Leave the default-session stack as a finished program leaves it.
        while self.engine.ws.default_session().is_some() {
            self.engine.ws.pop_default();
        }
        for (k, l) in lines {
            self.log_line(k, l, None);
        }
        if let Err(e) = result {
            let g = self.view.active_graph;
            self.log_error(e.to_string(), e.node.map(|n| (g, n)));
        }
        // Script steps may have added nodes to the engine's graphs: rebuild them from the project.
        self.engine.invalidate();
        self.engine.sync(&self.doc.project);
    }

    // ----- files -----

    fn guard(&mut self, p: Pending) {
        if self.doc.is_dirty() {
            self.modal = Some(Modal::Unsaved(p));
        } else {
            self.proceed(p);
        }
    }

    fn proceed(&mut self, p: Pending) {
        match p {
            Pending::New => {
                self.load(Project::default(), None, "untitled.json".to_string());
            }
            Pending::OpenDialog => self.ask_dialog(DialogKind::Open),
            Pending::OpenPath(path) => match Project::load(&path) {
                Ok(project) => {
                    self.load(project, Some(path.clone()), file_name(&path));
                    self.settings.add_recent(path);
                }
                Err(e) => {
                    self.modal = Some(Modal::Error {
                        title: format!("Could not open {}", file_name(&path)),
                        message: e.to_string(),
                    });
                }
            },
            Pending::OpenExample(file) => match examples::example(&file).map(|e| Project::from_json_str(e.text)) {
                Some(Ok(project)) => self.load(project, None, format!("{file} (example)")),
                Some(Err(e)) => {
                    self.modal = Some(Modal::Error { title: format!("Could not open {file}"), message: e.to_string() })
                }
                None => {}
            },
            Pending::Quit => {
                self.allow_close = true;
                self.quit_requested = true;
            }
            Pending::SaveThen(next) => {
                let path = self.doc.path.clone();
                match path {
                    Some(path) => {
                        if self.save_to(path) {
                            self.proceed(*next);
                        }
                    }
                    None => {
                        self.after_save = Some(*next);
                        self.ask_dialog(DialogKind::SaveAs);
                    }
                }
            }
        }
    }

    /// Replaces the document with `project` (sessions of the old one are closed and forgotten).
    pub fn load(&mut self, project: Project, path: Option<PathBuf>, display: String) {
        let name = project.name.clone();
        self.engine = Engine::new(&project);
        self.doc = Document::new(project, path, display);
        self.history = History::default();
        self.sessions_meta.clear();
        self.view = super::ViewState::default();
        self.view.active_graph = self.engine.ws.default_graph;
        self.last_result = None;
        // A job on the old project is stopped (dropping it sends Stop) and forgotten.
        self.training = super::training::Training {
            setup: super::training::TrainSetup::from_project(&self.doc.project),
            ..Default::default()
        };
        self.log_line(LogKind::Info, format!("opened '{name}' ({})", self.doc.title_name()), None);
    }

    fn ask_dialog(&mut self, kind: DialogKind) {
        let suggested = match &self.doc.path {
            Some(p) => file_name(p),
            None => self.doc.display_name.trim_end_matches(" (example)").to_string(),
        };
        self.pending_dialog = Some((kind, suggested));
    }

    /// Saves atomically to `path`; returns true on success.
    fn save_to(&mut self, path: PathBuf) -> bool {
        // Referenced CSV files keep resolving from the new folder (Save As elsewhere).
        let new_dir = super::document::dir_of(&path);
        let mut project = self.doc.project.clone();
        let rebased = crate::project::csv::rebase_referenced(&mut project, self.project_dir().as_deref(), &new_dir);
        match project.save(&path) {
            Ok(()) => {
                if rebased > 0 {
                    self.doc.project.datasets = project.datasets;
                    self.log_line(
                        LogKind::Info,
                        format!("{rebased} referenced CSV path(s) rewritten relative to {}", new_dir.display()),
                        None,
                    );
                }
                self.doc.project.base_dir = crate::project::BaseDir(Some(new_dir));
                self.doc.mark_saved(path.clone());
                self.log_line(LogKind::Info, format!("saved {}", path.display()), None);
                if let Err(e) = self.doc.project.validate() {
                    self.log_line(
                        LogKind::Warning,
                        format!("the saved file will not load until this is fixed: {e}"),
                        None,
                    );
                }
                self.settings.add_recent(path);
                true
            }
            Err(e) => {
                self.modal = Some(Modal::Error { title: "Could not save".to_string(), message: e.to_string() });
                false
            }
        }
    }

    // ----- log -----

    /// Appends a log line.
    pub fn log_line(&mut self, kind: LogKind, text: String, node: Option<(usize, String)>) {
        self.log.push(LogEntry { kind, text, node });
        if self.log.len() > 2000 {
            self.log.drain(..500);
        }
    }

    /// Appends an error, linked to its node when it has one.
    pub fn log_error(&mut self, text: String, node: Option<(usize, String)>) {
        self.log_line(LogKind::Error, text, node);
    }
}

/// Adds `nodes` to `gd` with unique names, remapping inputs among them; returns the new names.
fn add_nodes(gd: &mut GraphDef, nodes: Vec<NodeDef>) -> Vec<String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    let mut taken: HashSet<String> = HashSet::new();
    for n in &nodes {
        let base = if n.name.is_empty() { n.op.default_name().to_string() } else { n.name.clone() };
        let new = unique_name(gd, &base, &taken);
        taken.insert(new.clone());
        renames.push((n.name.clone(), new));
    }
    let lookup = |old: &str| renames.iter().find(|(o, _)| o == old).map(|(_, n)| n.clone());
    let existing: HashSet<String> = gd.nodes.iter().map(|n| n.name.clone()).collect();
    let mut out = Vec::new();
    for (mut n, (_, new)) in nodes.into_iter().zip(renames.iter()) {
        n.name.clone_from(new);
        for t in &mut n.inputs {
            if t.is_empty() {
                continue;
            }
            let base = node_of(t).to_string();
            match lookup(&base) {
                Some(nb) => *t = format!("{nb}:{}", index_of(t)),
                None if existing.contains(&base) => {}
                None => t.clear(),
            }
        }
        n.control_inputs = n
            .control_inputs
            .iter()
            .filter_map(|c| lookup(c).or_else(|| existing.contains(c).then(|| c.clone())))
            .collect();
        if n.pos.is_none() {
            let max_x = gd.nodes.iter().filter_map(|m| m.pos).map(|p| p[0]).fold(0.0f32, f32::max);
            n.pos = Some([max_x + 300.0, 0.0]);
        }
        out.push(n.name.clone());
        gd.nodes.push(n);
    }
    out
}

/// The nodes `tf.Variable(init(shape))` creates: the initial value, the variable and its
/// initializer `Assign`. Random initializers take their seeds as TF derives them from the graph
/// seed and the op seed.
fn add_variable(gd: &mut GraphDef, dtype: DType, shape: &[usize], init: &Initializer, pos: [f32; 2]) -> Vec<String> {
    let none = HashSet::new();
    let seeds = |s: &Option<i64>| derive_seeds(gd.seed, *s, 0);
    let (base, op) = match init {
        Initializer::Zeros => ("zeros", Op::Fill { dtype, shape: shape.to_vec(), value: 0.0 }),
        Initializer::Ones => ("ones", Op::Fill { dtype, shape: shape.to_vec(), value: 1.0 }),
        Initializer::Constant { value } => ("Const", Op::Fill { dtype, shape: shape.to_vec(), value: *value }),
        Initializer::RandomNormal { mean, stddev, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "random_normal",
                Op::RandomStandardNormal { dtype, shape: shape.to_vec(), mean: *mean, stddev: *stddev, seed, seed2 },
            )
        }
        Initializer::TruncatedNormal { mean, stddev, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "truncated_normal",
                Op::TruncatedNormal { dtype, shape: shape.to_vec(), mean: *mean, stddev: *stddev, seed, seed2 },
            )
        }
        Initializer::RandomUniform { minval, maxval, seed } => {
            let (seed, seed2) = seeds(seed);
            (
                "random_uniform",
                Op::RandomUniform { dtype, shape: shape.to_vec(), minval: *minval, maxval: *maxval, seed, seed2 },
            )
        }
    };
    let init_name = unique_name(gd, base, &none);
    let var_name = unique_name(gd, "Variable", &HashSet::from([init_name.clone()]));
    let assign = format!("{var_name}/Assign");
    let nodes = vec![
        NodeDef {
            name: init_name.clone(),
            op,
            inputs: vec![],
            control_inputs: vec![],
            device: String::new(),
            pos: Some(pos),
        },
        NodeDef {
            name: var_name.clone(),
            op: Op::Variable { dtype, shape: Shape::known(shape) },
            inputs: vec![],
            control_inputs: vec![],
            device: String::new(),
            pos: Some([pos[0], pos[1] + 150.0]),
        },
        NodeDef {
            name: assign.clone(),
            op: Op::Assign { initializer: true },
            inputs: vec![format!("{var_name}:0"), format!("{init_name}:0")],
            control_inputs: vec![],
            device: String::new(),
            pos: Some([pos[0] + 300.0, pos[1] + 60.0]),
        },
    ];
    gd.nodes.extend(nodes);
    vec![init_name, var_name, assign]
}
