//! What a key can ask for. Key bindings (data, `keymap.toml`) name these in kebab-case.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Help,
    /// The newest status message in full, in a box.
    LastMessage,
    ForceQuit,
    Quit,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    Open,
    NextSection,
    PrevSection,
    Search,
    NextMatch,
    PrevMatch,
    NextBlock,
    PrevBlock,
    CopyBlock,
    /// Readers: select the next / previous link into the course, and open the selected one.
    NextLink,
    PrevLink,
    OpenLink,
    NextItem,
    PrevItem,
    RunChecks,
    Hint,
    Solution,
    MarkDone,
    ResetItem,
    ResetAll,
    ResetStep,
    ResetExercise,
    Yes,
    No,
    Accept,
    Cancel,
    DeleteChar,
    /// Home: open the drills, a mock interview, statistics, saved transcripts.
    Drill,
    Mock,
    Stats,
    Transcripts,
    /// Drills: pick the option under the cursor, tick a key point.
    Select,
    /// Drills: move the selected step of an ordering card.
    MoveDown,
    MoveUp,
    /// Drills: the four FSRS grades.
    Again,
    Hard,
    Good,
    Easy,
    /// Drills: the next topic filter.
    Topic,
    /// Home: the break-fix scenarios.
    Scenarios,
    /// Scenarios: inject the fault (asks first).
    Start,
    /// Workshop board: lock or release the exercise under the cursor.
    Lock,
    /// Workshop board: write a message to every learner's status bar.
    Message,
    /// Workshop board: the next sort order of the learners.
    Sort,
}

impl Command {
    /// Its name as keymap.toml writes it (`next-block`): the variant's name in kebab-case, as
    /// serde's `rename_all` reads it.
    pub fn name(self) -> String {
        let mut out = String::new();
        for (i, c) in format!("{self:?}").chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The key command of an FSRS grade (drills and mock interviews share them).
    pub fn for_grade(g: crate::progress::drill::Grade) -> Self {
        use crate::progress::drill::Grade;
        match g {
            Grade::Again => Self::Again,
            Grade::Hard => Self::Hard,
            Grade::Good => Self::Good,
            Grade::Easy => Self::Easy,
        }
    }

    /// The grade a command gives, if it is one of the four.
    pub fn grade(self) -> Option<crate::progress::drill::Grade> {
        use crate::progress::drill::Grade;
        Grade::ALL.into_iter().find(|g| Self::for_grade(*g) == self)
    }
}

/// Where keys are looked up: the screen or overlay that has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    Global,
    Home,
    Lesson,
    Exercise,
    Help,
    Confirm,
    Search,
    Drill,
    /// A text box has the focus (a recall answer, mock-interview notes).
    Typing,
    Mock,
    Stats,
    Transcripts,
    Scenarios,
    /// The instructor's workshop board (`kubedojo board`).
    Board,
}

impl Context {
    pub const ALL: [Context; 14] = [
        Self::Global,
        Self::Home,
        Self::Lesson,
        Self::Exercise,
        Self::Drill,
        Self::Mock,
        Self::Typing,
        Self::Stats,
        Self::Transcripts,
        Self::Scenarios,
        Self::Board,
        Self::Help,
        Self::Confirm,
        Self::Search,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Home => "Course (home screen)",
            Self::Lesson => "Lesson reader",
            Self::Exercise => "Exercise",
            Self::Help => "Help overlay",
            Self::Confirm => "Questions and notices",
            Self::Search => "Search prompt (type to search)",
            Self::Drill => "Drills",
            Self::Typing => "Text box (type an answer or notes)",
            Self::Mock => "Mock interview",
            Self::Stats => "Statistics",
            Self::Transcripts => "Mock-interview transcripts",
            Self::Scenarios => "Break-fix scenarios",
            Self::Board => "Workshop board (kubedojo board)",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Home => "home",
            Self::Lesson => "lesson",
            Self::Exercise => "exercise",
            Self::Help => "help",
            Self::Confirm => "confirm",
            Self::Search => "search",
            Self::Drill => "drill",
            Self::Typing => "typing",
            Self::Mock => "mock",
            Self::Stats => "stats",
            Self::Transcripts => "transcripts",
            Self::Scenarios => "scenarios",
            Self::Board => "board",
        }
    }
}
