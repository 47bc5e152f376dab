//! TF's V2 checkpoint, the "tensor bundle" (`tensorflow/core/util/tensor_bundle`): for a prefix
//! `P`, `P.index` is a table (see [`crate::formats::table`]) whose empty key holds a
//! `BundleHeaderProto` and whose other keys are tensor names holding a `BundleEntryProto` (dtype,
//! shape, shard, offset, size, masked CRC-32C of the bytes); `P.data-00000-of-00001` holds the
//! tensors' little-endian bytes back to back, in key order. [`write_bundle`] writes what TF's
//! `SaveV2` writes for the same tensors, byte for byte; [`BundleReader`] reads bundles TF wrote
//! (any number of shards), checking every size, offset and checksum.

use crate::engine::dtype::DType;
use crate::engine::error::{Error, ErrorClass, Result};
use crate::engine::value::Value;
use crate::formats::crc32c;
use crate::formats::proto::{self, BundleEntryProto, BundleHeaderProto, TensorShapeProto, data_type};
use crate::formats::table::{TableWriter, read_table};
use ndarray::{ArrayD, IxDyn};
use prost::Message;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// TF's `kTensorBundleVersion`.
const BUNDLE_VERSION: i32 = 1;

fn data_loss(m: impl Into<String>) -> Error {
    Error::new(ErrorClass::DataLoss, m)
}

fn not_found(m: impl Into<String>) -> Error {
    Error::new(ErrorClass::NotFound, m)
}

/// `P.index`.
pub fn index_path(prefix: &Path) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(".index");
    PathBuf::from(s)
}

/// `P.data-0000k-of-0000n`.
pub fn data_path(prefix: &Path, shard: i32, shards: i32) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(format!(".data-{shard:05}-of-{shards:05}"));
    PathBuf::from(s)
}

/// The `DataType` enum value of a dtype.
pub fn dtype_enum(d: DType) -> i32 {
    match d {
        DType::Float32 => data_type::DT_FLOAT,
        DType::Float64 => data_type::DT_DOUBLE,
        DType::Int32 => data_type::DT_INT32,
        DType::Int64 => data_type::DT_INT64,
        DType::Bool => data_type::DT_BOOL,
    }
}

/// The dtype of a `DataType` enum value, when flowbench has it.
pub fn dtype_of_enum(e: i32) -> Option<DType> {
    Some(match e {
        data_type::DT_FLOAT => DType::Float32,
        data_type::DT_DOUBLE => DType::Float64,
        data_type::DT_INT32 => DType::Int32,
        data_type::DT_INT64 => DType::Int64,
        data_type::DT_BOOL => DType::Bool,
        _ => return None,
    })
}

/// TF's name of a `DataType` enum value (for messages about dtypes flowbench lacks).
pub fn enum_name(e: i32) -> String {
    match e {
        4 => "uint8".into(),
        5 => "int16".into(),
        6 => "int8".into(),
        7 => "string".into(),
        8 => "complex64".into(),
        14 => "bfloat16".into(),
        17 => "uint16".into(),
        19 => "half".into(),
        20 => "resource".into(),
        22 => "uint32".into(),
        23 => "uint64".into(),
        _ => match dtype_of_enum(e) {
            Some(d) => d.name().into(),
            None => format!("DataType {e}"),
        },
    }
}

/// A `TensorShapeProto` of a concrete shape.
pub fn shape_proto(shape: &[usize]) -> TensorShapeProto {
    TensorShapeProto {
        dim: shape.iter().map(|&n| proto::Dim { size: n as i64, name: String::new() }).collect(),
        unknown_rank: false,
    }
}

/// A value's bytes as TF lays them out (little-endian, row-major; bools one byte each).
pub fn value_bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.size_bytes());
    match v {
        Value::F32(a) => a.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::F64(a) => a.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::I32(a) => a.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::I64(a) => a.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Value::Bool(a) => a.iter().for_each(|&x| out.push(x as u8)),
    }
    out
}

/// A value of `dtype` and `shape` from TF's byte layout; `bytes` must have the right length.
pub fn value_from_bytes(dtype: DType, shape: &[usize], bytes: &[u8]) -> Result<Value> {
    let n: usize = shape.iter().product();
    if bytes.len() != n * dtype.size_bytes() {
        return Err(data_loss(format!("{} bytes for a {} tensor of shape {:?}", bytes.len(), dtype.name(), shape)));
    }
    let sh = IxDyn(shape);
    let arr = |e| Error::internal(format!("{e}"));
    Ok(match dtype {
        DType::Float32 => Value::F32(
            ArrayD::from_shape_vec(
                sh,
                bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(arr)?,
        ),
        DType::Int32 => Value::I32(
            ArrayD::from_shape_vec(
                sh,
                bytes.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            )
            .map_err(arr)?,
        ),
        DType::Float64 => Value::F64(
            ArrayD::from_shape_vec(
                sh,
                bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect(),
            )
            .map_err(arr)?,
        ),
        DType::Int64 => Value::I64(
            ArrayD::from_shape_vec(
                sh,
                bytes.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect(),
            )
            .map_err(arr)?,
        ),
        DType::Bool => Value::Bool(ArrayD::from_shape_vec(sh, bytes.iter().map(|&b| b != 0).collect()).map_err(arr)?),
    })
}

/// Writes a file whole through a temporary name, so a failed write leaves no half file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tempstate");
    let tmp = PathBuf::from(tmp);
    let io = |e: std::io::Error| Error::new(ErrorClass::NotFound, format!("{}: {e}", path.display()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The two files of a bundle as bytes: (`.index`, `.data-00000-of-00001`). Tensors are laid out
/// in name order, as TF's saver does.
pub fn encode_bundle(tensors: &[(String, &Value)]) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut sorted: Vec<&(String, &Value)> = tensors.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for w in sorted.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(Error::invalid_argument(format!("Adding duplicate key: {}", w[0].0)));
        }
    }
    let mut table = TableWriter::new();
    let header = BundleHeaderProto {
        num_shards: 1,
        endianness: 0,
        version: Some(proto::VersionDef { producer: BUNDLE_VERSION, ..Default::default() }),
    };
    table.add(b"", &header.encode_to_vec())?;
    let mut data = Vec::new();
    for (name, value) in sorted {
        if name.is_empty() {
            return Err(Error::invalid_argument("Adding a tensor with an empty name"));
        }
        let bytes = value_bytes(value);
        let entry = BundleEntryProto {
            dtype: dtype_enum(value.dtype()),
            shape: Some(shape_proto(value.shape())),
            shard_id: 0,
            offset: data.len() as i64,
            size: bytes.len() as i64,
            crc32c: crc32c::masked(&bytes),
            slices: Vec::new(),
        };
        data.extend_from_slice(&bytes);
        table.add(name.as_bytes(), &entry.encode_to_vec())?;
    }
    Ok((table.finish(), data))
}

/// Writes the bundle `prefix` (`prefix.index`, `prefix.data-00000-of-00001`).
pub fn write_bundle(prefix: &Path, tensors: &[(String, &Value)]) -> Result<()> {
    let (index, data) = encode_bundle(tensors)?;
    write_atomic(&data_path(prefix, 0, 1), &data)?;
    write_atomic(&index_path(prefix), &index)
}

/// What a bundle says about one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorInfo {
    /// The key (a variable's name).
    pub name: String,
    /// The dtype, or the `DataType` enum value flowbench does not have.
    pub dtype: std::result::Result<DType, i32>,
    /// The shape.
    pub shape: Vec<usize>,
}

impl TensorInfo {
    /// The dtype's name as TF prints it (`float32`, or `string` for one flowbench lacks).
    pub fn dtype_name(&self) -> String {
        match self.dtype {
            Ok(d) => d.name().to_string(),
            Err(e) => enum_name(e),
        }
    }
}

/// An open bundle: its entries are read and checked; tensors are read on demand.
#[derive(Debug)]
pub struct BundleReader {
    prefix: PathBuf,
    num_shards: i32,
    entries: BTreeMap<String, (BundleEntryProto, Vec<usize>)>,
}

impl BundleReader {
    /// Opens `prefix.index`. A missing file is TF's `NotFoundError`; a corrupt one `DataLossError`.
    pub fn open(prefix: &Path) -> Result<BundleReader> {
        let ipath = index_path(prefix);
        let file = std::fs::read(&ipath).map_err(|_| {
            not_found(format!(
                "Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {}",
                prefix.display()
            ))
        })?;
        BundleReader::from_index(prefix, &file)
    }

    /// Reads the entries from the bytes of `prefix.index`.
    pub fn from_index(prefix: &Path, file: &[u8]) -> Result<BundleReader> {
        let what = index_path(prefix).display().to_string();
        let table = read_table(file, &what)?;
        let mut it = table.into_iter();
        let header = match it.next() {
            Some((k, v)) if k.is_empty() => BundleHeaderProto::decode(v.as_slice())
                .map_err(|e| data_loss(format!("bad BundleHeaderProto in {what}: {e}")))?,
            _ => return Err(data_loss(format!("no BundleHeaderProto in {what}"))),
        };
        if header.endianness != 0 {
            return Err(Error::unimplemented(format!("{what}: big-endian bundles are not supported")));
        }
        if header.num_shards < 1 {
            return Err(data_loss(format!("bad num_shards {} in {what}", header.num_shards)));
        }
        let mut entries = BTreeMap::new();
        for (k, v) in it {
            let name = String::from_utf8(k).map_err(|_| data_loss(format!("a key in {what} is not UTF-8")))?;
            let e = BundleEntryProto::decode(v.as_slice())
                .map_err(|err| data_loss(format!("bad BundleEntryProto for {name} in {what}: {err}")))?;
            let dims = e.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or(&[]);
            let mut shape = Vec::with_capacity(dims.len());
            for d in dims {
                shape.push(usize::try_from(d.size).map_err(|_| data_loss(format!("bad shape for {name} in {what}")))?);
            }
            if e.shard_id < 0 || e.shard_id >= header.num_shards || e.offset < 0 || e.size < 0 {
                return Err(data_loss(format!("bad entry for {name} in {what}")));
            }
            entries.insert(name, (e, shape));
        }
        Ok(BundleReader { prefix: prefix.to_path_buf(), num_shards: header.num_shards, entries })
    }

    /// The checkpoint's prefix.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// Every tensor, in name order.
    pub fn tensors(&self) -> Vec<TensorInfo> {
        self.entries
            .iter()
            .map(|(n, (e, s))| TensorInfo {
                name: n.clone(),
                dtype: dtype_of_enum(e.dtype).ok_or(e.dtype),
                shape: s.clone(),
            })
            .collect()
    }

    /// Whether the bundle holds `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// A tensor's info.
    pub fn info(&self, name: &str) -> Option<TensorInfo> {
        self.entries.get(name).map(|(e, s)| TensorInfo {
            name: name.to_string(),
            dtype: dtype_of_enum(e.dtype).ok_or(e.dtype),
            shape: s.clone(),
        })
    }

    /// Reads a tensor, checking its size and checksum.
    pub fn get(&self, name: &str) -> Result<Value> {
        let (e, shape) =
            self.entries.get(name).ok_or_else(|| not_found(format!("Key {name} not found in checkpoint")))?;
        let Some(dtype) = dtype_of_enum(e.dtype) else {
            return Err(Error::unimplemented(format!(
                "{name} in {} is a {} tensor, which flowbench does not have",
                self.prefix.display(),
                enum_name(e.dtype)
            )));
        };
        if !e.slices.is_empty() {
            return Err(Error::unimplemented(format!(
                "{name} in {} is saved in slices (a partitioned variable), which flowbench does not read",
                self.prefix.display()
            )));
        }
        let expected = shape
            .iter()
            .try_fold(dtype.size_bytes(), |acc, &n| acc.checked_mul(n))
            .ok_or_else(|| data_loss(format!("bad shape for {name}")))?;
        if e.size as u64 != expected as u64 {
            return Err(data_loss(format!(
                "Invalid size in bundle entry: key {name}; stored size {}; expected size {expected}",
                e.size
            )));
        }
        let path = data_path(&self.prefix, e.shard_id, self.num_shards);
        let mut f = std::fs::File::open(&path).map_err(|err| not_found(format!("{}; {err}", path.display())))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if (e.offset as u64).checked_add(e.size as u64).is_none_or(|end| end > len) {
            return Err(data_loss(format!(
                "Read less bytes than requested: {name} needs bytes {}..{} of {}, which has {len}",
                e.offset,
                e.offset + e.size,
                path.display()
            )));
        }
        let mut bytes = vec![0u8; expected];
        f.seek(SeekFrom::Start(e.offset as u64))
            .and_then(|_| f.read_exact(&mut bytes))
            .map_err(|err| data_loss(format!("{}: {err}", path.display())))?;
        let actual = crc32c::value(&bytes);
        let stored = crc32c::unmask(e.crc32c);
        if actual != stored {
            return Err(data_loss(format!(
                "Checksum does not match: stored {stored} vs. calculated on the restored bytes {actual}"
            )));
        }
        value_from_bytes(dtype, shape, &bytes)
    }
}
