//! The learner's drill record, saved with the rest of the progress: the memory state of every
//! reviewed card (and of lab steps sent back for practice), and a log of reviews for statistics.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// FSRS's four grades, in its order: what a review of a card or lab step is given, and what the
/// log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    Again,
    Hard,
    Good,
    Easy,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Again, Grade::Hard, Grade::Good, Grade::Easy];

    pub fn label(self) -> &'static str {
        match self {
            Self::Again => "again",
            Self::Hard => "hard",
            Self::Good => "good",
            Self::Easy => "easy",
        }
    }

    /// A recall that counts as remembered (retention statistics).
    pub fn passed(self) -> bool {
        self != Self::Again
    }
}

/// The log keeps this many newest reviews (years of daily drilling, a few hundred KB).
pub const LOG_LIMIT: usize = 20_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillProgress {
    /// Card ids (`topic/id`) and lab steps (`lab:<exercise>/<step>`) -> memory state.
    #[serde(default)]
    pub items: BTreeMap<String, ReviewState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<ReviewEntry>,
    /// New cards a day; `None`: the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_per_day: Option<u32>,
}

/// FSRS memory state and schedule of one item. Days are the learner's local calendar days
/// since 1970-01-01.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewState {
    pub stability: f32,
    pub difficulty: f32,
    pub last_day: i64,
    pub due_day: i64,
    #[serde(default)]
    pub reps: u32,
    #[serde(default)]
    pub lapses: u32,
    pub last_grade: Grade,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewEntry {
    pub day: i64,
    /// Unix seconds.
    pub at: u64,
    pub item: String,
    pub grade: Grade,
    /// The first review of the item.
    #[serde(default)]
    pub new: bool,
    /// Seconds spent answering.
    #[serde(default)]
    pub secs: u32,
}

pub const LAB_PREFIX: &str = "lab:";

/// The drill item of a lab step.
pub fn lab_item(exercise: &str, step: &str) -> String {
    format!("{LAB_PREFIX}{exercise}/{step}")
}

/// (exercise, step) of a lab item id.
pub fn lab_step(item: &str) -> Option<(&str, &str)> {
    item.strip_prefix(LAB_PREFIX)?.split_once('/')
}

impl DrillProgress {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.log.is_empty() && self.new_per_day.is_none()
    }

    pub fn record(&mut self, entry: ReviewEntry, state: ReviewState) {
        self.items.insert(entry.item.clone(), state);
        self.log.push(entry);
        if self.log.len() > LOG_LIMIT {
            let extra = self.log.len() - LOG_LIMIT;
            self.log.drain(..extra);
        }
    }

    /// New items first reviewed on `day`.
    pub fn new_on(&self, day: i64) -> usize {
        self.log.iter().rev().take_while(|e| e.day >= day).filter(|e| e.day == day && e.new).count()
    }
}
