//! The closed set of operations a graph can hold, their attributes, TF type names and shape
//! inference. Kernels live in `kernels.rs`; this file only says what an op is and what it
//! produces.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, Result};
use crate::engine::kernels::{BinaryOp, ReduceOp, UnaryOp};
use crate::engine::shape::Shape;
use crate::engine::value::Value;
use serde::{Deserialize, Serialize};

/// An operation with its attributes. The serde form is the one project files use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum Op {
    /// `tf.constant`.
    Const {
        /// The value.
        value: ConstValue,
    },
    /// `tf.placeholder`: must be fed.
    Placeholder {
        /// Element type.
        dtype: DType,
        /// Static shape, possibly partial.
        #[serde(default)]
        shape: Shape,
    },
    /// `VariableV2`: state held by each session.
    Variable {
        /// Element type.
        dtype: DType,
        /// Static shape (fully known).
        shape: Shape,
    },
    /// `Assign(ref, value)`: sets a variable. `initializer` marks the variable's initializer.
    Assign {
        /// True when this is the variable's `initializer` op.
        #[serde(default)]
        initializer: bool,
    },
    /// `tf.identity`.
    Identity,
    /// `tf.no_op`; with control inputs it groups ops (as `global_variables_initializer` does).
    NoOp,
    /// Elementwise binary op with numpy broadcasting (`AddV2`, `Sub`, `Mul`, `RealDiv`, ...).
    Binary {
        /// Which one.
        kind: BinaryOp,
    },
    /// Elementwise unary op (`Neg`, `Sigmoid`, `Tanh`, `Relu`, `Log`, `Exp`, `Square`, `Sqrt`, ...).
    Unary {
        /// Which one.
        kind: UnaryOp,
    },
    /// `MatMul` with transpose flags.
    MatMul {
        /// Transpose the first input.
        #[serde(default)]
        transpose_a: bool,
        /// Transpose the second input.
        #[serde(default)]
        transpose_b: bool,
    },
    /// `ClipByValue(t, clip_value_min, clip_value_max)`.
    ClipByValue,
    /// `Sum`, `Mean`, `Max`, `Min`, `Prod` over `axes` (`None` = all).
    Reduce {
        /// Which reduction.
        kind: ReduceOp,
        /// Axes to reduce; `None` reduces all.
        #[serde(default)]
        axes: Option<Vec<i64>>,
        /// Keep reduced dims as 1.
        #[serde(default)]
        keep_dims: bool,
    },
    /// `Softmax` over the last axis.
    Softmax,
    /// `tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)`.
    SigmoidCrossEntropyWithLogits,
    /// `SoftmaxCrossEntropyWithLogits(labels, logits)`: outputs loss and backprop.
    SoftmaxCrossEntropyWithLogits,
    /// `tf.fill` / `tf.zeros` / `tf.ones`.
    Fill {
        /// Element type.
        dtype: DType,
        /// Output shape.
        shape: Vec<usize>,
        /// The fill value.
        value: f64,
    },
    /// `tf.cast`.
    Cast {
        /// Target dtype.
        to: DType,
    },
    /// `tf.random_normal`: `RandomStandardNormal` scaled by `stddev` and shifted by `mean`.
    RandomStandardNormal {
        /// Element type (float32 or float64).
        dtype: DType,
        /// Output shape.
        shape: Vec<usize>,
        /// Mean.
        #[serde(default)]
        mean: f64,
        /// Standard deviation.
        #[serde(default = "one")]
        stddev: f64,
        /// The op's `seed` attr (see `random::derive_seeds`).
        #[serde(default)]
        seed: i64,
        /// The op's `seed2` attr.
        #[serde(default)]
        seed2: i64,
    },
    /// `tf.truncated_normal`: normal draws with |x| < 2 stddev.
    TruncatedNormal {
        /// Element type (float32 or float64).
        dtype: DType,
        /// Output shape.
        shape: Vec<usize>,
        /// Mean.
        #[serde(default)]
        mean: f64,
        /// Standard deviation.
        #[serde(default = "one")]
        stddev: f64,
        /// The op's `seed` attr.
        #[serde(default)]
        seed: i64,
        /// The op's `seed2` attr.
        #[serde(default)]
        seed2: i64,
    },
    /// `tf.random_uniform` in `[minval, maxval)`.
    RandomUniform {
        /// Element type (float32 or float64).
        dtype: DType,
        /// Output shape.
        shape: Vec<usize>,
        /// Lower bound.
        #[serde(default)]
        minval: f64,
        /// Upper bound.
        #[serde(default = "one")]
        maxval: f64,
        /// The op's `seed` attr.
        #[serde(default)]
        seed: i64,
        /// The op's `seed2` attr.
        #[serde(default)]
        seed2: i64,
    },
    // ----- gradient ops (added by `gradients`) -----
    /// The derivative of a unary op given its output or input `a` and the incoming gradient:
    /// `SigmoidGrad(y, dy)`, `TanhGrad(y, dy)`, `ReluGrad(dy, x)`, `SqrtGrad(y, dy)`,
    /// `ReciprocalGrad(y, dy)`. Inputs are always `(a, dy)`.
    UnaryGrad {
        /// The forward op.
        kind: UnaryOp,
    },
    /// Gradient of `ClipByValue(t, lo, hi)` with respect to `t`: passes where `lo <= t <= hi`.
    /// Inputs `(t, lo, hi, dy)`.
    ClipByValueGrad,
    /// Gradient of `Maximum`/`Minimum` with respect to one input, before reduction to its shape:
    /// `where(x >= y, dy, 0)` (or `<=` for Minimum; the other input gets the rest). Inputs `(x, y, dy)`.
    MaximumMinimumGrad {
        /// True for Maximum.
        is_max: bool,
        /// True for the gradient of `x`, false for `y`.
        for_x: bool,
    },
    /// Sums a broadcast gradient down to the shape of `like` (TF's BroadcastGradientArgs + Sum +
    /// Reshape). Inputs `(grad, like)`.
    SumToShape,
    /// Gradient of a reduction: broadcasts `dy` back to the input's shape (and for Mean divides by
    /// the number of reduced elements; for Max/Min routes to the extreme elements, split evenly).
    /// Inputs `(dy, x)`, plus the reduction's output for Max/Min.
    ReduceGrad {
        /// The forward reduction.
        kind: ReduceOp,
        /// Its axes.
        #[serde(default)]
        axes: Option<Vec<i64>>,
        /// Its keep_dims.
        #[serde(default)]
        keep_dims: bool,
    },
    /// `SoftmaxGrad(y, dy) = (dy - sum(dy * y, -1)) * y`.
    SoftmaxGrad,
    /// Gradient of `sigmoid_cross_entropy_with_logits` with respect to the logits:
    /// `dy * (sigmoid(logits) - labels)`. Inputs `(labels, logits, dy)`.
    SigmoidCrossEntropyGrad,
    /// `tf.expand_dims(x, axis)`.
    ExpandDims {
        /// Where the new axis goes (negative counts from the end).
        axis: i64,
    },
    /// `tf.ones_like` (the seed gradient `gradients/Fill`).
    OnesLike,
    /// `tf.zeros_like`.
    ZerosLike,
    // ----- training ops (added by optimizers; the first inputs are variables, updated in place) -----
    /// `var -= alpha * delta`. Inputs `(var, alpha, delta)`.
    ApplyGradientDescent,
    /// `accum = accum * momentum + grad; var -= accum * lr` (Nesterov: `var -= grad * lr + accum * momentum * lr`).
    /// Inputs `(var, accum, lr, grad, momentum)`.
    ApplyMomentum {
        /// Nesterov momentum.
        #[serde(default)]
        use_nesterov: bool,
    },
    /// TF's Adam update. Inputs `(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad)`.
    ApplyAdam {
        /// Nesterov-style Adam.
        #[serde(default)]
        use_nesterov: bool,
    },
    /// TF's RMSProp update. Inputs `(var, ms, mom, lr, rho, momentum, epsilon, grad)`.
    ApplyRMSProp,
}

fn one() -> f64 {
    1.0
}

/// A constant's value as stored in a project file: dtype plus nested lists.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstValue(pub Value);

impl Serialize for ConstValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ConstValue", 2)?;
        st.serialize_field("dtype", &self.0.dtype())?;
        st.serialize_field("data", &self.0.to_json())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for ConstValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            dtype: Option<DType>,
            data: serde_json::Value,
        }
        let raw = Raw::deserialize(d)?;
        Value::from_json(&raw.data, raw.dtype).map(ConstValue).map_err(serde::de::Error::custom)
    }
}

/// Every op kind the palette offers, with a default instance to start from.
pub fn palette() -> Vec<Op> {
    use BinaryOp as B;
    use UnaryOp as U;
    let mut v = vec![
        Op::Const { value: ConstValue(Value::scalar_f32(0.0)) },
        Op::Placeholder { dtype: DType::Float32, shape: Shape::from_dims(vec![None, Some(2)]) },
        Op::Variable { dtype: DType::Float32, shape: Shape::known(&[2, 3]) },
        Op::Assign { initializer: false },
        Op::Identity,
        Op::NoOp,
    ];
    for kind in [B::Add, B::Sub, B::Mul, B::Div, B::Maximum, B::Minimum, B::Less, B::Greater, B::Pow] {
        v.push(Op::Binary { kind });
    }
    for kind in [U::Neg, U::Sigmoid, U::Tanh, U::Relu, U::Log, U::Exp, U::Square, U::Sqrt, U::Abs] {
        v.push(Op::Unary { kind });
    }
    v.extend([
        Op::MatMul { transpose_a: false, transpose_b: false },
        Op::ClipByValue,
        Op::Reduce { kind: ReduceOp::Sum, axes: None, keep_dims: false },
        Op::Reduce { kind: ReduceOp::Mean, axes: None, keep_dims: false },
        Op::Softmax,
        Op::SigmoidCrossEntropyWithLogits,
        Op::SoftmaxCrossEntropyWithLogits,
        Op::Fill { dtype: DType::Float32, shape: vec![2], value: 0.0 },
        Op::Cast { to: DType::Float32 },
        Op::RandomStandardNormal {
            dtype: DType::Float32,
            shape: vec![2, 3],
            mean: 0.0,
            stddev: 1.0,
            seed: 0,
            seed2: 0,
        },
        Op::TruncatedNormal { dtype: DType::Float32, shape: vec![2, 3], mean: 0.0, stddev: 1.0, seed: 0, seed2: 0 },
        Op::RandomUniform { dtype: DType::Float32, shape: vec![2, 3], minval: 0.0, maxval: 1.0, seed: 0, seed2: 0 },
    ]);
    v
}

impl Op {
    /// TF's op type name, as the placement log and errors show it (`AddV2`, `MatMul`, `VariableV2`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Op::Const { .. } => "Const",
            Op::Placeholder { .. } => "Placeholder",
            Op::Variable { .. } => "VariableV2",
            Op::Assign { .. } => "Assign",
            Op::Identity => "Identity",
            Op::NoOp => "NoOp",
            Op::Binary { kind } => match kind {
                BinaryOp::Add => "AddV2",
                BinaryOp::Sub => "Sub",
                BinaryOp::Mul => "Mul",
                BinaryOp::Div => "RealDiv",
                BinaryOp::Maximum => "Maximum",
                BinaryOp::Minimum => "Minimum",
                BinaryOp::Less => "Less",
                BinaryOp::Greater => "Greater",
                BinaryOp::Pow => "Pow",
            },
            Op::Unary { kind } => match kind {
                UnaryOp::Neg => "Neg",
                UnaryOp::Sigmoid => "Sigmoid",
                UnaryOp::Tanh => "Tanh",
                UnaryOp::Relu => "Relu",
                UnaryOp::Log => "Log",
                UnaryOp::Exp => "Exp",
                UnaryOp::Square => "Square",
                UnaryOp::Sqrt => "Sqrt",
                UnaryOp::Abs => "Abs",
                UnaryOp::Sign => "Sign",
                UnaryOp::Reciprocal => "Reciprocal",
                UnaryOp::Identity => "Identity",
            },
            Op::MatMul { .. } => "MatMul",
            Op::ClipByValue => "ClipByValue",
            Op::Reduce { kind, .. } => match kind {
                ReduceOp::Sum => "Sum",
                ReduceOp::Mean => "Mean",
                ReduceOp::Max => "Max",
                ReduceOp::Min => "Min",
                ReduceOp::Prod => "Prod",
            },
            Op::Softmax => "Softmax",
            Op::SigmoidCrossEntropyWithLogits => "SigmoidCrossEntropyWithLogits",
            Op::SoftmaxCrossEntropyWithLogits => "SoftmaxCrossEntropyWithLogits",
            Op::Fill { .. } => "Fill",
            Op::Cast { .. } => "Cast",
            Op::RandomStandardNormal { .. } => "RandomStandardNormal",
            Op::TruncatedNormal { .. } => "TruncatedNormal",
            Op::RandomUniform { .. } => "RandomUniform",
            Op::UnaryGrad { kind } => match kind {
                UnaryOp::Sigmoid => "SigmoidGrad",
                UnaryOp::Tanh => "TanhGrad",
                UnaryOp::Relu => "ReluGrad",
                UnaryOp::Sqrt => "SqrtGrad",
                UnaryOp::Reciprocal => "ReciprocalGrad",
                _ => "UnaryGrad",
            },
            Op::ClipByValueGrad => "ClipByValueGrad",
            Op::MaximumMinimumGrad { is_max: true, .. } => "MaximumGrad",
            Op::MaximumMinimumGrad { is_max: false, .. } => "MinimumGrad",
            Op::SumToShape => "SumToShape",
            Op::ReduceGrad { .. } => "ReduceGrad",
            Op::SoftmaxGrad => "SoftmaxGrad",
            Op::SigmoidCrossEntropyGrad => "SigmoidCrossEntropyGrad",
            Op::ExpandDims { .. } => "ExpandDims",
            Op::OnesLike => "OnesLike",
            Op::ZerosLike => "ZerosLike",
            Op::ApplyGradientDescent => "ApplyGradientDescent",
            Op::ApplyMomentum { .. } => "ApplyMomentum",
            Op::ApplyAdam { .. } => "ApplyAdam",
            Op::ApplyRMSProp => "ApplyRMSProp",
        }
    }

    /// The default node name TF gives this op (`add` for `a + b`, `MatMul`, `Variable`).
    pub fn default_name(&self) -> &'static str {
        match self {
            Op::Const { .. } => "Const",
            Op::Placeholder { .. } => "Placeholder",
            Op::Variable { .. } => "Variable",
            Op::Binary { kind } => match kind {
                BinaryOp::Add => "add",
                BinaryOp::Sub => "sub",
                BinaryOp::Mul => "mul",
                BinaryOp::Div => "truediv",
                BinaryOp::Maximum => "Maximum",
                BinaryOp::Minimum => "Minimum",
                BinaryOp::Less => "Less",
                BinaryOp::Greater => "Greater",
                BinaryOp::Pow => "pow",
            },
            Op::Unary { kind: UnaryOp::Neg } => "Neg",
            Op::ClipByValue => "clip_by_value",
            Op::Fill { .. } => "Fill",
            Op::RandomStandardNormal { .. } => "random_normal",
            Op::TruncatedNormal { .. } => "truncated_normal",
            Op::RandomUniform { .. } => "random_uniform",
            Op::SigmoidCrossEntropyWithLogits => "logistic_loss",
            op => op.type_name(),
        }
    }

    /// The names of the op's inputs, as TF's op def calls them (used in type errors).
    pub fn input_names(&self) -> &'static [&'static str] {
        match self {
            Op::Const { .. } | Op::Placeholder { .. } | Op::Variable { .. } | Op::NoOp => &[],
            Op::Fill { .. }
            | Op::RandomStandardNormal { .. }
            | Op::TruncatedNormal { .. }
            | Op::RandomUniform { .. } => &[],
            Op::Assign { .. } => &["ref", "value"],
            Op::Identity | Op::Cast { .. } | Op::Reduce { .. } => &["input"],
            Op::Binary { .. } => &["x", "y"],
            Op::Unary { .. } => &["x"],
            Op::MatMul { .. } => &["a", "b"],
            Op::ClipByValue => &["t", "clip_value_min", "clip_value_max"],
            Op::Softmax => &["logits"],
            Op::SigmoidCrossEntropyWithLogits | Op::SoftmaxCrossEntropyWithLogits => &["labels", "logits"],
            Op::UnaryGrad { .. } | Op::SoftmaxGrad => &["y", "dy"],
            Op::ClipByValueGrad => &["t", "clip_value_min", "clip_value_max", "dy"],
            Op::MaximumMinimumGrad { .. } => &["x", "y", "dy"],
            Op::SumToShape => &["grad", "like"],
            Op::ReduceGrad { kind: ReduceOp::Max | ReduceOp::Min, .. } => &["dy", "input", "output"],
            Op::ReduceGrad { .. } => &["dy", "input"],
            Op::SigmoidCrossEntropyGrad => &["labels", "logits", "dy"],
            Op::ExpandDims { .. } | Op::OnesLike | Op::ZerosLike => &["input"],
            Op::ApplyGradientDescent => &["var", "alpha", "delta"],
            Op::ApplyMomentum { .. } => &["var", "accum", "lr", "grad", "momentum"],
            Op::ApplyAdam { .. } => {
                &["var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"]
            }
            Op::ApplyRMSProp => &["var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"],
        }
    }

    /// How many leading inputs are variables that the op updates in place (TF's `ref` inputs).
    pub fn num_ref_inputs(&self) -> usize {
        match self {
            Op::Assign { .. } | Op::ApplyGradientDescent => 1,
            Op::ApplyMomentum { .. } => 2,
            Op::ApplyAdam { .. } | Op::ApplyRMSProp => 3,
            _ => 0,
        }
    }

    /// How many outputs the op has.
    pub fn num_outputs(&self) -> usize {
        match self {
            Op::NoOp => 0,
            Op::SoftmaxCrossEntropyWithLogits => 2,
            _ => 1,
        }
    }

    /// True for ops whose outputs change between runs without their inputs changing (random ops),
    /// or which have side effects (Assign).
    pub fn is_stateful(&self) -> bool {
        matches!(
            self,
            Op::Variable { .. }
                | Op::Assign { .. }
                | Op::ApplyGradientDescent
                | Op::ApplyMomentum { .. }
                | Op::ApplyAdam { .. }
                | Op::ApplyRMSProp
                | Op::RandomStandardNormal { .. }
                | Op::TruncatedNormal { .. }
                | Op::RandomUniform { .. }
        )
    }

    /// True for the three random ops.
    pub fn is_random(&self) -> bool {
        matches!(self, Op::RandomStandardNormal { .. } | Op::TruncatedNormal { .. } | Op::RandomUniform { .. })
    }

    /// The attrs TF would show in a NodeDef, for error messages: `T=DT_FLOAT, transpose_a=false`.
    pub fn attr_summary(&self, t: Option<DType>) -> String {
        let dt = |d: DType| format!("DT_{}", d.runtime_name().to_uppercase());
        let mut parts = Vec::new();
        if let Some(t) = t {
            parts.push(format!("T={}", dt(t)));
        }
        if let Op::MatMul { transpose_a, transpose_b } = self {
            parts.push(format!("transpose_a={transpose_a}"));
            parts.push(format!("transpose_b={transpose_b}"));
        }
        if let Op::Reduce { keep_dims, .. } = self {
            parts.push(format!("keep_dims={keep_dims}"));
        }
        parts.join(", ")
    }
}

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
    let same_type_inputs: &[usize] = match op {
        Op::Assign { .. } | Op::Binary { .. } | Op::MatMul { .. } => &[0, 1],
        Op::ClipByValue => &[0, 1, 2],
        Op::SigmoidCrossEntropyWithLogits | Op::SoftmaxCrossEntropyWithLogits => &[0, 1],
        Op::UnaryGrad { .. } | Op::SoftmaxGrad | Op::SumToShape => &[0, 1],
        Op::ClipByValueGrad => &[0, 1, 2, 3],
        Op::MaximumMinimumGrad { .. } | Op::SigmoidCrossEntropyGrad => &[0, 1, 2],
        Op::ReduceGrad { .. } => &[0, 1],
        Op::ApplyGradientDescent => &[0, 1, 2],
        Op::ApplyMomentum { .. } => &[0, 1, 2, 3, 4],
        Op::ApplyAdam { .. } => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        Op::ApplyRMSProp => &[0, 1, 2, 3, 4, 5, 6, 7],
        _ => &[],
    };
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
    Ok(match op {
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
        Op::Identity => vec![(inputs[0].dtype, inputs[0].shape.clone())],
        Op::NoOp => vec![],
        Op::Binary { kind } => {
            if matches!(kind, BinaryOp::Pow | BinaryOp::Div) && inputs[0].dtype == DType::Bool {
                return Err(float_only(DType::Bool).unwrap_err());
            }
            let shape = broadcast_static(&inputs[0].shape, &inputs[1].shape).map_err(|(a, b)| dims_err(a, b))?;
            let dt = if matches!(kind, BinaryOp::Less | BinaryOp::Greater) { DType::Bool } else { inputs[0].dtype };
            vec![(dt, shape)]
        }
        Op::Unary { kind } => {
            if matches!(
                kind,
                UnaryOp::Sigmoid | UnaryOp::Tanh | UnaryOp::Log | UnaryOp::Exp | UnaryOp::Sqrt | UnaryOp::Reciprocal
            ) {
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
            let grad_idx = match op {
                Op::ApplyGradientDescent => 2,
                Op::ApplyMomentum { .. } => 3,
                Op::ApplyAdam { .. } => 9,
                _ => 7,
            };
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

    #[test]
    fn op_json_form() {
        let op = Op::MatMul { transpose_a: false, transpose_b: true };
        let j = serde_json::to_string(&op).unwrap();
        assert_eq!(j, r#"{"op":"MatMul","transpose_a":false,"transpose_b":true}"#);
        let c: Op = serde_json::from_str(r#"{"op":"Const","value":{"dtype":"float32","data":[1.0,2.0]}}"#).unwrap();
        assert_eq!(c.type_name(), "Const");
        for op in palette() {
            let s = serde_json::to_string(&op).unwrap();
            let back: Op = serde_json::from_str(&s).unwrap();
            assert_eq!(back, op, "{s}");
        }
    }
}
