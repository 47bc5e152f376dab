//! Feeds typed in the run panel: parsed as arrays ([`parse_feed`]) and checked against their
//! placeholder's shape as TF checks them ([`feed_problem`]). The window's own words are in the
//! UI's language; TF's (the shape and dtype errors) stay as TF prints them.

use crate::engine::graph::Graph;
use crate::engine::shape::tuple_form;
use crate::engine::value::Value;
use serde_json::Value as Json;

/// Parses a feed typed as an array (`[[0.7, 0.9]]`, `3.0`, `[true, false]`).
pub fn parse_feed(text: &str) -> Result<(Json, Value), String> {
    let json: Json = serde_json::from_str(text.trim())
        .map_err(|e| crate::app::i18n::tr_args("ux-feed-not-an-array", &[("error", e.to_string().into())]))?;
    let value = Value::from_json(&json, None).map_err(|e| e.message)?;
    Ok((json, value))
}

/// TF's message when `value` cannot be fed to `tensor` (shape checked against the placeholder).
pub fn feed_problem(graph: &Graph, tensor: &str, value: &Value) -> Option<String> {
    let t = graph.tensor(tensor).ok()?;
    let (_, shape) = graph.output_info(t)?;
    (!shape.is_compatible_with_dims(value.shape())).then(|| {
        format!(
            "ValueError: Cannot feed value of shape {} for Tensor {}, which has shape {}",
            tuple_form(value.shape()),
            graph.tensor_name(t),
            shape
        )
    })
}
