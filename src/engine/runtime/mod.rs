//! Running graphs: sessions with their run plans and feeds, the lowered fast path of a plan,
//! device specs and placement, and the workspace of named graphs and default sessions.

pub mod device;
pub(crate) mod fastpath;
pub mod session;
pub mod workspace;
