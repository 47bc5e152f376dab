//! The training commands: start a job with the train panel's setup, steer it (pause, resume,
//! step, stop), drain what it reports, take its session back and record the train loop in the
//! script when it ends; and "Create train op" (`optimizer.minimize(loss)` on the project's graph).
//!
//! A job runs on the worker thread (`crate::train::worker`) in a session of the workspace, taken
//! with `Workspace::take_session` (the sessions panel shows it as training) and put back when the
//! job ends, with the trained values. The UI thread only drains the job's channel with
//! `try_recv` ([`AppState::poll_training`]); the worker wakes it with `ctx.request_repaint`.
//!
//! Calls into train/engine/project: `try_start` loads the dataset with
//! `crate::train::job::load_table` and resolves the setup with `crate::train::job::resolve_job`
//! (the one resolution the script's train loop also uses); the window keeps its own wording per
//! `JobPart`, the boundary grid, the scatter points and the choice of session. `finish_training`
//! records `Step::TrainLoop`; `create_train_op` runs `minimize` and converts the graph back with
//! `graph_def_from`.

use crate::app::i18n::{tr, tr_args};
use crate::app::model::document::auto_layout;
use crate::app::model::log::LogKind;
use crate::app::model::series::{Sample, Series};
use crate::app::model::training::{
    BOUNDARY_RESOLUTION, LOGGED_EVALS, Pacer, Samples, TrainRun, TrainSetup, TrainStatus, WatchedVar, col_range,
    columns_of, default_feeds, record_weights, source_kind, trained_variables,
};
use crate::app::state::AppState;
use crate::engine::autodiff::optimizers::{Optimizer, minimize};
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, Output};
use crate::project::graph_def_from;
use crate::project::script::{ColumnFeedDef, Step, TrainLogDef};
use crate::train::data::dataset::{Dataset, DatasetSource, Table};
use crate::train::job::{EvalRequest, JobError, JobPart, JobRequest, load_data, resolve_job};
use crate::train::worker::{self, BoundarySpec, Event, JobExtras, TrainJob};
use crate::train::{Batching, TrainData};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// The shortest time between two frames the training worker's wakes ask for: at most ~20 frames
/// a second while a job trains (the plots still move smoothly, and the window keeps under a tenth
/// of a 2-core machine). Input events still draw at once. egui takes one predicted frame (a 60th
/// of a second) off every delayed request, so it is added back here.
pub const TRAINING_FRAME_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50 + 17);

impl AppState {
    /// Replaces the train panel's setup.
    pub fn set_train_setup(&mut self, setup: TrainSetup) {
        let pace = setup.pace;
        self.training.setup = setup;
        // The pace applies to a running job at once.
        let live = self.training_live();
        if let Some(run) = self.training.run.as_mut().filter(|_| live)
            && run.setup.pace != pace
        {
            run.setup.pace = pace;
            let running = run.pacer.is_some() || run.status == TrainStatus::Running;
            if pace == 0 {
                if run.pacer.take().is_some()
                    && let Some(job) = &run.job
                {
                    job.send(worker::Command::Resume);
                }
            } else if running {
                if run.pacer.is_none()
                    && let Some(job) = &run.job
                {
                    job.send(worker::Command::Pause);
                }
                run.pacer = Some(Pacer { since: Instant::now(), base: run.step });
            }
        }
    }

    /// Hands a paced job the steps due by now (called every frame while training).
    pub fn pace_training(&mut self) {
        let Some(run) = &mut self.training.run else { return };
        let (Some(p), Some(job)) = (run.pacer, &run.job) else { return };
        if !run.status.is_live() {
            run.pacer = None;
            return;
        }
        let due = p.base + (p.since.elapsed().as_secs_f64() * run.setup.pace as f64) as u64;
        let target = due.min(run.total_steps.max(run.setup.steps));
        if target > run.step {
            job.send(worker::Command::Step(target - run.step));
        }
    }

    /// Starts training with the panel's setup (paused first when `paused`).
    pub fn start_training(&mut self, paused: bool) {
        if self.training_live() {
            self.log_error(tr("error-training-running"), None);
            return;
        }
        // A paced run starts paused; the pacer hands the worker its steps.
        let paced = self.training.setup.pace > 0 && !paused;
        let previous = self.training.run.as_ref().map(|r| r.session).filter(|_| self.training.setup.session.is_none());
        match self.try_start(paused || paced) {
            Ok(()) => {
                self.training.show = true;
                // A new run in a new session closes the previous run's session, and says so.
                let now = self.training.run.as_ref().map(|r| r.session);
                if let Some(prev) = previous
                    && Some(prev) != now
                    && self.engine.ws.sessions.get(prev).is_some_and(|e| !e.session.is_closed() && !e.busy)
                {
                    let old = self.engine.ws.sessions.get(prev).map(|e| e.id.clone()).unwrap_or_default();
                    let new =
                        now.and_then(|n| self.engine.ws.sessions.get(n)).map(|e| e.id.clone()).unwrap_or_default();
                    self.close_session(prev);
                    self.log_line(
                        LogKind::Info,
                        tr_args("log-previous-session-closed", &[("old", old.into()), ("new", new.into())]),
                        None,
                    );
                }
                if paced && let Some(run) = &mut self.training.run {
                    run.pacer = Some(Pacer { since: Instant::now(), base: 0 });
                    run.status = TrainStatus::Running;
                }
            }
            Err(e) => {
                self.log_error(tr_args("error-training-not-started", &[("reason", e.to_string().into())]), None);
                if let Some(r) = &mut self.training.run
                    && r.job.is_none()
                    && r.status.is_live()
                {
                    r.status = TrainStatus::Failed(e);
                }
            }
        }
    }

    /// The TensorBoard event file for a run of `setup` on `graph` (none when the setup does not
    /// ask for one). A relative folder is relative to the saved project's folder.
    fn tensorboard_events(
        &mut self,
        setup: &TrainSetup,
        graph: &Graph,
    ) -> Result<Option<crate::interpreter::tensorboard::TrainEvents>, String> {
        if !setup.tensorboard {
            return Ok(None);
        }
        let dir = std::path::PathBuf::from(setup.logdir.trim());
        if dir.as_os_str().is_empty() {
            return Err(tr("error-logdir-empty"));
        }
        let dir = if dir.is_absolute() {
            dir
        } else {
            match self.project_dir() {
                Some(base) => base.join(dir),
                None => return Err(tr("error-logdir-relative")),
            }
        };
        let ev = crate::interpreter::tensorboard::TrainEvents::create(&dir, graph).map_err(|e| e.to_string())?;
        self.log_line(
            LogKind::Python,
            format!(
                "writer = tf.summary.FileWriter({}, sess.graph)",
                crate::interpreter::checkpoint::py_repr(&dir.display().to_string())
            ),
            None,
        );
        self.log_line(
            LogKind::Info,
            tr_args("log-tensorboard", &[("path", ev.path().display().to_string().into())]),
            None,
        );
        Ok(Some(ev))
    }

    fn try_start(&mut self, paused: bool) -> Result<(), String> {
        let setup = self.training.setup.clone();
        let g = setup.graph;
        if self.engine.errors(g).is_some_and(|e| !e.is_empty()) {
            return Err(tr("error-nodes-in-error"));
        }
        let graph: Graph = self.engine.graph(g).cloned().ok_or("no such graph")?;
        // The dataset: the project's, or the generated one (added to the project under a free
        // name, so the recorded train loop can refer to it).
        let name = self.ensure_dataset(&setup);
        // A referenced CSV file is relative to the saved project's folder.
        let base = self.project_dir();
        let dataset = Dataset { name: name.clone(), source: setup.dataset.clone() };
        // Image data: the evaluations feed the project's log split (the validation set).
        let data = load_data(&dataset, base.as_deref(), setup.log_split).map_err(|e| e.message)?;
        // Image data has no table: the boundary and the scatter (two-column feeds) are off.
        let table = match &data {
            TrainData::Table(t) => Arc::clone(t),
            TrainData::Images { .. } => Arc::new(Table { columns: data.columns(), data: Vec::new(), rows: 0 }),
        };
        let feeds: Vec<(String, Vec<String>)> = setup.feeds.iter().map(|(t, c)| (t.clone(), columns_of(c))).collect();
        let request = JobRequest {
            graph: &graph,
            train_op: &setup.train_op,
            step_fetches: &[],
            batch_loss: Some(&setup.loss),
            dataset: &name,
            data,
            feeds: &feeds,
            batch_size: setup.batch_size,
            batching: batching_for(&setup.dataset),
            steps: setup.steps,
            eval: Some(EvalRequest {
                every: setup.eval_every.max(1),
                loss: &setup.loss,
                format: Some(setup.log_format.clone()),
                args: &setup.log_args,
                before_step: setup.log_before_step,
                end: setup.log_end.as_ref(),
            }),
            watch: &setup.watch,
        };
        let spec = match resolve_job(&request) {
            Ok(spec) => spec,
            // The window checks the boundary output before the assembled spec.
            Err(e) if e.part == JobPart::Spec => {
                return Err(boundary_output(&graph, &setup)
                    .err()
                    .unwrap_or_else(|| job_problem(&e, &setup, &name, &table)));
            }
            Err(e) => return Err(job_problem(&e, &setup, &name, &table)),
        };
        let boundary_out = boundary_output(&graph, &setup)?;
        // The boundary: a two-feature placeholder and the chosen output.
        let two_features = spec.feeds.iter().find(|f| f.columns.len() == 2);
        let boundary = boundary_out.zip(two_features).map(|(out, f)| {
            let (a, b) = (f.columns.first().copied().unwrap_or(0), f.columns.get(1).copied().unwrap_or(1));
            BoundarySpec {
                input: f.tensor,
                output: out,
                x_range: col_range(&table, a),
                y_range: col_range(&table, b),
                resolution: BOUNDARY_RESOLUTION,
            }
        });
        let points: Vec<[f64; 3]> = match (&boundary, two_features) {
            (Some(_), Some(f)) => {
                let label = spec.feeds.iter().find(|o| o.columns.len() == 1).and_then(|o| o.columns.first().copied());
                let (a, b) = (f.columns.first().copied().unwrap_or(0), f.columns.get(1).copied().unwrap_or(1));
                (0..table.rows.min(5000))
                    .map(|r| {
                        [
                            table.get(r, a).unwrap_or(0.0),
                            table.get(r, b).unwrap_or(0.0),
                            label.and_then(|l| table.get(r, l)).unwrap_or(0.0),
                        ]
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let data_range = boundary.as_ref().map(|b| (b.x_range, b.y_range));

        // The session: the chosen one, or a new one initialized as the seed does.
        let session = match setup.session.filter(|&i| {
            self.engine.ws.sessions.get(i).is_some_and(|e| e.graph == g && !e.session.is_closed() && !e.busy)
        }) {
            Some(i) => i,
            None => {
                let before = self.engine.ws.sessions.len();
                self.open_session(g, None);
                if self.engine.ws.sessions.len() == before {
                    return Err(tr("error-could-not-open-session"));
                }
                let i = before;
                self.initialize(i);
                i
            }
        };
        let id = self.engine.ws.sessions.get(session).map(|e| e.id.clone()).unwrap_or_default();
        let taken = self.engine.ws.take_session(session).map_err(|e| e.to_string())?;
        let taken = self.attach_train_debug(taken, session, g);
        let ctx = self.repaint.clone();
        // A decaying learning rate (a tensor feeding the apply ops of the minimize this train op
        // runs) is evaluated beside the loss, for its plot.
        let learning_rate = spec.train_targets.first().and_then(|&t| {
            let upstream = crate::engine::autodiff::optimizers::ancestors(&spec.graph, &[t]);
            crate::engine::autodiff::optimizers::find_minimized(&spec.graph)
                .iter()
                .filter(|m| upstream.contains(&m.train_op))
                .find_map(|m| crate::engine::autodiff::optimizers::learning_rate_tensor(&spec.graph, m))
        });
        // TensorBoard: an event file with the graph; the watched weights are histogrammed at
        // each evaluation (step-driven snapshots), the learning rate and metrics logged as scalars.
        let events = match self.tensorboard_events(&setup, &graph) {
            Ok(e) => e,
            Err(e) => {
                let _ = self.engine.ws.put_session(session, taken);
                return Err(e);
            }
        };
        let weights_every = match (&events, setup.weights_every) {
            (Some(_), 0) => setup.eval_every.max(1),
            (_, w) => w,
        };
        let classify = crate::train::job::classifier_output(&spec);
        let classifier = classify.map(|o| graph.tensor_name(o));
        let extras = JobExtras {
            boundary,
            classify,
            waker: ctx.map(|c| Arc::new(move || c.request_repaint_after(TRAINING_FRAME_INTERVAL)) as worker::Waker),
            weights_every,
            learning_rate,
        };
        let job = match TrainJob::spawn_with(spec, extras, taken, paused) {
            Ok(j) => j,
            Err(failed) => {
                let worker::StartError { error: e, session: mut back } = *failed;
                back.set_observer(None);
                let _ = self.engine.ws.put_session(session, back);
                return Err(e.to_string());
            }
        };
        // Real Python, after the lines before it: the dataset, the feeds' slices, the loop.
        let images = matches!(setup.dataset, DatasetSource::Idx { .. });
        let lines = crate::app::model::train_python::train_loop_lines(
            &self.doc.project,
            &crate::app::model::train_python::TrainLoop {
                session: &id,
                dataset: &name,
                columns: &table.columns,
                images,
                feeds: &feeds,
                train_op: &setup.train_op,
                steps: setup.steps,
                batch_size: setup.batch_size,
            },
        );
        for line in lines {
            self.log_line(LogKind::Python, line, None);
        }
        let weights = setup
            .watch
            .iter()
            .map(|w| WatchedVar {
                name: TensorName::new(TensorName::op_of(w), 0).to_string(),
                shape: Vec::new(),
                values: Vec::new(),
                series: Vec::new(),
            })
            .collect();
        self.view.run_session = Some(session);
        self.training.run = Some(TrainRun {
            job: Some(job),
            session,
            graph: g,
            setup: TrainSetup { dataset_name: name, ..setup.clone() },
            status: if paused { TrainStatus::Paused } else { TrainStatus::Running },
            step: 0,
            total_steps: setup.steps,
            steps_per_sec: 0.0,
            batch_loss: Series::default(),
            eval_loss: Series::default(),
            learning_rate: Series::default(),
            split_loss: Default::default(),
            split_accuracy: Default::default(),
            test_eval: None,
            classifier,
            eval_logs: Vec::new(),
            weights,
            boundary: None,
            boundary_rev: 0,
            points,
            data_range,
            started: Instant::now(),
            last_time: 0.0,
            updates: 0,
            recorded: false,
            pacer: None,
            logged_evals: 0,
            held_evals: (0, None),
            events: events.map(crate::interpreter::tensorboard::BackgroundEvents::spawn),
        });
        Ok(())
    }

    /// The project dataset the setup trains on, added when the setup's source is not in the
    /// project yet; returns its name.
    fn ensure_dataset(&mut self, setup: &TrainSetup) -> String {
        let p = &self.doc.project;
        if let Some(d) = p.datasets.iter().find(|d| d.source == setup.dataset) {
            return d.name.clone();
        }
        let base =
            if setup.dataset_name.trim().is_empty() { source_kind(&setup.dataset) } else { setup.dataset_name.trim() };
        let base = base.replace(' ', "_");
        let taken = |n: &str| p.datasets.iter().any(|d| d.name == n);
        let name = if !taken(&base) {
            base.clone()
        } else {
            (1..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).unwrap_or(base.clone())
        };
        self.doc.project.datasets.push(Dataset { name: name.clone(), source: setup.dataset.clone() });
        self.doc.touch();
        name
    }

    /// Sends a command to the running job.
    pub fn control_training(&mut self, cmd: worker::Command) {
        if cmd == worker::Command::Stop {
            // A step paused in the debugger ends there.
            self.abort_train_debug();
        }
        let Some(run) = &mut self.training.run else { return };
        let Some(job) = &run.job else { return };
        // Resuming a paced run restarts its pacer (the worker stays paused between chunks).
        if cmd == worker::Command::Resume && run.setup.pace > 0 {
            run.pacer = Some(Pacer { since: Instant::now(), base: run.step });
            if run.status.is_live() {
                run.status = TrainStatus::Running;
            }
            return;
        }
        if !job.send(cmd) {
            return;
        }
        // Pausing or stepping by hand stops the pacer.
        if matches!(cmd, worker::Command::Pause | worker::Command::Step(_)) {
            run.pacer = None;
        }
        match cmd {
            worker::Command::Pause => run.status = TrainStatus::Paused,
            worker::Command::Resume | worker::Command::Step(_) if run.status.is_live() => {
                run.status = TrainStatus::Running
            }
            worker::Command::SetEvalEvery(n) => {
                run.setup.eval_every = n;
                self.training.setup.eval_every = n;
            }
            _ => {}
        }
    }

    /// Reads the chosen dataset's image sets for the sample grid when it is IDX files and they
    /// were not read yet for this source and folder; drops them for other datasets.
    pub fn refresh_samples(&mut self) {
        let source = &self.training.setup.dataset;
        if !matches!(source, DatasetSource::Idx { .. }) {
            self.training.samples = None;
            return;
        }
        let dir = self.project_dir();
        if self.training.samples.as_ref().is_some_and(|s| s.source == *source && s.dir == dir) {
            return;
        }
        let dataset = Dataset { name: self.training.setup.dataset_name.clone(), source: source.clone() };
        let sets = dataset.images_in(dir.as_deref()).map(Arc::new);
        self.training.samples = Some(Samples { source: source.clone(), dir, sets });
    }

    /// Drains the job's events (never blocks); gives the session back once the thread ended.
    /// Returns true when something changed.
    pub fn poll_training(&mut self) -> bool {
        self.refresh_samples();
        let Some(run) = &mut self.training.run else { return false };
        let mut changed = false;
        let mut logs: Vec<String> = Vec::new();
        let mut failure: Option<String> = None;
        if let Some(job) = &run.job {
            // Bounded: at most the channel's capacity per frame.
            for _ in 0..128 {
                let Ok(ev) = job.events().try_recv() else { break };
                changed = true;
                match ev {
                    Event::Progress(p) => {
                        let now = run.started.elapsed().as_secs_f64();
                        let t0 = run.last_time;
                        let (s0, s1) = (run.step as f64, p.step.max(1) as f64);
                        let time_at = |step: u64| {
                            if s1 > s0 {
                                t0 + (now - t0) * ((step as f64 - s0) / (s1 - s0)).clamp(0.0, 1.0)
                            } else {
                                now
                            }
                        };
                        for &(step, v) in &p.batch_losses {
                            run.batch_loss.push(Sample { step: step as f64, time: time_at(step), value: v });
                        }
                        for (&(step, v), line) in
                            p.evals.iter().zip(p.logs.iter().map(Some).chain(std::iter::repeat(None)))
                        {
                            run.eval_loss.push(Sample { step: step as f64, time: time_at(step), value: v });
                            run.eval_logs.push((step, v, line.cloned().unwrap_or_default()));
                            if run.eval_logs.len() > 1000 {
                                run.eval_logs.remove(0);
                            }
                        }
                        for e in &p.split_evals {
                            let k = usize::from(e.split == crate::train::data::idx::Split::Test);
                            let at = |value| Sample { step: e.step as f64, time: time_at(e.step), value };
                            if let Some(s) = run.split_loss.get_mut(k) {
                                s.push(at(e.loss));
                            }
                            if let Some(s) = run.split_accuracy.get_mut(k) {
                                s.push(at(e.accuracy));
                            }
                            if k == 1 {
                                run.test_eval = Some(e.clone());
                            }
                        }
                        for &(step, v) in &p.learning_rates {
                            run.learning_rate.push(Sample { step: step as f64, time: time_at(step), value: v });
                        }
                        if let Some(ev) = &run.events {
                            ev.send(&p);
                            if let Some(e) = ev.failure() {
                                logs.push(format!("TensorBoard: {e}"));
                                run.events = None;
                            }
                        }
                        logs.extend(p.logs);
                        let by_steps = run.setup.weights_every > 0;
                        // (A TensorBoard log asks for step-driven snapshots for its histograms;
                        // the plots then keep their time-driven ones.)
                        for (step, w) in p.weight_history.into_iter().filter(|_| by_steps) {
                            record_weights(&mut run.weights, step, time_at(step), w, true);
                        }
                        if let Some(w) = p.weights {
                            // Step-driven histories only take the latest values from here.
                            record_weights(&mut run.weights, p.step, now, w, !by_steps);
                        }
                        if let Some(b) = p.boundary {
                            run.boundary = Some(b);
                            run.boundary_rev += 1;
                        }
                        run.step = p.step;
                        run.total_steps = p.total_steps;
                        if p.steps_per_sec > 0.0 {
                            run.steps_per_sec = p.steps_per_sec;
                        }
                        run.last_time = now;
                        run.updates += 1;
                        if run.status.is_live() {
                            // A paced run waits between its chunks of steps: still running.
                            run.status = if p.paused && run.pacer.is_none() {
                                TrainStatus::Paused
                            } else {
                                TrainStatus::Running
                            };
                        }
                    }
                    Event::Finished { steps, stopped, .. } => {
                        run.step = steps;
                        run.status = if stopped { TrainStatus::Stopped } else { TrainStatus::Finished };
                    }
                    Event::Failed { step, error } => {
                        run.step = step;
                        let msg = error.to_string();
                        run.status = TrainStatus::Failed(msg.clone());
                        failure = Some(msg);
                    }
                }
            }
        }
        // The thread ends right after its last event: take the session back then.
        let ended = !run.status.is_live() && run.job.as_ref().is_none_or(TrainJob::is_finished);
        let mut back = None;
        if ended && let Some(job) = run.job.take() {
            back = Some(job.join());
            changed = true;
            // The event file is complete once the run's last reports are written.
            if let Some(Err(e)) = run.events.take().map(|ev| ev.finish()) {
                logs.push(format!("TensorBoard: {e}"));
            }
        }
        let session = run.session;
        // The log keeps the first evaluation lines and, at the end, says how many it held back
        // and shows the last one.
        let mut shown = Vec::new();
        for l in logs {
            if run.logged_evals < LOGGED_EVALS {
                run.logged_evals += 1;
                shown.push(l);
            } else {
                run.held_evals.0 += 1;
                run.held_evals.1 = Some(l);
            }
        }
        let held = if ended && run.held_evals.0 > 0 { Some(std::mem::take(&mut run.held_evals)) } else { None };
        for l in shown {
            self.log_line(LogKind::Result, l, None);
        }
        if let Some((n, last)) = held {
            if n > 1 {
                self.log_line(LogKind::Info, tr_args("log-more-evals", &[("count", (n - 1).to_string().into())]), None);
            }
            if let Some(l) = last {
                self.log_line(LogKind::Result, l, None);
            }
        }
        if let Some(msg) = failure {
            self.log_error(msg, None);
        }
        if let Some(back) = back {
            match back {
                Some(sess) => {
                    if let Err(e) = self.engine.ws.put_session(session, sess) {
                        self.log_error(e.to_string(), None);
                    }
                }
                None => {
                    self.log_error(tr("error-session-not-returned"), None);
                    if let Some(e) = self.engine.ws.sessions.get_mut(session) {
                        e.busy = false;
                        e.session.close();
                    }
                }
            }
            self.finish_training();
        }
        changed
    }

    /// After a job ended: log it and record the train loop in the script (not for a failure).
    fn finish_training(&mut self) {
        let Some(run) = &mut self.training.run else { return };
        if run.recorded {
            return;
        }
        run.recorded = true;
        let (status, steps, session) = (run.status.clone(), run.step, run.session);
        let setup = run.setup.clone();
        let id = self.engine.ws.sessions.get(session).map(|e| e.id.clone()).unwrap_or_default();
        match &status {
            TrainStatus::Failed(_) => {
                self.log_line(
                    LogKind::Info,
                    tr_args(
                        "log-training-failed",
                        &[("session", id.to_string().into()), ("step", steps.to_string().into())],
                    ),
                    None,
                );
                return;
            }
            TrainStatus::Stopped => self.log_line(
                LogKind::Info,
                tr_args(
                    "log-training-stopped",
                    &[("session", id.to_string().into()), ("steps", steps.to_string().into())],
                ),
                None,
            ),
            _ => self.log_line(
                LogKind::Info,
                tr_args(
                    "log-training-finished",
                    &[("session", id.to_string().into()), ("steps", steps.to_string().into())],
                ),
                None,
            ),
        }
        if steps == 0 {
            return;
        }
        let step = Step::TrainLoop {
            session: Some(id),
            dataset: setup.dataset_name.clone(),
            feeds: setup
                .feeds
                .iter()
                .map(|(t, c)| ColumnFeedDef { tensor: t.clone(), columns: columns_of(c) })
                .collect(),
            train_op: setup.train_op.clone(),
            fetches: Vec::new(),
            batch_loss: Some(setup.loss.clone()),
            steps,
            batch_size: setup.batch_size,
            batching: batching_for(&setup.dataset),
            log: Some(TrainLogDef {
                every: setup.eval_every.max(1),
                loss: setup.loss.clone(),
                format: setup.log_format,
                split: setup.log_split,
                args: setup.log_args,
                before_step: setup.log_before_step,
                end: setup.log_end,
            }),
        };
        self.record(step);
    }

    /// `optimizer.minimize(loss)` on graph `graph`: adds the gradients, slots and train op to
    /// the project's graph (undoable), and selects the new train op in the train panel.
    pub fn create_train_op(&mut self, graph: usize, loss: String, optimizer: Optimizer) {
        let Some(mut g) = self.engine.graph(graph).cloned() else { return };
        let Some(gd) = self.doc.project.graphs.get(graph) else { return };
        let positions: HashMap<String, [f32; 2]> =
            gd.nodes.iter().filter_map(|n| n.pos.map(|p| (n.name.clone(), p))).collect();
        let name = gd.name.clone();
        let before = g.nodes().len();
        let result = g.tensor(&loss).and_then(|l| minimize(&mut g, &optimizer, l, None)).map(|m| m.train_op);
        match result {
            Ok(op) => {
                let op_name = g.node(op).map(|n| n.name.clone()).unwrap_or_default();
                let mut new_def = graph_def_from(&name, &g, &positions);
                // New nodes go below the graph, laid out by the editor's auto layout.
                let max_y = positions.values().map(|p| p[1]).fold(0.0f32, f32::max);
                let layout: HashMap<String, [f32; 2]> = auto_layout(&new_def).into_iter().collect();
                for n in new_def.nodes.iter_mut().skip(before) {
                    n.pos = layout.get(&n.name).map(|p| [p[0], p[1] + max_y + 300.0]);
                }
                let added = new_def.nodes.len() - before;
                let res = self.edit_graph(graph, new_def);
                if res {
                    self.log_line(
                        LogKind::Python,
                        format!("{op_name} = tf.train.{}Optimizer(...).minimize({loss})", optimizer.name()),
                        None,
                    );
                    self.log_line(
                        LogKind::Info,
                        tr_args("log-nodes-added", &[("count", added.to_string().into())]),
                        None,
                    );
                    let s = &mut self.training.setup;
                    s.graph = graph;
                    s.train_op = op_name;
                    s.loss = loss;
                    s.optimizer = optimizer;
                    if let Some(gd) = self.doc.project.graphs.get(graph) {
                        s.watch = trained_variables(gd);
                        if s.feeds.is_empty() {
                            s.feeds = default_feeds(gd, s);
                        }
                    }
                }
            }
            Err(e) => self.log_error(e.to_string(), e.node.map(|n| (graph, n))),
        }
    }
}

/// The tensor the decision boundary plots, if the setup names one; its lookup error in the
/// window's words.
fn boundary_output(graph: &Graph, setup: &TrainSetup) -> Result<Option<Output>, String> {
    if setup.boundary_output.trim().is_empty() {
        return Ok(None);
    }
    graph
        .tensor(&setup.boundary_output)
        .map(Some)
        .map_err(|e| tr_args("ux-boundary-output", &[("error", e.to_string().into())]))
}

/// The window's wording for a setup part that did not resolve (chosen by the part, never by
/// the message).
/// How the window cuts batches: an IDX dataset as `mnist.train.next_batch` after
/// `np.random.seed(0)`, a table cyclically (the seed's rule).
fn batching_for(source: &DatasetSource) -> Batching {
    match source {
        DatasetSource::Idx { .. } => Batching::NextBatch { numpy_seed: Some(0), shuffle: true },
        _ => Batching::Cyclic,
    }
}

fn job_problem(e: &JobError, setup: &TrainSetup, dataset: &str, table: &Table) -> String {
    match &e.part {
        JobPart::TrainOp => tr_args("error-no-train-op", &[("name", setup.train_op.as_str().into())]),
        JobPart::BatchLoss | JobPart::EvalLoss => tr_args("ux-loss-problem", &[("error", e.error.to_string().into())]),
        JobPart::Column(c) => tr_args(
            "error-no-column",
            &[("dataset", dataset.into()), ("column", c.as_str().into()), ("columns", table.columns.join(", ").into())],
        ),
        JobPart::Feed(_) | JobPart::Fetch(_) | JobPart::Spec => e.error.to_string(),
    }
}
