//! How a learner's events fold into a board cell. Pure: the server reads the stored cell,
//! folds the new event in and writes it back in the same transaction.
//!
//! Events may arrive late and out of order (a learner's outbox delivered after an outage), so
//! check results only move the cell when they are newer than the last one folded in, and a
//! completed step stays completed.

use super::model::{Cell, CellState, CheckStatus, Event, EventKind};

/// A cell as stored: the board's view plus what folding needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCell {
    pub cell: Cell,
    pub last_check_at: Option<i64>,
}

/// The cell after `event` (None: the event does not touch a step cell).
pub fn fold(previous: Option<StoredCell>, event: &Event) -> Option<StoredCell> {
    if event.kind == EventKind::Drill {
        return None;
    }
    let mut s = previous.unwrap_or(StoredCell {
        cell: Cell {
            state: CellState::Opened,
            failing_since: None,
            message: None,
            checks: 0,
            hints: 0,
            solution: false,
            updated_at: event.at,
            completed_at: None,
        },
        last_check_at: None,
    });
    let c = &mut s.cell;
    match event.kind {
        EventKind::StepOpened | EventKind::Drill => {}
        EventKind::Check => {
            c.checks += 1;
            let newer = s.last_check_at.is_none_or(|t| event.at >= t);
            if newer {
                s.last_check_at = Some(event.at);
                match event.status {
                    // a completed step stays completed, without a failure to show
                    Some(CheckStatus::Fail) if c.state != CellState::Done => {
                        if c.state != CellState::Failing {
                            c.failing_since = Some(event.at);
                        }
                        c.state = CellState::Failing;
                        c.message = event.message.clone();
                    }
                    Some(CheckStatus::Fail) => {}
                    // the checks could not decide: not failing, and the board says why
                    Some(CheckStatus::Unchecked) if c.state != CellState::Done => {
                        c.state = CellState::Unchecked;
                        c.failing_since = None;
                        c.message = event.message.clone();
                    }
                    Some(CheckStatus::Unchecked) => {}
                    Some(CheckStatus::Pass) | None => {
                        if c.state != CellState::Done {
                            c.state = CellState::Passing;
                        }
                        c.failing_since = None;
                        c.message = None;
                    }
                }
            }
        }
        EventKind::HintRevealed => c.hints = c.hints.max(event.hints.unwrap_or_else(|| c.hints.saturating_add(1))).min(1000),
        EventKind::SolutionRevealed => c.solution = true,
        EventKind::StepCompleted => {
            c.state = CellState::Done;
            c.failing_since = None;
            c.message = None;
            c.completed_at = Some(c.completed_at.map_or(event.at, |t| t.min(event.at)));
        }
    }
    c.updated_at = c.updated_at.max(event.at);
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind, at: i64, status: Option<CheckStatus>, message: Option<&str>) -> Event {
        Event {
            id: format!("e{at}"),
            at,
            kind,
            exercise: Some("irsa".into()),
            step: Some("trust".into()),
            status,
            message: message.map(Into::into),
            hints: None,
            reviewed: None,
            correct: None,
        }
    }

    #[test]
    fn failing_since_is_the_first_failure_of_a_run_of_failures() {
        let c = fold(None, &ev(EventKind::StepOpened, 1, None, None));
        let c = fold(c, &ev(EventKind::Check, 10, Some(CheckStatus::Fail), Some("sub does not match")));
        let c = fold(c, &ev(EventKind::Check, 20, Some(CheckStatus::Fail), Some("aud is wrong")));
        let s = c.clone().unwrap();
        assert_eq!((s.cell.state, s.cell.failing_since, s.cell.message.as_deref(), s.cell.checks), (CellState::Failing, Some(10), Some("aud is wrong"), 2));
        let c = fold(c, &ev(EventKind::Check, 30, Some(CheckStatus::Pass), None)).unwrap();
        assert_eq!((c.cell.state, c.cell.failing_since, c.cell.message), (CellState::Passing, None, None));
    }

    #[test]
    fn late_events_do_not_undo_newer_ones_and_done_stays_done() {
        let c = fold(None, &ev(EventKind::Check, 30, Some(CheckStatus::Pass), None));
        let c = fold(c, &ev(EventKind::Check, 10, Some(CheckStatus::Fail), Some("old"))).unwrap();
        assert_eq!((c.cell.state, c.cell.checks), (CellState::Passing, 2));
        let c = fold(Some(c), &ev(EventKind::StepCompleted, 40, None, None));
        let c = fold(c, &ev(EventKind::Check, 50, Some(CheckStatus::Fail), Some("broke it again"))).unwrap();
        assert_eq!((c.cell.state, c.cell.completed_at, c.cell.message.as_deref()), (CellState::Done, Some(40), None));
        let mut huge = ev(EventKind::HintRevealed, 60, None, None);
        huge.hints = Some(u32::MAX);
        let c = fold(Some(c), &huge);
        let c = fold(c, &ev(EventKind::HintRevealed, 61, None, None)).unwrap();
        assert_eq!(c.cell.hints, 1000);
    }

    #[test]
    fn checks_that_could_not_run_are_not_a_failure() {
        let c = fold(None, &ev(EventKind::Check, 10, Some(CheckStatus::Fail), Some("aud is wrong")));
        let c = fold(c, &ev(EventKind::Check, 20, Some(CheckStatus::Unchecked), Some("the checks did not run: no AWS credentials"))).unwrap();
        assert_eq!(
            (c.cell.state, c.cell.failing_since, c.cell.message.as_deref()),
            (CellState::Unchecked, None, Some("the checks did not run: no AWS credentials")),
            "an unchecked run ends a run of failures: the learner is not stuck on it"
        );
        let c = fold(Some(c), &ev(EventKind::Check, 30, Some(CheckStatus::Fail), Some("aud is wrong"))).unwrap();
        assert_eq!((c.cell.state, c.cell.failing_since), (CellState::Failing, Some(30)), "failing again starts a new run");
        let c = fold(Some(c), &ev(EventKind::StepCompleted, 40, None, None));
        let c = fold(c, &ev(EventKind::Check, 50, Some(CheckStatus::Unchecked), Some("the checks did not run"))).unwrap();
        assert_eq!((c.cell.state, c.cell.message), (CellState::Done, None), "a done step stays done");
    }
}
