//! The learner's workshop, when they joined one: the instructor's message (status bar),
//! locked exercises (they do not open), and whether progress reports are getting through.

use super::{App, Level};
use crate::workshop::client::reporter::Notice;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkshopStatus {
    pub message: Option<String>,
    pub locked: Vec<String>,
    /// Progress events waiting in the outbox.
    pub waiting: usize,
    /// Why the last delivery failed (None: it went through).
    pub problem: Option<String>,
}

impl WorkshopStatus {
    /// A line for the status bar: the instructor's message first, else delivery trouble.
    pub fn status(&self) -> Option<String> {
        if let Some(m) = &self.message {
            return Some(format!("✉ {m}"));
        }
        if self.problem.is_some() && self.waiting > 0 {
            return Some(format!("workshop offline: {} progress events kept, sent when the server is back", self.waiting));
        }
        None
    }

    pub fn is_locked(&self, exercise: &str) -> bool {
        self.locked.iter().any(|l| l == exercise)
    }
}

pub fn notice(app: &mut App, notice: Notice) {
    let Some(w) = &mut app.workshop else { return };
    match notice {
        Notice::Pacing(p) => {
            let new_message = p.message.is_some() && p.message != w.message;
            let released: Vec<String> = w.locked.iter().filter(|l| !p.locked.contains(l)).cloned().collect();
            w.locked = p.locked;
            w.message = p.message.clone();
            if new_message {
                app.flash(Level::Warning, format!("Instructor: {}", p.message.unwrap_or_default()));
            } else if !released.is_empty() {
                let titles: Vec<String> =
                    released.iter().map(|id| app.pack.exercises.iter().find(|e| &e.id == id).map_or(id.clone(), |e| e.title.clone())).collect();
                app.flash(Level::Success, format!("Released by the instructor: {}", titles.join(", ")));
            }
        }
        Notice::Delivery { waiting, problem } => {
            w.waiting = waiting;
            w.problem = problem;
        }
    }
}
