//! The terminal board's state, updated by messages (stream, keys, ticks); one owner.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::input::command::{Command, Context};
use crate::input::keymap::Keymap;
use crate::workshop::client::instructor::StreamMessage;
use crate::workshop::model::{Board, CellState, LearnerRow, PacingChange};

/// Rows that are not learner rows: title, message, two header rows, detail, panels (7),
/// status bar (the layout `render.rs` draws).
pub const CHROME_ROWS: u16 = 13;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Live,
    Down(String),
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    /// Fewest steps done first: who is behind.
    Progress,
    /// Longest stuck first.
    Stuck,
}

impl Sort {
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "by name",
            Sort::Progress => "behind first",
            Sort::Stuck => "stuck first",
        }
    }
}

pub enum Msg {
    Stream(StreamMessage),
    Key(KeyEvent),
    /// The clock, Unix ms (stuck times move on without events).
    Tick(i64),
    Resize(u16, u16),
    /// A pacing change done (the text to show) or refused.
    Paced(Result<String, String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Pace(PacingChange),
    Quit,
}

#[derive(Debug, Clone)]
pub struct BoardScreen {
    pub board: Option<Board>,
    pub conn: Conn,
    pub row: usize,
    pub col: usize,
    pub scroll: usize,
    pub sort: Sort,
    /// The server's clock (Unix ms), moved on by ticks.
    pub now: i64,
    /// The message being written (m).
    pub typing: Option<String>,
    pub flash: Option<String>,
    pub size: (u16, u16),
}

impl BoardScreen {
    pub fn new(size: (u16, u16)) -> BoardScreen {
        BoardScreen { board: None, conn: Conn::Connecting, row: 0, col: 0, scroll: 0, sort: Sort::Stuck, now: 0, typing: None, flash: None, size }
    }

    /// The learners in display order.
    pub fn rows(&self) -> Vec<&LearnerRow> {
        let Some(b) = &self.board else { return Vec::new() };
        let mut rows: Vec<&LearnerRow> = b.learners.iter().collect();
        let done = |l: &LearnerRow| l.cells.values().filter(|c| c.state == CellState::Done).count();
        let stuck_since = |l: &LearnerRow| l.cells.values().filter(|c| c.state == CellState::Failing).filter_map(|c| c.failing_since).min().unwrap_or(i64::MAX);
        match self.sort {
            Sort::Name => rows.sort_by_key(|l| l.name.to_lowercase()),
            Sort::Progress => rows.sort_by(|a, b| done(a).cmp(&done(b)).then_with(|| a.name.cmp(&b.name))),
            Sort::Stuck => rows.sort_by(|a, b| stuck_since(a).cmp(&stuck_since(b)).then_with(|| a.name.cmp(&b.name))),
        }
        rows
    }

    /// Learner rows that fit the grid (kept in step with the layout in `render.rs`).
    pub fn page(&self) -> usize {
        usize::from(self.size.1.saturating_sub(CHROME_ROWS)).max(1)
    }

    pub fn update(&mut self, msg: Msg, keymap: &Keymap) -> Option<Effect> {
        match msg {
            Msg::Stream(StreamMessage::Board(b)) => {
                self.now = b.now;
                self.board = Some(*b);
                self.conn = Conn::Live;
            }
            Msg::Stream(StreamMessage::Update(u)) => {
                self.now = u.now;
                if let Some(b) = &mut self.board {
                    b.apply(u);
                }
                self.conn = Conn::Live;
            }
            Msg::Stream(StreamMessage::Disconnected(e)) => self.conn = Conn::Down(e),
            Msg::Stream(StreamMessage::Refused(e)) => self.conn = Conn::Refused(e),
            Msg::Tick(now) => self.now = self.now.max(now),
            Msg::Resize(w, h) => self.size = (w, h),
            Msg::Paced(Ok(text)) | Msg::Paced(Err(text)) => self.flash = Some(text),
            Msg::Key(k) => return self.key(k, keymap),
        }
        self.clamp();
        None
    }

    fn key(&mut self, k: KeyEvent, keymap: &Keymap) -> Option<Effect> {
        if keymap.lookup(Context::Global, k) == Some(Command::ForceQuit) {
            return Some(Effect::Quit);
        }
        if let Some(text) = &mut self.typing {
            match keymap.lookup(Context::Search, k) {
                Some(Command::Accept) => {
                    let message = self.typing.take().unwrap_or_default();
                    return Some(Effect::Pace(PacingChange { message: Some(message), ..Default::default() }));
                }
                Some(Command::Cancel) => self.typing = None,
                Some(Command::DeleteChar) => {
                    text.pop();
                }
                _ => {
                    if let KeyCode::Char(c) = k.code
                        && !k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                        && text.chars().count() < crate::workshop::model::MAX_MESSAGE
                    {
                        text.push(c);
                    }
                }
            }
            return None;
        }
        self.flash = None;
        let steps = self.board.as_ref().map_or(0, |b| b.workshop.steps.len());
        let learners = self.board.as_ref().map_or(0, |b| b.learners.len());
        match keymap.lookup(Context::Board, k)? {
            Command::Quit => return Some(Effect::Quit),
            Command::Up => self.row = self.row.saturating_sub(1),
            Command::Down => self.row = (self.row + 1).min(learners.saturating_sub(1)),
            Command::PageUp => self.row = self.row.saturating_sub(self.page()),
            Command::PageDown => self.row = (self.row + self.page()).min(learners.saturating_sub(1)),
            Command::Top => self.row = 0,
            Command::Bottom => self.row = learners.saturating_sub(1),
            Command::PrevItem => self.col = self.col.saturating_sub(1),
            Command::NextItem => self.col = (self.col + 1).min(steps.saturating_sub(1)),
            Command::Sort => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Progress,
                    Sort::Progress => Sort::Stuck,
                    Sort::Stuck => Sort::Name,
                };
                self.flash = Some(format!("Learners sorted {}.", self.sort.label()));
            }
            Command::Lock => {
                let b = self.board.as_ref()?;
                let exercise = b.workshop.steps.get(self.col)?.exercise.clone();
                let locked = b.workshop.pacing.locked.contains(&exercise);
                return Some(Effect::Pace(if locked {
                    PacingChange { release: vec![exercise], ..Default::default() }
                } else {
                    PacingChange { lock: vec![exercise], ..Default::default() }
                }));
            }
            Command::Message => self.typing = Some(self.board.as_ref().and_then(|b| b.workshop.pacing.message.clone()).unwrap_or_default()),
            _ => {}
        }
        self.clamp();
        None
    }

    fn clamp(&mut self) {
        let (steps, learners) = self.board.as_ref().map_or((0, 0), |b| (b.workshop.steps.len(), b.learners.len()));
        self.row = self.row.min(learners.saturating_sub(1));
        self.col = self.col.min(steps.saturating_sub(1));
        let page = self.page();
        if self.row < self.scroll {
            self.scroll = self.row;
        } else if self.row >= self.scroll + page {
            self.scroll = self.row + 1 - page;
        }
        self.scroll = self.scroll.min(learners.saturating_sub(page.min(learners)));
    }
}
