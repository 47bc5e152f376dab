//! Feeds: the tensors a run replaces with given values (`feed_dict`), how a fed value is checked
//! against the tensor's static dtype and shape (TF's messages) and converted to its dtype.

use crate::engine::error::{Error, Result};
use crate::engine::graph::{Graph, Output};
use crate::engine::shape::tuple_form;
use crate::engine::value::Value;

/// One feed: a tensor of the session's graph and the value that replaces it.
#[derive(Clone, Debug)]
pub struct Feed {
    /// The fed tensor.
    pub tensor: Output,
    /// Its value.
    pub value: Value,
}

/// Checks a feed against the fed tensor's static shape and dtype, with TF's messages.
pub fn check_feed(graph: &Graph, f: &Feed) -> Result<()> {
    let Some((dtype, shape)) = graph.output_info(f.tensor) else {
        return Err(Error::value_error(
            "Cannot interpret feed_dict key as Tensor: it is not an element of this graph.",
        ));
    };
    let name = || graph.tensor_name(f.tensor);
    if !shape.is_compatible_with_dims(f.value.shape()) {
        return Err(Error::value_error(format!(
            "Cannot feed value of shape {} for Tensor {}, which has shape {}",
            tuple_form(f.value.shape()),
            name(),
            shape
        ))
        .at(graph.node(f.tensor.node).map_or(String::new(), |n| n.name.clone())));
    }
    if f.value.dtype() != *dtype {
        return Err(Error::value_error(format!(
            "Cannot feed value of dtype {} for Tensor {}, which has dtype {}",
            f.value.dtype(),
            name(),
            dtype
        ))
        .at(graph.node(f.tensor.node).map_or(String::new(), |n| n.name.clone())));
    }
    Ok(())
}

/// Converts a feed value to the fed tensor's dtype, as TF's numpy conversion does (`[[1, 2]]` fed
/// to a float32 placeholder becomes float32).
pub fn coerce_feed(graph: &Graph, tensor: Output, value: Value) -> Value {
    match graph.output_info(tensor) {
        Some((d, _)) if *d != value.dtype() => value.cast(*d),
        _ => value,
    }
}
