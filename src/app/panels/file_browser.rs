//! The built-in file browser's window: a folder field, an Up button, the folder's listing
//! (folders, then the files the filter keeps), the filter, a file name field when saving, and
//! Open/Save and Cancel. Keyboard: Up/Down move the highlight, Enter enters a folder or
//! answers, Backspace (outside a text field) goes up, Escape cancels. It edits only its
//! [`FileBrowser`] (kept in `AppState`) and emits [`Command::DialogAnswered`].

use crate::app::command::Command;
use crate::app::i18n::tr;
use crate::app::model::file_browser::{FileBrowser, human_size, is_save, title_of};
use egui::{Key, RichText};

/// The window (widget state only: whether the name field got its first focus).
#[derive(Default)]
pub struct FileBrowserView {
    focused_for: Option<(crate::app::dialogs::DialogKind, std::path::PathBuf)>,
}

impl FileBrowserView {
    /// Draws the browser; returns the answer once there is one.
    pub fn ui(&mut self, b: &mut FileBrowser, ctx: &egui::Context) -> Option<Command> {
        let kind = b.kind;
        let save = is_save(kind);
        let path_id = egui::Id::new("flowbench-browser-path");
        let name_id = egui::Id::new("flowbench-browser-name");
        let in_path = ctx.memory(|m| m.has_focus(path_id));
        let in_name = ctx.memory(|m| m.has_focus(name_id));
        let mut answer: Option<Option<std::path::PathBuf>> = None;
        let mut scroll_to_selected = false;

        // Keys the listing owns (consumed before the text fields see them).
        let count = |key: Key| {
            ctx.input_mut(|i| {
                let mut n = 0;
                while i.consume_key(egui::Modifiers::NONE, key) {
                    n += 1;
                }
                n
            })
        };
        let moved = count(Key::ArrowDown) - count(Key::ArrowUp);
        let esc = count(Key::Escape) > 0;
        if moved != 0 {
            b.move_selection(moved);
            scroll_to_selected = true;
        }
        if esc {
            answer = Some(None);
        }
        let typing = in_path || in_name;
        if !typing && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Backspace)) {
            b.up();
        }
        if !typing
            && answer.is_none()
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Enter))
            && let Some(p) = b.enter()
        {
            answer = Some(Some(p));
        }

        egui::Modal::new(egui::Id::new("flowbench-file-browser")).show(ctx, |ui| {
            ui.set_width(640.0);
            ui.heading(title_of(kind));
            ui.horizontal(|ui| {
                if ui.button(tr("browser-up")).on_hover_text(tr("browser-up-hint")).clicked() {
                    b.up();
                }
                let l = ui.label(tr("browser-folder"));
                let r = ui
                    .add(egui::TextEdit::singleline(&mut b.path_text).id(path_id).desired_width(f32::INFINITY))
                    .labelled_by(l.id);
                if r.lost_focus()
                    && ui.input(|i| i.key_pressed(Key::Enter))
                    && let Some(p) = b.submit_path()
                {
                    answer = Some(Some(p));
                }
            });
            let mut activate: Option<usize> = None;
            egui::ScrollArea::vertical().id_salt("browser-list").max_height(320.0).min_scrolled_height(320.0).show(
                ui,
                |ui| {
                    ui.set_min_width(ui.available_width());
                    ui.set_min_height(320.0);
                    if b.entries.is_empty() {
                        ui.weak(tr("browser-empty"));
                    }
                    for (i, e) in b.entries.iter().enumerate() {
                        let text = if e.is_dir { format!("🗀 {}", e.name) } else { format!("🗋 {}", e.name) };
                        let size = if e.is_dir { String::new() } else { human_size(e.size) };
                        let r = ui.add(
                            egui::Button::selectable(b.selected == Some(i), text)
                                .right_text(RichText::new(size).weak())
                                .min_size(egui::vec2(ui.available_width(), 0.0)),
                        );
                        if scroll_to_selected && b.selected == Some(i) {
                            r.scroll_to_me(None);
                        }
                        if r.double_clicked() {
                            activate = Some(i);
                        } else if r.clicked() {
                            activate = (e.is_dir && e.name == "..").then_some(i);
                            if activate.is_none() {
                                b.selected = Some(i);
                                if !e.is_dir {
                                    b.name.clone_from(&e.name);
                                }
                            }
                        }
                    }
                },
            );
            if let Some(i) = activate
                && let Some(p) = b.activate(i)
            {
                answer = Some(Some(p));
            }
            ui.separator();
            egui::Grid::new("browser-fields").num_columns(2).show(ui, |ui| {
                let l = ui.label(tr("browser-file-name"));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut b.name)
                            .id(name_id)
                            .hint_text(if save { tr("browser-name-hint-save") } else { tr("browser-name-hint-open") })
                            .desired_width(440.0),
                    )
                    .labelled_by(l.id);
                let key = (kind, b.dir.clone());
                if save && self.focused_for.as_ref() != Some(&key) {
                    self.focused_for = Some(key);
                    r.request_focus();
                }
                if r.lost_focus()
                    && ui.input(|i| i.key_pressed(Key::Enter))
                    && let Some(p) = b.enter()
                {
                    answer = Some(Some(p));
                }
                ui.end_row();
                let l = ui.label(tr("browser-show"));
                let before = (b.filter, b.show_hidden);
                ui.horizontal(|ui| {
                    egui::ComboBox::from_id_salt("browser-filter")
                        .width(260.0)
                        .selected_text(b.current_filter().label)
                        .show_ui(ui, |ui| {
                            for (i, f) in b.filters.iter().enumerate() {
                                ui.selectable_value(&mut b.filter, i, f.label);
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    ui.checkbox(&mut b.show_hidden, tr("browser-hidden"));
                });
                if before != (b.filter, b.show_hidden) {
                    b.refresh();
                }
                ui.end_row();
            });
            // A reserved row: the message comes and goes without moving the buttons.
            ui.horizontal(|ui| {
                ui.set_min_height(20.0);
                if let Some(e) = &b.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
            });
            ui.horizontal(|ui| {
                if ui.button(if save { tr("browser-save") } else { tr("browser-open") }).clicked()
                    && let Some(p) = b.enter()
                {
                    answer = Some(Some(p));
                }
                if ui.button(tr("modal-cancel")).clicked() {
                    answer = Some(None);
                }
                ui.weak(tr("browser-keys"));
            });
        });
        answer.map(|path| {
            self.focused_for = None;
            Command::DialogAnswered { kind, path }
        })
    }
}
