//! Drawing the terminal board: a pure function of `BoardScreen`.
//!
//! ```text
//!  title: workshop, learners, finished, connection
//!  the instructor's message (when set)
//!  grid: learners x steps (exercise names over step numbers), done count
//!  the cell under the cursor, in words
//!  Stuck (failing longer than N min)  |  Most common failures
//!  status bar: keys, or the message being written
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::state::{BoardScreen, CHROME_ROWS, Conn};
use crate::input::command::Context;
use crate::input::keymap::Keymap;
use crate::workshop::model::{Board, Cell, CellState};

const PANELS: u16 = 7;
const NAME: usize = 18;
const DONE: usize = 7;
const LEGEND: &str = "✓ done ◐ passing ✗ failing ? unchecked ○ opened · not started ⊘ locked ";

/// The text styles the board shares with the rest of the terminal UI, handed in by the caller
/// (`commands::workshop::board_palette` fills it from the UI theme). The cell and connection
/// colours are the board's own.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub title_bar: Style,
    pub status_bar: Style,
    pub key_hint: Style,
    pub muted: Style,
    pub selected: Style,
    pub border: Style,
    pub part_title: Style,
}

fn glyph(cell: Option<&Cell>, p: &Palette) -> (&'static str, Style) {
    match cell.map(|c| c.state) {
        None => ("·", p.muted),
        Some(CellState::Opened) => ("○", Style::new().fg(Color::Rgb(0x5f, 0x87, 0xd7))),
        Some(CellState::Unchecked) => ("?", Style::new().fg(Color::Rgb(0xaf, 0x87, 0xd7))),
        Some(CellState::Failing) => ("✗", Style::new().fg(Color::Rgb(0xff, 0x5f, 0x5f)).add_modifier(Modifier::BOLD)),
        Some(CellState::Passing) => ("◐", Style::new().fg(Color::Rgb(0xff, 0xd7, 0x5f))),
        Some(CellState::Done) => ("✓", Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87))),
    }
}

pub fn minutes(ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    if m < 60 { format!("{m} min") } else { format!("{} h {} min", m / 60, m % 60) }
}

fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) > width {
            if width > 0 {
                out.pop();
                out.push('…');
            }
            return out;
        }
        out.push(c);
    }
    out
}

pub fn render(frame: &mut Frame, s: &BoardScreen, keymap: &Keymap, p: &Palette) {
    // the grid as tall as its learners (up to the page), the panels get the rest
    let rows = s.board.as_ref().map_or(1, |b| b.learners.len().max(1)) as u16;
    let grid_height = (rows + 2).min(frame.area().height.saturating_sub(CHROME_ROWS - 2).max(3));
    let [title, message, grid, detail, panels, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(grid_height),
        Constraint::Length(1),
        Constraint::Min(PANELS),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    title_bar(frame, title, s, p);
    status_bar(frame, status, s, keymap, p);
    let Some(board) = &s.board else {
        let text = match &s.conn {
            Conn::Refused(e) => format!("The server refused the board: {e}"),
            Conn::Down(e) => format!("Cannot reach the server: {e} (retrying)"),
            _ => "Connecting to the workshop server…".to_string(),
        };
        frame.render_widget(Paragraph::new(text).style(p.muted), grid);
        return;
    };
    if let Some(m) = &board.workshop.pacing.message {
        frame.render_widget(Paragraph::new(Line::from(vec![Span::styled(" Message to the room: ", p.key_hint), Span::raw(m.clone())])), message);
    }
    grid_view(frame, grid, s, board, p);
    detail_line(frame, detail, s, board, p);
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(panels);
    stuck_panel(frame, left, s, board, p);
    failures_panel(frame, right, board, p);
}

fn title_bar(frame: &mut Frame, area: Rect, s: &BoardScreen, p: &Palette) {
    let (name, counts) = match &s.board {
        Some(b) => {
            let n = b.workshop.steps.len();
            let finished = b.learners.iter().filter(|l| l.cells.values().filter(|c| c.state == CellState::Done).count() == n).count();
            let closed = if b.workshop.join_open { "" } else { " · joining closed" };
            (format!("{} ({})", b.workshop.name, b.workshop.id), format!("{} learners · {finished} finished{closed}", b.learners.len()))
        }
        None => (String::new(), String::new()),
    };
    let conn = match &s.conn {
        Conn::Connecting => Span::styled("○ connecting ", p.muted),
        Conn::Live => Span::styled("● live ", Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87))),
        Conn::Down(_) => Span::styled("● reconnecting ", Style::new().fg(Color::Rgb(0xff, 0xaf, 0x5f))),
        Conn::Refused(_) => Span::styled("● refused ", Style::new().fg(Color::Rgb(0xff, 0x5f, 0x5f))),
    };
    let right = format!("{counts} · ");
    let room = usize::from(area.width).saturating_sub(right.width() + conn.content.width() + 1);
    let left = fit(&format!(" kubedojo board │ {name}"), room);
    let pad = usize::from(area.width).saturating_sub(left.width() + right.width() + conn.content.width());
    let line = Line::from(vec![Span::raw(left), Span::raw(" ".repeat(pad)), Span::raw(right), conn]);
    frame.render_widget(Paragraph::new(line).style(p.title_bar), area);
}

/// The first step shown: pages of steps, so the cursor's step is always visible.
fn first_step(s: &BoardScreen, visible: usize) -> usize {
    s.col.checked_div(visible).map_or(0, |page| page * visible)
}

fn grid_view(frame: &mut Frame, area: Rect, s: &BoardScreen, board: &Board, p: &Palette) {
    let steps = &board.workshop.steps;
    let visible = (usize::from(area.width).saturating_sub(NAME + DONE) / 2).max(1);
    let first = first_step(s, visible);
    let shown = &steps[first..(first + visible).min(steps.len())];
    // header: exercise names over their steps, then step numbers within the exercise
    let mut ex_line = vec![Span::styled(format!("{:<NAME$}", if first > 0 { "◀" } else { "" }), p.muted)];
    let mut num_line = vec![Span::styled(format!("{:<NAME$}", s.sort.label()), p.muted)];
    let mut i = 0;
    while i < shown.len() {
        let ex = &shown[i].exercise;
        let span = shown[i..].iter().take_while(|st| &st.exercise == ex).count();
        let locked = board.workshop.pacing.locked.contains(ex);
        let label = fit(&format!("{}{ex}", if locked { "⊘" } else { "" }), span * 2 - 1);
        let padded = format!("{label}{}", " ".repeat((span * 2).saturating_sub(label.width())));
        ex_line.push(Span::styled(padded, if locked { Style::new().fg(Color::Rgb(0xff, 0xaf, 0x5f)) } else { p.part_title }));
        let start = steps.iter().position(|st| &st.exercise == ex).unwrap_or(0);
        for k in 0..span {
            let n = first + i + k - start + 1;
            let style = if first + i + k == s.col { p.selected } else { p.muted };
            num_line.push(Span::styled(format!("{:<2}", n % 100), style));
        }
        i += span;
    }
    if first + visible < steps.len() {
        ex_line.push(Span::styled(" ▶", p.muted));
    }
    num_line.push(Span::styled(" done", p.muted));
    let mut lines = vec![Line::from(ex_line), Line::from(num_line)];
    let threshold = board.workshop.stuck_after_secs * 1000;
    let rows = s.rows();
    for (r, l) in rows.iter().enumerate().skip(s.scroll).take(usize::from(area.height).saturating_sub(2)) {
        let selected = r == s.row;
        let name_style = if selected { p.selected } else { Style::new() };
        let mut spans = vec![Span::styled(format!("{:<NAME$}", fit(&l.name, NAME - 1)), name_style)];
        for (k, st) in shown.iter().enumerate() {
            let cell = l.cells.get(&st.key());
            let (g, mut style) = glyph(cell, p);
            if cell.is_some_and(|c| c.state == CellState::Failing && c.failing_since.is_some_and(|t| s.now - t > threshold)) {
                style = style.bg(Color::Rgb(0x5f, 0x00, 0x00));
            }
            if selected && first + k == s.col {
                style = style.add_modifier(Modifier::REVERSED);
            }
            spans.push(Span::styled(g, style));
            spans.push(Span::raw(" "));
        }
        let done = steps.iter().filter(|st| l.cells.get(&st.key()).is_some_and(|c| c.state == CellState::Done)).count();
        spans.push(Span::styled(format!("{done:>2}/{}", steps.len()), p.muted));
        lines.push(Line::from(spans));
    }
    if rows.is_empty() {
        lines.push(Line::styled("No learners yet: they join with `kubedojo join URL CODE --name \"...\"`.", p.muted));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn detail_line(frame: &mut Frame, area: Rect, s: &BoardScreen, board: &Board, p: &Palette) {
    let Some(step) = board.workshop.steps.get(s.col) else { return };
    let key = step.key();
    let locked = if board.workshop.pacing.locked.contains(&step.exercise) { " · locked" } else { "" };
    let mut spans = vec![Span::styled(format!(" {key}"), p.key_hint), Span::styled(format!(" {}{locked}", step.title), p.muted)];
    if let Some(l) = s.rows().get(s.row) {
        let text = match l.cells.get(&key) {
            None => format!(" │ {}: not started", l.name),
            Some(c) => {
                let mut t = format!(" │ {}: {}", l.name, c.state.as_str());
                if let (CellState::Failing, Some(since)) = (c.state, c.failing_since) {
                    t.push_str(&format!(" for {}", minutes(s.now - since)));
                }
                t.push_str(&format!(", {} runs, {} hints{}", c.checks, c.hints, if c.solution { ", solution shown" } else { "" }));
                if let Some(m) = &c.message {
                    t.push_str(&format!(": {m}"));
                }
                t
            }
        };
        spans.push(Span::raw(text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn panel(title: String, p: &Palette) -> Block<'static> {
    Block::new().borders(Borders::TOP).border_style(p.border).title(Span::styled(title, p.part_title))
}

fn stuck_panel(frame: &mut Frame, area: Rect, s: &BoardScreen, board: &Board, p: &Palette) {
    let stuck = board.stuck(s.now);
    let title = format!(" Stuck: failing over {} ({}) ", minutes(board.workshop.stuck_after_secs * 1000), stuck.len());
    let lines: Vec<Line> = if stuck.is_empty() {
        vec![Line::styled("nobody", p.muted)]
    } else {
        stuck
            .iter()
            .map(|(l, key, ms)| {
                let msg = l.cells.get(*key).and_then(|c| c.message.clone()).unwrap_or_default();
                Line::from(vec![
                    Span::styled(format!("{} ", fit(&l.name, 14)), Style::new().add_modifier(Modifier::BOLD)),
                    Span::styled(format!("{key} "), p.key_hint),
                    Span::raw(format!("{} {msg}", minutes(*ms))),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(panel(title, p)), area);
}

fn failures_panel(frame: &mut Frame, area: Rect, board: &Board, p: &Palette) {
    let lines: Vec<Line> = if board.failures.is_empty() {
        vec![Line::styled("no failing checks", p.muted)]
    } else {
        board
            .failures
            .iter()
            .map(|f| {
                let count = format!("{} ", f.learners);
                Line::from(vec![
                    Span::styled(count.clone(), Style::new().fg(Color::Rgb(0xff, 0xd7, 0x5f)).add_modifier(Modifier::BOLD)),
                    Span::styled(format!("{} ", f.step), p.key_hint),
                    Span::raw(f.message.clone()),
                ])
            })
            .collect()
    };
    // the title says how to read a line when there is room for it (at 80 columns there is not)
    let long = " Most common failures (learners · step · message) ";
    let title = if long.chars().count() <= usize::from(area.width) { long } else { " Most common failures " };
    // whole messages, wrapped: this is what the instructor reads out to the room
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(panel(title.to_string(), p)), area);
}

fn status_bar(frame: &mut Frame, area: Rect, s: &BoardScreen, keymap: &Keymap, p: &Palette) {
    let line = if let Some(text) = &s.typing {
        Line::from(vec![
            Span::styled(" Message to every learner: ", p.key_hint),
            Span::raw(format!("{text}▏")),
            Span::styled("  (enter send · esc cancel)", p.muted),
        ])
    } else if let Some(f) = &s.flash {
        Line::from(Span::raw(format!(" {f}")))
    } else {
        let mut spans = vec![Span::raw(" ")];
        for (key, label) in keymap.bar(Context::Board).into_iter().filter(|(_, label)| *label != "help") {
            spans.push(Span::styled(key, p.key_hint));
            spans.push(Span::raw(format!(" {label}  ")));
        }
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        if used + LEGEND.width() < usize::from(area.width) {
            spans.push(Span::raw(" ".repeat(usize::from(area.width) - used - LEGEND.width())));
            spans.push(Span::styled(LEGEND, p.muted));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line).style(p.status_bar), area);
}
