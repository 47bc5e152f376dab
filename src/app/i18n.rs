//! The window's languages: one Fluent message file per language under `assets/locales/`
//! (adding a language is adding a file and a row to [`LANGUAGES`]), the language the UI thread
//! speaks now, and the lookups the panels use ([`tr`], [`tr_args`]). The language follows the
//! system locale on first start ([`system_language`]); the window keeps the choice in its
//! settings and sets it at the start of every frame, so switching needs no restart.
//!
//! TF's own words are never looked up here: error classes and messages, op types, tensor reprs and
//! numpy output stay exactly as TF prints them. [`explain_tf_error`] only adds a line beside them.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::cell::Cell;
use std::sync::OnceLock;

/// A language the window speaks.
pub struct Language {
    /// BCP 47 code, as stored in the settings (`en`, `zh-CN`).
    pub code: &'static str,
    /// The language's own name, shown in View ▸ Language.
    pub name: &'static str,
    /// Its Fluent message file.
    source: &'static str,
}

/// Every language, English first (the fallback for a message another file lacks).
pub const LANGUAGES: &[Language] = &[
    Language { code: "en", name: "English", source: include_str!("../../assets/locales/en.ftl") },
    Language { code: "zh-CN", name: "简体中文", source: include_str!("../../assets/locales/zh-CN.ftl") },
];

thread_local! {
    /// Index into [`LANGUAGES`] of the language this thread's UI speaks.
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

fn bundles() -> &'static [FluentBundle<FluentResource>] {
    static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
    BUNDLES.get_or_init(|| LANGUAGES.iter().map(bundle).collect())
}

fn bundle(lang: &Language) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.code.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Fluent wraps arguments in Unicode isolation marks by default; egui would draw them as boxes.
    b.set_use_isolating(false);
    // The files are part of the binary and checked by the tests; a syntax error in one keeps the
    // messages that did parse.
    let resource = FluentResource::try_new(lang.source.to_string()).unwrap_or_else(|(partial, _)| partial);
    // A message defined twice keeps its first definition (the tests refuse duplicates).
    let _ = b.add_resource(resource);
    b
}

/// Makes `code` the language of this thread's UI; an unknown code leaves it unchanged.
/// Returns whether `code` is known.
pub fn set_language(code: &str) -> bool {
    match LANGUAGES.iter().position(|l| l.code == code) {
        Some(i) => {
            CURRENT.with(|c| c.set(i));
            true
        }
        None => false,
    }
}

/// The language of this thread's UI.
pub fn language() -> &'static Language {
    &LANGUAGES[CURRENT.with(Cell::get).min(LANGUAGES.len() - 1)]
}

/// The message `id` in the current language (English where that language lacks it, the id
/// itself where no file has it, so a missing message shows, and the tests catch it).
pub fn tr(id: &str) -> String {
    format(id, None)
}

/// The message `id` in the current language, or `fallback` where no file has it (for messages
/// named after data, such as an example's title).
pub fn tr_or(id: &str, fallback: &str) -> String {
    if bundles().iter().any(|b| b.has_message(id)) { format(id, None) } else { fallback.to_string() }
}

/// The message `id` with its `{ $name }` placeables filled from `args`.
pub fn tr_args(id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let mut a = FluentArgs::new();
    for (k, v) in args {
        a.set(*k, v.clone());
    }
    format(id, Some(&a))
}

fn format(id: &str, args: Option<&FluentArgs<'_>>) -> String {
    let all = bundles();
    let current = CURRENT.with(Cell::get).min(all.len() - 1);
    for b in [&all[current], &all[0]] {
        if let Some(pattern) = b.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return b.format_pattern(pattern, args, &mut errors).into_owned();
        }
    }
    id.to_string()
}

/// A message written over several lines as one paragraph: line breaks become spaces, except
/// between two CJK characters, where Chinese text has none.
pub fn paragraph(id: &str) -> String {
    let text = tr(id);
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            let next = chars.peek().copied();
            let cjk_both = prev.is_some_and(|p| !p.is_ascii()) && next.is_some_and(|n| !n.is_ascii());
            if !cjk_both {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

/// The language for a system locale such as `zh_CN.UTF-8`, `zh-Hans-CN`, `en-US` or `C`: any
/// Chinese locale gets 简体中文 (the only Chinese file so far), anything else English.
pub fn language_for_locale(locale: &str) -> &'static str {
    let l = locale.trim().to_ascii_lowercase();
    if l.starts_with("zh") { "zh-CN" } else { "en" }
}

/// The language the system's locale asks for (`LC_ALL`, `LC_MESSAGES`, `LANG` on Linux).
pub fn system_language() -> &'static str {
    sys_locale::get_locale().map_or("en", |l| language_for_locale(&l))
}

/// TF's error messages that a learner meets first, and the message explaining each.
const EXPLAINED: &[(&str, &str)] = &[
    ("You must feed a value for placeholder tensor", "explain-must-feed"),
    ("Attempting to use uninitialized value", "explain-uninitialized"),
    ("Attempted to use a closed Session", "explain-closed-session"),
    ("must be the same type as", "explain-dtype-mismatch"),
    ("Dimensions must be equal", "explain-shape-mismatch"),
    ("Incompatible shapes", "explain-shape-mismatch"),
    ("Could not satisfy explicit device specification", "explain-no-device"),
    ("Cannot assign a device for operation", "explain-no-device"),
    ("OOM when allocating tensor", "explain-oom"),
];

/// A one-line explanation, in the current language, to show beside TF's `message` (which stays
/// as TF prints it). None in English (TF's message is already English) and for messages without
/// an explanation.
pub fn explain_tf_error(message: &str) -> Option<String> {
    if language().code == "en" {
        return None;
    }
    EXPLAINED.iter().find(|(pattern, _)| message.contains(pattern)).map(|(_, id)| tr(id))
}

/// Why the engine placed a node where it did, in the current language (the engine's own
/// `reason` is the English text).
pub fn placement_reason(p: &crate::engine::runtime::placement::Placement) -> String {
    use crate::engine::runtime::placement::{DeviceSpec, PlacementKind};
    let spec = DeviceSpec::parse(&p.requested).map_or_else(|_| p.requested.clone(), |s| s.canonical());
    match p.kind {
        PlacementKind::Default => tr("ux-placement-default"),
        PlacementKind::AsRequested => tr_args("ux-placement-as-requested", &[("device", spec.into())]),
        PlacementKind::Soft => tr_args("ux-placement-soft", &[("device", spec.into())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::BTreeSet;

    fn ids(lang: &Language) -> Vec<String> {
        let res = FluentResource::try_new(lang.source.to_string())
            .unwrap_or_else(|(_, errors)| panic!("{}.ftl does not parse: {errors:?}", lang.code));
        res.entries()
            .filter_map(|e| match e {
                ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_language_has_every_message_once() {
        let english: BTreeSet<String> = ids(&LANGUAGES[0]).into_iter().collect();
        for lang in LANGUAGES {
            let list = ids(lang);
            let set: BTreeSet<String> = list.iter().cloned().collect();
            assert_eq!(set.len(), list.len(), "{}.ftl defines a message twice", lang.code);
            let missing: Vec<_> = english.difference(&set).collect();
            let extra: Vec<_> = set.difference(&english).collect();
            assert!(missing.is_empty(), "{}.ftl lacks {missing:?}", lang.code);
            assert!(extra.is_empty(), "{}.ftl has messages English lacks: {extra:?}", lang.code);
        }
    }

    /// Every `tr("…")`, `tr_args("…"` and `paragraph("…")` in the window's source names a message
    /// that exists, and every explanation in [`EXPLAINED`] too.
    #[test]
    fn every_message_the_code_asks_for_exists() {
        let english: BTreeSet<String> = ids(&LANGUAGES[0]).into_iter().collect();
        let mut asked = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/app"))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src/app is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    for call in ["tr(\"", "tr_args(\"", "paragraph(\""] {
                        for (i, _) in text.match_indices(call) {
                            // `tr(` itself, not the end of `write_str(`.
                            if text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                                continue;
                            }
                            let rest = &text[i + call.len()..];
                            if let Some(end) = rest.find('"') {
                                asked.push((path.display().to_string(), rest[..end].to_string()));
                            }
                        }
                    }
                }
            }
        }
        asked.extend(EXPLAINED.iter().map(|(_, id)| ("EXPLAINED".to_string(), id.to_string())));
        assert!(asked.len() > 20, "the scan found the calls");
        let missing: Vec<_> = asked.iter().filter(|(_, id)| !english.contains(id)).collect();
        assert!(missing.is_empty(), "messages asked for but not defined: {missing:?}");
    }

    #[test]
    fn switching_languages_changes_the_text_live() {
        assert!(set_language("zh-CN"));
        assert_eq!(tr("menu-file"), "文件");
        assert_eq!(
            explain_tf_error(
                "InvalidArgumentError: You must feed a value for placeholder tensor 'input' with dtype float"
            ),
            Some("需要通过 feed_dict 为占位符提供值。".to_string())
        );
        assert!(set_language("en"));
        assert_eq!(tr("menu-file"), "File");
        assert_eq!(explain_tf_error("You must feed a value for placeholder tensor 'x'"), None);
        assert!(!set_language("tlh"));
        assert_eq!(language().code, "en");
        assert_eq!(tr("no-such-message"), "no-such-message");
    }

    #[test]
    fn paragraphs_join_lines_as_each_script_does() {
        set_language("en");
        assert!(paragraph("guide-graph").contains("tf.constant, tf.placeholder"), "English lines join with a space");
        assert!(!paragraph("guide-graph").contains('\n'));
        set_language("zh-CN");
        let zh = paragraph("guide-graph");
        assert!(zh.contains("在一个 tf.Graph 中"), "{zh}");
        assert!(zh.contains("如果没有特殊指定，运算会加到默认的计算图中"), "CJK lines join without a space: {zh}");
        set_language("en");
    }

    /// Messages with leading spaces or blank lines keep them, so the English window reads as it
    /// did before the strings moved into the files.
    #[test]
    fn spacing_survives_the_message_files() {
        set_language("en");
        let tip = tr_args("train-tip", &[("tip", "resume training (F5)".into()), ("keys", "F5".into())]);
        assert_eq!(tip, "resume training (F5)\n\nShortcuts: F5");
        let eta = tr_args("train-eta", &[("time", "3.0 s".into())]);
        assert_eq!(tr_args("train-rate", &[("rate", "12".into()), ("eta", eta.into())]), " · 12 steps/s · ETA 3.0 s");
        // The translated ConfigProto summary reads, in English, as the engine's own.
        let mut c = crate::engine::runtime::session::ConfigProto::default();
        assert_eq!(crate::app::panels::sessions::config_summary(&c), c.summary());
        c.allow_soft_placement = true;
        c.intra_op_parallelism_threads = 2;
        c.memory_limit_mb = 64;
        c.gpu_options.per_process_gpu_memory_fraction = 0.5;
        assert_eq!(crate::app::panels::sessions::config_summary(&c), c.summary());
    }

    /// Every bundled example has a title message, and in English it is the project's own name.
    #[test]
    fn example_titles_are_translated() {
        set_language("en");
        for e in crate::app::examples::EXAMPLES {
            assert_eq!(crate::app::examples::menu_title(e.file), crate::app::examples::title(e.file), "{}", e.file);
        }
        set_language("zh-CN");
        assert_eq!(crate::app::examples::menu_title("3_4_5_training.json"), "3.4.5 完整神经网络样例程序");
        for e in crate::app::examples::EXAMPLES {
            let stem = e.file.strip_suffix(".json").unwrap_or(e.file);
            assert!(bundles()[1].has_message(&format!("example-{stem}")), "{} has no Chinese title", e.file);
        }
        set_language("en");
    }

    #[test]
    fn locales_map_to_languages() {
        for (locale, lang) in [
            ("zh_CN.UTF-8", "zh-CN"),
            ("zh-Hans-CN", "zh-CN"),
            ("zh-TW", "zh-CN"),
            ("en-US", "en"),
            ("C", "en"),
            ("", "en"),
            ("de_DE", "en"),
        ] {
            assert_eq!(language_for_locale(locale), lang, "{locale}");
        }
    }
}
