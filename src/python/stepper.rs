//! A program run the window watches: [`Stepper::start`] runs it on its own thread (the
//! evaluator's values are not shared across threads), pausing before a statement while
//! stepping and waiting for the next [`StepCommand`]; it sends what the program prints, and
//! snapshots of the graphs and sessions it has built (when it pauses, and a few times a second
//! while it runs), over a channel and wakes the window. Stop ends it at the next statement, in
//! a `while True` loop too, and in the middle of a long `sess.run` (between two of its ops). The
//! window never waits on it.

use crate::engine::runtime::session::{ConfigProto, SessionStats};
use crate::engine::runtime::workspace::Workspace;
use crate::interpreter::ScriptOutput;
use crate::project::{GraphDef, Project, graph_def_from};
use crate::python::errors::{PyError, PyResult};
use crate::python::runtime::{Control, Limits, Runtime};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the window tells a paused program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepCommand {
    /// Run one statement (calls run whole) and pause again.
    Step,
    /// Run on until the end (or the next Step or Stop).
    Continue,
    /// Pause before the next statement (a running program).
    Pause,
    /// End the program before its next statement.
    Stop,
}

/// One session of the program, as the sessions panel shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionView {
    /// The program's name for it (`sess`).
    pub id: String,
    /// Its graph's name.
    pub graph: String,
    /// `tf.InteractiveSession`.
    pub interactive: bool,
    /// Its config.
    pub config: ConfigProto,
    /// What it holds.
    pub stats: SessionStats,
    /// Its variables' values as numpy prints them (`None`: uninitialized), in a snapshot taken
    /// while paused (empty while the program runs).
    pub variables: Vec<(String, Option<String>)>,
}

/// What the program has built so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// The line of the statement about to run (1-based; 0 before the first).
    pub line: usize,
    /// The graphs (laid out), when they changed since the last snapshot.
    pub graphs: Option<Vec<GraphDef>>,
    /// Indices of the graphs that changed (the last one is where the program is building).
    pub changed: Vec<usize>,
    /// The default graph's name.
    pub default_graph: String,
    /// Every session opened so far, closed ones included.
    pub sessions: Vec<SessionView>,
}

/// How a run ended.
#[derive(Debug)]
pub struct Finished {
    /// The error that ended it (not set when it was stopped).
    pub error: Option<PyError>,
    /// The line it was stopped at, when Stop ended it.
    pub stopped_at: Option<usize>,
    /// The project it built (`Err` with why when it cannot be kept as one).
    pub project: Result<Project, String>,
    /// The graphs and sessions at the end.
    pub snapshot: Snapshot,
}

/// What the program's thread sends.
#[derive(Debug)]
pub enum Event {
    /// Something it printed.
    Output(ScriptOutput),
    /// It paused before the statement at `snapshot.line`.
    Paused(Snapshot),
    /// It is running at `snapshot.line`.
    Running(Snapshot),
    /// It ended.
    Finished(Box<Finished>),
}

/// How often a running program sends a snapshot.
const RUNNING_SNAPSHOT_EVERY: Duration = Duration::from_millis(200);
/// Events waiting for the window at most (the program waits when the window falls behind).
const CHANNEL_BOUND: usize = 4096;

/// A program running on its own thread.
pub struct Stepper {
    commands: Sender<StepCommand>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    pause: Arc<AtomicBool>,
    breakpoints: Breakpoints,
}

/// The lines a running program pauses at (shared with its thread).
#[derive(Clone, Default)]
struct Breakpoints {
    any: Arc<AtomicBool>,
    lines: Arc<Mutex<HashSet<usize>>>,
}

impl Breakpoints {
    fn set(&self, lines: HashSet<usize>) {
        self.any.store(!lines.is_empty(), Ordering::SeqCst);
        if let Ok(mut l) = self.lines.lock() {
            *l = lines;
        }
    }

    fn hit(&self, line: usize) -> bool {
        self.any.load(Ordering::Relaxed) && self.lines.lock().is_ok_and(|l| l.contains(&line))
    }
}

impl Stepper {
    /// Starts `source` (the program at `path`), paused before its first statement when
    /// `paused`; `wake` is called after each event is sent.
    pub fn start(
        source: String,
        path: std::path::PathBuf,
        paused: bool,
        breakpoints: HashSet<usize>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Stepper {
        let bps = Breakpoints::default();
        bps.set(breakpoints);
        let (ctx, crx) = std::sync::mpsc::channel();
        let (etx, erx) = std::sync::mpsc::sync_channel(CHANNEL_BOUND);
        let stop = Arc::new(AtomicBool::new(false));
        let pause = Arc::new(AtomicBool::new(false));
        let shared = (stop.clone(), pause.clone(), bps.clone());
        let done_tx = etx.clone();
        let fail_wake = wake.clone();
        let spawned = std::thread::Builder::new()
            .name("flowbench-python-step".into())
            .stack_size(crate::python::STACK_BYTES)
            .spawn(move || {
                let finished = run_watched(&source, &path, paused, crx, etx, shared, wake.clone());
                let _ = done_tx.send(Event::Finished(Box::new(finished)));
                wake();
            });
        if let Err(e) = spawned {
            let (tx2, rx2) = std::sync::mpsc::sync_channel(1);
            let _ = tx2.send(Event::Finished(Box::new(Finished {
                error: Some(PyError::exception("RuntimeError", format!("could not start the program's thread: {e}"))),
                stopped_at: None,
                project: Err("the program did not run".into()),
                snapshot: Snapshot::default(),
            })));
            fail_wake();
            return Stepper { commands: ctx, events: rx2, stop, pause, breakpoints: bps };
        }
        Stepper { commands: ctx, events: erx, stop, pause, breakpoints: bps }
    }

    /// Sends a command (Stop and Pause also take effect while the program runs).
    pub fn send(&self, c: StepCommand) {
        match c {
            StepCommand::Stop => self.stop.store(true, Ordering::SeqCst),
            StepCommand::Pause => self.pause.store(true, Ordering::SeqCst),
            _ => {}
        }
        let _ = self.commands.send(c);
    }

    /// The lines to pause at (taking effect at the next statement).
    pub fn set_breakpoints(&self, lines: HashSet<usize>) {
        self.breakpoints.set(lines);
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }
}

impl Drop for Stepper {
    fn drop(&mut self) {
        // The thread ends at its next statement (or when its next send fails).
        self.send(StepCommand::Stop);
    }
}

/// How the watcher runs the program now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Pause before the next statement at most this many calls deep.
    Step(usize),
    /// Run on.
    Run,
}

struct Watcher {
    mode: Mode,
    commands: Receiver<StepCommand>,
    events: SyncSender<Event>,
    stop: Arc<AtomicBool>,
    pause: Arc<AtomicBool>,
    breakpoints: Breakpoints,
    wake: Arc<dyn Fn() + Send + Sync>,
    line_starts: Vec<usize>,
    last_sent: Instant,
    line: usize,
    seen: Vec<(u64, u64, String)>,
    stopped: Arc<AtomicBool>,
    stopped_line: Arc<std::sync::atomic::AtomicUsize>,
}

fn stopped() -> PyError {
    PyError::timeout("stopped from the window")
}

impl Watcher {
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn halt(&mut self) -> PyError {
        self.stopped.store(true, Ordering::SeqCst);
        self.stopped_line.store(self.line, Ordering::SeqCst);
        stopped()
    }

    fn send(&self, e: Event) -> PyResult<()> {
        // The window is gone: end the program.
        self.events.send(e).map_err(|_| stopped())?;
        (self.wake)();
        Ok(())
    }
}

impl Control for Watcher {
    fn before_statement(&mut self, offset: usize, depth: usize, ws: &Workspace) -> PyResult<()> {
        self.line = self.line_of(offset);
        if self.stop.load(Ordering::Relaxed) {
            return Err(self.halt());
        }
        if self.pause.swap(false, Ordering::Relaxed) || self.breakpoints.hit(self.line) {
            self.mode = Mode::Step(usize::MAX);
        }
        match self.mode {
            Mode::Step(max) if depth <= max => {
                let snap = snapshot(ws, self.line, &mut self.seen, true);
                self.send(Event::Paused(snap))?;
                self.last_sent = Instant::now();
                loop {
                    match self.commands.recv() {
                        Ok(StepCommand::Step) => {
                            self.mode = Mode::Step(depth);
                            break;
                        }
                        Ok(StepCommand::Continue) => {
                            self.mode = Mode::Run;
                            self.pause.store(false, Ordering::SeqCst);
                            break;
                        }
                        Ok(StepCommand::Pause) => {}
                        Ok(StepCommand::Stop) | Err(_) => return Err(self.halt()),
                    }
                }
                if self.stop.load(Ordering::Relaxed) {
                    return Err(self.halt());
                }
                self.send_running(ws)?;
            }
            _ => {
                if self.last_sent.elapsed() >= RUNNING_SNAPSHOT_EVERY {
                    self.send_running(ws)?;
                }
            }
        }
        Ok(())
    }

    fn poll(&mut self) -> PyResult<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(self.halt());
        }
        Ok(())
    }

    fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        Some(self.stop.clone())
    }
}

impl Watcher {
    fn send_running(&mut self, ws: &Workspace) -> PyResult<()> {
        let snap = snapshot(ws, self.line, &mut self.seen, false);
        self.last_sent = Instant::now();
        self.send(Event::Running(snap))
    }
}

/// The graphs (when they changed since `seen`) and sessions of `ws` (with the values of their
/// variables when `values`).
fn snapshot(ws: &Workspace, line: usize, seen: &mut Vec<(u64, u64, String)>, values: bool) -> Snapshot {
    let now: Vec<(u64, u64, String)> =
        ws.graphs.iter().map(|g| (g.graph.id(), g.graph.generation(), g.name.clone())).collect();
    let changed: Vec<usize> = (0..now.len()).filter(|&i| seen.get(i) != Some(&now[i])).collect();
    let graphs = (!changed.is_empty() || now.len() != seen.len()).then(|| {
        ws.graphs
            .iter()
            .map(|g| {
                let plain = graph_def_from(&g.name, &g.graph, &HashMap::new());
                let positions = crate::python::record::layout(&plain);
                graph_def_from(&g.name, &g.graph, &positions)
            })
            .collect()
    });
    *seen = now;
    let sessions = ws
        .sessions
        .iter()
        .filter_map(|e| {
            let g = ws.graphs.get(e.graph)?;
            Some(SessionView {
                id: e.id.clone(),
                graph: g.name.clone(),
                interactive: e.interactive,
                config: e.session.config().clone(),
                stats: e.session.stats(&g.graph),
                variables: if values && !e.session.is_closed() {
                    g.graph
                        .variables()
                        .iter()
                        .filter_map(|(v, _)| g.graph.node(*v))
                        .map(|n| (n.name.clone(), e.session.variable_value(&n.name).map(|x| x.to_numpy_string())))
                        .collect()
                } else {
                    Vec::new()
                },
            })
        })
        .collect();
    let default_graph = ws.graphs.get(ws.default_graph).map_or_else(String::new, |g| g.name.clone());
    Snapshot { line, graphs, changed, default_graph, sessions }
}

/// Runs the program on this thread under a [`Watcher`].
fn run_watched(
    source: &str,
    path: &std::path::Path,
    paused: bool,
    commands: Receiver<StepCommand>,
    events: SyncSender<Event>,
    (stop, pause, breakpoints): (Arc<AtomicBool>, Arc<AtomicBool>, Breakpoints),
    wake: Arc<dyn Fn() + Send + Sync>,
) -> Finished {
    let base = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let name = path.file_stem().map_or_else(|| "program".to_string(), |s| s.to_string_lossy().into_owned());
    let program = match crate::python::parse::parse_program(source, &path.to_string_lossy()) {
        Ok(p) => p,
        Err(e) => {
            return Finished {
                error: Some(e),
                stopped_at: None,
                project: Err("the program does not parse".into()),
                snapshot: Snapshot::default(),
            };
        }
    };
    let out_tx = events.clone();
    let out_wake = wake.clone();
    let mut out = move |o: ScriptOutput| {
        if out_tx.send(Event::Output(o)).is_ok() {
            out_wake();
        }
    };
    let stopped_flag = Arc::new(AtomicBool::new(false));
    let stopped_line = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut line_starts = vec![0];
    line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
    let watcher = Watcher {
        mode: if paused { Mode::Step(usize::MAX) } else { Mode::Run },
        commands,
        events: events.clone(),
        stop,
        pause,
        breakpoints,
        wake,
        line_starts,
        last_sent: Instant::now(),
        line: 0,
        seen: Vec::new(),
        stopped: stopped_flag.clone(),
        stopped_line: stopped_line.clone(),
    };
    let mut rt = Runtime::new(&mut out, Limits::default(), base);
    // TF names the program by its absolute path, as Python's `__main__` has it (as `run` does).
    rt.program.1 = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).to_string_lossy().into_owned();
    rt.control = Some(Box::new(watcher));
    let result: PyResult<()> = {
        let mut it = crate::python::interp::Interp::new(&mut rt, &program.source);
        it.run(&program.body)
    };
    rt.control = None;
    let mut seen = Vec::new();
    let snap = snapshot(&rt.ws, 0, &mut seen, false);
    let scratch = rt.ws.scratch_dir.take();
    rt.cleanup();
    if let Some(d) = scratch {
        let _ = std::fs::remove_dir_all(d);
    }
    let was_stopped = stopped_flag.load(Ordering::SeqCst);
    let error = result.err().filter(|_| !was_stopped);
    let project = match &error {
        Some(e) => Err(format!("the program did not run to its end ({})", e.render(&path.to_string_lossy()))),
        None => {
            let rec = std::mem::take(&mut rt.rec);
            rec.finish(&rt.ws, &name)
        }
    };
    let stopped_at = was_stopped.then(|| stopped_line.load(Ordering::SeqCst));
    drop(rt);
    Finished { error, stopped_at, project, snapshot: snap }
}
