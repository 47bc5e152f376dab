//! Element types of tensors (`tf.DType`): names as TF prints them and sizes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The element type of a tensor. TF's `tf.float32`, `tf.float64`, `tf.int32`, `tf.int64`, `tf.bool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// 32-bit IEEE float (`tf.float32`), the default for floating-point constants.
    #[default]
    Float32,
    /// 64-bit IEEE float (`tf.float64`).
    Float64,
    /// 32-bit signed integer (`tf.int32`), the default for integer constants.
    Int32,
    /// 64-bit signed integer (`tf.int64`).
    Int64,
    /// Boolean (`tf.bool`).
    Bool,
}

impl DType {
    /// All dtypes, in the order the UI lists them.
    pub const ALL: [DType; 5] = [DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::Bool];

    /// The Python-side name: `float32`, as in `dtype=float32`.
    pub fn name(self) -> &'static str {
        match self {
            DType::Float32 => "float32",
            DType::Float64 => "float64",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Bool => "bool",
        }
    }

    /// The C++ runtime name used in TF's kernel errors: `float`, `double`, `int32`, `int64`, `bool`.
    pub fn runtime_name(self) -> &'static str {
        match self {
            DType::Float32 => "float",
            DType::Float64 => "double",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Bool => "bool",
        }
    }

    /// Parses `float32`, `tf.float32`, `float`, `double`, `int32`, `int64`, `bool`.
    pub fn parse(s: &str) -> Option<DType> {
        let s = s.trim().trim_start_matches("tf.");
        Some(match s {
            "float32" | "float" => DType::Float32,
            "float64" | "double" => DType::Float64,
            "int32" => DType::Int32,
            "int64" => DType::Int64,
            "bool" => DType::Bool,
            _ => return None,
        })
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::Float32 | DType::Int32 => 4,
            DType::Float64 | DType::Int64 => 8,
            DType::Bool => 1,
        }
    }

    /// True for float32 and float64.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }

    /// True for int32 and int64.
    pub fn is_int(self) -> bool {
        matches!(self, DType::Int32 | DType::Int64)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::parse(d.name()), Some(d));
            assert_eq!(DType::parse(d.runtime_name()), Some(d));
        }
        assert_eq!(DType::parse("tf.float64"), Some(DType::Float64));
        assert_eq!(DType::parse("complex64"), None);
    }
}
