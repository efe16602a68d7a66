//! Rendering: a pure function of the state. Each screen and overlay has its own file.

pub mod bars;
pub mod drill;
pub mod exercise;
pub mod grading;
pub mod home;
pub mod lesson;
pub mod mock;
pub mod overlay;
pub mod reader;
pub mod scenarios;
pub mod stats;
pub mod theme;
pub mod transcripts;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::{App, Area, Screen};

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(ratatui::widgets::Paragraph::new("kubedojo needs at least 20x5"), area);
        return;
    }
    bars::title(frame, Rect { height: 1, ..area }, app);
    match &app.screen {
        Screen::Home => home::draw(frame, rect(app.geometry.body), app),
        Screen::Lesson(view) => lesson::draw(frame, app, view),
        Screen::Exercise(view) => exercise::draw(frame, app, view),
        Screen::Drill(view) => drill::draw(frame, app, view),
        Screen::Mock(view) => mock::draw(frame, app, view),
        Screen::Stats(view) => stats::draw(frame, app, view),
        Screen::Transcripts(view) => transcripts::draw(frame, app, view),
        Screen::Scenarios(view) => scenarios::draw(frame, app, view),
    }
    bars::status(frame, Rect { y: area.height - 1, height: 1, ..area }, app);
    if let Some(overlay) = &app.overlay {
        overlay::draw(frame, app, overlay);
    }
}

pub fn rect(a: Area) -> Rect {
    Rect { x: a.x, y: a.y, width: a.width, height: a.height }
}

/// `s` in at most `width` columns: whole, or cut at a character with `…` as its last column.
pub(crate) fn ellipsis(s: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        w += cw;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}
