//! Things drawn over a screen: help, a question, a notice.

use crate::content::ItemRef;
use crate::input::Context;
use crate::input::keymap::key_label;

use super::App;

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

/// The help box's width, and its key column's: a description wraps in what is left.
pub const HELP_WIDTH: u16 = 72;
pub const HELP_KEYS_WIDTH: usize = 24;

/// One line of the help: a section title, a binding (or the continuation of its description,
/// with `keys` empty), or the blank line after a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpRow {
    Title(&'static str),
    Keys { keys: String, desc: String },
    Blank,
}

/// What the help lists for the screen: its keys, the search prompt's where it has one, and the
/// keys that work everywhere; descriptions wrapped to the box.
pub fn help_rows(app: &App) -> Vec<HelpRow> {
    let context = app.screen_context();
    let name = match context {
        Context::Home => "Course",
        Context::Lesson => "Lesson",
        Context::Exercise => "Exercise",
        Context::Drill => "Drills",
        Context::Typing => "Typing an answer",
        Context::Mock => "Mock interview",
        Context::Stats => "Drill statistics",
        Context::Transcripts => "Transcripts",
        Context::Scenarios => "Break-fix scenarios",
        _ => "This screen",
    };
    let mut sections = vec![(name, context)];
    if matches!(context, Context::Lesson | Context::Exercise) {
        sections.push(("Search prompt", Context::Search));
    }
    sections.push(("Everywhere", Context::Global));
    let desc_w = usize::from(HELP_WIDTH) - 2 - HELP_KEYS_WIDTH;
    let mut rows = Vec::new();
    for (title, ctx) in sections {
        rows.push(HelpRow::Title(title));
        for b in app.keymap.bindings(ctx) {
            let keys = b.keys.iter().map(|k| key_label(*k)).collect::<Vec<_>>().join(", ");
            let plain = crate::markdown::SpanStyle::default();
            let desc = crate::markdown::wrap::wrap(&[crate::markdown::StyledSpan::new(b.desc.as_str(), plain)], desc_w);
            for (i, part) in desc.into_iter().enumerate() {
                let desc: String = part.into_iter().map(|s| s.text).collect();
                rows.push(HelpRow::Keys { keys: if i == 0 { keys.clone() } else { String::new() }, desc });
            }
        }
        rows.push(HelpRow::Blank);
    }
    rows
}

/// How far `rows` of help scroll on a terminal `height` rows tall: until the last row is at the
/// bottom of the box (as tall as the rows and its borders, at most the terminal).
pub fn help_max_scroll(rows: usize, height: u16) -> usize {
    rows.saturating_sub(usize::from(height.saturating_sub(2)))
}
