//! What grading an open card shows, in the drills and in a mock interview alike: the card's
//! key points to tick, and the row of the four grades.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::theme;
use crate::progress::drill::Grade;

/// The key points, each ticked or not, the one under the cursor marked.
pub fn key_points<'a>(points: &'a [String], ticked: &'a [bool], cursor: usize) -> impl Iterator<Item = Line<'a>> {
    points.iter().enumerate().map(move |(i, p)| {
        let tick = if ticked.get(i).copied().unwrap_or(false) { "[x] " } else { "[ ] " };
        let style = if i == cursor { theme::selected() } else { Style::default() };
        Line::from(vec![Span::styled(if i == cursor { "▸ " } else { "  " }, theme::key_hint()), Span::styled(format!("{tick}{p}"), style)])
    })
}

/// `label`, each grade with its key (the chosen one highlighted), then what Enter does.
pub fn grade_row(label: &str, choices: Vec<(Grade, String, bool)>, enter: &str) -> Line<'static> {
    let mut row: Vec<Span> = vec![Span::styled(format!("{label}  "), theme::muted())];
    for (g, key, selected) in choices {
        row.push(Span::styled(key, theme::key_hint()));
        row.push(Span::styled(format!(" {} ", g.label()), if selected { theme::selected() } else { Style::default() }));
        row.push(Span::raw("  "));
    }
    row.push(Span::styled(enter.to_string(), theme::muted()));
    Line::from(row)
}
