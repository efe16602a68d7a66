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

/// The gap kept between the message on the left and the key hints on the right.
const GAP: usize = 2;

pub fn status(frame: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let (target, target_style) = match &app.target {
        None => (" detecting target…".to_string(), theme::muted()),
        Some(t) if t.problem.is_some() => (format!(" ⚠ {}", t.summary()), theme::flash(crate::app::Level::Warning)),
        Some(t) if t.kube.is_none() && t.aws.is_none() => (" no cluster configured".to_string(), theme::muted()),
        Some(t) => (format!(" {}", t.summary()), theme::status_bar()),
    };
    // the target takes at most half the bar, always: the message and the key hints need the rest
    let target = shorten(&target, width / 2);
    let message = if let Some(prompt) = search_prompt(app) {
        Some(Message { text: format!("/{prompt}▏"), style: theme::key_hint(), prompt: true })
    } else if let Some(flash) = &app.flash {
        Some(Message { text: flash.text.clone(), style: theme::flash(flash.level), prompt: false })
    } else {
        app.workshop.as_ref().and_then(|w| w.status()).map(|text| Message { text, style: theme::flash(crate::app::Level::Warning), prompt: false })
    };
    let mut hints: Vec<Span> = Vec::new();
    for (key, label) in app.keymap.bar(app.context()) {
        hints.push(Span::styled(key, theme::key_hint()));
        hints.push(Span::styled(format!(" {label}  "), theme::status_bar()));
    }
    let target_w = target.width();
    let message_w = message.as_ref().map_or(0, |m| GAP + m.text.width());
    let hints_w = |h: &[Span]| h.iter().map(|s| s.content.width()).sum::<usize>();
    // drop hints from the left end until the message fits beside them, a gap apart
    while !hints.is_empty() && target_w + message_w + GAP + hints_w(&hints) > width {
        hints.drain(..2.min(hints.len()));
    }
    let mut left = vec![Span::styled(target, target_style)];
    if let Some(m) = message {
        let room = width.saturating_sub(target_w + GAP + if hints.is_empty() { 0 } else { GAP + hints_w(&hints) });
        left.push(Span::raw(" ".repeat(GAP)));
        if m.text.width() <= room {
            left.push(Span::styled(m.text, m.style));
        } else if m.prompt {
            // what is being typed stays in view
            left.push(Span::styled(super::ellipsis_start(&m.text, room), m.style));
        } else {
            // cut (a path in its middle, keeping the file name), and say how to read it whole
            let more = format!(" {} whole", app.key_for(crate::input::Context::Global, crate::input::Command::LastMessage));
            left.push(Span::styled(shorten(&m.text, room.saturating_sub(more.width())), m.style));
            if room > more.width() {
                left.push(Span::styled(more, theme::key_hint()));
            }
        }
    }
    let left_w = hints_w(&left);
    let pad = width.saturating_sub(left_w + hints_w(&hints));
    left.push(Span::raw(" ".repeat(pad)));
    left.extend(hints);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme::status_bar()), area);
}

struct Message {
    text: String,
    style: ratatui::style::Style,
    /// The search prompt: cut at its start, not its end.
    prompt: bool,
}

/// `text` in at most `width` columns: its longest paths lose their middle first
/// (`/home/me/.local/share/kubedojo/progress.json` → `/home/…/progress.json`), then its end.
pub(crate) fn shorten(text: &str, width: usize) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
    let total = |w: &[String]| w.iter().map(|s| s.width()).sum::<usize>() + w.len().saturating_sub(1);
    let mut paths: Vec<usize> = (0..words.len()).filter(|&i| words[i].matches('/').count() >= 2).collect();
    paths.sort_by_key(|&i| std::cmp::Reverse(words[i].width()));
    for i in paths {
        let over = total(&words).saturating_sub(width);
        if over == 0 {
            break;
        }
        words[i] = shorten_path(&words[i], words[i].width().saturating_sub(over));
    }
    super::ellipsis(&words.join(" "), width)
}

/// A path in at most `width` columns, its middle parts replaced by `…` one at a time; the last
/// part (the file name) stays whole while anything else can go.
fn shorten_path(path: &str, width: usize) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    if path.width() <= width || parts.len() < 3 {
        return path.to_string();
    }
    let last = parts.len() - 1;
    // keep the first part (`/home` of an absolute path) and the last `keep` parts; the rest becomes …
    let head = if parts[0].is_empty() { 2 } else { 1 };
    for keep in (1..last.saturating_sub(head) + 1).rev() {
        let candidate = format!("{}/…/{}", parts[..head].join("/"), parts[last + 1 - keep..].join("/"));
        if candidate.width() <= width {
            return candidate;
        }
    }
    format!("…/{}", parts[last])
}

fn search_prompt(app: &App) -> Option<&str> {
    match &app.screen {
        Screen::Lesson(v) => v.reader.search.input.as_deref(),
        Screen::Exercise(v) => v.reader.search.input.as_deref(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_loses_its_middle_not_its_file_name() {
        let msg = "Progress saved to /home/learner/.local/share/kubedojo/progress.json after the step";
        assert_eq!(shorten(msg, 200), msg);
        let cut = shorten(msg, 60);
        assert_eq!(cut, "Progress saved to /home/…/progress.json after the step");
        assert!(cut.width() <= 60);
        assert_eq!(shorten(msg, 64), "Progress saved to /home/…/kubedojo/progress.json after the step");
        // too long even so: the end is cut with an ellipsis
        let short = shorten(msg, 30);
        assert!(short.ends_with('…') && short.width() <= 30, "{short}");
    }

    #[test]
    fn a_prompt_keeps_its_end() {
        assert_eq!(crate::ui::ellipsis_start("/a long search query▏", 8), "… query▏");
        assert_eq!(crate::ui::ellipsis_start("/q▏", 8), "/q▏");
    }
}
