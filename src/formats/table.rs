//! The sorted string table a tensor bundle's `.index` file is: LevelDB's table format as TF
//! keeps it (`tensorflow/core/lib/io/table*`), uncompressed. Data blocks of prefix-compressed
//! key/value entries with restart points, each followed by a type byte and the masked CRC-32C of
//! block and type; an empty metaindex block; an index block mapping a separator key to each data
//! block's handle; a 48-byte footer with both handles and the magic number. The writer makes the
//! same choices as TF's (block size 256 KiB, a restart every 16 entries, shortest separators),
//! so that its files are byte-identical to TF's. The reader checks every length, offset and
//! checksum and says what is wrong in TF's words (`DataLossError`), never panicking.

use crate::engine::error::{Error, ErrorClass, Result};
use crate::formats::crc32c;

/// The table magic number (LevelDB's).
const MAGIC: u64 = 0xdb47_7524_8b80_fb57;
/// The footer's length: two padded block handles (40 bytes) and the magic number.
const FOOTER_LEN: usize = 48;
/// A block's trailer: the compression type byte and the masked CRC.
const TRAILER_LEN: usize = 5;
/// TF's `table::Options` defaults.
const BLOCK_SIZE: usize = 262_144;
const RESTART_INTERVAL: usize = 16;

fn data_loss(m: impl Into<String>) -> Error {
    Error::new(ErrorClass::DataLoss, m)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*pos`, advancing it; `None` when truncated or longer than 64 bits.
fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Where a block lies in the file (its trailer follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Handle {
    offset: u64,
    size: u64,
}

impl Handle {
    fn encode(self, out: &mut Vec<u8>) {
        put_varint(out, self.offset);
        put_varint(out, self.size);
    }

    fn decode(buf: &[u8], pos: &mut usize) -> Option<Handle> {
        Some(Handle { offset: get_varint(buf, pos)?, size: get_varint(buf, pos)? })
    }
}

/// Builds one block.
struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    counter: usize,
    interval: usize,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    fn new(interval: usize) -> BlockBuilder {
        BlockBuilder { buf: Vec::new(), restarts: vec![0], counter: 0, interval, last_key: Vec::new() }
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn size_estimate(&self) -> usize {
        self.buf.len() + self.restarts.len() * 4 + 4
    }

    fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut shared = 0;
        if self.counter < self.interval {
            let n = self.last_key.len().min(key.len());
            while shared < n && self.last_key[shared] == key[shared] {
                shared += 1;
            }
        } else {
            self.restarts.push(self.buf.len() as u32);
            self.counter = 0;
        }
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, (key.len() - shared) as u64);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.counter += 1;
    }

    /// The block's bytes (entries then restart array), leaving the builder empty.
    fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.restarts = vec![0];
        self.counter = 0;
        self.last_key.clear();
        out
    }
}

/// LevelDB's `FindShortestSeparator`: a short key `k` with `start <= k < limit`.
fn shortest_separator(start: &[u8], limit: &[u8]) -> Vec<u8> {
    let n = start.len().min(limit.len());
    let mut i = 0;
    while i < n && start[i] == limit[i] {
        i += 1;
    }
    if i < n {
        let b = start[i];
        if b < 0xff && b + 1 < limit[i] {
            let mut k = start[..=i].to_vec();
            k[i] += 1;
            return k;
        }
    }
    start.to_vec()
}

/// LevelDB's `FindShortSuccessor`: a short key `k >= key`.
fn short_successor(key: &[u8]) -> Vec<u8> {
    for (i, &b) in key.iter().enumerate() {
        if b != 0xff {
            let mut k = key[..=i].to_vec();
            k[i] += 1;
            return k;
        }
    }
    key.to_vec()
}

/// Writes a table into memory. Keys must be added in strictly increasing byte order.
pub struct TableWriter {
    out: Vec<u8>,
    data: BlockBuilder,
    index: BlockBuilder,
    last_key: Vec<u8>,
    pending: Option<Handle>,
    entries: usize,
}

impl Default for TableWriter {
    fn default() -> Self {
        TableWriter::new()
    }
}

impl TableWriter {
    /// An empty table.
    pub fn new() -> TableWriter {
        TableWriter {
            out: Vec::new(),
            data: BlockBuilder::new(RESTART_INTERVAL),
            index: BlockBuilder::new(1),
            last_key: Vec::new(),
            pending: None,
            entries: 0,
        }
    }

    /// Adds an entry; `key` must sort after every key added before.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if self.entries > 0 && key <= self.last_key.as_slice() {
            return Err(Error::internal(format!(
                "table keys out of order: '{}' after '{}'",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(&self.last_key)
            )));
        }
        if let Some(h) = self.pending.take() {
            let sep = shortest_separator(&self.last_key, key);
            let mut v = Vec::new();
            h.encode(&mut v);
            self.index.add(&sep, &v);
        }
        self.data.add(key, value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.entries += 1;
        if self.data.size_estimate() >= BLOCK_SIZE {
            self.flush();
        }
        Ok(())
    }

    fn flush(&mut self) {
        if self.data.is_empty() {
            return;
        }
        let block = self.data.finish();
        self.pending = Some(self.write_block(&block));
    }

    fn write_block(&mut self, block: &[u8]) -> Handle {
        let h = Handle { offset: self.out.len() as u64, size: block.len() as u64 };
        self.out.extend_from_slice(block);
        let crc = crc32c::extend(crc32c::value(block), &[0]);
        self.out.push(0);
        self.out.extend_from_slice(&crc32c::mask(crc).to_le_bytes());
        h
    }

    /// The whole file.
    pub fn finish(mut self) -> Vec<u8> {
        self.flush();
        let meta = BlockBuilder::new(RESTART_INTERVAL).finish();
        let meta_handle = self.write_block(&meta);
        if let Some(h) = self.pending.take() {
            let succ = short_successor(&self.last_key);
            let mut v = Vec::new();
            h.encode(&mut v);
            self.index.add(&succ, &v);
        }
        let index = self.index.finish();
        let index_handle = self.write_block(&index);
        let mut footer = Vec::with_capacity(FOOTER_LEN);
        meta_handle.encode(&mut footer);
        index_handle.encode(&mut footer);
        footer.resize(FOOTER_LEN - 8, 0);
        footer.extend_from_slice(&MAGIC.to_le_bytes());
        self.out.extend_from_slice(&footer);
        self.out
    }
}

/// Reads a block's contents at `h`, checking its bounds, type and checksum.
fn read_block<'a>(file: &'a [u8], h: Handle, what: &str) -> Result<&'a [u8]> {
    let start = usize::try_from(h.offset).ok();
    let end = start.and_then(|s| s.checked_add(usize::try_from(h.size).ok()?));
    let (Some(start), Some(end)) = (start, end) else {
        return Err(data_loss(format!("truncated block read in {what}")));
    };
    if end.checked_add(TRAILER_LEN).is_none_or(|e| e > file.len()) {
        return Err(data_loss(format!("truncated block read in {what}")));
    }
    let contents = &file[start..end];
    let kind = file[end];
    let stored = u32::from_le_bytes([file[end + 1], file[end + 2], file[end + 3], file[end + 4]]);
    let actual = crc32c::extend(crc32c::value(contents), &[kind]);
    if crc32c::unmask(stored) != actual {
        return Err(data_loss(format!("block checksum mismatch in {what}")));
    }
    match kind {
        0 => Ok(contents),
        1 => Err(Error::unimplemented(format!("{what}: snappy-compressed blocks are not supported"))),
        k => Err(data_loss(format!("bad block type {k} in {what}"))),
    }
}

/// The entries of one block, in order.
fn block_entries(block: &[u8], what: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let bad = || data_loss(format!("bad block contents in {what}"));
    if block.len() < 4 {
        return Err(bad());
    }
    let n = u32::from_le_bytes(block[block.len() - 4..].try_into().map_err(|_| bad())?) as usize;
    let restarts_len = n.checked_mul(4).and_then(|x| x.checked_add(4)).ok_or_else(bad)?;
    if restarts_len > block.len() {
        return Err(bad());
    }
    let data = &block[..block.len() - restarts_len];
    let mut pos = 0;
    let mut key: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    while pos < data.len() {
        let shared = get_varint(data, &mut pos).ok_or_else(bad)? as usize;
        let non_shared = get_varint(data, &mut pos).ok_or_else(bad)? as usize;
        let value_len = get_varint(data, &mut pos).ok_or_else(bad)? as usize;
        if shared > key.len() {
            return Err(bad());
        }
        let key_end = pos.checked_add(non_shared).ok_or_else(bad)?;
        let value_end = key_end.checked_add(value_len).ok_or_else(bad)?;
        if value_end > data.len() {
            return Err(bad());
        }
        key.truncate(shared);
        key.extend_from_slice(&data[pos..key_end]);
        out.push((key.clone(), data[key_end..value_end].to_vec()));
        pos = value_end;
    }
    Ok(out)
}

/// Reads every entry of a table file, in key order, checking all checksums. `what` names the
/// file in messages.
pub fn read_table(file: &[u8], what: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    if file.len() < FOOTER_LEN {
        return Err(data_loss(format!("file is too short to be an sstable: {what}")));
    }
    let footer = &file[file.len() - FOOTER_LEN..];
    let magic = u64::from_le_bytes(footer[40..48].try_into().map_err(|_| data_loss("bad footer"))?);
    if magic != MAGIC {
        return Err(data_loss(format!("not an sstable (bad magic number): {what}")));
    }
    let mut pos = 0;
    let (Some(_meta), Some(index)) = (Handle::decode(footer, &mut pos), Handle::decode(footer, &mut pos)) else {
        return Err(data_loss(format!("bad block handle in the footer of {what}")));
    };
    let index_block = read_block(file, index, what)?;
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (_, handle) in block_entries(index_block, what)? {
        let mut p = 0;
        let h = Handle::decode(&handle, &mut p).ok_or_else(|| data_loss(format!("bad block handle in {what}")))?;
        let block = read_block(file, h, what)?;
        for (k, v) in block_entries(block, what)? {
            if out.last().is_some_and(|(last, _)| *last >= k) {
                return Err(data_loss(format!("keys out of order in {what}")));
            }
            out.push((k, v));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_many_blocks() {
        let mut w = TableWriter::new();
        let big = vec![7u8; 1000];
        let keys: Vec<String> = (0..600).map(|i| format!("layer{:04}/weights", i)).collect();
        for k in &keys {
            w.add(k.as_bytes(), &big).unwrap();
        }
        let file = w.finish();
        let entries = read_table(&file, "t").unwrap();
        assert_eq!(entries.len(), 600);
        for (e, k) in entries.iter().zip(&keys) {
            assert_eq!(e.0, k.as_bytes());
            assert_eq!(e.1, big);
        }
    }

    #[test]
    fn separators() {
        assert_eq!(shortest_separator(b"abcd", b"abzz"), b"abd");
        assert_eq!(shortest_separator(b"abc", b"abd"), b"abc");
        assert_eq!(short_successor(b"weights/vector"), b"x");
        assert_eq!(short_successor(&[0xff, 0xff]), vec![0xff, 0xff]);
    }

    #[test]
    fn corrupt_tables_are_refused() {
        let mut w = TableWriter::new();
        w.add(b"a", b"1").unwrap();
        w.add(b"b", b"2").unwrap();
        let file = w.finish();
        for i in 0..file.len() {
            let mut f = file.clone();
            f[i] ^= 0x40;
            // Never panics; nearly every flip is caught.
            let _ = read_table(&f, "t");
        }
        for n in 0..file.len() {
            assert!(read_table(&file[..n], "t").is_err());
        }
        let mut f = file.clone();
        f[3] ^= 1;
        assert!(read_table(&f, "t").unwrap_err().to_string().contains("checksum"));
    }
}
