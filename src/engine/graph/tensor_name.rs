//! `TensorName`: the one parser and printer of TF's tensor names, `op:index`.
//!
//! TF's rules (`Graph.as_graph_element`): a name without a colon names an operation (flowbench
//! reads it as the operation's output 0, so `add` means `add:0`); a name with a colon must split
//! into exactly two parts, the second an integer (`add:1`, also `add:01` and `add:+1`, as Python's
//! `int` reads them). Anything else (`add:`, `add:b`, `a:b:0`) is refused with TF's `ValueError`.
//! An index too large for `usize` saturates, so it is then refused as an output the operation
//! does not have, as TF refuses it.

use crate::engine::error::{Error, Result};
use std::fmt;

/// A parsed tensor name: an operation name and an output index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorName {
    /// The operation (node) name.
    pub op: String,
    /// The output index.
    pub index: usize,
}

/// How a name splits, without allocating: `Ok((op, index))` or the reason it is not a name.
fn split(name: &str) -> std::result::Result<(&str, usize), ()> {
    let Some((op, index)) = name.split_once(':') else { return Ok((name, 0)) };
    if index.contains(':') {
        return Err(());
    }
    let digits = index.strip_prefix('+').unwrap_or(index);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    let value = digits.bytes().fold(0usize, |acc, b| acc.saturating_mul(10).saturating_add(usize::from(b - b'0')));
    Ok((op, value))
}

impl TensorName {
    /// `op:index`.
    pub fn new(op: impl Into<String>, index: usize) -> TensorName {
        TensorName { op: op.into(), index }
    }

    /// Parses `op:index` or `op` (output 0) by TF's rules; refuses other names with TF's message.
    pub fn parse(name: &str) -> Result<TensorName> {
        match split(name) {
            Ok((op, index)) => Ok(TensorName { op: op.to_string(), index }),
            Err(()) => Err(Error::value_error(format!(
                "The name '{name}' looks a like a Tensor name, but is not a valid one. Tensor names must be of the form \"<op_name>:<output_index>\"."
            ))),
        }
    }

    /// Whether `name` is a valid tensor name.
    pub fn is_valid(name: &str) -> bool {
        split(name).is_ok()
    }

    /// The operation a name refers to, borrowed: `add:1` gives `add`, `add` gives `add`. A name
    /// that is not valid is returned whole (it then names no node: node names have no colon).
    pub fn op_of(name: &str) -> &str {
        split(name).map_or(name, |(op, _)| op)
    }

    /// The output index a name refers to (0 for `add`, and for a name that is not valid).
    pub fn index_of(name: &str) -> usize {
        split(name).map_or(0, |(_, i)| i)
    }

    /// The canonical form of a name (`add` gives `add:0`); a name that is not valid is kept as is.
    pub fn canonical(name: &str) -> String {
        match split(name) {
            Ok((op, index)) => format!("{op}:{index}"),
            Err(()) => name.to_string(),
        }
    }
}

impl fmt::Display for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.op, self.index)
    }
}

impl std::str::FromStr for TensorName {
    type Err = Error;

    fn from_str(s: &str) -> Result<TensorName> {
        TensorName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_as_tf() {
        assert_eq!(TensorName::parse("add:1").unwrap(), TensorName::new("add", 1));
        assert_eq!(TensorName::parse("add").unwrap(), TensorName::new("add", 0));
        assert_eq!(TensorName::parse("layer/MatMul:0").unwrap().to_string(), "layer/MatMul:0");
        assert_eq!(TensorName::parse("add:01").unwrap().index, 1);
        assert_eq!(TensorName::parse("add:+2").unwrap().index, 2);
        assert_eq!(TensorName::parse("add:99999999999999999999999").unwrap().index, usize::MAX);
        assert_eq!(TensorName::parse(":0").unwrap(), TensorName::new("", 0));
        for bad in ["add:", "add:b", "a:b:0", "add:-1", "add: 1"] {
            let e = TensorName::parse(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "ValueError: The name '{bad}' looks a like a Tensor name, but is not a valid one. Tensor names must be of the form \"<op_name>:<output_index>\"."
                )
            );
            assert!(!TensorName::is_valid(bad));
            assert_eq!(TensorName::op_of(bad), bad);
        }
        assert_eq!(TensorName::op_of("add:3"), "add");
        assert_eq!(TensorName::index_of("add:3"), 3);
        assert_eq!(TensorName::canonical("add"), "add:0");
        assert_eq!("x:2".parse::<TensorName>().unwrap(), TensorName::new("x", 2));
    }
}
