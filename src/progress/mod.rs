//! What a learner has done: per pack, lessons read, steps opened, hints and solutions revealed,
//! check runs, completions, and where they were. Plain data; `store` saves it.

pub mod drill;
pub mod event;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checks::StepRun;
use crate::content::{Exercise, ItemRef, Pack};

/// 2: drills (review states and log).
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub version: u32,
    #[serde(default)]
    pub packs: BTreeMap<String, PackProgress>,
}

impl Default for Progress {
    fn default() -> Self {
        Self { version: VERSION, packs: BTreeMap::new() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackProgress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Position>,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
    #[serde(default)]
    pub exercises: BTreeMap<String, ExerciseProgress>,
    #[serde(default, skip_serializing_if = "drill::DrillProgress::is_empty")]
    pub drill: drill::DrillProgress,
    /// Break-fix scenarios started (and fixed), by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scenarios: BTreeMap<String, crate::scenario::ScenarioRun>,
}

/// Where the learner was: an item of the course, and the step or scroll line inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub item: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonProgress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    /// Top line of the reader when last seen, to reopen where they left.
    #[serde(default)]
    pub scroll: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    #[serde(default)]
    pub steps: BTreeMap<String, StepProgress>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Completion {
    /// The step's checks passed.
    Checks,
    /// The learner marked it done (a step whose checks cannot decide on this target).
    Manual,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<u64>,
    #[serde(default)]
    pub hints_revealed: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_revealed_at: Option<u64>,
    #[serde(default)]
    pub solution_revealed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution_revealed_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<Completion>,
    #[serde(default)]
    pub runs: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<StepRun>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    NotStarted,
    InProgress,
    Done,
}

impl ItemStatus {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::NotStarted => "○",
            Self::InProgress => "◐",
            Self::Done => "●",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotStarted => "not started",
            Self::InProgress => "in progress",
            Self::Done => "done",
        }
    }
}

impl StepProgress {
    pub fn done(&self) -> bool {
        self.completed_at.is_some()
    }
}

impl PackProgress {
    pub fn step(&self, exercise: &str, step: &str) -> Option<&StepProgress> {
        self.exercises.get(exercise)?.steps.get(step)
    }

    pub fn step_mut(&mut self, exercise: &str, step: &str) -> &mut StepProgress {
        self.exercises.entry(exercise.to_string()).or_default().steps.entry(step.to_string()).or_default()
    }

    pub fn lesson_mut(&mut self, lesson: &str) -> &mut LessonProgress {
        self.lessons.entry(lesson.to_string()).or_default()
    }

    /// Steps done out of all steps.
    pub fn exercise_counts(&self, ex: &Exercise) -> (usize, usize) {
        let done = ex.steps.iter().filter(|s| self.step(&ex.id, &s.id).is_some_and(StepProgress::done)).count();
        (done, ex.steps.len())
    }

    pub fn status(&self, pack: &Pack, item: ItemRef) -> ItemStatus {
        match item {
            ItemRef::Lesson(i) => match self.lessons.get(&pack.lessons[i].id) {
                Some(l) if l.completed_at.is_some() => ItemStatus::Done,
                Some(l) if l.opened_at.is_some() => ItemStatus::InProgress,
                _ => ItemStatus::NotStarted,
            },
            ItemRef::Exercise(i) => {
                let ex = &pack.exercises[i];
                let (done, total) = self.exercise_counts(ex);
                if total > 0 && done == total {
                    ItemStatus::Done
                } else if done > 0 || self.exercises.get(&ex.id).is_some_and(|e| e.steps.values().any(|s| s.opened_at.is_some())) {
                    ItemStatus::InProgress
                } else {
                    ItemStatus::NotStarted
                }
            }
        }
    }
}

impl Progress {
    pub fn pack(&self, id: &str) -> Option<&PackProgress> {
        self.packs.get(id)
    }

    pub fn pack_mut(&mut self, id: &str) -> &mut PackProgress {
        self.packs.entry(id.to_string()).or_default()
    }
}
