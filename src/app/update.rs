//! `update(state, action) -> effects`: the only place the state changes.

use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers, MouseEventKind};

use super::overlay::{Confirm, Overlay, Pending};
use super::{App, Effect, Geometry, Go, Level, Reply, Screen, exercise, lesson};
use crate::content::ItemRef;
use crate::input::{Command, Context};

pub fn update(app: &mut App, action: super::Action) -> Vec<Effect> {
    use super::Action;
    match action {
        Action::Key(key) if key.kind != KeyEventKind::Release => key_event(app, key),
        Action::Key(_) => vec![],
        Action::Mouse(m) => mouse(app, m),
        Action::Paste(text) => {
            match app.context() {
                Context::Typing if matches!(app.screen, Screen::Drill(_)) => super::drill::paste(app, &text),
                Context::Typing => super::mock::paste(app, &text),
                _ => {
                    if let Some(input) = search_input(app) {
                        input.push_str(text.lines().next().unwrap_or_default());
                    }
                }
            }
            vec![]
        }
        Action::Resize(w, h) => {
            resize(app, w, h);
            vec![]
        }
        Action::Tick => {
            app.tick += 1;
            if app.flash.as_ref().is_some_and(|f| f.until_tick <= app.tick) {
                app.flash = None;
            }
            if app.tick.is_multiple_of(super::TICKS_PER_SECOND) {
                super::mock::tick(app);
            }
            vec![]
        }
        Action::TargetDetected(info) => {
            app.target = Some(info);
            vec![]
        }
        Action::ChecksFinished { exercise, step, run, id } => {
            let passed = run.passed();
            let stale = app.running.get(&(exercise.clone(), step.clone())).is_some_and(|current| *current != id);
            let effects = exercise::checks_finished(app, &exercise, &step, run, id);
            if !stale && matches!(app.screen, Screen::Drill(_)) {
                super::drill::lab_checks_finished(app, &exercise, &step, passed);
            }
            effects
        }
        Action::TranscriptSaved(result) => {
            super::mock::saved(app, result);
            vec![]
        }
        Action::TranscriptsListed(list) => {
            super::transcripts::listed(app, list);
            vec![]
        }
        Action::ScenarioDone { id, outcome } => super::scenarios::finished(app, &id, outcome),
        Action::TranscriptRead(path, text) => {
            super::transcripts::read(app, path, text);
            vec![]
        }
        Action::Terminate => quit(app),
        Action::Workshop(notice) => {
            super::workshop::notice(app, notice);
            vec![]
        }
        Action::Changed { exercise, step } => exercise::changed(app, &exercise, &step),
        Action::Saved(Ok(())) => vec![],
        Action::Saved(Err(e)) => {
            app.flash(Level::Warning, format!("Could not save progress: {e}"));
            vec![]
        }
    }
}

fn resize(app: &mut App, w: u16, h: u16) {
    let lines = app.exercise_view().map_or(0, |(ex, v)| exercise::result_lines(app.step_progress(ex, v.step), w));
    app.geometry = Geometry::new(w, h, lines);
    let g = app.geometry;
    match &mut app.screen {
        Screen::Lesson(v) => v.reader.resize(g.lesson.width, g.lesson.height),
        Screen::Exercise(v) => v.reader.resize(g.step_text.width, g.step_text.height),
        Screen::Drill(_) => super::drill::resize(app),
        Screen::Transcripts(v) => {
            if let Some((_, r)) = &mut v.open {
                r.resize(g.lesson.width, g.lesson.height);
            }
        }
        Screen::Mock(_) => super::mock::resize(app),
        Screen::Scenarios(v) => {
            if let Some(r) = &mut v.open {
                r.resize(g.lesson.width, g.lesson.height);
            }
        }
        Screen::Home | Screen::Stats(_) => {}
    }
}

fn search_input(app: &mut App) -> Option<&mut String> {
    match &mut app.screen {
        Screen::Lesson(v) => v.reader.search_input(),
        Screen::Exercise(v) => v.reader.search_input(),
        _ => None,
    }
}

fn reader(app: &mut App) -> Option<&mut super::reader::Reader> {
    match &mut app.screen {
        Screen::Lesson(v) => Some(&mut v.reader),
        Screen::Exercise(v) => Some(&mut v.reader),
        _ => None,
    }
}

fn key_event(app: &mut App, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    let context = app.context();
    let mut command = app.keymap.lookup(context, key);
    if context == Context::Typing {
        // a text box takes every key but its own accept/leave and the global quit
        let command = command.filter(|c| matches!(c, Command::Accept | Command::Cancel | Command::ForceQuit));
        if command == Some(Command::ForceQuit) {
            return quit(app);
        }
        let enter = key.code == KeyCode::Enter && key.modifiers.is_empty();
        return match &app.screen {
            // Enter checks a one-line answer
            Screen::Drill(_) => super::drill::typing(app, if enter { Some(Command::Accept) } else { command }, key),
            _ => super::mock::typing(app, command, key),
        };
    }
    if context == Context::Search && !matches!(command, Some(Command::Accept | Command::Cancel | Command::DeleteChar | Command::ForceQuit)) {
        command = None;
    }
    if context == Context::Search && command.is_none() {
        // typed text goes into the search prompt
        if let KeyCode::Char(c) = key.code
            && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            && let Some(input) = search_input(app)
        {
            input.push(c);
        }
        return vec![];
    }
    match command {
        Some(cmd) => command_in(app, context, cmd),
        None => vec![],
    }
}

fn command_in(app: &mut App, context: Context, cmd: Command) -> Vec<Effect> {
    match (context, cmd) {
        (_, Command::ForceQuit) => quit(app),
        (Context::Help, Command::Back) => {
            app.overlay = None;
            vec![]
        }
        (Context::Help, Command::Down | Command::Up) => {
            let max = super::overlay::help_max_scroll(super::overlay::help_rows(app).len(), app.geometry.size.1);
            if let Some(Overlay::Help { scroll }) = &mut app.overlay {
                *scroll = if cmd == Command::Down { (*scroll + 1).min(max) } else { scroll.saturating_sub(1).min(max) };
            }
            vec![]
        }
        (_, Command::Help) => {
            app.overlay = Some(Overlay::Help { scroll: 0 });
            vec![]
        }
        (_, Command::LastMessage) => {
            match app.last_message.clone() {
                Some((_, text)) => app.overlay = Some(Overlay::Notice { title: "Last message".into(), text }),
                None => app.flash(Level::Info, "No message yet"),
            }
            vec![]
        }
        (Context::Confirm, Command::Yes) => match app.overlay.take() {
            Some(Overlay::Confirm(c)) => confirmed(app, c),
            _ => vec![],
        },
        (Context::Confirm, Command::No) => {
            app.overlay = None;
            app.pending_scenario = None;
            vec![]
        }
        (Context::Search, Command::Accept) => {
            if let Some(r) = reader(app) {
                r.accept_search();
                let n = r.search.matches.len();
                let q = r.search.query.clone();
                if n == 0 && !q.is_empty() {
                    app.flash(Level::Warning, format!("No match for “{q}”"));
                } else if n > 0 {
                    app.flash(Level::Info, format!("{n} match{} for “{q}” — n/N to move", if n == 1 { "" } else { "es" }));
                }
            }
            vec![]
        }
        (Context::Search, Command::Cancel) => {
            if let Some(r) = reader(app) {
                r.cancel_search();
            }
            vec![]
        }
        (Context::Search, Command::DeleteChar) => {
            if let Some(input) = search_input(app) {
                input.pop();
            }
            vec![]
        }
        (Context::Home, cmd) => home_command(app, cmd),
        (Context::Lesson | Context::Exercise, Command::Back) => back_home(app),
        (Context::Lesson | Context::Exercise, Command::NextItem) => step_item(app, 1),
        (Context::Lesson | Context::Exercise, Command::PrevItem) => step_item(app, -1),
        (Context::Lesson | Context::Exercise, Command::CopyBlock) => copy_selected(app),
        (Context::Lesson | Context::Exercise, Command::OpenLink) => open_link(app),
        (Context::Lesson, cmd) => lesson::command(app, cmd),
        (Context::Exercise, cmd) => exercise::command(app, cmd),
        (Context::Drill, Command::Back) | (Context::Stats, Command::Back) => back_home(app),
        (Context::Drill, cmd) => {
            let reply = super::drill::command(app, cmd);
            follow(app, reply)
        }
        (Context::Stats, Command::Drill) => go(app, Go::Drill(None)),
        (Context::Mock, cmd) => {
            let reply = super::mock::command(app, cmd);
            follow(app, reply)
        }
        (Context::Transcripts, cmd) => super::transcripts::command(app, cmd),
        (Context::Scenarios, cmd) => super::scenarios::command(app, cmd),
        _ => vec![],
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    lesson::leave(app);
    app.quit = true;
    vec![Effect::Save, Effect::Quit]
}

/// Leaving a screen: remember the lesson's place, stop watching an exercise's step.
fn leave_screen(app: &mut App) -> Vec<Effect> {
    lesson::leave(app);
    match app.screen {
        Screen::Exercise(_) => vec![Effect::Watch(None)],
        _ => vec![],
    }
}

/// Leave the current screen and open another.
pub fn go(app: &mut App, to: Go) -> Vec<Effect> {
    let mut effects = leave_screen(app);
    effects.extend(match to {
        Go::Drill(topic) => super::drill::open(app, topic),
        Go::Mock(config) => super::mock::open(app, config),
        Go::Stats => super::stats::open(app),
        Go::Transcripts => super::transcripts::open(app),
        Go::Scenarios => super::scenarios::open(app),
        Go::Exercise { index, step } => exercise::open(app, index, step),
    });
    effects
}

/// A screen's reply: its effects, then the screen it asked for.
fn follow(app: &mut App, reply: Reply) -> Vec<Effect> {
    let mut effects = reply.effects;
    if let Some(to) = reply.go {
        effects.extend(go(app, to));
    }
    effects
}

fn back_home(app: &mut App) -> Vec<Effect> {
    let mut effects = leave_screen(app);
    app.screen = Screen::Home;
    effects.push(Effect::Save);
    effects
}

pub fn open_item(app: &mut App, item: ItemRef) -> Vec<Effect> {
    let mut effects = leave_screen(app);
    effects.extend(match item {
        ItemRef::Lesson(i) => lesson::open(app, i),
        ItemRef::Exercise(i) => exercise::open(app, i, None),
    });
    effects
}

fn step_item(app: &mut App, delta: isize) -> Vec<Effect> {
    let Some(current) = app.current_item() else { return vec![] };
    let items: Vec<ItemRef> = app.pack.items().collect();
    let Some(pos) = items.iter().position(|&i| i == current) else { return vec![] };
    match pos.checked_add_signed(delta).and_then(|p| items.get(p)) {
        Some(&next) => open_item(app, next),
        None => {
            app.flash(Level::Info, if delta > 0 { "This is the last item of the course." } else { "This is the first item." });
            vec![]
        }
    }
}

fn home_command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let pack = app.pack.clone();
    let page = app.geometry.body.height.max(2) as isize - 1;
    match cmd {
        Command::Quit => return quit(app),
        Command::Down => app.home.move_by(&pack, 1),
        Command::Up => app.home.move_by(&pack, -1),
        Command::PageDown => app.home.move_by(&pack, page),
        Command::PageUp => app.home.move_by(&pack, -page),
        Command::Top => app.home.selected = 0,
        Command::Bottom => app.home.move_by(&pack, isize::MAX),
        Command::Open => {
            if let Some(item) = app.home.selected_item(&pack) {
                return open_item(app, item);
            }
        }
        Command::Drill => return go(app, Go::Drill(None)),
        Command::Mock => return go(app, Go::Mock(crate::drill::mock::MockConfig::default())),
        Command::Stats => return go(app, Go::Stats),
        Command::Transcripts => return go(app, Go::Transcripts),
        Command::Scenarios => return go(app, Go::Scenarios),
        Command::ResetItem => {
            if let Some(item) = app.home.selected_item(&pack) {
                let what = match item {
                    ItemRef::Lesson(_) => "Forgets that you opened and read it, and your place in it.",
                    ItemRef::Exercise(_) => "Forgets every step's hints and solutions revealed, check results and completion.",
                };
                app.overlay = Some(Overlay::Confirm(Confirm {
                    title: "Reset this item?".into(),
                    text: format!("{}\n\n{what} Your cluster is not touched.", pack.item_title(item)),
                    on_yes: Pending::ResetItem(item),
                }));
            }
        }
        Command::ResetAll => {
            app.overlay = Some(Overlay::Confirm(Confirm {
                title: "Reset ALL progress?".into(),
                text: format!(
                    "{}\n\nForgets the progress of every lesson and exercise of this course. Other courses and your cluster are not touched.",
                    pack.title
                ),
                on_yes: Pending::ResetAll,
            }));
        }
        _ => {}
    }
    vec![]
}

fn confirmed(app: &mut App, confirm: Confirm) -> Vec<Effect> {
    let now = app.now;
    let pack = app.pack.clone();
    match confirm.on_yes {
        Pending::RevealSolution { exercise, step } => {
            let sp = app.pp_mut().step_mut(&exercise, &step);
            sp.solution_revealed = true;
            sp.solution_revealed_at = Some(now);
            app.refresh_step(false);
            if let Screen::Exercise(v) = &mut app.screen {
                let first_solution_line = v.reader.rendered.headings.last().copied().unwrap_or(0);
                v.reader.scroll_to(first_solution_line);
            }
            app.flash(Level::Info, "Solution shown below (recorded).");
            return vec![Effect::Save, Effect::Progress(crate::progress::event::ProgressEvent::SolutionRevealed { exercise, step })];
        }
        Pending::ResetStep { exercise, step } => {
            if let Some(e) = app.pp_mut().exercises.get_mut(&exercise) {
                e.steps.remove(&step);
            }
            app.refresh_step(true);
            app.flash(Level::Info, "Step reset.");
        }
        Pending::ResetExercise { exercise } => {
            app.pp_mut().exercises.remove(&exercise);
            app.refresh_step(true);
            app.flash(Level::Info, "Exercise reset.");
        }
        Pending::ResetItem(item) => {
            let id = pack.item_id(item).to_string();
            let pp = app.pp_mut();
            match item {
                ItemRef::Lesson(_) => pp.lessons.remove(&id),
                ItemRef::Exercise(_) => pp.exercises.remove(&id).map(|_| Default::default()),
            };
            app.flash(Level::Info, format!("Reset: {}", pack.item_title(item)));
        }
        Pending::ResetAll => {
            app.progress.packs.remove(&pack.id);
            app.flash(Level::Info, "All progress of this course was reset.");
        }
        Pending::EndMock => return super::mock::end(app),
        Pending::ScenarioStart { .. } | Pending::ScenarioReset { .. } => return super::scenarios::confirmed(app),
    }
    vec![Effect::Save]
}

fn mouse(app: &mut App, m: crossterm::event::MouseEvent) -> Vec<Effect> {
    let delta: isize = match m.kind {
        MouseEventKind::ScrollDown => 3,
        MouseEventKind::ScrollUp => -3,
        _ => return vec![],
    };
    if app.overlay.is_some() {
        return vec![];
    }
    match &mut app.screen {
        Screen::Home => {
            let pack = app.pack.clone();
            app.home.move_by(&pack, delta.signum());
            vec![]
        }
        Screen::Lesson(_) => lesson::scrolled(app, delta),
        Screen::Exercise(v) => {
            v.reader.scroll_by(delta);
            vec![]
        }
        Screen::Drill(v) => {
            v.reader.scroll_by(delta);
            vec![]
        }
        Screen::Mock(v) => {
            v.reader.scroll_by(delta);
            vec![]
        }
        Screen::Transcripts(v) => {
            if let Some((_, r)) = &mut v.open {
                r.scroll_by(delta);
            }
            vec![]
        }
        Screen::Scenarios(v) => {
            if let Some(r) = &mut v.open {
                r.scroll_by(delta);
            }
            vec![]
        }
        Screen::Stats(_) => vec![],
    }
}

/// Open the selected link into the course: a lesson, or a lab at its step; or say how to
/// select one.
fn open_link(app: &mut App) -> Vec<Effect> {
    let next = app.key_for(app.screen_context(), Command::NextLink);
    let Some(target) = reader(app).and_then(|r| r.selected_link_target().map(str::to_string)) else {
        app.flash(Level::Info, format!("No link selected: press {next} to select one"));
        return vec![];
    };
    let pack = app.pack.clone();
    if let Some(id) = target.strip_prefix("lesson:")
        && let Some(i) = pack.lessons.iter().position(|l| l.id == id)
    {
        return open_item(app, ItemRef::Lesson(i));
    }
    if let Some(rest) = target.strip_prefix("exercise:") {
        let (id, step) = rest.split_once('/').map_or((rest, None), |(a, b)| (a, Some(b)));
        if let Some(index) = pack.exercises.iter().position(|e| e.id == id) {
            let step = step.and_then(|s| pack.exercises[index].steps.iter().position(|st| st.id == s));
            return go(app, Go::Exercise { index, step });
        }
    }
    // kubedojo lint refuses such a link; a pack loaded without it can still have one
    app.flash(Level::Warning, format!("The link {target} leads nowhere in this course (kubedojo lint names it)"));
    vec![]
}

/// Copy the selected code block (OSC 52), or say how to select one.
fn copy_selected(app: &mut App) -> Vec<Effect> {
    let context = app.screen_context();
    let next = app.key_for(context, Command::NextBlock);
    let Some(r) = reader(app) else { return vec![] };
    match r.selected_code().map(|(t, l)| (t.to_string(), l.to_string())) {
        Some((text, lang)) => {
            let lines = text.lines().count();
            let lang = if lang.is_empty() { String::new() } else { format!(" {lang}") };
            app.flash(Level::Success, format!("Copied {lines} line{}{lang} to the clipboard", if lines == 1 { "" } else { "s" }));
            vec![Effect::Copy(text)]
        }
        None => {
            app.flash(Level::Info, format!("No code block selected: press {next} to select one"));
            vec![]
        }
    }
}
