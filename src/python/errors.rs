//! The errors a Python program can end with: Python's own exceptions (`NameError: name 'w3' is
//! not defined`, and TF's errors, which are Python exceptions too), syntax errors, refusals of
//! what flowbench does not read (`PROGRAM.py:LINE:COL: ... is not supported by flowbench`) and the
//! time or step budget running out. Each carries the place in the source it happened at.

use crate::engine::error::Error as EngineError;

/// A place in the program: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum PyErrorKind {
    /// A Python exception (`NameError`, `TypeError`, TF's `InvalidArgumentError`, ...): the
    /// program can catch it with `try`/`except`.
    Exception {
        /// The class name (`type(e).__name__`).
        class: String,
        /// `str(e)`.
        message: String,
    },
    /// The parser refused the source.
    Syntax(String),
    /// Something outside the subset flowbench reads.
    Unsupported(String),
    /// The time or step budget ran out (`--max-seconds`).
    Timeout(String),
    /// `flowbench import` stopped the program early: what it did cannot be kept as a project
    /// (why).
    NotKept(String),
}

/// An error with the place it happened at (the place is filled in by the statement or
/// expression that was being evaluated, the innermost first).
#[derive(Clone, Debug, PartialEq)]
pub struct PyError {
    /// What.
    pub kind: PyErrorKind,
    /// Where; `None` until the evaluator knows.
    pub loc: Option<Loc>,
}

/// Results of the evaluator.
pub type PyResult<T> = std::result::Result<T, PyError>;

impl PyError {
    /// A Python exception of `class`.
    pub fn exception(class: &str, message: impl Into<String>) -> PyError {
        PyError { kind: PyErrorKind::Exception { class: class.to_string(), message: message.into() }, loc: None }
    }

    /// `TypeError: message`.
    pub fn type_error(message: impl Into<String>) -> PyError {
        PyError::exception("TypeError", message)
    }

    /// `ValueError: message`.
    pub fn value_error(message: impl Into<String>) -> PyError {
        PyError::exception("ValueError", message)
    }

    /// `<what> is not supported by flowbench`.
    pub fn unsupported(what: impl Into<String>) -> PyError {
        PyError { kind: PyErrorKind::Unsupported(what.into()), loc: None }
    }

    /// The budget ran out.
    pub fn timeout(message: impl Into<String>) -> PyError {
        PyError { kind: PyErrorKind::Timeout(message.into()), loc: None }
    }

    /// Sets the place if none is set yet.
    pub fn at(mut self, loc: Loc) -> PyError {
        if self.loc.is_none() {
            self.loc = Some(loc);
        }
        self
    }

    /// True for an exception a `try`/`except` may catch.
    pub fn is_exception(&self) -> bool {
        matches!(self.kind, PyErrorKind::Exception { .. })
    }

    /// The exception's class and message (`None` for refusals, syntax errors and timeouts).
    pub fn class_and_message(&self) -> Option<(&str, &str)> {
        match &self.kind {
            PyErrorKind::Exception { class, message } => Some((class, message)),
            _ => None,
        }
    }

    /// The message as the CLI prints it: `PROGRAM.py:LINE:COL: NameError: name 'w3' is not
    /// defined`, `PROGRAM.py:LINE:COL: tf.foo is not supported by flowbench`.
    pub fn render(&self, file: &str) -> String {
        let place = match self.loc {
            Some(l) => format!("{file}:{}:{}: ", l.line, l.col),
            None => format!("{file}: "),
        };
        match &self.kind {
            PyErrorKind::Exception { class, message } if message.is_empty() => format!("{place}{class}"),
            PyErrorKind::Exception { class, message } => format!("{place}{class}: {message}"),
            PyErrorKind::Syntax(m) => format!("{place}SyntaxError: {m}"),
            PyErrorKind::Unsupported(what) => format!("{place}{what} is not supported by flowbench"),
            PyErrorKind::Timeout(m) => format!("{place}{m}"),
            PyErrorKind::NotKept(why) => format!("{place}cannot be kept as a project: {why}"),
        }
    }
}

impl From<EngineError> for PyError {
    fn from(e: EngineError) -> PyError {
        PyError::exception(e.class.python_name(), e.message)
    }
}

/// Line and column (1-based, columns counted in characters) of a byte offset of `source`.
pub fn locate(source: &str, offset: usize) -> Loc {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Loc { line, col }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_place() {
        let e = PyError::exception("NameError", "name 'w3' is not defined").at(Loc { line: 3, col: 5 });
        assert_eq!(e.render("p.py"), "p.py:3:5: NameError: name 'w3' is not defined");
        let e = PyError::unsupported("tf.foo").at(Loc { line: 1, col: 1 });
        assert_eq!(e.render("p.py"), "p.py:1:1: tf.foo is not supported by flowbench");
        assert_eq!(locate("ab\ncd", 4), Loc { line: 2, col: 2 });
    }
}
