//! The executor: [`AppState::apply`] is the one place where the window's state changes. It
//! dispatches each [`Command`] to the file of its concern:
//! - `edit`: graph edits, configs, paste, undo and redo (snapshots in
//!   [`crate::app::model::undo::History`]);
//! - `view`: selection, focus, copy and the run setup (fetches, targets, feeds);
//! - `session`: open, initialize, run, close and replay sessions (recorded in the script);
//! - `file`: new, open, save, recent files, the unsaved-changes prompt;
//! - `training`: start, control, poll and finish training jobs, "Create train op";
//! - `export`: plot CSV and PNG, TF script export;
//! - `csv`: CSV import;
//! - `checkpoint`: Session ▸ Save/Restore checkpoint, the checkpoint browser, TF graph import.
//! - `debug`: the debugger (debug runs, stepping, breakpoints, the training debugger).
//! - `program`: the Python program view (open a `.py`, step, continue, stop, its snapshots).
//!
//! Nothing below `apply` imports it; the panels only emit commands.

mod checkpoint;
mod csv;
mod debug;
mod edit;
mod export;
mod file;
mod program;
mod session;
mod training;
mod view;

use crate::app::command::Command;
use crate::app::dialogs::DialogKind;
use crate::app::model::csv_import::CsvImportDialog;
use crate::app::model::modal::Pending;
use crate::app::state::AppState;

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
            // ----- graph edits (undoable): edit.rs -----
            Command::AddNodes { graph, nodes } => self.add_nodes_cmd(graph, nodes),
            Command::AddVariable { graph, dtype, shape, init, pos } => {
                self.add_variable_cmd(graph, dtype, &shape, &init, pos)
            }
            Command::DeleteNodes { graph, names } => self.delete_nodes(graph, names),
            Command::Connect { graph, tensor, node, input } => self.connect(graph, tensor, node, input),
            Command::Disconnect { graph, node, input } => self.disconnect(graph, node, input),
            Command::AddControlInput { graph, from, node } => self.add_control(graph, from, node),
            Command::RemoveControlInputs { graph, node, from } => self.remove_control_inputs(graph, node, from),
            Command::RenameNode { graph, old, new } => self.rename_node(graph, old, new),
            Command::SetOp { graph, node, op } => self.set_op(graph, node, op),
            Command::SetDevice { graph, node, device } => self.set_device(graph, node, device),
            Command::MoveNodes { graph, moves } => self.move_nodes(graph, moves),
            Command::AutoLayout { graph } => self.auto_layout_graph(graph),
            Command::NewGraph => self.new_graph(),
            Command::RenameGraph { graph, name } => self.rename_graph(graph, name),
            Command::SetDefaultGraph { graph } => self.set_default_graph(graph),
            Command::SetGraphSeed { graph, seed } => self.set_graph_seed(graph, seed),
            Command::SaveConfig(nc) => self.save_config(nc),
            Command::DeleteConfig(name) => self.delete_config(name),
            Command::Refuse(r) => self.refuse(r),
            Command::Paste { graph } => self.paste(graph),
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),

            // ----- selection and run setup: view.rs -----
            Command::SetActiveGraph(g) => self.set_active_graph(g),
            Command::Select(names) => self.view.selection = names,
            Command::SelectAll => self.select_all(),
            Command::Focus { graph, node } => self.focus(graph, node),
            Command::Copy => self.copy(),
            Command::ToggleFetch(t) => self.toggle_fetch(t),
            Command::ToggleTarget(t) => self.toggle_target(t),
            Command::ClearRun => self.clear_run(),
            Command::SetFeed(t, text) => {
                self.view.feeds.insert(t, text);
            }
            Command::SetRunSession(s) => self.view.run_session = s,

            // ----- sessions (recorded in the script): session.rs -----
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
            Command::CloseAllSessions => self.close_all_sessions(),
            Command::ReplayScript => self.replay(),
            Command::ClearLog => self.log.clear(),
            Command::SetSettings(st) => self.settings = st,

            // ----- files: file.rs -----
            Command::New => self.guard(Pending::New),
            Command::Quit => self.guard(Pending::Quit),
            Command::OpenDialog => self.guard(Pending::OpenDialog),
            // A checkpoint opens the checkpoint browser: the document stays, nothing to ask.
            Command::OpenPath(p) if crate::app::model::checkpoint::is_checkpoint_file(&p) => self.open_checkpoint(p),
            Command::OpenPath(p) => self.guard(Pending::OpenPath(p)),
            Command::OpenExample(f) => self.guard(Pending::OpenExample(f)),
            Command::Save => self.save(),
            Command::SaveAs => self.ask_dialog(DialogKind::SaveAs),
            Command::SaveTo(p) => self.save_to_then(p),
            Command::ShowFileBrowser { kind, suggested } => self.show_file_browser(kind, &suggested),
            Command::DialogAnswered { kind, path } => self.dialog_answered(kind, path),
            Command::Proceed(p) => {
                self.modal = None;
                self.proceed(p);
            }
            Command::ShowModal(m) => self.modal = Some(m),
            Command::CloseModal => self.close_modal(),

            // ----- training: training.rs -----
            Command::SetTrainSetup(setup) => self.set_train_setup(*setup),
            Command::StartTraining { paused } => self.start_training(paused),
            Command::TrainControl(c) => self.control_training(c),
            Command::CreateTrainOp { graph, loss, optimizer } => self.create_train_op(graph, loss, optimizer),
            Command::ShowTraining(on) => self.training.show = on,

            // ----- exports: export.rs -----
            Command::ExportCsv(plot) => self.export_csv(plot),
            Command::ExportPng { plot, rect } => self.export.request_png(plot, rect),
            Command::WriteExport(path) => self.write_export(path),
            Command::ExportTfScriptDialog => self.ask_dialog(DialogKind::ExportTfScript),
            Command::WriteTfScript(path) => self.write_tf_script(path),

            // ----- CSV import: csv.rs -----
            Command::ImportCsvDialog => self.ask_dialog(DialogKind::ImportCsv),
            Command::ImportCsv(path) => self.import_csv_file(path),
            Command::ShowCsvImport(path) => self.csv_import = Some(CsvImportDialog::open(path)),
            Command::ImportCsvWith { path, options } => {
                if let Err(e) = self.import_csv_with(path.clone(), &options) {
                    self.log_error(format!("{}: {e}", path.display()), None);
                }
            }
            Command::CloseCsvImport => self.csv_import = None,

            // ----- TF's files: checkpoint.rs -----
            Command::SaveCheckpointDialog { session } => self.ask_checkpoint(DialogKind::SaveCheckpoint, Some(session)),
            Command::SaveCheckpoint { session, path } => {
                if !self.busy_refusal(session, "saved") {
                    self.save_checkpoint(session, path)
                }
            }
            Command::RestoreCheckpointDialog { session } => {
                self.ask_checkpoint(DialogKind::RestoreCheckpoint, Some(session))
            }
            Command::RestoreCheckpoint { session, path } => {
                if !self.busy_refusal(session, "restored") {
                    self.restore_checkpoint(session, path)
                }
            }
            Command::OpenCheckpointDialog => self.ask_checkpoint(DialogKind::OpenCheckpoint, None),
            Command::OpenCheckpoint(path) => self.open_checkpoint(path),
            Command::SelectCheckpointTensor(name) => {
                if let Some(b) = self.checkpoint.as_mut() {
                    b.select(&name)
                }
            }
            Command::CloseCheckpointBrowser => self.checkpoint = None,
            Command::ImportTfGraphDialog => self.ask_dialog(DialogKind::ImportTfGraph),
            // ----- debugger: debug.rs -----
            Command::DebugRun { session } => self.start_debug_run(session),
            Command::Debug(c) => self.debug_command(c),
            // ----- the Python program view: program.rs -----
            Command::Program(c) => self.program_command(c),
        }
    }
}
