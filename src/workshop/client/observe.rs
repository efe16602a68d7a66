//! What the learner did, as workshop events: the runtime shows the observer every check run
//! and the state after every update; the observer says what changed (a step opened, a hint or
//! the solution revealed, a step completed, a drill graded). Only steps of the workshop are
//! reported.

use std::collections::HashSet;

use crate::app::{App, Screen};
use crate::checks::StepRun;
use crate::checks::result::CheckStatus as RunStatus;
use crate::workshop::client::reporter::event;
use crate::workshop::model::{CheckStatus, Event, EventKind, StepRef};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct StepSeen {
    hints: u8,
    solution: bool,
    done: bool,
}

pub struct Observer {
    steps: HashSet<(String, String)>,
    open: Option<(String, String)>,
    seen: StepSeen,
    /// The drill log as last seen; None: drills are not reported.
    drill_at: Option<Option<DrillSeen>>,
}

impl Observer {
    /// `drills`: report drill scores too.
    pub fn new(steps: &[StepRef], drills: bool, app: &App) -> Observer {
        Observer { steps: steps.iter().map(|s| (s.exercise.clone(), s.step.clone())).collect(), open: None, seen: StepSeen::default(), drill_at: drills.then(|| last_review(app)) }
    }

    fn ours(&self, exercise: &str, step: &str) -> bool {
        self.steps.contains(&(exercise.to_string(), step.to_string()))
    }

    /// A check run finished.
    pub fn check(&self, exercise: &str, step: &str, run: &StepRun) -> Option<Event> {
        if !self.ours(exercise, step) {
            return None;
        }
        let passed = run.passed();
        let message = run.results.iter().find(|r| matches!(r.status, RunStatus::Fail | RunStatus::Error)).map(|r| truncate(&r.message));
        let mut e = event(EventKind::Check);
        e.exercise = Some(exercise.to_string());
        e.step = Some(step.to_string());
        e.status = Some(if passed { CheckStatus::Pass } else { CheckStatus::Fail });
        e.message = if passed { None } else { message.or_else(|| Some("the checks did not pass".into())) };
        Some(e)
    }

    /// What changed since the last look.
    pub fn observe(&mut self, app: &App) -> Vec<Event> {
        let mut out = Vec::new();
        let open = match &app.screen {
            Screen::Exercise(v) => {
                let ex = &app.pack.exercises[v.index];
                ex.steps.get(v.step).map(|s| (ex.id.clone(), s.id.clone()))
            }
            _ => None,
        };
        let step_event = |kind: EventKind, (ex, st): &(String, String)| {
            let mut e = event(kind);
            e.exercise = Some(ex.clone());
            e.step = Some(st.clone());
            e
        };
        if open != self.open {
            self.open = open.clone();
            self.seen = open.as_ref().map(|o| seen(app, o)).unwrap_or_default();
            if let Some(o) = open.as_ref().filter(|o| self.ours(&o.0, &o.1)) {
                out.push(step_event(EventKind::StepOpened, o));
                if self.seen.done {
                    out.push(step_event(EventKind::StepCompleted, o));
                }
            }
        } else if let Some(o) = open.as_ref().filter(|o| self.ours(&o.0, &o.1)) {
            let now = seen(app, o);
            if now.hints > self.seen.hints {
                let mut e = step_event(EventKind::HintRevealed, o);
                e.hints = Some(u32::from(now.hints));
                out.push(e);
            }
            if now.solution && !self.seen.solution {
                out.push(step_event(EventKind::SolutionRevealed, o));
            }
            if now.done && !self.seen.done {
                out.push(step_event(EventKind::StepCompleted, o));
            }
            self.seen = now;
        }
        let drill_at = last_review(app);
        if let Some(seen) = &mut self.drill_at
            && drill_at != *seen
        {
            *seen = drill_at;
            if let Some(pp) = app.pp() {
                let today = crate::drill::day_at(app.now);
                let reviews: Vec<_> = pp.drill.log.iter().filter(|r| r.day == today).collect();
                let mut e = event(EventKind::Drill);
                e.reviewed = Some(reviews.len() as u32);
                e.correct = Some(reviews.iter().filter(|r| r.grade != crate::drill::grade::Grade::Again).count() as u32);
                out.push(e);
            }
        }
        out
    }
}

fn seen(app: &App, (ex, st): &(String, String)) -> StepSeen {
    match app.pp().and_then(|p| p.step(ex, st)) {
        Some(s) => StepSeen { hints: s.hints_revealed, solution: s.solution_revealed, done: s.done() },
        None => StepSeen::default(),
    }
}

/// The drill log's length and newest review (several reviews can share a second).
type DrillSeen = (usize, u64, String);

fn last_review(app: &App) -> Option<DrillSeen> {
    let log = &app.pp()?.drill.log;
    log.last().map(|r| (log.len(), r.at, r.item.clone()))
}

fn truncate(message: &str) -> String {
    crate::workshop::model::clean_message(message)
}
