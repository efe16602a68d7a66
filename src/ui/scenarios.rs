//! Break-fix scenarios: the list with each one's state and clock, or one scenario's page.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{reader, rect, theme};
use crate::app::App;
use crate::app::scenarios::{ScenariosView, state_label};

pub fn draw(frame: &mut Frame, app: &App, view: &ScenariosView) {
    let area = rect(app.geometry.lesson);
    if let Some(r) = &view.open {
        reader::draw(frame, area, r, "");
        return;
    }
    let mut lines = vec![Line::styled(" From a lab's solved state, one thing breaks: find it and fix it against the clock.", theme::muted()), Line::raw("")];
    if app.pack.scenarios.is_empty() {
        lines.push(Line::raw(" This course has no scenarios."));
    }
    for (i, s) in app.pack.scenarios.iter().enumerate() {
        let style = if i == view.selected { theme::selected() } else { ratatui::style::Style::default() };
        let state = state_label(app, &s.id, s.minutes);
        let state_style = if state.starts_with("broken") {
            theme::flash(crate::app::Level::Warning)
        } else if state.starts_with("fixed") {
            theme::flash(crate::app::Level::Success)
        } else {
            theme::muted()
        };
        lines.push(Line::from(vec![Span::styled(format!(" {} ", s.title), style)]));
        lines.push(Line::from(vec![Span::styled(format!("   lab {} · {} min · ", s.lab, s.minutes), theme::muted()), Span::styled(state, state_style)]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
