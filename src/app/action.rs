//! Everything that can change the state: terminal input and the results of background work.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::checks::StepRun;
use crate::target::TargetInfo;

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    Tick,
    TargetDetected(TargetInfo),
    ChecksFinished {
        exercise: String,
        step: String,
        run: StepRun,
        id: u64,
    },
    /// What the open step's checks read changed: run them again.
    Changed {
        exercise: String,
        step: String,
    },
    Saved(Result<(), String>),
    /// A mock-interview transcript was written (its path) or not.
    TranscriptSaved(Result<String, String>),
    TranscriptsListed(Vec<crate::drill::mock::Saved>),
    TranscriptRead(std::path::PathBuf, Result<String, String>),
    ScenarioDone {
        id: String,
        outcome: super::scenarios::ScenarioOutcome,
    },
    /// From the workshop reporter: the instructor's pacing, or how delivery goes.
    Workshop(crate::workshop::client::reporter::Notice),
    /// SIGTERM, SIGHUP, SIGINT, SIGQUIT, or the terminal went away: leave as `quit` does.
    Terminate,
}

/// A screen asked for by another screen (a lab card opens its step, the drills open the
/// statistics): `update` leaves the current screen, then opens it.
#[derive(Debug, Clone, PartialEq)]
pub enum Go {
    Drill(Option<String>),
    Mock(crate::drill::mock::MockConfig),
    Stats,
    Transcripts,
    Scenarios,
    /// An exercise, at a step (None: where the learner was, else the first open step).
    Exercise {
        index: usize,
        step: Option<usize>,
    },
}

/// What a screen's handler asks for: effects for the runtime, and perhaps another screen.
#[derive(Debug, Default)]
pub struct Reply {
    pub effects: Vec<Effect>,
    pub go: Option<Go>,
}

impl Reply {
    pub fn go(to: Go) -> Reply {
        Reply { effects: vec![], go: Some(to) }
    }
}

impl From<Vec<Effect>> for Reply {
    fn from(effects: Vec<Effect>) -> Reply {
        Reply { effects, go: None }
    }
}

/// Work the runtime does for the state: I/O and tasks. `update` never does I/O itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Save the progress (the runtime serializes the current state and writes it atomically).
    Save,
    /// Run a step's checks (with the run's id); a previous run of the same step is cancelled.
    RunChecks(crate::checks::CheckRequest, u64),
    /// Watch what this step's checks read (None: stop watching).
    Watch(Option<crate::checks::CheckRequest>),
    /// Put text on the clipboard through the terminal (OSC 52).
    Copy(String),
    /// Write a mock-interview transcript into the transcripts folder.
    SaveTranscript {
        started_at: u64,
        text: String,
    },
    /// Read the list of saved transcripts in this folder.
    ListTranscripts(std::path::PathBuf),
    ReadTranscript(std::path::PathBuf),
    /// Start, check or reset a break-fix scenario (a start or reset only after a yes).
    Scenario(super::scenarios::ScenarioOp),
    /// Tell a workshop the learner joined what they just did (the reporter filters and sends).
    Progress(crate::progress::event::ProgressEvent),
    Quit,
}

impl PartialEq for crate::checks::CheckRequest {
    fn eq(&self, other: &Self) -> bool {
        self.exercise == other.exercise && self.step == other.step && self.checks == other.checks
    }
}
