//! The op table of the elementwise and reduction ops: one row per op with everything the rest of
//! the engine needs to know about it without running it — TF's op type name, the default node
//! name, whether it only has float kernels, its Python call, and how its gradient is made (a
//! gradient kernel such as `SigmoidGrad`, with its name and TF argument names, or a recipe built
//! from other ops as `Log`'s is).
//!
//! The rows are macro-generated into the enums, their `ALL` lists and `const fn` accessors, so an
//! op named here is named nowhere else for its static facts. The formulas themselves (forward
//! and gradient, generic and TF-exact float32) live in `kernels::elementwise` as exhaustive
//! `match`es over these enums; adding a variant here makes every place that must learn about it
//! fail to compile until it does.
//!
//! The serde forms are the variant names (`"Add"`, `"Sigmoid"`, `"Sum"`), as project files use.

use serde::{Deserialize, Serialize};

/// Which operand a gradient kernel reads besides the incoming gradient `dy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradReads {
    /// The forward op's output `y` (`SigmoidGrad(y, dy)`, `EluGrad(gradients, outputs)`).
    Output,
    /// The forward op's input `x` (`ReluGrad(gradients, features)`).
    Input,
}

/// How the gradient of a unary op is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryGrad {
    /// One gradient-kernel node (`Op::UnaryGrad`), named as the kernel's row says.
    Kernel(GradKernel),
    /// A few ordinary ops, as TF's Python gradient function builds them.
    Built(GradRecipe),
    /// No gradient flows through the op (TF's gradient returns `None`, as `Floor`'s does).
    None,
}

/// The gradients built from other ops, each as TF's Python gradient function writes it (node
/// names under `gradients/<op>_grad/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradRecipe {
    /// `Neg(dy)` (`Neg`).
    Negate,
    /// `mul(dy, Reciprocal(x))` (`Log`).
    MulReciprocalOfInput,
    /// `mul(dy, y)` (`Exp`).
    MulOutput,
    /// `Mul_1(dy, Mul(x, 2))` (`Square`).
    MulTwiceInput,
    /// `mul(dy, Sign(x))` (`Abs`).
    MulSignOfInput,
    /// `zeros_like(x)` (`Sign`).
    Zeros,
    /// `dy` itself (`Identity`).
    PassThrough,
}

macro_rules! op_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $facts:ident { $($field:ident : $ty:ty),* $(,)? } ;
        $( $(#[doc = $doc:literal])* $v:ident { $($f:ident : $val:expr),* $(,)? } )*
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[doc = $doc])* $v, )*
        }

        /// One row of the table: the op's static facts.
        #[derive(Clone, Copy, Debug)]
        pub struct $facts {
            $( #[allow(missing_docs)] pub $field: $ty, )*
        }

        impl $name {
            /// Every op of this kind, in table order (the palette's order).
            pub const ALL: [$name; [$(stringify!($v)),*].len()] = [$($name::$v),*];

            /// The op's row of the table.
            pub const fn facts(self) -> $facts {
                match self {
                    $( $name::$v => $facts { $($f: $val),* }, )*
                }
            }
        }
    };
}

op_enum! {
    /// Elementwise binary ops, with numpy broadcasting.
    BinaryOp, BinaryFacts {
        tf_name: &'static str,
        default_name: &'static str,
        no_bool: bool,
        comparison: bool,
        python: &'static str,
    };
    /// `x + y` (`tf.add`).
    Add { tf_name: "AddV2", default_name: "add", no_bool: false, comparison: false, python: "tf.add" }
    /// `x - y` (`tf.subtract`).
    Sub { tf_name: "Sub", default_name: "sub", no_bool: false, comparison: false, python: "tf.subtract" }
    /// `x * y` (`tf.multiply`).
    Mul { tf_name: "Mul", default_name: "mul", no_bool: false, comparison: false, python: "tf.multiply" }
    /// `x / y`: real division for floats, truncating division for ints (`tf.realdiv`,
    /// `tf.truncatediv`).
    Div { tf_name: "RealDiv", default_name: "truediv", no_bool: true, comparison: false, python: "tf.realdiv" }
    /// `max(x, y)` (`tf.maximum`).
    Maximum { tf_name: "Maximum", default_name: "Maximum", no_bool: false, comparison: false, python: "tf.maximum" }
    /// `min(x, y)` (`tf.minimum`).
    Minimum { tf_name: "Minimum", default_name: "Minimum", no_bool: false, comparison: false, python: "tf.minimum" }
    /// `x < y`, giving bool (`tf.less`).
    Less { tf_name: "Less", default_name: "Less", no_bool: false, comparison: true, python: "tf.less" }
    /// `x > y`, giving bool (`tf.greater`).
    Greater { tf_name: "Greater", default_name: "Greater", no_bool: false, comparison: true, python: "tf.greater" }
    /// `x ** y` (`tf.pow`).
    Pow { tf_name: "Pow", default_name: "pow", no_bool: true, comparison: false, python: "tf.pow" }
    /// `x == y`, giving bool (`tf.equal`); bool inputs too.
    Equal { tf_name: "Equal", default_name: "Equal", no_bool: false, comparison: true, python: "tf.equal" }
    /// `x != y`, giving bool (`tf.not_equal`); bool inputs too.
    NotEqual { tf_name: "NotEqual", default_name: "NotEqual", no_bool: false, comparison: true,
               python: "tf.not_equal" }
    /// `x >= y`, giving bool (`tf.greater_equal`).
    GreaterEqual { tf_name: "GreaterEqual", default_name: "GreaterEqual", no_bool: false, comparison: true,
                   python: "tf.greater_equal" }
    /// `x <= y`, giving bool (`tf.less_equal`).
    LessEqual { tf_name: "LessEqual", default_name: "LessEqual", no_bool: false, comparison: true,
                python: "tf.less_equal" }
}

op_enum! {
    /// Elementwise unary ops.
    UnaryOp, UnaryFacts {
        tf_name: &'static str,
        default_name: &'static str,
        float_only: bool,
        grad: UnaryGrad,
        python: &'static str,
        palette: bool,
    };
    /// `-x` (`tf.negative`).
    Neg { tf_name: "Neg", default_name: "Neg", float_only: false,
          grad: UnaryGrad::Built(GradRecipe::Negate), python: "tf.negative", palette: true }
    /// `1 / (1 + exp(-x))` (`tf.sigmoid`); floats only.
    Sigmoid { tf_name: "Sigmoid", default_name: "Sigmoid", float_only: true,
              grad: UnaryGrad::Kernel(GradKernel::Sigmoid), python: "tf.sigmoid", palette: true }
    /// `tanh(x)` (`tf.tanh`); floats only.
    Tanh { tf_name: "Tanh", default_name: "Tanh", float_only: true,
           grad: UnaryGrad::Kernel(GradKernel::Tanh), python: "tf.tanh", palette: true }
    /// `max(x, 0)` (`tf.nn.relu`).
    Relu { tf_name: "Relu", default_name: "Relu", float_only: false,
           grad: UnaryGrad::Kernel(GradKernel::Relu), python: "tf.nn.relu", palette: true }
    /// Natural logarithm (`tf.log`); floats only.
    Log { tf_name: "Log", default_name: "Log", float_only: true,
          grad: UnaryGrad::Built(GradRecipe::MulReciprocalOfInput), python: "tf.log", palette: true }
    /// `e^x` (`tf.exp`); floats only.
    Exp { tf_name: "Exp", default_name: "Exp", float_only: true,
          grad: UnaryGrad::Built(GradRecipe::MulOutput), python: "tf.exp", palette: true }
    /// `x * x` (`tf.square`).
    Square { tf_name: "Square", default_name: "Square", float_only: false,
             grad: UnaryGrad::Built(GradRecipe::MulTwiceInput), python: "tf.square", palette: true }
    /// Square root (`tf.sqrt`); floats only.
    Sqrt { tf_name: "Sqrt", default_name: "Sqrt", float_only: true,
           grad: UnaryGrad::Kernel(GradKernel::Sqrt), python: "tf.sqrt", palette: true }
    /// `|x|` (`tf.abs`).
    Abs { tf_name: "Abs", default_name: "Abs", float_only: false,
          grad: UnaryGrad::Built(GradRecipe::MulSignOfInput), python: "tf.abs", palette: true }
    /// -1, 0 or 1 (`tf.sign`); NaN stays NaN.
    Sign { tf_name: "Sign", default_name: "Sign", float_only: false,
           grad: UnaryGrad::Built(GradRecipe::Zeros), python: "tf.sign", palette: false }
    /// `1 / x` (`tf.reciprocal`); floats only.
    Reciprocal { tf_name: "Reciprocal", default_name: "Reciprocal", float_only: true,
                 grad: UnaryGrad::Kernel(GradKernel::Reciprocal), python: "tf.reciprocal", palette: false }
    /// A copy (`tf.identity`); any dtype.
    Identity { tf_name: "Identity", default_name: "Identity", float_only: false,
               grad: UnaryGrad::Built(GradRecipe::PassThrough), python: "tf.identity", palette: false }
    /// `x < 0 ? exp(x) - 1 : x` (`tf.nn.elu`); floats only.
    Elu { tf_name: "Elu", default_name: "Elu", float_only: true,
          grad: UnaryGrad::Kernel(GradKernel::Elu), python: "tf.nn.elu", palette: true }
    /// Rounds down (`tf.floor`); floats only; no gradient flows through it.
    Floor { tf_name: "Floor", default_name: "Floor", float_only: true,
            grad: UnaryGrad::None, python: "tf.floor", palette: true }
}

op_enum! {
    /// The unary gradient kernels (`Op::UnaryGrad` nodes): their TF op names, which operand they
    /// read, and TF's argument names in TF's order, each with the index of our input it takes
    /// (our inputs are always `(a, dy)`).
    GradKernel, GradKernelFacts {
        tf_name: &'static str,
        reads: GradReads,
        tf_args: [(&'static str, usize); 2],
    };
    /// `SigmoidGrad(y, dy) = dy * (y * (1 - y))`.
    Sigmoid { tf_name: "SigmoidGrad", reads: GradReads::Output, tf_args: [("y", 0), ("dy", 1)] }
    /// `TanhGrad(y, dy) = dy * (1 - y * y)`.
    Tanh { tf_name: "TanhGrad", reads: GradReads::Output, tf_args: [("y", 0), ("dy", 1)] }
    /// `ReluGrad(gradients, features) = features > 0 ? gradients : 0`.
    Relu { tf_name: "ReluGrad", reads: GradReads::Input, tf_args: [("gradients", 1), ("features", 0)] }
    /// `SqrtGrad(y, dy) = 0.5 * dy / y`.
    Sqrt { tf_name: "SqrtGrad", reads: GradReads::Output, tf_args: [("y", 0), ("dy", 1)] }
    /// `ReciprocalGrad(y, dy) = -(dy * (y * y))`.
    Reciprocal { tf_name: "ReciprocalGrad", reads: GradReads::Output, tf_args: [("y", 0), ("dy", 1)] }
    /// `EluGrad(gradients, outputs) = outputs < 0 ? gradients * (outputs + 1) : gradients`.
    Elu { tf_name: "EluGrad", reads: GradReads::Output, tf_args: [("gradients", 1), ("outputs", 0)] }
}

op_enum! {
    /// Reductions over axes (`tf.reduce_*`).
    ReduceOp, ReduceFacts {
        tf_name: &'static str,
        python: &'static str,
        differentiable: bool,
    };
    /// Sum (`tf.reduce_sum`).
    Sum { tf_name: "Sum", python: "tf.reduce_sum", differentiable: true }
    /// Mean (`tf.reduce_mean`); integer means divide with truncation as TF's do.
    Mean { tf_name: "Mean", python: "tf.reduce_mean", differentiable: true }
    /// Maximum (`tf.reduce_max`); NaN propagates; empty gives the lowest value (-inf for floats).
    Max { tf_name: "Max", python: "tf.reduce_max", differentiable: true }
    /// Minimum (`tf.reduce_min`); NaN propagates; empty gives the highest value (inf for floats).
    Min { tf_name: "Min", python: "tf.reduce_min", differentiable: true }
    /// Product (`tf.reduce_prod`).
    Prod { tf_name: "Prod", python: "tf.reduce_prod", differentiable: false }
}

impl BinaryOp {
    /// TF's op type name (`AddV2`, `RealDiv`, `Maximum`, ...), as the placement log and kernel
    /// errors show it.
    pub const fn tf_name(self) -> &'static str {
        self.facts().tf_name
    }

    /// True for the comparisons, whose output is bool.
    pub const fn is_comparison(self) -> bool {
        self.facts().comparison
    }
}

impl UnaryOp {
    /// TF's op type name (`Neg`, `Sigmoid`, ...).
    pub const fn tf_name(self) -> &'static str {
        self.facts().tf_name
    }

    /// True for the ops that only have float kernels.
    pub const fn is_float_only(self) -> bool {
        self.facts().float_only
    }

    /// How the op's gradient is built.
    pub const fn grad(self) -> UnaryGrad {
        self.facts().grad
    }

    /// The TF type name of this op's `Op::UnaryGrad` node: the gradient kernel's name, or
    /// `UnaryGrad` for the ops whose gradient is built from other ops (no such node is built for
    /// them; a project file could still hold one).
    pub const fn grad_type_name(self) -> &'static str {
        match self.grad() {
            UnaryGrad::Kernel(k) => k.facts().tf_name,
            UnaryGrad::Built(_) | UnaryGrad::None => "UnaryGrad",
        }
    }
}

impl GradKernel {
    /// TF's op type name (`SigmoidGrad`, ...).
    pub const fn tf_name(self) -> &'static str {
        self.facts().tf_name
    }
}

impl ReduceOp {
    /// TF's op type name (`Sum`, `Mean`, ...).
    pub const fn tf_name(self) -> &'static str {
        self.facts().tf_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_forms_are_variant_names() {
        assert_eq!(serde_json::to_string(&BinaryOp::Add).unwrap(), "\"Add\"");
        assert_eq!(serde_json::to_string(&BinaryOp::Div).unwrap(), "\"Div\"");
        assert_eq!(serde_json::to_string(&UnaryOp::Elu).unwrap(), "\"Elu\"");
        assert_eq!(serde_json::to_string(&ReduceOp::Mean).unwrap(), "\"Mean\"");
    }

    #[test]
    fn names_are_tf_type_names() {
        assert_eq!(BinaryOp::Add.tf_name(), "AddV2");
        assert_eq!(BinaryOp::Div.tf_name(), "RealDiv");
        assert_eq!(UnaryOp::Elu.grad_type_name(), "EluGrad");
        assert_eq!(UnaryOp::Log.grad_type_name(), "UnaryGrad");
        assert_eq!(UnaryOp::ALL.len(), 14);
    }
}
