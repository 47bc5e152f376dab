//! Colours and visuals shared by the panels: dtype colours for pins, device tints for nodes,
//! the error, selection and run-highlight colours. Only bundled fonts are used (egui's, and the
//! CJK subset of `fonts`; no system fonts), so screenshots are the same on every machine.

use crate::engine::DType;
use egui::Color32;

/// Red for errors.
pub const ERROR: Color32 = Color32::from_rgb(235, 87, 87);
/// Amber for the nodes a run will execute.
pub const RUN: Color32 = Color32::from_rgb(242, 201, 76);
/// Blue-ish accent for selection.
pub const SELECTED: Color32 = Color32::from_rgb(86, 156, 255);
/// Green for open sessions.
pub const OPEN: Color32 = Color32::from_rgb(111, 207, 151);
/// Grey for closed sessions.
pub const CLOSED: Color32 = Color32::from_rgb(130, 130, 130);
/// Python lines in the log.
pub const PYTHON: Color32 = Color32::from_rgb(170, 190, 255);
/// Warnings.
pub const WARNING: Color32 = Color32::from_rgb(242, 153, 74);

/// The colour of a pin carrying `dtype`.
pub fn dtype_color(dtype: Option<DType>) -> Color32 {
    match dtype {
        Some(DType::Float32) => Color32::from_rgb(86, 156, 255),
        Some(DType::Float64) => Color32::from_rgb(187, 107, 217),
        Some(DType::Int32) => Color32::from_rgb(111, 207, 151),
        Some(DType::Int64) => Color32::from_rgb(39, 174, 140),
        Some(DType::Bool) => Color32::from_rgb(242, 153, 74),
        None => Color32::GRAY,
    }
}

/// The tint of a node by the device it asks for (`/cpu:0` blue, `/gpu:0` green) and whether
/// soft placement moved it.
pub fn device_tint(requested: &str, soft_placed: bool) -> Option<Color32> {
    let r = requested.to_ascii_lowercase();
    if soft_placed {
        Some(Color32::from_rgb(120, 80, 30))
    } else if r.contains("gpu") {
        Some(Color32::from_rgb(30, 90, 50))
    } else if r.contains("cpu") {
        Some(Color32::from_rgb(30, 60, 110))
    } else {
        None
    }
}

/// Installs the window's visuals.
pub fn install(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.global_style_mut(|s| {
        s.spacing.item_spacing = egui::vec2(6.0, 4.0);
        s.interaction.tooltip_delay = 0.3;
    });
}
