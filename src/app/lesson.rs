//! The lesson reader screen.

use super::reader::Reader;
use super::{App, Effect, Level, Screen};
use crate::content::{ItemRef, Lesson};
use crate::input::Command;
use crate::progress::Position;

pub struct LessonView {
    pub index: usize,
    pub reader: Reader,
}

/// The lesson as shown: its title, time and objectives, then the body (without a repeated title).
pub fn lesson_markdown(lesson: &Lesson) -> String {
    let mut md = format!("# {}\n\n*{} min", lesson.title, lesson.minutes);
    if !lesson.tags.is_empty() {
        md.push_str(&format!(" · {}", lesson.tags.join(", ")));
    }
    md.push_str("*\n\n");
    if !lesson.objectives.is_empty() {
        md.push_str("**After this lesson you can:**\n\n");
        for o in &lesson.objectives {
            md.push_str(&format!("- {o}\n"));
        }
        md.push_str("\n---\n\n");
    }
    let body = lesson.body.text.trim_start();
    let body = match body.strip_prefix("# ") {
        Some(rest) if rest.lines().next().is_some_and(|t| t.trim() == lesson.title) => rest.split_once('\n').map_or("", |(_, b)| b),
        _ => body,
    };
    md.push_str(body);
    md
}

pub fn open(app: &mut App, index: usize) -> Vec<Effect> {
    let now = app.now;
    let lesson = &app.pack.lessons[index];
    let id = lesson.id.clone();
    let area = app.geometry.lesson;
    let mut reader = Reader::new(&lesson_markdown(lesson), area.width, area.height);
    let pp = app.pp_mut();
    let lp = pp.lesson_mut(&id);
    lp.opened_at.get_or_insert(now);
    reader.scroll_to(lp.scroll);
    pp.last = Some(Position { item: id, step: None });
    app.home.select_item(&app.pack.clone(), ItemRef::Lesson(index));
    app.screen = Screen::Lesson(LessonView { index, reader });
    mark_read_if_at_end(app);
    vec![Effect::Save]
}

/// Reaching the end of a lesson completes it.
fn mark_read_if_at_end(app: &mut App) -> bool {
    let now = app.now;
    let Screen::Lesson(view) = &app.screen else { return false };
    if !view.reader.at_end() {
        return false;
    }
    let id = app.pack.lessons[view.index].id.clone();
    let lp = app.pp_mut().lesson_mut(&id);
    if lp.completed_at.is_some() {
        return false;
    }
    lp.completed_at = Some(now);
    app.flash(Level::Success, "Lesson complete ●");
    true
}

/// Remember where the learner was before leaving the lesson.
pub fn leave(app: &mut App) {
    if let Screen::Lesson(view) = &app.screen {
        let (id, scroll) = (app.pack.lessons[view.index].id.clone(), view.reader.scroll);
        app.pp_mut().lesson_mut(&id).scroll = scroll;
    }
}

pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let keys = app.reader_keys(crate::input::Context::Lesson);
    let Screen::Lesson(view) = &mut app.screen else { return vec![] };
    let r = &mut view.reader;
    match cmd {
        Command::Down => r.scroll_by(1),
        Command::Up => r.scroll_by(-1),
        cmd if r.command(cmd, &keys) => {
            if let Some(notice) = r.take_notice() {
                app.flash(super::Level::Info, notice);
            }
        }
        _ => return vec![],
    }
    if mark_read_if_at_end(app) { vec![Effect::Save] } else { vec![] }
}

pub fn scrolled(app: &mut App, delta: isize) -> Vec<Effect> {
    if let Screen::Lesson(view) = &mut app.screen {
        view.reader.scroll_by(delta);
    }
    if mark_read_if_at_end(app) { vec![Effect::Save] } else { vec![] }
}
