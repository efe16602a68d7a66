//! Things drawn over a screen: help, a question, a notice.

use crate::content::ItemRef;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help { scroll: usize },
    Confirm(Confirm),
    Notice { title: String, text: String },
}

/// A question asked before doing something that cannot be undone.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    /// Exactly what will change.
    pub text: String,
    pub on_yes: Pending,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    RevealSolution {
        exercise: String,
        step: String,
    },
    ResetStep {
        exercise: String,
        step: String,
    },
    ResetExercise {
        exercise: String,
    },
    ResetItem(ItemRef),
    ResetAll,
    /// End the mock interview early and score what was answered.
    EndMock,
    /// Inject / put back a scenario's fault (the operation waits in `App::pending_scenario`).
    ScenarioStart {
        id: String,
    },
    ScenarioReset {
        id: String,
    },
}
