//! The lesson reader screen.

use ratatui::Frame;

use super::{reader, rect};
use crate::app::App;
use crate::app::lesson::LessonView;
use crate::input::{Command, Context};

pub fn draw(frame: &mut Frame, app: &App, view: &LessonView) {
    let copy = app.key_for(Context::Lesson, Command::CopyBlock);
    reader::draw(frame, rect(app.geometry.lesson), &view.reader, &copy);
}
