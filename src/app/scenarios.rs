//! The break-fix scenarios screen: the list with each one's state and clock, and one scenario's
//! symptom, hints and check results. Starting and resetting ask first, naming every change,
//! and only where `kubedojo scenario` would (the sandbox, or the target lab.toml names).

use std::collections::BTreeMap;

use super::overlay::{Confirm, Overlay, Pending};
use super::reader::Reader;
use super::{App, Effect, Level, Screen};
use crate::checks::CheckResult;
use crate::input::Command;
use crate::scenario::ScenarioRun;

#[derive(Debug, Clone, Default)]
pub struct ScenariosView {
    pub selected: usize,
    /// The selected scenario's page (symptom, hints, results), when open.
    pub open: Option<Reader>,
    /// The last check results of each scenario run in this sitting.
    pub results: BTreeMap<String, Vec<CheckResult>>,
    /// A start, check or reset in flight: the scenario's id.
    pub busy: Option<String>,
}

/// What the runtime does for a scenario (it writes only after the learner confirmed).
#[derive(Debug, Clone)]
pub enum ScenarioOp {
    Start { id: String, options: crate::checks::backend::TargetOptions, label: String },
    Check { id: String, options: crate::checks::backend::TargetOptions },
    Reset { id: String, options: crate::checks::backend::TargetOptions, run: ScenarioRun },
}

impl PartialEq for ScenarioOp {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other) && self.id() == other.id()
    }
}

impl ScenarioOp {
    pub fn id(&self) -> &str {
        match self {
            Self::Start { id, .. } | Self::Check { id, .. } | Self::Reset { id, .. } => id,
        }
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub enum ScenarioOutcome {
    Started(Result<ScenarioRun, String>),
    Checked(Vec<CheckResult>),
    Reset(Vec<String>),
}

pub fn open(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    app.screen = Screen::Scenarios(ScenariosView::default());
    effects.push(Effect::Save);
    effects
}

fn run_of<'a>(app: &'a App, id: &str) -> Option<&'a ScenarioRun> {
    app.pp().and_then(|p| p.scenarios.get(id))
}

/// The selected scenario's page.
fn page(app: &App, id: &str, results: Option<&Vec<CheckResult>>) -> String {
    let now = app.now;
    let Some(s) = app.pack.scenario(id) else { return String::new() };
    let vars = crate::scenario::vars(&app.pack, s);
    let x = |t: &str| crate::content::vars::expand(t, &vars);
    let mut out = format!("# {}\n\n*lab {} · {} minutes expected*\n\n", s.title, s.lab, s.minutes);
    match run_of(app, id) {
        None => {
            out += "## What you will break\n\n";
            for (_, d) in crate::scenario::plan(s, &vars) {
                out += &format!("- {d}\n");
            }
            out += &format!("\nIt starts from the solved state of lab **{}**: its checks must pass first. Press **s** to start.\n", s.lab);
        }
        Some(run) => {
            out += &format!("## Symptom\n\n{}\n\n", x(s.symptom.text.trim()));
            for (i, h) in s.hints.iter().take(usize::from(run.hints_revealed)).enumerate() {
                out += &format!("**Hint {} of {}.** {}\n\n", i + 1, s.hints.len(), x(h.text.trim()));
            }
            if let Some(rs) = results {
                out += "## Checks\n\n";
                for r in rs {
                    out += &format!("- {} `{}` {}\n", r.status.symbol(), r.check, r.message);
                }
                out += "\n";
            }
            if run.fixed_at.is_some() {
                out += &format!("## Fixed\n\nScore **{}/100**.\n\n## Debrief\n\n{}\n", run.score(s.minutes, now), x(&s.debrief_with_sources()));
            }
        }
    }
    out
}

fn refresh(app: &mut App) {
    let g = app.geometry;
    let id = selected_id(app);
    let Screen::Scenarios(v) = &app.screen else { return };
    if v.open.is_none() {
        return;
    }
    let text = id.as_deref().map(|id| page(app, id, v.results.get(id))).unwrap_or_default();
    if let Screen::Scenarios(v) = &mut app.screen {
        match &mut v.open {
            Some(r) => {
                r.resize(g.lesson.width, g.lesson.height);
                r.set_text(&text);
            }
            None => v.open = Some(Reader::new(&text, g.lesson.width, g.lesson.height)),
        }
    }
}

pub fn selected_id(app: &App) -> Option<String> {
    let Screen::Scenarios(v) = &app.screen else { return None };
    app.pack.scenarios.get(v.selected).map(|s| s.id.clone())
}

pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let n = app.pack.scenarios.len();
    let Some(id) = selected_id(app) else {
        if cmd == Command::Back {
            app.screen = Screen::Home;
        }
        return vec![];
    };
    let is_open = matches!(&app.screen, Screen::Scenarios(v) if v.open.is_some());
    match cmd {
        Command::Down | Command::Up if is_open => {
            if let Screen::Scenarios(v) = &mut app.screen
                && let Some(r) = &mut v.open
            {
                r.scroll_by(if cmd == Command::Down { 1 } else { -1 });
            }
        }
        Command::Down | Command::Up => {
            if let Screen::Scenarios(v) = &mut app.screen {
                v.selected = if cmd == Command::Down { (v.selected + 1).min(n.saturating_sub(1)) } else { v.selected.saturating_sub(1) };
            }
        }
        Command::Open => {
            if let Screen::Scenarios(v) = &mut app.screen {
                v.open = Some(Reader::default());
            }
            refresh(app);
        }
        Command::Back if is_open => {
            if let Screen::Scenarios(v) = &mut app.screen {
                v.open = None;
            }
        }
        Command::Back => app.screen = Screen::Home,
        Command::Hint => {
            let Some(s) = app.pack.scenario(&id).cloned() else { return vec![] };
            let Some(run) = app.pp_mut().scenarios.get_mut(&id) else {
                app.flash(Level::Info, "Start the scenario first (s).");
                return vec![];
            };
            if usize::from(run.hints_revealed) < s.hints.len() {
                run.hints_revealed += 1;
                app.flash(Level::Info, "Hint shown (it costs 15 points).");
            } else {
                app.flash(Level::Info, "No more hints: the fix is in `kubedojo scenario hint` once more.");
            }
            refresh(app);
            // the new hint is at the end of the page: show it
            if let Screen::Scenarios(v) = &mut app.screen
                && let Some(r) = &mut v.open
            {
                r.scroll_to(usize::MAX);
            }
            return vec![Effect::Save];
        }
        Command::RunChecks => {
            if run_of(app, &id).is_none() {
                app.flash(Level::Info, "Start the scenario first (s).");
                return vec![];
            }
            let options = match app.scenario_access.get(&id) {
                Some(Ok((options, _))) => options.clone(),
                _ => crate::checks::backend::TargetOptions::default(),
            };
            return busy(app, &id, ScenarioOp::Check { id: id.clone(), options });
        }
        Command::Start | Command::ResetItem => {
            let starting = cmd == Command::Start;
            let access = app.scenario_access.get(&id).cloned().unwrap_or_else(|| Err("no target".into()));
            let (options, label) = match access {
                Ok(a) => a,
                Err(why) => {
                    app.overlay = Some(Overlay::Notice {
                        title: "Not here".into(),
                        text: format!(
                            "{why}\n\nFrom a shell: kubedojo scenario {} {id} --context <ctx> [--aws-profile <p>]",
                            if starting { "start" } else { "reset" }
                        ),
                    });
                    return vec![];
                }
            };
            let Some(s) = app.pack.scenario(&id) else { return vec![] };
            let run = run_of(app, &id).cloned();
            if starting {
                if run.as_ref().is_some_and(|r| r.fixed_at.is_none()) {
                    app.flash(Level::Info, "Already broken: fix it, or reset it (x).");
                    return vec![];
                }
                let vars = crate::scenario::vars(&app.pack, s);
                let setup = crate::scenario::setup_objects(&app.pack, &app.files, s, &vars);
                let mut changes: Vec<String> = Vec::new();
                if !setup.is_empty() {
                    changes.push(format!("• apply the working state from lab {}: {}", s.lab, setup.join(", ")));
                }
                changes.extend(crate::scenario::plan(s, &vars).into_iter().map(|(_, d)| format!("• {d}")));
                app.overlay = Some(Overlay::Confirm(Confirm {
                    title: format!("Break {label}?"),
                    text: format!("{}\n\nkubedojo will:\n{}\n\nNothing else is touched; x puts it back.", s.title, changes.join("\n")),
                    on_yes: Pending::ScenarioStart { id: id.clone() },
                }));
                app.pending_scenario = Some(ScenarioOp::Start { id, options, label });
            } else {
                let Some(run) = run else {
                    app.flash(Level::Info, "Not started: nothing to put back.");
                    return vec![];
                };
                let changes: Vec<String> = run.undo.iter().map(|u| format!("• {}", crate::scenario::action::describe_undo(u))).collect();
                app.overlay = Some(Overlay::Confirm(Confirm {
                    title: format!("Reset in {}?", run.target),
                    text: format!("{}\n\nkubedojo will:\n{}", s.title, changes.join("\n")),
                    on_yes: Pending::ScenarioReset { id: id.clone() },
                }));
                app.pending_scenario = Some(ScenarioOp::Reset { id, options, run });
            }
        }
        _ => {}
    }
    vec![]
}

fn busy(app: &mut App, id: &str, op: ScenarioOp) -> Vec<Effect> {
    if let Screen::Scenarios(v) = &mut app.screen {
        v.busy = Some(id.to_string());
    }
    vec![Effect::Scenario(op)]
}

/// The learner said yes to a start or a reset.
pub fn confirmed(app: &mut App) -> Vec<Effect> {
    let Some(op) = app.pending_scenario.take() else { return vec![] };
    let id = op.id().to_string();
    app.flash(
        Level::Info,
        match op {
            ScenarioOp::Start { .. } => "Checking the working state, then breaking it…",
            _ => "Putting it back…",
        },
    );
    busy(app, &id, op)
}

pub fn finished(app: &mut App, id: &str, outcome: ScenarioOutcome) -> Vec<Effect> {
    let now = app.now;
    if let Screen::Scenarios(v) = &mut app.screen {
        v.busy = None;
    }
    let mut effects = vec![];
    match outcome {
        ScenarioOutcome::Started(Ok(mut run)) => {
            run.started_at = now;
            app.pp_mut().scenarios.insert(id.to_string(), run);
            app.flash(Level::Warning, "The fault is in: read the symptom, find it, fix it. r checks.");
            if let Screen::Scenarios(v) = &mut app.screen {
                v.open = Some(Reader::default());
                v.results.remove(id);
            }
            effects.push(Effect::Save);
        }
        ScenarioOutcome::Started(Err(e)) => {
            app.overlay = Some(Overlay::Notice { title: "Nothing was broken".into(), text: e });
        }
        ScenarioOutcome::Checked(results) => {
            let fixed = crate::scenario::all_pass(&results);
            if fixed && let Some(run) = app.pp_mut().scenarios.get_mut(id).filter(|r| r.fixed_at.is_none()) {
                run.fixed_at = Some(now);
                app.flash(Level::Success, "Fixed ✔ — read the debrief.");
                effects.push(Effect::Save);
            } else if !fixed {
                app.flash(Level::Warning, "Still broken.");
            }
            if let Screen::Scenarios(v) = &mut app.screen {
                v.results.insert(id.to_string(), results);
            }
            refresh(app);
            // show the news: the checks, or the score and the debrief
            if let Screen::Scenarios(v) = &mut app.screen
                && let Some(r) = &mut v.open
            {
                let headings = &r.rendered.headings;
                let at = if fixed { headings.len().checked_sub(2).map(|i| headings[i]) } else { headings.last().copied() };
                r.scroll_to(at.unwrap_or(0));
            }
            return effects;
        }
        ScenarioOutcome::Reset(failed) => {
            if failed.is_empty() {
                app.pp_mut().scenarios.remove(id);
                app.flash(Level::Success, "Put back: the working state is in place.");
                if let Screen::Scenarios(v) = &mut app.screen {
                    v.results.remove(id);
                }
                effects.push(Effect::Save);
            } else {
                app.overlay = Some(Overlay::Notice { title: "Could not put everything back".into(), text: failed.join("\n") });
            }
        }
    }
    refresh(app);
    effects
}

/// For the list: the state and the clock of each scenario.
pub fn state_label(app: &App, id: &str, minutes: u32) -> String {
    let now = app.now;
    match run_of(app, id) {
        None => "not started".into(),
        Some(r) if r.fixed_at.is_some() => format!("fixed in {} · score {}", crate::drill::mock::clock(r.secs(now) as u32), r.score(minutes, now)),
        Some(r) => format!("broken · {}", crate::drill::mock::clock(r.secs(now) as u32)),
    }
}
