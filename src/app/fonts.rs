//! The window's fonts: egui's bundled fonts first, then a bundled subset of Noto Sans CJK SC
//! (`assets/fonts/`, GB 2312) as the last fallback of both families, so Chinese names and notes
//! render on machines with no CJK font installed and screenshots stay the same everywhere.

/// The name the CJK fallback is registered under.
pub const CJK_FONT_NAME: &str = "noto-sans-sc-gb2312";

/// The bundled CJK subset (SIL Open Font License 1.1, see `assets/fonts/OFL.txt`).
pub static CJK_FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-GB2312.otf");

/// Adds the CJK subset as the lowest-priority font of the proportional and monospace families.
/// Text egui's own fonts can draw looks exactly as before.
pub fn install(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily { family, priority: FontPriority::Lowest })
        .collect();
    ctx.add_font(FontInsert::new(CJK_FONT_NAME, egui::FontData::from_static(CJK_FONT_BYTES), families));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_has_glyphs_once_installed() {
        let ctx = egui::Context::default();
        install(&ctx);
        // Fonts are (re)built at the start of a pass.
        ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        let body = egui::FontId::proportional(14.0);
        let mono = egui::FontId::monospace(12.0);
        // egui's `has_glyph` reads a char that the replacement glyph's face draws as missing, so
        // ask only about the characters the CJK face is for.
        for s in ["默认图", "计算图、张量、会话、设备和训练", "需要通过 feed_dict 为占位符提供值", "（，。：；！？）"]
        {
            for c in s.chars().filter(|c| !c.is_ascii()) {
                assert!(ctx.fonts_mut(|f| f.has_glyph(&body, c)), "no glyph for {c:?} in {s}");
                assert!(ctx.fonts_mut(|f| f.has_glyph(&mono, c)), "no monospace glyph for {c:?} in {s}");
            }
        }
    }

    #[test]
    fn latin_text_keeps_egui_fonts() {
        let plain = egui::Context::default();
        let with_cjk = egui::Context::default();
        install(&with_cjk);
        plain.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        assert!(
            !plain.fonts_mut(|f| f.has_glyph(&egui::FontId::proportional(14.0), '默')),
            "egui alone has no CJK glyphs"
        );
        let width = |ctx: &egui::Context| {
            ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
            ctx.fonts_mut(|f| {
                f.layout_no_wrap(
                    "Tensor(\"add:0\", shape=(2,), dtype=float32)".into(),
                    egui::FontId::proportional(14.0),
                    egui::Color32::WHITE,
                )
                .rect
                .width()
            })
        };
        assert_eq!(width(&plain), width(&with_cjk));
    }
}
