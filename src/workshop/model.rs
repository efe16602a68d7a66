//! What the workshop server and its clients exchange (JSON over HTTP), and the board's model.
//!
//! One place for the wire types: the server (`server/`), the learner's reporter
//! (`client/outbox.rs`), the terminal board (`client/board.rs`) and the web board
//! (`assets/workshop/board.js`) all read these shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Limits the server enforces (and the client respects before sending).
pub const MAX_NAME: usize = 80;
pub const MAX_MESSAGE: usize = 500;
pub const MAX_ID: usize = 80;
pub const MAX_BATCH: usize = 200;
pub const MAX_BODY: usize = 256 * 1024;

/// One step of the workshop's course: a column of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRef {
    pub exercise: String,
    pub step: String,
    pub title: String,
}

impl StepRef {
    pub fn key(&self) -> String {
        format!("{}/{}", self.exercise, self.step)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
    /// The learner token of an earlier join on this machine: the same learner joins again
    /// (its board row kept, the name updated) instead of a second learner being made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejoin: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinResponse {
    pub workshop: String,
    pub workshop_name: String,
    pub learner: String,
    /// The learner's bearer token: shown once, stored hashed on the server.
    pub token: String,
    pub steps: Vec<StepRef>,
    /// The request's `rejoin` token was this workshop's learner: the same learner again.
    #[serde(default)]
    pub rejoined: bool,
}

/// What happened in a learner's lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    StepOpened,
    /// A run of a step's checks: `status` pass or fail, `message` the first failure.
    Check,
    HintRevealed,
    SolutionRevealed,
    StepCompleted,
    /// A drill session's score: `detail` {reviewed, correct}.
    Drill,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    /// No check failed, but some could not decide (skipped: no cluster or AWS account to read;
    /// errored: the API did not answer): the learner is not failing the step, their checks did
    /// not run, and `message` says why.
    Unchecked,
}

/// One progress event. `id` is the idempotency key: the server stores each (learner, id)
/// once, so a batch re-sent after a lost acknowledgement is not counted twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// When it happened, Unix milliseconds (the learner's clock).
    pub at: i64,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CheckStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Hints revealed so far (hint events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<u32>,
    /// Drill score (drill events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventBatch {
    pub events: Vec<Event>,
    /// The learner's clock when the batch was sent (Unix ms): the server corrects event times
    /// by the difference to its own clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
}

/// The server's answer to a batch: every id it now holds (new or already stored).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ack {
    pub stored: Vec<String>,
    pub duplicates: usize,
    pub pacing: Pacing,
}

/// What the instructor set for the room: locked exercises and a message for every status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pacing {
    pub locked: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_at: Option<i64>,
}

/// A change of pacing (instructor).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacingChange {
    #[serde(default)]
    pub lock: Vec<String>,
    #[serde(default)]
    pub release: Vec<String>,
    /// Some(""): clear the message.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinCodeAction {
    Rotate,
    Close,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinCodeRequest {
    pub action: JoinCodeAction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinCodeResponse {
    /// The new code (rotate), None when closed.
    pub code: Option<String>,
}

/// Where a learner is on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    Opened,
    /// The last check run could not decide (skipped or errored), `message` says why: not failing.
    Unchecked,
    Failing,
    Passing,
    Done,
}

impl CellState {
    pub fn as_str(self) -> &'static str {
        match self {
            CellState::Opened => "opened",
            CellState::Unchecked => "unchecked",
            CellState::Failing => "failing",
            CellState::Passing => "passing",
            CellState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<CellState> {
        Some(match s {
            "opened" => CellState::Opened,
            "unchecked" => CellState::Unchecked,
            "failing" => CellState::Failing,
            "passing" => CellState::Passing,
            "done" => CellState::Done,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub state: CellState,
    /// Since when the step's checks have been failing (Unix ms), while failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub checks: u32,
    pub hints: u32,
    pub solution: bool,
    pub updated_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerRow {
    pub id: String,
    pub name: String,
    pub joined_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<i64>,
    /// The step the learner opened last ("exercise/step").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    pub drill_reviewed: u32,
    pub drill_correct: u32,
    /// Keyed by "exercise/step".
    pub cells: BTreeMap<String, Cell>,
}

/// How many learners see the same failure on one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonFailure {
    pub step: String,
    pub message: String,
    pub learners: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopInfo {
    pub id: String,
    pub name: String,
    pub steps: Vec<StepRef>,
    pub stuck_after_secs: i64,
    pub join_open: bool,
    pub pacing: Pacing,
}

/// The whole board (GET /api/workshops/{id}/board, and the first message of the stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub workshop: WorkshopInfo,
    pub learners: Vec<LearnerRow>,
    pub failures: Vec<CommonFailure>,
    /// The server's clock when this was read (Unix ms).
    pub now: i64,
}

/// A change to the board (the stream's `update` messages): changed learners replace their
/// rows; `failures` replaces the whole list; `workshop` is present when pacing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardUpdate {
    pub learners: Vec<LearnerRow>,
    pub failures: Vec<CommonFailure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workshop: Option<WorkshopInfo>,
    pub now: i64,
}

impl Board {
    pub fn apply(&mut self, update: BoardUpdate) {
        for row in update.learners {
            match self.learners.iter_mut().find(|l| l.id == row.id) {
                Some(existing) => *existing = row,
                None => self.learners.push(row),
            }
        }
        self.failures = update.failures;
        if let Some(w) = update.workshop {
            self.workshop = w;
        }
        self.now = update.now;
    }

    /// Learners stuck: the same step failing for longer than the workshop's threshold.
    /// (learner name, step key, failing for ms), longest first.
    pub fn stuck(&self, now: i64) -> Vec<(&LearnerRow, &str, i64)> {
        let threshold = self.workshop.stuck_after_secs * 1000;
        let mut out: Vec<_> = self
            .learners
            .iter()
            .flat_map(|l| {
                l.cells.iter().filter_map(move |(key, c)| {
                    let since = c.failing_since.filter(|_| c.state == CellState::Failing)?;
                    (now - since > threshold).then_some((l, key.as_str(), now - since))
                })
            })
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.name.cmp(&b.0.name)));
        out
    }

    /// Learners who completed each step, in step order.
    pub fn completion(&self) -> Vec<(String, usize)> {
        self.workshop
            .steps
            .iter()
            .map(|s| {
                let key = s.key();
                let done = self.learners.iter().filter(|l| l.cells.get(&key).is_some_and(|c| c.state == CellState::Done)).count();
                (key, done)
            })
            .collect()
    }
}

/// An error body from the server: `{"error": "..."}` with a 4xx or 5xx status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: String,
}

/// Characters a name or message may not hold: control characters (but newline and tab in
/// messages) and the invisible format characters that reorder or hide text (bidi overrides,
/// zero-width characters).
pub fn forbidden_char(c: char, multiline: bool) -> bool {
    (c.is_control() && !(multiline && (c == '\n' || c == '\t')))
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A message made safe to send: forbidden characters removed, at most `MAX_MESSAGE` long.
pub fn clean_message(message: &str) -> String {
    let clean: String = message.chars().filter(|c| !forbidden_char(*c, true)).collect();
    if clean.chars().count() <= MAX_MESSAGE { clean } else { clean.chars().take(MAX_MESSAGE - 1).chain(['…']).collect() }
}

/// Current Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
