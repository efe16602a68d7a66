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
    let width = usize::from(area.width);
    let intro = "From a lab's solved state, one thing breaks: find it and fix it against the clock.";
    let plain = crate::markdown::SpanStyle::default();
    let mut lines: Vec<Line> = crate::markdown::wrap::wrap(&[crate::markdown::StyledSpan::new(intro, plain)], width.saturating_sub(2))
        .into_iter()
        .map(|l| Line::styled(format!(" {}", l.into_iter().map(|s| s.text).collect::<String>()), theme::muted()))
        .collect();
    lines.push(Line::raw(""));
    if app.pack.scenarios.is_empty() {
        lines.push(Line::raw(" This course has no scenarios."));
    }
    // each scenario is two lines, cut to the width; the selected one is always on screen
    let mut selected_end = 0;
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
        lines.push(Line::from(vec![Span::styled(format!(" {} ", super::ellipsis(&s.title, width.saturating_sub(2))), style)]));
        let meta = super::ellipsis(&format!("   lab {} · {} min · ", s.lab, s.minutes), width);
        let room = width.saturating_sub(unicode_width::UnicodeWidthStr::width(meta.as_str()));
        lines.push(Line::from(vec![Span::styled(meta, theme::muted()), Span::styled(super::ellipsis(&state, room), state_style)]));
        if i == view.selected {
            selected_end = lines.len();
        }
    }
    let scroll = selected_end.saturating_sub(usize::from(area.height));
    frame.render_widget(Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)), area);
}
