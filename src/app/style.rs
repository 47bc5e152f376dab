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

/// Python lines on the current theme (a darker blue on the light one, 4.5:1 or more).
pub fn python(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { PYTHON } else { Color32::from_rgb(40, 70, 170) }
}

/// Warnings on the current theme (a darker amber on the light one, 4.5:1 or more).
pub fn warning(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { WARNING } else { Color32::from_rgb(150, 75, 0) }
}

/// Errors on the current theme (a darker red on the light one, 4.5:1 or more).
pub fn error(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { ERROR } else { Color32::from_rgb(185, 28, 28) }
}

/// Success and open things on the current theme (a darker green on the light one, 4.5:1 or
/// more).
pub fn ok(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { OPEN } else { Color32::from_rgb(21, 110, 55) }
}

/// Running and paused states as text on the current theme (a darker amber on the light one,
/// 4.5:1 or more).
pub fn run(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { RUN } else { Color32::from_rgb(130, 95, 0) }
}

/// The values the debugger writes on the nodes, on the current theme (a darker blue on the
/// light one, 4.5:1 or more).
pub fn debug_value(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { Color32::from_rgb(120, 200, 255) } else { Color32::from_rgb(20, 90, 160) }
}

/// The outline of the op the debugged run paused after, on the current theme.
pub fn debug_current(v: &egui::Visuals) -> Color32 {
    if v.dark_mode { Color32::from_rgb(235, 90, 255) } else { Color32::from_rgb(150, 30, 180) }
}

/// Hints on the current theme (the theme's weak text colour, 4.5:1 or more).
pub fn hint(v: &egui::Visuals) -> Color32 {
    v.weak_text_color()
}

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

/// Hint and secondary text on the dark theme: 5.0:1 on the panels' grey 27 (WCAG AA asks 4.5).
pub const WEAK_DARK: Color32 = Color32::from_gray(140);
/// Normal text on the dark theme (brighter than egui's 140, so hints stay distinct).
pub const TEXT_DARK: Color32 = Color32::from_gray(190);
/// Hint and secondary text on the light theme: 5.6:1 on the panels' grey 248.
pub const WEAK_LIGHT: Color32 = Color32::from_gray(105);

/// Installs the window's visuals: both themes (View ▸ Light theme), hints readable on each, and
/// no text smaller than the body text (egui's "small" style is body-sized here).
pub fn install(ctx: &egui::Context) {
    ctx.set_theme(egui::Theme::Dark);
    ctx.all_styles_mut(|s| {
        s.spacing.item_spacing = egui::vec2(6.0, 4.0);
        s.interaction.tooltip_delay = 0.3;
        let body = s.text_styles.get(&egui::TextStyle::Body).map_or(12.5, |f| f.size);
        if let Some(f) = s.text_styles.get_mut(&egui::TextStyle::Small) {
            f.size = body;
        }
    });
    ctx.style_mut_of(egui::Theme::Dark, |s| {
        s.visuals.widgets.noninteractive.fg_stroke.color = TEXT_DARK;
        s.visuals.weak_text_color = Some(WEAK_DARK);
    });
    ctx.style_mut_of(egui::Theme::Light, |s| s.visuals.weak_text_color = Some(WEAK_LIGHT));
}

/// The WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f32 {
    fn lum(c: Color32) -> f32 {
        let ch = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * ch(c.r()) + 0.7152 * ch(c.g()) + 0.0722 * ch(c.b())
    }
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_and_small_text_are_readable_on_both_themes() {
        let ctx = egui::Context::default();
        install(&ctx);
        for theme in [egui::Theme::Dark, egui::Theme::Light] {
            let style = ctx.style_of(theme);
            let v = &style.visuals;
            for bg in [v.panel_fill, v.window_fill, v.extreme_bg_color] {
                let c = contrast(v.weak_text_color(), bg);
                assert!(c >= 4.5, "{theme:?}: hint contrast {c:.2} on {bg:?}");
            }
            for c in [python(v), warning(v)] {
                assert!(contrast(c, v.panel_fill) >= 4.5, "{theme:?}: {c:?}");
            }
            // The status colours (ok, warn, error, hint) on every background text sits on.
            for (what, c) in [
                ("ok", ok(v)),
                ("warn", warning(v)),
                ("error", error(v)),
                ("hint", hint(v)),
                ("run", run(v)),
                ("value", debug_value(v)),
            ] {
                for bg in [v.panel_fill, v.window_fill, v.extreme_bg_color] {
                    let r = contrast(c, bg);
                    assert!(r >= 4.5, "{theme:?}: {what} {c:?} has contrast {r:.2} on {bg:?}");
                }
            }
            let body = style.text_styles[&egui::TextStyle::Body].size;
            assert!(style.text_styles.values().all(|f| f.size >= body || f.family == egui::FontFamily::Monospace));
        }
    }
}
