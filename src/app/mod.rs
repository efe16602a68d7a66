//! The application state and its one owner: the event loop calls [`update`] with each
//! [`Action`] and runs the [`Effect`]s it returns. Nothing here draws or does I/O.

pub mod action;
pub mod drill;
pub mod exercise;
pub mod geometry;
pub mod home;
pub mod lesson;
pub mod mock;
pub mod overlay;
pub mod reader;
pub mod scenarios;
pub mod stats;
pub mod transcripts;
pub mod update;
pub mod workshop;

use std::collections::HashMap;
use std::sync::Arc;

pub use action::{Action, Effect, Go, Reply};
pub use geometry::{Area, Geometry};
pub use overlay::{Confirm, Overlay, Pending};
pub use update::{go, update};

use crate::content::{ItemRef, Pack, PackFiles};
use crate::input::{Context, Keymap};
use crate::progress::{PackProgress, Progress};
use crate::target::TargetInfo;

pub struct App {
    pub pack: Arc<Pack>,
    /// The pack's files, for solution files shown with the solution.
    pub files: Arc<PackFiles>,
    pub progress: Progress,
    pub keymap: Keymap,
    pub screen: Screen,
    pub home: home::Home,
    pub overlay: Option<Overlay>,
    /// `None` while it is being detected (start-up never waits for it).
    pub target: Option<TargetInfo>,
    pub flash: Option<Flash>,
    /// The newest status message, whole, after its flash has gone (`!` shows it).
    pub last_message: Option<(Level, String)>,
    pub geometry: Geometry,
    /// Steps whose checks are running: (exercise id, step id) -> the id of the newest run.
    /// A result of an older run (one that was replaced) is ignored.
    pub running: HashMap<(String, String), u64>,
    pub next_run: u64,
    pub tick: u64,
    /// The time of the action being handled (Unix seconds), set by the runtime before each
    /// `update` and frame: neither reads the clock, so both are deterministic.
    pub now: u64,
    pub quit: bool,
    /// Where each scenario may be started or reset from here (the target and how to name it),
    /// or why not; set by the caller (it reads the sandbox record).
    pub scenario_access: std::collections::BTreeMap<String, Result<(crate::checks::backend::TargetOptions, String), String>>,
    /// A start or reset waiting for the learner's yes.
    pub pending_scenario: Option<scenarios::ScenarioOp>,
    /// The workshop the learner joined (`kubedojo join`), if any; set by the caller.
    pub workshop: Option<workshop::WorkshopStatus>,
}

pub enum Screen {
    Home,
    Lesson(lesson::LessonView),
    Exercise(exercise::ExerciseView),
    Drill(drill::DrillView),
    Mock(mock::MockView),
    Stats(stats::StatsView),
    Transcripts(transcripts::TranscriptsView),
    Scenarios(scenarios::ScenariosView),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    pub until_tick: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Success,
    Warning,
}

/// Ticks per second of the event loop's timer.
pub const TICKS_PER_SECOND: u64 = 4;

impl App {
    pub fn new(pack: Arc<Pack>, files: Arc<PackFiles>, progress: Progress, keymap: Keymap, size: (u16, u16)) -> Self {
        let mut app = Self {
            home: home::Home::default(),
            pack,
            files,
            progress,
            keymap,
            screen: Screen::Home,
            overlay: None,
            target: None,
            flash: None,
            last_message: None,
            geometry: Geometry::new(size.0, size.1, 0),
            running: HashMap::new(),
            next_run: 1,
            tick: 0,
            now: 0,
            quit: false,
            scenario_access: Default::default(),
            pending_scenario: None,
            workshop: None,
        };
        app.home.select_last_position(&app.pack, app.progress.pack(&app.pack.id));
        app
    }

    pub fn pack_progress(&self) -> PackProgress {
        self.progress.pack(&self.pack.id).cloned().unwrap_or_default()
    }

    pub fn pp(&self) -> Option<&PackProgress> {
        self.progress.pack(&self.pack.id)
    }

    pub fn pp_mut(&mut self) -> &mut PackProgress {
        let id = self.pack.id.clone();
        self.progress.pack_mut(&id)
    }

    /// The key context with the focus.
    pub fn context(&self) -> Context {
        match &self.overlay {
            Some(Overlay::Help { .. }) => return Context::Help,
            Some(Overlay::Confirm(_) | Overlay::Notice { .. }) => return Context::Confirm,
            None => {}
        }
        let searching = match &self.screen {
            Screen::Lesson(v) => v.reader.search.input.is_some(),
            Screen::Exercise(v) => v.reader.search.input.is_some(),
            _ => false,
        };
        if searching { Context::Search } else { self.screen_context() }
    }

    /// The context whose keys the help overlay lists (the screen under it).
    pub fn screen_context(&self) -> Context {
        match &self.screen {
            Screen::Home => Context::Home,
            Screen::Lesson(_) => Context::Lesson,
            Screen::Exercise(_) => Context::Exercise,
            Screen::Drill(v) if v.is_typing(&self.pack) => Context::Typing,
            Screen::Drill(_) => Context::Drill,
            Screen::Mock(v) if v.phase == mock::Phase::Answering => Context::Typing,
            Screen::Mock(_) => Context::Mock,
            Screen::Stats(_) => Context::Stats,
            Screen::Transcripts(_) => Context::Transcripts,
            Screen::Scenarios(_) => Context::Scenarios,
        }
    }

    /// Start a run of a step's checks: the effect to return, with a fresh run id.
    pub fn start_run(&mut self, request: crate::checks::CheckRequest) -> Effect {
        let id = self.next_run;
        self.next_run += 1;
        self.running.insert((request.exercise.clone(), request.step.clone()), id);
        Effect::RunChecks(request, id)
    }

    pub fn is_running(&self, exercise: &str, step: &str) -> bool {
        self.running.contains_key(&(exercise.to_string(), step.to_string()))
    }

    pub fn flash(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        self.last_message = Some((level, text.clone()));
        self.flash = Some(Flash { text, level, until_tick: self.tick + 4 * TICKS_PER_SECOND });
    }

    pub fn current_item(&self) -> Option<ItemRef> {
        match &self.screen {
            Screen::Home => self.home.selected_item(&self.pack),
            Screen::Lesson(v) => Some(ItemRef::Lesson(v.index)),
            Screen::Exercise(v) => Some(ItemRef::Exercise(v.index)),
            _ => None,
        }
    }

    /// The label of the first key bound to a command in a context, for text that names keys.
    pub fn key_for(&self, context: Context, command: crate::input::Command) -> String {
        self.keymap
            .bindings(context)
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "?".to_string(), |k| crate::input::keymap::key_label(*k))
    }

    /// The keys a reader's notices name, in a context.
    pub fn reader_keys(&self, context: Context) -> reader::Keys {
        use crate::input::Command;
        reader::Keys { copy: self.key_for(context, Command::CopyBlock), open: self.key_for(context, Command::OpenLink) }
    }
}
