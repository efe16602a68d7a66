//! The mock interview: the question (or the model answer, or the scorecard), and under it the
//! notes box while answering, or the key points and the score while reviewing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
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
                for (i, p) in points.iter().enumerate() {
                    let tick = if a.ticked.get(i).copied().unwrap_or(false) { "[x] " } else { "[ ] " };
                    let style = if i == view.cursor { theme::selected() } else { Style::default() };
                    lines.push(Line::from(vec![Span::styled(if i == view.cursor { "▸ " } else { "  " }, theme::key_hint()), Span::styled(format!("{tick}{p}"), style)]));
                }
            }
            lines.push(Line::raw(""));
            let mut score: Vec<Span> = vec![Span::styled("Score  ", theme::muted())];
            for (g, key, selected) in grade_choices(app, view) {
                score.push(Span::styled(key, theme::key_hint()));
                score.push(Span::styled(format!(" {} ", g.label()), if selected { theme::selected() } else { Style::default() }));
                score.push(Span::raw("  "));
            }
            score.push(Span::styled("enter: next question", theme::muted()));
            lines.push(Line::from(score));
            frame.render_widget(Paragraph::new(lines), area);
        }
        Phase::Scorecard => {}
    }
}
