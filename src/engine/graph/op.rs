//! The closed set of operations a graph can hold (`Op`, with its attributes and its serde form)
//! and the one table of their static facts (`Op::facts`: TF type name, default node name, input
//! names, outputs, ref inputs, stateful, random). The elementwise and reduction ops take their
//! facts from their own rows in `graph::elementwise`; shape inference is in `graph::infer`,
//! kernels in `kernels/`.

use crate::engine::dtype::DType;
use crate::engine::graph::elementwise::{BinaryOp, ReduceOp, UnaryOp};
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
    /// `AssignAdd(ref, value)`: `ref += value` (`tf.assign_add`; the train op `minimize` builds
    /// with a `global_step`).
    AssignAdd,
    /// `AssignSub(ref, value)`: `ref -= value` (`tf.assign_sub`; a moving average's update).
    AssignSub,
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
    /// `Select(condition, t, e)` (TF 1's `tf.where(condition, x, y)`): `t` where `condition`, else
    /// `e`. The condition has `t`'s shape, or is a vector matching `t`'s first dimension.
    Select,
    /// `L2Loss(t) = sum(t ** 2) / 2` (`tf.nn.l2_loss`), a scalar.
    L2Loss,
    /// `AddN(inputs)`: the sum of `n` tensors of one shape (`tf.add_n`).
    AddN {
        /// How many inputs (TF's attr `N`).
        n: usize,
    },
    /// `ArgMax(input, dimension)`: the index of the largest value along `axis` (`tf.argmax`).
    ArgMax {
        /// The axis reduced (negative counts from the end).
        axis: i64,
        /// The index dtype (`int64` unless `output_type` says `int32`).
        #[serde(default = "int64")]
        output_type: DType,
    },
    /// `Softmax` over the last axis.
    Softmax,
    /// `tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)`.
    SigmoidCrossEntropyWithLogits,
    /// `SoftmaxCrossEntropyWithLogits(labels, logits)`: outputs loss and backprop.
    SoftmaxCrossEntropyWithLogits,
    /// `SparseSoftmaxCrossEntropyWithLogits(features, labels)` with int labels of shape `[batch]`
    /// (`tf.nn.sparse_softmax_cross_entropy_with_logits`): outputs loss `[batch]` and backprop
    /// `[batch, classes]`.
    SparseSoftmaxCrossEntropyWithLogits,
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
    /// A node of an imported TF graph whose op flowbench does not have: kept so that the graph
    /// can be looked at (and its other parts run); building it fails with TF's
    /// `NotFoundError: Op type not registered 'Foo' ...`, and so does everything that needs it.
    Unregistered {
        /// TF's op type (`Conv2D`).
        op_type: String,
        /// How many outputs the graph uses.
        #[serde(default = "one_output")]
        outputs: usize,
        /// Why a node of an op flowbench has could not be imported (a dtype or attr it lacks);
        /// empty for an op flowbench does not have at all.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        why: String,
    },
}

fn one_output() -> usize {
    1
}

/// A `'static` copy of an unregistered op's type name, made once per distinct name (at most
/// [`MAX_INTERNED`] of them; later ones are all `"Unregistered"`).
fn intern(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Ok(mut names) = NAMES.get_or_init(|| Mutex::new(HashSet::new())).lock() else {
        return "Unregistered";
    };
    if let Some(s) = names.get(name) {
        return s;
    }
    if names.len() >= MAX_INTERNED {
        return "Unregistered";
    }
    let s: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(s);
    s
}

/// The most distinct unregistered op type names kept.
const MAX_INTERNED: usize = 4096;

/// The error of building an [`Op::Unregistered`] node: TF's `NotFoundError` for an op it does
/// not have, `UnimplementedError` naming the op and the reason for one it cannot import.
pub fn not_registered_error(op_type: &str, why: &str) -> crate::engine::error::Error {
    use crate::engine::error::{Error, ErrorClass};
    if why.is_empty() {
        Error::new(
            ErrorClass::NotFound,
            format!(
                "Op type not registered '{op_type}' in binary running on flowbench. Make sure the Op and Kernel are registered in the binary running in this process."
            ),
        )
    } else {
        Error::new(ErrorClass::Unimplemented, format!("{op_type} is not supported by flowbench: {why}"))
    }
}

fn one() -> f64 {
    1.0
}

fn int64() -> DType {
    DType::Int64
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

/// Every op kind the palette offers, with a default instance to start from: the plain ops, then
/// every binary op and the unary ops their rows put in the palette, then the rest.
pub fn palette() -> Vec<Op> {
    let mut v = vec![
        Op::Const { value: ConstValue(Value::scalar_f32(0.0)) },
        Op::Placeholder { dtype: DType::Float32, shape: Shape::from_dims(vec![None, Some(2)]) },
        Op::Variable { dtype: DType::Float32, shape: Shape::known(&[2, 3]) },
        Op::Assign { initializer: false },
        Op::AssignAdd,
        Op::AssignSub,
        Op::Identity,
        Op::NoOp,
    ];
    v.extend(BinaryOp::ALL.map(|kind| Op::Binary { kind }));
    v.extend(UnaryOp::ALL.into_iter().filter(|k| k.facts().palette).map(|kind| Op::Unary { kind }));
    v.extend([
        Op::MatMul { transpose_a: false, transpose_b: false },
        Op::ClipByValue,
        Op::Reduce { kind: ReduceOp::Sum, axes: None, keep_dims: false },
        Op::Reduce { kind: ReduceOp::Mean, axes: None, keep_dims: false },
        Op::Select,
        Op::L2Loss,
        Op::AddN { n: 2 },
        Op::ArgMax { axis: 1, output_type: DType::Int64 },
        Op::Softmax,
        Op::SigmoidCrossEntropyWithLogits,
        Op::SoftmaxCrossEntropyWithLogits,
        Op::SparseSoftmaxCrossEntropyWithLogits,
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

/// The input names of `AddN` (all `inputs`, as TF's op def names its list); `AddN` takes at most
/// this many.
const ADD_N: [&str; 64] = ["inputs"; 64];

/// The static facts of one op: one row of [`Op::facts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpFacts {
    /// TF's op type name, as the placement log and errors show it (`AddV2`, `VariableV2`).
    pub type_name: &'static str,
    /// The default node name TF gives the op (`add` for `a + b`, `MatMul`, `Variable`).
    pub default_name: &'static str,
    /// The names of the op's inputs, as TF's op def calls them (used in type errors).
    pub inputs: &'static [&'static str],
    /// How many leading inputs must have the first input's dtype (TF's type attr `T`).
    pub same_dtype: usize,
    /// How many outputs the op has.
    pub outputs: usize,
    /// How many leading inputs are variables the op updates in place (TF's `ref` inputs).
    pub ref_inputs: usize,
    /// Outputs change between runs without the inputs changing, or the op has side effects.
    pub stateful: bool,
    /// One of the random ops.
    pub random: bool,
}

impl OpFacts {
    /// A pure op with one output whose default node name is its type name.
    const fn pure(type_name: &'static str, inputs: &'static [&'static str]) -> OpFacts {
        OpFacts {
            type_name,
            default_name: type_name,
            inputs,
            same_dtype: inputs.len(),
            outputs: 1,
            ref_inputs: 0,
            stateful: false,
            random: false,
        }
    }
    /// With another default node name.
    const fn named(self, default_name: &'static str) -> OpFacts {
        OpFacts { default_name, ..self }
    }
    /// With only the first `n` inputs sharing a dtype.
    const fn same_dtype(self, same_dtype: usize) -> OpFacts {
        OpFacts { same_dtype, ..self }
    }
    /// With `n` outputs.
    const fn outputs(self, outputs: usize) -> OpFacts {
        OpFacts { outputs, ..self }
    }
    /// Stateful, updating its first `ref_inputs` inputs in place.
    const fn stateful(self, ref_inputs: usize) -> OpFacts {
        OpFacts { stateful: true, ref_inputs, ..self }
    }
    /// A random op (stateful).
    const fn random(self) -> OpFacts {
        OpFacts { stateful: true, random: true, ..self }
    }
}

impl Op {
    /// The op's static facts: the one table every other question about an op reads.
    pub fn facts(&self) -> OpFacts {
        const ADAM: &[&str] =
            &["var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"];
        match self {
            Op::Const { .. } => OpFacts::pure("Const", &[]),
            Op::Placeholder { .. } => OpFacts::pure("Placeholder", &[]),
            Op::Variable { .. } => OpFacts::pure("VariableV2", &[]).named("Variable").stateful(0),
            Op::Assign { .. } => OpFacts::pure("Assign", &["ref", "value"]).stateful(1),
            Op::AssignAdd => OpFacts::pure("AssignAdd", &["ref", "value"]).stateful(1),
            Op::AssignSub => OpFacts::pure("AssignSub", &["ref", "value"]).stateful(1),
            Op::Identity => OpFacts::pure("Identity", &["input"]),
            Op::NoOp => OpFacts::pure("NoOp", &[]).outputs(0),
            Op::Binary { kind } => {
                let f = kind.facts();
                OpFacts::pure(f.tf_name, &["x", "y"]).named(f.default_name)
            }
            Op::Unary { kind } => {
                let f = kind.facts();
                OpFacts::pure(f.tf_name, &["x"]).named(f.default_name)
            }
            Op::MatMul { .. } => OpFacts::pure("MatMul", &["a", "b"]),
            Op::ClipByValue => {
                OpFacts::pure("ClipByValue", &["t", "clip_value_min", "clip_value_max"]).named("clip_by_value")
            }
            Op::Reduce { kind, .. } => OpFacts::pure(kind.tf_name(), &["input"]),
            Op::Select => OpFacts::pure("Select", &["condition", "t", "e"]).same_dtype(0),
            Op::L2Loss => OpFacts::pure("L2Loss", &["t"]),
            Op::AddN { n } => OpFacts::pure("AddN", &ADD_N[..(*n).min(ADD_N.len())]),
            Op::ArgMax { .. } => OpFacts::pure("ArgMax", &["input"]),
            Op::Softmax => OpFacts::pure("Softmax", &["logits"]),
            Op::SigmoidCrossEntropyWithLogits => {
                OpFacts::pure("SigmoidCrossEntropyWithLogits", &["labels", "logits"]).named("logistic_loss")
            }
            Op::SoftmaxCrossEntropyWithLogits => {
                OpFacts::pure("SoftmaxCrossEntropyWithLogits", &["labels", "logits"]).outputs(2)
            }
            Op::SparseSoftmaxCrossEntropyWithLogits => {
                OpFacts::pure("SparseSoftmaxCrossEntropyWithLogits", &["features", "labels"]).same_dtype(1).outputs(2)
            }
            Op::Fill { .. } => OpFacts::pure("Fill", &[]),
            Op::Cast { .. } => OpFacts::pure("Cast", &["input"]),
            Op::RandomStandardNormal { .. } => {
                OpFacts::pure("RandomStandardNormal", &[]).named("random_normal").random()
            }
            Op::TruncatedNormal { .. } => OpFacts::pure("TruncatedNormal", &[]).named("truncated_normal").random(),
            Op::RandomUniform { .. } => OpFacts::pure("RandomUniform", &[]).named("random_uniform").random(),
            Op::UnaryGrad { kind } => OpFacts::pure(kind.grad_type_name(), &["y", "dy"]),
            Op::ClipByValueGrad => OpFacts::pure("ClipByValueGrad", &["t", "clip_value_min", "clip_value_max", "dy"]),
            Op::MaximumMinimumGrad { is_max: true, .. } => OpFacts::pure("MaximumGrad", &["x", "y", "dy"]),
            Op::MaximumMinimumGrad { is_max: false, .. } => OpFacts::pure("MinimumGrad", &["x", "y", "dy"]),
            Op::SumToShape => OpFacts::pure("SumToShape", &["grad", "like"]),
            Op::ReduceGrad { kind: ReduceOp::Max | ReduceOp::Min, .. } => {
                OpFacts::pure("ReduceGrad", &["dy", "input", "output"]).same_dtype(2)
            }
            Op::ReduceGrad { kind: ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod, .. } => {
                OpFacts::pure("ReduceGrad", &["dy", "input"])
            }
            Op::SoftmaxGrad => OpFacts::pure("SoftmaxGrad", &["y", "dy"]),
            Op::SigmoidCrossEntropyGrad => OpFacts::pure("SigmoidCrossEntropyGrad", &["labels", "logits", "dy"]),
            Op::ExpandDims { .. } => OpFacts::pure("ExpandDims", &["input"]),
            Op::OnesLike => OpFacts::pure("OnesLike", &["input"]),
            Op::ZerosLike => OpFacts::pure("ZerosLike", &["input"]),
            Op::ApplyGradientDescent => OpFacts::pure("ApplyGradientDescent", &["var", "alpha", "delta"]).stateful(1),
            Op::ApplyMomentum { .. } => {
                OpFacts::pure("ApplyMomentum", &["var", "accum", "lr", "grad", "momentum"]).stateful(2)
            }
            Op::ApplyAdam { .. } => OpFacts::pure("ApplyAdam", ADAM).stateful(3),
            Op::ApplyRMSProp => {
                OpFacts::pure("ApplyRMSProp", &["var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"])
                    .stateful(3)
            }
            Op::Unregistered { op_type, outputs, .. } => {
                OpFacts::pure(intern(op_type), &[]).outputs(*outputs).stateful(0)
            }
        }
    }

    /// TF's op type name, as the placement log and errors show it (`AddV2`, `MatMul`, `VariableV2`).
    pub fn type_name(&self) -> &'static str {
        self.facts().type_name
    }

    /// The default node name TF gives this op (`add` for `a + b`, `MatMul`, `Variable`).
    pub fn default_name(&self) -> &'static str {
        self.facts().default_name
    }

    /// The names of the op's inputs, as TF's op def calls them (used in type errors).
    pub fn input_names(&self) -> &'static [&'static str] {
        self.facts().inputs
    }

    /// How many leading inputs are variables that the op updates in place (TF's `ref` inputs).
    pub fn num_ref_inputs(&self) -> usize {
        self.facts().ref_inputs
    }

    /// How many outputs the op has.
    pub fn num_outputs(&self) -> usize {
        self.facts().outputs
    }

    /// True for ops whose outputs change between runs without their inputs changing (random ops),
    /// or which have side effects (Assign).
    pub fn is_stateful(&self) -> bool {
        self.facts().stateful
    }

    /// True for the three random ops.
    pub fn is_random(&self) -> bool {
        self.facts().random
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
        if let Op::AddN { n } = self {
            parts.insert(0, format!("N={n}"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
