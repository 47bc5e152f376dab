//! The example projects bundled into the binary (`include_str!`, so the window works from any
//! directory), and the one the window opens on.

/// One bundled example: its file name and JSON text.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// File name, as in `assets/examples/`.
    pub file: &'static str,
    /// The project JSON.
    pub text: &'static str,
}

/// Every bundled example, in the seed's order, then the CSV one (its rows are embedded).
pub const EXAMPLES: &[Example] = &[
    Example { file: "3_1_default_graph.json", text: include_str!("../../assets/examples/3_1_default_graph.json") },
    Example { file: "3_1_two_graphs.json", text: include_str!("../../assets/examples/3_1_two_graphs.json") },
    Example { file: "3_1_device.json", text: include_str!("../../assets/examples/3_1_device.json") },
    Example { file: "3_2_tensors.json", text: include_str!("../../assets/examples/3_2_tensors.json") },
    Example { file: "3_3_sessions.json", text: include_str!("../../assets/examples/3_3_sessions.json") },
    Example { file: "3_4_3_forward.json", text: include_str!("../../assets/examples/3_4_3_forward.json") },
    Example { file: "3_4_4_placeholder.json", text: include_str!("../../assets/examples/3_4_4_placeholder.json") },
    Example { file: "3_4_5_training.json", text: include_str!("../../assets/examples/3_4_5_training.json") },
    Example { file: "csv_points.json", text: include_str!("../../assets/examples/csv_points.json") },
];

/// The example the window opens on: the richest one until the training example lands (then this
/// becomes `3_4_5_training.json`).
pub const STARTUP_EXAMPLE: &str = "3_4_5_training.json";

/// The bundled example named `file`.
pub fn example(file: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.file == file)
}
