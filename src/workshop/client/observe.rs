//! What a workshop is told of the learner's progress: the app reports what the learner did
//! (`ProgressEvent`, an effect of `update`), and the observer turns it into workshop events
//! for the workshop's own steps only, and drill scores only when the learner shares them.

use std::collections::HashSet;

use crate::checks::StepRun;
use crate::checks::result::CheckStatus as RunStatus;
use crate::progress::event::ProgressEvent;
use crate::workshop::client::reporter::event;
use crate::workshop::model::{CheckStatus, Event, EventKind, StepRef};

pub struct Observer {
    steps: HashSet<(String, String)>,
    drills: bool,
}

impl Observer {
    /// `drills`: report drill scores too.
    pub fn new(steps: &[StepRef], drills: bool) -> Observer {
        Observer { steps: steps.iter().map(|s| (s.exercise.clone(), s.step.clone())).collect(), drills }
    }

    fn ours(&self, exercise: &str, step: &str) -> bool {
        self.steps.contains(&(exercise.to_string(), step.to_string()))
    }

    /// The workshop events of what the learner did (none for steps outside the workshop).
    pub fn events(&self, done: &ProgressEvent) -> Vec<Event> {
        let step_event = |kind: EventKind, exercise: &str, step: &str| {
            let mut e = event(kind);
            e.exercise = Some(exercise.to_string());
            e.step = Some(step.to_string());
            e
        };
        match done {
            ProgressEvent::DrillGraded { reviewed, correct } if self.drills => {
                let mut e = event(EventKind::Drill);
                e.reviewed = Some(*reviewed);
                e.correct = Some(*correct);
                vec![e]
            }
            ProgressEvent::DrillGraded { .. } => vec![],
            ProgressEvent::StepOpened { exercise, step, .. }
            | ProgressEvent::Checked { exercise, step, .. }
            | ProgressEvent::HintRevealed { exercise, step, .. }
            | ProgressEvent::SolutionRevealed { exercise, step }
            | ProgressEvent::StepCompleted { exercise, step }
                if !self.ours(exercise, step) =>
            {
                vec![]
            }
            ProgressEvent::StepOpened { exercise, step, done } => {
                // a step complete already says so on opening, so the board shows it after a restart
                let mut out = vec![step_event(EventKind::StepOpened, exercise, step)];
                if *done {
                    out.push(step_event(EventKind::StepCompleted, exercise, step));
                }
                out
            }
            ProgressEvent::Checked { exercise, step, run } => vec![check(step_event(EventKind::Check, exercise, step), run)],
            ProgressEvent::HintRevealed { exercise, step, hints } => {
                let mut e = step_event(EventKind::HintRevealed, exercise, step);
                e.hints = Some(u32::from(*hints));
                vec![e]
            }
            ProgressEvent::SolutionRevealed { exercise, step } => vec![step_event(EventKind::SolutionRevealed, exercise, step)],
            ProgressEvent::StepCompleted { exercise, step } => vec![step_event(EventKind::StepCompleted, exercise, step)],
        }
    }
}

/// A check run as the board shows it: passed; failed, with the first failure's message; or
/// unchecked (nothing failed, but a check skipped or errored), with the first such message.
fn check(mut e: Event, run: &StepRun) -> Event {
    let first = |wanted: &[RunStatus]| run.results.iter().find(|r| wanted.contains(&r.status)).map(|r| crate::workshop::model::clean_message(&r.message));
    let (status, message) = if run.passed() {
        (CheckStatus::Pass, None)
    } else if let Some(failed) = first(&[RunStatus::Fail]) {
        (CheckStatus::Fail, Some(failed))
    } else {
        let why = first(&[RunStatus::Error]).or_else(|| first(&[RunStatus::Skip]));
        (CheckStatus::Unchecked, Some(why.map_or_else(|| "the checks did not run".to_string(), |m| format!("the checks did not run: {m}"))))
    };
    e.status = Some(status);
    e.message = message;
    e
}
