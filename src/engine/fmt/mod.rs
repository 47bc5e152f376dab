//! Text forms of values: numpy's printing.

pub mod numpy;
