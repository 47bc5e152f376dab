//! The chapter-4 examples (`assets/examples/4_*.json`) are the graphs `flowbench::train::book`
//! builds through the engine's API, with their scripts: this test rebuilds each project and
//! compares it with the bundled file (`UPDATE_GOLDEN=1` rewrites them after a deliberate change).

use crate::common::root;
use flowbench::engine::graph::op::{ConstValue, Op};
use flowbench::engine::{DType, Value};
use flowbench::project::graph_def::NodeDef;
use flowbench::project::graph_def::graph_def_from;
use flowbench::project::script::{ColumnFeedDef, PrintArg, Step, TrainLogDef};
use flowbench::project::{Project, Translation};
use flowbench::train::book::{self, BookProgram};
use flowbench::train::data::idx::Split;
use flowbench::train::{Batching, EndLog, LogArg};
use std::collections::HashMap;

/// Editor positions: one column per depth (longest path from a source), one row per node in it.
fn layout(g: &flowbench::engine::graph::Graph) -> HashMap<String, [f32; 2]> {
    let mut depth = vec![0usize; g.nodes().len()];
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut pos = HashMap::new();
    for (i, n) in g.nodes().iter().enumerate() {
        let d =
            n.inputs.iter().map(|t| depth[t.node.0] + 1).chain(n.control_inputs.iter().map(|c| depth[c.0] + 1)).max();
        depth[i] = d.unwrap_or(0);
        let row = rows.entry(depth[i]).or_insert(0);
        pos.insert(n.name.clone(), [250.0 * depth[i] as f32, 95.0 * *row as f32]);
        *row += 1;
    }
    pos
}

fn project(name: &str, description: &str, comments: &[&str], p: &BookProgram, script: Vec<Step>) -> Project {
    let mut project = Project {
        name: name.to_string(),
        description: description.to_string(),
        comments: comments.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    project.graphs = vec![graph_def_from("default", &p.graph, &layout(&p.graph))];
    project.script = script;
    project
}

fn session_steps(body: Vec<Step>) -> Vec<Step> {
    let mut steps = vec![
        Step::Comment { text: "with tf.Session() as sess:".to_string() },
        Step::OpenSession { id: "sess".to_string(), graph: None, config: None, interactive: false },
        Step::EnterDefault { session: "sess".to_string() },
    ];
    steps.extend(body);
    steps.push(Step::ExitDefault);
    steps.push(Step::CloseSession { session: "sess".to_string() });
    steps
}

fn run(fetches: &[&str], targets: &[&str], print: bool) -> Step {
    Step::Run {
        session: Some("sess".to_string()),
        fetches: fetches.iter().map(|s| s.to_string()).collect(),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        feeds: Vec::new(),
        graph: None,
        print,
    }
}

fn name_of(p: &BookProgram, id: flowbench::engine::graph::NodeId) -> String {
    p.graph.node(id).unwrap().name.clone()
}

fn custom_loss() -> Project {
    let p = book::custom_loss().unwrap();
    let loss = p.graph.tensor_name(p.loss);
    let script = session_steps(vec![
        run(&[], &[&name_of(&p, p.init)], false),
        Step::TrainLoop {
            session: Some("sess".to_string()),
            dataset: "sales".to_string(),
            feeds: vec![
                ColumnFeedDef { tensor: "x-input:0".to_string(), columns: vec!["x1".to_string(), "x2".to_string()] },
                ColumnFeedDef { tensor: "y-input:0".to_string(), columns: vec!["y".to_string()] },
            ],
            train_op: name_of(&p, p.train),
            fetches: Vec::new(),
            batch_loss: Some(loss.clone()),
            steps: 5000,
            batch_size: 8,
            batching: Default::default(),
            log: Some(TrainLogDef {
                every: 1000,
                loss,
                format: "After %d training step(s), loss on all data is %g".to_string(),
                args: Vec::new(),
                split: None,
                before_step: false,
                end: None,
            }),
        },
        run(&["Variable:0"], &[], true),
    ]);
    let mut project = project(
        "4.2.2 A custom loss",
        "Selling one unit too few costs 10, one too many costs 1, so the model learns to predict a little more than x1 + x2: loss = reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * 1, (y_ - y) * 10)), trained with Adam(0.001) on 128 points whose labels are x1 + x2 plus numpy noise in [-0.05, 0.05), in batches of 8 for 5000 steps.",
        &[
            "tf.where on a bool condition is TF 1's Select op; its gradient sends dy to the branch chosen and zeros to the other.",
        ],
        &p,
        script,
    );
    project.datasets = vec![book::custom_loss_dataset()];
    project
}

fn l2_regularization() -> Project {
    let (p, mse) = book::l2_regularization().unwrap();
    let loss = p.graph.tensor_name(p.loss);
    let mse = p.graph.tensor_name(mse);
    let script = session_steps(vec![
        run(&[], &[&name_of(&p, p.init)], false),
        Step::TrainLoop {
            session: Some("sess".to_string()),
            dataset: "disc".to_string(),
            feeds: vec![
                ColumnFeedDef {
                    tensor: "Placeholder:0".to_string(),
                    columns: vec!["x1".to_string(), "x2".to_string()],
                },
                ColumnFeedDef { tensor: "Placeholder_1:0".to_string(), columns: vec!["y".to_string()] },
            ],
            train_op: name_of(&p, p.train),
            fetches: Vec::new(),
            batch_loss: Some(loss.clone()),
            steps: 5000,
            batch_size: 8,
            batching: Default::default(),
            log: Some(TrainLogDef {
                every: 1000,
                loss: loss.clone(),
                format: "After %d steps, mse %g, total loss %g".to_string(),
                args: vec![LogArg::Step, LogArg::Tensor(mse), LogArg::Tensor(loss)],
                split: None,
                before_step: false,
                end: None,
            }),
        },
        run(&["Variable_6:0"], &[], true),
    ]);
    let mut project = project(
        "4.4.2 L2 regularisation through a collection",
        "A 2-10-10-10-1 network with elu activations: each weight's L2 term, 0.003 * tf.nn.l2_loss(w), is added to the 'losses' collection, the mean squared error too, and the total loss is their sum (tf.add_n(tf.get_collection('losses'))), trained with Adam(0.001) on 128 points labelled x1^2 + x2^2 < 0.5, in batches of 8 for 5000 steps.",
        &[
            "tf.contrib.layers.l2_regularizer(scale)(w) of TF 1.x is scale * tf.nn.l2_loss(w); the collection is gone once the graph is built: the AddN over its five losses remains.",
        ],
        &p,
        script,
    );
    project.datasets = vec![book::l2_regularization_dataset()];
    project
}

/// `sess.run(tf.assign(var, value))`: the two nodes TF adds at that point, then the run.
fn assign_and_run(var: &str, value: Value, index: usize) -> Vec<Step> {
    let name = if index == 0 { "Assign".to_string() } else { format!("Assign_{index}") };
    let node = |name: &str, op: Op, inputs: Vec<String>| NodeDef {
        name: name.to_string(),
        op,
        inputs,
        control_inputs: Vec::new(),
        device: String::new(),
        pos: None,
    };
    vec![
        Step::AddNode {
            graph: None,
            node: node(&format!("{name}/value"), Op::Const { value: ConstValue(value) }, vec![]),
        },
        Step::AddNode {
            graph: None,
            node: node(&name, Op::Assign { initializer: false }, vec![format!("{var}:0"), format!("{name}/value:0")]),
        },
        run(&[], &[&name], false),
    ]
}

fn moving_average() -> Project {
    let (p, v1, step) = book::moving_average().unwrap();
    let (v1, step) = (name_of(&p, v1.node), name_of(&p, step.node));
    let avg = p.graph.tensor_name(p.loss);
    let update = name_of(&p, p.train);
    let print = || Step::Print {
        args: vec![PrintArg::RunList {
            fetches: vec![format!("{v1}:0"), avg.clone()],
            session: Some("sess".to_string()),
            feeds: vec![],
        }],
        sep: None,
        end: None,
    };
    let mut body = vec![run(&[], &[&name_of(&p, p.init)], false), print()];
    body.extend(assign_and_run(&v1, Value::scalar_f32(5.0), 0));
    body.push(run(&[], &[&update], false));
    body.push(print());
    body.extend(assign_and_run(&step, Value::filled(DType::Int32, &[], 10000.0), 1));
    body.extend(assign_and_run(&v1, Value::scalar_f32(10.0), 2));
    body.push(run(&[], &[&update], false));
    body.push(print());
    body.push(run(&[], &[&update], false));
    body.push(print());
    project(
        "4.4.3 ExponentialMovingAverage",
        "A moving average of v1 kept by tf.train.ExponentialMovingAverage(0.99, step): ema.apply([v1]) makes the shadow variable v1/ExponentialMovingAverage and the update op; with a step the decay is min(0.99, (1 + step) / (10 + step)). v1 is set to 5, then (at step 10000) to 10, and the pair [v1, ema.average(v1)] is printed after each update, as numpy 2 prints a list of scalars.",
        &[
            "TF initialises the shadow variable through a cond on IsVariableInitialized; here its initializer reads v1's initial value, the same value.",
        ],
        &p,
        session_steps(body),
    )
}

fn learning_rate_decay() -> Project {
    let (p, x) = book::learning_rate_decay().unwrap();
    let lr = p.graph.tensor_name(p.loss);
    let x = p.graph.tensor_name(x);
    let script = session_steps(vec![
        run(&[], &[&name_of(&p, p.init)], false),
        Step::TrainLoop {
            session: Some("sess".to_string()),
            dataset: String::new(),
            feeds: Vec::new(),
            train_op: name_of(&p, p.train),
            fetches: Vec::new(),
            batch_loss: Some(lr.clone()),
            steps: 100,
            batch_size: 1,
            batching: Default::default(),
            log: Some(TrainLogDef {
                every: 10,
                loss: lr.clone(),
                format: "After %s iteration(s): x%s is %f, learning rate is %f.".to_string(),
                args: vec![LogArg::StepPlusOne, LogArg::StepPlusOne, LogArg::Tensor(x), LogArg::Tensor(lr)],
                split: None,
                before_step: false,
                end: None,
            }),
        },
    ]);
    project(
        "4.4.1 A decaying learning rate",
        "Minimises y = x^2 from x = 5 with GradientDescent whose learning rate is tf.train.exponential_decay(0.1, global_step, 1, 0.96, staircase=True); minimize(y, global_step=global_step) increments the step after each update. Every 10 steps it prints x and the learning rate.",
        &[
            "exponential_decay is stored as the ops TF builds under ExponentialDecay/ (Cast, RealDiv, Floor, Pow, Mul); the train op GradientDescent is the AssignAdd of the step, run after GradientDescent/update groups the updates.",
        ],
        &p,
        script,
    )
}

fn mnist() -> Project {
    let m = book::mnist(64, 1297, 1).unwrap();
    let p = &m.program;
    let loss = p.graph.tensor_name(p.loss);
    let accuracy = p.graph.tensor_name(m.accuracy);
    let script = session_steps(vec![
        run(&[], &[&name_of(p, p.init)], false),
        Step::TrainLoop {
            session: Some("sess".to_string()),
            dataset: "mnist".to_string(),
            feeds: vec![
                ColumnFeedDef { tensor: "x-input:0".to_string(), columns: vec!["images".to_string()] },
                ColumnFeedDef { tensor: "y-input:0".to_string(), columns: vec!["labels".to_string()] },
            ],
            train_op: name_of(p, p.train),
            fetches: Vec::new(),
            batch_loss: Some(loss.clone()),
            steps: 3000,
            batch_size: 100,
            batching: Batching::NextBatch { numpy_seed: Some(0), shuffle: true },
            log: Some(TrainLogDef {
                every: 500,
                loss: loss.clone(),
                format: "After %d training step(s), validation accuracy using average model is %g, loss %g".to_string(),
                args: vec![LogArg::Step, LogArg::Tensor(accuracy.clone()), LogArg::Tensor(loss)],
                split: Some(Split::Validation),
                before_step: true,
                end: Some(EndLog {
                    format: "After %d training step(s), test accuracy using average model is %g".to_string(),
                    args: vec![LogArg::Step, LogArg::Tensor(accuracy)],
                    split: Some(Split::Test),
                }),
            }),
        },
    ]);
    let mut project = project(
        "5.2.1 The complete MNIST program",
        "The chapter's complete MNIST program: a 64-500-10 relu net (784 inputs with real MNIST files; here the bundled 8x8 digits in MNIST's IDX format) trained with GradientDescent at tf.train.exponential_decay(0.8, global_step, 1297 / 100, 0.99, staircase=True) on the cross-entropy plus 0.0001 * the L2 loss of both weights, in batches of 100 from next_batch after np.random.seed(0); its weights are drawn under tf.set_random_seed(1). An ExponentialMovingAverage(0.99, global_step) of every trainable variable gives the average model, whose accuracy is printed on the validation set every 500 steps (before the step) and on the test set at the end.",
        &[
            "with tf.control_dependencies([train_step, variables_averages_op]): train_op = tf.no_op(name='train') is the NoOp train with both as control inputs.",
        ],
        p,
        script,
    );
    project.datasets = vec![book::mnist_dataset()];
    project
}

fn check(stem: &str, mut project: Project) {
    if let Some(t) = chinese_notes(stem) {
        project.translations.insert("zh-CN".to_string(), t);
    }
    let path = root().join(format!("assets/examples/{stem}.json"));
    let text = project.to_json_string() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    assert!(
        have == text,
        "{stem}: the bundled example differs from what flowbench::train::book builds (UPDATE_GOLDEN=1 rewrites it)"
    );
}

#[test]
fn custom_loss_4_2_2() {
    check("4_2_2_custom_loss", custom_loss());
}

#[test]
fn l2_regularization_4_4_2() {
    check("4_4_2_l2_regularization", l2_regularization());
}

#[test]
fn moving_average_4_4_3() {
    check("4_4_3_moving_average", moving_average());
}

#[test]
fn learning_rate_decay_4_4_1() {
    check("4_4_1_learning_rate_decay", learning_rate_decay());
}

#[test]
fn mnist_5_2_1() {
    check("5_2_1_mnist", mnist());
}

/// The MNIST project with `steps` training steps, reading the bundled digits
/// (`assets/examples/digits`).
fn mnist_with_steps(steps: u64) -> Project {
    let mut p = mnist();
    for st in &mut p.script {
        if let Step::TrainLoop { steps: s, .. } = st {
            *s = steps;
        }
    }
    p.base_dir = flowbench::project::BaseDir(Some(root().join("assets/examples")));
    p
}

fn run_in_process(project: &Project) -> String {
    let mut text = String::new();
    flowbench::interpreter::run_script(project, &mut |o| {
        if let flowbench::interpreter::ScriptOutput::Text(t) = o {
            text.push_str(&t);
        }
    })
    .unwrap();
    text
}

const MNIST_OUT: &str = "After 0 training step(s), validation accuracy using average model is 0.095, loss 2.46473
After 500 training step(s), validation accuracy using average model is 0.945, loss 0.246748
After 1000 training step(s), validation accuracy using average model is 0.945, loss 0.242849
After 1500 training step(s), validation accuracy using average model is 0.945, loss 0.248548
After 2000 training step(s), validation accuracy using average model is 0.945, loss 0.2499
After 2500 training step(s), validation accuracy using average model is 0.945, loss 0.25515
After 3000 training step(s), test accuracy using average model is 0.913333
";

/// 5.2.1 prints TF's output exactly: `golden_examples::mnist_5_2_1` runs the bundled example
/// (`assets/examples/5_2_1_mnist.json`, all 3000 steps, about 25 s of CPU in a debug build since
/// the kernels of `crates/flowbench-math` are optimised even there). Its matmuls follow TF's orders
/// (`[100, 64] x [64, 500]` in-order FMAs, `k = 500` in oneDNN's two blocks of 250:
/// `engine::math::eigen::gemm_k_blocks`). This checks the first 501 steps in-process: TF's two
/// lines exactly (the log evaluated before the step, on the validation set), and the line after
/// the loop evaluated on the test set.
#[test]
fn mnist_5_2_1_matches_tf_for_500_steps() {
    let project = mnist_with_steps(501);
    project.validate().unwrap();
    let got = run_in_process(&project);
    let lines: Vec<&str> = got.lines().collect();
    let want: Vec<&str> = MNIST_OUT.lines().collect();
    assert_eq!(lines.len(), 3, "{got}");
    assert_eq!(lines[..2], want[..2], "{got}");
    assert!(lines[2].starts_with("After 501 training step(s), test accuracy using average model is 0.9"), "{got}");
}

/// The whole program prints TF's output byte for byte, in-process (the golden test runs the
/// binary; this one is for profiling: `cargo test --release --test programs mnist -- --ignored`).
#[test]
#[ignore]
fn mnist_5_2_1_full_run_prints_tfs_output() {
    let got = run_in_process(&mnist_with_steps(3000));
    assert_eq!(got, MNIST_OUT);
}

/// The golden output of the bundled example is the reference program's `.out` (TF's).
#[test]
fn mnist_5_2_1_golden_is_tfs_output() {
    let golden = std::fs::read_to_string(root().join("tests/golden/5_2_1_mnist.out")).unwrap();
    assert_eq!(golden, MNIST_OUT);
}

/// The exported script, run by real TF, prints the reference program's output exactly: the graph
/// (names, graph-seeded initial values, ops) and the script (log before the step, test accuracy
/// after the loop) are TF's.
#[test]
fn mnist_5_2_1_exported_prints_tfs_output_under_tensorflow() {
    let Some(python) = std::env::var_os("FLOWBENCH_TF_PYTHON") else {
        println!("skipped: set FLOWBENCH_TF_PYTHON=/path/to/python (a Python with tensorflow)");
        return;
    };
    let project = mnist_with_steps(3000);
    let dir = crate::common::temp_dir("book-5_2_1");
    let opts = flowbench::export::ExportOptions {
        project_dir: Some(root().join("assets/examples")),
        script_dir: Some(dir.clone()),
        ..Default::default()
    };
    let ex = flowbench::export::python::export(&project, &opts).unwrap();
    assert!(ex.unsupported.is_empty(), "{:?}", ex.unsupported);
    let script = dir.join("5_2_1_mnist.py");
    std::fs::write(&script, &ex.text).unwrap();
    let out = std::process::Command::new(python).arg(&script).env("TF_CPP_MIN_LOG_LEVEL", "3").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), MNIST_OUT);
}

/// `log.end.split` names an IDX set; a table is evaluated on all its rows.
#[test]
fn an_end_line_split_needs_an_idx_dataset() {
    let mut p = custom_loss();
    for st in &mut p.script {
        if let Step::TrainLoop { log: Some(log), .. } = st {
            log.end = Some(EndLog { format: "%d".to_string(), args: vec![LogArg::Step], split: Some(Split::Test) });
        }
    }
    let e = p.validate().unwrap_err().to_string();
    assert!(e.contains("log.end.split: dataset 'sales' is a table"), "{e}");
}

/// The notes' Chinese for the examples built here (the notes panel shows them in 简体中文).
fn chinese_notes(stem: &str) -> Option<Translation> {
    let (name, description, comments): (&str, &str, &[&str]) = match stem {
        "4_2_2_custom_loss" => (
            "4.2.2 自定义损失函数",
            "少卖一件损失 10，多卖一件损失 1，所以模型学会预测得比 x1 + x2 稍多一些：loss = reduce_sum(tf.where(tf.greater(y, y_), (y - y_) * 1, (y_ - y) * 10))，用 Adam(0.001) 在 128 个点上训练，标签为 x1 + x2 加上 numpy 生成的 [-0.05, 0.05) 之间的噪声，batch 大小为 8，训练 5000 轮。",
            &["bool 条件上的 tf.where 就是 TF 1 的 Select 运算；它的梯度把 dy 传给被选中的分支，另一个分支为零。"],
        ),
        "4_4_1_learning_rate_decay" => (
            "4.4.1 学习率的设置（指数衰减）",
            "从 x = 5 开始用 GradientDescent 最小化 y = x^2，学习率为 tf.train.exponential_decay(0.1, global_step, 1, 0.96, staircase=True)；minimize(y, global_step=global_step) 在每次更新后把 global_step 加一。每 10 轮输出一次 x 和学习率。",
            &[
                "exponential_decay 按 TF 在 ExponentialDecay/ 下构建的运算保存（Cast、RealDiv、Floor、Pow、Mul）；训练运算 GradientDescent 是 global_step 的 AssignAdd，在 GradientDescent/update 把各个更新组合起来之后运行。",
            ],
        ),
        "4_4_3_moving_average" => (
            "4.4.3 滑动平均模型",
            "用 tf.train.ExponentialMovingAverage(0.99, step) 维护 v1 的滑动平均：ema.apply([v1]) 生成影子变量 v1/ExponentialMovingAverage 和更新运算；给定 step 时，衰减率为 min(0.99, (1 + step) / (10 + step))。先把 v1 设为 5，再（在 step 为 10000 时）设为 10，每次更新后输出 [v1, ema.average(v1)]，按 numpy 2 输出标量列表的格式。",
            &["TF 通过 IsVariableInitialized 上的 cond 初始化影子变量；这里它的初始化直接读取 v1 的初始值，取值相同。"],
        ),
        "5_2_1_mnist" => (
            "5.2.1 完整的 MNIST 程序",
            "本章完整的 MNIST 程序：一个 64-500-10 的 relu 网络（用真正的 MNIST 文件时输入为 784；这里用随附的 8x8 手写数字，按 MNIST 的 IDX 格式保存），用 GradientDescent 训练，学习率为 tf.train.exponential_decay(0.8, global_step, 1297 / 100, 0.99, staircase=True)，损失为交叉熵加上两层权重 L2 损失的 0.0001 倍；每个 batch 取 100 个样本，由 np.random.seed(0) 之后的 next_batch 给出；权重在 tf.set_random_seed(1) 下生成。对每个可训练变量维护 ExponentialMovingAverage(0.99, global_step)，得到滑动平均模型：每 500 轮（在该轮训练之前）输出它在验证集上的正确率，训练结束后输出它在测试集上的正确率。",
            &[
                "with tf.control_dependencies([train_step, variables_averages_op]): train_op = tf.no_op(name='train') 就是以这两者为控制输入的 NoOp train。",
            ],
        ),
        _ => return None,
    };
    Some(Translation {
        name: name.to_string(),
        description: description.to_string(),
        comments: comments.iter().map(|c| c.to_string()).collect(),
    })
}
