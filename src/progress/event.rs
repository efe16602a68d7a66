//! What the learner just did, as the progress records it: `update` returns one of these (in
//! `Effect::Progress`) from each place that records progress a workshop instructor follows,
//! and the runtime hands it to the workshop reporter, which decides what its workshop is told.

use super::drill::DrillProgress;
use crate::checks::StepRun;

#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    /// A step was opened (`done`: it was complete already).
    StepOpened {
        exercise: String,
        step: String,
        done: bool,
    },
    /// A run of the step's checks finished (the newest run of that step).
    Checked {
        exercise: String,
        step: String,
        run: StepRun,
    },
    /// A hint was revealed; `hints` are now shown.
    HintRevealed {
        exercise: String,
        step: String,
        hints: u8,
    },
    SolutionRevealed {
        exercise: String,
        step: String,
    },
    /// The step became complete (its checks passed, or the learner marked it done).
    StepCompleted {
        exercise: String,
        step: String,
    },
    /// A drill card was graded (in a drill or a mock interview): the day's reviews so far.
    DrillGraded {
        reviewed: u32,
        correct: u32,
    },
}

impl ProgressEvent {
    /// The drill score of `day` so far, after a review was recorded.
    pub fn drill_day(drill: &DrillProgress, day: i64) -> ProgressEvent {
        let today = drill.log.iter().filter(|r| r.day == day);
        let (reviewed, correct) = today.fold((0, 0), |(n, ok), r| (n + 1, ok + u32::from(r.grade.passed())));
        ProgressEvent::DrillGraded { reviewed, correct }
    }
}
