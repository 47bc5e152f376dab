//! The project script as data: the ordered steps a TF1 program performs (open a session with a
//! config, enter and leave `with` blocks, initialize, run or eval with feeds, print reprs and
//! values, add a node, train, close), as the file stores them. Running them is the job of
//! `crate::interpreter`; checking their references is [`crate::project::validate`]'s.

use crate::project::graph_def::NodeDef;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A feed as stored: tensor name and nested-list value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedDef {
    /// Tensor name (`input:0`).
    pub tensor: String,
    /// The value, as nested lists.
    pub value: Json,
}

/// Dataset columns feeding a placeholder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnFeedDef {
    /// The placeholder tensor (`x-input:0`).
    pub tensor: String,
    /// Column names, in order.
    pub columns: Vec<String>,
}

/// The train loop's periodic evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainLogDef {
    /// Every how many steps (`if i % every == 0`).
    pub every: u64,
    /// The loss tensor, evaluated on all rows.
    pub loss: String,
    /// Python `%` format with `%d` for the step and `%g` for the loss.
    pub format: String,
    /// For an IDX dataset, the set the loss is evaluated on (`train`, `validation` or `test`;
    /// `train` when absent). Tables are always evaluated on all their rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<crate::train::data::idx::Split>,
    /// The format's values when not `(step, loss)`: `"step"`, `"step_plus_one"` or
    /// `{"tensor": "Mean:0"}` (evaluated on all rows, each in its own run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<crate::train::LogArg<String>>,
    /// Evaluate and print before the step's training run rather than after it (the MNIST
    /// program's `if i % 1000 == 0:` at the top of its loop).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub before_step: bool,
    /// A line printed once after the loop (`{"format": ..., "args": ["step", {"tensor":
    /// "Mean_1:0"}], "split": "test"}`; `step` is then the number of steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<crate::train::EndLog<String>>,
}

/// Which variables a `tf.train.Saver` covers.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaverVars {
    /// `tf.train.Saver()`: every variable of the session's graph.
    #[default]
    All,
    /// `tf.train.Saver([v1, v2])`: these variables (node names).
    Names(Vec<String>),
    /// `tf.train.Saver({"v1": a})`: name in the checkpoint → variable (node name).
    Map(std::collections::BTreeMap<String, String>),
}

impl SaverVars {
    /// True for [`SaverVars::All`] (left out of the file).
    pub fn is_all(&self) -> bool {
        matches!(self, SaverVars::All)
    }
}

fn five() -> u32 {
    5
}

fn yes() -> bool {
    true
}

/// One argument of a `print(...)` call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintArg {
    /// A literal string.
    Text(String),
    /// `print(tensor)`: the tensor's repr (`Tensor("add:0", shape=(2,), dtype=float32)`).
    Repr {
        /// Tensor name.
        tensor: String,
        /// Its graph (default graph if absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
    },
    /// `tensor.eval(session=..., feed_dict=...)`, or `sess.run(tensor)` when `session` is given.
    Eval {
        /// Tensor name.
        tensor: String,
        /// Its graph (default graph if absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// Explicit session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Feeds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        feeds: Vec<FeedDef>,
    },
    /// `sorted(os.listdir(path))`: a folder's file names as a Python list (`['a', 'b']`).
    ListDir {
        /// The folder; `$TMP` stands for the folder the program made with `tempfile.mkdtemp()`.
        path: String,
    },
    /// `sess.run([a, b, ...])` printed as Python prints the list: each value's repr, numpy 2's
    /// `np.float32(4.5)` for a scalar (`print(sess.run([v1, ema.average(v1)]))`).
    RunList {
        /// Tensor names.
        fetches: Vec<String>,
        /// Session id; the default session if absent (names resolve in its graph).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Feeds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        feeds: Vec<FeedDef>,
    },
    /// `tensor.graph is tf.get_default_graph()`: prints `True` or `False`.
    IsDefaultGraph {
        /// Tensor name.
        tensor: String,
        /// Its graph.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
    },
}

/// One step of a program.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A comment; does nothing.
    Comment {
        /// The text.
        text: String,
    },
    /// `sess = tf.Session(graph=..., config=...)` or `tf.InteractiveSession(...)`.
    OpenSession {
        /// Session id (the Python variable name).
        id: String,
        /// Graph name; the default graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// Name of a config in the project's `configs`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        config: Option<String>,
        /// `tf.InteractiveSession`: becomes the default session until closed.
        #[serde(default)]
        interactive: bool,
    },
    /// Enter `with sess.as_default():` (also what `with tf.Session() as sess:` does).
    EnterDefault {
        /// Session id.
        session: String,
    },
    /// Leave the innermost `as_default` block.
    ExitDefault,
    /// `sess.close()`.
    CloseSession {
        /// Session id.
        session: String,
    },
    /// `sess.run(fetches, feed_dict=...)` (or `op.run()` with the default session).
    Run {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// Tensors to fetch.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fetches: Vec<String>,
        /// Ops to run for their effect.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        targets: Vec<String>,
        /// Feeds.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        feeds: Vec<FeedDef>,
        /// The graph the names refer to; the session's graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// `print(sess.run(...))`.
        #[serde(default)]
        print: bool,
    },
    /// `print(arg, arg, ...)` with Python's `sep` and `end`.
    Print {
        /// The arguments.
        args: Vec<PrintArg>,
        /// Separator (default one space).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sep: Option<String>,
        /// Line end (default newline).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<String>,
    },
    /// Builds one more node at this point of the program (as a Python line that creates an op).
    AddNode {
        /// Graph name; the default graph if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        graph: Option<String>,
        /// The node; its name is a base name made unique as TF does.
        node: NodeDef,
    },
    /// A training loop: `for i in range(steps)` feed batch `i` cut from a dataset, run the train
    /// op, and every `log.every` steps evaluate the loss on all rows and print a line.
    TrainLoop {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The dataset (in the project's `datasets`); empty (absent in the file) for a loop that
        /// feeds nothing (`for i in range(steps): sess.run(train_op)`).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        dataset: String,
        /// Which columns feed which placeholder.
        feeds: Vec<ColumnFeedDef>,
        /// The train op (target) run each step.
        train_op: String,
        /// Tensors also fetched each step (as the seed's `sess.run([train_step, y, y_])`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fetches: Vec<String>,
        /// The loss on the batch, reported live by the window (not printed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch_loss: Option<String>,
        /// Number of steps.
        steps: u64,
        /// Rows per batch.
        batch_size: usize,
        /// How batches are cut.
        #[serde(default)]
        batching: crate::train::Batching,
        /// The periodic full-data evaluation and its printed line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log: Option<TrainLogDef>,
    },
    /// `tf.train.Saver(var_list, max_to_keep=...).save(sess, path, global_step=...)`: writes a
    /// TF V2 checkpoint (`path.index`, `path.data-00000-of-00001`, the `checkpoint` state file
    /// and, with `write_meta_graph`, `path.meta`). Checkpoints listed in the folder's state file
    /// count toward `max_to_keep` (as after `saver.recover_last_checkpoints`).
    SaveCheckpoint {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The checkpoint prefix (`$TMP/model.ckpt`; relative paths are relative to the project
        /// file's folder; `$TMP` is a folder made for the run as `tempfile.mkdtemp()` makes it).
        path: String,
        /// Which variables.
        #[serde(default, skip_serializing_if = "SaverVars::is_all")]
        var_list: SaverVars,
        /// Checkpoints kept (TF's default 5; 0 keeps all).
        #[serde(default = "five")]
        max_to_keep: u32,
        /// Appended to the prefix as `-<step>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        global_step: Option<i64>,
        /// Also write `path.meta` (TF's default).
        #[serde(default = "yes")]
        write_meta_graph: bool,
    },
    /// `tf.train.Saver(var_list).restore(sess, path)`.
    RestoreCheckpoint {
        /// Session id; the default session if absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
        /// The checkpoint prefix (as in `save_checkpoint`).
        path: String,
        /// Which variables, under which names in the checkpoint.
        #[serde(default, skip_serializing_if = "SaverVars::is_all")]
        var_list: SaverVars,
    },
    /// `reader = tf.train.NewCheckpointReader(path)`, then for each variable in name order
    /// `print(name, shape, reader.get_tensor(name))`.
    PrintCheckpoint {
        /// The checkpoint prefix (as in `save_checkpoint`).
        path: String,
    },
    /// `try: <step> except Exception as e: print(type(e).__name__ + ": " + str(e))`.
    Try {
        /// The guarded step.
        body: Box<Step>,
    },
    /// `try: <step> except Exception: pass`: an error of the step is caught and nothing is
    /// printed (an imported program's handler printed what it printed, kept as the steps
    /// after this one).
    TryQuiet {
        /// The guarded step.
        body: Box<Step>,
    },
}
