//! What `flowbench import` keeps of a program's run: the script steps its session calls make
//! (open, enter and leave `with` blocks, run with its fetches and feeds, print, close, save and
//! restore checkpoints), the configs its sessions use, and at the end the project itself (its
//! graphs laid out in columns by depth).

use crate::engine::runtime::session::ConfigProto;
use crate::engine::runtime::workspace::Workspace;
use crate::project::script::{PrintArg, Step};
use crate::project::{NamedConfig, Project, graph_def_from};
use std::collections::HashMap;

/// The recorded steps of a run.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Steps; `None` where a step was folded into a later one (a fetch printed by `Eval`).
    pub steps: Vec<Option<Step>>,
    /// For `OpenSession` steps: the workspace index of the session's graph (named at the end).
    open_graphs: HashMap<usize, usize>,
    /// Named configs, in first-use order.
    pub configs: Vec<NamedConfig>,
    /// The message a recorded `Try` step prints when it fails at replay, until the program's
    /// own `except` handler printed the same (then that print is not recorded twice).
    pub pending_try: Option<String>,
    /// Why the run cannot be saved as a project, if something it did has no script step.
    pub refusal: Option<String>,
    /// The fetched value of runs of one scalar fetch, by step index (to recognise a training
    /// loop's logged loss).
    pub scalars: HashMap<usize, f64>,
    /// Datasets made of a training loop's data.
    pub datasets: Vec<crate::train::data::dataset::Dataset>,
}

impl Recorder {
    /// Appends a step; returns its index.
    pub fn push(&mut self, step: Step) -> usize {
        self.steps.push(Some(step));
        self.steps.len() - 1
    }

    /// Records `tf.Session(graph=..., config=...)` on workspace graph `graph`.
    pub fn open_session(&mut self, id: &str, graph: usize, config: &ConfigProto, interactive: bool) {
        let config = (*config != ConfigProto::default()).then(|| self.config_name(config));
        let i = self.push(Step::OpenSession { id: id.to_string(), graph: None, config, interactive });
        self.open_graphs.insert(i, graph);
    }

    fn config_name(&mut self, config: &ConfigProto) -> String {
        if let Some(c) = self.configs.iter().find(|c| c.config == *config) {
            return c.name.clone();
        }
        let name =
            if self.configs.is_empty() { "config".to_string() } else { format!("config{}", self.configs.len() + 1) };
        self.configs.push(NamedConfig { name: name.clone(), config: config.clone() });
        name
    }

    /// Renames a session in the steps recorded so far (`sess = tf.Session()` names the session
    /// opened as `session3`).
    pub fn rename_session(&mut self, from: &str, to: &str) {
        let fix = |s: &mut String| {
            if s == from {
                *s = to.to_string();
            }
        };
        for step in self.steps.iter_mut().flatten() {
            rename_in_step(step, &fix);
        }
    }

    /// Records a print of these arguments, unless it repeats what a failed `Try` step prints.
    pub fn print(&mut self, args: Vec<PrintArg>, sep: Option<String>, end: Option<String>, text: &str) {
        if let Some(t) = self.pending_try.take()
            && t == text
        {
            return;
        }
        self.push(Step::Print { args, sep, end });
    }

    /// Builds the project: the workspace's graphs (laid out), the default graph, the configs and
    /// the script.
    pub fn finish(self, ws: &Workspace, name: &str) -> Result<Project, String> {
        if let Some(r) = self.refusal {
            return Err(r);
        }
        if let Some(t) = self.pending_try {
            return Err(format!(
                "an exception caught without printing `type(e).__name__ + \": \" + str(e)` ({}) cannot be replayed by a project's script",
                t.trim_end()
            ));
        }
        let graphs: Vec<_> = ws
            .graphs
            .iter()
            .map(|g| {
                let plain = graph_def_from(&g.name, &g.graph, &HashMap::new());
                let positions = layout(&plain);
                graph_def_from(&g.name, &g.graph, &positions)
            })
            .collect();
        let default_graph = ws.graphs.get(ws.default_graph).map_or_else(|| "default".to_string(), |g| g.name.clone());
        let mut script = Vec::with_capacity(self.steps.len());
        for (i, step) in self.steps.into_iter().enumerate() {
            let Some(mut step) = step else { continue };
            if let (Step::OpenSession { graph, .. }, Some(&g)) = (&mut step, self.open_graphs.get(&i))
                && let Some(named) = ws.graphs.get(g)
                && named.name != default_graph
            {
                *graph = Some(named.name.clone());
            }
            script.push(step);
        }
        Ok(Project {
            name: name.to_string(),
            graphs,
            default_graph,
            configs: self.configs,
            datasets: self.datasets,
            script,
            ..Project::default()
        })
    }
}

fn rename_in_step(step: &mut Step, fix: &dyn Fn(&mut String)) {
    match step {
        Step::OpenSession { id, .. } => fix(id),
        Step::EnterDefault { session } | Step::CloseSession { session } => fix(session),
        Step::Run { session, .. }
        | Step::TrainLoop { session, .. }
        | Step::SaveCheckpoint { session, .. }
        | Step::RestoreCheckpoint { session, .. } => {
            if let Some(s) = session {
                fix(s);
            }
        }
        Step::Print { args, .. } => {
            for a in args {
                if let PrintArg::Eval { session: Some(s), .. } | PrintArg::RunList { session: Some(s), .. } = a {
                    fix(s);
                }
            }
        }
        Step::Try { body } => rename_in_step(body, fix),
        _ => {}
    }
}

/// Positions in columns by depth (each node one column right of its deepest input), rows in
/// creation order.
pub fn layout(gd: &crate::project::GraphDef) -> HashMap<String, [f32; 2]> {
    use crate::engine::graph::tensor_name::TensorName;
    let mut depth: HashMap<&str, usize> = HashMap::new();
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut out = HashMap::new();
    for n in &gd.nodes {
        let d = n
            .inputs
            .iter()
            .map(|s| TensorName::op_of(s))
            .chain(n.control_inputs.iter().map(String::as_str))
            .filter_map(|b| depth.get(b))
            .map(|d| d + 1)
            .max()
            .unwrap_or(0);
        depth.insert(&n.name, d);
        let r = rows.entry(d).or_insert(0);
        out.insert(n.name.clone(), [d as f32 * 240.0, *r as f32 * 110.0]);
        *r += 1;
    }
    out
}

/// The rows of a 2-D feed value stored as JSON (`None` unless it is a list of equal-length lists
/// of numbers).
fn rows_of(v: &serde_json::Value) -> Option<Vec<Vec<f64>>> {
    let rows = v.as_array()?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let r = r.as_array()?;
        out.push(r.iter().map(serde_json::Value::as_f64).collect::<Option<Vec<f64>>>()?);
    }
    let w = out.first().map(Vec::len)?;
    (w > 0 && out.iter().all(|r| r.len() == w)).then_some(out)
}

/// `format` (a Python `%` format with `%d` and `%g`) applied to `(step, loss)`.
fn log_line(format: &str, step: i64, loss: f64) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&step.to_string()),
            Some('g') => out.push_str(&crate::engine::fmt::numpy::printf_g(loss, 6)),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

impl Recorder {
    /// After `for i in range(n):` ran: when the steps it recorded from `start` are the seed's
    /// training loop (each turn one training run on batch `i` cut cyclically from the full data,
    /// every `k`-th turn the loss on all data printed with a `%d`/`%g` line), they are replaced
    /// by one `train_loop` step over an inline dataset of that data. Otherwise nothing changes.
    pub fn fold_train_loop(&mut self, start: usize, n: u64) {
        if let Some((step, dataset)) = self.train_loop_of(start, n) {
            for s in self.steps.iter_mut().skip(start) {
                *s = None;
            }
            self.datasets.push(dataset);
            self.steps.push(Some(step));
        }
    }

    fn train_loop_of(&self, start: usize, n: u64) -> Option<(Step, crate::train::data::dataset::Dataset)> {
        use crate::project::script::{ColumnFeedDef, TrainLogDef};
        use crate::train::data::dataset::{Dataset, DatasetSource};
        if n == 0 || self.pending_try.is_some() {
            return None;
        }
        let steps: Vec<(usize, &Step)> =
            self.steps.iter().enumerate().skip(start).filter_map(|(i, s)| s.as_ref().map(|s| (i, s))).collect();
        // Turns: each starts at a training run (a run with targets).
        let mut turns: Vec<Vec<(usize, &Step)>> = Vec::new();
        for (i, s) in steps {
            let is_train = matches!(s, Step::Run { targets, .. } if !targets.is_empty());
            if is_train {
                turns.push(vec![(i, s)]);
            } else {
                turns.last_mut()?.push((i, s));
            }
        }
        if turns.len() as u64 != n {
            return None;
        }
        let Step::Run { session, fetches, targets, feeds, graph: None, print: false } = turns[0][0].1 else {
            return None;
        };
        if targets.len() != 1 || feeds.is_empty() {
            return None;
        }
        let tensors: Vec<&str> = feeds.iter().map(|f| f.tensor.as_str()).collect();
        let batch_size = rows_of(&feeds[0].value)?.len();
        // The logged turns: a full-data run of one fetch, then a printed line.
        let mut logged: Vec<(u64, f64, String)> = Vec::new();
        let mut full: Option<&Vec<crate::project::script::FeedDef>> = None;
        let mut loss: Option<&str> = None;
        for (i, turn) in turns.iter().enumerate() {
            let Step::Run { session: s2, fetches: f2, targets: t2, feeds: fd, graph: None, print: false } = turn[0].1
            else {
                return None;
            };
            if s2 != session
                || f2 != fetches
                || t2 != targets
                || fd.iter().map(|f| f.tensor.as_str()).ne(tensors.iter().copied())
            {
                return None;
            }
            match &turn[1..] {
                [] => {}
                [
                    (k, Step::Run { session: s3, fetches: lf, targets: lt, feeds: lfd, graph: None, print: false }),
                    (_, Step::Print { args, sep: None, end: None }),
                ] if s3 == session && lf.len() == 1 && lt.is_empty() => {
                    let [PrintArg::Text(line)] = args.as_slice() else { return None };
                    if *full.get_or_insert(lfd) != lfd || *loss.get_or_insert(&lf[0]) != lf[0] {
                        return None;
                    }
                    logged.push((i as u64, *self.scalars.get(k)?, line.clone()));
                }
                _ => return None,
            }
        }
        // The data: the full feeds' rows, which each batch must be the cyclic slice of.
        let full = full?;
        let columns_of: Vec<Vec<Vec<f64>>> = full.iter().map(|f| rows_of(&f.value)).collect::<Option<_>>()?;
        let rows = columns_of[0].len();
        if rows == 0 || columns_of.iter().any(|c| c.len() != rows) {
            return None;
        }
        for (i, turn) in turns.iter().enumerate() {
            let Step::Run { feeds: fd, .. } = turn[0].1 else { return None };
            let lo = (i * batch_size) % rows;
            let hi = (lo + batch_size).min(rows);
            for (f, all) in fd.iter().zip(&columns_of) {
                if rows_of(&f.value)? != all[lo..hi] {
                    return None;
                }
            }
        }
        // The log: every `every` turns, one line whose format prints (i, loss).
        let log = match logged.first() {
            None => None,
            Some((_, v0, line0)) => {
                let every = logged.get(1).map_or(n, |l| l.0);
                if every == 0 || logged.iter().map(|l| l.0).ne((0..n).step_by(every as usize)) {
                    return None;
                }
                let g = crate::engine::fmt::numpy::printf_g(*v0, 6);
                let escaped = line0.replace('%', "%%");
                let gpos = escaped.rfind(&g)?;
                let (head, tail) = escaped.split_at(gpos);
                let head = head.replacen("0", "%d", 1);
                let format = format!("{head}%g{}", &tail[g.len()..]);
                if logged.iter().any(|(i, v, line)| log_line(&format, *i as i64, *v) != *line) {
                    return None;
                }
                Some(TrainLogDef {
                    every,
                    loss: loss?.to_string(),
                    format,
                    split: None,
                    args: Vec::new(),
                    before_step: false,
                    end: None,
                })
            }
        };
        let mut names = Vec::new();
        let mut col_feeds = Vec::new();
        for (f, all) in full.iter().zip(&columns_of) {
            let base = crate::engine::graph::tensor_name::TensorName::op_of(&f.tensor).replace('/', "_");
            let cols: Vec<String> = (0..all[0].len()).map(|j| format!("{base}_{j}")).collect();
            names.extend(cols.iter().cloned());
            col_feeds.push(ColumnFeedDef { tensor: f.tensor.clone(), columns: cols });
        }
        let data_rows: Vec<Vec<f64>> =
            (0..rows).map(|r| columns_of.iter().flat_map(|c| c[r].iter().copied()).collect()).collect();
        let mut name = "data".to_string();
        let mut k = 1;
        while self.datasets.iter().any(|d| d.name == name) {
            k += 1;
            name = format!("data{k}");
        }
        let dataset = Dataset { name: name.clone(), source: DatasetSource::Inline { columns: names, rows: data_rows } };
        let step = Step::TrainLoop {
            session: session.clone(),
            dataset: name,
            feeds: col_feeds,
            train_op: targets[0].clone(),
            fetches: fetches.clone(),
            batch_loss: log.as_ref().map(|l| l.loss.clone()),
            steps: n,
            batch_size,
            batching: crate::train::Batching::Cyclic,
            log,
        };
        Some((step, dataset))
    }
}
