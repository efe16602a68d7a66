//! The mock interview: the question (or the model answer, or the scorecard), and under it the
//! notes box while answering, or the key points and the score while reviewing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{reader, rect, theme};
use crate::app::App;
use crate::app::mock::{MockView, Phase, grade_choices, text_height};
use crate::content::CardKind;

pub fn draw(frame: &mut Frame, app: &App, view: &MockView) {
    let body = rect(app.geometry.lesson);
    let text_h = text_height(app.geometry.body.height, view.phase, view.points()).min(body.height);
    reader::draw(frame, Rect { height: text_h, ..body }, &view.reader, "");
    let area = Rect { y: body.y + text_h, height: body.height.saturating_sub(text_h), ..body };
    match view.phase {
        Phase::Answering => {
            let over = view.elapsed(app.tick) > view.mock.budget_secs();
            let title = if over { " notes · over the time for this question " } else { " notes " };
            let style = if over { theme::flash(crate::app::Level::Warning) } else { theme::border_focus() };
            let block = Block::default().borders(Borders::ALL).border_style(style).title(title);
            let inner = block.inner(area);
            frame.render_widget(block, area);
            frame.render_widget(&view.notes, inner);
        }
        Phase::Reviewing => {
            let a = &view.mock.answers[view.current];
            let mut lines: Vec<Line> = vec![Line::styled("Key points — tick the ones you made (space):", theme::muted())];
            if let Some(CardKind::Open { points, .. }) = app.pack.card(&a.card).map(|c| &c.kind) {
                lines.extend(super::grading::key_points(points, &a.ticked, view.cursor));
            }
            lines.push(Line::raw(""));
            lines.push(super::grading::grade_row("Score", grade_choices(app, view), "enter: next question"));
            frame.render_widget(Paragraph::new(lines), area);
        }
        Phase::Scorecard => {}
    }
}
