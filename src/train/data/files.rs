//! Bounded reads of the files a user names (project files, CSV files): regular files only (a
//! FIFO, a device such as `/dev/zero` or a folder is refused before it is read, and never blocks
//! the open), and never more than a size cap — also for files whose size the system does not
//! report, such as `/proc/self/environ`. Errors name the file once and never echo its content.
//!
//! Data files a project refers to must resolve inside the project's folder (after
//! canonicalisation: `..` and symlinks that lead out are refused), or inside a folder the user
//! chose in this process's window ([`trust_folder_of`]); see [`resolve_inside`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The largest project file read.
pub const MAX_PROJECT_BYTES: u64 = 64 << 20;
/// The largest CSV file read.
pub const MAX_CSV_BYTES: u64 = 512 << 20;

/// Why a file was not read (the message does not repeat the path; callers prefix it once).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The system's error (missing file, no permission, ...).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a regular file.
    #[error("not a regular file (a {0}); only regular files are read")]
    NotRegular(&'static str),
    /// Over the cap.
    #[error("the file is larger than {} MiB, the most read for a {what}", limit >> 20)]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
        /// What kind of file (`project file`, `CSV file`).
        what: &'static str,
    },
}

fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "FIFO";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "device";
        }
        if ft.is_socket() {
            return "socket";
        }
    }
    if ft.is_dir() { "folder" } else { "special file" }
}

/// Opens `path` for reading if it is a regular file (checked before opening, so a FIFO cannot
/// block, and again on the open file).
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta.file_type())));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a file swapped for a FIFO between the check and the open does not block.
        opts.custom_flags(0o4000);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta.file_type())));
    }
    Ok(file)
}

/// A reader over `path` that fails once more than `limit` bytes come (see [`open_regular`]).
pub fn open_limited(path: &Path, limit: u64, what: &'static str) -> Result<Limited, ReadError> {
    let file = open_regular(path)?;
    if file.metadata()?.len() > limit {
        return Err(ReadError::TooLarge { limit, what });
    }
    Ok(Limited { inner: file, left: limit, limit, what })
}

/// Reads all of `path` (a regular file of at most `limit` bytes).
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let mut r = open_limited(path, limit, what)?;
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A file reader with a byte cap: reading past it is an error (not a silent truncation).
#[derive(Debug)]
pub struct Limited {
    inner: File,
    left: u64,
    limit: u64,
    what: &'static str,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One more byte means the file is over the cap.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(ReadError::TooLarge { limit: self.limit, what: self.what }.to_string())),
            };
        }
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Folders the user chose in the window (a picked CSV file's folder), trusted for this process.
static TRUSTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Trusts the folder of `file` (a file the user picked in the window) as a place referenced data
/// may come from, for the rest of this process.
pub fn trust_folder_of(file: &Path) {
    let Some(dir) = file.parent() else { return };
    if let Ok(dir) = std::fs::canonicalize(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        && let Ok(mut t) = TRUSTED.lock()
        && !t.contains(&dir)
    {
        t.push(dir);
    }
}

/// Resolves `path` (as a project stores it) against `base` (the project's folder; the current
/// folder when `None`) and checks that the file is inside that folder or a trusted one. The
/// error names the path, never the file's content.
pub fn resolve_inside(base: Option<&Path>, path: &str) -> Result<PathBuf, String> {
    let base = base.filter(|b| !b.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let full = base.join(path);
    let canon = std::fs::canonicalize(&full).map_err(|e| format!("{}: {e}", full.display()))?;
    let base_canon = std::fs::canonicalize(base).map_err(|e| format!("{}: {e}", base.display()))?;
    let trusted = TRUSTED.lock().map(|t| t.iter().any(|d| canon.starts_with(d))).unwrap_or(false);
    if canon.starts_with(&base_canon) || trusted {
        Ok(canon)
    } else {
        Err(format!(
            "{path}: the file is outside the project's folder; a project may only refer to data files inside its folder"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_folders_and_big_files() {
        let e = read_limited(Path::new("/dev/zero"), 10, "project file").unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a device); only regular files are read");
        let e = read_limited(Path::new("/"), 10, "project file").unwrap_err();
        assert!(e.to_string().contains("folder"), "{e}");
        let dir = std::env::temp_dir().join(format!("flowbench-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("big.txt");
        std::fs::write(&f, vec![b'x'; 3 << 20]).unwrap();
        let e = read_limited(&f, 1 << 20, "CSV file").unwrap_err();
        assert_eq!(e.to_string(), "the file is larger than 1 MiB, the most read for a CSV file");
        assert_eq!(read_limited(&f, 4 << 20, "CSV file").unwrap().len(), 3 << 20);
        std::fs::remove_dir_all(&dir).ok();
        // A file whose size the system does not report is still capped.
        if Path::new("/proc/self/environ").exists() {
            let mut r = open_limited(Path::new("/proc/self/environ"), 0, "CSV file").unwrap();
            let mut v = Vec::new();
            let e = r.read_to_end(&mut v);
            assert!(e.is_err() || v.is_empty());
        }
    }
}
