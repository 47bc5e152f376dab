//! The editor's collapsed groups and the train panel's guesses come from what `minimize` built,
//! recovered from the graph's structure: the same on the bundled examples and for every
//! optimizer, and unchanged when every node is renamed.

use flowbench::app::examples::EXAMPLES;
use flowbench::app::model::document::rename_in;
use flowbench::app::model::training::trained_variables;
use flowbench::app::panels::graph_editor::{Groups, scope_groups};
use flowbench::engine::autodiff::optimizers::Optimizer;
use flowbench::project::lower::lower_tolerant;
use flowbench::project::{GraphDef, Project, graph_def_from};
use std::collections::HashMap;

fn groups(gd: &GraphDef, expanded: &[&str]) -> Groups {
    let (g, errs) = lower_tolerant(gd, None);
    assert!(errs.is_empty(), "{errs:?}");
    scope_groups(gd, &g, &expanded.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

fn sizes(g: &Groups) -> Vec<(String, usize)> {
    g.names.iter().cloned().zip(g.members.iter().map(Vec::len)).collect()
}

#[test]
fn bundled_examples_collapse_gradients_and_the_optimizer() {
    for ex in EXAMPLES {
        let p = Project::from_json_str(ex.text).unwrap();
        for gd in &p.graphs {
            let g = groups(gd, &[]);
            let want: Vec<(String, usize)> = match ex.file {
                "3_4_5_training.json" | "csv_points.json" => vec![("gradients".into(), 28), ("Adam".into(), 29)],
                "4_2_2_custom_loss.json" => vec![("gradients".into(), 20), ("Adam".into(), 22)],
                // minimize(global_step=): the update, then the step's AssignAdd named GradientDescent.
                "4_4_1_learning_rate_decay.json" => {
                    vec![("gradients".into(), 4), ("GradientDescent/update".into(), 2), ("GradientDescent".into(), 2)]
                }
                "debug_log_of_zero.json" => vec![("gradients".into(), 26), ("Adam".into(), 29)],
                // The same with four variables; then, in this graph of 118 nodes, its other name
                // scopes of 3 or more: each weight with its moving average, the moving averages'
                // updates and the decayed learning rate.
                "5_2_1_mnist.json" => vec![
                    ("gradients".into(), 19),
                    ("GradientDescent/update".into(), 5),
                    ("GradientDescent".into(), 2),
                    ("Variable".into(), 4),
                    ("Variable_1".into(), 4),
                    ("Variable_2".into(), 4),
                    ("Variable_3".into(), 4),
                    ("ExponentialMovingAverage".into(), 29),
                    ("ExponentialDecay".into(), 8),
                ],
                _ => Vec::new(),
            };
            assert_eq!(sizes(&g), want, "{}", ex.file);
            let members: Vec<Vec<&str>> =
                g.members.iter().map(|m| m.iter().map(|&i| gd.nodes[i].name.as_str()).collect()).collect();
            for (name, m) in g.names.iter().zip(&members) {
                // On these files TF's scopes and the recovered structure agree.
                let scoped = |n: &str| match name.as_str() {
                    "gradients" => n.starts_with("gradients/"),
                    _ => {
                        n.starts_with(name.as_str())
                            || n.starts_with("Adam")
                            || n.contains("/Adam")
                            || n.starts_with("beta")
                    }
                };
                assert!(m.iter().all(|n| scoped(n)), "{}: {name}: {m:?}", ex.file);
            }
            // Expanding the optimizer's group (the last) leaves the others collapsed.
            if let Some((last, rest)) = want.split_last() {
                assert_eq!(sizes(&groups(gd, &[last.0.as_str()])), rest.to_vec(), "{}", ex.file);
            }
        }
    }
}

#[test]
fn every_optimizer_is_grouped_under_its_train_op() {
    let cases = [
        (Optimizer::GradientDescent { learning_rate: 0.1 }, "GradientDescent", 4),
        (Optimizer::Momentum { learning_rate: 0.1, momentum: 0.9, use_nesterov: false }, "Momentum", 11),
        (Optimizer::Momentum { learning_rate: 0.1, momentum: 0.9, use_nesterov: true }, "Momentum", 11),
        (Optimizer::adam(0.001), "Adam", 29),
        (Optimizer::RMSProp { learning_rate: 0.1, decay: 0.9, momentum: 0.0, epsilon: 1e-10 }, "RMSProp", 19),
    ];
    for (opt, name, n) in cases {
        let seed = flowbench::train::seed::build(&opt).unwrap();
        let gd = graph_def_from("g", &seed.graph, &HashMap::new());
        // 27: one node fewer than the bundled 3_4_5_training.json, saved before `1 - y_`'s
        // gradient followed TF in reducing only the scalar's side.
        assert_eq!(sizes(&groups(&gd, &[])), vec![("gradients".to_string(), 27), (name.to_string(), n)], "{opt:?}");
        assert_eq!(trained_variables(&gd), ["Variable", "Variable_1"], "{opt:?}");
    }
}

#[test]
fn groups_and_trained_variables_do_not_depend_on_names() {
    let ex = EXAMPLES.iter().find(|e| e.file == "3_4_5_training.json").unwrap();
    let p = Project::from_json_str(ex.text).unwrap();
    let gd = &p.graphs[0];
    let before = groups(gd, &[]);
    let mut renamed = gd.clone();
    let olds: Vec<String> = gd.nodes.iter().map(|n| n.name.clone()).collect();
    for (i, old) in olds.iter().enumerate() {
        rename_in(&mut renamed, old, &format!("n{i}"));
    }
    let after = groups(&renamed, &[]);
    assert_eq!(after.members, before.members);
    assert_eq!(after.of, before.of);
    let train_op = olds.iter().position(|n| n == "Adam").unwrap();
    assert_eq!(after.names, ["gradients".to_string(), format!("n{train_op}")]);
    let vars: Vec<String> =
        ["Variable", "Variable_1"].iter().map(|v| format!("n{}", olds.iter().position(|n| n == v).unwrap())).collect();
    assert_eq!(trained_variables(&renamed), vars);
}
