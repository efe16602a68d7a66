//! The title bar (where you are) and the status bar (target, messages, keys).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::theme;
use crate::app::{App, Screen};

pub fn title(frame: &mut Frame, area: Rect, app: &App) {
    let mut left = vec![Span::raw(" kubedojo "), Span::styled("│ ", theme::title_bar())];
    let (crumb, right) = match &app.screen {
        Screen::Home => {
            let pp = app.pack_progress();
            let done = app.pack.items().filter(|&i| pp.status(&app.pack, i) == crate::progress::ItemStatus::Done).count();
            let today = crate::drill::day_at(app.now);
            let due = pp.drill.items.values().filter(|s| s.due_day <= today).count();
            let drills = if due > 0 { format!("{due} to drill · ") } else { String::new() };
            (app.pack.title.clone(), format!("{drills}{done}/{} done ", app.pack.items().count()))
        }
        Screen::Lesson(v) => {
            let l = &app.pack.lessons[v.index];
            let total = v.reader.rendered.lines.len().max(1);
            let seen = (v.reader.scroll + usize::from(v.reader.height)).min(total);
            (format!("Lesson · {}", l.title), format!("{}% ", seen * 100 / total))
        }
        Screen::Exercise(v) => {
            let ex = &app.pack.exercises[v.index];
            let (done, total) = app.pack_progress().exercise_counts(ex);
            (format!("Exercise · {}", ex.title), format!("{done}/{total} steps ",))
        }
        Screen::Drill(v) => {
            let filter = v.session.topic.as_deref().and_then(|t| app.pack.lesson(t)).map_or_else(|| "all topics".to_string(), |l| l.title.clone());
            let c = v.counts;
            (format!("Drills · {filter}"), format!("due {} · new {} · again {} ", c.due, c.new, c.relearn))
        }
        Screen::Mock(v) => {
            let right = if v.phase == crate::app::mock::Phase::Scorecard {
                format!("{} total ", crate::drill::mock::clock(v.mock.total_secs()))
            } else {
                let shown = if v.phase == crate::app::mock::Phase::Answering { v.elapsed(app.tick) } else { v.mock.answers[v.current].secs };
                format!("⏱ {} / {} ", crate::drill::mock::clock(shown), crate::drill::mock::clock(v.mock.budget_secs()))
            };
            (format!("Mock interview · question {} of {}", (v.current + 1).min(v.mock.answers.len()), v.mock.answers.len()), right)
        }
        Screen::Stats(_) => ("Drill statistics".to_string(), String::new()),
        Screen::Scenarios(v) => {
            let broken = app.pp().map_or(0, |p| p.scenarios.values().filter(|r| r.fixed_at.is_none()).count());
            let busy = if v.busy.is_some() { "working… · " } else { "" };
            ("Break-fix scenarios".to_string(), format!("{busy}{broken} broken "))
        }
        Screen::Transcripts(v) => match &v.open {
            Some((title, _)) => (format!("Transcript · {title}"), String::new()),
            None => ("Mock-interview transcripts".to_string(), format!("{} ", v.list.as_ref().map_or(0, Vec::len))),
        },
    };
    // the counter on the right always shows, a space apart: a long title is cut, with an ellipsis
    let prefix: usize = left.iter().map(|s| s.content.width()).sum();
    let crumb = super::ellipsis(&crumb, usize::from(area.width).saturating_sub(prefix + right.width() + 1));
    left.push(Span::raw(crumb));
    let used: usize = left.iter().map(|s| s.content.width()).sum();
    let pad = usize::from(area.width).saturating_sub(used + right.width());
    left.push(Span::raw(" ".repeat(pad)));
    left.push(Span::raw(right));
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme::title_bar()), area);
}

pub fn status(frame: &mut Frame, area: Rect, app: &App) {
    let target = match &app.target {
        None => Span::styled(" detecting target…", theme::muted()),
        Some(t) if t.problem.is_some() => Span::styled(format!(" ⚠ {}", t.summary()), theme::flash(crate::app::Level::Warning)),
        Some(t) if t.kube.is_none() && t.aws.is_none() => Span::styled(" no cluster configured", theme::muted()),
        Some(t) => Span::raw(format!(" {}", t.summary())),
    };
    let mut left = vec![target];
    if let Some(prompt) = search_prompt(app) {
        left.push(Span::styled(format!("  /{prompt}▏"), theme::key_hint()));
    } else if let Some(flash) = &app.flash {
        left.push(Span::styled(format!("  {}", flash.text), theme::flash(flash.level)));
    } else if let Some(status) = app.workshop.as_ref().and_then(|w| w.status()) {
        left.push(Span::styled(format!("  {status}"), theme::flash(crate::app::Level::Warning)));
    }
    let mut hints: Vec<Span> = Vec::new();
    for (key, label) in app.keymap.bar(app.context()) {
        hints.push(Span::styled(key, theme::key_hint()));
        hints.push(Span::styled(format!(" {label}  "), theme::status_bar()));
    }
    let left_w: usize = left.iter().map(|s| s.content.width()).sum();
    // drop hints from the left end until they fit beside the left part
    while !hints.is_empty() && left_w + hints.iter().map(|s| s.content.width()).sum::<usize>() + 1 > usize::from(area.width) {
        hints.drain(..2.min(hints.len()));
    }
    let hints_w: usize = hints.iter().map(|s| s.content.width()).sum();
    let pad = usize::from(area.width).saturating_sub(left_w + hints_w);
    left.push(Span::raw(" ".repeat(pad)));
    left.extend(hints);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme::status_bar()), area);
}

fn search_prompt(app: &App) -> Option<&str> {
    match &app.screen {
        Screen::Lesson(v) => v.reader.search.input.as_deref(),
        Screen::Exercise(v) => v.reader.search.input.as_deref(),
        _ => None,
    }
}
