//! The mock interview screen: each question with a running timer and a notes box, then the
//! model answer to score against, then a scorecard; the transcript is saved at the end.

use ratatui_textarea::TextArea;

use super::overlay::{Confirm, Overlay, Pending};
use super::reader::Reader;
use super::{App, Effect, Go, Level, Reply, Screen, TICKS_PER_SECOND};
use crate::content::CardKind;
use crate::drill::mock::{Mock, MockConfig, clock};
use crate::drill::schedule::Scheduler;
use crate::input::{Command, Context};
use crate::progress::drill::Grade;
use crate::progress::drill::ReviewEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Timer running, notes box focused.
    Answering,
    /// The model answer shown; the learner ticks key points and grades.
    Reviewing,
    /// All done (or ended early): the scorecard.
    Scorecard,
}

pub struct MockView {
    pub mock: Mock,
    pub current: usize,
    pub phase: Phase,
    pub question_tick: u64,
    pub start_tick: u64,
    pub notes: TextArea<'static>,
    /// The question, or the model answer with key points, or the scorecard.
    pub reader: Reader,
    pub cursor: usize,
    /// The grade picked for the current answer (the suggestion until changed).
    pub grade: Grade,
    pub finished: bool,
    /// Where the transcript was saved, once it is.
    pub saved: Option<String>,
    pub time_up_told: bool,
    /// Set to leave the screen from inside an update of it.
    pub closed: bool,
}

fn notes_box() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.set_placeholder_text("your notes: the points you would make (Tab when done)");
    // a long line wraps at words (a word wider than the box at its letters), as prose does,
    // instead of scrolling out of sight sideways
    t.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    t
}

/// Lines of text above the notes box (answering) or the key points (reviewing).
pub fn text_height(body: u16, phase: Phase, points: usize) -> u16 {
    match phase {
        Phase::Answering => body.saturating_sub(body / 2 + 1).max(3),
        Phase::Reviewing => body.saturating_sub(points as u16 + 3),
        Phase::Scorecard => body,
    }
}

/// The score keys: (grade, key, selected).
pub fn grade_choices(app: &App, v: &MockView) -> Vec<(Grade, String, bool)> {
    Grade::ALL.iter().map(|g| (*g, app.key_for(Context::Mock, Command::for_grade(*g)), *g == v.grade)).collect()
}

impl MockView {
    pub fn points(&self) -> usize {
        self.mock.answers.get(self.current).map_or(0, |a| a.ticked.len())
    }
}

pub fn open(app: &mut App, config: MockConfig) -> Vec<Effect> {
    let now = app.now;
    open_at(app, config, now)
}

/// A mock started at `started_at` (unix seconds; it also seeds the draw of questions).
pub fn open_at(app: &mut App, config: MockConfig, started_at: u64) -> Vec<Effect> {
    let mut effects = Vec::new();
    let mock = Mock::new(&app.pack, config, started_at);
    if mock.answers.is_empty() {
        app.flash(Level::Warning, "No open questions in this filter: a mock interview needs open cards.");
        app.screen = Screen::Home;
        return effects;
    }
    let g = app.geometry;
    let mut view = MockView {
        mock,
        current: 0,
        phase: Phase::Answering,
        question_tick: app.tick,
        start_tick: app.tick,
        notes: notes_box(),
        reader: Reader::new("", g.lesson.width, text_height(g.body.height, Phase::Answering, 0)),
        cursor: 0,
        grade: Grade::Again,
        finished: false,
        saved: None,
        time_up_told: false,
        closed: false,
    };
    refresh(app, &mut view);
    app.screen = Screen::Mock(view);
    effects.push(Effect::Save);
    effects
}

impl MockView {
    pub fn elapsed(&self, tick: u64) -> u32 {
        (tick.saturating_sub(self.question_tick) / TICKS_PER_SECOND) as u32
    }

    pub fn total_elapsed(&self, tick: u64) -> u32 {
        (tick.saturating_sub(self.start_tick) / TICKS_PER_SECOND) as u32
    }
}

fn refresh(app: &App, v: &mut MockView) {
    let g = app.geometry;
    let text = document(app, v);
    v.reader.show(&text, g.lesson.width, text_height(g.body.height, v.phase, v.points()));
}

fn document(app: &App, v: &MockView) -> String {
    let pack = &app.pack;
    if v.phase == Phase::Scorecard {
        let (ticked, points) = v.mock.points();
        let mut out = format!(
            "# Scorecard\n\n**{ticked} of {points} key points** over {} question{}, {} in total.\n\n",
            v.mock.answers.len(),
            if v.mock.answers.len() == 1 { "" } else { "s" },
            clock(v.mock.total_secs())
        );
        out += "| # | question | time | points | grade |\n|---|---|---|---|---|\n";
        for (i, a) in v.mock.answers.iter().enumerate() {
            let title = pack.card(&a.card).map_or(a.card.clone(), |c| c.prompt.text.lines().next().unwrap_or_default().chars().take(48).collect());
            out += &format!(
                "| {} | {} | {} | {}/{} | {} |\n",
                i + 1,
                title.replace('|', "\\|"),
                clock(a.secs),
                a.ticked.iter().filter(|t| **t).count(),
                a.ticked.len(),
                a.grade.map_or("—", |g| g.label())
            );
        }
        out += "\n";
        out += &match &v.saved {
            Some(path) => format!(
                "Transcript saved: `{path}`. Press **{}** for all transcripts; **{}** goes back.\n",
                app.key_for(Context::Mock, Command::Transcripts),
                app.key_for(Context::Mock, Command::Back)
            ),
            None => "Saving the transcript…\n".to_string(),
        };
        return out;
    }
    let a = &v.mock.answers[v.current];
    let Some(card) = pack.card(&a.card) else { return format!("Question {} is no longer in this course.", a.card) };
    let mut out = format!(
        "*Question {} of {} · {} · difficulty {}*\n\n{}\n\n",
        v.current + 1,
        v.mock.answers.len(),
        pack.lesson(&card.topic).map_or(card.topic.as_str(), |l| l.title.as_str()),
        card.difficulty,
        card.prompt.text.trim()
    );
    if v.phase == Phase::Reviewing
        && let CardKind::Open { answer, points } = &card.kind
    {
        out += "---\n\n**Your notes**\n\n";
        if a.notes.trim().is_empty() {
            out += "*(none)*\n\n";
        } else {
            for line in a.notes.lines() {
                // two trailing spaces: a hard line break, as the learner typed it
                out += &format!("> {line}  \n");
            }
            out += "\n";
        }
        let _ = points;
        out += &format!("**Model answer**\n\n{}\n", answer.text.trim());
    }
    out
}

fn with_view<T: Default>(app: &mut App, f: impl FnOnce(&mut App, &mut MockView) -> T) -> T {
    let Screen::Mock(mut view) = std::mem::replace(&mut app.screen, Screen::Home) else { return T::default() };
    let effects = f(app, &mut view);
    // the closure leaves by setting `closed` or by opening another screen
    if !view.closed && matches!(app.screen, Screen::Home) {
        app.screen = Screen::Mock(view);
    }
    effects
}

/// Keys in the notes box: Tab (accept) reveals the model answer; the rest edits the notes.
pub fn typing(app: &mut App, cmd: Option<Command>, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    with_view(app, |app, v| {
        match cmd {
            Some(Command::Accept) => reveal(app, v),
            Some(Command::Cancel) => ask_to_end(app),
            _ => {
                v.notes.input(key);
            }
        }
        vec![]
    })
}

pub fn paste(app: &mut App, text: &str) {
    if let Screen::Mock(v) = &mut app.screen
        && v.phase == Phase::Answering
    {
        v.notes.insert_str(text);
    }
}

fn reveal(app: &mut App, v: &mut MockView) {
    let secs = v.elapsed(app.tick);
    let a = &mut v.mock.answers[v.current];
    a.notes = v.notes.lines().join("\n");
    a.secs = secs;
    v.phase = Phase::Reviewing;
    v.cursor = 0;
    v.grade = v.mock.suggested(v.current);
    refresh(app, v);
}

fn ask_to_end(app: &mut App) {
    app.overlay = Some(Overlay::Confirm(Confirm {
        title: "End the mock interview?".into(),
        text: "The questions answered so far are scored and saved in the transcript; the rest are marked not reached.".into(),
        on_yes: Pending::EndMock,
    }));
}

pub fn command(app: &mut App, cmd: Command) -> Reply {
    with_view(app, |app, v| {
        let mut effects = Vec::new();
        match (v.phase, cmd) {
            (Phase::Scorecard, Command::Back | Command::Accept) => {
                v.closed = true;
                return vec![Effect::Save].into();
            }
            (Phase::Scorecard, Command::Transcripts) => {
                v.closed = true;
                return Reply::go(Go::Transcripts);
            }
            (Phase::Scorecard, Command::Down) => v.reader.scroll_by(1),
            (Phase::Scorecard, Command::Up) => v.reader.scroll_by(-1),
            (_, Command::Back) => ask_to_end(app),
            (Phase::Reviewing, Command::Down) => v.cursor = (v.cursor + 1).min(v.mock.answers[v.current].ticked.len().saturating_sub(1)),
            (Phase::Reviewing, Command::Up) => v.cursor = v.cursor.saturating_sub(1),
            (Phase::Reviewing, Command::PageDown | Command::HalfPageDown) => v.reader.scroll_by(v.reader.page()),
            (Phase::Reviewing, Command::PageUp | Command::HalfPageUp) => v.reader.scroll_by(-v.reader.page()),
            (Phase::Reviewing, Command::Select) => {
                if let Some(t) = v.mock.answers[v.current].ticked.get_mut(v.cursor) {
                    *t = !*t;
                }
                v.grade = v.mock.suggested(v.current);
            }
            (Phase::Reviewing, Command::Again | Command::Hard | Command::Good | Command::Easy) => v.grade = cmd.grade().unwrap_or(v.grade),
            (Phase::Reviewing, Command::Accept) => {
                v.mock.answers[v.current].grade = Some(v.grade);
                effects.extend(record_review(app, v, v.current));
                if v.current + 1 < v.mock.answers.len() {
                    v.current += 1;
                    v.phase = Phase::Answering;
                    v.notes = notes_box();
                    v.question_tick = app.tick;
                } else {
                    v.finished = true;
                    effects.extend(finish(app, v));
                }
            }
            _ => {}
        }
        refresh(app, v);
        effects.into()
    })
}

/// A scored answer counts as a review of its card in the drills (the day's score is reported).
fn record_review(app: &mut App, v: &MockView, i: usize) -> Option<Effect> {
    let now = app.now;
    let a = &v.mock.answers[i];
    let grade = a.grade?;
    let today = crate::drill::day_at(app.now);
    let drill = &mut app.pp_mut().drill;
    let prev = drill.items.get(&a.card).cloned();
    let state = Scheduler::default().review(prev.as_ref(), grade, today);
    drill.record(ReviewEntry { day: today, at: now, item: a.card.clone(), grade, new: prev.is_none(), secs: a.secs }, state);
    Some(Effect::Progress(crate::progress::event::ProgressEvent::drill_day(drill, today)))
}

/// To the scorecard; the transcript is written by the runtime.
fn finish(app: &mut App, v: &mut MockView) -> Vec<Effect> {
    if v.phase == Phase::Answering {
        // ended while answering: keep the notes and time of the question in progress
        let secs = v.elapsed(app.tick);
        let a = &mut v.mock.answers[v.current];
        a.notes = v.notes.lines().join("\n");
        a.secs = secs;
    }
    v.phase = Phase::Scorecard;
    let text = v.mock.transcript(&app.pack, v.finished);
    vec![Effect::SaveTranscript { started_at: v.mock.started_at, text }, Effect::Save]
}

/// The learner confirmed ending early.
pub fn end(app: &mut App) -> Vec<Effect> {
    with_view(app, |app, v| {
        let mut effects = Vec::new();
        if v.phase == Phase::Reviewing {
            v.mock.answers[v.current].grade = Some(v.grade);
            effects.extend(record_review(app, v, v.current));
        }
        effects.extend(finish(app, v));
        refresh(app, v);
        effects
    })
}

pub fn saved(app: &mut App, result: Result<String, String>) {
    match result {
        Ok(path) => {
            if let Screen::Mock(v) = &mut app.screen {
                v.saved = Some(path.clone());
            }
            app.flash(Level::Success, format!("Transcript saved: {path}"));
        }
        Err(e) => app.flash(Level::Warning, format!("Could not save the transcript: {e}")),
    }
    with_view(app, |app, v| {
        refresh(app, v);
    });
}

/// Once a second: tell the learner when the planned time is over (nothing is cut off).
pub fn tick(app: &mut App) {
    let tick = app.tick;
    let over = match &mut app.screen {
        Screen::Mock(v) if v.phase != Phase::Scorecard && !v.time_up_told && v.total_elapsed(tick) > v.mock.config.minutes * 60 => {
            v.time_up_told = true;
            true
        }
        _ => false,
    };
    if over {
        app.flash(Level::Warning, "The planned time is up: finish this answer, or Esc to end and score.");
    }
}

pub fn resize(app: &mut App) {
    with_view(app, |app, v| {
        refresh(app, v);
    });
}
