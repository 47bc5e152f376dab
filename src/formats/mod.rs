//! TensorFlow's own files, read and written byte-compatibly with TF: V2 checkpoints (tensor
//! bundles and the `checkpoint` state file) and the savers that write them from a session.
//!
//! ```text
//! crc32c.rs  CRC-32C and its mask
//! proto.rs   the protobuf messages (prost, declared by hand)
//! table.rs   LevelDB's sorted string table (a bundle's .index file)
//! bundle.rs  tensor bundles: write, read, checksums
//! state.rs   the `checkpoint` state file, latest_checkpoint
//! saver.rs   tf.train.Saver on a session: save, restore, max_to_keep
//! inspect.rs what inspect_checkpoint prints
//! graph.rs   a graph as GraphDef (.pb, .pbtxt) and MetaGraphDef (.meta)
//! meta_graph.rs  a .meta as Saver writes it: the saver's nodes, SaverDef, variable collections
//! graph_import.rs  a TF GraphDef read back as flowbench ops
//! events.rs  TensorBoard event files: TFRecord framing, scalars, histograms
//! text_format.rs  protobuf's text format read back (a `.pbtxt` GraphDef)
//! ```

pub mod bundle;
pub mod crc32c;
pub mod events;
pub mod graph;
pub mod graph_import;
pub mod inspect;
pub mod meta_graph;
pub mod proto;
pub mod saver;
pub mod state;
pub mod table;
pub mod text_format;
