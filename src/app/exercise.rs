//! The exercise screen: steps in order, the selected step's text, hints, solution and results.

use super::overlay::{Confirm, Overlay, Pending};
use super::reader::Reader;
use super::{App, Effect, Geometry, Level, Screen};
use crate::checks::CheckRequest;
use crate::content::{Exercise, ItemRef, PackFiles};
use crate::input::{Command, Context};
use crate::progress::event::ProgressEvent;
use crate::progress::{Completion, Position, StepProgress};

pub struct ExerciseView {
    pub index: usize,
    pub step: usize,
    pub reader: Reader,
}

/// The step pane's markdown: instructions, the hints revealed so far, the solution if revealed.
pub fn step_markdown(pack: &crate::content::Pack, ex: &Exercise, step_index: usize, sp: Option<&StepProgress>, files: &PackFiles, hint_key: &str) -> String {
    let step = &ex.steps[step_index];
    let mut md = String::new();
    if step_index == 0 && !ex.summary.text.trim().is_empty() {
        md.push_str(&format!("# {}\n\n{}\n\n---\n\n", ex.title, ex.expand(&ex.summary.text)));
    }
    md.push_str(&format!("## Step {} of {}: {}\n\n", step_index + 1, ex.steps.len(), ex.expand(&step.title)));
    // what the lab costs, before the first step that creates something that bills (or at the
    // start, for a lab that creates nothing that bills)
    if let Some(estimate) = crate::content::cost::estimate(pack, ex) {
        let from = ex.cost.as_ref().and_then(|c| c.from.as_deref());
        if from.map_or(step_index == 0, |f| f == step.id) {
            md.push_str(&estimate.markdown(pack));
        }
    }
    md.push_str(&ex.expand(&step.instructions.text));
    let revealed = usize::from(sp.map_or(0, |s| s.hints_revealed)).min(step.hints.len());
    if revealed > 0 {
        md.push_str("\n\n### Hints\n\n");
        for (i, hint) in step.hints.iter().take(revealed).enumerate() {
            md.push_str(&format!("> **Hint {} of {}.** {}\n\n", i + 1, step.hints.len(), ex.expand(hint.text.trim())));
        }
    }
    if revealed < step.hints.len() {
        let left = step.hints.len() - revealed;
        md.push_str(&format!("\n\n*{left} more hint{} — press {hint_key}.*\n", if left == 1 { "" } else { "s" }));
    }
    if sp.is_some_and(|s| s.solution_revealed) {
        md.push_str("\n\n### Solution\n\n");
        md.push_str(&ex.expand(&step.solution.text.text));
        for file in &step.solution.files {
            let lang = file.rsplit('.').next().unwrap_or("");
            let content = crate::content::assets::render_for(pack, files, file, &ex.vars).unwrap_or_default();
            md.push_str(&format!("\n\n`assets/{file}`\n\n```{lang}\n{}\n```\n", content.trim_end()));
        }
    }
    md
}

/// Lines the results box needs at a terminal width, wrapped as the UI wraps them.
pub fn result_lines(sp: Option<&StepProgress>, terminal_width: u16) -> u16 {
    let width = super::geometry::result_text_width(terminal_width);
    let lines = |text: String| crate::markdown::wrap::wrap(&[crate::markdown::StyledSpan::new(text, Default::default())], width).len();
    let Some(run) = sp.and_then(|s| s.last_run.as_ref()) else { return 1 };
    run.results
        .iter()
        .map(|r| {
            let found = if r.found.is_some() || r.expected.is_some() {
                lines(format!("found {} · expected {}", r.found.as_deref().unwrap_or("nothing"), r.expected.as_deref().unwrap_or_default()))
            } else {
                0
            };
            let next = r.next.as_ref().map_or(0, |n| lines(format!("next {n}")));
            lines(format!("{} {}", r.check, r.message)) + found + next
        })
        .sum::<usize>()
        .try_into()
        .unwrap_or(u16::MAX)
}

impl App {
    pub fn exercise_view(&self) -> Option<(&Exercise, &ExerciseView)> {
        match &self.screen {
            Screen::Exercise(v) => Some((&self.pack.exercises[v.index], v)),
            _ => None,
        }
    }

    pub fn step_progress(&self, ex: &Exercise, step: usize) -> Option<&StepProgress> {
        self.pp()?.step(&ex.id, &ex.steps[step].id)
    }

    /// Rebuild the step pane after its text or the results changed.
    pub fn refresh_step(&mut self, reset_scroll: bool) {
        let files = self.files.clone();
        let hint_key = self.key_for(Context::Exercise, Command::Hint);
        let Screen::Exercise(view) = &self.screen else { return };
        let ex = &self.pack.exercises[view.index];
        let sp = self.pp().and_then(|p| p.step(&ex.id, &ex.steps[view.step].id)).cloned();
        let md = step_markdown(&self.pack, ex, view.step, sp.as_ref(), &files, &hint_key);
        let (w, h) = self.geometry.size;
        self.geometry = Geometry::new(w, h, result_lines(sp.as_ref(), w));
        let area = self.geometry.step_text;
        if let Screen::Exercise(view) = &mut self.screen {
            view.reader.set_text(&md);
            view.reader.resize(area.width, area.height);
            if reset_scroll {
                view.reader.scroll_to(0);
                view.reader.selected_block = None;
            }
        }
    }
}

pub fn open(app: &mut App, index: usize, step: Option<usize>) -> Vec<Effect> {
    let ex = &app.pack.exercises[index];
    if app.workshop.as_ref().is_some_and(|w| w.is_locked(&ex.id)) {
        let title = ex.title.clone();
        app.flash(Level::Warning, format!("Locked by the workshop instructor until released: {title}"));
        return vec![];
    }
    let pp = app.pp();
    let last_step =
        pp.and_then(|p| p.last.as_ref()).filter(|l| l.item == ex.id).and_then(|l| l.step.as_deref()).and_then(|s| ex.steps.iter().position(|st| st.id == s));
    let first_open = ex.steps.iter().position(|s| !pp.and_then(|p| p.step(&ex.id, &s.id)).is_some_and(StepProgress::done));
    let step = step.or(last_step).or(first_open).unwrap_or(0).min(ex.steps.len().saturating_sub(1));
    app.screen = Screen::Exercise(ExerciseView { index, step, reader: Reader::default() });
    app.home.select_item(&app.pack.clone(), ItemRef::Exercise(index));
    select_step(app, step)
}

fn select_step(app: &mut App, step: usize) -> Vec<Effect> {
    let now = app.now;
    let Screen::Exercise(view) = &mut app.screen else { return vec![] };
    view.step = step;
    let ex = &app.pack.exercises[view.index];
    let (ex_id, step_id) = (ex.id.clone(), ex.steps[step].id.clone());
    let pp = app.pp_mut();
    let sp = pp.step_mut(&ex_id, &step_id);
    sp.opened_at.get_or_insert(now);
    let opened = ProgressEvent::StepOpened { exercise: ex_id.clone(), step: step_id.clone(), done: sp.done() };
    pp.last = Some(Position { item: ex_id, step: Some(step_id) });
    app.refresh_step(true);
    let index = match &app.screen {
        Screen::Exercise(v) => v.index,
        _ => return vec![Effect::Save, Effect::Progress(opened)],
    };
    vec![Effect::Save, Effect::Progress(opened), Effect::Watch(Some(CheckRequest::for_step(&app.pack.exercises[index], step)))]
}

/// Something the open step's checks read changed: run them again, quietly.
pub fn changed(app: &mut App, exercise: &str, step: &str) -> Vec<Effect> {
    let Some((ex, view)) = app.exercise_view() else { return vec![] };
    if ex.id != exercise || ex.steps[view.step].id != step {
        return vec![];
    }
    let request = CheckRequest::for_step(ex, view.step);
    vec![app.start_run(request)]
}

pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let now = app.now;
    let Some((ex, view)) = app.exercise_view() else { return vec![] };
    let step = view.step;
    let step_def = &ex.steps[step];
    let (ex_id, step_id) = (ex.id.clone(), step_def.id.clone());
    let hint_count = step_def.hints.len();
    match cmd {
        Command::Down if step + 1 < ex.steps.len() => select_step(app, step + 1),
        Command::Up if step > 0 => select_step(app, step - 1),
        Command::RunChecks => {
            let request = CheckRequest::for_step(ex, step);
            let n = request.checks.len();
            app.flash(Level::Info, format!("Running {n} check{}…", if n == 1 { "" } else { "s" }));
            vec![app.start_run(request)]
        }
        Command::Hint => {
            let sp = app.pp_mut().step_mut(&ex_id, &step_id);
            if usize::from(sp.hints_revealed) >= hint_count {
                let text = if hint_count == 0 { "This step has no hints." } else { "All hints are shown." };
                app.flash(Level::Info, text);
                return vec![];
            }
            sp.hints_revealed += 1;
            sp.hint_revealed_at = Some(now);
            let shown = sp.hints_revealed;
            app.refresh_step(false);
            if let Screen::Exercise(v) = &mut app.screen {
                v.reader.scroll_to(usize::MAX);
            }
            app.flash(Level::Info, format!("Hint {shown} of {hint_count}"));
            vec![Effect::Save, Effect::Progress(ProgressEvent::HintRevealed { exercise: ex_id, step: step_id, hints: shown })]
        }
        Command::Solution => {
            if app.pp().and_then(|p| p.step(&ex_id, &step_id)).is_some_and(|s| s.solution_revealed) {
                app.flash(Level::Info, "The solution is already shown below.");
                return vec![];
            }
            app.overlay = Some(Overlay::Confirm(Confirm {
                title: "Reveal the solution?".into(),
                text: format!(
                    "Step {}: {}\n\nTrying first teaches more than reading. Revealing is recorded in your progress for this step (and will be shown to a workshop instructor if you joined one).",
                    step + 1,
                    step_def.title
                ),
                on_yes: Pending::RevealSolution { exercise: ex_id, step: step_id },
            }));
            vec![]
        }
        Command::MarkDone => {
            let sp = app.pp_mut().step_mut(&ex_id, &step_id);
            match sp.completion {
                Some(Completion::Checks) => {
                    app.flash(Level::Info, "This step passed its checks; it is done.");
                    return vec![];
                }
                Some(Completion::Manual) => {
                    sp.completed_at = None;
                    sp.completion = None;
                    app.flash(Level::Info, "Step marked not done.");
                }
                None => {
                    sp.completed_at = Some(now);
                    sp.completion = Some(Completion::Manual);
                    app.flash(Level::Success, "Step marked done.");
                    return vec![Effect::Save, Effect::Progress(ProgressEvent::StepCompleted { exercise: ex_id, step: step_id })];
                }
            }
            vec![Effect::Save]
        }
        Command::ResetStep => {
            app.overlay = Some(Overlay::Confirm(Confirm {
                title: "Reset this step?".into(),
                text: format!(
                    "Step {}: {}\n\nForgets its hints and solution reveals, its check results and its completion. Your cluster is not touched.",
                    step + 1,
                    step_def.title
                ),
                on_yes: Pending::ResetStep { exercise: ex_id, step: step_id },
            }));
            vec![]
        }
        Command::ResetExercise => {
            app.overlay = Some(Overlay::Confirm(Confirm {
                title: "Reset the whole exercise?".into(),
                text: format!(
                    "{}\n\nForgets the progress of all {} steps: hints and solutions revealed, check results, completions. Your cluster is not touched.",
                    ex.title,
                    ex.steps.len()
                ),
                on_yes: Pending::ResetExercise { exercise: ex_id },
            }));
            vec![]
        }
        _ => {
            let keys = app.reader_keys(crate::input::Context::Exercise);
            if let Screen::Exercise(view) = &mut app.screen
                && view.reader.command(cmd, &keys)
                && let Some(notice) = view.reader.take_notice()
            {
                app.flash(super::Level::Info, notice);
            }
            vec![]
        }
    }
}

/// Record a finished run; a run that passes completes the step.
pub fn checks_finished(app: &mut App, exercise: &str, step: &str, run: crate::checks::StepRun, id: u64) -> Vec<Effect> {
    let now = app.now;
    let key = (exercise.to_string(), step.to_string());
    match app.running.get(&key) {
        // a run that was replaced by a newer one: its answer is stale
        Some(current) if *current != id => return vec![],
        _ => {
            app.running.remove(&key);
        }
    }
    if app.pack.exercise(exercise).and_then(|e| e.step(step)).is_none() {
        return vec![];
    }
    let passed = run.passed();
    let summary = summarize(&run);
    let mut effects = vec![Effect::Save, Effect::Progress(ProgressEvent::Checked { exercise: exercise.to_string(), step: step.to_string(), run: run.clone() })];
    let sp = app.pp_mut().step_mut(exercise, step);
    sp.runs += 1;
    sp.last_run = Some(run);
    if passed && !sp.done() {
        sp.completed_at = Some(now);
        sp.completion = Some(Completion::Checks);
        let sp = sp.clone();
        crate::drill::schedule::lab_completed(&mut app.pp_mut().drill, crate::progress::drill::lab_item(exercise, step), &sp, crate::drill::day_at(now));
        app.flash(Level::Success, format!("Step passed ✔ {summary}"));
        effects.push(Effect::Progress(ProgressEvent::StepCompleted { exercise: exercise.to_string(), step: step.to_string() }));
    } else if passed {
        app.flash(Level::Success, format!("Still passing ✔ {summary}"));
    } else {
        app.flash(Level::Warning, format!("Checks finished: {summary}"));
    }
    if app.exercise_view().is_some_and(|(e, v)| e.id == exercise && e.steps[v.step].id == step) {
        app.refresh_step(false);
    }
    effects
}

fn summarize(run: &crate::checks::StepRun) -> String {
    use crate::checks::CheckStatus::*;
    [Pass, Fail, Warn, Skip, Error]
        .into_iter()
        .filter_map(|s| match run.count(s) {
            0 => None,
            n => Some(format!("{n} {}", s.label())),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
