//! Saved mock-interview transcripts: the list (read in the background), and one opened in a
//! reader.

use std::path::PathBuf;

use super::reader::Reader;
use super::{App, Effect, Level, Screen};
use crate::drill::mock::Saved;
use crate::input::Command;

#[derive(Debug, Clone, Default)]
pub struct TranscriptsView {
    /// `None` while the folder is being read.
    pub list: Option<Vec<Saved>>,
    pub selected: usize,
    /// The transcript being read: its title and text.
    pub open: Option<(String, Reader)>,
    pub dir: Option<PathBuf>,
}

pub fn open(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    let dir = crate::drill::mock::transcripts_dir();
    app.screen = Screen::Transcripts(TranscriptsView { dir: dir.clone(), ..Default::default() });
    match dir {
        Some(d) => effects.push(Effect::ListTranscripts(d)),
        None => {
            if let Screen::Transcripts(v) = &mut app.screen {
                v.list = Some(Vec::new());
            }
            app.flash(Level::Warning, "No data folder on this system: set KUBEDOJO_DATA_DIR to keep transcripts.");
        }
    }
    effects
}

pub fn listed(app: &mut App, list: Vec<Saved>) {
    if let Screen::Transcripts(v) = &mut app.screen {
        v.selected = v.selected.min(list.len().saturating_sub(1));
        v.list = Some(list);
    }
}

pub fn read(app: &mut App, path: PathBuf, text: Result<String, String>) {
    let g = app.geometry;
    match text {
        Ok(text) => {
            if let Screen::Transcripts(v) = &mut app.screen {
                let title = text.lines().next().unwrap_or_default().trim_start_matches('#').trim().to_string();
                v.open = Some((title, Reader::new(&text, g.lesson.width, g.lesson.height)));
            }
        }
        Err(e) => app.flash(Level::Warning, format!("Cannot read {}: {e}", path.display())),
    }
}

pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let Screen::Transcripts(v) = &mut app.screen else { return vec![] };
    if let Some((_, reader)) = &mut v.open {
        match cmd {
            Command::Down => reader.scroll_by(1),
            Command::Up => reader.scroll_by(-1),
            Command::PageDown | Command::HalfPageDown => reader.scroll_by(reader.page()),
            Command::PageUp | Command::HalfPageUp => reader.scroll_by(-reader.page()),
            Command::Top => reader.scroll_to(0),
            Command::Bottom => reader.scroll_to(usize::MAX),
            Command::Back => v.open = None,
            _ => {}
        }
        return vec![];
    }
    let n = v.list.as_ref().map_or(0, Vec::len);
    match cmd {
        Command::Down => v.selected = (v.selected + 1).min(n.saturating_sub(1)),
        Command::Up => v.selected = v.selected.saturating_sub(1),
        Command::Top => v.selected = 0,
        Command::Bottom => v.selected = n.saturating_sub(1),
        Command::Open => {
            if let Some(s) = v.list.as_ref().and_then(|l| l.get(v.selected)) {
                return vec![Effect::ReadTranscript(s.path.clone())];
            }
        }
        Command::Back => {
            app.screen = Screen::Home;
        }
        _ => {}
    }
    vec![]
}
