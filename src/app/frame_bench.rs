//! `flowbench bench --window`: the window under load. The seed's training example trains at full
//! speed with the training panel open while the workbench draws frames when egui asks for them, as
//! eframe schedules them (the earliest requested repaint, at most 60 a second; egui's layout and
//! tessellation, without a GPU); once the live history has reached each given step count, a sample
//! of frames is timed (CPU time of the UI thread and wall time, p50 and p99), with the frame rate
//! and the worker's speed during the sample. The worker's speed with the window closed (nothing
//! drawn; the channel drained ten times a second) is measured first.

use crate::app::FlowbenchApp;
use crate::app::command::Command;
use crate::app::dialogs::FakeDialogs;
use crate::app::state::AppState;
use crate::train::worker::Command as Job;
use eframe::App;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames timed per sample.
pub const FRAMES_PER_SAMPLE: usize = 100;
/// The step counts a sample is taken at by default.
pub const DEFAULT_HISTORY: [u64; 3] = [10_000, 1_000_000, 10_000_000];

/// One sample of frames.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameSample {
    /// Steps trained when the sample started.
    pub history: u64,
    /// The UI thread's CPU time per frame, p50 and p99, in milliseconds.
    pub cpu_ms: (f64, f64),
    /// Wall time per frame, p50 and p99, in milliseconds.
    pub wall_ms: (f64, f64),
    /// The worker's steps per second during the sample.
    pub steps_per_sec: f64,
    /// The UI thread's CPU time over the sample's wall time.
    pub ui_share: f64,
    /// Frames drawn per second during the sample.
    pub frames_per_sec: f64,
}

/// The whole measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowBench {
    /// The worker's steps per second with the window closed.
    pub closed_steps_per_sec: f64,
    /// One sample per history point.
    pub samples: Vec<FrameSample>,
}

/// The workbench without a window: the app, its egui context and a frame of a fixed size.
struct Headless {
    app: FlowbenchApp,
    ctx: egui::Context,
    frame: eframe::Frame,
    started: Instant,
    /// When egui wants the next frame (its repaint requests, from any thread), as eframe keeps it.
    next_frame: Arc<Mutex<Option<Instant>>>,
}

impl Headless {
    fn new() -> Headless {
        let state = AppState::with_example("3_4_5_training.json", Box::new(FakeDialogs::default()));
        let ctx = egui::Context::default();
        let next_frame = Arc::new(Mutex::new(Some(Instant::now())));
        let requests = next_frame.clone();
        ctx.set_request_repaint_callback(move |info| {
            let at = Instant::now() + info.delay;
            let mut next = requests.lock().unwrap_or_else(|p| p.into_inner());
            *next = Some(next.map_or(at, |t| t.min(at)));
        });
        let mut h = Headless {
            app: FlowbenchApp::with_state(state),
            ctx,
            frame: eframe::Frame::_new_kittest(),
            started: Instant::now(),
            next_frame,
        };
        // The first frame, as a window draws before anything is clicked (the app keeps its
        // context then: the worker's wakes go to it).
        h.frame();
        h
    }

    /// Starts the example's training for (practically) ever, the training panel shown or not.
    fn start(&mut self, show: bool) {
        let mut setup = self.app.state.training.setup.clone();
        setup.steps = 1_000_000_000_000;
        setup.pace = 0;
        self.app.apply(vec![Command::SetTrainSetup(Box::new(setup)), Command::StartTraining { paused: false }]);
        self.app.apply(vec![Command::ShowTraining(show)]);
    }

    fn stop(&mut self) {
        self.app.apply(vec![Command::TrainControl(Job::Stop)]);
        let t = Instant::now();
        while self.app.state.training_live() && t.elapsed() < Duration::from_secs(10) {
            self.app.state.poll_training();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Steps the worker has reported.
    fn step(&self) -> u64 {
        self.app.state.training.run.as_ref().map_or(0, |r| r.step)
    }

    /// One frame (layout, then tessellation): its (CPU, wall) seconds.
    fn frame(&mut self) -> (f64, f64) {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))),
            time: Some(self.started.elapsed().as_secs_f64()),
            predicted_dt: 1.0 / 60.0,
            ..Default::default()
        };
        let (c, w) = (thread_cpu(), Instant::now());
        let Headless { app, ctx, frame, next_frame, .. } = self;
        let out = ctx.run_ui(input, |ui| {
            app.logic(ui, frame);
            app.ui(ui, frame);
        });
        if let Some(delay) = out.viewport_output.get(&egui::ViewportId::ROOT).map(|v| v.repaint_delay)
            && delay < Duration::MAX
        {
            let at = Instant::now() + delay;
            let mut next = next_frame.lock().unwrap_or_else(|p| p.into_inner());
            *next = Some(next.map_or(at, |t| t.min(at)));
        }
        let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(primitives);
        (thread_cpu() - c, w.elapsed().as_secs_f64())
    }

    /// Waits for the next frame egui asked for (no sooner than a 60th of a second after the
    /// last one began, as a vsynced window), then draws it.
    fn scheduled_frame(&mut self, last: &mut Instant) -> (f64, f64) {
        loop {
            let now = Instant::now();
            let due = *self.next_frame.lock().unwrap_or_else(|p| p.into_inner());
            let at =
                due.map_or(now + Duration::from_millis(100), |t| t.max(*last + Duration::from_secs_f64(1.0 / 60.0)));
            if due.is_some() && at <= now {
                break;
            }
            std::thread::sleep((at - now).min(Duration::from_millis(2)));
        }
        *self.next_frame.lock().unwrap_or_else(|p| p.into_inner()) = None;
        *last = Instant::now();
        self.frame()
    }
}

/// Runs the measurement: samples at each of `history` (ascending step counts).
pub fn run(history: &[u64]) -> WindowBench {
    // The window closed: the worker alone, its progress drained ten times a second.
    let closed_steps_per_sec = {
        let mut h = Headless::new();
        h.start(false);
        let mut mark = None;
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(4) {
            std::thread::sleep(Duration::from_millis(100));
            h.app.state.poll_training();
            // From the first second on (thread start and plan lowering left out).
            if mark.is_none() && t.elapsed() >= Duration::from_secs(1) {
                mark = Some((Instant::now(), h.step()));
            }
        }
        let (t0, s0) = mark.unwrap_or((t, 0));
        let sps = h.step().saturating_sub(s0) as f64 / t0.elapsed().as_secs_f64();
        h.stop();
        sps
    };
    let mut h = Headless::new();
    h.start(true);
    let mut last = Instant::now();
    for _ in 0..30 {
        h.scheduled_frame(&mut last);
    }
    let mut samples = Vec::new();
    for &at in history {
        while h.step() < at && h.app.state.training_live() {
            h.scheduled_frame(&mut last);
        }
        let (t0, s0, c0) = (Instant::now(), h.step(), thread_cpu());
        let (mut cpu, mut wall): (Vec<f64>, Vec<f64>) =
            (0..FRAMES_PER_SAMPLE).map(|_| h.scheduled_frame(&mut last)).unzip();
        let secs = t0.elapsed().as_secs_f64();
        let steps_per_sec = h.step().saturating_sub(s0) as f64 / secs;
        let ui_share = (thread_cpu() - c0) / secs;
        cpu.sort_by(f64::total_cmp);
        wall.sort_by(f64::total_cmp);
        samples.push(FrameSample {
            history: s0,
            cpu_ms: (percentile(&cpu, 0.5), percentile(&cpu, 0.99)),
            wall_ms: (percentile(&wall, 0.5), percentile(&wall, 0.99)),
            steps_per_sec,
            ui_share,
            frames_per_sec: FRAMES_PER_SAMPLE as f64 / secs,
        });
    }
    h.stop();
    WindowBench { closed_steps_per_sec, samples }
}

/// The `p` quantile of sorted seconds, in milliseconds.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize] * 1000.0
}

/// CPU time of this thread in seconds (Linux: `/proc/thread-self/schedstat`; 0 elsewhere).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

/// Prints a [`WindowBench`] as a table.
pub fn print(b: &WindowBench, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>12}  {:>22}  {:>22}  {:>9}  {:>22}  {:>8}",
        "history", "frame CPU p50/p99 ms", "frame wall p50/p99 ms", "frames/s", "steps/s, window open", "UI CPU"
    )?;
    for s in &b.samples {
        writeln!(
            out,
            "{:>12}  {:>22}  {:>22}  {:>9.1}  {:>22.0}  {:>7.1}%",
            s.history,
            format!("{:.2} / {:.2}", s.cpu_ms.0, s.cpu_ms.1),
            format!("{:.2} / {:.2}", s.wall_ms.0, s.wall_ms.1),
            s.frames_per_sec,
            s.steps_per_sec,
            s.ui_share * 100.0
        )?;
    }
    writeln!(out, "window closed: {:.0} steps/s", b.closed_steps_per_sec)?;
    if let Some(last) = b.samples.last()
        && b.closed_steps_per_sec > 0.0
    {
        writeln!(
            out,
            "window open at {} steps: {:.1}% of the closed speed ({} frames a sample)",
            last.history,
            last.steps_per_sec / b.closed_steps_per_sec * 100.0,
            FRAMES_PER_SAMPLE
        )?;
    }
    Ok(())
}
