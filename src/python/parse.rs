//! Reading a program's source with a maintained Python parser (`rustpython-parser`), and the
//! places (line, column) of its nodes.

use crate::python::errors::{PyError, PyErrorKind, PyResult, locate};
use rustpython_parser::Parse;
use rustpython_parser::ast;

/// The most bytes of source read (a program is code, not data).
pub const MAX_SOURCE_BYTES: usize = 4 << 20;

/// The most nested brackets or blocks the parser is given (its recursion is bounded by this).
const MAX_NESTING: usize = 100;

/// A parsed program: its statements and its text (for places).
#[derive(Debug)]
pub struct Program {
    /// The statements.
    pub body: Vec<ast::Stmt>,
    /// The source.
    pub source: String,
}

/// Parses `source`; a syntax error names its line and column.
pub fn parse_program(source: &str, path: &str) -> PyResult<Program> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(PyError::unsupported(format!("a program of more than {MAX_SOURCE_BYTES} bytes")));
    }
    check_nesting(source)?;
    match ast::Suite::parse(source, path) {
        Ok(body) => Ok(Program { body, source: source.to_string() }),
        Err(e) => {
            let loc = locate(source, usize::from(e.offset));
            let message = match &e.error {
                rustpython_parser::ParseErrorType::Eof => "unexpected EOF while parsing".to_string(),
                rustpython_parser::ParseErrorType::UnrecognizedToken(tok, _) => format!("invalid syntax at '{tok}'"),
                other => other.to_string(),
            };
            Err(PyError { kind: PyErrorKind::Syntax(message), loc: Some(loc) })
        }
    }
}

/// Refuses deeply nested brackets before the parser (which recurses) sees them.
fn check_nesting(source: &str) -> PyResult<()> {
    let mut depth = 0usize;
    for (i, c) in source.char_indices() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(PyError::unsupported(format!("nesting brackets more than {MAX_NESTING} deep"))
                        .at(locate(source, i)));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let deepest_indent = source.lines().map(|l| l.len() - l.trim_start().len()).max().unwrap_or(0);
    if deepest_indent > 4 * MAX_NESTING {
        return Err(PyError::unsupported(format!("indenting blocks more than {MAX_NESTING} deep")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_places_errors() {
        assert_eq!(parse_program("x = 1\nprint(x)\n", "p.py").unwrap().body.len(), 2);
        let e = parse_program("x = (1,\n", "p.py").unwrap_err();
        assert!(matches!(e.kind, PyErrorKind::Syntax(_)), "{e:?}");
        assert!(e.render("p.py").starts_with("p.py:"), "{}", e.render("p.py"));
        let deep = "x = ".to_string() + &"(".repeat(1000);
        assert!(parse_program(&deep, "p.py").is_err());
    }
}
