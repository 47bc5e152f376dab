//! The `checkpoint` state file TF's savers keep beside their checkpoints: a `CheckpointState`
//! in protobuf text format (`model_checkpoint_path: "..."` then one
//! `all_model_checkpoint_paths: "..."` line per kept checkpoint), and `latest_checkpoint`.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::formats::bundle;
use std::path::{Path, PathBuf};

/// The file's default name.
pub const STATE_FILE: &str = "checkpoint";

/// `tf.train.CheckpointState`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckpointState {
    /// The newest checkpoint's prefix.
    pub model_checkpoint_path: String,
    /// Every kept checkpoint, oldest first (the newest last).
    pub all_model_checkpoint_paths: Vec<String>,
}

/// Escapes a string as protobuf's text format does (C escapes, octal for other bytes).
pub fn text_escape(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

/// Undoes [`text_escape`] (and the hex escapes text format also accepts).
pub fn text_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = *b.get(i + 1)?;
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'"' | b'\'' | b'\\' | b'?' => out.push(c),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(u8::try_from(v).ok()?);
            }
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16)?;
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    return None;
                }
                out.push(v as u8);
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

impl CheckpointState {
    /// The file's text, as TF writes it.
    pub fn to_text(&self) -> String {
        let mut s = format!("model_checkpoint_path: \"{}\"\n", text_escape(&self.model_checkpoint_path));
        for p in &self.all_model_checkpoint_paths {
            s.push_str(&format!("all_model_checkpoint_paths: \"{}\"\n", text_escape(p)));
        }
        s
    }

    /// Parses the file's text; fields flowbench does not keep (timestamps) are skipped.
    pub fn parse(text: &str) -> Result<CheckpointState> {
        let mut st = CheckpointState::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                Error::new(
                    ErrorClass::InvalidArgument,
                    format!("Unable to parse the checkpoint state file, line {}: {line}", n + 1),
                )
            };
            let (key, rest) = line.split_once(':').ok_or_else(bad)?;
            let rest = rest.trim();
            let string = || -> Result<String> {
                let inner = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).ok_or_else(bad)?;
                text_unescape(inner).ok_or_else(bad)
            };
            match key.trim() {
                "model_checkpoint_path" => st.model_checkpoint_path = string()?,
                "all_model_checkpoint_paths" => st.all_model_checkpoint_paths.push(string()?),
                "all_model_checkpoint_timestamps" | "last_preserved_timestamp" => {}
                _ => return Err(bad()),
            }
        }
        Ok(st)
    }

    /// Reads `dir/checkpoint`; `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<CheckpointState>> {
        match std::fs::read_to_string(dir.join(STATE_FILE)) {
            Ok(t) => CheckpointState::parse(&t).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::new(ErrorClass::NotFound, format!("{}: {e}", dir.join(STATE_FILE).display()))),
        }
    }

    /// Writes `dir/checkpoint`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(STATE_FILE);
        std::fs::write(&path, self.to_text())
            .map_err(|e| Error::new(ErrorClass::NotFound, format!("{}: {e}", path.display())))
    }
}

/// `tf.train.latest_checkpoint(dir)`: the newest checkpoint's prefix named by `dir/checkpoint`
/// (relative paths are taken relative to `dir`), or `None` when there is no state file or its
/// checkpoint's index file is gone.
pub fn latest_checkpoint(dir: &Path) -> Result<Option<PathBuf>> {
    let Some(st) = CheckpointState::read(dir)? else { return Ok(None) };
    if st.model_checkpoint_path.is_empty() {
        return Ok(None);
    }
    let p = Path::new(&st.model_checkpoint_path);
    let p = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
    Ok(bundle::index_path(&p).exists().then_some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        let st = CheckpointState {
            model_checkpoint_path: "dir/mo\"del\\.ckpt-2\u{e9}".into(),
            all_model_checkpoint_paths: vec!["a".into(), "dir/mo\"del\\.ckpt-2\u{e9}".into()],
        };
        let t = st.to_text();
        assert!(t.contains("\\303\\251"));
        assert_eq!(CheckpointState::parse(&t).unwrap(), st);
        assert!(CheckpointState::parse("bogus").is_err());
        assert!(CheckpointState::parse("model_checkpoint_path: \"\\q\"").is_err());
    }
}
