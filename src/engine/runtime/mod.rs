//! Running graphs: sessions with their run plans (`session`), feeds (`feed`), the lowered fast
//! path of a plan (`fastpath`, which knows nothing of sessions), the debug hook of a run
//! (`observer`), which activations TF fuses into a `MatMul` (`remap`), device specs and
//! placement (`placement`), and the workspace of named graphs and default sessions (`workspace`).

pub(crate) mod fastpath;
pub mod feed;
pub mod observer;
pub mod placement;
pub mod remap;
pub mod session;
pub mod workspace;
