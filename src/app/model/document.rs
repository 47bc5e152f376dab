//! The document the window edits: the project (the single source of truth), where it lives on
//! disk and whether it has unsaved changes; and the engine state derived from it: a workspace
//! whose graphs are rebuilt after each edit (keeping their identity, so open sessions keep
//! working), with every node that fails to build recorded with its message and kind (the
//! project's one tolerant lowering, `crate::project::lower::lower_tolerant`) instead of
//! refusing the whole graph. Also the graph helpers the editor needs (unique names, what a run
//! executes, auto-layout, renaming), with tensor names read by `TensorName`.

use crate::engine::graph::Graph;
use crate::engine::graph::op::Op;
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::runtime::workspace::{NamedGraph, Workspace};
use crate::project::lower::{NodeError, lower_tolerant};
use crate::project::{GraphDef, NodeDef, Project};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

/// The open project, where it came from, and the copy last saved (for the unsaved-changes dot).
#[derive(Clone, Debug)]
pub struct Document {
    /// The project.
    pub project: Project,
    /// Where it is saved; `None` for a new project or a bundled example.
    pub path: Option<PathBuf>,
    /// A name to show when there is no path (`3_4_4_placeholder.json (example)`).
    pub display_name: String,
    saved: Project,
    /// True for a project that exists only in memory and was never saved (one a Python program
    /// built): it counts as unsaved until it is saved, even before any edit.
    never_saved: bool,
    /// Bumped on every change to the project.
    pub revision: u64,
    /// Unique per document opened in this process (views such as the canvas's pan and zoom
    /// are kept per document).
    pub serial: u64,
}

impl Document {
    /// A document for `project`, considered saved.
    pub fn new(project: Project, path: Option<PathBuf>, display_name: String) -> Document {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Document { saved: project.clone(), project, path, display_name, never_saved: false, revision: 0, serial }
    }

    /// True when the project differs from the copy last saved or loaded.
    pub fn is_dirty(&self) -> bool {
        self.never_saved || self.project != self.saved
    }

    /// Marks a project built in memory (by a Python program) as not saved yet.
    pub fn mark_never_saved(&mut self) {
        self.never_saved = true;
    }

    /// Marks the current project as saved (at `path`).
    pub fn mark_saved(&mut self, path: PathBuf) {
        self.display_name = file_name(&path);
        self.path = Some(path);
        self.saved = self.project.clone();
        self.never_saved = false;
    }

    /// The file name shown in the title bar.
    pub fn title_name(&self) -> String {
        match &self.path {
            Some(p) => file_name(p),
            None => self.display_name.clone(),
        }
    }

    /// True for a bundled example opened from the menu (no file of its own).
    pub fn is_example(&self) -> bool {
        self.path.is_none() && self.display_name.ends_with(" (example)")
    }

    /// Takes the current project as the saved one without writing it: what running a bundled
    /// example appends to its script does not count as an unsaved change.
    pub fn keep_clean(&mut self) {
        self.saved = self.project.clone();
    }

    /// Records that the project changed.
    pub fn touch(&mut self) {
        self.revision += 1;
    }
}

/// The folder of a project file (`.` for a bare file name), where its referenced files are
/// looked up.
pub fn dir_of(p: &std::path::Path) -> std::path::PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// The last component of a path, for titles and menus.
pub fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().to_string())
}

/// The engine state derived from the project.
#[derive(Debug)]
pub struct Engine {
    /// Graphs (in project order) and every session opened in the window.
    pub ws: Workspace,
    /// Per graph: the nodes that failed to build, by name.
    pub errors: Vec<BTreeMap<String, NodeError>>,
    built: Vec<Option<GraphDef>>,
}

impl Engine {
    /// Builds every graph of `project` into a fresh workspace.
    pub fn new(project: &Project) -> Engine {
        let mut e = Engine { ws: Workspace::default(), errors: Vec::new(), built: Vec::new() };
        e.sync(project);
        e
    }

    /// Brings the workspace in line with the project: graphs whose nodes changed are rebuilt
    /// under their old identity; new graphs are added.
    pub fn sync(&mut self, project: &Project) {
        for (i, gd) in project.graphs.iter().enumerate() {
            let key = without_positions(gd);
            if let Some(ng) = self.ws.graphs.get_mut(i) {
                ng.name = gd.name.clone();
                if self.built.get(i).and_then(|b| b.as_ref()) == Some(&key) {
                    continue;
                }
                let old_gen = ng.graph.generation();
                let (mut g, errs) = lower_tolerant(gd, Some(ng.graph.id()));
                // Run plans cached by sessions are keyed by generation: make the rebuilt graph's
                // generation new so no plan compiled against the old node ids is reused.
                while g.generation() <= old_gen {
                    g.remove(&[]);
                }
                ng.graph = g;
                set_at(&mut self.errors, i, errs);
                set_at(&mut self.built, i, Some(key));
            } else {
                let (g, errs) = lower_tolerant(gd, None);
                self.ws.graphs.push(NamedGraph { name: gd.name.clone(), graph: g });
                set_at(&mut self.errors, i, errs);
                set_at(&mut self.built, i, Some(key));
            }
        }
        // Graphs the project no longer has (an undone "New graph"): dropped unless a session
        // still runs them, in which case they stay under a name no script can refer to.
        let n = project.graphs.len();
        let used = self.ws.sessions.iter().map(|s| s.graph).max();
        let keep = used.map_or(n, |u| (u + 1).max(n));
        self.ws.graphs.truncate(keep);
        self.errors.truncate(keep);
        self.built.truncate(keep);
        for g in self.ws.graphs.iter_mut().skip(n) {
            if !g.name.starts_with("(removed)") {
                g.name = format!("(removed) {}", g.name);
            }
        }
        self.ws.default_graph = project.graphs.iter().position(|g| g.name == project.default_graph).unwrap_or(0);
    }

    /// Forces every graph to be rebuilt on the next sync (after something outside the editor
    /// changed the workspace's graphs, such as a replayed script).
    pub fn invalidate(&mut self) {
        for b in &mut self.built {
            *b = None;
        }
    }

    /// The built graph at `idx`.
    pub fn graph(&self, idx: usize) -> Option<&Graph> {
        self.ws.graphs.get(idx).map(|g| &g.graph)
    }

    /// The nodes in error in graph `idx`.
    pub fn errors(&self, idx: usize) -> Option<&BTreeMap<String, NodeError>> {
        self.errors.get(idx)
    }
}

fn set_at<T: Default>(v: &mut Vec<T>, i: usize, x: T) {
    while v.len() <= i {
        v.push(T::default());
    }
    v[i] = x;
}

fn without_positions(gd: &GraphDef) -> GraphDef {
    let mut g = gd.clone();
    for n in &mut g.nodes {
        n.pos = None;
    }
    g
}

/// A name not used in `gd`, derived from `base` as TF derives op names (`add`, `add_1`, ...).
pub fn unique_name(gd: &GraphDef, base: &str, also_taken: &HashSet<String>) -> String {
    let taken = |s: &str| {
        gd.nodes.iter().any(|n| n.name.eq_ignore_ascii_case(s)) || also_taken.iter().any(|t| t.eq_ignore_ascii_case(s))
    };
    if !taken(base) {
        return base.to_string();
    }
    (1..).map(|i| format!("{base}_{i}")).find(|c| !taken(c)).unwrap_or_else(|| base.to_string())
}

/// What a run executes: the nodes reached from the fetches and targets, through data and
/// control inputs, by the engine's rule (`Session::compile`): never through a ref input (the
/// first `op.num_ref_inputs()` inputs: an `Assign`'s or an `Apply*`'s variable and slots) nor
/// a fed tensor, and a node whose only output is fed does not run. Also the placeholders among
/// them, which must be fed.
pub fn run_closure(
    gd: &GraphDef,
    fetches: &[String],
    targets: &[String],
    fed: &[String],
) -> (HashSet<String>, Vec<String>) {
    let by_name: HashMap<&str, &NodeDef> = gd.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let norm = |t: &str| TensorName::canonical(t);
    let fed_norm: HashSet<String> = fed.iter().map(|t| norm(t)).collect();
    let fully_fed =
        |n: &NodeDef| n.op.num_outputs() == 1 && fed_norm.contains(&TensorName::new(n.name.as_str(), 0).to_string());
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<String> = fetches.iter().chain(targets).map(|t| TensorName::op_of(t).to_string()).collect();
    let mut placeholders = Vec::new();
    while let Some(name) = stack.pop() {
        if seen.contains(&name) {
            continue;
        }
        let Some(n) = by_name.get(name.as_str()) else { continue };
        if fully_fed(n) {
            continue;
        }
        seen.insert(name.clone());
        if matches!(n.op, Op::Placeholder { .. }) {
            placeholders.push(TensorName::new(name.as_str(), 0).to_string());
        }
        let refs = n.op.num_ref_inputs();
        for (k, t) in n.inputs.iter().enumerate() {
            if t.is_empty() || k < refs || fed_norm.contains(&norm(t)) {
                continue;
            }
            stack.push(TensorName::op_of(t).to_string());
        }
        stack.extend(n.control_inputs.iter().cloned());
    }
    placeholders.sort();
    (seen, placeholders)
}

/// Positions in layers: each node one column right of its deepest input; rows in file order.
pub fn auto_layout(gd: &GraphDef) -> Vec<(String, [f32; 2])> {
    let index: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i)).collect();
    let mut depth = vec![0usize; gd.nodes.len()];
    // Longest path by relaxation (bounded by the node count, so a cycle cannot loop forever).
    for _ in 0..gd.nodes.len() {
        let mut changed = false;
        for (i, n) in gd.nodes.iter().enumerate() {
            let d = n
                .inputs
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| TensorName::op_of(s))
                .chain(n.control_inputs.iter().map(String::as_str))
                .filter_map(|b| index.get(b))
                .map(|&j| depth[j] + 1)
                .max()
                .unwrap_or(0);
            if d > depth[i] && d < gd.nodes.len() {
                depth[i] = d;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut rows: HashMap<usize, usize> = HashMap::new();
    gd.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let r = rows.entry(depth[i]).or_insert(0);
            let pos = [depth[i] as f32 * 240.0, *r as f32 * 110.0];
            *r += 1;
            (n.name.clone(), pos)
        })
        .collect()
}

/// Renames node `old` to `new` in `gd`, updating every input and control input that refers to it.
pub fn rename_in(gd: &mut GraphDef, old: &str, new: &str) {
    for n in &mut gd.nodes {
        if n.name == old {
            n.name = new.to_string();
        }
        for t in &mut n.inputs {
            if TensorName::op_of(t) == old {
                *t = TensorName::new(new, TensorName::index_of(t)).to_string();
            }
        }
        for c in &mut n.control_inputs {
            if c == old {
                *c = new.to_string();
            }
        }
    }
}

/// Checks a node name as TF checks op names.
pub fn check_node_name(name: &str) -> Result<(), String> {
    let ok_first = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '.');
    let ok_rest = name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    if ok_first && ok_rest { Ok(()) } else { Err(format!("ValueError: '{name}' is not a valid node name")) }
}
