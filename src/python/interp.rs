//! The evaluator: runs a parsed program statement by statement (assignments and unpacking,
//! `if`/`for`/`while`, `def`/`return`/`lambda`, `with`, `try`/`except`, imports), evaluates
//! expressions on Python values and hands TF and numpy calls to `tf_api` and `numpy`. Anything
//! outside the subset stops with a refusal naming it; Python's own errors are Python's.

use crate::project::script::{PrintArg, Step};
use crate::python::errors::{Loc, PyError, PyErrorKind, PyResult, locate};
use crate::python::format;
use crate::python::numpy;
use crate::python::runtime::Runtime;
use crate::python::tf_api;
use crate::python::value::{Args, Function, FunctionBody, PyValue, Scope, TfObject, range_len};
use rustpython_parser::ast::{self, Ranged};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The deepest Python call nesting (Python's own limit is 1000; this keeps Rust's stack safe).
const MAX_CALL_DEPTH: usize = 150;
/// The deepest nesting of expressions being evaluated (calls included).
const MAX_EXPR_DEPTH: usize = 3000;
/// The most items a list built by the program may hold.
const MAX_ITEMS: i64 = 50_000_000;

enum Flow {
    Next,
    Break,
    Continue,
    Return(PyValue),
}

struct Frame {
    vars: Scope,
    enclosing: Option<Scope>,
    /// A comprehension's scope: names not found here are looked up in the frame below.
    see_below: bool,
}

const BUILTINS: &[&str] = &[
    "print",
    "len",
    "range",
    "enumerate",
    "zip",
    "min",
    "max",
    "int",
    "float",
    "str",
    "abs",
    "sorted",
    "list",
    "tuple",
    "dict",
    "bool",
    "round",
    "sum",
    "type",
    "isinstance",
    "repr",
    "map",
    "filter",
    "any",
    "all",
    "reversed",
    "format",
];

const EXCEPTIONS: &[&str] = &[
    "Exception",
    "BaseException",
    "ValueError",
    "TypeError",
    "NameError",
    "RuntimeError",
    "KeyError",
    "IndexError",
    "ZeroDivisionError",
    "AttributeError",
    "AssertionError",
    "StopIteration",
    "NotImplementedError",
    "LookupError",
    "ArithmeticError",
    "OverflowError",
    "MemoryError",
    "RecursionError",
];

/// The evaluator of one program.
pub struct Interp<'r, 'a> {
    /// Graphs, sessions, output.
    pub rt: &'r mut Runtime<'a>,
    globals: HashMap<String, PyValue>,
    frames: Vec<Frame>,
    source: Rc<str>,
    depth: usize,
    expr_depth: usize,
    handling: Vec<PyError>,
}

impl<'r, 'a> Interp<'r, 'a> {
    /// An evaluator for `source` (its text is used to place errors).
    pub fn new(rt: &'r mut Runtime<'a>, source: &str) -> Interp<'r, 'a> {
        let mut globals = HashMap::new();
        globals.insert("__name__".to_string(), PyValue::str("__main__"));
        rt.program.0 = Rc::from(source);
        Interp {
            rt,
            globals,
            frames: Vec::new(),
            source: Rc::from(source),
            depth: 0,
            expr_depth: 0,
            handling: Vec::new(),
        }
    }

    fn loc(&self, r: rustpython_parser::text_size::TextRange) -> Loc {
        locate(&self.source, usize::from(r.start()))
    }

    /// Runs the program's statements.
    pub fn run(&mut self, body: &[ast::Stmt]) -> PyResult<()> {
        match self.block(body)? {
            Flow::Next => Ok(()),
            Flow::Return(_) => {
                Err(PyError { kind: PyErrorKind::Syntax("'return' outside function".into()), loc: None })
            }
            Flow::Break | Flow::Continue => {
                Err(PyError { kind: PyErrorKind::Syntax("'break' or 'continue' outside loop".into()), loc: None })
            }
        }
    }

    // ----- names -----

    fn lookup(&self, name: &str) -> Option<PyValue> {
        for f in self.frames.iter().rev() {
            if let Some(v) = f.vars.borrow().get(name) {
                return Some(v.clone());
            }
            if !f.see_below {
                if let Some(e) = &f.enclosing
                    && let Some(v) = e.borrow().get(name)
                {
                    return Some(v.clone());
                }
                break;
            }
        }
        if let Some(v) = self.globals.get(name) {
            return Some(v.clone());
        }
        if BUILTINS.contains(&name) {
            return Some(PyValue::Builtin(name.into()));
        }
        if EXCEPTIONS.contains(&name) {
            return Some(PyValue::Type(name.into()));
        }
        match name {
            "True" => Some(PyValue::Bool(true)),
            "False" => Some(PyValue::Bool(false)),
            "None" => Some(PyValue::None),
            _ => None,
        }
    }

    fn store(&mut self, name: &str, v: PyValue) {
        match &v {
            PyValue::Session(s) => self.rt.name_session(*s, name),
            PyValue::Graph(g) => self.rt.name_graph(*g, name),
            _ => {}
        }
        match self.frames.last() {
            Some(f) => {
                f.vars.borrow_mut().insert(name.to_string(), v);
            }
            None => {
                self.globals.insert(name.to_string(), v);
            }
        }
    }

    // ----- statements -----

    fn block(&mut self, body: &[ast::Stmt]) -> PyResult<Flow> {
        for s in body {
            match self.stmt(s).map_err(|e| if e.loc.is_none() { e.at(self.loc(s.range())) } else { e })? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, s: &ast::Stmt) -> PyResult<Flow> {
        self.rt.tick()?;
        if let Some(top) = self.rt.frames.last_mut() {
            top.1 = usize::from(s.range().start());
        }
        self.rt.before_statement(usize::from(s.range().start()), self.depth)?;
        match s {
            ast::Stmt::Expr(e) => {
                self.expr(&e.value)?;
            }
            ast::Stmt::Assign(a) => {
                let v = self.expr(&a.value)?;
                for t in &a.targets {
                    self.assign(t, v.clone())?;
                }
            }
            ast::Stmt::AugAssign(a) => {
                let cur = self.expr(&a.target)?;
                let rhs = self.expr(&a.value)?;
                let v = self.binop(op_symbol(&a.op), cur, rhs)?;
                self.assign(&a.target, v)?;
            }
            ast::Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    let v = self.expr(v)?;
                    self.assign(&a.target, v)?;
                }
            }
            ast::Stmt::Pass(_) => {}
            ast::Stmt::Break(_) => return Ok(Flow::Break),
            ast::Stmt::Continue(_) => return Ok(Flow::Continue),
            ast::Stmt::Return(r) => {
                if self.frames.iter().all(|f| f.see_below) {
                    return Err(PyError { kind: PyErrorKind::Syntax("'return' outside function".into()), loc: None });
                }
                let v = match &r.value {
                    Some(e) => self.expr(e)?,
                    None => PyValue::None,
                };
                return Ok(Flow::Return(v));
            }
            ast::Stmt::If(i) => {
                return if self.expr(&i.test)?.truthy()? { self.block(&i.body) } else { self.block(&i.orelse) };
            }
            ast::Stmt::While(w) => loop {
                self.rt.tick()?;
                if !self.expr(&w.test)?.truthy()? {
                    return self.block(&w.orelse);
                }
                match self.block(&w.body)? {
                    Flow::Break => return Ok(Flow::Next),
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    _ => {}
                }
            },
            ast::Stmt::For(f) => {
                let it = self.expr(&f.iter)?;
                let mut broke = false;
                let mut each = |me: &mut Self, v: PyValue| -> PyResult<Option<Flow>> {
                    me.rt.tick()?;
                    me.assign(&f.target, v)?;
                    match me.block(&f.body)? {
                        Flow::Break => {
                            broke = true;
                            Ok(Some(Flow::Next))
                        }
                        Flow::Return(v) => Ok(Some(Flow::Return(v))),
                        _ => Ok(None),
                    }
                };
                if let PyValue::Range(a, b, st) = it {
                    let n = range_len(a, b, st);
                    self.rt.rec.sync_nodes(&self.rt.ws);
                    let start = self.rt.rec.steps.len();
                    for k in 0..n {
                        if let Some(fl) = each(self, PyValue::Int(a + k * st))? {
                            if broke {
                                return Ok(Flow::Next);
                            }
                            return Ok(fl);
                        }
                    }
                    if a == 0 && st == 1 && n > 0 {
                        self.rt.rec.fold_train_loop(start, n as u64);
                    }
                } else if let PyValue::Array(a) = &it {
                    // One row at a time, as numpy iterates (an empty array may have 10^12 rows).
                    let n = numpy::row_count(&a.value)?;
                    let data = a.value.to_f64_vec();
                    for k in 0..n {
                        if let Some(fl) = each(self, numpy::row_of(&a.value, &data, k)?)? {
                            if broke {
                                return Ok(Flow::Next);
                            }
                            return Ok(fl);
                        }
                    }
                } else {
                    for v in self.iterate(&it)? {
                        if let Some(fl) = each(self, v)? {
                            if broke {
                                return Ok(Flow::Next);
                            }
                            return Ok(fl);
                        }
                    }
                }
                return self.block(&f.orelse);
            }
            ast::Stmt::FunctionDef(d) => {
                if !d.decorator_list.is_empty() {
                    return Err(PyError::unsupported("a decorator"));
                }
                let params = self.params(&d.args)?;
                let f = Function {
                    name: d.name.to_string(),
                    params,
                    body: FunctionBody::Def(d.body.clone()),
                    enclosing: self.frames.last().map(|f| f.vars.clone()),
                };
                self.store(d.name.as_str(), PyValue::Function(Rc::new(f)));
            }
            ast::Stmt::With(w) => return self.with(&w.items, &w.body),
            ast::Stmt::Try(t) => return self.try_stmt(t),
            ast::Stmt::Raise(r) => {
                let Some(exc) = &r.exc else {
                    return Err(self
                        .handling
                        .last()
                        .cloned()
                        .unwrap_or_else(|| PyError::exception("RuntimeError", "No active exception to reraise")));
                };
                let v = self.expr(exc)?;
                return Err(match v {
                    PyValue::Exception(c, m) => PyError::exception(&c, m.to_string()),
                    PyValue::Type(c) => PyError::exception(&c, ""),
                    _ => PyError::type_error("exceptions must derive from BaseException"),
                });
            }
            ast::Stmt::Assert(a) => {
                if !self.expr(&a.test)?.truthy()? {
                    let msg = match &a.msg {
                        Some(m) => {
                            let v = self.expr(m)?;
                            self.show(&v)
                        }
                        None => String::new(),
                    };
                    return Err(PyError::exception("AssertionError", msg));
                }
            }
            ast::Stmt::Import(i) => {
                for alias in &i.names {
                    let full = alias.name.as_str();
                    let module = import_module(full)?;
                    match &alias.asname {
                        Some(a) => self.store(a.as_str(), module),
                        None => {
                            let first = full.split('.').next().unwrap_or(full);
                            let v = import_module(first)?;
                            self.store(first, v);
                        }
                    }
                }
            }
            ast::Stmt::ImportFrom(i) => {
                let m = i.module.as_ref().map_or("", |m| m.as_str());
                if m == "__future__" {
                    return Ok(Flow::Next);
                }
                for alias in &i.names {
                    let name = alias.name.as_str();
                    if name == "*" {
                        return Err(PyError::unsupported(format!("from {m} import *")));
                    }
                    let v = match import_module(&format!("{m}.{name}")) {
                        Ok(v) => v,
                        Err(_) => {
                            let PyValue::Module(base) = import_module(m)? else {
                                return Err(PyError::unsupported(format!("from {m} import {name}")));
                            };
                            module_attr(&base, name)?
                        }
                    };
                    let bind = alias.asname.as_ref().map_or(name, |a| a.as_str());
                    self.store(bind, v);
                }
            }
            ast::Stmt::Global(_) | ast::Stmt::Nonlocal(_) => {
                return Err(PyError::unsupported("a global or nonlocal statement"));
            }
            ast::Stmt::Delete(d) => {
                for t in &d.targets {
                    match t {
                        ast::Expr::Name(n) => {
                            let removed = match self.frames.last() {
                                Some(f) => f.vars.borrow_mut().remove(n.id.as_str()).is_some(),
                                None => self.globals.remove(n.id.as_str()).is_some(),
                            };
                            if !removed {
                                return Err(PyError::exception("NameError", format!("name '{}' is not defined", n.id)));
                            }
                        }
                        _ => return Err(PyError::unsupported("del of an item or attribute")),
                    }
                }
            }
            ast::Stmt::ClassDef(_) => return Err(PyError::unsupported("a class definition")),
            ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::AsyncFor(_) | ast::Stmt::AsyncWith(_) => {
                return Err(PyError::unsupported("async code"));
            }
            ast::Stmt::Match(_) => return Err(PyError::unsupported("a match statement")),
            ast::Stmt::TryStar(_) => return Err(PyError::unsupported("try/except*")),
            ast::Stmt::TypeAlias(_) => return Err(PyError::unsupported("a type alias")),
        }
        Ok(Flow::Next)
    }

    fn params(&mut self, args: &ast::Arguments) -> PyResult<Vec<(String, Option<PyValue>)>> {
        if args.vararg.is_some() || args.kwarg.is_some() || !args.kwonlyargs.is_empty() {
            return Err(PyError::unsupported("*args, **kwargs and keyword-only parameters"));
        }
        let mut out = Vec::new();
        for a in args.posonlyargs.iter().chain(&args.args) {
            let d = match &a.default {
                Some(e) => Some(self.expr(e)?),
                None => None,
            };
            out.push((a.def.arg.to_string(), d));
        }
        Ok(out)
    }

    fn with(&mut self, items: &[ast::WithItem], body: &[ast::Stmt]) -> PyResult<Flow> {
        let Some((first, rest)) = items.split_first() else { return self.block(body) };
        let v = self.expr(&first.context_expr)?;
        let (bound, exit) = tf_api::enter(self.rt, &v)?;
        if let Some(t) = &first.optional_vars
            && let Err(e) = self.assign(t, bound)
        {
            tf_api::exit(self.rt, exit)?;
            return Err(e);
        }
        let result = self.with(rest, body);
        let left = tf_api::exit(self.rt, exit);
        let flow = result?;
        left?;
        Ok(flow)
    }

    fn try_stmt(&mut self, t: &ast::StmtTry) -> PyResult<Flow> {
        self.rt.try_depth += 1;
        let result = self.block(&t.body);
        self.rt.try_depth -= 1;
        let result = match result {
            Ok(Flow::Next) => self.block(&t.orelse),
            Ok(other) => Ok(other),
            Err(e) if e.is_exception() => {
                let (class, message) =
                    e.class_and_message().map(|(c, m)| (c.to_string(), m.to_string())).unwrap_or_default();
                let mut handled = None;
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    let matches = match &h.type_ {
                        None => true,
                        Some(te) => {
                            let tv = self.expr(te)?;
                            exception_matches(&tv, &class)
                        }
                    };
                    if matches {
                        if let Some(n) = &h.name {
                            self.store(n.as_str(), PyValue::Exception(class.as_str().into(), message.as_str().into()));
                        }
                        self.handling.push(e.clone());
                        let r = self.block(&h.body);
                        self.handling.pop();
                        handled = Some(r);
                        break;
                    }
                }
                match handled {
                    Some(r) => r,
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        if !t.finalbody.is_empty() {
            match self.block(&t.finalbody)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        result
    }

    fn assign(&mut self, target: &ast::Expr, v: PyValue) -> PyResult<()> {
        match target {
            ast::Expr::Name(n) => {
                self.store(n.id.as_str(), v);
                Ok(())
            }
            ast::Expr::Tuple(ast::ExprTuple { elts, .. }) | ast::Expr::List(ast::ExprList { elts, .. }) => {
                if elts.iter().any(|e| matches!(e, ast::Expr::Starred(_))) {
                    return Err(PyError::unsupported("starred unpacking"));
                }
                let items = match &v {
                    PyValue::Range(..)
                    | PyValue::List(_)
                    | PyValue::Tuple(_)
                    | PyValue::Str(_)
                    | PyValue::Dict(_)
                    | PyValue::Array(_) => self.iterate(&v)?,
                    PyValue::Shape(Some(d)) => {
                        d.iter().map(|x| x.map_or(PyValue::None, |v| PyValue::Int(v as i64))).collect()
                    }
                    other => {
                        return Err(PyError::type_error(format!(
                            "cannot unpack non-iterable {} object",
                            other.type_name()
                        )));
                    }
                };
                if items.len() < elts.len() {
                    return Err(PyError::value_error(format!(
                        "not enough values to unpack (expected {}, got {})",
                        elts.len(),
                        items.len()
                    )));
                }
                if items.len() > elts.len() {
                    return Err(PyError::value_error(format!("too many values to unpack (expected {})", elts.len())));
                }
                for (t, x) in elts.iter().zip(items) {
                    self.assign(t, x)?;
                }
                Ok(())
            }
            ast::Expr::Subscript(s) => {
                let obj = self.expr(&s.value)?;
                let idx = self.expr(&s.slice)?;
                match &obj {
                    PyValue::List(l) => {
                        let n = l.borrow().len();
                        let i = idx
                            .as_i64()
                            .ok_or_else(|| PyError::type_error("list indices must be integers or slices"))?;
                        let j = if i < 0 { i + n as i64 } else { i };
                        if j < 0 || j >= n as i64 {
                            return Err(PyError::exception("IndexError", "list assignment index out of range"));
                        }
                        l.borrow_mut()[j as usize] = v;
                        Ok(())
                    }
                    PyValue::Dict(d) => {
                        dict_set(d, idx, v)?;
                        Ok(())
                    }
                    other => Err(PyError::type_error(format!(
                        "'{}' object does not support item assignment",
                        other.type_name()
                    ))),
                }
            }
            ast::Expr::Attribute(a) => self.set_config_field(a, v),
            _ => Err(PyError { kind: PyErrorKind::Syntax("cannot assign to expression".into()), loc: None }),
        }
    }

    /// `config.log_device_placement = True`, `config.gpu_options.allow_growth = True` on a
    /// `ConfigProto` held by a variable (the variable then holds the changed config).
    fn set_config_field(&mut self, a: &ast::ExprAttribute, v: PyValue) -> PyResult<()> {
        let (var, path): (&str, Vec<&str>) = match a.value.as_ref() {
            ast::Expr::Name(n) => (n.id.as_str(), vec![a.attr.as_str()]),
            ast::Expr::Attribute(inner) => match inner.value.as_ref() {
                ast::Expr::Name(n) => (n.id.as_str(), vec![inner.attr.as_str(), a.attr.as_str()]),
                _ => return Err(PyError::unsupported(format!("setting the attribute '{}'", a.attr))),
            },
            _ => return Err(PyError::unsupported(format!("setting the attribute '{}'", a.attr))),
        };
        let current =
            self.lookup(var).ok_or_else(|| PyError::exception("NameError", format!("name '{var}' is not defined")))?;
        let PyValue::Object(o) = &current else {
            return Err(PyError::unsupported(format!(
                "setting the attribute '{}' of a {}",
                a.attr,
                current.type_name()
            )));
        };
        let TfObject::Config(c) = o.as_ref() else {
            return Err(PyError::unsupported(format!(
                "setting the attribute '{}' of a {}",
                a.attr,
                current.type_name()
            )));
        };
        let mut c = c.clone();
        let flag = || v.truthy();
        let int = || {
            v.as_i64().ok_or_else(|| {
                PyError::type_error(format!("{} has type {}, but expected one of: int", v.repr(), v.type_name()))
            })
        };
        match path.as_slice() {
            ["allow_soft_placement"] => c.allow_soft_placement = flag()?,
            ["log_device_placement"] => c.log_device_placement = flag()?,
            ["intra_op_parallelism_threads"] => c.intra_op_parallelism_threads = int()?.clamp(0, 256) as u32,
            ["inter_op_parallelism_threads"] => c.inter_op_parallelism_threads = int()?.clamp(0, 256) as u32,
            ["operation_timeout_in_ms"] => c.operation_timeout_in_ms = int()?,
            ["gpu_options", "allow_growth"] => c.gpu_options.allow_growth = flag()?,
            ["gpu_options", "per_process_gpu_memory_fraction"] => {
                c.gpu_options.per_process_gpu_memory_fraction =
                    v.as_f64().ok_or_else(|| PyError::type_error("per_process_gpu_memory_fraction must be a number"))?
            }
            other => return Err(PyError::unsupported(format!("ConfigProto's field {}", other.join(".")))),
        }
        self.store(var, PyValue::Object(Rc::new(TfObject::Config(c))));
        Ok(())
    }

    // ----- expressions -----

    fn expr(&mut self, e: &ast::Expr) -> PyResult<PyValue> {
        if self.expr_depth >= MAX_EXPR_DEPTH {
            return Err(PyError::unsupported(format!("expressions nested more than {MAX_EXPR_DEPTH} deep"))
                .at(self.loc(e.range())));
        }
        self.expr_depth += 1;
        let r = self.expr_inner(e);
        self.expr_depth -= 1;
        r.map_err(|err| if err.loc.is_none() { err.at(self.loc(e.range())) } else { err })
    }

    fn expr_inner(&mut self, e: &ast::Expr) -> PyResult<PyValue> {
        match e {
            ast::Expr::Constant(c) => constant(&c.value),
            ast::Expr::Name(n) => self
                .lookup(n.id.as_str())
                .ok_or_else(|| PyError::exception("NameError", format!("name '{}' is not defined", n.id))),
            ast::Expr::List(l) => Ok(PyValue::list(self.exprs(&l.elts)?)),
            ast::Expr::Tuple(t) => Ok(PyValue::tuple(self.exprs(&t.elts)?)),
            ast::Expr::Dict(d) => {
                let mut items: Vec<(PyValue, PyValue)> = Vec::with_capacity(d.keys.len());
                for (k, v) in d.keys.iter().zip(&d.values) {
                    let Some(k) = k else { return Err(PyError::unsupported("** in a dict display")) };
                    let k = self.expr(k)?;
                    let v = self.expr(v)?;
                    hashable(&k)?;
                    match items.iter_mut().find(|(kk, _)| key_eq(kk, &k)) {
                        Some(slot) => slot.1 = v,
                        None => items.push((k, v)),
                    }
                }
                Ok(PyValue::Dict(Rc::new(RefCell::new(items))))
            }
            ast::Expr::BinOp(b) => {
                let l = self.expr(&b.left)?;
                let r = self.expr(&b.right)?;
                self.binop(op_symbol(&b.op), l, r)
            }
            ast::Expr::UnaryOp(u) => {
                let v = self.expr(&u.operand)?;
                match u.op {
                    ast::UnaryOp::Not => Ok(PyValue::Bool(!v.truthy()?)),
                    ast::UnaryOp::UAdd => match v {
                        PyValue::Int(_) | PyValue::Float(_) | PyValue::Tensor(..) | PyValue::Array(_) => Ok(v),
                        PyValue::Bool(b) => Ok(PyValue::Int(i64::from(b))),
                        other => {
                            Err(PyError::type_error(format!("bad operand type for unary +: '{}'", other.type_name())))
                        }
                    },
                    ast::UnaryOp::USub => match v {
                        PyValue::Int(i) => i.checked_neg().map(PyValue::Int).ok_or_else(overflow),
                        PyValue::Bool(b) => Ok(PyValue::Int(-i64::from(b))),
                        PyValue::Float(f) => Ok(PyValue::Float(-f)),
                        PyValue::Tensor(..) => tf_api::negate(self.rt, &v),
                        PyValue::Array(_) => numpy::binary("*", &v, &PyValue::Int(-1)),
                        other => {
                            Err(PyError::type_error(format!("bad operand type for unary -: '{}'", other.type_name())))
                        }
                    },
                    ast::UnaryOp::Invert => match v {
                        PyValue::Int(i) => Ok(PyValue::Int(!i)),
                        PyValue::Bool(b) => Ok(PyValue::Int(!i64::from(b))),
                        other => {
                            Err(PyError::type_error(format!("bad operand type for unary ~: '{}'", other.type_name())))
                        }
                    },
                }
            }
            ast::Expr::BoolOp(b) => {
                let mut last = PyValue::None;
                for (k, v) in b.values.iter().enumerate() {
                    last = self.expr(v)?;
                    let t = last.truthy()?;
                    let stop = match b.op {
                        ast::BoolOp::And => !t,
                        ast::BoolOp::Or => t,
                    };
                    if stop || k + 1 == b.values.len() {
                        break;
                    }
                }
                Ok(last)
            }
            ast::Expr::Compare(c) => {
                let mut left = self.expr(&c.left)?;
                let mut result = PyValue::Bool(true);
                for (op, right) in c.ops.iter().zip(&c.comparators) {
                    let r = self.expr(right)?;
                    let v = self.compare(op, &left, &r)?;
                    if c.ops.len() == 1 {
                        return Ok(v);
                    }
                    if !v.truthy()? {
                        return Ok(v);
                    }
                    result = v;
                    left = r;
                }
                Ok(result)
            }
            ast::Expr::IfExp(i) => {
                if self.expr(&i.test)?.truthy()? {
                    self.expr(&i.body)
                } else {
                    self.expr(&i.orelse)
                }
            }
            ast::Expr::Call(c) => {
                let f = self.expr(&c.func)?;
                let mut args = Args::default();
                for a in &c.args {
                    if let ast::Expr::Starred(s) = a {
                        let v = self.expr(&s.value)?;
                        args.pos.extend(self.iterate(&v)?);
                    } else {
                        args.pos.push(self.expr(a)?);
                    }
                }
                for k in &c.keywords {
                    let v = self.expr(&k.value)?;
                    match &k.arg {
                        Some(name) => args.kw.push((name.to_string(), v)),
                        None => match v {
                            PyValue::Dict(d) => {
                                for (kk, vv) in d.borrow().iter() {
                                    args.kw.push((kk.to_str(), vv.clone()));
                                }
                            }
                            _ => return Err(PyError::type_error("argument after ** must be a mapping")),
                        },
                    }
                }
                self.call(&f, args)
            }
            ast::Expr::Attribute(a) => {
                let v = self.expr(&a.value)?;
                self.attr(&v, a.attr.as_str())
            }
            ast::Expr::Subscript(s) => {
                let v = self.expr(&s.value)?;
                let i = self.expr(&s.slice)?;
                self.index(&v, &i)
            }
            ast::Expr::Slice(s) => {
                let mut part = |x: &Option<Box<ast::Expr>>| -> PyResult<Option<i64>> {
                    match x {
                        None => Ok(None),
                        Some(e) => match self.expr(e)? {
                            PyValue::None => Ok(None),
                            v => v.as_i64().map(Some).ok_or_else(|| {
                                PyError::type_error(
                                    "slice indices must be integers or None or have an __index__ method",
                                )
                            }),
                        },
                    }
                };
                Ok(PyValue::Slice(part(&s.lower)?, part(&s.upper)?, part(&s.step)?))
            }
            ast::Expr::Lambda(l) => {
                let params = self.params(&l.args)?;
                Ok(PyValue::Function(Rc::new(Function {
                    name: "<lambda>".into(),
                    params,
                    body: FunctionBody::Lambda((*l.body).clone()),
                    enclosing: self.frames.last().map(|f| f.vars.clone()),
                })))
            }
            ast::Expr::ListComp(c) => {
                Ok(PyValue::list(self.comprehension(&c.generators, &mut |me| me.expr(&c.elt).map(|v| vec![v]))?))
            }
            ast::Expr::GeneratorExp(c) => {
                Ok(PyValue::list(self.comprehension(&c.generators, &mut |me| me.expr(&c.elt).map(|v| vec![v]))?))
            }
            ast::Expr::DictComp(c) => {
                let pairs = self.comprehension(&c.generators, &mut |me| {
                    let k = me.expr(&c.key)?;
                    let v = me.expr(&c.value)?;
                    Ok(vec![PyValue::tuple(vec![k, v])])
                })?;
                let d = Rc::new(RefCell::new(Vec::new()));
                for p in pairs {
                    if let PyValue::Tuple(t) = p {
                        dict_set(&d, t[0].clone(), t[1].clone())?;
                    }
                }
                Ok(PyValue::Dict(d))
            }
            ast::Expr::JoinedStr(j) => {
                let mut out = String::new();
                for part in &j.values {
                    out.push_str(&self.fstring_part(part)?);
                }
                Ok(PyValue::str(out))
            }
            ast::Expr::FormattedValue(_) => Ok(PyValue::str(self.fstring_part(e)?)),
            ast::Expr::Starred(_) => Err(PyError::unsupported("a starred expression here")),
            ast::Expr::NamedExpr(_) => Err(PyError::unsupported("an assignment expression (:=)")),
            ast::Expr::Set(_) | ast::Expr::SetComp(_) => Err(PyError::unsupported("a set")),
            ast::Expr::Await(_) | ast::Expr::Yield(_) | ast::Expr::YieldFrom(_) => {
                Err(PyError::unsupported("generators and async code"))
            }
        }
    }

    fn fstring_part(&mut self, part: &ast::Expr) -> PyResult<String> {
        match part {
            ast::Expr::Constant(c) => Ok(match &c.value {
                ast::Constant::Str(s) => s.clone(),
                other => constant(other)?.to_str(),
            }),
            ast::Expr::FormattedValue(f) => {
                let v = self.expr(&f.value)?;
                let v = match f.conversion {
                    ast::ConversionFlag::Repr | ast::ConversionFlag::Ascii => PyValue::str(self.repr(&v)),
                    ast::ConversionFlag::Str => PyValue::str(self.show(&v)),
                    ast::ConversionFlag::None => v,
                };
                let spec = match &f.format_spec {
                    Some(s) => {
                        let sv = self.expr(s)?;
                        sv.to_str()
                    }
                    None => String::new(),
                };
                let show = |x: &PyValue| self.show(x);
                format::format_spec(&v, &spec, &show)
            }
            ast::Expr::JoinedStr(j) => {
                let mut out = String::new();
                for p in &j.values {
                    out.push_str(&self.fstring_part(p)?);
                }
                Ok(out)
            }
            other => {
                let v = self.expr(other)?;
                Ok(self.show(&v))
            }
        }
    }

    fn comprehension(
        &mut self,
        gens: &[ast::Comprehension],
        elt: &mut dyn FnMut(&mut Self) -> PyResult<Vec<PyValue>>,
    ) -> PyResult<Vec<PyValue>> {
        self.frames.push(Frame { vars: Rc::new(RefCell::new(HashMap::new())), enclosing: None, see_below: true });
        let mut out = Vec::new();
        let r = self.comp_level(gens, elt, &mut out);
        self.frames.pop();
        r.map(|()| out)
    }

    fn comp_level(
        &mut self,
        gens: &[ast::Comprehension],
        elt: &mut dyn FnMut(&mut Self) -> PyResult<Vec<PyValue>>,
        out: &mut Vec<PyValue>,
    ) -> PyResult<()> {
        let Some((g, rest)) = gens.split_first() else {
            out.extend(elt(self)?);
            if out.len() as i64 > MAX_ITEMS {
                return Err(PyError::exception("MemoryError", "the list is too long"));
            }
            return Ok(());
        };
        if g.is_async {
            return Err(PyError::unsupported("async comprehensions"));
        }
        let it = self.expr(&g.iter)?;
        'items: for v in self.iterate(&it)? {
            self.rt.tick()?;
            self.assign(&g.target, v)?;
            for cond in &g.ifs {
                if !self.expr(cond)?.truthy()? {
                    continue 'items;
                }
            }
            self.comp_level(rest, elt, out)?;
        }
        Ok(())
    }

    fn exprs(&mut self, es: &[ast::Expr]) -> PyResult<Vec<PyValue>> {
        let mut out = Vec::with_capacity(es.len());
        for e in es {
            if let ast::Expr::Starred(s) = e {
                let v = self.expr(&s.value)?;
                out.extend(self.iterate(&v)?);
            } else {
                out.push(self.expr(e)?);
            }
        }
        Ok(out)
    }

    // ----- printing -----

    /// `str(v)`.
    pub fn show(&self, v: &PyValue) -> String {
        tf_api::str_of(self.rt, v).unwrap_or_else(|| match v {
            PyValue::Graph(_) => "<tensorflow.python.framework.ops.Graph object>".to_string(),
            PyValue::Session(_) => "<tensorflow.python.client.session.Session object>".to_string(),
            PyValue::List(_) | PyValue::Tuple(_) | PyValue::Dict(_) => self.repr(v),
            other => other.to_str(),
        })
    }

    /// `repr(v)`, with TF values inside containers.
    pub fn repr(&self, v: &PyValue) -> String {
        if let Some(s) = tf_api::repr_of(self.rt, v) {
            return s;
        }
        match v {
            PyValue::List(l) => crate::python::value::repr_once(l, "[...]", || {
                format!("[{}]", l.borrow().iter().map(|x| self.repr(x)).collect::<Vec<_>>().join(", "))
            }),
            PyValue::Tuple(t) if t.len() == 1 => format!("({},)", self.repr(&t[0])),
            PyValue::Tuple(t) => format!("({})", t.iter().map(|x| self.repr(x)).collect::<Vec<_>>().join(", ")),
            PyValue::Dict(d) => crate::python::value::repr_once(d, "{...}", || {
                format!(
                    "{{{}}}",
                    d.borrow()
                        .iter()
                        .map(|(k, x)| format!("{}: {}", self.repr(k), self.repr(x)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
            PyValue::Graph(_) | PyValue::Session(_) => self.show(v),
            other => other.repr(),
        }
    }

    fn print(&mut self, args: &Args) -> PyResult<PyValue> {
        args.check("print", usize::MAX, &["sep", "end", "flush", "file"])?;
        if args.kw("file").is_some_and(|f| !matches!(f, PyValue::None)) {
            return Err(PyError::unsupported("print(..., file=...)"));
        }
        let opt = |k: &str| -> PyResult<Option<String>> {
            match args.kw(k) {
                None | Some(PyValue::None) => Ok(None),
                Some(PyValue::Str(s)) => Ok(Some(s.to_string())),
                Some(other) => {
                    Err(PyError::type_error(format!("{k} must be None or a string, not {}", other.type_name())))
                }
            }
        };
        let (sep, end) = (opt("sep")?, opt("end")?);
        if args.pos.iter().any(|v| matches!(v, PyValue::Operation(..))) {
            return Err(PyError::unsupported("printing an Operation (its NodeDef)"));
        }
        if let Some(v) =
            args.pos.iter().find(|v| !matches!(v, PyValue::Array(_)) && !crate::python::value::repr_is_exact(v))
        {
            return Err(PyError::unsupported(format!(
                "printing a {} that holds an array of more than 2 dimensions or wider than a line",
                v.type_name()
            )));
        }
        let parts: Vec<String> = args.pos.iter().map(|v| self.show(v)).collect();
        let text = parts.join(sep.as_deref().unwrap_or(" ")) + end.as_deref().unwrap_or("\n");
        self.record_print(&args.pos, &parts, sep, end, &text);
        self.rt.print_text(text);
        Ok(PyValue::None)
    }

    /// Records a print for `flowbench import`: a printed fetch becomes the run's `print`, an
    /// evaluated tensor an `Eval` argument, a tensor its repr, anything else its text.
    fn record_print(
        &mut self,
        vals: &[PyValue],
        parts: &[String],
        sep: Option<String>,
        end: Option<String>,
        text: &str,
    ) {
        self.rt.rec.sync_nodes(&self.rt.ws);
        let rec = &mut self.rt.rec;
        let single_run = |rec: &crate::python::record::Recorder,
                          k: usize|
         -> Option<(String, Vec<crate::project::script::FeedDef>, Option<String>)> {
            match rec.steps.get(k)? {
                Some(Step::Run { fetches, targets, feeds, session, graph: None, print: false })
                    if fetches.len() == 1 && targets.is_empty() =>
                {
                    Some((fetches[0].clone(), feeds.clone(), session.clone()))
                }
                _ => None,
            }
        };
        if vals.len() == 1 && sep.is_none() && end.is_none() && rec.pending_try.is_none() {
            match &vals[0] {
                PyValue::Array(a) => {
                    if let Some((k, 0)) = a.origin
                        && k + 1 == rec.steps.len()
                        && single_run(rec, k).is_some()
                        && let Some(Some(Step::Run { print, .. })) = rec.steps.get_mut(k)
                    {
                        *print = true;
                        return;
                    }
                }
                PyValue::List(l) => {
                    let items = l.borrow();
                    let origins: Vec<Option<(usize, usize)>> =
                        items.iter().map(|x| if let PyValue::Array(a) = x { a.origin } else { None }).collect();
                    if let Some(Some((k, _))) = origins.first()
                        && origins.iter().enumerate().all(|(i, o)| *o == Some((*k, i)))
                        && items.iter().all(|x| matches!(x, PyValue::Array(a) if a.value.shape().is_empty()))
                        && let Some(Some(Step::Run { fetches, targets, feeds, session, graph: None, print: false })) =
                            rec.steps.get(*k)
                        && targets.is_empty()
                        && fetches.len() == items.len()
                    {
                        let arg = PrintArg::RunList {
                            fetches: fetches.clone(),
                            session: session.clone(),
                            feeds: feeds.clone(),
                        };
                        rec.steps[*k] = None;
                        rec.print(vec![arg], None, None, text);
                        return;
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::with_capacity(vals.len());
        for (v, p) in vals.iter().zip(parts) {
            let arg = match v {
                PyValue::Tensor(g, t) if tf_api::variable_repr(self.rt, *g, *t).is_some() => PrintArg::Text(p.clone()),
                PyValue::Tensor(g, _) => {
                    let graph = self.rt.ws.graphs.get(*g).map(|x| x.name.clone());
                    let graph =
                        graph.filter(|n| Some(n) != self.rt.ws.graphs.get(self.rt.ws.default_graph).map(|x| &x.name));
                    match self.rt.ws.graphs.get(*g).map(|x| {
                        x.graph.tensor_name(match v {
                            PyValue::Tensor(_, t) => *t,
                            _ => unreachable_output(),
                        })
                    }) {
                        Some(tensor) => PrintArg::Repr { tensor, graph },
                        None => PrintArg::Text(p.clone()),
                    }
                }
                PyValue::Array(a) => match a.origin.and_then(|(k, _)| single_run(&self.rt.rec, k).map(|r| (k, r))) {
                    Some((k, (tensor, feeds, session))) => {
                        self.rt.rec.steps[k] = None;
                        PrintArg::Eval { tensor, graph: None, session, feeds }
                    }
                    None => PrintArg::Text(p.clone()),
                },
                _ => PrintArg::Text(p.clone()),
            };
            out.push(arg);
        }
        self.rt.rec.print(out, sep, end, text);
    }

    // ----- operators -----

    fn binop(&mut self, op: &str, l: PyValue, r: PyValue) -> PyResult<PyValue> {
        if op == "%"
            && let PyValue::Str(s) = &l
        {
            let show = |x: &PyValue| self.show(x);
            let repr = |x: &PyValue| self.repr(x);
            let text = format::percent(s, &r, &show, &repr)?;
            self.rt.rec.note_format(&text, s, &r);
            return Ok(PyValue::str(text));
        }
        if matches!(l, PyValue::Tensor(..)) || matches!(r, PyValue::Tensor(..)) {
            return tf_api::binary_operator(self.rt, op, &l, &r);
        }
        if matches!(l, PyValue::Array(_)) || matches!(r, PyValue::Array(_)) {
            if let (Some(_), Some(_)) = (l.as_f64(), r.as_f64()) {
                // numpy scalars with numbers: as Python numbers.
                let a = scalar_to_py(&l);
                let b = scalar_to_py(&r);
                return arith(op, &a, &b);
            }
            return numpy::binary(op, &l, &r);
        }
        if op == "%"
            && let PyValue::Str(s) = &l
        {
            let show = |x: &PyValue| self.show(x);
            let repr = |x: &PyValue| self.repr(x);
            return Ok(PyValue::str(format::percent(s, &r, &show, &repr)?));
        }
        arith(op, &l, &r)
    }

    fn compare(&mut self, op: &ast::CmpOp, l: &PyValue, r: &PyValue) -> PyResult<PyValue> {
        let sym = match op {
            ast::CmpOp::Eq => "==",
            ast::CmpOp::NotEq => "!=",
            ast::CmpOp::Lt => "<",
            ast::CmpOp::LtE => "<=",
            ast::CmpOp::Gt => ">",
            ast::CmpOp::GtE => ">=",
            ast::CmpOp::Is => return Ok(PyValue::Bool(is_same(l, r))),
            ast::CmpOp::IsNot => return Ok(PyValue::Bool(!is_same(l, r))),
            ast::CmpOp::In => return Ok(PyValue::Bool(self.contains(r, l)?)),
            ast::CmpOp::NotIn => return Ok(PyValue::Bool(!self.contains(r, l)?)),
        };
        if matches!(l, PyValue::Tensor(..)) || matches!(r, PyValue::Tensor(..)) {
            if sym == "==" || sym == "!=" {
                // Graph-mode tensors compare by identity.
                return Ok(PyValue::Bool((sym == "==") == is_same(l, r)));
            }
            return tf_api::binary_operator(self.rt, sym, l, r);
        }
        if (matches!(l, PyValue::Array(a) if !a.value.shape().is_empty()))
            || (matches!(r, PyValue::Array(a) if !a.value.shape().is_empty()))
        {
            return numpy::binary(sym, l, r);
        }
        Ok(PyValue::Bool(py_compare(sym, l, r)?))
    }

    fn contains(&mut self, container: &PyValue, x: &PyValue) -> PyResult<bool> {
        match container {
            PyValue::Str(s) => match x {
                PyValue::Str(n) => Ok(s.contains(n.as_ref())),
                other => Err(PyError::type_error(format!(
                    "'in <string>' requires string as left operand, not {}",
                    other.type_name()
                ))),
            },
            PyValue::Dict(d) => {
                hashable(x)?;
                Ok(d.borrow().iter().any(|(k, _)| key_eq(k, x)))
            }
            PyValue::Range(a, b, s) => Ok(x.as_i64().is_some_and(|v| {
                let (n, d, s) = (i128::from(range_len(*a, *b, *s)), i128::from(v) - i128::from(*a), i128::from(*s));
                n > 0 && d % s == 0 && d / s >= 0 && d / s < n
            })),
            other => {
                for v in self.iterate(other)? {
                    if is_same(&v, x) || py_eq(&v, x)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }

    // ----- iteration, indexing, attributes -----

    fn iterate(&mut self, v: &PyValue) -> PyResult<Vec<PyValue>> {
        Ok(match v {
            PyValue::List(l) => l.borrow().clone(),
            PyValue::Tuple(t) => t.as_ref().clone(),
            PyValue::Str(s) => s.chars().map(|c| PyValue::str(c.to_string())).collect(),
            PyValue::Dict(d) => d.borrow().iter().map(|(k, _)| k.clone()).collect(),
            PyValue::Range(a, b, s) => {
                let n = range_len(*a, *b, *s);
                if n > MAX_ITEMS {
                    return Err(PyError::exception("MemoryError", "the range is too long to list"));
                }
                (0..n).map(|k| PyValue::Int(a + k * s)).collect()
            }
            PyValue::Array(a) => numpy::iterate(&a.value)?,
            PyValue::Shape(Some(d)) => d.iter().map(|x| x.map_or(PyValue::None, |v| PyValue::Int(v as i64))).collect(),
            PyValue::Tensor(..) => {
                return Err(PyError::type_error(
                    "Tensor objects are only iterable when eager execution is enabled. To iterate over this tensor use tf.map_fn.",
                ));
            }
            other => return Err(PyError::type_error(format!("'{}' object is not iterable", other.type_name()))),
        })
    }

    fn index(&mut self, v: &PyValue, i: &PyValue) -> PyResult<PyValue> {
        let seq_index = |n: usize, i: &PyValue, what: &str| -> PyResult<usize> {
            let k = i.as_i64().ok_or_else(|| {
                PyError::type_error(format!("{what} indices must be integers or slices, not {}", i.type_name()))
            })?;
            let j = if k < 0 { k + n as i64 } else { k };
            if j < 0 || j >= n as i64 {
                return Err(PyError::exception("IndexError", format!("{what} index out of range")));
            }
            Ok(j as usize)
        };
        match (v, i) {
            (PyValue::List(l), PyValue::Slice(a, b, c)) => {
                let items = l.borrow();
                Ok(PyValue::list(
                    numpy::slice_indices(*a, *b, *c, items.len())?.into_iter().map(|k| items[k].clone()).collect(),
                ))
            }
            (PyValue::Tuple(t), PyValue::Slice(a, b, c)) => Ok(PyValue::tuple(
                numpy::slice_indices(*a, *b, *c, t.len())?.into_iter().map(|k| t[k].clone()).collect(),
            )),
            (PyValue::Str(s), PyValue::Slice(a, b, c)) => {
                let chars: Vec<char> = s.chars().collect();
                Ok(PyValue::str(
                    numpy::slice_indices(*a, *b, *c, chars.len())?.into_iter().map(|k| chars[k]).collect::<String>(),
                ))
            }
            (PyValue::List(l), _) => {
                let items = l.borrow();
                Ok(items[seq_index(items.len(), i, "list")?].clone())
            }
            (PyValue::Tuple(t), _) => Ok(t[seq_index(t.len(), i, "tuple")?].clone()),
            (PyValue::Str(s), _) => {
                let chars: Vec<char> = s.chars().collect();
                Ok(PyValue::str(chars[seq_index(chars.len(), i, "string")?].to_string()))
            }
            (PyValue::Range(a, b, s), _) => {
                let n = range_len(*a, *b, *s) as usize;
                Ok(PyValue::Int(a + seq_index(n, i, "range object")? as i64 * s))
            }
            (PyValue::Dict(d), _) => {
                hashable(i)?;
                d.borrow()
                    .iter()
                    .find(|(k, _)| key_eq(k, i))
                    .map(|(_, x)| x.clone())
                    .ok_or_else(|| PyError::exception("KeyError", self.repr(i)))
            }
            (PyValue::Array(a), _) => numpy::index(&a.value, i),
            (PyValue::Shape(Some(d)), _) => {
                let k = seq_index(d.len(), i, "TensorShape")?;
                Ok(d[k].map_or(PyValue::None, |x| PyValue::Int(x as i64)))
            }
            (PyValue::Tensor(..), _) => Err(PyError::unsupported("slicing a tensor (tf.strided_slice)")),
            (other, _) => Err(PyError::type_error(format!("'{}' object is not subscriptable", other.type_name()))),
        }
    }

    fn attr(&mut self, v: &PyValue, name: &str) -> PyResult<PyValue> {
        let bound = || Ok(PyValue::Method(Box::new(v.clone()), name.into()));
        match v {
            PyValue::Module(m) => module_attr(m, name),
            PyValue::Array(a) => numpy::attr(a, name),
            PyValue::RandomState(_) => bound(),
            PyValue::Mnist(sets, split) => crate::python::input_data::attr(self.rt, *sets, *split, name),
            PyValue::List(_)
                if matches!(
                    name,
                    "append" | "extend" | "pop" | "insert" | "index" | "count" | "sort" | "reverse" | "copy"
                ) =>
            {
                bound()
            }
            PyValue::Dict(_)
                if matches!(name, "items" | "keys" | "values" | "get" | "update" | "setdefault" | "pop" | "copy") =>
            {
                bound()
            }
            PyValue::Str(_)
                if matches!(
                    name,
                    "format"
                        | "join"
                        | "split"
                        | "splitlines"
                        | "strip"
                        | "lstrip"
                        | "rstrip"
                        | "upper"
                        | "lower"
                        | "replace"
                        | "startswith"
                        | "endswith"
                        | "rjust"
                        | "ljust"
                        | "zfill"
                        | "center"
                ) =>
            {
                bound()
            }
            PyValue::Type(t) if name == "__name__" => Ok(PyValue::str(t.as_ref())),
            PyValue::Function(f) if name == "__name__" => Ok(PyValue::str(&f.name)),
            PyValue::Exception(_, m) if name == "args" => Ok(PyValue::tuple(vec![PyValue::str(m.as_ref())])),
            PyValue::Exception(_, m) if name == "message" => Ok(PyValue::str(m.as_ref())),
            PyValue::Object(o) if matches!(o.as_ref(), TfObject::Saver(..) | TfObject::CheckpointReader(_)) => {
                match (o.as_ref(), name) {
                    (TfObject::Saver(..), "save" | "restore") => bound(),
                    (TfObject::CheckpointReader(_), "get_tensor" | "get_variable_to_shape_map" | "has_tensor") => {
                        bound()
                    }
                    _ => Err(PyError::exception(
                        "AttributeError",
                        format!("'{}' object has no attribute '{name}'", v.type_name()),
                    )),
                }
            }
            PyValue::Tensor(..)
            | PyValue::Operation(..)
            | PyValue::Graph(_)
            | PyValue::Session(_)
            | PyValue::DType(_)
            | PyValue::RefDType(_)
            | PyValue::Shape(_)
            | PyValue::Object(_) => tf_api::attr(self.rt, v, name),
            other => Err(PyError::exception(
                "AttributeError",
                format!("'{}' object has no attribute '{name}'", other.type_name()),
            )),
        }
    }

    // ----- calls -----

    fn call(&mut self, f: &PyValue, args: Args) -> PyResult<PyValue> {
        self.rt.tick()?;
        match f {
            PyValue::Builtin(name) => {
                if name.starts_with("tf.") {
                    tf_api::call(self.rt, name, &args)
                } else if name.starts_with("np.") {
                    numpy::call(self.rt, name, &args)
                } else {
                    self.builtin(name, args)
                }
            }
            PyValue::Function(func) => self.call_function(func, args),
            PyValue::Method(obj, name) => self.call_method(obj, name, args),
            PyValue::Type(t) => match t.as_ref() {
                name if EXCEPTIONS.contains(&name) || name.ends_with("Error") => {
                    let msg = match args.pos.as_slice() {
                        [] => String::new(),
                        [one] => self.show(one),
                        many => self.repr(&PyValue::tuple(many.to_vec())),
                    };
                    Ok(PyValue::Exception(t.clone(), msg.into()))
                }
                other => self.builtin(other, args),
            },
            PyValue::DType(d) => {
                let v = args.req(0, "x", d.name())?;
                Ok(PyValue::array(numpy::to_value(v, Some(*d), numpy::Flavor::Numpy)?))
            }
            other => Err(PyError::type_error(format!("'{}' object is not callable", other.type_name()))),
        }
    }

    fn call_function(&mut self, f: &Rc<Function>, args: Args) -> PyResult<PyValue> {
        if self.depth >= MAX_CALL_DEPTH {
            return Err(PyError::exception("RecursionError", "maximum recursion depth exceeded"));
        }
        let mut vars = HashMap::new();
        if args.pos.len() > f.params.len() {
            return Err(PyError::type_error(format!(
                "{}() takes {} positional arguments but {} were given",
                f.name,
                f.params.len(),
                args.pos.len()
            )));
        }
        for (k, v) in &args.kw {
            if !f.params.iter().any(|(p, _)| p == k) {
                return Err(PyError::type_error(format!("{}() got an unexpected keyword argument '{k}'", f.name)));
            }
            vars.insert(k.clone(), v.clone());
        }
        for (i, (p, default)) in f.params.iter().enumerate() {
            if let Some(v) = args.pos.get(i) {
                if vars.contains_key(p) {
                    return Err(PyError::type_error(format!("{}() got multiple values for argument '{p}'", f.name)));
                }
                vars.insert(p.clone(), v.clone());
            } else if !vars.contains_key(p) {
                match default {
                    Some(d) => {
                        vars.insert(p.clone(), d.clone());
                    }
                    None => {
                        return Err(PyError::type_error(format!(
                            "{}() missing 1 required positional argument: '{p}'",
                            f.name
                        )));
                    }
                }
            }
        }
        self.frames.push(Frame { vars: Rc::new(RefCell::new(vars)), enclosing: f.enclosing.clone(), see_below: false });
        self.depth += 1;
        let at = self.rt.frames.last().map_or(0, |f| f.1);
        self.rt.frames.push((Rc::from(f.name.as_str()), at));
        let r = match &f.body {
            FunctionBody::Def(body) => self.block(body).map(|flow| match flow {
                Flow::Return(v) => v,
                _ => PyValue::None,
            }),
            FunctionBody::Lambda(e) => self.expr(e),
        };
        self.depth -= 1;
        self.rt.frames.pop();
        self.frames.pop();
        r
    }

    fn call_method(&mut self, obj: &PyValue, name: &str, args: Args) -> PyResult<PyValue> {
        match obj {
            PyValue::List(l) => list_method(l, name, &args),
            PyValue::Dict(d) => dict_method(d, name, &args),
            PyValue::Str(s) => self.str_method(s, name, &args),
            PyValue::Array(a) => numpy::method(a, name, &args),
            PyValue::RandomState(r) => numpy::random_method(self.rt, Some(r), name, &args),
            PyValue::Mnist(sets, Some(split)) if name == "next_batch" => {
                crate::python::input_data::next_batch(self.rt, *sets, *split, &args)
            }
            PyValue::Object(o) => match o.as_ref() {
                TfObject::Saver(..) | TfObject::CheckpointReader(_) => {
                    crate::python::checkpoints::call(self.rt, o, name, &args)
                }
                _ => tf_api::call_method(self.rt, obj, name, &args),
            },
            _ => tf_api::call_method(self.rt, obj, name, &args),
        }
    }

    fn str_method(&mut self, s: &str, name: &str, args: &Args) -> PyResult<PyValue> {
        let arg_str = |i: usize| -> PyResult<Option<String>> {
            match args.pos.get(i) {
                None | Some(PyValue::None) => Ok(None),
                Some(PyValue::Str(x)) => Ok(Some(x.to_string())),
                Some(other) => Err(PyError::type_error(format!("must be str, not {}", other.type_name()))),
            }
        };
        Ok(match name {
            "format" => {
                let show = |x: &PyValue| self.show(x);
                let repr = |x: &PyValue| self.repr(x);
                PyValue::str(format::str_format(s, &args.pos, &args.kw, &show, &repr)?)
            }
            "join" => {
                let items = self.iterate(args.req(0, "iterable", "join")?)?;
                let mut parts = Vec::with_capacity(items.len());
                for (k, it) in items.iter().enumerate() {
                    match it {
                        PyValue::Str(x) => parts.push(x.to_string()),
                        other => {
                            return Err(PyError::type_error(format!(
                                "sequence item {k}: expected str instance, {} found",
                                other.type_name()
                            )));
                        }
                    }
                }
                let total = parts.iter().map(|p| p.len() as i64).sum::<i64>();
                check_len(total.saturating_add((s.len() as i64).saturating_mul(parts.len() as i64)))?;
                PyValue::str(parts.join(s))
            }
            "split" => {
                let parts: Vec<PyValue> = match arg_str(0)? {
                    Some(sep) if sep.is_empty() => return Err(PyError::value_error("empty separator")),
                    Some(sep) => s.split(sep.as_str()).map(PyValue::str).collect(),
                    None => s.split_whitespace().map(PyValue::str).collect(),
                };
                PyValue::list(parts)
            }
            "splitlines" => {
                // Python's line boundaries (the common ones): \n, \r\n, \r; no empty last line.
                let mut parts = Vec::new();
                let mut rest: &str = s;
                while !rest.is_empty() {
                    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
                    parts.push(PyValue::str(&rest[..end]));
                    let skip = if rest[end..].starts_with("\r\n") { 2 } else { usize::from(end < rest.len()) };
                    rest = &rest[end + skip..];
                }
                PyValue::list(parts)
            }
            "strip" | "lstrip" | "rstrip" => {
                let chars: Option<Vec<char>> = arg_str(0)?.map(|c| c.chars().collect());
                let pat = |c: char| chars.as_ref().map_or(c.is_whitespace(), |cs| cs.contains(&c));
                PyValue::str(match name {
                    "strip" => s.trim_matches(pat),
                    "lstrip" => s.trim_start_matches(pat),
                    _ => s.trim_end_matches(pat),
                })
            }
            "upper" => PyValue::str(s.to_uppercase()),
            "lower" => PyValue::str(s.to_lowercase()),
            "replace" => {
                let (a, b) = (arg_str(0)?.unwrap_or_default(), arg_str(1)?.unwrap_or_default());
                let k = if a.is_empty() { s.chars().count() + 1 } else { s.matches(a.as_str()).count() } as i64;
                check_len((s.len() as i64 - k * a.len() as i64).saturating_add(k.saturating_mul(b.len() as i64)))?;
                PyValue::str(s.replace(&a, &b))
            }
            "startswith" => PyValue::Bool(s.starts_with(&arg_str(0)?.unwrap_or_default())),
            "endswith" => PyValue::Bool(s.ends_with(&arg_str(0)?.unwrap_or_default())),
            "rjust" | "ljust" | "center" | "zfill" => {
                let w = args.pos.first().and_then(PyValue::as_i64).unwrap_or(0).clamp(0, 10_000) as usize;
                let spec = match name {
                    "rjust" => format!(">{w}"),
                    "ljust" => format!("<{w}"),
                    "center" => format!("^{w}"),
                    _ => format!("0>{w}"),
                };
                let show = |x: &PyValue| x.to_str();
                PyValue::str(format::format_spec(&PyValue::str(s), &spec, &show)?)
            }
            other => return Err(PyError::unsupported(format!("str.{other}"))),
        })
    }

    fn builtin(&mut self, name: &str, args: Args) -> PyResult<PyValue> {
        let one = |what: &str| -> PyResult<PyValue> {
            args.pos
                .first()
                .cloned()
                .ok_or_else(|| PyError::type_error(format!("{what}() takes exactly one argument (0 given)")))
        };
        match name {
            "print" => self.print(&args),
            "len" => {
                let v = one("len")?;
                let n = match &v {
                    PyValue::Str(s) => s.chars().count(),
                    PyValue::List(l) => l.borrow().len(),
                    PyValue::Tuple(t) => t.len(),
                    PyValue::Dict(d) => d.borrow().len(),
                    PyValue::Range(a, b, s) => range_len(*a, *b, *s) as usize,
                    PyValue::Array(a) => {
                        *a.value.shape().first().ok_or_else(|| PyError::type_error("len() of unsized object"))?
                    }
                    PyValue::Shape(Some(d)) => d.len(),
                    other => {
                        return Err(PyError::type_error(format!(
                            "object of type '{}' has no len()",
                            other.type_name()
                        )));
                    }
                };
                Ok(PyValue::Int(n as i64))
            }
            "range" => {
                let ints: Vec<i64> = args
                    .pos
                    .iter()
                    .map(|v| {
                        v.as_i64().ok_or_else(|| {
                            PyError::type_error(format!(
                                "'{}' object cannot be interpreted as an integer",
                                v.type_name()
                            ))
                        })
                    })
                    .collect::<PyResult<_>>()?;
                match ints.as_slice() {
                    [b] => Ok(PyValue::Range(0, *b, 1)),
                    [a, b] => Ok(PyValue::Range(*a, *b, 1)),
                    [_, _, 0] => Err(PyError::value_error("range() arg 3 must not be zero")),
                    [a, b, s] => Ok(PyValue::Range(*a, *b, *s)),
                    _ => Err(PyError::type_error(format!("range expected at most 3 arguments, got {}", ints.len()))),
                }
            }
            "enumerate" => {
                let items = self.iterate(&one("enumerate")?)?;
                let start = args.get(1, "start").and_then(PyValue::as_i64).unwrap_or(0);
                Ok(PyValue::list(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| PyValue::tuple(vec![PyValue::Int(start + i as i64), v]))
                        .collect(),
                ))
            }
            "zip" => {
                let lists = args.pos.iter().map(|v| self.iterate(v)).collect::<PyResult<Vec<_>>>()?;
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                Ok(PyValue::list(
                    (0..n).map(|i| PyValue::tuple(lists.iter().map(|l| l[i].clone()).collect())).collect(),
                ))
            }
            "min" | "max" => {
                let items = if args.pos.len() == 1 { self.iterate(&args.pos[0])? } else { args.pos.clone() };
                let key = args.kw("key").cloned();
                let mut best: Option<(PyValue, PyValue)> = None;
                for it in items {
                    let k = match &key {
                        Some(f) => self.call(f, Args { pos: vec![it.clone()], kw: vec![] })?,
                        None => it.clone(),
                    };
                    let better = match &best {
                        None => true,
                        Some((bk, _)) => py_compare(if name == "min" { "<" } else { ">" }, &k, bk)?,
                    };
                    if better {
                        best = Some((k, it));
                    }
                }
                match best {
                    Some((_, v)) => Ok(v),
                    None => match args.kw("default") {
                        Some(d) => Ok(d.clone()),
                        None => Err(PyError::value_error(format!("{name}() arg is an empty sequence"))),
                    },
                }
            }
            "int" => match args.pos.first() {
                None => Ok(PyValue::Int(0)),
                Some(PyValue::Str(s)) => s.trim().parse::<i64>().map(PyValue::Int).map_err(|_| {
                    PyError::value_error(format!(
                        "invalid literal for int() with base 10: {}",
                        crate::interpreter::checkpoint::py_repr(s)
                    ))
                }),
                Some(v) => {
                    let x = v.as_f64().ok_or_else(|| {
                        PyError::type_error(format!(
                            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                            v.type_name()
                        ))
                    })?;
                    if !x.is_finite() {
                        return Err(PyError::exception("OverflowError", "cannot convert float infinity to integer"));
                    }
                    if x.abs() >= 9.2e18 {
                        return Err(overflow());
                    }
                    Ok(PyValue::Int(x.trunc() as i64))
                }
            },
            "float" => match args.pos.first() {
                None => Ok(PyValue::Float(0.0)),
                Some(PyValue::Str(s)) => {
                    let t = s.trim().to_lowercase();
                    let x = match t.as_str() {
                        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
                        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                        "nan" => Some(f64::NAN),
                        _ => t.parse::<f64>().ok(),
                    };
                    x.map(PyValue::Float).ok_or_else(|| {
                        PyError::value_error(format!(
                            "could not convert string to float: {}",
                            crate::interpreter::checkpoint::py_repr(s)
                        ))
                    })
                }
                Some(v) => v.as_f64().map(PyValue::Float).ok_or_else(|| {
                    PyError::type_error(format!(
                        "float() argument must be a string or a real number, not '{}'",
                        v.type_name()
                    ))
                }),
            },
            "str" => Ok(PyValue::str(args.pos.first().map_or(String::new(), |v| self.show(v)))),
            "repr" => Ok(PyValue::str(self.repr(&one("repr")?))),
            "bool" => Ok(PyValue::Bool(args.pos.first().map(PyValue::truthy).transpose()?.unwrap_or(false))),
            "abs" => match one("abs")? {
                PyValue::Int(i) => i.checked_abs().map(PyValue::Int).ok_or_else(overflow),
                PyValue::Bool(b) => Ok(PyValue::Int(i64::from(b))),
                PyValue::Float(f) => Ok(PyValue::Float(f.abs())),
                t @ PyValue::Tensor(..) => tf_api::call(self.rt, "tf.abs", &Args { pos: vec![t], kw: vec![] }),
                a @ PyValue::Array(_) => numpy::call(self.rt, "np.abs", &Args { pos: vec![a], kw: vec![] }),
                other => Err(PyError::type_error(format!("bad operand type for abs(): '{}'", other.type_name()))),
            },
            "round" => {
                let x = one("round")?;
                let x = x.as_f64().ok_or_else(|| {
                    PyError::type_error(format!("type {} doesn't define __round__ method", x.type_name()))
                })?;
                match args.pos.get(1).and_then(PyValue::as_i64) {
                    None => Ok(PyValue::Int(round_half_even(x) as i64)),
                    Some(n) => {
                        let text = format!("{:.*}", n.clamp(0, 300) as usize, x);
                        Ok(PyValue::Float(text.parse().unwrap_or(x)))
                    }
                }
            }
            "sum" => {
                let items = self.iterate(&one("sum")?)?;
                let mut acc = args.get(1, "start").cloned().unwrap_or(PyValue::Int(0));
                for it in items {
                    acc = self.binop("+", acc, it)?;
                }
                Ok(acc)
            }
            "sorted" => {
                let mut items = self.iterate(&one("sorted")?)?;
                let key = args.kw("key").cloned();
                let reverse = args.kw("reverse").map(PyValue::truthy).transpose()?.unwrap_or(false);
                let mut keyed = Vec::with_capacity(items.len());
                for it in items.drain(..) {
                    let k = match &key {
                        Some(f) => self.call(f, Args { pos: vec![it.clone()], kw: vec![] })?,
                        None => it.clone(),
                    };
                    keyed.push((k, it));
                }
                let mut err = None;
                keyed.sort_by(|a, b| match py_compare("<", &a.0, &b.0) {
                    Ok(true) => std::cmp::Ordering::Less,
                    Ok(false) => match py_compare("<", &b.0, &a.0) {
                        Ok(true) => std::cmp::Ordering::Greater,
                        Ok(false) => std::cmp::Ordering::Equal,
                        Err(e) => {
                            err.get_or_insert(e);
                            std::cmp::Ordering::Equal
                        }
                    },
                    Err(e) => {
                        err.get_or_insert(e);
                        std::cmp::Ordering::Equal
                    }
                });
                if let Some(e) = err {
                    return Err(e);
                }
                if reverse {
                    keyed.reverse();
                }
                Ok(PyValue::list(keyed.into_iter().map(|(_, v)| v).collect()))
            }
            "reversed" => {
                let mut items = self.iterate(&one("reversed")?)?;
                items.reverse();
                Ok(PyValue::list(items))
            }
            "list" => Ok(PyValue::list(match args.pos.first() {
                Some(v) => self.iterate(v)?,
                None => vec![],
            })),
            "tuple" => Ok(PyValue::tuple(match args.pos.first() {
                Some(v) => self.iterate(v)?,
                None => vec![],
            })),
            "dict" => {
                let d = Rc::new(RefCell::new(Vec::new()));
                if let Some(v) = args.pos.first() {
                    let pairs = match v {
                        PyValue::Dict(src) => {
                            src.borrow().iter().map(|(k, x)| PyValue::tuple(vec![k.clone(), x.clone()])).collect()
                        }
                        other => self.iterate(other)?,
                    };
                    for p in pairs {
                        let kv = self.iterate(&p)?;
                        if kv.len() != 2 {
                            return Err(PyError::value_error(
                                "dictionary update sequence element has the wrong length",
                            ));
                        }
                        dict_set(&d, kv[0].clone(), kv[1].clone())?;
                    }
                }
                for (k, v) in &args.kw {
                    dict_set(&d, PyValue::str(k), v.clone())?;
                }
                Ok(PyValue::Dict(d))
            }
            "type" => Ok(PyValue::Type(one("type")?.type_name().into())),
            "isinstance" => {
                let v = one("isinstance")?;
                let t =
                    args.pos.get(1).cloned().ok_or_else(|| PyError::type_error("isinstance expected 2 arguments"))?;
                let types = match &t {
                    PyValue::Tuple(ts) => ts.as_ref().clone(),
                    other => vec![other.clone()],
                };
                let tn = v.type_name();
                Ok(PyValue::Bool(types.iter().any(|t| match t {
                    PyValue::Builtin(b) => b.as_ref() == tn || (b.as_ref() == "int" && tn == "bool"),
                    PyValue::Type(x) => x.as_ref() == tn || exception_matches(t, &tn),
                    _ => false,
                })))
            }
            "map" => {
                let f = one("map")?;
                let items = self.iterate(
                    args.pos.get(1).ok_or_else(|| PyError::type_error("map() must have at least two arguments."))?,
                )?;
                let mut out = Vec::with_capacity(items.len());
                for it in items {
                    out.push(self.call(&f, Args { pos: vec![it], kw: vec![] })?);
                }
                Ok(PyValue::list(out))
            }
            "filter" => {
                let f = one("filter")?;
                let items =
                    self.iterate(args.pos.get(1).ok_or_else(|| PyError::type_error("filter expected 2 arguments"))?)?;
                let mut out = Vec::new();
                for it in items {
                    let keep = match &f {
                        PyValue::None => it.truthy()?,
                        f => self.call(f, Args { pos: vec![it.clone()], kw: vec![] })?.truthy()?,
                    };
                    if keep {
                        out.push(it);
                    }
                }
                Ok(PyValue::list(out))
            }
            "any" | "all" => {
                let items = self.iterate(&one(name)?)?;
                let mut r = name == "all";
                for it in items {
                    let t = it.truthy()?;
                    if name == "any" && t {
                        r = true;
                        break;
                    }
                    if name == "all" && !t {
                        r = false;
                        break;
                    }
                }
                Ok(PyValue::Bool(r))
            }
            "format" => {
                let v = one("format")?;
                let spec = args.pos.get(1).map(|s| s.to_str()).unwrap_or_default();
                let show = |x: &PyValue| self.show(x);
                Ok(PyValue::str(format::format_spec(&v, &spec, &show)?))
            }
            "os.path.join" => {
                let mut p = std::path::PathBuf::new();
                for a in &args.pos {
                    p.push(a.as_str().ok_or_else(|| PyError::type_error("join() arguments must be str"))?);
                }
                Ok(PyValue::str(p.to_string_lossy()))
            }
            "os.path.exists" | "os.path.isdir" | "os.path.isfile" => {
                let p = one(name)?;
                let p = std::path::Path::new(p.as_str().unwrap_or(""));
                Ok(PyValue::Bool(match name {
                    "os.path.exists" => p.exists(),
                    "os.path.isdir" => p.is_dir(),
                    _ => p.is_file(),
                }))
            }
            "os.listdir" => {
                let p = one("listdir")?;
                let p = p.as_str().ok_or_else(|| PyError::type_error("listdir: path should be string"))?;
                let rd = std::fs::read_dir(p).map_err(|e| {
                    PyError::exception(
                        "FileNotFoundError",
                        format!("[Errno 2] {e}: {}", crate::interpreter::checkpoint::py_repr(p)),
                    )
                })?;
                let mut names = Vec::new();
                for e in rd.flatten() {
                    names.push(PyValue::str(e.file_name().to_string_lossy()));
                }
                Ok(PyValue::list(names))
            }
            "tempfile.mkdtemp" => {
                let project = crate::project::Project::default();
                let dir = crate::interpreter::checkpoint::resolve_path(&mut self.rt.ws, &project, "$TMP")?;
                Ok(PyValue::str(dir.to_string_lossy()))
            }
            "math.sqrt" | "math.exp" | "math.log" | "math.floor" | "math.ceil" => {
                let x = one(name)?.as_f64().ok_or_else(|| PyError::type_error("must be real number"))?;
                Ok(match name {
                    "math.sqrt" if x < 0.0 => return Err(PyError::value_error("math domain error")),
                    "math.log" if x <= 0.0 => return Err(PyError::value_error("math domain error")),
                    "math.sqrt" => PyValue::Float(x.sqrt()),
                    "math.exp" => PyValue::Float(x.exp()),
                    "math.log" => PyValue::Float(x.ln()),
                    "math.floor" => PyValue::Int(x.floor() as i64),
                    _ => PyValue::Int(x.ceil() as i64),
                })
            }
            "input_data.read_data_sets" => crate::python::input_data::read_data_sets(self.rt, &args),
            other => Err(PyError::unsupported(format!("{other}()"))),
        }
    }
}

fn unreachable_output() -> crate::engine::graph::Output {
    crate::engine::graph::Output { node: crate::engine::graph::NodeId(0), index: 0 }
}

fn overflow() -> PyError {
    PyError::unsupported("an integer beyond 64 bits")
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r }
}

fn constant(c: &ast::Constant) -> PyResult<PyValue> {
    Ok(match c {
        ast::Constant::None => PyValue::None,
        ast::Constant::Bool(b) => PyValue::Bool(*b),
        ast::Constant::Str(s) => PyValue::str(s),
        ast::Constant::Int(i) => PyValue::Int(i64::try_from(i).map_err(|_| overflow())?),
        ast::Constant::Float(f) => PyValue::Float(*f),
        ast::Constant::Tuple(t) => PyValue::tuple(t.iter().map(constant).collect::<PyResult<_>>()?),
        ast::Constant::Bytes(_) => return Err(PyError::unsupported("bytes")),
        ast::Constant::Complex { .. } => return Err(PyError::unsupported("complex numbers")),
        ast::Constant::Ellipsis => return Err(PyError::unsupported("Ellipsis")),
    })
}

fn op_symbol(op: &ast::Operator) -> &'static str {
    match op {
        ast::Operator::Add => "+",
        ast::Operator::Sub => "-",
        ast::Operator::Mult => "*",
        ast::Operator::MatMult => "@",
        ast::Operator::Div => "/",
        ast::Operator::Mod => "%",
        ast::Operator::Pow => "**",
        ast::Operator::LShift => "<<",
        ast::Operator::RShift => ">>",
        ast::Operator::BitOr => "|",
        ast::Operator::BitXor => "^",
        ast::Operator::BitAnd => "&",
        ast::Operator::FloorDiv => "//",
    }
}

fn scalar_to_py(v: &PyValue) -> PyValue {
    match v {
        PyValue::Array(a) if a.value.shape().is_empty() => match a.value.dtype() {
            crate::engine::dtype::DType::Bool => PyValue::Bool(a.value.first_f64().unwrap_or(0.0) != 0.0),
            d if d.is_float() => PyValue::Float(a.value.first_f64().unwrap_or(0.0)),
            _ => PyValue::Int(a.value.first_f64().unwrap_or(0.0) as i64),
        },
        other => other.clone(),
    }
}

fn type_err(op: &str, l: &PyValue, r: &PyValue) -> PyError {
    PyError::type_error(format!("unsupported operand type(s) for {op}: '{}' and '{}'", l.type_name(), r.type_name()))
}

/// Python arithmetic on numbers, strings, lists and tuples.
fn arith(op: &str, l: &PyValue, r: &PyValue) -> PyResult<PyValue> {
    use PyValue as V;
    let ints = |v: &PyValue| match v {
        V::Int(i) => Some(*i),
        V::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    if let (Some(a), Some(b)) = (ints(l), ints(r)) {
        let zero = || PyError::exception("ZeroDivisionError", "integer division or modulo by zero");
        return match op {
            "+" => a.checked_add(b).map(V::Int).ok_or_else(overflow),
            "-" => a.checked_sub(b).map(V::Int).ok_or_else(overflow),
            "*" => a.checked_mul(b).map(V::Int).ok_or_else(overflow),
            "/" => {
                if b == 0 {
                    return Err(PyError::exception("ZeroDivisionError", "division by zero"));
                }
                Ok(V::Float(a as f64 / b as f64))
            }
            "//" => {
                if b == 0 {
                    return Err(zero());
                }
                let q = a.checked_div(b).ok_or_else(overflow)?;
                Ok(V::Int(if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }))
            }
            "%" => {
                if b == 0 {
                    return Err(zero());
                }
                let m = a.checked_rem(b).ok_or_else(overflow)?;
                Ok(V::Int(if m != 0 && ((m < 0) != (b < 0)) { m + b } else { m }))
            }
            "**" => {
                if b < 0 {
                    Ok(V::Float((a as f64).powf(b as f64)))
                } else {
                    let e = u32::try_from(b).map_err(|_| overflow())?;
                    a.checked_pow(e).map(V::Int).ok_or_else(overflow)
                }
            }
            "&" => Ok(V::Int(a & b)),
            "|" => Ok(V::Int(a | b)),
            "^" => Ok(V::Int(a ^ b)),
            "<<" => {
                if !(0..63).contains(&b) {
                    return Err(overflow());
                }
                a.checked_mul(1i64 << b).map(V::Int).ok_or_else(overflow)
            }
            ">>" => Ok(V::Int(a >> b.clamp(0, 63))),
            _ => Err(type_err(op, l, r)),
        };
    }
    let num = |v: &PyValue| match v {
        V::Int(i) => Some(*i as f64),
        V::Bool(b) => Some(f64::from(u8::from(*b))),
        V::Float(f) => Some(*f),
        _ => None,
    };
    if let (Some(a), Some(b)) = (num(l), num(r)) {
        let zero = |what: &str| PyError::exception("ZeroDivisionError", what.to_string());
        return Ok(V::Float(match op {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            "/" => {
                if b == 0.0 {
                    return Err(zero("float division by zero"));
                }
                a / b
            }
            "//" => {
                if b == 0.0 {
                    return Err(zero("float floor division by zero"));
                }
                (a / b).floor()
            }
            "%" => {
                if b == 0.0 {
                    return Err(zero("float modulo"));
                }
                let m = a % b;
                if m != 0.0 && ((m < 0.0) != (b < 0.0)) { m + b } else { m }
            }
            "**" => {
                if a == 0.0 && b < 0.0 {
                    return Err(zero("0.0 cannot be raised to a negative power"));
                }
                a.powf(b)
            }
            _ => return Err(type_err(op, l, r)),
        }));
    }
    match (op, l, r) {
        ("+", V::Str(a), V::Str(b)) => {
            check_len(a.len() as i64 + b.len() as i64)?;
            Ok(V::str(format!("{a}{b}")))
        }
        ("+", V::List(a), V::List(b)) => {
            check_len(a.borrow().len() as i64 + b.borrow().len() as i64)?;
            let mut v = a.borrow().clone();
            v.extend(b.borrow().iter().cloned());
            Ok(V::list(v))
        }
        ("+", V::Tuple(a), V::Tuple(b)) => {
            check_len(a.len() as i64 + b.len() as i64)?;
            let mut v = a.as_ref().clone();
            v.extend(b.iter().cloned());
            Ok(V::tuple(v))
        }
        ("*", V::Str(_) | V::List(_) | V::Tuple(_), V::Int(_) | V::Bool(_)) => repeat(l, ints(r).unwrap_or(0)),
        ("*", V::Int(_) | V::Bool(_), V::Str(_) | V::List(_) | V::Tuple(_)) => repeat(r, ints(l).unwrap_or(0)),
        _ => Err(type_err(op, l, r)),
    }
}

/// Python's `MemoryError` for a list, tuple or string of more than [`MAX_ITEMS`] items.
fn check_len(n: i64) -> PyResult<()> {
    if n > MAX_ITEMS {
        return Err(PyError::exception("MemoryError", "the sequence is too long"));
    }
    Ok(())
}

fn repeat(v: &PyValue, n: i64) -> PyResult<PyValue> {
    let n = n.max(0);
    let len = match v {
        PyValue::Str(s) => s.len() as i64,
        PyValue::List(l) => l.borrow().len() as i64,
        PyValue::Tuple(t) => t.len() as i64,
        _ => 0,
    };
    if len.saturating_mul(n) > MAX_ITEMS {
        return Err(PyError::exception("MemoryError", "the sequence is too long"));
    }
    Ok(match v {
        PyValue::Str(s) => PyValue::str(s.repeat(n as usize)),
        PyValue::List(l) => {
            let items = l.borrow();
            PyValue::list((0..n).flat_map(|_| items.iter().cloned()).collect())
        }
        PyValue::Tuple(t) => PyValue::tuple((0..n).flat_map(|_| t.iter().cloned()).collect()),
        other => other.clone(),
    })
}

/// Python's limit on nested comparisons (its recursion limit).
const MAX_COMPARE_DEPTH: usize = 1000;

/// `a == b` as Python compares: lists and tuples item by item (an item identical to the other
/// is equal), dicts by their items, numbers by value, other values by identity. Values that
/// contain each other raise Python's `RecursionError`.
fn py_eq(a: &PyValue, b: &PyValue) -> PyResult<bool> {
    eq_at(a, b, 0)
}

fn recursion_error() -> PyError {
    PyError::exception("RecursionError", "maximum recursion depth exceeded in comparison")
}

fn eq_at(a: &PyValue, b: &PyValue, depth: usize) -> PyResult<bool> {
    if depth > MAX_COMPARE_DEPTH {
        return Err(recursion_error());
    }
    let items = |x: &[PyValue], y: &[PyValue]| -> PyResult<bool> {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (p, q) in x.iter().zip(y) {
            if !is_same(p, q) && !eq_at(p, q, depth + 1)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    match (a, b) {
        (PyValue::Tuple(x), PyValue::Tuple(y)) => items(x, y),
        (PyValue::List(x), PyValue::List(y)) if Rc::ptr_eq(x, y) => Ok(true),
        (PyValue::List(x), PyValue::List(y)) => items(&x.borrow(), &y.borrow()),
        (PyValue::Dict(x), PyValue::Dict(y)) if Rc::ptr_eq(x, y) => Ok(true),
        (PyValue::Dict(x), PyValue::Dict(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match y.iter().find(|(k2, _)| key_eq(k2, k)) {
                    Some((_, w)) if is_same(v, w) || eq_at(v, w, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            Ok(true)
        }
        _ => Ok(key_eq(a, b)),
    }
}

/// Python's comparison of numbers, strings, lists and tuples.
fn py_compare(op: &str, l: &PyValue, r: &PyValue) -> PyResult<bool> {
    compare_at(op, l, r, 0)
}

fn compare_at(op: &str, l: &PyValue, r: &PyValue, depth: usize) -> PyResult<bool> {
    use std::cmp::Ordering;
    if depth > MAX_COMPARE_DEPTH {
        return Err(recursion_error());
    }
    let ord: Option<Ordering> = match (l, r) {
        (PyValue::Str(a), PyValue::Str(b)) => Some(a.cmp(b)),
        (PyValue::List(_) | PyValue::Tuple(_), PyValue::List(_) | PyValue::Tuple(_))
            if std::mem::discriminant(l) == std::mem::discriminant(r) =>
        {
            let (a, b) = match (l, r) {
                (PyValue::List(a), PyValue::List(b)) => (a.borrow().clone(), b.borrow().clone()),
                (PyValue::Tuple(a), PyValue::Tuple(b)) => (a.as_ref().clone(), b.as_ref().clone()),
                _ => (vec![], vec![]),
            };
            let mut result = Some(a.len().cmp(&b.len()));
            for (x, y) in a.iter().zip(&b) {
                if !is_same(x, y) && !eq_at(x, y, depth + 1)? {
                    result =
                        if compare_at("<", x, y, depth + 1)? { Some(Ordering::Less) } else { Some(Ordering::Greater) };
                    break;
                }
            }
            result
        }
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => {
                return match op {
                    "==" => eq_at(l, r, depth),
                    "!=" => Ok(!eq_at(l, r, depth)?),
                    _ => Err(PyError::type_error(format!(
                        "'{op}' not supported between instances of '{}' and '{}'",
                        l.type_name(),
                        r.type_name()
                    ))),
                };
            }
        },
    };
    Ok(match ord {
        None => op == "!=",
        Some(o) => match op {
            "==" => o == Ordering::Equal,
            "!=" => o != Ordering::Equal,
            "<" => o == Ordering::Less,
            "<=" => o != Ordering::Greater,
            ">" => o == Ordering::Greater,
            _ => o != Ordering::Less,
        },
    })
}

/// Equality as dict keys and `==` compare: numbers by value, strings, tuples and lists by
/// items, TF handles by identity.
fn key_eq(a: &PyValue, b: &PyValue) -> bool {
    match (a, b) {
        (PyValue::Str(x), PyValue::Str(y)) => x == y,
        (PyValue::None, PyValue::None) => true,
        (PyValue::Tuple(x), PyValue::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q))
        }
        (PyValue::List(x), PyValue::List(y)) if Rc::ptr_eq(x, y) => true,
        (PyValue::List(x), PyValue::List(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q))
        }
        _ if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
        _ => is_same(a, b),
    }
}

/// `a is b`.
fn is_same(a: &PyValue, b: &PyValue) -> bool {
    match (a, b) {
        (PyValue::None, PyValue::None) => true,
        (PyValue::Bool(x), PyValue::Bool(y)) => x == y,
        (PyValue::Int(x), PyValue::Int(y)) => x == y,
        (PyValue::Str(x), PyValue::Str(y)) => x == y,
        (PyValue::Tensor(g, t), PyValue::Tensor(h, u)) => g == h && t == u,
        (PyValue::Operation(g, t), PyValue::Operation(h, u)) => g == h && t == u,
        (PyValue::Graph(x), PyValue::Graph(y)) => x == y,
        (PyValue::Session(x), PyValue::Session(y)) => x == y,
        (PyValue::DType(x), PyValue::DType(y)) | (PyValue::RefDType(x), PyValue::RefDType(y)) => x == y,
        (PyValue::List(x), PyValue::List(y)) => Rc::ptr_eq(x, y),
        (PyValue::Dict(x), PyValue::Dict(y)) => Rc::ptr_eq(x, y),
        (PyValue::Array(x), PyValue::Array(y)) => Rc::ptr_eq(x, y),
        (PyValue::Type(x), PyValue::Type(y)) => x == y,
        (PyValue::Module(x), PyValue::Module(y)) | (PyValue::Builtin(x), PyValue::Builtin(y)) => x == y,
        _ => false,
    }
}

fn dict_set(d: &Rc<RefCell<Vec<(PyValue, PyValue)>>>, k: PyValue, v: PyValue) -> PyResult<()> {
    hashable(&k)?;
    let mut items = d.borrow_mut();
    match items.iter_mut().find(|(kk, _)| key_eq(kk, &k)) {
        Some(slot) => slot.1 = v,
        None => items.push((k, v)),
    }
    Ok(())
}

/// Python's `TypeError: unhashable type: 'list'` for a value that cannot be a dict key (a
/// list, a dict, an array, or a tuple holding one). Keys are then compared by [`key_eq`],
/// which never meets a value that contains itself.
fn hashable(k: &PyValue) -> PyResult<()> {
    match k {
        PyValue::List(_) | PyValue::Dict(_) | PyValue::Array(_) => {
            let name = if matches!(k, PyValue::Array(_)) { "numpy.ndarray".to_string() } else { k.type_name() };
            Err(PyError::type_error(format!("unhashable type: '{name}'")))
        }
        PyValue::Tuple(t) => t.iter().try_for_each(hashable),
        _ => Ok(()),
    }
}

fn list_method(l: &Rc<RefCell<Vec<PyValue>>>, name: &str, args: &Args) -> PyResult<PyValue> {
    match name {
        "append" => {
            let v = args.req(0, "object", "append")?.clone();
            if l.borrow().len() as i64 >= MAX_ITEMS {
                return Err(PyError::exception("MemoryError", "the list is too long"));
            }
            l.borrow_mut().push(v);
            Ok(PyValue::None)
        }
        "extend" => {
            let more = match args.req(0, "iterable", "extend")? {
                PyValue::List(o) => o.borrow().len(),
                PyValue::Tuple(t) => t.len(),
                _ => 0,
            };
            check_len(l.borrow().len() as i64 + more as i64)?;
            let items = match args.req(0, "iterable", "extend")? {
                PyValue::List(o) => o.borrow().clone(),
                PyValue::Tuple(t) => t.as_ref().clone(),
                other => return Err(PyError::unsupported(format!("extending a list with a {}", other.type_name()))),
            };
            l.borrow_mut().extend(items);
            Ok(PyValue::None)
        }
        "pop" => {
            let mut items = l.borrow_mut();
            if items.is_empty() {
                return Err(PyError::exception("IndexError", "pop from empty list"));
            }
            let n = items.len() as i64;
            let i = args.pos.first().and_then(PyValue::as_i64).unwrap_or(-1);
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                return Err(PyError::exception("IndexError", "pop index out of range"));
            }
            Ok(items.remove(j as usize))
        }
        "insert" => {
            let i = args.req(0, "index", "insert")?.as_i64().unwrap_or(0);
            let v = args.req(1, "object", "insert")?.clone();
            check_len(l.borrow().len() as i64 + 1)?;
            let mut items = l.borrow_mut();
            let n = items.len() as i64;
            let j = if i < 0 { (i + n).max(0) } else { i.min(n) };
            items.insert(j as usize, v);
            Ok(PyValue::None)
        }
        "index" => {
            let v = args.req(0, "value", "index")?;
            for (i, x) in l.borrow().iter().enumerate() {
                if is_same(x, v) || py_eq(x, v)? {
                    return Ok(PyValue::Int(i as i64));
                }
            }
            Err(PyError::value_error(format!("{} is not in list", v.repr())))
        }
        "count" => {
            let v = args.req(0, "value", "count")?;
            let mut n = 0;
            for x in l.borrow().iter() {
                if is_same(x, v) || py_eq(x, v)? {
                    n += 1;
                }
            }
            Ok(PyValue::Int(n))
        }
        "reverse" => {
            l.borrow_mut().reverse();
            Ok(PyValue::None)
        }
        "copy" => Ok(PyValue::list(l.borrow().clone())),
        "sort" => {
            if !args.kw.is_empty() {
                return Err(PyError::unsupported("list.sort() with arguments (use sorted)"));
            }
            let mut items = l.borrow().clone();
            let mut err = None;
            items.sort_by(|a, b| match py_compare("<", a, b) {
                Ok(true) => std::cmp::Ordering::Less,
                Ok(false) => match py_compare("<", b, a) {
                    Ok(true) => std::cmp::Ordering::Greater,
                    _ => std::cmp::Ordering::Equal,
                },
                Err(e) => {
                    err.get_or_insert(e);
                    std::cmp::Ordering::Equal
                }
            });
            if let Some(e) = err {
                return Err(e);
            }
            *l.borrow_mut() = items;
            Ok(PyValue::None)
        }
        other => Err(PyError::unsupported(format!("list.{other}"))),
    }
}

fn dict_method(d: &Rc<RefCell<Vec<(PyValue, PyValue)>>>, name: &str, args: &Args) -> PyResult<PyValue> {
    match name {
        "items" => {
            Ok(PyValue::list(d.borrow().iter().map(|(k, v)| PyValue::tuple(vec![k.clone(), v.clone()])).collect()))
        }
        "keys" => Ok(PyValue::list(d.borrow().iter().map(|(k, _)| k.clone()).collect())),
        "values" => Ok(PyValue::list(d.borrow().iter().map(|(_, v)| v.clone()).collect())),
        "copy" => Ok(PyValue::Dict(Rc::new(RefCell::new(d.borrow().clone())))),
        "get" => {
            let k = args.req(0, "key", "get")?;
            hashable(k)?;
            Ok(d.borrow()
                .iter()
                .find(|(kk, _)| key_eq(kk, k))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| args.pos.get(1).cloned().unwrap_or(PyValue::None)))
        }
        "setdefault" => {
            let k = args.req(0, "key", "setdefault")?.clone();
            hashable(&k)?;
            if let Some(v) = d.borrow().iter().find(|(kk, _)| key_eq(kk, &k)).map(|(_, v)| v.clone()) {
                return Ok(v);
            }
            let v = args.pos.get(1).cloned().unwrap_or(PyValue::None);
            dict_set(d, k, v.clone())?;
            Ok(v)
        }
        "pop" => {
            let k = args.req(0, "key", "pop")?;
            hashable(k)?;
            let mut items = d.borrow_mut();
            match items.iter().position(|(kk, _)| key_eq(kk, k)) {
                Some(i) => Ok(items.remove(i).1),
                None => args.pos.get(1).cloned().ok_or_else(|| PyError::exception("KeyError", k.repr())),
            }
        }
        "update" => {
            if let Some(PyValue::Dict(o)) = args.pos.first() {
                let items = o.borrow().clone();
                for (k, v) in items {
                    dict_set(d, k, v)?;
                }
            }
            for (k, v) in &args.kw {
                dict_set(d, PyValue::str(k), v.clone())?;
            }
            Ok(PyValue::None)
        }
        other => Err(PyError::unsupported(format!("dict.{other}"))),
    }
}

/// `except T` matches class `class`.
fn exception_matches(t: &PyValue, class: &str) -> bool {
    match t {
        PyValue::Tuple(ts) => ts.iter().any(|x| exception_matches(x, class)),
        PyValue::Type(name) => {
            let name = name.as_ref();
            name == class
                || name == "Exception"
                || name == "BaseException"
                || (name == "OpError" && crate::python::runtime::TF_OP_ERRORS.contains(&class))
                || (name == "LookupError" && matches!(class, "KeyError" | "IndexError"))
                || (name == "ArithmeticError" && matches!(class, "ZeroDivisionError" | "OverflowError"))
                || (name == "RuntimeError" && class == "RecursionError")
        }
        _ => false,
    }
}

/// The value an `import` binds.
fn import_module(path: &str) -> PyResult<PyValue> {
    Ok(match path {
        "tensorflow" | "tensorflow.compat.v1" | "tensorflow.compat" => PyValue::Module("tf".into()),
        "numpy" => PyValue::Module("np".into()),
        "numpy.random" => PyValue::Module("np.random".into()),
        "os" | "tempfile" | "math" | "os.path" => PyValue::Module(path.into()),
        "input_data" | "tensorflow.examples.tutorials.mnist.input_data" => PyValue::Module("input_data".into()),
        "numpy.random.RandomState" => PyValue::Builtin("np.random.RandomState".into()),
        other => return Err(PyError::unsupported(format!("import {other}"))),
    })
}

/// `module.name`.
fn module_attr(m: &str, name: &str) -> PyResult<PyValue> {
    let path = format!("{m}.{name}");
    if let Some(rest) = path.strip_prefix("tf.") {
        return tf_api::module_attr(rest).ok_or_else(|| PyError::unsupported(format!("tf.{rest}")));
    }
    if let Some(rest) = path.strip_prefix("np.") {
        if rest == "random" {
            return Ok(PyValue::Module("np.random".into()));
        }
        if let Some(d) = crate::engine::dtype::DType::parse(rest) {
            return Ok(PyValue::DType(d));
        }
        match rest {
            "pi" => return Ok(PyValue::Float(std::f64::consts::PI)),
            "e" => return Ok(PyValue::Float(std::f64::consts::E)),
            "newaxis" => return Ok(PyValue::None),
            _ => {}
        }
        return Ok(PyValue::Builtin(path.into()));
    }
    match path.as_str() {
        "os.path" => Ok(PyValue::Module("os.path".into())),
        "os.path.join"
        | "os.path.exists"
        | "os.path.isdir"
        | "os.path.isfile"
        | "os.listdir"
        | "tempfile.mkdtemp"
        | "math.sqrt"
        | "math.exp"
        | "math.log"
        | "math.floor"
        | "math.ceil"
        | "input_data.read_data_sets" => Ok(PyValue::Builtin(path.into())),
        "math.pi" => Ok(PyValue::Float(std::f64::consts::PI)),
        "math.e" => Ok(PyValue::Float(std::f64::consts::E)),
        other => Err(PyError::unsupported(other.to_string())),
    }
}
