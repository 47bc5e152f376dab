//! Shape inference: checks an op's input dtypes and infers its output dtypes and static shapes,
//! with TF's error messages (`Dimensions must be equal, but are 3 and 2 for '{{node MatMul}} =
//! MatMul[...]' with input shapes: [2,3], [2,3].`).

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::graph::op::Op;
use crate::engine::shape::Shape;

/// What shape inference learns about one input: its dtype, static shape, and its value when it
/// is a constant (reduction axes and the like need it).
#[derive(Clone, Debug)]
pub struct InputInfo {
    /// Element type.
    pub dtype: DType,
    /// Static shape.
    pub shape: Shape,
}

/// Context for inference errors: how TF names the node in `{{node add}} = AddV2[T=DT_FLOAT](a, b)`.
pub struct NodeContext<'a> {
    /// The node name.
    pub name: &'a str,
    /// Input tensor names as TF writes them (`a`, `split:1`).
    pub input_names: &'a [String],
}

impl NodeContext<'_> {
    fn node_def(&self, op: &Op, t: Option<DType>) -> String {
        format!(
            "{{{{node {}}}}} = {}[{}]({})",
            self.name,
            op.type_name(),
            op.attr_summary(t),
            self.input_names.join(", ")
        )
    }
}

/// Checks input dtypes and infers the op's output dtypes and shapes, with TF's errors.
pub fn infer(op: &Op, inputs: &[InputInfo], ctx: &NodeContext<'_>) -> Result<Vec<(DType, Shape)>> {
    let names = op.input_names();
    if let Op::Unregistered { op_type, why, .. } = op {
        return Err(crate::engine::graph::op::not_registered_error(op_type, why).at(ctx.name));
    }
    if matches!(op, Op::AddN { n: 0 }) {
        return Err(Error::value_error(
            "List argument 'inputs' to 'AddN' Op with length 0 shorter than minimum length 1.",
        )
        .at(ctx.name));
    }
    if inputs.len() != names.len() {
        return Err(Error::value_error(format!(
            "{} op '{}' expects {} input(s) ({}), got {}",
            op.type_name(),
            ctx.name,
            names.len(),
            names.join(", "),
            inputs.len()
        )));
    }
    // Inputs that must share the first input's dtype.
    let same_type_inputs: Vec<usize> = (0..op.facts().same_dtype).collect();
    if let Some((&first, rest)) = same_type_inputs.split_first() {
        let t0 = inputs[first].dtype;
        for &i in rest {
            if inputs[i].dtype != t0 {
                return Err(Error::type_error(format!(
                    "Input '{}' of '{}' Op has type {} that does not match type {} of argument '{}'.",
                    names[i],
                    op.type_name(),
                    inputs[i].dtype,
                    t0,
                    names[first]
                ))
                .at(ctx.name));
            }
        }
    }
    let float_only = |d: DType| -> Result<()> {
        if d.is_float() {
            Ok(())
        } else {
            Err(Error::type_error(format!(
                "Value passed to parameter '{}' has DataType {} not in list of allowed values: float32, float64",
                names.first().copied().unwrap_or("x"),
                d
            ))
            .at(ctx.name))
        }
    };
    let t0 = inputs.first().map(|i| i.dtype);
    let dims_err = |a: usize, b: usize| -> Error {
        let shapes: Vec<String> = inputs.iter().map(|i| i.shape.list_form()).collect();
        Error::value_error(format!(
            "Dimensions must be equal, but are {a} and {b} for '{}' with input shapes: {}.",
            ctx.node_def(op, t0),
            shapes.join(", ")
        ))
        .at(ctx.name)
    };
    let rank_err = |which: usize, want: &str| -> Error {
        let shapes: Vec<String> = inputs.iter().map(|i| i.shape.list_form()).collect();
        Error::value_error(format!(
            "Shape must be {want} but is rank {} for '{}' with input shapes: {}.",
            inputs[which].shape.rank().unwrap_or(0),
            ctx.node_def(op, t0),
            shapes.join(", ")
        ))
        .at(ctx.name)
    };
    // Merges two static shapes as TF's `Merge` does, or says which dimension differs.
    let merge = |a: &Shape, b: &Shape, from: Option<&str>| -> Result<Shape> {
        let (Some(da), Some(db)) = (a.dims(), b.dims()) else {
            return Ok(if a.dims().is_some() { a.clone() } else { b.clone() });
        };
        let shapes: Vec<String> = inputs.iter().map(|i| i.shape.list_form()).collect();
        let tail = format!(
            "{} for '{}' with input shapes: {}.",
            from.map_or(String::new(), |f| format!("\n\t{f}")),
            ctx.node_def(op, t0),
            shapes.join(", ")
        );
        if da.len() != db.len() {
            return Err(Error::value_error(format!(
                "Shapes must be equal rank, but are {} and {}{tail}",
                da.len(),
                db.len()
            ))
            .at(ctx.name));
        }
        let mut out = Vec::with_capacity(da.len());
        for (k, (x, y)) in da.iter().zip(db).enumerate() {
            out.push(match (x, y) {
                (Some(x), Some(y)) if x != y => {
                    return Err(Error::value_error(format!(
                        "Dimension {k} in both shapes must be equal, but are {x} and {y}. Shapes are {} and {}.{tail}",
                        a.list_form(),
                        b.list_form()
                    ))
                    .at(ctx.name));
                }
                (Some(x), _) | (None, Some(x)) => Some(*x),
                (None, None) => None,
            });
        }
        Ok(Shape::from_dims(out))
    };
    Ok(match op {
        // Refused above, before the inputs are counted.
        Op::Unregistered { op_type, why, .. } => {
            return Err(crate::engine::graph::op::not_registered_error(op_type, why).at(ctx.name));
        }
        Op::Const { value } => vec![(value.0.dtype(), Shape::known(value.0.shape()))],
        Op::Placeholder { dtype, shape } => vec![(*dtype, shape.clone())],
        Op::Variable { dtype, shape } => {
            if !shape.is_fully_defined() {
                return Err(Error::value_error(format!(
                    "Shape of a new variable ({}) must be fully defined, but instead was {}.",
                    ctx.name, shape
                ))
                .at(ctx.name));
            }
            vec![(*dtype, shape.clone())]
        }
        Op::Assign { .. } => {
            let (a, b) = (&inputs[0].shape, &inputs[1].shape);
            if let (Some(da), Some(db)) = (a.dims(), b.dims()) {
                if da.len() != db.len() {
                    return Err(Error::value_error(format!(
                        "Shapes must be equal rank, but are {} and {} for '{}' with input shapes: {}, {}.",
                        da.len(),
                        db.len(),
                        ctx.node_def(op, t0),
                        a.list_form(),
                        b.list_form()
                    ))
                    .at(ctx.name));
                }
                for (x, y) in da.iter().zip(db) {
                    if let (Some(x), Some(y)) = (x, y)
                        && x != y
                    {
                        return Err(dims_err(*x, *y));
                    }
                }
            }
            vec![(inputs[0].dtype, a.clone())]
        }
        Op::AssignAdd | Op::AssignSub => {
            if inputs[0].dtype == DType::Bool {
                return Err(float_only(DType::Bool).unwrap_err());
            }
            let (a, b) = (&inputs[0].shape, &inputs[1].shape);
            if let (Some(ra), Some(rb)) = (a.rank(), b.rank())
                && ra != rb
            {
                return Err(Error::value_error(format!(
                    "Shapes must be equal rank, but are {ra} and {rb} for '{}' with input shapes: {}, {}.",
                    ctx.node_def(op, t0),
                    a.list_form(),
                    b.list_form()
                ))
                .at(ctx.name));
            }
            vec![(inputs[0].dtype, merge(a, b, None)?)]
        }
        Op::Identity => vec![(inputs[0].dtype, inputs[0].shape.clone())],
        Op::NoOp => vec![],
        Op::Select => {
            if inputs[0].dtype != DType::Bool {
                return Err(Error::type_error(format!(
                    "Input 'condition' of 'Select' Op has type {} that does not match expected type of bool.",
                    inputs[0].dtype
                ))
                .at(ctx.name));
            }
            if inputs[2].dtype != inputs[1].dtype {
                return Err(Error::type_error(format!(
                    "Input 'e' of 'Select' Op has type {} that does not match type {} of argument 't'.",
                    inputs[2].dtype, inputs[1].dtype
                ))
                .at(ctx.name));
            }
            let shape = merge(&inputs[1].shape, &inputs[2].shape, None)?;
            let c = &inputs[0].shape;
            match (c.rank(), shape.rank()) {
                (Some(1), Some(r)) if r != 1 => {
                    let first = Shape::from_dims(vec![shape.dim(0)]);
                    merge(c, &first, None)?;
                }
                (Some(0), _) => {}
                _ => {
                    merge(c, &shape, None)?;
                }
            }
            vec![(inputs[1].dtype, shape)]
        }
        Op::L2Loss => {
            float_only(inputs[0].dtype)?;
            vec![(inputs[0].dtype, Shape::known(&[]))]
        }
        Op::AddN { .. } => {
            let t = inputs[0].dtype;
            if inputs.iter().any(|i| i.dtype != t) {
                let types: Vec<String> = inputs.iter().map(|i| i.dtype.to_string()).collect();
                return Err(Error::type_error(format!(
                    "Tensors in list passed to 'inputs' of 'AddN' Op have types [{}] that don't all match.",
                    types.join(", ")
                ))
                .at(ctx.name));
            }
            if t == DType::Bool {
                return Err(float_only(t).unwrap_err());
            }
            let mut shape = inputs[0].shape.clone();
            for i in &inputs[1..] {
                shape = merge(&shape, &i.shape, Some("From merging shape 0 with other shapes."))?;
            }
            vec![(t, shape)]
        }
        Op::ArgMax { axis, output_type } => {
            if inputs[0].dtype == DType::Bool {
                return Err(float_only(DType::Bool).unwrap_err());
            }
            if !matches!(output_type, DType::Int32 | DType::Int64) {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'output_type' has DataType {output_type} not in list of allowed values: int32, int64"
                ))
                .at(ctx.name));
            }
            let shape = match inputs[0].shape.dims() {
                None => Shape::unknown(),
                Some(d) => {
                    let r = d.len() as i64;
                    if *axis < -r || *axis >= r {
                        return Err(Error::value_error(format!(
                            "Dimension ({axis}) must be in the range [{}, {r}), where {r} is the number of dimensions in the input. for '{}' with input shapes: {}, [] and with computed input tensors: input[1] = <{axis}>.",
                            -r,
                            ctx.node_def(op, t0),
                            inputs[0].shape.list_form()
                        ))
                        .at(ctx.name));
                    }
                    let at = if *axis < 0 { axis + r } else { *axis } as usize;
                    let mut d = d.to_vec();
                    d.remove(at);
                    Shape::from_dims(d)
                }
            };
            vec![(*output_type, shape)]
        }
        Op::Binary { kind } => {
            if kind.facts().no_bool && inputs[0].dtype == DType::Bool {
                return Err(float_only(DType::Bool).unwrap_err());
            }
            let shape = broadcast_static(&inputs[0].shape, &inputs[1].shape).map_err(|(a, b)| dims_err(a, b))?;
            let dt = if kind.is_comparison() { DType::Bool } else { inputs[0].dtype };
            vec![(dt, shape)]
        }
        Op::Unary { kind } => {
            if kind.is_float_only() {
                float_only(inputs[0].dtype)?;
            }
            vec![(inputs[0].dtype, inputs[0].shape.clone())]
        }
        Op::MatMul { transpose_a, transpose_b } => {
            if inputs[0].dtype == DType::Bool {
                float_only(DType::Bool)?;
            }
            for (i, input) in inputs.iter().enumerate().take(2) {
                if input.shape.rank().is_some_and(|r| r != 2) {
                    return Err(rank_err(i, "rank 2"));
                }
            }
            let (a, b) = (&inputs[0].shape, &inputs[1].shape);
            let (m, ka) = if *transpose_a { (a.dim(1), a.dim(0)) } else { (a.dim(0), a.dim(1)) };
            let (kb, n) = if *transpose_b { (b.dim(1), b.dim(0)) } else { (b.dim(0), b.dim(1)) };
            if let (Some(x), Some(y)) = (ka, kb)
                && x != y
            {
                return Err(dims_err(x, y));
            }
            vec![(inputs[0].dtype, Shape::from_dims(vec![m, n]))]
        }
        Op::ClipByValue => {
            for i in 1..3 {
                let ok = match (inputs[i].shape.dims(), inputs[0].shape.dims()) {
                    (Some(c), Some(t)) => c.is_empty() || c.len() == t.len(),
                    _ => true,
                };
                if !ok {
                    return Err(Error::value_error(format!(
                        "clip_value_min and clip_value_max must be scalars or have the shape of t, got {} for '{}'",
                        inputs[i].shape.list_form(),
                        ctx.name
                    ))
                    .at(ctx.name));
                }
            }
            vec![(inputs[0].dtype, inputs[0].shape.clone())]
        }
        Op::Reduce { kind, axes, keep_dims } => {
            if inputs[0].dtype == DType::Bool {
                float_only(DType::Bool)?;
            }
            let _ = kind;
            let shape = match inputs[0].shape.dims() {
                None => Shape::unknown(),
                Some(dims) => {
                    let rank = dims.len() as i64;
                    let mut reduce = vec![false; dims.len()];
                    match axes {
                        None => reduce.iter_mut().for_each(|r| *r = true),
                        Some(ax) => {
                            for &a in ax {
                                if a < -rank || a >= rank.max(1) || (rank == 0 && a != 0 && a != -1) {
                                    return Err(Error::value_error(format!(
                                        "Invalid reduction dimension {a} for input with {rank} dimensions. for '{}' with input shapes: {}.",
                                        ctx.node_def(op, t0),
                                        inputs[0].shape.list_form()
                                    ))
                                    .at(ctx.name));
                                }
                                let idx = if a < 0 { a + rank } else { a } as usize;
                                if let Some(r) = reduce.get_mut(idx) {
                                    *r = true;
                                }
                            }
                        }
                    }
                    let mut out = Vec::new();
                    for (d, r) in dims.iter().zip(&reduce) {
                        if !*r {
                            out.push(*d);
                        } else if *keep_dims {
                            out.push(Some(1));
                        }
                    }
                    Shape::from_dims(out)
                }
            };
            vec![(inputs[0].dtype, shape)]
        }
        Op::Softmax => {
            float_only(inputs[0].dtype)?;
            if inputs[0].shape.rank() == Some(0) {
                return Err(rank_err(0, "at least rank 1"));
            }
            vec![(inputs[0].dtype, inputs[0].shape.clone())]
        }
        Op::SigmoidCrossEntropyWithLogits => {
            float_only(inputs[0].dtype)?;
            let (a, b) = (&inputs[0].shape, &inputs[1].shape);
            if let (Some(da), Some(db)) = (a.to_known(), b.to_known())
                && da != db
            {
                return Err(Error::value_error(format!("logits and labels must have the same shape ({} vs {})", b, a))
                    .at(ctx.name));
            }
            vec![(inputs[1].dtype, b.clone())]
        }
        Op::SoftmaxCrossEntropyWithLogits => {
            float_only(inputs[0].dtype)?;
            for (i, input) in inputs.iter().enumerate().take(2) {
                if input.shape.rank().is_some_and(|r| r != 2) {
                    return Err(rank_err(i, "rank 2"));
                }
            }
            let (a, b) = (&inputs[0].shape, &inputs[1].shape);
            for d in 0..2 {
                if let (Some(x), Some(y)) = (a.dim(d), b.dim(d))
                    && x != y
                {
                    return Err(dims_err(x, y));
                }
            }
            let batch = b.dim(0).or(a.dim(0));
            let classes = b.dim(1).or(a.dim(1));
            vec![
                (inputs[1].dtype, Shape::from_dims(vec![batch])),
                (inputs[1].dtype, Shape::from_dims(vec![batch, classes])),
            ]
        }
        Op::SparseSoftmaxCrossEntropyWithLogits => {
            float_only(inputs[0].dtype)?;
            if !matches!(inputs[1].dtype, DType::Int32 | DType::Int64) {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'labels' has DataType {} not in list of allowed values: int32, int64",
                    inputs[1].dtype
                ))
                .at(ctx.name));
            }
            if inputs[0].shape.rank().is_some_and(|r| r != 2) {
                return Err(rank_err(0, "rank 2"));
            }
            if inputs[1].shape.rank().is_some_and(|r| r != 1) {
                return Err(rank_err(1, "rank 1"));
            }
            let (f, l) = (&inputs[0].shape, &inputs[1].shape);
            if let (Some(x), Some(y)) = (f.dim(0), l.dim(0))
                && x != y
            {
                return Err(dims_err(x, y));
            }
            let batch = f.dim(0).or(l.dim(0));
            vec![
                (inputs[0].dtype, Shape::from_dims(vec![batch])),
                (inputs[0].dtype, Shape::from_dims(vec![batch, f.dim(1)])),
            ]
        }
        Op::Fill { dtype, shape, .. } => vec![(*dtype, Shape::known(shape))],
        Op::Cast { to } => vec![(*to, inputs[0].shape.clone())],
        Op::RandomStandardNormal { dtype, shape, .. }
        | Op::TruncatedNormal { dtype, shape, .. }
        | Op::RandomUniform { dtype, shape, .. } => {
            if !dtype.is_float() {
                return Err(Error::type_error(format!(
                    "Value passed to parameter 'dtype' has DataType {dtype} not in list of allowed values: float32, float64"
                ))
                .at(ctx.name));
            }
            vec![(*dtype, Shape::known(shape))]
        }
        Op::UnaryGrad { .. } | Op::SoftmaxGrad => {
            float_only(inputs[0].dtype)?;
            vec![(inputs[1].dtype, inputs[1].shape.clone())]
        }
        Op::ClipByValueGrad => vec![(inputs[3].dtype, inputs[0].shape.clone())],
        Op::MaximumMinimumGrad { .. } => vec![(inputs[2].dtype, inputs[2].shape.clone())],
        Op::SumToShape => vec![(inputs[0].dtype, inputs[1].shape.clone())],
        Op::ReduceGrad { .. } => vec![(inputs[0].dtype, inputs[1].shape.clone())],
        Op::SigmoidCrossEntropyGrad => vec![(inputs[1].dtype, inputs[1].shape.clone())],
        Op::ExpandDims { axis } => {
            let shape = match inputs[0].shape.dims() {
                None => Shape::unknown(),
                Some(d) => {
                    let r = d.len() as i64;
                    if *axis < -r - 1 || *axis > r {
                        return Err(Error::value_error(format!(
                            "axis {axis} is out of range for a tensor of rank {r} in '{}'",
                            ctx.name
                        ))
                        .at(ctx.name));
                    }
                    let at = if *axis < 0 { axis + r + 1 } else { *axis } as usize;
                    let mut d = d.to_vec();
                    d.insert(at, Some(1));
                    Shape::from_dims(d)
                }
            };
            vec![(inputs[0].dtype, shape)]
        }
        Op::OnesLike | Op::ZerosLike => vec![(inputs[0].dtype, inputs[0].shape.clone())],
        Op::ApplyGradientDescent | Op::ApplyMomentum { .. } | Op::ApplyAdam { .. } | Op::ApplyRMSProp => {
            float_only(inputs[0].dtype)?;
            let var = &inputs[0].shape;
            // The gradient input: `delta` of ApplyGradientDescent, `grad` of the others.
            let grad_idx = names.iter().position(|&n| n == "grad" || n == "delta").unwrap_or(0);
            if let (Some(a), Some(b)) = (var.to_known(), inputs[grad_idx].shape.to_known())
                && a != b
            {
                return Err(Error::invalid_argument(format!(
                    "var and grad do not have the same shape{} {}",
                    var.list_form(),
                    inputs[grad_idx].shape.list_form()
                ))
                .at(ctx.name));
            }
            vec![(inputs[0].dtype, var.clone())]
        }
    })
}

/// Static numpy broadcasting of two partial shapes. On conflict returns the two dims.
pub fn broadcast_static(a: &Shape, b: &Shape) -> std::result::Result<Shape, (usize, usize)> {
    let (Some(da), Some(db)) = (a.dims(), b.dims()) else {
        return Ok(Shape::unknown());
    };
    let n = da.len().max(db.len());
    let mut out = vec![None; n];
    for (i, o) in out.iter_mut().enumerate() {
        let x = if i + da.len() >= n { da[i + da.len() - n] } else { Some(1) };
        let y = if i + db.len() >= n { db[i + db.len() - n] } else { Some(1) };
        *o = match (x, y) {
            (Some(1), y) => y,
            (x, Some(1)) => x,
            (Some(x), Some(y)) if x == y => Some(x),
            (Some(x), Some(y)) => return Err((x, y)),
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        };
    }
    Ok(Shape::from_dims(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::graph::elementwise::{BinaryOp, ReduceOp};

    fn info(d: DType, s: Shape) -> InputInfo {
        InputInfo { dtype: d, shape: s }
    }

    #[test]
    fn add_type_mismatch_message() {
        let names = ["a".to_string(), "c".to_string()];
        let ctx = NodeContext { name: "add_1", input_names: &names };
        let e = infer(
            &Op::Binary { kind: BinaryOp::Add },
            &[info(DType::Float32, Shape::known(&[2])), info(DType::Int32, Shape::known(&[2]))],
            &ctx,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "TypeError: Input 'y' of 'AddV2' Op has type int32 that does not match type float32 of argument 'x'."
        );
    }

    #[test]
    fn matmul_dims_message() {
        let names = ["a".to_string(), "b".to_string()];
        let ctx = NodeContext { name: "MatMul", input_names: &names };
        let e = infer(
            &Op::MatMul { transpose_a: false, transpose_b: false },
            &[info(DType::Float32, Shape::known(&[2, 3])), info(DType::Float32, Shape::known(&[2, 3]))],
            &ctx,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Dimensions must be equal, but are 3 and 2 for '{{node MatMul}} = MatMul[T=DT_FLOAT, transpose_a=false, transpose_b=false](a, b)' with input shapes: [2,3], [2,3]."
        );
        assert_eq!(e.node.as_deref(), Some("MatMul"));
    }

    #[test]
    fn matmul_unknown_batch() {
        let names = ["x".to_string(), "w".to_string()];
        let ctx = NodeContext { name: "MatMul", input_names: &names };
        let out = infer(
            &Op::MatMul { transpose_a: false, transpose_b: false },
            &[info(DType::Float32, Shape::from_dims(vec![None, Some(2)])), info(DType::Float32, Shape::known(&[2, 3]))],
            &ctx,
        )
        .unwrap();
        assert_eq!(out[0].1.to_string(), "(?, 3)");
    }

    #[test]
    fn broadcasting_static() {
        let s = broadcast_static(&Shape::from_dims(vec![None, Some(1)]), &Shape::known(&[3])).unwrap();
        assert_eq!(s.to_string(), "(?, 3)");
        assert_eq!(broadcast_static(&Shape::known(&[2]), &Shape::known(&[3])), Err((2, 3)));
        assert_eq!(broadcast_static(&Shape::known(&[2, 1]), &Shape::known(&[1, 3])).unwrap(), Shape::known(&[2, 3]));
    }

    #[test]
    fn reduce_shapes() {
        let names = ["x".to_string()];
        let ctx = NodeContext { name: "Mean", input_names: &names };
        let op = Op::Reduce { kind: ReduceOp::Mean, axes: Some(vec![-1]), keep_dims: true };
        let out = infer(&op, &[info(DType::Float32, Shape::from_dims(vec![None, Some(4)]))], &ctx).unwrap();
        assert_eq!(out[0].1.to_string(), "(?, 1)");
        let op = Op::Reduce { kind: ReduceOp::Sum, axes: Some(vec![2]), keep_dims: false };
        assert!(infer(&op, &[info(DType::Float32, Shape::known(&[2, 2]))], &ctx).is_err());
    }
}
