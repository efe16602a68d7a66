//! The drill screen: the card's text, and under it the answer box (recall), the key points to
//! tick (open cards) and the grade line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{reader, rect, theme};
use crate::app::App;
use crate::app::drill::{DrillView, grade_choices, panel_height};
use crate::content::CardKind;

pub fn draw(frame: &mut Frame, app: &App, view: &DrillView) {
    let body = rect(app.geometry.lesson);
    let panel_h = panel_height(&app.pack, view).min(body.height);
    let text_h = body.height - panel_h;
    reader::draw(frame, Rect { height: text_h, ..body }, &view.reader, "");
    let Some(run) = &view.card else { return };
    let mut y = body.y + text_h;
    let recall = matches!(app.pack.card(&run.item).map(|c| &c.kind), Some(CardKind::Recall { .. }));
    if recall {
        let area = Rect { y, height: 3.min(body.height.saturating_sub(y - body.y)), ..body };
        let style = if run.answered { theme::border() } else { theme::border_focus() };
        let block = Block::default().borders(Borders::ALL).border_style(style).title(" your answer ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(&view.input, inner);
        y += area.height;
    }
    if !run.answered {
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    if let Some(CardKind::Open { points, .. }) = app.pack.card(&run.item).map(|c| &c.kind) {
        lines.push(Line::styled("Key points — tick the ones your answer had (space):", theme::muted()));
        lines.extend(super::grading::key_points(points, &run.ticked, run.cursor));
    }
    lines.push(Line::raw(""));
    lines.push(super::grading::grade_row("Grade", grade_choices(app, run), "enter saves and goes on"));
    let area = Rect { y, height: body.height.saturating_sub(y - body.y), ..body };
    frame.render_widget(Paragraph::new(lines), area);
}
