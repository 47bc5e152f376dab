//! Protobuf's text format, read back into the messages of a `GraphDef` (`.pbtxt`, as
//! `tf.train.write_graph(..., as_text=True)` and `flowbench export --format pbtxt` write it): a
//! small tokenizer and parser into a tree of fields, then the tree mapped onto
//! [`crate::formats::proto`]'s messages. Comments (`#`), `:` before a message, `{}` or `<>`,
//! `,`/`;` separators, `[a, b]` lists, adjacent strings, C escapes (octal, hex) and enum values
//! by name (`DT_FLOAT`) or number are accepted; unknown fields are skipped as protobuf skips
//! them. Errors name the line and column.

use crate::formats::proto::{
    AttrKind, AttrValue, Dim, GraphDef, ListValue, NodeDef, TensorProto, TensorShapeProto, VersionDef,
};

/// How deep messages may nest (a `GraphDef` needs 6).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(Vec<u8>),
    Punct(char),
}

/// A field's value: a scalar (identifier, number or string) or a message.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Word(String),
    Bytes(Vec<u8>),
    Msg(Vec<(String, Val)>),
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
    col: usize,
}

impl Lexer<'_> {
    fn err(&self, m: &str) -> String {
        format!("line {}:{}: {m}", self.line, self.col)
    }

    fn bump(&mut self) -> Option<u8> {
        let c = *self.s.get(self.pos)?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// The next token and where it starts.
    fn next(&mut self) -> Result<Option<(Tok, usize, usize)>, String> {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => {
                    self.bump();
                }
                Some(b'#') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let (line, col) = (self.line, self.col);
        let Some(c) = self.peek() else { return Ok(None) };
        let tok = match c {
            b'{' | b'}' | b'<' | b'>' | b'[' | b']' | b':' | b',' | b';' => {
                self.bump();
                Tok::Punct(c as char)
            }
            b'"' | b'\'' => Tok::Str(self.string(c)?),
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'+' || c == b'.' => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || b"_-+.".contains(&c)) {
                    self.bump();
                }
                Tok::Ident(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
            }
            _ => return Err(self.err(&format!("unexpected character '{}'", c as char))),
        };
        Ok(Some((tok, line, col)))
    }

    fn string(&mut self, quote: u8) -> Result<Vec<u8>, String> {
        self.bump();
        let mut out = Vec::new();
        loop {
            let Some(c) = self.bump() else { return Err(self.err("unterminated string")) };
            match c {
                b'\n' => return Err(self.err("unterminated string")),
                c if c == quote => return Ok(out),
                b'\\' => {
                    let Some(e) = self.bump() else { return Err(self.err("unterminated string")) };
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'a' => out.push(7),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'v' => out.push(11),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        self.bump();
                                        v = v * 8 + u32::from(d - b'0');
                                    }
                                    _ => break,
                                }
                            }
                            out.push(u8::try_from(v).map_err(|_| self.err("octal escape out of range"))?);
                        }
                        b'x' | b'X' => {
                            let mut v = 0u32;
                            let mut n = 0;
                            while n < 2 {
                                match self.peek().and_then(|d| (d as char).to_digit(16)) {
                                    Some(d) => {
                                        self.bump();
                                        v = v * 16 + d;
                                        n += 1;
                                    }
                                    None => break,
                                }
                            }
                            if n == 0 {
                                return Err(self.err("\\x with no hex digits"));
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    ahead: Option<(Tok, usize, usize)>,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<Option<&Tok>, String> {
        if self.ahead.is_none() {
            self.ahead = self.lex.next()?;
        }
        Ok(self.ahead.as_ref().map(|t| &t.0))
    }

    fn take(&mut self) -> Result<Option<(Tok, usize, usize)>, String> {
        self.peek()?;
        Ok(self.ahead.take())
    }

    fn err_at(&self, line: usize, col: usize, m: &str) -> String {
        format!("line {line}:{col}: {m}")
    }

    /// Fields until `close` (or the end of the text when `None`).
    fn message(&mut self, close: Option<char>, depth: usize) -> Result<Vec<(String, Val)>, String> {
        if depth > MAX_DEPTH {
            return Err(self.lex.err("messages nested too deeply"));
        }
        let mut fields = Vec::new();
        loop {
            let Some((tok, line, col)) = self.take()? else {
                return match close {
                    None => Ok(fields),
                    Some(c) => Err(self.lex.err(&format!("expected '{c}' before the end of the text"))),
                };
            };
            let name = match tok {
                Tok::Punct(c) if Some(c) == close => return Ok(fields),
                Tok::Punct(',' | ';') => continue,
                Tok::Ident(name) => name,
                _ => return Err(self.err_at(line, col, "expected a field name")),
            };
            let colon = matches!(self.peek()?, Some(Tok::Punct(':')));
            if colon {
                self.take()?;
            }
            if matches!(self.peek()?, Some(Tok::Punct('['))) {
                self.take()?;
                loop {
                    if matches!(self.peek()?, Some(Tok::Punct(']'))) {
                        self.take()?;
                        break;
                    }
                    let v = self.value(depth)?;
                    fields.push((name.clone(), v));
                    if matches!(self.peek()?, Some(Tok::Punct(','))) {
                        self.take()?;
                    }
                }
                continue;
            }
            if !colon && !matches!(self.peek()?, Some(Tok::Punct('{' | '<'))) {
                return Err(self.err_at(line, col, &format!("expected ':' or '{{' after '{name}'")));
            }
            let v = self.value(depth)?;
            fields.push((name, v));
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val, String> {
        let Some((tok, line, col)) = self.take()? else { return Err(self.lex.err("expected a value")) };
        Ok(match tok {
            Tok::Punct('{') => Val::Msg(self.message(Some('}'), depth + 1)?),
            Tok::Punct('<') => Val::Msg(self.message(Some('>'), depth + 1)?),
            Tok::Ident(w) => Val::Word(w),
            Tok::Str(mut b) => {
                while let Some(Tok::Str(_)) = self.peek()? {
                    if let Some((Tok::Str(more), ..)) = self.take()? {
                        b.extend(more);
                    }
                }
                Val::Bytes(b)
            }
            Tok::Punct(c) => return Err(self.err_at(line, col, &format!("unexpected '{c}'"))),
        })
    }
}

fn parse(text: &str) -> Result<Vec<(String, Val)>, String> {
    let mut p = Parser { lex: Lexer { s: text.as_bytes(), pos: 0, line: 1, col: 1 }, ahead: None };
    p.message(None, 0)
}

// ----- the tree mapped onto the messages -----

fn word<'v>(v: &'v Val, field: &str) -> Result<&'v str, String> {
    match v {
        Val::Word(w) => Ok(w),
        _ => Err(format!("{field}: expected a number or a name")),
    }
}

fn string(v: &Val, field: &str) -> Result<String, String> {
    match v {
        Val::Bytes(b) => String::from_utf8(b.clone()).map_err(|_| format!("{field}: not UTF-8")),
        _ => Err(format!("{field}: expected a string")),
    }
}

fn bytes(v: &Val, field: &str) -> Result<Vec<u8>, String> {
    match v {
        Val::Bytes(b) => Ok(b.clone()),
        _ => Err(format!("{field}: expected a string")),
    }
}

fn msg<'v>(v: &'v Val, field: &str) -> Result<&'v [(String, Val)], String> {
    match v {
        Val::Msg(m) => Ok(m),
        _ => Err(format!("{field}: expected a message in {{ }}")),
    }
}

fn int(v: &Val, field: &str) -> Result<i64, String> {
    let w = word(v, field)?;
    let (neg, digits) = match w.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, w.strip_prefix('+').unwrap_or(w)),
    };
    let mag = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i128::from_str_radix(h, 16)
    } else {
        digits.parse::<i128>()
    }
    .map_err(|_| format!("{field}: '{w}' is not an integer"))?;
    let value = if neg { mag.checked_neg() } else { Some(mag) };
    value.and_then(|v| i64::try_from(v).ok()).ok_or_else(|| format!("{field}: '{w}' is out of range"))
}

fn int32(v: &Val, field: &str) -> Result<i32, String> {
    i32::try_from(int(v, field)?).map_err(|_| format!("{field}: out of range for int32"))
}

fn float(v: &Val, field: &str) -> Result<f64, String> {
    let w = word(v, field)?;
    let lower = w.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" | "+inf" | "+infinity" | "inff" => return Ok(f64::INFINITY),
        "-inf" | "-infinity" | "-inff" => return Ok(f64::NEG_INFINITY),
        "nan" | "-nan" | "+nan" | "nanf" => return Ok(f64::NAN),
        _ => {}
    }
    // `1.5f` is a float too.
    lower
        .parse::<f64>()
        .or_else(|_| lower.strip_suffix('f').unwrap_or(&lower).parse::<f64>())
        .map_err(|_| format!("{field}: '{w}' is not a number"))
}

fn boolean(v: &Val, field: &str) -> Result<bool, String> {
    match word(v, field)? {
        "true" | "True" | "t" | "1" => Ok(true),
        "false" | "False" | "f" | "0" => Ok(false),
        w => Err(format!("{field}: '{w}' is not a bool")),
    }
}

/// A `DataType` by name (`DT_FLOAT`) or number.
fn dtype(v: &Val, field: &str) -> Result<i32, String> {
    const NAMES: [(&str, i32); 24] = [
        ("DT_INVALID", 0),
        ("DT_FLOAT", 1),
        ("DT_DOUBLE", 2),
        ("DT_INT32", 3),
        ("DT_UINT8", 4),
        ("DT_INT16", 5),
        ("DT_INT8", 6),
        ("DT_STRING", 7),
        ("DT_COMPLEX64", 8),
        ("DT_INT64", 9),
        ("DT_BOOL", 10),
        ("DT_QINT8", 11),
        ("DT_QUINT8", 12),
        ("DT_QINT32", 13),
        ("DT_BFLOAT16", 14),
        ("DT_QINT16", 15),
        ("DT_QUINT16", 16),
        ("DT_UINT16", 17),
        ("DT_COMPLEX128", 18),
        ("DT_HALF", 19),
        ("DT_RESOURCE", 20),
        ("DT_VARIANT", 21),
        ("DT_UINT32", 22),
        ("DT_UINT64", 23),
    ];
    let w = word(v, field)?;
    if let Some(&(_, n)) = NAMES.iter().find(|(name, _)| *name == w) {
        return Ok(n);
    }
    if let Some(base) = w.strip_suffix("_REF")
        && let Some(&(_, n)) = NAMES.iter().find(|(name, _)| *name == base)
    {
        return Ok(n + 100);
    }
    int32(v, field).map_err(|_| format!("{field}: '{w}' is not a DataType"))
}

fn shape(m: &[(String, Val)]) -> Result<TensorShapeProto, String> {
    let mut s = TensorShapeProto::default();
    for (k, v) in m {
        match k.as_str() {
            "dim" => {
                let mut d = Dim::default();
                for (k, v) in msg(v, "dim")? {
                    match k.as_str() {
                        "size" => d.size = int(v, "dim.size")?,
                        "name" => d.name = string(v, "dim.name")?,
                        _ => {}
                    }
                }
                s.dim.push(d);
            }
            "unknown_rank" => s.unknown_rank = boolean(v, "unknown_rank")?,
            _ => {}
        }
    }
    Ok(s)
}

fn tensor(m: &[(String, Val)]) -> Result<TensorProto, String> {
    let mut t = TensorProto::default();
    for (k, v) in m {
        match k.as_str() {
            "dtype" => t.dtype = dtype(v, "dtype")?,
            "tensor_shape" => t.tensor_shape = Some(shape(msg(v, k)?)?),
            "version_number" => t.version_number = int32(v, k)?,
            "tensor_content" => t.tensor_content = bytes(v, k)?,
            "float_val" => t.float_val.push(float(v, k)? as f32),
            "double_val" => t.double_val.push(float(v, k)?),
            "int_val" => t.int_val.push(int32(v, k)?),
            "string_val" => t.string_val.push(bytes(v, k)?),
            "int64_val" => t.int64_val.push(int(v, k)?),
            "bool_val" => t.bool_val.push(boolean(v, k)?),
            _ => {}
        }
    }
    Ok(t)
}

fn list(m: &[(String, Val)]) -> Result<ListValue, String> {
    let mut l = ListValue::default();
    for (k, v) in m {
        match k.as_str() {
            "s" => l.s.push(bytes(v, "list.s")?),
            "i" => l.i.push(int(v, "list.i")?),
            "f" => l.f.push(float(v, "list.f")? as f32),
            "b" => l.b.push(boolean(v, "list.b")?),
            "type" => l.r#type.push(dtype(v, "list.type")?),
            "shape" => l.shape.push(shape(msg(v, "list.shape")?)?),
            _ => {}
        }
    }
    Ok(l)
}

fn attr_value(m: &[(String, Val)]) -> Result<AttrValue, String> {
    let mut a = AttrValue::default();
    for (k, v) in m {
        a.value = Some(match k.as_str() {
            "list" => AttrKind::List(list(msg(v, k)?)?),
            "s" => AttrKind::S(bytes(v, k)?),
            "i" => AttrKind::I(int(v, k)?),
            "f" => AttrKind::F(float(v, k)? as f32),
            "b" => AttrKind::B(boolean(v, k)?),
            "type" => AttrKind::Type(dtype(v, k)?),
            "shape" => AttrKind::Shape(shape(msg(v, k)?)?),
            "tensor" => AttrKind::Tensor(tensor(msg(v, k)?)?),
            _ => continue,
        });
    }
    Ok(a)
}

fn node(m: &[(String, Val)]) -> Result<NodeDef, String> {
    let mut n = NodeDef::default();
    for (k, v) in m {
        match k.as_str() {
            "name" => n.name = string(v, k)?,
            "op" => n.op = string(v, k)?,
            "input" => n.input.push(string(v, k)?),
            "device" => n.device = string(v, k)?,
            "attr" => {
                let (mut key, mut value) = (None, AttrValue::default());
                for (k, v) in msg(v, "attr")? {
                    match k.as_str() {
                        "key" => key = Some(string(v, "attr.key")?),
                        "value" => value = attr_value(msg(v, "attr.value")?)?,
                        _ => {}
                    }
                }
                let key = key.ok_or_else(|| format!("node '{}': an attr has no key", n.name))?;
                n.attr.insert(key, value);
            }
            _ => {}
        }
    }
    Ok(n)
}

/// A `GraphDef` from its text format.
pub fn parse_graph_def(text: &str) -> Result<GraphDef, String> {
    let mut g = GraphDef::default();
    for (k, v) in parse(text)? {
        match k.as_str() {
            "node" => g.node.push(node(msg(&v, "node")?)?),
            "versions" => {
                let mut ver = VersionDef::default();
                for (k, v) in msg(&v, "versions")? {
                    match k.as_str() {
                        "producer" => ver.producer = int32(v, "versions.producer")?,
                        "min_consumer" => ver.min_consumer = int32(v, "versions.min_consumer")?,
                        "bad_consumers" => ver.bad_consumers.push(int32(v, "versions.bad_consumers")?),
                        _ => {}
                    }
                }
                g.versions = Some(ver);
            }
            _ => {}
        }
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nodes_attrs_and_escapes() {
        let text = r#"
# a comment
node {
  name: "c"  op: "Const"
  attr { key: "dtype" value { type: DT_FLOAT } }
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } }
    tensor_content: "\000\000\200?\x00\x00\000@" } } }
}
node < name: 'm' op: "MatMul" input: ["c", "c:0"] input: "^c"
  attr { key: "transpose_a" value { b: true } }
  attr { key: "l" value { list { i: [1, -2] f: 0.5 f: inf type: DT_INT32 } } } >
versions { producer: 27 }
"#;
        let g = parse_graph_def(text).unwrap();
        assert_eq!(g.node.len(), 2);
        assert_eq!(g.node[1].input, ["c", "c:0", "^c"]);
        let Some(AttrKind::Tensor(t)) = &g.node[0].attr["value"].value else { panic!() };
        assert_eq!(t.tensor_content, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
        assert_eq!(g.node[1].attr["transpose_a"].value, Some(AttrKind::B(true)));
        let Some(AttrKind::List(l)) = &g.node[1].attr["l"].value else { panic!() };
        assert_eq!((l.i.clone(), l.f.clone(), l.r#type.clone()), (vec![1, -2], vec![0.5, f32::INFINITY], vec![3]));
        assert_eq!(g.versions.unwrap().producer, 27);
    }

    #[test]
    fn refuses_garbage_with_its_place() {
        assert_eq!(
            parse_graph_def("node {\n  name \"x\" }").unwrap_err(),
            "line 2:3: expected ':' or '{' after 'name'"
        );
        for bad in ["node {", "node { name: }", "node { name: \"a }", "node: 5", "}", "node { name \"x\" }", "@"] {
            assert!(parse_graph_def(bad).is_err(), "{bad}");
        }
        let deep = "node {".repeat(100) + &"}".repeat(100);
        assert!(parse_graph_def(&deep).unwrap_err().contains("nested too deeply"));
    }
}
