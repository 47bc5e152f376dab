//! TensorBoard's event files (`events.out.tfevents.<time>.<host>`): TFRecord framing (the
//! record's length as 8 little-endian bytes, the masked CRC-32C of those bytes, the data, the
//! masked CRC-32C of the data) around serialized `Event` messages: first the `file_version`
//! `brain.Event:2`, then the graph and `Summary` events with scalars (`simple_value`) and
//! histograms (a `HistogramProto` over TF's default bucket limits, built as TF's
//! `histogram::Histogram` builds it). [`EventWriter`] writes them, [`read_records`] and
//! [`read_events`] read them back checking every checksum.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::formats::crc32c;
use crate::formats::proto::{Event, EventKind, HistogramProto, Summary, SummaryValue, SummaryValueKind};
use prost::Message;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The first event's `file_version`.
pub const FILE_VERSION: &str = "brain.Event:2";

fn data_loss(m: impl Into<String>) -> Error {
    Error::new(ErrorClass::DataLoss, m)
}

/// One TFRecord around `data`.
pub fn frame_record(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let len = (data.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc32c::masked(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32c::masked(data).to_le_bytes());
    out
}

/// The records of a TFRecord file, checking both checksums of each.
pub fn read_records(bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < bytes.len() {
        let header = bytes.get(pos..pos + 12).ok_or_else(|| data_loss(format!("truncated record at offset {pos}")))?;
        let len_bytes: [u8; 8] = header[..8].try_into().map_err(|_| data_loss("truncated record"))?;
        let crc = u32::from_le_bytes(header[8..12].try_into().map_err(|_| data_loss("truncated record"))?);
        if crc32c::masked(&len_bytes) != crc {
            return Err(data_loss(format!("corrupted record at {pos}")));
        }
        let len = usize::try_from(u64::from_le_bytes(len_bytes))
            .map_err(|_| data_loss(format!("corrupted record at {pos}")))?;
        let start = pos + 12;
        let end = start.checked_add(len).ok_or_else(|| data_loss(format!("corrupted record at {pos}")))?;
        let data = bytes.get(start..end).ok_or_else(|| data_loss(format!("truncated record at offset {pos}")))?;
        let dcrc = bytes.get(end..end + 4).ok_or_else(|| data_loss(format!("truncated record at offset {pos}")))?;
        if crc32c::masked(data).to_le_bytes() != dcrc {
            return Err(data_loss(format!("corrupted record at {pos}")));
        }
        out.push(data.to_vec());
        pos = end + 4;
    }
    Ok(out)
}

/// The events of an event file.
pub fn read_events(path: &Path) -> Result<Vec<Event>> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::new(ErrorClass::NotFound, format!("{}: {e}", path.display())))?;
    read_records(&bytes)?
        .iter()
        .map(|r| Event::decode(r.as_slice()).map_err(|e| data_loss(format!("bad Event in {}: {e}", path.display()))))
        .collect()
}

/// TF's default histogram bucket limits: ±1e-12 growing by 10% to 1e20, ±DBL_MAX and 0.
pub fn default_bucket_limits() -> &'static [f64] {
    static LIMITS: OnceLock<Vec<f64>> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let mut pos = Vec::new();
        let mut v = 1.0e-12;
        while v < 1.0e20 {
            pos.push(v);
            v *= 1.1;
        }
        pos.push(f64::MAX);
        let mut all: Vec<f64> = pos.iter().rev().map(|x| -x).collect();
        all.push(0.0);
        all.extend_from_slice(&pos);
        all
    })
}

/// The `HistogramProto` TF's `HistogramSummary` makes of these values (empty runs of buckets
/// collapsed into one). A NaN or infinite value is TF's `InvalidArgumentError`.
pub fn histogram(tag: &str, values: &[f64]) -> Result<HistogramProto> {
    let limits = default_bucket_limits();
    let mut buckets = vec![0.0f64; limits.len()];
    let (mut min, mut max, mut sum, mut sum_sq) = (limits[limits.len() - 1], -f64::MAX, 0.0f64, 0.0f64);
    for &x in values {
        if !x.is_finite() {
            return Err(Error::invalid_argument(format!(
                "{} in summary histogram for: {tag}",
                if x.is_nan() { "Nan" } else { "Infinity" }
            )));
        }
        let b = limits.partition_point(|&l| l <= x);
        buckets[b.min(limits.len() - 1)] += 1.0;
        min = min.min(x);
        max = max.max(x);
        sum += x;
        sum_sq += x * x;
    }
    let mut h = HistogramProto { min, max, num: values.len() as f64, sum, sum_squares: sum_sq, ..Default::default() };
    let mut i = 0;
    while i < buckets.len() {
        let mut end = limits[i];
        let mut count = buckets[i];
        i += 1;
        if count <= 0.0 {
            while i < buckets.len() && buckets[i] <= 0.0 {
                end = limits[i];
                count = buckets[i];
                i += 1;
            }
        }
        h.bucket_limit.push(end);
        h.bucket.push(count);
    }
    if h.bucket.is_empty() {
        h.bucket_limit.push(f64::MAX);
        h.bucket.push(0.0);
    }
    Ok(h)
}

/// The host name for event file names.
fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_string())
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// `tf.summary.FileWriter(logdir)`: one event file, flushed after every event.
#[derive(Debug)]
pub struct EventWriter {
    path: PathBuf,
    file: std::fs::File,
}

impl EventWriter {
    /// Creates `logdir` (and parents) and a new event file in it, starting with the file-version
    /// event.
    pub fn create(logdir: &Path) -> Result<EventWriter> {
        let io = |e: std::io::Error| Error::new(ErrorClass::NotFound, format!("{}: {e}", logdir.display()));
        std::fs::create_dir_all(logdir).map_err(io)?;
        let t = now();
        let base = format!("events.out.tfevents.{:010}.{}", t as u64, hostname());
        let mut path = logdir.join(&base);
        let mut n = 1;
        while path.exists() {
            path = logdir.join(format!("{base}.{n}"));
            n += 1;
        }
        let file = std::fs::File::create(&path).map_err(io)?;
        let mut w = EventWriter { path, file };
        w.write(&Event { wall_time: t, step: 0, what: Some(EventKind::FileVersion(FILE_VERSION.into())) })?;
        Ok(w)
    }

    /// The event file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event.
    pub fn write(&mut self, event: &Event) -> Result<()> {
        let rec = frame_record(&event.encode_to_vec());
        self.file
            .write_all(&rec)
            .and_then(|_| self.file.flush())
            .map_err(|e| Error::new(ErrorClass::Internal, format!("{}: {e}", self.path.display())))
    }

    /// `add_graph`: the graph as a serialized `GraphDef`.
    pub fn add_graph(&mut self, graph_def: &crate::formats::proto::GraphDef) -> Result<()> {
        self.write(&Event { wall_time: now(), step: 0, what: Some(EventKind::GraphDef(graph_def.encode_to_vec())) })
    }

    /// Scalars and histograms at `step`, as one `Summary` event.
    pub fn add_summary(&mut self, step: i64, scalars: &[(&str, f64)], histograms: &[(&str, Vec<f64>)]) -> Result<()> {
        let mut value = Vec::new();
        for (tag, x) in scalars {
            value.push(SummaryValue {
                tag: tag.to_string(),
                node_name: String::new(),
                value: Some(SummaryValueKind::SimpleValue(*x as f32)),
            });
        }
        for (tag, xs) in histograms {
            value.push(SummaryValue {
                tag: tag.to_string(),
                node_name: String::new(),
                value: Some(SummaryValueKind::Histo(histogram(tag, xs)?)),
            });
        }
        self.write(&Event { wall_time: now(), step, what: Some(EventKind::Summary(Summary { value })) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_corruption_is_caught() {
        let mut file = frame_record(b"hello");
        file.extend(frame_record(b""));
        assert_eq!(read_records(&file).unwrap(), vec![b"hello".to_vec(), Vec::new()]);
        for i in 0..file.len() {
            let mut f = file.clone();
            f[i] ^= 1;
            assert!(read_records(&f).is_err(), "flip at {i}");
            assert!(read_records(&file[..i]).is_err() || i == 0 || i == 21, "cut at {i}");
        }
    }

    #[test]
    fn bucket_limits() {
        let l = default_bucket_limits();
        assert_eq!(l.len(), 1551);
        assert_eq!(l[775], 0.0);
        assert_eq!(l[776], 1e-12);
        assert_eq!(l[0], -f64::MAX);
        let h = histogram("t", &[]).unwrap();
        assert_eq!(h.bucket, vec![0.0]);
        assert!(histogram("w", &[f64::NAN]).unwrap_err().to_string().contains("Nan in summary histogram for: w"));
    }
}
