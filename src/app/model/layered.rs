//! The canvas's layered layout and the scopes it collapses. [`scope_groups`] finds what
//! `minimize` built into a graph (its gradients, and each optimizer with its slots) from the
//! graph's structure, and the other big name scopes; [`layered_layout`] lays a graph out left to right in layers, Sugiyama
//! style: the forward pass first, then each group in a band of its own (so a collapsed group's
//! band can be folded away on the canvas), each band layered by longest path (sources moved up
//! to just before their first consumer), the order within a layer found by barycentre sweeps
//! that keep the ordering with the fewest crossings, and coordinates from estimated node sizes
//! with each node pulled towards the mean height of its neighbours.

use crate::engine::autodiff::optimizers::{ancestors, built_nodes, find_minimized};
use crate::engine::graph::tensor_name::TensorName;
use crate::engine::graph::{Graph, NodeId as EngineNodeId};
use crate::project::{GraphDef, NodeDef};
use std::collections::HashMap;

/// Scopes drawn as one group node: per node of the graph, the group it is drawn in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups {
    /// Group names (`gradients`, `Adam`), in order; group `k` is snarl payload `nodes + k`.
    pub names: Vec<String>,
    /// Members of each group.
    pub members: Vec<Vec<usize>>,
    /// Per node: its group, if collapsed.
    pub of: Vec<Option<usize>>,
}

/// The scope a node belongs to for collapsing, from what `minimize` built (recovered from the
/// graph's structure, [`recover_minimized`], never from node names): `gradients` for its
/// gradient nodes (those the updates' gradient inputs depend on, and the gradients no update
/// uses), and the train op's name (`Adam`) for the rest of what it built: the train op, apply
/// ops, hyper-parameters, slots and non-slot variables (`Variable/Adam`, `beta1_power`) with
/// their initializers, and the updates of the non-slot variables; then, in a graph of at least
/// [`SCOPE_GROUPS_FROM`] nodes, each other top-level name scope of [`SCOPE_GROUP_MIN`] or more, as TensorBoard groups them
/// (`ExponentialMovingAverage`, `ExponentialDecay`). Scopes named in `expanded` are left out.
///
/// [`recover_minimized`]: crate::engine::autodiff::optimizers::recover_minimized
pub fn scope_groups(gd: &GraphDef, graph: &Graph, expanded: &[String]) -> Groups {
    let n = gd.nodes.len();
    let index: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    let at = |id: EngineNodeId| graph.node(id).and_then(|m| index.get(m.name.as_str()).copied());
    let mut of: Vec<Option<String>> = vec![None; n];
    let mut minimized = find_minimized(graph);
    minimized.sort_by_key(|m| at(m.train_op));
    let mut scopes: Vec<String> = Vec::new();
    for m in &minimized {
        let Some(scope) = graph.node(m.train_op).map(|t| t.name.clone()) else { continue };
        let gradients: Vec<EngineNodeId> = m.variables.iter().map(|v| v.gradient.node).collect();
        let feeds_updates = ancestors(graph, &gradients);
        let inits = m.optimizer_initializers(graph);
        let optimizer_side = ancestors(graph, &[&[m.train_op][..], &inits].concat());
        for id in built_nodes(graph, m) {
            let Some(i) = at(id) else { continue };
            if of[i].is_some() {
                continue;
            }
            let opt = optimizer_side.contains(&id) && !feeds_updates.contains(&id);
            of[i] = Some(if opt { scope.clone() } else { "gradients".to_string() });
        }
        scopes.push(scope);
    }
    let mut g = Groups { of: vec![None; n], ..Default::default() };
    for name in ["gradients".to_string()].into_iter().chain(scopes) {
        if expanded.contains(&name) || g.names.contains(&name) {
            continue;
        }
        let members: Vec<usize> = (0..n).filter(|&i| of[i].as_deref() == Some(name.as_str())).collect();
        if members.len() >= 2 {
            g.push(name, members);
        }
    }
    if n < SCOPE_GROUPS_FROM {
        return g;
    }
    // Then, in a big graph, as TensorBoard does, each remaining top-level name scope of at least
    // `SCOPE_GROUP_MIN` nodes (`ExponentialMovingAverage/`, `ExponentialDecay/`), with the node
    // named like the scope itself; in the order of their first nodes.
    let mut order: Vec<&str> = Vec::new();
    let mut by_scope: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, m) in gd.nodes.iter().enumerate() {
        if g.of[i].is_some() || of[i].is_some() {
            continue;
        }
        let scope = m.name.split_once('/').map_or(m.name.as_str(), |(s, _)| s);
        by_scope
            .entry(scope)
            .or_insert_with(|| {
                order.push(scope);
                Vec::new()
            })
            .push(i);
    }
    for scope in order {
        let members = by_scope.remove(scope).unwrap_or_default();
        let scoped = members.iter().filter(|&&i| gd.nodes[i].name.contains('/')).count();
        let name = scope.to_string();
        if scoped >= SCOPE_GROUP_MIN && !expanded.contains(&name) && !g.names.contains(&name) {
            g.push(name, members);
        }
    }
    g
}

impl Groups {
    /// Adds group `name` of `members`.
    fn push(&mut self, name: String, members: Vec<usize>) {
        let k = self.names.len();
        for &m in &members {
            if let Some(of) = self.of.get_mut(m) {
                *of = Some(k);
            }
        }
        self.names.push(name);
        self.members.push(members);
    }
}

/// A name scope that `minimize` did not build is drawn as one group from this many nodes...
pub const SCOPE_GROUP_MIN: usize = 3;
/// ...in a graph of at least this many nodes (smaller graphs are read whole).
pub const SCOPE_GROUPS_FROM: usize = 60;

/// Canvas pixels per project position unit (the examples' positions are spaced for small
/// nodes; the canvas spreads them out).
pub const CANVAS_SCALE: [f32; 2] = [1.5, 1.3];

/// Horizontal room between two layers, in canvas pixels.
const LAYER_GAP: f32 = 48.0;
/// Vertical room between two nodes of a layer, in canvas pixels.
const NODE_GAP: f32 = 16.0;
/// Barycentre sweeps (each one down and one up).
const SWEEPS: usize = 12;

/// A node's size on the canvas at 1:1, estimated from its labels (header: name and op type;
/// each output: `name:k shape dtype`; one row per pin).
pub fn estimated_size(n: &NodeDef) -> [f32; 2] {
    let header = n.name.chars().count() + n.op.type_name().len() + 3;
    let output = n.name.chars().count() + 17 + if n.inputs.is_empty() { 0 } else { 6 };
    let chars = header.max(output) as f32;
    let rows = (n.op.input_names().len().max(n.inputs.len()) + usize::from(!n.control_inputs.is_empty()))
        .max(n.op.num_outputs() + 1);
    [chars * 7.2 + 40.0, 34.0 + 20.0 * rows as f32]
}

/// Positions for every node of `gd`, in canvas pixels at 1:1 (top-left corners, the top-left
/// node at the origin). `group_of` gives each node's group (`None`: the forward pass); each
/// group gets a band of layers of its own, after the forward pass, in group order.
pub fn layered_layout(gd: &GraphDef, group_of: &[Option<usize>]) -> Vec<[f32; 2]> {
    let n = gd.nodes.len();
    if n == 0 {
        return Vec::new();
    }
    let index: HashMap<&str, usize> = gd.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    // Edges (from, to), one per pair of nodes.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, m) in gd.nodes.iter().enumerate() {
        let srcs = m
            .inputs
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| TensorName::op_of(t))
            .chain(m.control_inputs.iter().map(String::as_str));
        for s in srcs {
            if let Some(&j) = index.get(s)
                && j != i
                && !preds[i].contains(&j)
            {
                preds[i].push(j);
                succs[j].push(i);
            }
        }
    }
    let band = |i: usize| group_of.get(i).copied().flatten().map_or(0, |k| k + 1);
    let bands = (0..n).map(band).max().unwrap_or(0) + 1;

    // Layers: longest path within each band (bounded relaxation, so a cycle cannot loop),
    // then each source moved up to just before its first consumer in the band.
    let mut layer = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for i in 0..n {
            let d = preds[i].iter().filter(|&&j| band(j) == band(i)).map(|&j| layer[j] + 1).max().unwrap_or(0);
            if d > layer[i] && d < n {
                layer[i] = d;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for i in 0..n {
        if preds[i].iter().any(|&j| band(j) == band(i)) {
            continue;
        }
        if let Some(first) = succs[i].iter().filter(|&&j| band(j) == band(i)).map(|&j| layer[j]).min() {
            layer[i] = first.saturating_sub(1);
        }
    }
    // Bands one after another.
    let mut offset = 0;
    let mut global = vec![0usize; n];
    for b in 0..bands {
        let members: Vec<usize> = (0..n).filter(|&i| band(i) == b).collect();
        if members.is_empty() {
            continue;
        }
        let depth = members.iter().map(|&i| layer[i]).max().unwrap_or(0) + 1;
        for &i in &members {
            global[i] = offset + layer[i];
        }
        offset += depth;
    }
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); offset.max(1)];
    for i in 0..n {
        layers[global[i]].push(i);
    }

    // Order within layers: barycentre sweeps down and up, keeping the best ordering seen.
    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, &succs, &global);
    for _ in 0..SWEEPS {
        for l in 1..layers.len() {
            sort_by_barycentre(&mut layers, l, &preds, &global, true);
        }
        for l in (0..layers.len().saturating_sub(1)).rev() {
            sort_by_barycentre(&mut layers, l, &succs, &global, false);
        }
        let c = crossings(&layers, &succs, &global);
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
        }
    }
    let layers = best;

    // Coordinates: columns as wide as their widest node; within a column, each node as near
    // the mean height of its neighbours to the left as the order allows.
    let sizes: Vec<[f32; 2]> = gd.nodes.iter().map(estimated_size).collect();
    let mut pos = vec![[0.0f32, 0.0f32]; n];
    let mut x = 0.0;
    for nodes in &layers {
        let width = nodes.iter().map(|&i| sizes[i][0]).fold(0.0, f32::max);
        let mut next_free = f32::NEG_INFINITY;
        let mut stacked = 0.0;
        for &i in nodes {
            let left: Vec<f32> =
                preds[i].iter().filter(|&&j| global[j] < global[i]).map(|&j| pos[j][1] + sizes[j][1] / 2.0).collect();
            let want = if left.is_empty() {
                stacked
            } else {
                left.iter().sum::<f32>() / left.len() as f32 - sizes[i][1] / 2.0
            };
            let y = want.max(next_free);
            pos[i] = [x, y];
            next_free = y + sizes[i][1] + NODE_GAP;
            stacked = next_free;
        }
        x += width + LAYER_GAP;
    }
    let top = pos.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min);
    for p in &mut pos {
        p[1] -= top;
    }
    pos
}

/// Room between two columns of the overview, in points (for the wires).
const OVERVIEW_COL_GAP: f32 = 24.0;
/// Room between two cards of an overview column, in points.
const OVERVIEW_ROW_GAP: f32 = 6.0;
/// The most bands the overview cuts a graph into.
const OVERVIEW_MAX_BANDS: usize = 8;
/// Room between two bands of the overview, in points.
const OVERVIEW_BAND_GAP: f32 = 20.0;

/// The overview's positions (top-left corners, in points at 1:1) of cards of size `cards`, in
/// the columns and order of their detailed positions `detail` (nodes with the same x form a
/// column, kept in their top-to-bottom order), each card as near the mean height of its
/// predecessors (`preds`) to its left as the cards above it allow; a column taller than `area`
/// is cut into several side by side. The columns are cut into
/// bands stacked top to bottom (a long forward pass wraps as text does, each band as wide as
/// the others): the fewest bands that fit `area` at 1:1, else those that fit it at the largest
/// scale.
pub fn overview_positions(
    detail: &[[f32; 2]],
    cards: &[[f32; 2]],
    preds: &[Vec<usize>],
    area: [f32; 2],
) -> Vec<[f32; 2]> {
    let n = detail.len().min(cards.len());
    if n == 0 {
        return Vec::new();
    }
    let mut xs: Vec<f32> = detail[..n].iter().map(|p| p[0]).collect();
    xs.sort_by(f32::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 1.0);
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); xs.len()];
    for (i, p) in detail[..n].iter().enumerate() {
        let c = xs.iter().position(|x| (x - p[0]).abs() < 1.0).unwrap_or(0);
        columns[c].push(i);
    }
    for col in &mut columns {
        col.sort_by(|&a, &b| detail[a][1].total_cmp(&detail[b][1]));
    }
    // A column taller than the area (many sources, such as a network's weights and biases) is
    // cut into side-by-side columns of even length, in its order.
    let columns: Vec<Vec<usize>> = columns
        .into_iter()
        .flat_map(|col| {
            let height = col.iter().map(|&i| cards[i][1] + OVERVIEW_ROW_GAP).sum::<f32>() - OVERVIEW_ROW_GAP;
            let parts = ((height / area[1].max(1.0)).ceil() as usize).clamp(1, col.len().max(1));
            let per = col.len().div_ceil(parts).max(1);
            col.chunks(per).map(<[usize]>::to_vec).collect::<Vec<_>>()
        })
        .collect();
    let widths: Vec<f32> = columns.iter().map(|c| c.iter().map(|&i| cards[i][0]).fold(0.0, f32::max)).collect();
    let band_width = |a: usize, b: usize| widths[a..b].iter().sum::<f32>() + OVERVIEW_COL_GAP * (b - a - 1) as f32;
    // Lays out bands ending before each of `ends`: the positions, the width and the height.
    let place = |ends: &[usize]| {
        let mut pos = vec![[0.0f32; 2]; n];
        let mut placed = vec![false; n];
        let (mut width, mut y0, mut start) = (0.0f32, 0.0f32, 0);
        for &end in ends {
            let (mut x, mut bottom) = (0.0f32, y0);
            for c in start..end {
                let mut next_free = y0;
                for &i in &columns[c] {
                    let left: Vec<f32> = preds
                        .get(i)
                        .into_iter()
                        .flatten()
                        .filter(|&&j| j < n && placed[j])
                        .map(|&j| pos[j][1] + cards[j][1] / 2.0)
                        .collect();
                    let want = if left.is_empty() {
                        next_free
                    } else {
                        left.iter().sum::<f32>() / left.len() as f32 - cards[i][1] / 2.0
                    };
                    let y = want.max(next_free);
                    pos[i] = [x, y];
                    next_free = y + cards[i][1] + OVERVIEW_ROW_GAP;
                }
                for &i in &columns[c] {
                    placed[i] = true;
                }
                bottom = bottom.max(next_free - OVERVIEW_ROW_GAP);
                x += widths[c] + OVERVIEW_COL_GAP;
            }
            // A band's wires come from its own columns: the next band starts afresh.
            placed.iter_mut().for_each(|p| *p = false);
            width = width.max(x - OVERVIEW_COL_GAP);
            y0 = bottom + OVERVIEW_BAND_GAP;
            start = end;
        }
        (pos, width, y0 - OVERVIEW_BAND_GAP)
    };
    let mut best: Option<(f32, Vec<[f32; 2]>)> = None;
    // More bands than this would not be read as one flow (and the search grows with each).
    for bands in 1..=columns.len().min(OVERVIEW_MAX_BANDS) {
        let ends = balanced_cuts(columns.len(), bands, &band_width);
        let (pos, width, height) = place(&ends);
        // Any arrangement shown at 1:1 will do: the fewest bands keep the flow left to right.
        let scale = (area[0] / width.max(1.0)).min(area[1] / height.max(1.0)).min(1.0);
        if best.as_ref().is_none_or(|(s, _)| scale > *s * 1.001) {
            best = Some((scale, pos));
        }
        if scale >= 1.0 {
            break;
        }
    }
    best.map(|(_, p)| p).unwrap_or_default()
}

/// Cuts `m` columns into `k` contiguous bands with the widest band (`width(a, b)` for columns
/// `a..b`) as narrow as can be: the end of each band.
fn balanced_cuts(m: usize, k: usize, width: &dyn Fn(usize, usize) -> f32) -> Vec<usize> {
    let k = k.clamp(1, m.max(1));
    // best[j][i]: the narrowest widest band cutting columns i.. into j + 1 bands, and the cut.
    let mut best = vec![vec![(f32::INFINITY, m); m + 1]; k];
    for (i, b) in best[0].iter_mut().enumerate().take(m) {
        *b = (width(i, m), m);
    }
    for j in 1..k {
        for i in 0..m {
            for cut in i + 1..m {
                let w = width(i, cut).max(best[j - 1][cut].0);
                if w < best[j][i].0 {
                    best[j][i] = (w, cut);
                }
            }
        }
    }
    let mut ends = Vec::with_capacity(k);
    let (mut i, mut j) = (0, k - 1);
    loop {
        let (_, cut) = best[j][i];
        ends.push(cut);
        if j == 0 || cut >= m {
            break;
        }
        i = cut;
        j -= 1;
    }
    ends
}

/// Sorts layer `l` by the mean position of each node's neighbours in the layers before it
/// (`before`) or after it; a node without such neighbours keeps its place.
fn sort_by_barycentre(layers: &mut [Vec<usize>], l: usize, nbrs: &[Vec<usize>], global: &[usize], before: bool) {
    let mut rank: HashMap<usize, f32> = HashMap::new();
    for nodes in layers.iter() {
        for (r, &i) in nodes.iter().enumerate() {
            rank.insert(i, (r as f32 + 0.5) / nodes.len() as f32);
        }
    }
    let nodes = &layers[l];
    let keys: Vec<(usize, f32)> = nodes
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let near: Vec<f32> = nbrs[i]
                .iter()
                .filter(|&&j| if before { global[j] < l } else { global[j] > l })
                .filter_map(|j| rank.get(j).copied())
                .collect();
            let own = (r as f32 + 0.5) / nodes.len() as f32;
            (i, if near.is_empty() { own } else { near.iter().sum::<f32>() / near.len() as f32 })
        })
        .collect();
    let mut keys = keys;
    keys.sort_by(|a, b| a.1.total_cmp(&b.1));
    layers[l] = keys.into_iter().map(|(i, _)| i).collect();
}

/// Crossings between the edges joining neighbouring layers (long edges counted between their
/// end layers' positions).
fn crossings(layers: &[Vec<usize>], succs: &[Vec<usize>], global: &[usize]) -> usize {
    let mut rank = vec![0.0f32; global.len()];
    for nodes in layers {
        for (r, &i) in nodes.iter().enumerate() {
            rank[i] = (r as f32 + 0.5) / nodes.len() as f32;
        }
    }
    let mut total = 0;
    for (l, nodes) in layers.iter().enumerate() {
        let edges: Vec<(f32, f32, usize)> = nodes
            .iter()
            .flat_map(|&i| succs[i].iter().filter(|&&j| global[j] > l).map(move |&j| (i, j)))
            .map(|(i, j)| (rank[i], rank[j], global[j]))
            .collect();
        for (a, e) in edges.iter().enumerate() {
            for f in &edges[a + 1..] {
                if e.2 == f.2 && (e.0 - f.0) * (e.1 - f.1) < 0.0 {
                    total += 1;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::op::Op;

    fn node(name: &str, inputs: &[&str]) -> NodeDef {
        NodeDef {
            name: name.to_string(),
            op: Op::NoOp,
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            control_inputs: Vec::new(),
            device: String::new(),
            pos: None,
        }
    }

    #[test]
    fn layers_go_left_to_right_and_bands_follow_the_forward_pass() {
        let gd = GraphDef {
            name: "g".into(),
            nodes: vec![node("a", &[]), node("b", &["a:0"]), node("c", &["b:0"]), node("g", &["a:0", "c:0"])],
            ..Default::default()
        };
        let pos = layered_layout(&gd, &[None, None, None, Some(0)]);
        assert!(pos[0][0] < pos[1][0] && pos[1][0] < pos[2][0] && pos[2][0] < pos[3][0]);
        assert_eq!(pos.iter().map(|p| p[1]).fold(f32::INFINITY, f32::min), 0.0);
    }

    #[test]
    fn barycentre_ordering_removes_a_crossing() {
        // a→d and b→c drawn in file order would cross: the sweep swaps c and d.
        let gd = GraphDef {
            name: "g".into(),
            nodes: vec![node("a", &[]), node("b", &[]), node("c", &["b:0"]), node("d", &["a:0"])],
            ..Default::default()
        };
        let pos = layered_layout(&gd, &[None; 4]);
        assert_eq!(pos[0][1] < pos[1][1], pos[3][1] < pos[2][1]);
    }

    #[test]
    fn the_overview_keeps_columns_and_wraps_a_long_chain_into_bands() {
        // A chain of 8 nodes, 100 wide each: one band is 868 wide, two bands fit 500x100.
        let detail: Vec<[f32; 2]> = (0..8).map(|i| [i as f32 * 300.0, 0.0]).collect();
        let cards = vec![[100.0, 30.0]; 8];
        let preds: Vec<Vec<usize>> = (0..8).map(|i| if i == 0 { vec![] } else { vec![i - 1] }).collect();
        let one = overview_positions(&detail, &cards, &preds, [2000.0, 100.0]);
        assert!(one.windows(2).all(|w| w[0][0] < w[1][0] && w[0][1] == w[1][1]), "{one:?}");
        let two = overview_positions(&detail, &cards, &preds, [500.0, 100.0]);
        assert_eq!(two[0], [0.0, 0.0]);
        assert!(two[4][0] == 0.0 && two[4][1] > 30.0, "the second band starts under the first: {two:?}");
        assert!(two.iter().all(|p| p[0] + 100.0 <= 500.0));
        // A column keeps its order, and its cards do not overlap.
        let detail = vec![[0.0, 0.0], [0.0, 10.0], [200.0, 5.0]];
        let p = overview_positions(&detail, &[[80.0, 30.0]; 3], &[vec![], vec![], vec![1]], [1000.0, 1000.0]);
        assert!(p[1][1] >= p[0][1] + 30.0 && p[0][0] == p[1][0] && p[2][0] > 80.0, "{p:?}");
        assert_eq!(p[2][1], p[1][1], "level with its predecessor");
    }

    #[test]
    fn bands_are_cut_evenly() {
        let w = [10.0, 10.0, 10.0, 30.0];
        let width = |a: usize, b: usize| w[a..b].iter().sum::<f32>();
        assert_eq!(balanced_cuts(4, 2, &width), vec![3, 4]);
        assert_eq!(balanced_cuts(4, 1, &width), vec![4]);
        assert_eq!(balanced_cuts(4, 4, &width), vec![1, 2, 3, 4]);
    }
}
