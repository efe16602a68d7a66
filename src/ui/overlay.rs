//! Overlays: the help (generated from the key map), a confirmation, a notice.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::theme;
use crate::app::{App, Overlay};
use crate::input::Context;
use crate::input::keymap::key_label;

pub fn draw(frame: &mut Frame, app: &App, overlay: &Overlay) {
    match overlay {
        Overlay::Help { scroll } => help(frame, app, *scroll),
        Overlay::Confirm(c) => {
            let keys: Vec<(String, String)> =
                app.keymap.bindings(Context::Confirm).iter().filter_map(|b| Some((key_label(*b.keys.first()?), b.desc.clone()))).collect();
            dialog(frame, &c.title, &c.text, &keys);
        }
        Overlay::Notice { title, text } => {
            // any answer closes a notice: show the answer keys that are not letters
            let keys: Vec<String> =
                app.keymap.bindings(Context::Confirm).iter().flat_map(|b| b.keys.iter().map(|k| key_label(*k))).filter(|k| k.chars().count() > 1).collect();
            dialog(frame, title, text, &[(keys.join("/"), "close".to_string())]);
        }
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

fn help(frame: &mut Frame, app: &App, scroll: usize) {
    use crate::app::overlay::{HELP_KEYS_WIDTH, HELP_WIDTH, HelpRow, help_rows};
    let lines: Vec<Line> = help_rows(app)
        .into_iter()
        .map(|row| match row {
            HelpRow::Title(title) => Line::styled(title, theme::part_title()),
            HelpRow::Keys { keys, desc } => {
                Line::from(vec![Span::styled(format!("  {keys:<w$}", w = HELP_KEYS_WIDTH - 2), theme::key_hint()), Span::raw(desc)])
            }
            HelpRow::Blank => Line::raw(""),
        })
        .collect();
    let area = centered(frame.area(), HELP_WIDTH, lines.len() as u16 + 2);
    let max = crate::app::overlay::help_max_scroll(lines.len(), app.geometry.size.1);
    // when the list is taller than the box, say where it is and which keys scroll it
    let label = |cmd| app.key_for(Context::Help, cmd);
    let footer = if max == 0 {
        format!(" {} closes ", label(crate::input::Command::Back))
    } else {
        let at = if scroll >= max { "end".to_string() } else { format!("{}%", scroll * 100 / max) };
        format!(" {}/{} scroll · {at} · {} closes ", label(crate::input::Command::Down), label(crate::input::Command::Up), label(crate::input::Command::Back))
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme::border_focus())
        .title(Span::styled(" Keys ", theme::part_title()))
        .title_bottom(Span::styled(footer, theme::muted()));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).scroll((scroll.min(max) as u16, 0)).block(block), area);
}

fn dialog(frame: &mut Frame, title: &str, text: &str, keys: &[(String, String)]) {
    let width = 64u16.min(frame.area().width.saturating_sub(4));
    let inner_w = usize::from(width.saturating_sub(4)).max(1);
    // wrapped here, at spaces and after a path's `/`, so the height is known and no word is cut
    let plain = crate::markdown::SpanStyle::default();
    let mut lines: Vec<Line> = crate::markdown::wrap::wrap(&[crate::markdown::StyledSpan::new(text, plain)], inner_w)
        .into_iter()
        .map(|l| Line::raw(l.into_iter().map(|s| s.text).collect::<String>()))
        .collect();
    let keys: Vec<Span> =
        keys.iter().flat_map(|(k, label)| [Span::styled(k.clone(), theme::key_hint()), Span::styled(format!(" {label}   "), theme::muted())]).collect();
    let keys_h = Line::from(keys.clone()).width().max(1).div_ceil(inner_w);
    let height = (lines.len() + 1 + keys_h + 2) as u16;
    let area = centered(frame.area(), width, height);
    lines.push(Line::raw(""));
    lines.push(Line::from(keys));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme::border_focus())
        .padding(ratatui::widgets::Padding::horizontal(1))
        .title(Span::styled(format!(" {title} "), theme::part_title()));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
