//! Saved transcripts: a list, or one transcript in the reader.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{reader, rect, theme};
use crate::app::App;
use crate::app::transcripts::TranscriptsView;

pub fn draw(frame: &mut Frame, app: &App, view: &TranscriptsView) {
    let area = rect(app.geometry.lesson);
    if let Some((_, r)) = &view.open {
        reader::draw(frame, area, r, "");
        return;
    }
    let lines: Vec<Line> = match &view.list {
        None => vec![Line::styled("Reading the transcripts…", theme::muted())],
        Some(list) if list.is_empty() => {
            let dir = view.dir.as_ref().map_or_else(String::new, |d| format!(" in {}", d.display()));
            vec![
                Line::raw(""),
                Line::raw(format!("No mock interviews yet{dir}.")),
                Line::raw(""),
                Line::styled("Start one from the course with m, or run `kubedojo drill --mock`.", theme::muted()),
            ]
        }
        Some(list) => {
            let mut lines = vec![Line::raw("")];
            for (i, s) in list.iter().enumerate() {
                let style = if i == view.selected { theme::selected() } else { ratatui::style::Style::default() };
                lines.push(Line::from(vec![Span::styled(format!(" {} ", s.title), style), Span::styled(format!("  {}", s.score), theme::muted())]));
            }
            lines
        }
    };
    frame.render_widget(Paragraph::new(lines), area);
}
