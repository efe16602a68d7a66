//! The home screen: the course tree with progress, and the selected item's details.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::theme;
use crate::app::App;
use crate::app::home::{Row, rows};
use crate::content::ItemRef;
use crate::progress::{ItemStatus, PackProgress};

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let pp = app.pack_progress();
    let (tree, details) = if area.width >= 90 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    draw_tree(frame, tree, app, &pp);
    if let (Some(d), Some(item)) = (details, app.home.selected_item(&app.pack)) {
        draw_details(frame, d, app, &pp, item);
    }
}

fn draw_tree(frame: &mut Frame, area: Rect, app: &App, pp: &PackProgress) {
    let pack = &app.pack;
    let selected = app.home.selected_item(pack);
    let rows = rows(pack);
    let sel_row = rows.iter().position(|r| Some(*r) == selected.map(Row::Item)).unwrap_or(0);
    let height = usize::from(area.height);
    // keep the selection in view, with its part title when possible
    let offset = (sel_row + 2).saturating_sub(height);
    let width = usize::from(area.width);
    let mut lesson_no = 0;
    let mut lines = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if let Row::Item(ItemRef::Lesson(_)) = row {
            lesson_no += 1;
        }
        if i < offset || lines.len() >= height {
            continue;
        }
        lines.push(match *row {
            Row::Part(p) => {
                let part = &pack.parts[p];
                let done = part.items.iter().filter(|&&it| pp.status(pack, it) == ItemStatus::Done).count();
                Line::from(vec![
                    Span::styled(format!(" {} ", part.title), theme::part_title()),
                    Span::styled(format!("{done}/{}", part.items.len()), theme::muted()),
                ])
            }
            Row::Item(item) => item_line(app, pp, item, lesson_no, width, Some(item) == selected),
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn item_line<'a>(app: &'a App, pp: &PackProgress, item: ItemRef, lesson_no: usize, width: usize, selected: bool) -> Line<'a> {
    let pack = &app.pack;
    let status = pp.status(pack, item);
    let (label, meta) = match item {
        ItemRef::Lesson(i) => (format!("{lesson_no:>2}. "), format!("{} min", pack.lessons[i].minutes)),
        ItemRef::Exercise(i) => {
            let (done, total) = pp.exercise_counts(&pack.exercises[i]);
            ("Lab ".to_string(), format!("{done}/{total} steps"))
        }
    };
    let running = matches!(item, ItemRef::Exercise(i) if app.running.keys().any(|(e, _)| *e == pack.exercises[i].id));
    let symbol = if running { spinner(app.tick) } else { status.symbol() };
    let title = pack.item_title(item);
    let fixed = 7 + label.width() + meta.width();
    let room = width.saturating_sub(fixed);
    let title = super::ellipsis(title, room);
    let pad = width.saturating_sub(fixed - 1 + title.width());
    let mut spans = vec![
        Span::raw(if selected { " ▶ " } else { "   " }),
        Span::styled(symbol, theme::item_status(status)),
        Span::raw(" "),
        Span::styled(label, theme::muted()),
        Span::raw(title),
        Span::raw(" ".repeat(pad)),
        Span::styled(meta, theme::muted()),
        Span::raw(" "),
    ];
    if selected {
        for s in &mut spans {
            s.style = s.style.patch(theme::selected());
        }
    }
    Line::from(spans)
}

fn draw_details(frame: &mut Frame, area: Rect, app: &App, pp: &PackProgress, item: ItemRef) {
    let pack = &app.pack;
    let status = pp.status(pack, item);
    let mut lines = vec![
        Line::styled(pack.item_title(item).to_string(), theme::part_title()),
        Line::from(vec![Span::styled(status.symbol(), theme::item_status(status)), Span::styled(format!(" {}", status.label()), theme::muted())]),
        Line::raw(""),
    ];
    match item {
        ItemRef::Lesson(i) => {
            let l = &pack.lessons[i];
            lines.push(Line::styled(format!("Lesson · {} min · {}", l.minutes, l.tags.join(", ")), theme::muted()));
            lines.push(Line::raw(""));
            lines.push(Line::styled("You will be able to:", theme::muted()));
            lines.extend(l.objectives.iter().map(|o| Line::raw(format!("• {o}"))));
        }
        ItemRef::Exercise(i) => {
            let ex = &pack.exercises[i];
            let (done, total) = pp.exercise_counts(ex);
            lines.push(Line::styled(format!("Hands-on lab · {} min · {done}/{total} steps", ex.minutes), theme::muted()));
            lines.push(Line::raw(""));
            for (n, step) in ex.steps.iter().enumerate() {
                let sp = pp.step(&ex.id, &step.id);
                let st = match sp {
                    Some(s) if s.done() => ItemStatus::Done,
                    Some(s) if s.opened_at.is_some() => ItemStatus::InProgress,
                    _ => ItemStatus::NotStarted,
                };
                lines.push(Line::from(vec![Span::styled(st.symbol(), theme::item_status(st)), Span::raw(format!(" {}. {}", n + 1, ex.expand(&step.title)))]));
            }
        }
    }
    let block = Block::new().borders(Borders::LEFT).border_style(theme::border()).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

pub fn spinner(tick: u64) -> &'static str {
    const FRAMES: [&str; 4] = ["◴", "◷", "◶", "◵"];
    FRAMES[(tick % 4) as usize]
}
