//! Single actions for the window: open a session, initialize its variables, run, close, replay.
//! Each one is a script [`Step`] performed by the same [`Interpreter`] code that `flowbench run`
//! uses, so the window and the CLI cannot disagree. Each returns what it did in structure (the
//! step to record in the script, placement lines with their nodes, fetched values) and the text
//! `flowbench run` prints for that step.

use crate::engine::error::{Error, Result};
use crate::engine::value::Value;
use crate::interpreter::{Interpreter, ScriptOutput, printed_values};
use crate::project::script::{FeedDef, Step};

/// One placement-log line and the node it places.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementLine {
    /// The node.
    pub node: String,
    /// The line as the CLI prints it.
    pub line: String,
}

/// What one action did.
#[derive(Clone, Debug, Default)]
pub struct ActionResult {
    /// The step performed, to record in the project's script; `None` when the action changes
    /// nothing a replay would need (initializing a graph without variables, closing a session
    /// that was already closed).
    pub step: Option<Step>,
    /// The workspace index of the session acted on.
    pub session: usize,
    /// Placement-log lines, in order.
    pub placement: Vec<PlacementLine>,
    /// The fetched values (for [`Interpreter::run`]).
    pub values: Vec<Value>,
    /// The targets run (for [`Interpreter::initialize`]: the variables' initializers).
    pub targets: Vec<String>,
    /// What `flowbench run` prints on stdout for this step (empty when it prints nothing).
    pub printed: String,
}

/// What a replay did.
#[derive(Debug, Default)]
pub struct ReplayResult {
    /// Everything printed, in order.
    pub output: Vec<ScriptOutput>,
    /// The first step that failed (its index in the steps) and why; the replay stops there.
    pub error: Option<(usize, Error)>,
    /// Index of the first session the replay opened (sessions from here on are the replay's).
    pub first_new_session: usize,
}

impl Interpreter<'_> {
    /// The first `sess1`, `sess2`, ... that no session of the workspace and no `OpenSession` step
    /// of the project's script uses: the id the window gives a session it opens.
    pub fn free_session_id(&self) -> String {
        let taken: std::collections::HashSet<&str> = self
            .ws
            .sessions
            .iter()
            .map(|s| s.id.as_str())
            .chain(self.project.script.iter().filter_map(|s| match s {
                Step::OpenSession { id, .. } => Some(id.as_str()),
                _ => None,
            }))
            .collect();
        (1..).map(|i| format!("sess{i}")).find(|n| !taken.contains(n.as_str())).unwrap_or_else(|| "sess".to_string())
    }

    /// `id = tf.Session(graph=graph, config=config)` (or `tf.InteractiveSession`): opens a
    /// session on `graph` (the default graph when `None`) with a config of the project.
    pub fn open_session(
        &mut self,
        id: &str,
        graph: Option<&str>,
        config: Option<&str>,
        interactive: bool,
    ) -> Result<ActionResult> {
        let step = Step::OpenSession {
            id: id.to_string(),
            graph: graph.map(str::to_string),
            config: config.map(str::to_string),
            interactive,
        };
        self.step(&step, &mut |_| {})?;
        let session = self.ws.session_index(id)?;
        Ok(ActionResult { step: Some(step), session, ..Default::default() })
    }

    /// `sess.run(tf.global_variables_initializer())`: runs every variable's initializer of the
    /// session's graph.
    pub fn initialize(&mut self, session: &str) -> Result<ActionResult> {
        let s = self.ws.session_index(session)?;
        self.initialize_at(s)
    }

    /// [`Interpreter::initialize`] for the session at workspace index `s` (the step names it by
    /// its id).
    pub fn initialize_at(&mut self, s: usize) -> Result<ActionResult> {
        let (g, session) = self
            .ws
            .sessions
            .get(s)
            .map(|e| (e.graph, e.id.clone()))
            .ok_or_else(|| Error::internal("session missing"))?;
        let graph = self.ws.graph(g)?;
        let targets: Vec<String> =
            graph.variables().iter().filter_map(|(_, i)| graph.node(*i)).map(|n| n.name.clone()).collect();
        let step = Step::Run {
            session: Some(session),
            fetches: Vec::new(),
            targets: targets.clone(),
            feeds: Vec::new(),
            graph: None,
            print: false,
        };
        let mut result = self.perform_run(s, &step)?;
        result.targets = targets;
        if result.targets.is_empty() {
            result.step = None;
        }
        Ok(result)
    }

    /// `print(sess.run(fetches, feed_dict=feeds))` (no print without fetches), with `targets`
    /// run for their effect; names resolve in `graph` (the session's graph when `None`).
    pub fn run(
        &mut self,
        session: &str,
        fetches: &[String],
        targets: &[String],
        feeds: &[FeedDef],
        graph: Option<&str>,
    ) -> Result<ActionResult> {
        let s = self.ws.resolve_session(Some(session), "run operation")?;
        self.run_at(s, fetches, targets, feeds, graph)
    }

    /// [`Interpreter::run`] in the session at workspace index `s` (the step names it by its id).
    pub fn run_at(
        &mut self,
        s: usize,
        fetches: &[String],
        targets: &[String],
        feeds: &[FeedDef],
        graph: Option<&str>,
    ) -> Result<ActionResult> {
        let id = self.ws.sessions.get(s).map(|e| e.id.clone()).ok_or_else(|| Error::internal("session missing"))?;
        let step = Step::Run {
            session: Some(id),
            fetches: fetches.to_vec(),
            targets: targets.to_vec(),
            feeds: feeds.to_vec(),
            graph: graph.map(str::to_string),
            print: !fetches.is_empty(),
        };
        let mut result = self.perform_run(s, &step)?;
        result.targets = targets.to_vec();
        Ok(result)
    }

    /// `sess.close()`. Closing a closed session records nothing.
    pub fn close(&mut self, session: &str) -> Result<ActionResult> {
        let s = self.ws.session_index(session)?;
        self.close_at(s)
    }

    /// [`Interpreter::close`] for the session at workspace index `s` (the step names it by its
    /// id).
    pub fn close_at(&mut self, s: usize) -> Result<ActionResult> {
        let (id, was_open) = self
            .ws
            .sessions
            .get(s)
            .map(|e| (e.id.clone(), !e.session.is_closed()))
            .ok_or_else(|| Error::internal("session missing"))?;
        self.ws.close_session(s)?;
        let step = Step::CloseSession { session: id };
        Ok(ActionResult { step: was_open.then_some(step), session: s, ..Default::default() })
    }

    /// Performs `steps` in order, stopping at the first that fails.
    pub fn replay(&mut self, steps: &[Step]) -> ReplayResult {
        let mut r = ReplayResult { first_new_session: self.ws.sessions.len(), ..Default::default() };
        for (i, step) in steps.iter().enumerate() {
            if let Err(e) = self.step(step, &mut |o| r.output.push(o)) {
                r.error = Some((i, e));
                break;
            }
        }
        r
    }

    /// A `Step::Run` performed as the script performs it (in the session at index `s`, the one
    /// the step names), with its results kept.
    fn perform_run(&mut self, s: usize, step: &Step) -> Result<ActionResult> {
        let Step::Run { fetches, targets, feeds, graph, print, .. } = step else {
            return Err(Error::internal("not a run step"));
        };
        let out = self.run_step_at(s, fetches, targets, feeds, graph)?;
        let placement =
            out.placement_log.iter().map(|p| PlacementLine { node: p.node.clone(), line: p.log_line() }).collect();
        let printed = if *print { printed_values(&out.values) } else { String::new() };
        Ok(ActionResult {
            step: Some(step.clone()),
            session: s,
            placement,
            values: out.values,
            targets: Vec::new(),
            printed,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::interpreter::Interpreter;
    use crate::project::Project;
    use crate::project::script::Step;

    const PROGRAM: &str = r#"{
      "format_version": 1, "name": "t", "default_graph": "main",
      "graphs": [{"name": "main", "nodes": [
        {"name": "v", "op": "Variable", "dtype": "float32", "shape": [2]},
        {"name": "init", "op": "Const", "value": {"data": [1.0, 2.0]}},
        {"name": "v/Assign", "op": "Assign", "initializer": true, "inputs": ["v", "init"]},
        {"name": "add", "op": "Binary", "kind": "Add", "inputs": ["v:0", "v:0"]}
      ]}],
      "script": []
    }"#;

    #[test]
    fn actions_print_what_the_script_prints() {
        let project = Project::from_json_str(PROGRAM).unwrap();
        let mut ws = project.workspace().unwrap();
        let mut interp = Interpreter { project: &project, ws: &mut ws };
        assert_eq!(interp.free_session_id(), "sess1");
        let open = interp.open_session("sess1", None, None, false).unwrap();
        assert_eq!(interp.free_session_id(), "sess2");
        assert!(matches!(open.step, Some(Step::OpenSession { .. })));
        let init = interp.initialize("sess1").unwrap();
        assert_eq!(init.targets, ["v/Assign"]);
        let run = interp.run("sess1", &["add:0".to_string()], &[], &[], None).unwrap();
        assert_eq!(run.printed, "[2. 4.]\n");
        let steps: Vec<Step> = [open.step, init.step, run.step].into_iter().flatten().collect();
        let close = interp.close("sess1").unwrap();
        assert!(close.step.is_some());
        assert!(interp.close("sess1").unwrap().step.is_none());
        // The recorded steps replay to the same text.
        let mut ws2 = project.workspace().unwrap();
        let mut again = Interpreter { project: &project, ws: &mut ws2 };
        let r = again.replay(&steps);
        assert!(r.error.is_none());
        assert_eq!(r.output, [crate::interpreter::ScriptOutput::Text("[2. 4.]\n".to_string())]);
    }
}
