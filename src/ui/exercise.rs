//! The exercise screen: the step list, the step text, the results of the last check run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{home::spinner, reader, rect, theme};
use crate::app::App;
use crate::app::exercise::ExerciseView;
use crate::checks::CheckStatus;
use crate::input::{Command, Context};
use crate::markdown::wrap::wrap;
use crate::markdown::{Kind, SpanStyle, StyledSpan};
use crate::progress::Completion;
use unicode_width::UnicodeWidthStr;

pub fn draw(frame: &mut Frame, app: &App, view: &ExerciseView) {
    let ex = &app.pack.exercises[view.index];
    let g = app.geometry;
    let pp = app.pack_progress();

    // steps
    let mut lines = Vec::new();
    for (i, step) in ex.steps.iter().enumerate() {
        let sp = pp.step(&ex.id, &step.id);
        let running = app.is_running(&ex.id, &step.id);
        let (symbol, style) = if running {
            (spinner(app.tick), theme::key_hint())
        } else {
            match sp {
                Some(s) if s.completion == Some(Completion::Manual) => ("✓", theme::item_status(crate::progress::ItemStatus::Done)),
                Some(s) if s.done() => ("●", theme::item_status(crate::progress::ItemStatus::Done)),
                Some(s) if s.last_run.as_ref().is_some_and(|r| r.count(CheckStatus::Fail) > 0) => ("✘", theme::check_status(CheckStatus::Fail)),
                // only errors: the checker could not evaluate, which is not the learner's failure
                Some(s) if s.last_run.as_ref().is_some_and(|r| r.count(CheckStatus::Error) > 0) => ("!", theme::check_status(CheckStatus::Error)),
                Some(s) if s.opened_at.is_some() => ("◐", theme::item_status(crate::progress::ItemStatus::InProgress)),
                _ => ("○", theme::muted()),
            }
        };
        let selected = i == view.step;
        let mut title = ex.expand(&step.title);
        if let Some(s) = sp {
            // the help used, recorded as the instructor board will show it
            let mut used = Vec::new();
            if s.hints_revealed > 0 {
                used.push(format!("{} hint{}", s.hints_revealed, if s.hints_revealed == 1 { "" } else { "s" }));
            }
            if s.solution_revealed {
                used.push("solution".to_string());
            }
            if !used.is_empty() {
                title.push_str(&format!(" · {}", used.join(" · ")));
            }
        }
        let head = format!("{}. ", i + 1);
        let indent = 4 + head.width();
        let width = usize::from(g.steps.width).saturating_sub(indent + 1).max(4);
        let wrapped = wrap(&[StyledSpan::new(title, SpanStyle::default())], width);
        let base = if selected { theme::selected() } else { ratatui::style::Style::new() };
        for (n, piece) in wrapped.into_iter().enumerate() {
            let text: String = piece.iter().map(|p| p.text.as_str()).collect();
            let mut spans = if n == 0 {
                vec![Span::raw(if selected { "▶ " } else { "  " }), Span::styled(symbol, style), Span::raw(format!(" {head}"))]
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            spans.push(Span::raw(text));
            for s in &mut spans {
                s.style = s.style.patch(base);
            }
            lines.push(Line::from(spans));
        }
    }
    let steps_block = Block::new().borders(Borders::RIGHT).border_style(theme::border()).title(Span::styled(" Steps ", theme::part_title()));
    frame.render_widget(Paragraph::new(lines).block(steps_block), rect(g.steps));

    // step text
    let copy = app.key_for(Context::Exercise, Command::CopyBlock);
    reader::draw(frame, rect(g.step_text), &view.reader, &copy);

    // results
    let step = &ex.steps[view.step];
    draw_results(frame, rect(g.results), app, pp.step(&ex.id, &step.id), step.checks.len(), app.is_running(&ex.id, &step.id));
}

fn draw_results(frame: &mut Frame, area: Rect, app: &App, sp: Option<&crate::progress::StepProgress>, declared: usize, running: bool) {
    let run_key = app.key_for(Context::Exercise, Command::RunChecks);
    let title = match sp.and_then(|s| s.last_run.as_ref()) {
        _ if running => format!(" Checks {} running ", spinner(app.tick)),
        Some(run) => format!(" Checks · live · last run {} ", ago(run.at, app.now)),
        None => " Checks · live ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::border())
        .padding(ratatui::widgets::Padding::horizontal(1))
        .title(Span::styled(title, theme::part_title()));
    let mut lines = Vec::new();
    match sp.and_then(|s| s.last_run.as_ref()) {
        None => lines.push(Line::from(vec![
            Span::styled(format!("{declared} check{} · not run yet · press ", if declared == 1 { "" } else { "s" }), theme::muted()),
            Span::styled(run_key, theme::key_hint()),
            Span::styled(" to check your work", theme::muted()),
        ])),
        Some(run) => {
            // hanging indent: continuation lines start under the message
            let indent = crate::app::geometry::RESULT_INDENT;
            let width = crate::app::geometry::result_text_width(app.geometry.size.0);
            let pad = " ".repeat(indent);
            for r in &run.results {
                let text = vec![StyledSpan::new(format!("{} ", r.check), SpanStyle::of(Kind::Dim)), StyledSpan::new(r.message.clone(), SpanStyle::default())];
                for (n, piece) in wrap(&text, width).into_iter().enumerate() {
                    let mut spans = if n == 0 {
                        vec![Span::styled(format!("{} {:<5} ", r.status.symbol(), r.status.label()), theme::check_status(r.status))]
                    } else {
                        vec![Span::raw(pad.clone())]
                    };
                    spans.extend(piece.into_iter().map(|p| Span::styled(p.text, theme::span(p.style))));
                    lines.push(Line::from(spans));
                }
                if r.found.is_some() || r.expected.is_some() {
                    let fe = vec![
                        StyledSpan::new("found ", SpanStyle::of(Kind::Dim)),
                        StyledSpan::new(r.found.clone().unwrap_or_else(|| "nothing".into()), SpanStyle::default()),
                        StyledSpan::new(" · expected ", SpanStyle::of(Kind::Dim)),
                        StyledSpan::new(r.expected.clone().unwrap_or_default(), SpanStyle::default()),
                    ];
                    for piece in wrap(&fe, width) {
                        let mut spans = vec![Span::raw(pad.clone())];
                        spans.extend(piece.into_iter().map(|p| Span::styled(p.text, theme::span(p.style))));
                        lines.push(Line::from(spans));
                    }
                }
                if let Some(next) = &r.next {
                    let text = vec![StyledSpan::new("next ", SpanStyle::of(Kind::Dim)), StyledSpan::new(next.clone(), SpanStyle::default())];
                    for piece in wrap(&text, width) {
                        let mut spans = vec![Span::raw(pad.clone())];
                        spans.extend(piece.into_iter().map(|p| Span::styled(p.text, theme::span(p.style))));
                        lines.push(Line::from(spans));
                    }
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn ago(at: u64, now: u64) -> String {
    let secs = now.saturating_sub(at);
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}
