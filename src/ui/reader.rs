//! Draw a [`Reader`]: the visible lines, search matches, the selected code block, a scrollbar.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};

use super::theme;
use crate::app::reader::Reader;
use crate::markdown::{DocLine, Kind};

/// `copy_hint`: the key that copies the selected block, shown on its frame.
pub fn draw(frame: &mut Frame, area: Rect, reader: &Reader, copy_hint: &str) {
    let height = usize::from(area.height);
    let lines: Vec<Line> =
        reader.rendered.lines.iter().enumerate().skip(reader.scroll).take(height).map(|(i, line)| to_line(reader, i, line, copy_hint)).collect();
    frame.render_widget(Paragraph::new(lines), area);

    let total = reader.rendered.lines.len();
    if total > height && area.width > 0 {
        let bar_area = Rect { x: area.x + area.width, y: area.y, width: 1, height: area.height };
        if bar_area.x < frame.area().width {
            let mut state = ScrollbarState::new(reader.max_scroll()).position(reader.scroll).viewport_content_length(height);
            frame.render_stateful_widget(
                Scrollbar::new(ScrollbarOrientation::VerticalRight)
                    .begin_symbol(None)
                    .end_symbol(None)
                    .thumb_style(theme::border_focus())
                    .track_style(theme::border()),
                bar_area,
                &mut state,
            );
        }
    }
}

fn to_line<'a>(reader: &Reader, index: usize, line: &'a DocLine, copy_hint: &str) -> Line<'a> {
    let selected = line.code_block.is_some() && line.code_block == reader.selected_block;
    let matches: Vec<(usize, usize, bool)> =
        reader.search.matches.iter().enumerate().filter(|(_, m)| m.line == index).map(|(i, m)| (m.start, m.end, reader.search.current == Some(i))).collect();
    let mut spans = Vec::with_capacity(line.spans.len());
    let mut offset = 0;
    for s in &line.spans {
        let mut style = theme::span(s.style);
        if selected && s.style.kind == Kind::CodeFrame {
            style = theme::border_focus().add_modifier(ratatui::style::Modifier::BOLD);
        }
        if s.style.link.is_some() && s.style.link.map(usize::from) == reader.selected_link {
            style = style.add_modifier(ratatui::style::Modifier::REVERSED);
        }
        let (start, end) = (offset, offset + s.text.len());
        offset = end;
        if matches.iter().all(|(ms, me, _)| *me <= start || *ms >= end) {
            spans.push(Span::styled(s.text.as_str(), style));
            continue;
        }
        // split the span at match boundaries
        let mut cut = start;
        for &(ms, me, current) in matches.iter().filter(|(ms, me, _)| *me > start && *ms < end) {
            let (ms, me) = (ms.max(start), me.min(end));
            if ms > cut {
                spans.push(Span::styled(&s.text[cut - start..ms - start], style));
            }
            let bg = if current { theme::CURRENT_MATCH_BG } else { theme::MATCH_BG };
            spans.push(Span::styled(&s.text[ms - start..me - start], style.patch(Style::new().bg(bg))));
            cut = me;
        }
        if cut < end {
            spans.push(Span::styled(&s.text[cut - start..], style));
        }
    }
    if selected && line.spans.first().is_some_and(|s| s.text.starts_with('╭')) {
        label_frame(&mut spans, &format!(" ◀ selected · {copy_hint} copies "));
    }
    Line::from(spans)
}

/// Write a label into the right end of a code block's top frame line.
fn label_frame(spans: &mut Vec<Span<'_>>, label: &str) {
    use unicode_width::UnicodeWidthStr;
    let Some(frame) = spans.last_mut() else { return };
    let text = frame.content.to_string();
    let keep = text.width().saturating_sub(label.width() + 2);
    if keep < 6 {
        return;
    }
    let head: String = text.chars().take(keep).collect();
    let style = frame.style;
    *frame = Span::styled(head, style);
    spans.push(Span::styled(label.to_string(), theme::key_hint()));
    spans.push(Span::styled("──", style));
}
