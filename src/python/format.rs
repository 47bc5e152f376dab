//! Python's string formatting: `%` formatting (`"%d %g" % (i, x)`), the format-spec
//! mini-language of f-strings and `str.format` (`{:.3f}`, `{:>8}`), with Python's exact float
//! output (`%g` and `%e` as C prints them, `%f` correctly rounded).

use crate::engine::fmt::numpy::{printf_e, printf_g};
use crate::python::errors::{PyError, PyResult};
use crate::python::value::PyValue;

/// Turns a value into text (`str` or `repr`), given by the evaluator (which knows tensors).
pub type Show<'a> = &'a dyn Fn(&PyValue) -> String;

fn as_number(v: &PyValue, conv: char) -> PyResult<f64> {
    v.as_f64()
        .ok_or_else(|| PyError::type_error(format!("%{conv} format: a real number is required, not {}", v.type_name())))
}

fn float_text(x: f64, conv: char, prec: usize, alt: bool) -> String {
    if !x.is_finite() {
        let s = if x.is_nan() {
            "nan".to_string()
        } else if x > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
        return if conv.is_ascii_uppercase() { s.to_uppercase() } else { s };
    }
    let s = match conv.to_ascii_lowercase() {
        'f' => format!("{x:.prec$}"),
        'e' => printf_e(x, prec),
        _ => {
            let s = printf_g(x, prec);
            if alt && !s.contains('.') && !s.contains('e') { format!("{s}.") } else { s }
        }
    };
    if conv.is_ascii_uppercase() { s.to_uppercase() } else { s }
}

fn pad(body: String, width: usize, left: bool, zero: bool) -> String {
    let n = body.chars().count();
    if n >= width {
        return body;
    }
    let fill = width - n;
    if left {
        body + &" ".repeat(fill)
    } else if zero {
        let (sign, digits) = match body.strip_prefix(['-', '+', ' ']) {
            Some(rest) => (&body[..1], rest.to_string()),
            None => ("", body.clone()),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        " ".repeat(fill) + &body
    }
}

/// `fmt % args`.
pub fn percent(fmt: &str, args: &PyValue, show_str: Show<'_>, show_repr: Show<'_>) -> PyResult<String> {
    let items: Vec<PyValue> = match args {
        PyValue::Tuple(t) => t.as_ref().clone(),
        other => vec![other.clone()],
    };
    let dict = match args {
        PyValue::Dict(d) => Some(d.clone()),
        _ => None,
    };
    let mut next = 0usize;
    let mut out = String::with_capacity(fmt.len() + 16);
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let bad = || PyError::value_error("incomplete format");
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut key: Option<String> = None;
        if chars.get(i) == Some(&'(') {
            let end = chars[i..].iter().position(|&c| c == ')').ok_or_else(bad)? + i;
            key = Some(chars[i + 1..end].iter().collect());
            i = end + 1;
        }
        let (mut left, mut zero, mut plus, mut space, mut alt) = (false, false, false, false, false);
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                ' ' => space = true,
                '#' => alt = true,
                _ => break,
            }
            i += 1;
        }
        let width = read_count(&chars, &mut i);
        let mut prec: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            prec = Some(read_count(&chars, &mut i));
        }
        let conv = *chars.get(i).ok_or_else(bad)?;
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = match (&key, &dict) {
            (Some(k), Some(d)) => d
                .borrow()
                .iter()
                .find(|(kk, _)| kk.as_str() == Some(k))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| PyError::exception("KeyError", format!("'{k}'")))?,
            (Some(_), None) => return Err(PyError::type_error("format requires a mapping")),
            _ => {
                let a = items
                    .get(next)
                    .cloned()
                    .ok_or_else(|| PyError::type_error("not enough arguments for format string"))?;
                next += 1;
                a
            }
        };
        let sign = |s: String, x: f64| -> String {
            if x >= 0.0 && !s.starts_with('-') {
                if plus {
                    return format!("+{s}");
                }
                if space {
                    return format!(" {s}");
                }
            }
            s
        };
        let body = match conv {
            's' => {
                let s = show_str(&arg);
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'r' | 'a' => show_repr(&arg),
            'd' | 'i' | 'u' => {
                let x = as_number(&arg, conv)?;
                let n = x.trunc();
                let s = if n.abs() < 9.2e18 { format!("{}", n as i64) } else { format!("{n:.0}") };
                sign(s, x)
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let x = as_number(&arg, conv)?;
                sign(float_text(x, conv, prec.unwrap_or(6), alt), x)
            }
            'x' | 'X' | 'o' => {
                let n = arg.as_i64().ok_or_else(|| {
                    PyError::type_error(format!("%{conv} format: an integer is required, not {}", arg.type_name()))
                })?;
                let s = match conv {
                    'x' => format!("{:x}", n.unsigned_abs()),
                    'X' => format!("{:X}", n.unsigned_abs()),
                    _ => format!("{:o}", n.unsigned_abs()),
                };
                let s = if n < 0 { format!("-{s}") } else { s };
                sign(s, n as f64)
            }
            'c' => match &arg {
                PyValue::Str(s) if s.chars().count() == 1 => s.to_string(),
                other => other
                    .as_i64()
                    .and_then(|n| char::from_u32(n as u32))
                    .map(String::from)
                    .ok_or_else(|| PyError::type_error("%c requires int or char"))?,
            },
            other => {
                return Err(PyError::value_error(format!(
                    "unsupported format character '{other}' (0x{:x}) at index {}",
                    other as u32,
                    i - 1
                )));
            }
        };
        let numeric = !matches!(conv, 's' | 'r' | 'a' | 'c');
        out.push_str(&pad(body, width, left, zero && numeric && !left));
    }
    if dict.is_none() && next < items.len() && matches!(args, PyValue::Tuple(_)) {
        return Err(PyError::type_error("not all arguments converted during string formatting"));
    }
    Ok(out)
}

/// `format(value, spec)`: the format-spec mini-language.
pub fn format_spec(v: &PyValue, spec: &str, show_str: Show<'_>) -> PyResult<String> {
    if spec.is_empty() {
        return Ok(show_str(v));
    }
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let (mut fill, mut align) = (' ', None::<char>);
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^' | '=') {
        fill = chars[0];
        align = Some(chars[1]);
        i = 2;
    } else if matches!(chars.first(), Some('<' | '>' | '^' | '=')) {
        align = Some(chars[0]);
        i = 1;
    }
    let mut sign = '-';
    if let Some(&c) = chars.get(i)
        && matches!(c, '+' | '-' | ' ')
    {
        sign = c;
        i += 1;
    }
    let mut alt = false;
    if chars.get(i) == Some(&'#') {
        alt = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        if align.is_none() {
            fill = '0';
            align = Some('=');
        }
        i += 1;
    }
    let width = read_count(&chars, &mut i);
    let mut comma = false;
    if matches!(chars.get(i), Some(',' | '_')) {
        comma = true;
        i += 1;
    }
    let mut prec = None;
    if chars.get(i) == Some(&'.') {
        i += 1;
        prec = Some(read_count(&chars, &mut i));
    }
    let ty = chars.get(i).copied();
    if i + usize::from(ty.is_some()) != chars.len() {
        return Err(PyError::value_error("Invalid format specifier"));
    }
    let is_num = matches!(v, PyValue::Int(_) | PyValue::Float(_) | PyValue::Bool(_))
        || matches!(v, PyValue::Array(a) if a.value.shape().is_empty());
    let (body, numeric) = match ty {
        Some('s') | None if !is_num || ty == Some('s') => {
            let s = show_str(v);
            (
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                },
                false,
            )
        }
        None => {
            let is_float =
                matches!(v, PyValue::Float(_)) || matches!(v, PyValue::Array(a) if a.value.dtype().is_float());
            match (prec, is_float) {
                (Some(p), true) => {
                    let x = v.as_f64().unwrap_or(0.0);
                    let s = printf_g(x, p.max(1));
                    (if s.contains(['.', 'e', 'n', 'i']) { s } else { format!("{s}.0") }, true)
                }
                _ => (show_str(v), true),
            }
        }
        Some(c @ ('f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%')) => {
            let x = v.as_f64().ok_or_else(|| {
                PyError::value_error(format!("Unknown format code '{c}' for object of type '{}'", v.type_name()))
            })?;
            if c == '%' {
                (format!("{}%", float_text(x * 100.0, 'f', prec.unwrap_or(6), alt)), true)
            } else {
                (float_text(x, c, prec.unwrap_or(6), alt), true)
            }
        }
        Some(c @ ('d' | 'x' | 'X' | 'o' | 'b')) => {
            let n = v.as_i64().ok_or_else(|| {
                PyError::value_error(format!("Unknown format code '{c}' for object of type '{}'", v.type_name()))
            })?;
            let a = n.unsigned_abs();
            let s = match c {
                'd' => a.to_string(),
                'x' => format!("{a:x}"),
                'X' => format!("{a:X}"),
                'o' => format!("{a:o}"),
                _ => format!("{a:b}"),
            };
            (if n < 0 { format!("-{s}") } else { s }, true)
        }
        Some(c) => {
            return Err(PyError::value_error(format!(
                "Unknown format code '{c}' for object of type '{}'",
                v.type_name()
            )));
        }
    };
    let mut body = body;
    if comma && numeric {
        let (sgn, rest) = match body.strip_prefix('-') {
            Some(r) => ("-", r.to_string()),
            None => ("", body.clone()),
        };
        let (int, frac) = match rest.find(['.', 'e']) {
            Some(p) => (rest[..p].to_string(), rest[p..].to_string()),
            None => (rest.clone(), String::new()),
        };
        let mut grouped = String::new();
        for (k, ch) in int.chars().enumerate() {
            if k > 0 && (int.len() - k) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        body = format!("{sgn}{grouped}{frac}");
    }
    if numeric && !body.starts_with('-') {
        match sign {
            '+' => body = format!("+{body}"),
            ' ' => body = format!(" {body}"),
            _ => {}
        }
    }
    let n = body.chars().count();
    if n >= width {
        return Ok(body);
    }
    let fill_n = width - n;
    let f = |k: usize| fill.to_string().repeat(k);
    Ok(match align.unwrap_or(if numeric { '>' } else { '<' }) {
        '<' => body + &f(fill_n),
        '^' => format!("{}{body}{}", f(fill_n / 2), f(fill_n - fill_n / 2)),
        '=' => {
            let (sgn, rest) = match body.strip_prefix(['-', '+', ' ']) {
                Some(r) => (body[..1].to_string(), r.to_string()),
                None => (String::new(), body.clone()),
            };
            format!("{sgn}{}{rest}", f(fill_n))
        }
        _ => f(fill_n) + &body,
    })
}

/// `fmt.format(*args, **kwargs)`.
pub fn str_format(
    fmt: &str,
    args: &[PyValue],
    kwargs: &[(String, PyValue)],
    show_str: Show<'_>,
    show_repr: Show<'_>,
) -> PyResult<String> {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut auto = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' && chars.get(i + 1) == Some(&'{') {
            out.push('{');
            i += 2;
            continue;
        }
        if c == '}' && chars.get(i + 1) == Some(&'}') {
            out.push('}');
            i += 2;
            continue;
        }
        if c == '}' {
            return Err(PyError::value_error("Single '}' encountered in format string"));
        }
        if c != '{' {
            out.push(c);
            i += 1;
            continue;
        }
        let end = chars[i..]
            .iter()
            .position(|&c| c == '}')
            .ok_or_else(|| PyError::value_error("Single '{' encountered in format string"))?
            + i;
        let field: String = chars[i + 1..end].iter().collect();
        i = end + 1;
        let (name_conv, spec) = match field.split_once(':') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (field.clone(), String::new()),
        };
        let (name, conv) = match name_conv.split_once('!') {
            Some((a, b)) => (a.to_string(), b.chars().next()),
            None => (name_conv, None),
        };
        let v = if name.is_empty() {
            let v = args.get(auto).cloned().ok_or_else(|| {
                PyError::exception(
                    "IndexError",
                    format!("Replacement index {auto} out of range for positional args tuple"),
                )
            })?;
            auto += 1;
            v
        } else if let Ok(k) = name.parse::<usize>() {
            args.get(k).cloned().ok_or_else(|| {
                PyError::exception(
                    "IndexError",
                    format!("Replacement index {k} out of range for positional args tuple"),
                )
            })?
        } else if name.contains(['.', '[']) {
            return Err(PyError::unsupported("attributes and items in format fields"));
        } else {
            kwargs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| PyError::exception("KeyError", format!("'{name}'")))?
        };
        let v = match conv {
            Some('r') | Some('a') => PyValue::str(show_repr(&v)),
            Some('s') => PyValue::str(show_str(&v)),
            _ => v,
        };
        out.push_str(&format_spec(&v, &spec, show_str)?);
    }
    Ok(out)
}

/// A format spec's width or precision: the decimal digits at `chars[*i..]` (none: 0), capped at
/// 1000; `*i` moves past them.
fn read_count(chars: &[char], i: &mut usize) -> usize {
    let mut n = 0usize;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize).min(1000);
        *i += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &PyValue) -> String {
        v.to_str()
    }

    #[test]
    fn percent_formats_as_python() {
        let args = PyValue::tuple(vec![PyValue::Int(1000), PyValue::Float(0.6550749)]);
        assert_eq!(percent("After %d steps: %g", &args, &s, &s).unwrap(), "After 1000 steps: 0.655075");
        assert_eq!(
            percent(
                "%f|%5.2f|%-4d|%04d|%e|%%",
                &PyValue::tuple(vec![
                    PyValue::Float(4.0),
                    PyValue::Float(1.23456),
                    PyValue::Int(7),
                    PyValue::Int(-7),
                    PyValue::Float(12345.678)
                ]),
                &s,
                &s
            )
            .unwrap(),
            "4.000000| 1.23|7   |-007|1.234568e+04|%"
        );
        assert!(percent("%d %d", &PyValue::Int(1), &s, &s).is_err());
    }

    #[test]
    fn format_specs_as_python() {
        assert_eq!(format_spec(&PyValue::Float(1.23456), ".3f", &s).unwrap(), "1.235");
        assert_eq!(format_spec(&PyValue::Int(42), ">5", &s).unwrap(), "   42");
        assert_eq!(format_spec(&PyValue::Int(42), "05d", &s).unwrap(), "00042");
        assert_eq!(format_spec(&PyValue::str("ab"), "^6", &s).unwrap(), "  ab  ");
        assert_eq!(format_spec(&PyValue::Int(1234567), ",", &s).unwrap(), "1,234,567");
        assert_eq!(
            str_format(
                "{} {:.2f} {x}",
                &[PyValue::Int(1), PyValue::Float(2.0)],
                &[("x".into(), PyValue::str("y"))],
                &s,
                &s
            )
            .unwrap(),
            "1 2.00 y"
        );
    }
}
