//! Static shapes with unknown dimensions or unknown rank (`tf.TensorShape`), their TF display
//! forms and the merging rules used by shape inference and feed checks.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A static shape: `None` is an unknown rank, and each `None` dim is unknown (`?`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Shape(pub Option<Vec<Option<usize>>>);

impl Shape {
    /// A fully known shape.
    pub fn known(dims: &[usize]) -> Shape {
        Shape(Some(dims.iter().map(|&d| Some(d)).collect()))
    }

    /// A scalar shape `()`.
    pub fn scalar() -> Shape {
        Shape(Some(Vec::new()))
    }

    /// A shape of unknown rank.
    pub fn unknown() -> Shape {
        Shape(None)
    }

    /// A shape from optional dims (`None` = `?`).
    pub fn from_dims(dims: Vec<Option<usize>>) -> Shape {
        Shape(Some(dims))
    }

    /// The rank, if known.
    pub fn rank(&self) -> Option<usize> {
        self.0.as_ref().map(|d| d.len())
    }

    /// The dims, if the rank is known.
    pub fn dims(&self) -> Option<&[Option<usize>]> {
        self.0.as_deref()
    }

    /// Dim `i` (unknown if the rank or the dim is unknown, or `i` is out of range).
    pub fn dim(&self, i: usize) -> Option<usize> {
        self.0.as_ref().and_then(|d| d.get(i).copied().flatten())
    }

    /// All dims if every one is known.
    pub fn to_known(&self) -> Option<Vec<usize>> {
        self.0.as_ref()?.iter().copied().collect()
    }

    /// True if rank and every dim are known.
    pub fn is_fully_defined(&self) -> bool {
        self.to_known().is_some()
    }

    /// Number of elements, if fully known.
    pub fn num_elements(&self) -> Option<usize> {
        self.to_known().map(|d| d.iter().product())
    }

    /// True if a concrete shape `dims` fits this (possibly partial) shape.
    pub fn is_compatible_with_dims(&self, dims: &[usize]) -> bool {
        match &self.0 {
            None => true,
            Some(s) => s.len() == dims.len() && s.iter().zip(dims).all(|(a, b)| a.is_none_or(|a| a == *b)),
        }
    }

    /// TF's list form used in runtime errors: `[2,3]`, `[?,2]`, `<unknown>`.
    pub fn list_form(&self) -> String {
        match &self.0 {
            None => "<unknown>".to_string(),
            Some(d) => {
                let parts: Vec<String> = d.iter().map(|x| x.map_or("?".to_string(), |v| v.to_string())).collect();
                format!("[{}]", parts.join(","))
            }
        }
    }

    /// Parses `(2, 3)`, `[None, 2]`, `?,2`, `()`, `<unknown>`.
    pub fn parse(s: &str) -> Option<Shape> {
        let t = s.trim();
        if t == "<unknown>" || t == "unknown" || t == "None" {
            return Some(Shape::unknown());
        }
        let inner = t.trim_start_matches(['(', '[']).trim_end_matches([')', ']']);
        let mut dims = Vec::new();
        for part in inner.split(',') {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            if p == "?" || p == "None" || p == "-1" {
                dims.push(None);
            } else {
                dims.push(Some(p.parse::<usize>().ok()?));
            }
        }
        Some(Shape(Some(dims)))
    }
}

/// The Python form TF uses in `Tensor(...)` reprs: `(2,)`, `(?, 2)`, `()`, `<unknown>`.
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("<unknown>"),
            Some(d) => {
                let parts: Vec<String> = d.iter().map(|x| x.map_or("?".to_string(), |v| v.to_string())).collect();
                if parts.len() == 1 { write!(f, "({},)", parts[0]) } else { write!(f, "({})", parts.join(", ")) }
            }
        }
    }
}

/// Python tuple form of concrete dims: `(3, 2)`, `(2,)`, `()`.
pub fn tuple_form(dims: &[usize]) -> String {
    Shape::known(dims).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_tf() {
        assert_eq!(Shape::known(&[2]).to_string(), "(2,)");
        assert_eq!(Shape::from_dims(vec![None, Some(2)]).to_string(), "(?, 2)");
        assert_eq!(Shape::scalar().to_string(), "()");
        assert_eq!(Shape::unknown().to_string(), "<unknown>");
        assert_eq!(Shape::known(&[2, 3]).list_form(), "[2,3]");
        assert_eq!(Shape::from_dims(vec![None, Some(2)]).list_form(), "[?,2]");
    }

    #[test]
    fn parse_forms() {
        assert_eq!(Shape::parse("(None, 2)"), Some(Shape::from_dims(vec![None, Some(2)])));
        assert_eq!(Shape::parse("[2,3]"), Some(Shape::known(&[2, 3])));
        assert_eq!(Shape::parse("()"), Some(Shape::scalar()));
        assert_eq!(Shape::parse("(x,2)"), None);
    }

    #[test]
    fn compatibility() {
        let s = Shape::from_dims(vec![None, Some(2)]);
        assert!(s.is_compatible_with_dims(&[5, 2]));
        assert!(!s.is_compatible_with_dims(&[5, 3]));
        assert!(!s.is_compatible_with_dims(&[2]));
        assert!(Shape::unknown().is_compatible_with_dims(&[1, 2, 3]));
    }
}
