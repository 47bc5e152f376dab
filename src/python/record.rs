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
