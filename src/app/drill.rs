//! The drill screen: one item at a time from the day's queue (due reviews, relearning, new
//! cards, lab steps sent back for practice), answered, graded and scheduled with FSRS.

use std::sync::Arc;

use ratatui_textarea::TextArea;

use super::reader::Reader;
use super::{App, Effect, Go, Level, Reply, Screen};
use crate::content::{Card, CardKind, Pack};
use crate::drill::grade;
use crate::drill::queue::{Counts, Deck, Session};
use crate::drill::schedule::Scheduler;
use crate::input::Command;
use crate::progress::drill::Grade;
use crate::progress::drill::{ReviewEntry, lab_item, lab_step};

pub struct DrillView {
    pub session: Session,
    pub deck: Arc<Deck>,
    /// `None`: nothing left for today in this filter.
    pub card: Option<CardRun>,
    /// The card's text: prompt, choices, feedback, model answer.
    pub reader: Reader,
    /// The typed answer of a recall card.
    pub input: TextArea<'static>,
    pub counts: Counts,
    pub today: i64,
    /// Set to leave the screen from inside an update of it.
    pub closed: bool,
}

/// One item being answered.
#[derive(Debug, Clone, PartialEq)]
pub struct CardRun {
    pub item: String,
    pub started_tick: u64,
    pub answered: bool,
    /// Cursor over options (choice), steps (order) or key points (open, answered).
    pub cursor: usize,
    /// Order cards: the correct-order index of the step shown at each position.
    pub arrangement: Vec<usize>,
    pub picked: Option<usize>,
    pub ticked: Vec<bool>,
    pub typed: String,
    pub correct: Option<bool>,
    /// The grade Enter saves: the suggestion until the learner picks another.
    pub grade: Grade,
    /// Lab items: the re-practice run's result, when run.
    pub lab_passed: Option<bool>,
}

impl DrillView {
    pub fn is_typing(&self, pack: &Pack) -> bool {
        self.card.as_ref().is_some_and(|c| !c.answered && matches!(pack.card(&c.item).map(|c| &c.kind), Some(CardKind::Recall { .. })))
    }
}

fn text_input() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.set_placeholder_text("type the answer, Enter to check");
    t
}

/// Open the drill screen (`topic`: only that lesson's cards and labs).
pub fn open(app: &mut App, topic: Option<String>) -> Vec<Effect> {
    let mut effects = Vec::new();
    let deck = Arc::new(Deck::new(&app.pack));
    let g = app.geometry;
    let mut view = DrillView {
        session: Session::new(topic),
        deck,
        card: None,
        reader: Reader::new("", g.lesson.width, g.body.height),
        input: text_input(),
        counts: Counts::default(),
        today: crate::drill::day_at(app.now),
        closed: false,
    };
    next_card(app, &mut view);
    app.screen = Screen::Drill(view);
    effects.push(Effect::Save);
    effects
}

fn next_card(app: &App, view: &mut DrillView) {
    let sched = Scheduler::default();
    let drill = app.pp().map(|p| p.drill.clone()).unwrap_or_default();
    view.counts = view.session.counts(&app.pack, &view.deck, &drill, view.today);
    view.input = text_input();
    view.card = view.session.next(&app.pack, &view.deck, &drill, &sched, view.today).map(|item| {
        let card = app.pack.card(&item);
        let arrangement = match card.map(|c| &c.kind) {
            Some(CardKind::Order { steps, .. }) => shuffled(steps.len(), &item, view.session.answered as u64),
            _ => Vec::new(),
        };
        let ticked = match card.map(|c| &c.kind) {
            Some(CardKind::Open { points, .. }) => vec![false; points.len()],
            _ => Vec::new(),
        };
        CardRun {
            item,
            started_tick: app.tick,
            answered: false,
            cursor: 0,
            arrangement,
            picked: None,
            ticked,
            typed: String::new(),
            correct: None,
            grade: Grade::Good,
            lab_passed: None,
        }
    });
    refresh(app, view);
}

/// A shuffled order that is never the correct one (for 2+ steps).
fn shuffled(n: usize, item: &str, salt: u64) -> Vec<usize> {
    let mut seed = item.bytes().fold(0xcbf2_9ce4_8422_2325u64 ^ salt, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    if n > 1 && v.iter().enumerate().all(|(i, s)| i == *s) {
        v.rotate_left(1);
    }
    v
}

/// Rebuild the card text after a change, in the height the panel leaves.
fn refresh(app: &App, view: &mut DrillView) {
    let g = app.geometry;
    let height = g.body.height.saturating_sub(panel_height(&app.pack, view));
    let text = document(app, view);
    view.reader.show(&text, g.lesson.width, height);
}

fn document(app: &App, view: &DrillView) -> String {
    let pack = &app.pack;
    let Some(run) = &view.card else {
        let filter = view.session.topic.as_deref().map_or_else(String::new, |t| format!(" in {}", topic_title(pack, t)));
        let stats = app.key_for(crate::input::Context::Drill, Command::Stats);
        return format!(
            "# Done for today{filter}\n\nNo reviews are due and today's new cards are done. {} answered in this sitting.\n\nCome back tomorrow: the schedule brings each card back just before you would forget it. Press **{stats}** for your statistics.",
            view.session.answered
        );
    };
    if let Some((exercise, step)) = lab_step(&run.item) {
        return lab_document(app, run, exercise, step);
    }
    let Some(card) = pack.card(&run.item) else { return format!("Card {} is no longer in this course.", run.item) };
    let mut out = format!(
        "*{} · {} · {}*\n\n{}\n\n",
        topic_title(pack, &card.topic),
        card.kind.name(),
        "●".repeat(card.difficulty.into()) + &"○".repeat(3 - usize::from(card.difficulty.min(3))),
        card.prompt.text.trim()
    );
    match &card.kind {
        CardKind::Choice { options, explanation } => {
            for (i, o) in options.iter().enumerate() {
                let mark = if !run.answered {
                    if i == run.cursor { "▸" } else { BLANK }
                } else if o.correct {
                    "✔"
                } else if run.picked == Some(i) {
                    "✘"
                } else {
                    BLANK
                };
                let text = if !run.answered && i == run.cursor { format!("**{}**", o.text) } else { o.text.clone() };
                out += &format!("{mark} {}\\. {text}\n\n", i + 1);
                if run.answered && (o.correct || run.picked == Some(i)) {
                    out += &format!("   > {}\n\n", o.why);
                }
            }
            if run.answered {
                out += &verdict(run);
                if let Some(e) = explanation {
                    out += &format!("{}\n\n", e.text.trim());
                }
            }
        }
        CardKind::Recall { answers, explanation } => {
            if run.answered {
                out += &format!("Your answer: `{}`\n\n", if run.typed.is_empty() { " " } else { &run.typed });
                out += &verdict(run);
                out += &format!("Accepted: {}\n\n", answers.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "));
                if let Some(e) = explanation {
                    out += &format!("{}\n\n", e.text.trim());
                }
            }
        }
        CardKind::Order { steps, explanation } => {
            for (pos, s) in run.arrangement.iter().enumerate() {
                let mark = if run.answered {
                    if *s == pos { "✔" } else { "✘" }
                } else if pos == run.cursor {
                    "▸"
                } else {
                    BLANK
                };
                let text = if !run.answered && pos == run.cursor { format!("**{}**", steps[*s]) } else { steps[*s].clone() };
                out += &format!("{mark} {}\\. {text}\n\n", pos + 1);
            }
            if run.answered {
                out += &verdict(run);
                if run.correct == Some(false) {
                    out += "The right order:\n\n";
                    for (i, s) in steps.iter().enumerate() {
                        out += &format!("{}. {s}\n", i + 1);
                    }
                    out += "\n";
                }
                if let Some(e) = explanation {
                    out += &format!("{}\n\n", e.text.trim());
                }
            } else {
                let (down, up) = (app.key_for(crate::input::Context::Drill, Command::MoveDown), app.key_for(crate::input::Context::Drill, Command::MoveUp));
                out += &format!("*Select a step and move it with {down} / {up}; Enter when the order is right.*\n\n");
            }
        }
        CardKind::Open { answer, points } => {
            if run.answered {
                let _ = points;
                out += &format!("---\n\n**Model answer**\n\n{}\n", answer.text.trim());
            } else {
                out += "*Answer it out loud or in your head, as in an interview. Then press Enter to compare with the model answer.*\n\n";
            }
        }
    }
    out
}

fn lab_document(app: &App, run: &CardRun, exercise: &str, step: &str) -> String {
    let pack = &app.pack;
    let Some(ex) = pack.exercise(exercise) else { return format!("Lab {exercise} is no longer in this course.") };
    let Some(s) = ex.step(step) else { return format!("Step {step} is no longer in lab {exercise}.") };
    let (r, o) = (app.key_for(crate::input::Context::Drill, Command::RunChecks), app.key_for(crate::input::Context::Drill, Command::Open));
    let mut out = format!(
        "*lab step · practice again*\n\n# {}\n\n**{}** — you passed it with hints or the solution. Do it again from memory on your cluster (in a fresh namespace or after resetting it), then press **{r}** to run its checks. **{o}** opens the step in the lab.\n\n---\n\n{}\n\n",
        s.title,
        ex.title,
        ex.expand(&s.instructions.text)
    );
    if app.is_running(exercise, step) {
        out += "*Running the checks…*\n\n";
    }
    if let Some(last) = app.pp().and_then(|p| p.step(exercise, step)).and_then(|sp| sp.last_run.as_ref()).filter(|_| run.lab_passed.is_some()) {
        for r in &last.results {
            out += &format!("- {} `{}` {}\n", r.status.symbol(), r.check, r.message);
        }
        out += "\n";
    }
    out
}

/// A blank one column wide that the markdown layout keeps at the start of a line (a braille
/// blank: not whitespace, so it is not trimmed), so the markers of a list align.
pub const BLANK: &str = "\u{2800}";

fn verdict(run: &CardRun) -> String {
    match run.correct {
        Some(true) => "**✔ Correct.**\n\n".to_string(),
        Some(false) => "**✘ Not quite.**\n\n".to_string(),
        None => String::new(),
    }
}

/// The grades the learner may pick now, with their keys: (grade, key, selected).
pub fn grade_choices(app: &App, run: &CardRun) -> Vec<(Grade, String, bool)> {
    let auto = !matches!(app.pack.card(&run.item).map(|c| &c.kind), Some(CardKind::Open { .. }));
    Grade::ALL
        .iter()
        .filter(|g| allowed_kind(run, auto, **g))
        .map(|g| (*g, app.key_for(crate::input::Context::Drill, Command::for_grade(*g)), *g == run.grade))
        .collect()
}

/// Lines under the card text: the answer box (recall), or the key points to tick (open,
/// answered) and the grade line. The card text takes the rest.
pub fn panel_height(pack: &Pack, view: &DrillView) -> u16 {
    let Some(run) = &view.card else { return 0 };
    let recall = matches!(pack.card(&run.item).map(|c| &c.kind), Some(CardKind::Recall { .. }));
    if !run.answered {
        return if recall { 3 } else { 0 };
    }
    let points = match pack.card(&run.item).map(|c| &c.kind) {
        Some(CardKind::Open { points, .. }) => points.len() as u16 + 1,
        _ => 0,
    };
    points + 2 + if recall { 3 } else { 0 }
}

/// A wrong auto-graded answer (or a failed lab run) can only be "again".
fn allowed(run: &CardRun, card: &Card, g: Grade) -> bool {
    allowed_kind(run, !matches!(card.kind, CardKind::Open { .. }), g)
}

fn allowed_kind(run: &CardRun, auto: bool, g: Grade) -> bool {
    let wrong = run.correct == Some(false) || run.lab_passed == Some(false);
    !(auto && wrong) || g == Grade::Again
}

fn topic_title(pack: &Pack, topic: &str) -> String {
    pack.lesson(topic).map_or_else(|| topic.to_string(), |l| l.title.clone())
}

fn view_mut(app: &mut App) -> Option<&mut DrillView> {
    match &mut app.screen {
        Screen::Drill(v) => Some(v),
        _ => None,
    }
}

/// Work on the view with the app readable, then put it back.
fn with_view<T: Default>(app: &mut App, f: impl FnOnce(&mut App, &mut DrillView) -> T) -> T {
    let Screen::Drill(mut view) = std::mem::replace(&mut app.screen, Screen::Home) else { return T::default() };
    let effects = f(app, &mut view);
    // the closure leaves by setting `closed` or by opening another screen
    if !view.closed && matches!(app.screen, Screen::Home) {
        app.screen = Screen::Drill(view);
    }
    effects
}

pub fn command(app: &mut App, cmd: Command) -> Reply {
    match cmd {
        Command::Stats => return Reply::go(Go::Stats),
        Command::Topic => {
            return with_view(app, |app, v| {
                cycle_topic(app, v);
                Reply::default()
            });
        }
        Command::PageDown | Command::HalfPageDown => {
            if let Some(v) = view_mut(app) {
                let p = v.reader.page();
                v.reader.scroll_by(p);
            }
            return Reply::default();
        }
        Command::PageUp | Command::HalfPageUp => {
            if let Some(v) = view_mut(app) {
                let p = v.reader.page();
                v.reader.scroll_by(-p);
            }
            return Reply::default();
        }
        _ => {}
    }
    with_view(app, |app, v| {
        let pack = app.pack.clone();
        let Some(run) = v.card.as_mut() else { return Reply::default() };
        let item = run.item.clone();
        if let Some((exercise, step)) = lab_step(&item).map(|(e, s)| (e.to_string(), s.to_string())) {
            return lab_command(app, v, cmd, &exercise, &step);
        }
        let Some(card) = pack.card(&item) else { return Reply::default() };
        let mut effects = Vec::new();
        match (cmd, &card.kind, run.answered) {
            (Command::Down, CardKind::Choice { options, .. }, false) => run.cursor = (run.cursor + 1).min(options.len() - 1),
            (Command::Down, CardKind::Order { steps, .. }, false) => run.cursor = (run.cursor + 1).min(steps.len() - 1),
            (Command::Down, CardKind::Open { points, .. }, true) => run.cursor = (run.cursor + 1).min(points.len().saturating_sub(1)),
            (Command::Up, _, _) => run.cursor = run.cursor.saturating_sub(1),
            (Command::Down, _, true) => v.reader.scroll_by(1),
            (Command::MoveDown, CardKind::Order { .. }, false) if run.cursor + 1 < run.arrangement.len() => {
                run.arrangement.swap(run.cursor, run.cursor + 1);
                run.cursor += 1;
            }
            (Command::MoveUp, CardKind::Order { .. }, false) if run.cursor > 0 => {
                run.arrangement.swap(run.cursor, run.cursor - 1);
                run.cursor -= 1;
            }
            (Command::Select | Command::Accept, CardKind::Choice { options, .. }, false) => {
                run.picked = Some(run.cursor);
                run.correct = Some(options[run.cursor].correct);
                run.grade = grade::auto(run.correct == Some(true));
                run.answered = true;
            }
            (Command::Accept, CardKind::Order { .. }, false) => {
                let r = grade::order(&run.arrangement);
                run.correct = Some(r.correct());
                run.grade = r.grade();
                run.answered = true;
            }
            (Command::Accept, CardKind::Open { .. }, false) => {
                run.answered = true;
                run.cursor = 0;
                run.grade = grade::open(0, run.ticked.len());
            }
            (Command::Select, CardKind::Open { .. }, true) => {
                if let Some(t) = run.ticked.get_mut(run.cursor) {
                    *t = !*t;
                }
                run.grade = grade::open(run.ticked.iter().filter(|t| **t).count(), run.ticked.len());
            }
            (Command::Again | Command::Hard | Command::Good | Command::Easy, _, true) => {
                let g = cmd.grade().unwrap_or(Grade::Again);
                if allowed(run, card, g) {
                    run.grade = g;
                } else {
                    app.flash(Level::Info, "A wrong answer is graded again: it comes back in a few cards.");
                }
            }
            (Command::Accept, _, true) => effects = save_grade(app, v),
            _ => {}
        }
        refresh(app, v);
        effects.into()
    })
}

/// Keys in the answer box (a recall card): Enter checks; the rest edits the text.
pub fn typing(app: &mut App, cmd: Option<Command>, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    with_view(app, |app, v| {
        match cmd {
            Some(Command::Accept) => {
                let typed = v.input.lines().join(" ");
                if let Some(run) = v.card.as_mut()
                    && let Some(CardKind::Recall { answers, .. }) = app.pack.card(&run.item).map(|c| &c.kind)
                {
                    run.correct = Some(grade::recall(&typed, answers).is_some());
                    run.grade = grade::auto(run.correct == Some(true));
                    run.typed = typed.trim().to_string();
                    run.answered = true;
                }
                refresh(app, v);
            }
            Some(Command::Cancel) => {
                v.closed = true;
                return vec![Effect::Save];
            }
            _ => {
                // one line: Enter never inserts a newline here
                if key.code != crossterm::event::KeyCode::Enter {
                    v.input.input(key);
                }
            }
        }
        vec![]
    })
}

pub fn paste(app: &mut App, text: &str) {
    if let Some(v) = view_mut(app) {
        v.input.insert_str(text.lines().next().unwrap_or_default());
    }
}

fn lab_command(app: &mut App, v: &mut DrillView, cmd: Command, exercise: &str, step: &str) -> Reply {
    let pack = app.pack.clone();
    let Some(ex) = pack.exercise(exercise) else { return Reply::default() };
    let Some(index) = ex.steps.iter().position(|s| s.id == step) else { return Reply::default() };
    let effects = match cmd {
        Command::RunChecks => vec![app.start_run(crate::checks::CheckRequest::for_step(ex, index))],
        Command::Open => {
            let i = pack.exercises.iter().position(|e| e.id == exercise).unwrap_or_default();
            v.closed = true;
            return Reply { effects: vec![Effect::Save], go: Some(Go::Exercise { index: i, step: Some(index) }) };
        }
        Command::Again | Command::Hard | Command::Good | Command::Easy => {
            if let Some(run) = v.card.as_mut().filter(|r| r.answered) {
                let g = cmd.grade().unwrap_or(Grade::Again);
                if run.lab_passed == Some(false) && g != Grade::Again {
                    app.flash(Level::Info, "The checks did not pass: the step comes back again.");
                } else {
                    run.grade = g;
                }
            }
            vec![]
        }
        Command::Accept if v.card.as_ref().is_some_and(|r| r.answered) => save_grade(app, v),
        Command::Accept => {
            let key = app.key_for(crate::input::Context::Drill, Command::RunChecks);
            app.flash(Level::Info, format!("Press {key} to run the step's checks first."));
            vec![]
        }
        Command::Down => {
            v.reader.scroll_by(1);
            vec![]
        }
        Command::Up => {
            v.reader.scroll_by(-1);
            vec![]
        }
        _ => vec![],
    };
    refresh(app, v);
    effects.into()
}

/// A lab item's re-practice run finished (the result is already in the progress).
pub fn lab_checks_finished(app: &mut App, exercise: &str, step: &str, passed: bool) {
    with_view(app, |app, v| {
        if let Some(run) = v.card.as_mut().filter(|r| r.item == lab_item(exercise, step)) {
            run.lab_passed = Some(passed);
            run.answered = true;
            run.correct = Some(passed);
            run.grade = grade::auto(passed);
        }
        refresh(app, v);
    });
}

fn save_grade(app: &mut App, v: &mut DrillView) -> Vec<Effect> {
    let now = app.now;
    let Some(run) = v.card.take() else { return vec![] };
    let sched = Scheduler::default();
    let today = v.today;
    let secs = (app.tick.saturating_sub(run.started_tick) / super::TICKS_PER_SECOND) as u32;
    let drill = &mut app.pp_mut().drill;
    let prev = drill.items.get(&run.item).cloned();
    let state = sched.review(prev.as_ref(), run.grade, today);
    let due = state.due_day - today;
    drill.record(ReviewEntry { day: today, at: now, item: run.item.clone(), grade: run.grade, new: prev.is_none(), secs }, state);
    v.session.answered(&run.item, run.grade == Grade::Again);
    let when = match due {
        0 => "again in a few cards".to_string(),
        1 => "tomorrow".to_string(),
        d => format!("in {d} days"),
    };
    app.flash(Level::Info, format!("Saved {}: next review {when}.", run.grade.label()));
    let graded = crate::progress::event::ProgressEvent::drill_day(&app.pp_mut().drill, today);
    next_card(app, v);
    vec![Effect::Save, Effect::Progress(graded)]
}

fn cycle_topic(app: &mut App, v: &mut DrillView) {
    let topics: Vec<&str> = app.pack.lessons.iter().map(|l| l.id.as_str()).filter(|l| app.pack.cards.iter().any(|c| c.topic == *l)).collect();
    let next = match v.session.topic.as_deref() {
        None => topics.first().map(|t| t.to_string()),
        Some(t) => topics.iter().position(|x| *x == t).and_then(|i| topics.get(i + 1)).map(|t| t.to_string()),
    };
    let label = next.as_deref().map_or_else(|| "all topics".to_string(), |t| topic_title(&app.pack, t));
    v.session = Session::new(next);
    app.flash(Level::Info, format!("Drilling {label}"));
    next_card(app, v);
}

pub fn resize(app: &mut App) {
    with_view(app, |app, v| {
        refresh(app, v);
    });
}
