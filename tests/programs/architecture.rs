//! The architecture, checked from the source text: no import cycle between files, and no
//! top-level module importing one above it (engine < train < project < interpreter/export <
//! python < bench/app < cli). A file "imports" another when it names a path through it
//! (`crate::a::b`, `super::b`, a `pub use` re-export); declaring a child module (`mod b;`) is not
//! an import.

use crate::common::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The rank of each top-level module: a module may import only modules of a lower rank.
const LAYERS: &[(&str, u32)] = &[
    ("engine", 0),
    ("train", 1),
    ("formats", 1),
    ("project", 2),
    ("interpreter", 3),
    ("export", 3),
    ("python", 4),
    ("bench", 5),
    ("app", 5),
    ("cli", 6),
    ("main", 7),
];

/// Every `.rs` file under `src/` as (module path, file path): `src/engine/graph/mod.rs` is
/// `engine::graph`, `src/engine/graph/op.rs` is `engine::graph::op`, `src/lib.rs` is ``.
fn modules() -> BTreeMap<String, std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut m = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
            parts.pop();
        }
        m.insert(parts.join("::"), f);
    }
    m
}

/// The code of a file without comments, string literals and `#[cfg(test)]` modules.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut in_tests = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        if in_tests {
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        // Drop string literals (roughly) and trailing comments.
        let mut s = String::new();
        let mut in_str = false;
        let mut prev = ' ';
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' && !(prev == '\'' && chars.get(i + 1) == Some(&'\'')) {
                in_str = !in_str;
            } else if !in_str {
                s.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// The paths a file's code names: `crate::a::b::{c, d}` gives `a::b::c` and `a::b::d`;
/// `super::x` is resolved against the file's module.
fn named_paths(module: &str, is_mod_rs: bool, code: &str) -> Vec<String> {
    let own: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
    let parent: Vec<&str> = own[..own.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let offsets: Vec<usize> = code.char_indices().map(|(b, _)| b).collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = |w: &str| code[offsets[i]..].starts_with(w);
        let boundary = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == ':');
        let (base, skip): (Vec<&str>, usize) = if boundary && starts("crate::") {
            (vec![], 7)
        } else if boundary && starts("super::") {
            (parent.clone(), 7)
        } else if boundary && starts("self::") {
            (own.clone(), 6)
        } else if boundary && is_mod_rs && starts("pub use ") {
            // A re-export of a child module: `pub use value::Value`.
            let rest: String = bytes[i + 8..].iter().take_while(|&&c| ident(c) || c == ':').collect();
            if !rest.starts_with("crate") && !rest.starts_with("super") && !rest.starts_with("self") {
                let first = rest.split("::").next().unwrap_or("").to_string();
                let mut p = own.iter().map(|s| s.to_string()).collect::<Vec<_>>();
                p.push(first);
                out.push(p.join("::"));
            }
            i += 8;
            continue;
        } else {
            i += 1;
            continue;
        };
        i += skip;
        // Read `a::b::c` and an optional `{...}` group (one level deep is enough here).
        let mut segs: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        loop {
            let w: String = bytes[i..].iter().take_while(|&&c| ident(c)).collect();
            if w.is_empty() {
                break;
            }
            i += w.chars().count();
            if w == "super" {
                segs.pop();
            } else {
                segs.push(w);
            }
            if bytes.get(i) == Some(&':') && bytes.get(i + 1) == Some(&':') {
                i += 2;
                if bytes.get(i) == Some(&'{') {
                    let mut depth = 0;
                    let mut group = String::new();
                    while i < bytes.len() {
                        let c = bytes[i];
                        if c == '{' {
                            depth += 1;
                        } else if c == '}' {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        group.push(c);
                        i += 1;
                    }
                    for item in group.trim_start_matches('{').split(',') {
                        let first: String = item.trim().chars().take_while(|&c| ident(c) || c == ':').collect();
                        let mut p = segs.clone();
                        p.extend(first.split("::").filter(|s| !s.is_empty() && *s != "self").map(String::from));
                        out.push(p.join("::"));
                    }
                    segs.clear();
                    break;
                }
            } else {
                break;
            }
        }
        if !segs.is_empty() {
            out.push(segs.join("::"));
        }
    }
    out
}

/// The file a path lands in: its longest prefix that is a module file.
fn resolve(path: &str, mods: &BTreeMap<String, std::path::PathBuf>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|p| mods.contains_key(p))
}

/// Every file's imports of other files.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, f) in &mods {
        let text = std::fs::read_to_string(f).unwrap();
        let is_mod_rs = f.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs");
        let deps = g.entry(m.clone()).or_default();
        for p in named_paths(m, is_mod_rs, &code_of(&text)) {
            if let Some(t) = resolve(&p, &mods)
                && t != *m
                && !t.is_empty()
            {
                deps.insert(t);
            }
        }
    }
    g
}

/// The strongly connected groups of more than one file (Tarjan's algorithm).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.g.get(v) {
            for w in ws {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t =
        T { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: vec![], on: BTreeSet::new(), next: 0, out: vec![] };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap_or("")
}

#[test]
fn no_import_cycle_between_files() {
    let g = import_graph();
    assert!(g.contains_key("engine::graph"), "the checker found no modules");
    let found = cycles(&g);
    assert!(found.is_empty(), "import cycles between files: {found:#?}");
}

#[test]
fn no_module_imports_one_above_it() {
    let rank: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut bad = Vec::new();
    for (m, deps) in import_graph() {
        let Some(&rm) = rank.get(top(&m)) else {
            if !m.is_empty() {
                bad.push(format!("{m}: not in LAYERS"));
            }
            continue;
        };
        for d in deps {
            let rd = rank.get(top(&d)).copied().unwrap_or(u32::MAX);
            if top(&d) != top(&m) && rd >= rm {
                bad.push(format!("{m} imports {d}"));
            }
        }
    }
    assert!(bad.is_empty(), "imports against the layers {LAYERS:?}:\n{}", bad.join("\n"));
}

#[test]
fn the_checker_reads_paths() {
    let p =
        named_paths("engine::graph", true, "use crate::engine::kernels::{self, BinaryOp};\nuse super::dtype::DType;\n");
    assert!(p.contains(&"engine::kernels::BinaryOp".to_string()), "{p:?}");
    assert!(p.contains(&"engine::kernels".to_string()), "{p:?}");
    assert!(p.contains(&"engine::dtype::DType".to_string()), "{p:?}");
    let q = named_paths("app::panels::run", false, "use super::super::state::AppState;");
    assert!(q.contains(&"app::state::AppState".to_string()), "{q:?}");
}
