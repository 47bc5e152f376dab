//! Writes `assets/examples/3_4_5_training.json`: the seed's full training program (3.4.5) built
//! through the engine's Python-like API, so the stored graph holds exactly the ops TF would
//! create (gradients under `gradients/`, Adam's slots and update ops). Run it after changing the
//! engine's graph construction: `cargo run --example make_training_example`.

use flowbench::engine::autodiff::optimizers::Optimizer;
use flowbench::project::script::{ColumnFeedDef, TrainLogDef};
use flowbench::project::{Project, Step, graph_def_from};
use std::collections::HashMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = flowbench::train::seed::build(&Optimizer::adam(0.001))?;
    let (w1, w2, x, y_, y, loss, train) = (seed.w1, seed.w2, seed.x, seed.y_, seed.y, seed.loss, seed.train);
    let mut g = seed.graph;
    g.global_variables_initializer()?;

    // A readable layout: the forward pass in columns by depth; each gradient op below the op it
    // differentiates (as TensorBoard draws them); the optimizer's state and updates below that.
    let mut depth: HashMap<String, usize> = HashMap::new();
    let is_forward = |name: &str| {
        !(name.starts_with("gradients")
            || name.starts_with("Adam")
            || name.contains("/Adam")
            || name.contains("_power"))
            && name != "init"
    };
    for n in g.nodes() {
        if !is_forward(&n.name) {
            continue;
        }
        let d = n
            .inputs
            .iter()
            .filter_map(|t| g.node(t.node))
            .filter_map(|p| depth.get(&p.name))
            .map(|d| d + 1)
            .max()
            .unwrap_or(0);
        depth.insert(n.name.clone(), d);
    }
    let max_depth = depth.values().copied().max().unwrap_or(0);
    let mut used: HashMap<(usize, usize), usize> = HashMap::new();
    let mut pos = HashMap::new();
    let mut place = |name: &str, col: usize, band: usize, pos: &mut HashMap<String, [f32; 2]>| {
        let k = used.entry((col, band)).or_insert(0);
        pos.insert(name.to_string(), [col as f32 * 250.0, band as f32 * 700.0 + *k as f32 * 95.0]);
        *k += 1;
    };
    for n in g.nodes() {
        let name = n.name.as_str();
        if let Some(&d) = depth.get(name) {
            place(name, d, 0, &mut pos);
        } else if let Some(rest) = name.strip_prefix("gradients/") {
            let op = rest.split("_grad/").next().unwrap_or(rest);
            let col = depth.get(op).copied().unwrap_or(max_depth + 1);
            place(name, col, 1, &mut pos);
        } else if name == "init" {
            place(name, max_depth + 1, 0, &mut pos);
        } else {
            let var = name.split('/').next().unwrap_or(name);
            let col = depth.get(var).copied().unwrap_or(max_depth + 1);
            place(name, col, 2, &mut pos);
        }
    }
    let gd = graph_def_from("default", &g, &pos);

    let name = |t| g.tensor_name(t);
    let project = Project {
        name: "3.4.5 A complete training program".to_string(),
        description: "The seed's full program: a 2-3-1 network with a sigmoid output, trained with Adam(0.001) on 128 points from numpy's RandomState(1), labelled x1 + x2 < 1, in batches of 8 for 5000 steps, printing the cross entropy on all data every 1000 steps and the weights before and after.".to_string(),
        comments: vec![
            "The graph is stored as TF builds it: the forward pass, the gradient ops under gradients/, and Adam's slot variables (Variable/Adam, Variable/Adam_1, beta1_power, beta2_power) and update ops.".to_string(),
            "tf.clip_by_value is one ClipByValue node here; TF 2.x builds it from Minimum and Maximum, with the same values and gradient.".to_string(),
        ],
        default_graph: "default".to_string(),
        graphs: vec![gd],
        datasets: vec![flowbench::train::seed::dataset()],
        script: vec![
            Step::Comment { text: "with tf.Session() as sess:".to_string() },
            Step::OpenSession { id: "sess".to_string(), graph: None, config: None, interactive: false },
            Step::EnterDefault { session: "sess".to_string() },
            Step::Run { session: Some("sess".to_string()), fetches: vec![], targets: vec!["init".to_string()], feeds: vec![], graph: None, print: false },
            Step::Run { session: Some("sess".to_string()), fetches: vec![name(w1)], targets: vec![], feeds: vec![], graph: None, print: true },
            Step::Run { session: Some("sess".to_string()), fetches: vec![name(w2)], targets: vec![], feeds: vec![], graph: None, print: true },
            Step::TrainLoop {
                session: Some("sess".to_string()),
                dataset: "seed".to_string(),
                feeds: vec![
                    ColumnFeedDef { tensor: name(x), columns: vec!["x1".to_string(), "x2".to_string()] },
                    ColumnFeedDef { tensor: name(y_), columns: vec!["y".to_string()] },
                ],
                train_op: g.node(train).map(|n| n.name.clone()).unwrap_or_default(),
                fetches: vec![name(y), name(y_)],
                batch_loss: Some(name(loss)),
                steps: 5000,
                batch_size: 8,
                batching: Default::default(),
                log: Some(TrainLogDef {
                    every: 1000,
                    loss: name(loss),
                    format: "After %d training step(s), cross entropy on all data is %g".to_string(),
                    split: None,
                    args: Vec::new(),
                    before_step: false,
                    end: None,
                }),
            },
            Step::Run { session: Some("sess".to_string()), fetches: vec![name(w1)], targets: vec![], feeds: vec![], graph: None, print: true },
            Step::Run { session: Some("sess".to_string()), fetches: vec![name(w2)], targets: vec![], feeds: vec![], graph: None, print: true },
            Step::ExitDefault,
            Step::CloseSession { session: "sess".to_string() },
        ],
        ..Project::default()
    };
    project.validate()?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/3_4_5_training.json");
    project.save(&path)?;
    println!("wrote {} ({} nodes)", path.display(), g.nodes().len());
    Ok(())
}
