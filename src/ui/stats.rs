//! Drill statistics: the due forecast as a bar chart, retention, streak, the weakest topics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Gauge, Paragraph};

use super::{rect, theme};
use crate::app::App;
use crate::app::stats::StatsView;

pub fn draw(frame: &mut Frame, app: &App, view: &StatsView) {
    let area = rect(app.geometry.lesson);
    let s = &view.stats;
    if s.items == 0 {
        let key = app.key_for(crate::input::Context::Stats, crate::input::Command::Drill);
        let text = vec![
            Line::raw(""),
            Line::raw("No drills yet."),
            Line::raw(""),
            Line::styled(
                format!(
                    "Press {key} to start: {} cards over {} lesson{} are waiting.",
                    view.cards,
                    app.pack.lessons.len(),
                    if app.pack.lessons.len() == 1 { "" } else { "s" }
                ),
                theme::muted(),
            ),
        ];
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    let [summary, chart, topics] = Layout::vertical([Constraint::Length(5), Constraint::Length(9), Constraint::Min(3)]).areas(area);
    draw_summary(frame, summary, view);
    draw_forecast(frame, chart, view);
    draw_topics(frame, topics, view);
}

fn draw_summary(frame: &mut Frame, area: Rect, view: &StatsView) {
    let s = &view.stats;
    let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let streak = match s.streak {
        0 => "no streak yet".to_string(),
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("Streak      ", theme::muted()),
            Span::raw(streak),
            Span::styled(if s.today_reviews == 0 { "  (drill today to keep it)" } else { "" }, theme::muted()),
        ]),
        Line::from(vec![
            Span::styled("Today       ", theme::muted()),
            Span::raw(format!("{} review{}", s.today_reviews, if s.today_reviews == 1 { "" } else { "s" })),
        ]),
        Line::from(vec![Span::styled("Learnt      ", theme::muted()), Span::raw(format!("{} of {}, {} mature", s.items, view.cards.max(s.items), s.mature))]),
        Line::from(vec![Span::styled("Reviews     ", theme::muted()), Span::raw(format!("{} in the last 30 days", s.reviews_30))]),
    ];
    frame.render_widget(Paragraph::new(lines), left);
    let block = Block::default().borders(Borders::ALL).border_style(theme::border()).title(" retention, 30 days ");
    match s.retention {
        Some(r) => {
            let gauge = Gauge::default()
                .block(block)
                .gauge_style(Style::new().fg(theme::ACCENT))
                .ratio(f64::from(r.clamp(0.0, 1.0)))
                .label(format!("{:.0}% recalled", r * 100.0));
            frame.render_widget(gauge, Rect { height: 3, ..right });
        }
        None => frame.render_widget(
            Paragraph::new(Line::styled("no reviews yet (first answers do not count)", theme::muted())).block(block),
            Rect { height: 3, ..right },
        ),
    }
}

fn draw_forecast(frame: &mut Frame, area: Rect, view: &StatsView) {
    let s = &view.stats;
    let bars: Vec<Bar> = s
        .forecast
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let label = match i {
                0 => "now".to_string(),
                1 => "+1".to_string(),
                d => format!("+{d}"),
            };
            Bar::default()
                .value(*n as u64)
                .label(Line::from(label))
                .style(Style::new().fg(theme::ACCENT))
                .value_style(Style::new().fg(ratatui::style::Color::Black).bg(theme::ACCENT))
        })
        .collect();
    let width = (area.width.saturating_sub(2) / s.forecast.len().max(1) as u16).saturating_sub(1).clamp(1, 5);
    let chart = BarChart::default()
        .block(Block::default().borders(Borders::ALL).border_style(theme::border()).title(" due in the next 14 days "))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1);
    frame.render_widget(chart, area);
}

fn draw_topics(frame: &mut Frame, area: Rect, view: &StatsView) {
    let s = &view.stats;
    let mut lines = vec![Line::styled(" weakest topics first: recall today, cards reviewed, lapses", theme::muted())];
    let title_w = usize::from(area.width).saturating_sub(48).max(12);
    for t in &s.topics {
        let width = 20usize;
        let title: String = if t.title.chars().count() > title_w { t.title.chars().take(title_w - 1).collect::<String>() + "…" } else { t.title.clone() };
        let filled = (t.recall.clamp(0.0, 1.0) * width as f32).round() as usize;
        lines.push(Line::from(vec![
            Span::raw(format!(" {:>3.0}% ", t.recall * 100.0)),
            Span::styled("█".repeat(filled), Style::new().fg(theme::ACCENT)),
            Span::styled("░".repeat(width - filled), theme::muted()),
            Span::raw(format!("  {title}")),
            Span::styled(format!("  {}/{} cards, {} lapse{}", t.reviewed, t.cards, t.lapses, if t.lapses == 1 { "" } else { "s" }), theme::muted()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::TOP).border_style(theme::border())), area);
}
