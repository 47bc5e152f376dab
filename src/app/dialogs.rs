//! Native open/save dialogs behind a trait. The real implementation runs rfd's
//! `AsyncFileDialog` on a worker thread (a sync dialog would block the UI thread) and hands the
//! answer back through a channel; tests use [`FakeDialogs`], which never opens a window.
//!
//! A native dialog cannot always be shown: on Linux rfd needs the desktop portal (over the
//! D-Bus session bus) or `zenity`, and when neither is there it answers "cancelled" at once.
//! [`RfdDialogs`] checks for them before asking, and takes an answer that comes back faster
//! than a person could cancel as "could not be shown" too; either way the answer is marked
//! [`DialogAnswer::unavailable`] and the window opens its built-in file browser instead
//! (`crate::app::model::file_browser`), so a file dialog is never silently lost.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What a dialog was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogKind {
    /// File ▸ Open…
    Open,
    /// File ▸ Save As…
    SaveAs,
    /// Save a plot's data as CSV.
    ExportCsv,
    /// Save a plot as PNG.
    ExportPng,
    /// File ▸ Export ▸ TensorFlow script…
    ExportTfScript,
    /// File ▸ Import CSV…
    ImportCsv,
    /// Session ▸ Save checkpoint… (a checkpoint prefix, `model.ckpt`).
    SaveCheckpoint,
    /// Session ▸ Restore checkpoint… (a checkpoint's file or its `checkpoint` state file).
    RestoreCheckpoint,
    /// File ▸ Open checkpoint… (the checkpoint browser).
    OpenCheckpoint,
    /// File ▸ Import TensorFlow graph… (`.pb`, `.pbtxt`, `.meta`).
    ImportTfGraph,
}

/// A dialog's answer: the path picked, or `None` when cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogAnswer {
    /// Which dialog answered.
    pub kind: DialogKind,
    /// The path, if one was picked.
    pub path: Option<PathBuf>,
    /// No native dialog could be shown (the window then shows its own file browser).
    pub unavailable: bool,
}

/// File dialogs as the app sees them: ask, then poll for the answer on later frames.
pub trait FileDialogs {
    /// Starts a dialog; `suggested` is the file name proposed for saving.
    fn ask(&mut self, kind: DialogKind, suggested: &str, ctx: &egui::Context);
    /// The answer, once there is one.
    fn poll(&mut self) -> Option<DialogAnswer>;
    /// True while a dialog is open.
    fn busy(&self) -> bool;
}

/// rfd's portal dialogs, each on its own thread.
pub struct RfdDialogs {
    tx: Sender<DialogAnswer>,
    rx: Receiver<DialogAnswer>,
    open: usize,
    /// A native dialog failed to show once: later ones go straight to the built-in browser.
    failed: bool,
}

impl Default for RfdDialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        RfdDialogs { tx, rx, open: 0, failed: false }
    }
}

/// An answer faster than this is taken as "the dialog could not be shown".
const TOO_FAST: std::time::Duration = std::time::Duration::from_millis(250);

/// Whether a native file dialog can be shown at all. On Linux and the BSDs rfd needs the
/// desktop portal, reached over the D-Bus session bus, or the `zenity` program; elsewhere the
/// system's own dialogs are always there.
pub fn native_dialog_possible() -> bool {
    if !cfg!(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd", target_os = "netbsd")) {
        return true;
    }
    let on_path = |prog: &str| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(prog).is_file()))
    };
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).join("bus").exists());
    on_path("zenity") || bus
}

impl FileDialogs for RfdDialogs {
    fn ask(&mut self, kind: DialogKind, suggested: &str, ctx: &egui::Context) {
        if self.open > 0 {
            return;
        }
        if self.failed || !native_dialog_possible() {
            self.failed = true;
            let _ = self.tx.send(DialogAnswer { kind, path: None, unavailable: true });
            self.open += 1;
            return;
        }
        self.open += 1;
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        let suggested = suggested.to_string();
        let spawned = std::thread::Builder::new().name("flowbench-file-dialog".to_string()).spawn(move || {
            let asked = std::time::Instant::now();
            let dialog = rfd::AsyncFileDialog::new();
            let path = match kind {
                DialogKind::Open => block_on(
                    dialog
                        .add_filter("flowbench project", &["json"])
                        .add_filter("TF1 Python program", &["py"])
                        .set_title("Open project")
                        .pick_file(),
                ),
                DialogKind::SaveAs => block_on(
                    dialog
                        .add_filter("flowbench project", &["json"])
                        .set_title("Save project as")
                        .set_file_name(suggested)
                        .save_file(),
                ),
                DialogKind::ExportCsv => block_on(
                    dialog
                        .add_filter("CSV", &["csv"])
                        .set_title("Export plot data")
                        .set_file_name(suggested)
                        .save_file(),
                ),
                DialogKind::ExportPng => block_on(
                    dialog
                        .add_filter("PNG image", &["png"])
                        .set_title("Export plot")
                        .set_file_name(suggested)
                        .save_file(),
                ),
                DialogKind::ExportTfScript => block_on(
                    dialog
                        .add_filter("Python", &["py"])
                        .set_title("Export a TensorFlow script")
                        .set_file_name(format!("{}.py", suggested.trim_end_matches(".json")))
                        .save_file(),
                ),
                DialogKind::ImportCsv => {
                    block_on(dialog.add_filter("CSV", &["csv", "txt"]).set_title("Import CSV data").pick_file())
                }
                DialogKind::SaveCheckpoint => block_on(
                    dialog.set_title("Save checkpoint (a prefix: model.ckpt)").set_file_name("model.ckpt").save_file(),
                ),
                DialogKind::RestoreCheckpoint | DialogKind::OpenCheckpoint => block_on(
                    dialog
                        .add_filter("TensorFlow checkpoint", &["index", "meta"])
                        .add_filter("All files", &["*"])
                        .set_title(if kind == DialogKind::OpenCheckpoint {
                            "Open checkpoint"
                        } else {
                            "Restore checkpoint"
                        })
                        .pick_file(),
                ),
                DialogKind::ImportTfGraph => block_on(
                    dialog
                        .add_filter("TensorFlow graph", &["pb", "pbtxt", "meta"])
                        .set_title("Import a TensorFlow graph")
                        .pick_file(),
                ),
            };
            let path = path.map(|h| h.path().to_path_buf());
            let unavailable = path.is_none() && asked.elapsed() < TOO_FAST;
            let _ = tx.send(DialogAnswer { kind, path, unavailable });
            ctx.request_repaint();
        });
        if spawned.is_err() {
            let _ = self.tx.send(DialogAnswer { kind, path: None, unavailable: true });
        }
    }

    fn poll(&mut self) -> Option<DialogAnswer> {
        let a = self.rx.try_recv().ok()?;
        self.open = self.open.saturating_sub(1);
        if a.unavailable {
            self.failed = true;
        }
        Some(a)
    }

    fn busy(&self) -> bool {
        self.open > 0
    }
}

/// Runs a future to completion on the current (worker) thread.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Scripted answers for tests: each `ask` takes the next queued path (or cancels when the queue
/// is empty) and records what was asked; [`FakeDialogs::unavailable`] behaves like a machine
/// with no native dialog.
#[derive(Default)]
pub struct FakeDialogs {
    /// Paths the next dialogs answer with, in order.
    pub answers: VecDeque<Option<PathBuf>>,
    /// Every dialog asked for, with its suggested name.
    pub asked: Vec<(DialogKind, String)>,
    /// Answer every dialog with "could not be shown".
    pub no_native: bool,
    ready: VecDeque<DialogAnswer>,
}

impl FakeDialogs {
    /// A fake that answers with `paths`, in order.
    pub fn answering(paths: impl IntoIterator<Item = Option<PathBuf>>) -> FakeDialogs {
        FakeDialogs { answers: paths.into_iter().collect(), ..Default::default() }
    }

    /// A fake for a machine with no native dialog (no portal, no zenity).
    pub fn unavailable() -> FakeDialogs {
        FakeDialogs { no_native: true, ..Default::default() }
    }
}

impl FileDialogs for FakeDialogs {
    fn ask(&mut self, kind: DialogKind, suggested: &str, _ctx: &egui::Context) {
        self.asked.push((kind, suggested.to_string()));
        let path = if self.no_native { None } else { self.answers.pop_front().flatten() };
        self.ready.push_back(DialogAnswer { kind, path, unavailable: self.no_native });
    }

    fn poll(&mut self) -> Option<DialogAnswer> {
        self.ready.pop_front()
    }

    fn busy(&self) -> bool {
        false
    }
}
