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
    cut(s, width, false)
}

/// `s` in at most `width` columns: whole, or its end with `…` as its first column (what is
/// being typed stays in view).
pub(crate) fn ellipsis_start(s: &str, width: usize) -> String {
    cut(s, width, true)
}

fn cut(s: &str, width: usize, keep_end: bool) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut w = 1; // the ellipsis
    let chars: Box<dyn Iterator<Item = char>> = if keep_end { Box::new(s.chars().rev()) } else { Box::new(s.chars()) };
    for c in chars {
        let cw = c.width().unwrap_or(0);
        if w + cw > width {
            break;
        }
        w += cw;
        kept.push(c);
    }
    if keep_end { std::iter::once('…').chain(kept.into_iter().rev()).collect() } else { kept.into_iter().chain(std::iter::once('…')).collect() }
}

#[cfg(test)]
mod tests {
    use super::{ellipsis, ellipsis_start};

    #[test]
    fn ellipsis_cuts_the_end_or_the_start_by_display_width() {
        assert_eq!(ellipsis("kubectl get pods", 20), "kubectl get pods");
        assert_eq!(ellipsis("kubectl get pods", 8), "kubectl…");
        assert_eq!(ellipsis_start("/kubectl get pods", 8), "…et pods");
        // a wide character is not split: it goes whole or not at all
        assert_eq!(ellipsis("ノードグループ", 6), "ノー…");
        assert_eq!(ellipsis_start("ノードグループ", 6), "…ープ");
        assert_eq!(ellipsis("abc", 0), "");
        assert_eq!(ellipsis_start("abc", 0), "");
    }
}
