//! Spaced repetition with FSRS (the `fsrs` crate, FSRS-6 default parameters): the next memory
//! state and due day of an item after a grade, and how likely it is to be recalled today.

use fsrs::{DEFAULT_PARAMETERS, FSRS, MemoryState};

use crate::progress::StepProgress;
use crate::progress::drill::{DrillProgress, Grade, ReviewState};

/// A lab step completed for the first time: if hints or the solution were needed, it comes
/// back in the drills (tomorrow after the solution, later after hints only).
pub fn lab_completed(drill: &mut DrillProgress, item: String, sp: &StepProgress, today: i64) {
    if (sp.hints_revealed == 0 && !sp.solution_revealed) || drill.items.contains_key(&item) {
        return;
    }
    let mut state = Scheduler::default().review(None, if sp.solution_revealed { Grade::Again } else { Grade::Hard }, today);
    state.due_day = state.due_day.max(today + 1);
    drill.items.insert(item, state);
}

/// Probability of recall the intervals aim for.
pub const DESIRED_RETENTION: f32 = 0.9;
/// The longest interval, in days.
pub const MAX_INTERVAL: i64 = 365;

pub struct Scheduler {
    fsrs: FSRS,
    retention: f32,
    decay: f32,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new(DESIRED_RETENTION)
    }
}

impl Scheduler {
    pub fn new(retention: f32) -> Self {
        let fsrs = FSRS::new(&DEFAULT_PARAMETERS).expect("the crate's default parameters are valid");
        Self { fsrs, retention, decay: DEFAULT_PARAMETERS[20] }
    }

    /// The state after grading an item on `today` (`prev`: its state, `None` when new).
    /// Again is due again the same day: the session brings it back after a few other items.
    pub fn review(&self, prev: Option<&ReviewState>, grade: Grade, today: i64) -> ReviewState {
        let elapsed = prev.map_or(0, |p| (today - p.last_day).max(0)) as u32;
        let memory = prev.map(|p| MemoryState { stability: p.stability, difficulty: p.difficulty });
        let (stability, difficulty, interval) = match self.fsrs.next_states(memory, self.retention, elapsed) {
            Ok(next) => {
                let s = match grade {
                    Grade::Again => next.again,
                    Grade::Hard => next.hard,
                    Grade::Good => next.good,
                    Grade::Easy => next.easy,
                };
                (s.memory.stability, s.memory.difficulty, s.interval)
            }
            // a state FSRS rejects (hand-edited file): start the item again
            Err(_) => (1.0, 5.0, 1.0),
        };
        let days = match grade {
            Grade::Again => 0,
            _ => (interval.round() as i64).clamp(1, MAX_INTERVAL),
        };
        let reps = prev.map_or(0, |p| p.reps) + 1;
        let lapses = prev.map_or(0, |p| p.lapses) + u32::from(grade == Grade::Again && prev.is_some());
        ReviewState { stability, difficulty, last_day: today, due_day: today + days, reps, lapses, last_grade: grade }
    }

    /// Probability of recalling the item on `day`.
    pub fn retrievability(&self, state: &ReviewState, day: i64) -> f32 {
        let elapsed = (day - state.last_day).max(0) as f32;
        fsrs::current_retrievability(MemoryState { stability: state.stability.max(0.01), difficulty: state.difficulty }, elapsed, self.decay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_grow_with_good_answers_and_reset_on_again() {
        let s = Scheduler::default();
        let day = 20_000;
        let first = s.review(None, Grade::Good, day);
        assert_eq!(first.last_day, day);
        assert!(first.due_day > day, "a good first answer is due on a later day: {first:?}");
        let second = s.review(Some(&first), Grade::Good, first.due_day);
        let i1 = first.due_day - first.last_day;
        let i2 = second.due_day - second.last_day;
        assert!(i2 > i1, "intervals grow: {i1} then {i2}");
        let lapse = s.review(Some(&second), Grade::Again, second.due_day);
        assert_eq!(lapse.due_day, second.due_day, "again is due the same day");
        assert_eq!(lapse.lapses, 1);
        assert!(lapse.stability < second.stability);
        assert_eq!(lapse.reps, 3);
    }

    #[test]
    fn grades_order_the_intervals() {
        let s = Scheduler::default();
        let day = 20_000;
        let due: Vec<i64> = Grade::ALL.iter().map(|g| s.review(None, *g, day).due_day - day).collect();
        assert_eq!(due[0], 0);
        assert!(due[1] <= due[2] && due[2] <= due[3] && due[1] < due[3], "{due:?}");
    }

    #[test]
    fn retrievability_falls_with_time() {
        let s = Scheduler::default();
        let st = s.review(None, Grade::Good, 100);
        let now = s.retrievability(&st, 100);
        let at_due = s.retrievability(&st, st.due_day);
        let late = s.retrievability(&st, st.due_day + 30);
        assert!(now > at_due && at_due > late, "{now} {at_due} {late}");
        assert!((at_due - DESIRED_RETENTION).abs() < 0.08, "due when recall is about {DESIRED_RETENTION}: {at_due}");
    }
}
