//! Completion per learner and step, for certificates and reports: JSON (one object per
//! learner) and CSV (one row per learner and step).

use serde::Serialize;

use super::model::{Board, CellState};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workshop: String,
    pub name: String,
    pub generated_at: String,
    pub steps: Vec<String>,
    pub learners: Vec<LearnerReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LearnerReport {
    pub id: String,
    pub name: String,
    pub joined_at: String,
    pub completed: usize,
    pub total: usize,
    pub drill_reviewed: u32,
    pub drill_correct: u32,
    pub steps: Vec<StepReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub exercise: String,
    pub step: String,
    /// not_started, opened, failing, passing or done
    pub state: String,
    pub completed_at: Option<String>,
    pub checks: u32,
    pub hints: u32,
    pub solution_revealed: bool,
}

fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

impl Report {
    pub fn from_board(board: &Board) -> Report {
        let learners = board
            .learners
            .iter()
            .map(|l| {
                let steps: Vec<StepReport> = board
                    .workshop
                    .steps
                    .iter()
                    .map(|s| {
                        let cell = l.cells.get(&s.key());
                        StepReport {
                            exercise: s.exercise.clone(),
                            step: s.step.clone(),
                            state: cell.map_or("not_started", |c| c.state.as_str()).to_string(),
                            completed_at: cell.and_then(|c| c.completed_at).map(rfc3339),
                            checks: cell.map_or(0, |c| c.checks),
                            hints: cell.map_or(0, |c| c.hints),
                            solution_revealed: cell.is_some_and(|c| c.solution),
                        }
                    })
                    .collect();
                LearnerReport {
                    id: l.id.clone(),
                    name: l.name.clone(),
                    joined_at: rfc3339(l.joined_at),
                    completed: steps.iter().filter(|s| s.state == CellState::Done.as_str()).count(),
                    total: steps.len(),
                    drill_reviewed: l.drill_reviewed,
                    drill_correct: l.drill_correct,
                    steps,
                }
            })
            .collect();
        Report {
            workshop: board.workshop.id.clone(),
            name: board.workshop.name.clone(),
            generated_at: rfc3339(board.now),
            steps: board.workshop.steps.iter().map(|s| s.key()).collect(),
            learners,
        }
    }

    /// One row per learner and step. Cells a spreadsheet would run as a formula (a learner
    /// named `=HYPERLINK(...)`) are prefixed with `'`.
    pub fn csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "workshop",
            "learner_id",
            "learner",
            "exercise",
            "step",
            "state",
            "completed",
            "completed_at",
            "checks",
            "hints",
            "solution_revealed",
        ])?;
        for l in &self.learners {
            for s in &l.steps {
                let completed = if s.state == "done" { "yes" } else { "no" };
                w.write_record([
                    self.workshop.as_str(),
                    &l.id,
                    &cell(&l.name),
                    &s.exercise,
                    &s.step,
                    &s.state,
                    completed,
                    s.completed_at.as_deref().unwrap_or(""),
                    &s.checks.to_string(),
                    &s.hints.to_string(),
                    if s.solution_revealed { "yes" } else { "no" },
                ])?;
            }
        }
        let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
