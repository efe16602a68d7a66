//! The exercise screen: the step list, the step text, the results of the last check run.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{home::spinner, reader, rect, theme};
use crate::app::App;
use crate::app::exercise::ExerciseView;
use crate::checks::CheckStatus;
use crate::input::{Command, Context};
use crate::progress::Completion;

pub fn draw(frame: &mut Frame, app: &App, view: &ExerciseView) {
    let ex = &app.pack.exercises[view.index];
    let g = app.geometry;
    let pp = app.pack_progress();

    // steps
    let mut lines = Vec::new();
    for (i, step) in ex.steps.iter().enumerate() {
        let sp = pp.step(&ex.id, &step.id);
        let running = app.running.contains(&(ex.id.clone(), step.id.clone()));
        let (symbol, style) = if running {
            (spinner(app.tick), theme::key_hint())
        } else {
            match sp {
                Some(s) if s.completion == Some(Completion::Manual) => ("✓", theme::item_status(crate::progress::ItemStatus::Done)),
                Some(s) if s.done() => ("●", theme::item_status(crate::progress::ItemStatus::Done)),
                Some(s) if s.last_run.is_some() => ("✘", theme::check_status(CheckStatus::Fail)),
                Some(s) if s.opened_at.is_some() => ("◐", theme::item_status(crate::progress::ItemStatus::InProgress)),
                _ => ("○", theme::muted()),
            }
        };
        let selected = i == view.step;
        let mut spans = vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::styled(symbol, style),
            Span::raw(format!(" {}. {}", i + 1, step.title)),
        ];
        if let Some(s) = sp.filter(|s| s.hints_revealed > 0 || s.solution_revealed) {
            let mut marks = String::from(" ");
            if s.hints_revealed > 0 {
                marks.push_str(&format!("h{}", s.hints_revealed));
            }
            if s.solution_revealed {
                marks.push_str(" sol");
            }
            spans.push(Span::styled(marks, theme::muted()));
        }
        if selected {
            for s in &mut spans {
                s.style = s.style.patch(theme::selected());
            }
        }
        lines.push(Line::from(spans));
    }
    let steps_block = Block::new().borders(Borders::RIGHT).border_style(theme::border()).title(Span::styled(" Steps ", theme::part_title()));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(steps_block), rect(g.steps));

    // step text
    let copy = app.key_for(Context::Exercise, Command::CopyBlock);
    reader::draw(frame, rect(g.step_text), &view.reader, &copy);

    // results
    let step = &ex.steps[view.step];
    draw_results(frame, rect(g.results), app, pp.step(&ex.id, &step.id), step.checks.len(), app.running.contains(&(ex.id.clone(), step.id.clone())));
}

fn draw_results(frame: &mut Frame, area: Rect, app: &App, sp: Option<&crate::progress::StepProgress>, declared: usize, running: bool) {
    let run_key = app.key_for(Context::Exercise, Command::RunChecks);
    let title = match sp.and_then(|s| s.last_run.as_ref()) {
        _ if running => format!(" Checks {} running ", spinner(app.tick)),
        Some(run) => format!(" Checks · last run {} ", ago(run.at)),
        None => " Checks ".to_string(),
    };
    let block = Block::new().borders(Borders::TOP).border_style(theme::border()).title(Span::styled(title, theme::part_title()));
    let mut lines = Vec::new();
    match sp.and_then(|s| s.last_run.as_ref()) {
        None => lines.push(Line::from(vec![
            Span::styled(format!("{declared} check{} · not run yet · press ", if declared == 1 { "" } else { "s" }), theme::muted()),
            Span::styled(run_key, theme::key_hint()),
            Span::styled(" to check your work", theme::muted()),
        ])),
        Some(run) => {
            for r in &run.results {
                lines.push(Line::from(vec![
                    Span::styled(format!("{} {:<5} ", r.status.symbol(), r.status.label()), theme::check_status(r.status)),
                    Span::styled(format!("{} ", r.check), theme::muted()),
                    Span::raw(r.message.clone()),
                ]));
                if r.found.is_some() || r.expected.is_some() {
                    lines.push(Line::from(vec![
                        Span::raw("          "),
                        Span::styled("found ", theme::muted()),
                        Span::raw(r.found.clone().unwrap_or_else(|| "nothing".into())),
                        Span::styled(" · expected ", theme::muted()),
                        Span::raw(r.expected.clone().unwrap_or_default()),
                    ]));
                }
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

fn ago(at: u64) -> String {
    let secs = crate::app::now().saturating_sub(at);
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}
