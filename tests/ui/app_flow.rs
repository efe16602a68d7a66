//! State transitions of the app that the screens do not show on their own.

use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action, Effect, Overlay, Screen};
use kubedojo::checks::{CheckResult, CheckStatus, StepRun};
use kubedojo::progress::Progress;

fn run_id(effects: &[Effect]) -> u64 {
    effects.iter().find_map(|e| if let Effect::RunChecks(_, id) = e { Some(*id) } else { None }).expect("a run")
}

fn pass_run() -> StepRun {
    StepRun { at: 1, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Pass, "ok")] }
}

#[test]
fn a_replaced_run_cannot_complete_the_step() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "j");
    let opened = key(&mut app, KeyCode::Enter);
    assert!(opened.iter().any(|e| matches!(e, Effect::Watch(Some(_)))), "opening a step watches it: {opened:?}");
    let first = run_id(&keys(&mut app, "r"));
    let second = run_id(&keys(&mut app, "r"));
    assert_ne!(first, second);
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: pass_run(), id: first });
    assert!(app.is_running("demo", "namespace"), "the stale answer was taken");
    assert!(app.pack_progress().step("demo", "namespace").is_none_or(|s| !s.done()));
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: pass_run(), id: second });
    assert!(!app.is_running("demo", "namespace"));
    assert!(app.pack_progress().step("demo", "namespace").is_some_and(|s| s.done()));
    // leaving the exercise stops the watch
    let left = keys(&mut app, "q");
    assert!(left.iter().any(|e| matches!(e, Effect::Watch(None))), "{left:?}");
}

#[test]
fn a_change_reruns_only_the_open_step() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    let effects = app::update(&mut app, Action::Changed { exercise: "demo".into(), step: "namespace".into() });
    assert_eq!(effects.len(), 1);
    let other = app::update(&mut app, Action::Changed { exercise: "demo".into(), step: "deploy".into() });
    assert!(other.is_empty());
}

#[test]
fn the_search_prompt_takes_question_marks_as_text() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "/why?");
    let Screen::Lesson(view) = &app.screen else { panic!("lesson") };
    assert_eq!(view.reader.search.input.as_deref(), Some("why?"));
    assert!(app.overlay.is_none());
}

/// The lesson's help is taller than 80x24: it scrolls exactly to its last row, says where it
/// is, and a description too long for its column wraps instead of being cut.
#[test]
fn help_scroll_stops_at_the_end() {
    let mut app = app_with(fixture_pack(), Progress::default(), (80, 24));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "?");
    assert!(screen(&app).contains("j/k scroll · 0% · esc closes"), "{}", screen(&app));
    assert!(screen(&app).contains("(OSC 52)"), "the end of a long description wraps onto its own line");
    for _ in 0..500 {
        keys(&mut app, "j");
    }
    let Some(Overlay::Help { scroll }) = app.overlay else { panic!("help") };
    assert_eq!(scroll, kubedojo::app::overlay::help_max_scroll(kubedojo::app::overlay::help_rows(&app).len(), 24));
    let shown = screen(&app);
    assert!(shown.contains("j/k scroll · end · esc closes"), "{shown}");
    let last = app.keymap.bindings(kubedojo::input::Context::Global).last().expect("global keys").desc.clone();
    assert!(shown.contains(&last[..last.len().min(40)]), "the last key is in view: {last}\n{shown}");
    keys(&mut app, "k");
    let Some(Overlay::Help { scroll: after }) = app.overlay else { panic!("help") };
    assert_eq!(after, scroll - 1, "one k moves back at once: the scroll never ran past the end");
}

#[test]
fn terminate_saves_the_place_in_the_lesson() {
    let mut app = app_with(fixture_pack(), Progress::default(), (80, 24));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::PageDown);
    let effects = app::update(&mut app, Action::Terminate);
    assert!(effects.contains(&Effect::Quit) && effects.contains(&Effect::Save));
    assert!(app.pack_progress().lessons["every-element"].scroll > 0);
}

/// A lab's cost is shown at the first step that creates something that bills, itemised from the
/// price table; a lab that creates nothing says so at its first step, with what it runs on.
#[test]
fn the_cost_shows_before_the_first_step_that_bills() {
    let app = app_with(builtin(), Progress::default(), (120, 40));
    let (pack, files) = (&app.pack, &app.files);
    let md = |lab: &str, step: usize| {
        let ex = pack.exercise(lab).expect("lab");
        kubedojo::app::exercise::step_markdown(pack, ex, step, None, files, "h")
    };
    let preflight = md("eks-cluster", 0);
    assert!(!preflight.contains("What this lab costs"), "nothing bills during the preflight");
    let create = md("eks-cluster", 1);
    assert!(create.contains("> **What this lab costs** (eu-west-1 on-demand prices, read 2026-12-06; versions.toml)"), "{create}");
    assert!(create.contains("six nodes: general 2 and critical 2 m6i.large, spot 2 counted at the m6i.large on-demand price: $0.64/h"), "{create}");
    assert!(create.contains("About **$0.83/h** while it all exists"), "{create}");
    let irsa = md("irsa-s3", 0);
    assert!(irsa.contains("It creates nothing that bills.") && irsa.contains("which bills $0.83/h while it exists"), "{irsa}");
}

/// A document is laid out once per text and width: scrolling, ticks, a new height or the same
/// width again do not lay it out; a new width does, once, in the lesson reader, the drills and a
/// mock interview (whose texts change with the width's new panel height).
#[test]
fn a_document_is_laid_out_once_per_width() {
    fn layouts(app: &kubedojo::app::App) -> u64 {
        match &app.screen {
            Screen::Lesson(v) => v.reader.layouts(),
            Screen::Drill(v) => v.reader.layouts(),
            Screen::Mock(v) => v.reader.layouts(),
            _ => panic!("no reader on this screen"),
        }
    }
    let mut app = app_with(builtin(), Progress::default(), (80, 24));
    key(&mut app, KeyCode::Enter);
    assert_eq!(layouts(&app), 1, "opening the lesson");
    keys(&mut app, "jjjj");
    key(&mut app, KeyCode::PageDown);
    for _ in 0..20 {
        app::update(&mut app, Action::Tick);
    }
    app::update(&mut app, Action::Resize(80, 30));
    assert_eq!(layouts(&app), 1, "scrolling, ticks and a taller terminal keep the layout");
    app::update(&mut app, Action::Resize(120, 40));
    app::update(&mut app, Action::Resize(120, 40));
    assert_eq!(layouts(&app), 2, "one layout for the new width");

    key(&mut app, KeyCode::Char('q'));
    keys(&mut app, "d");
    let opened = layouts(&app);
    for _ in 0..20 {
        app::update(&mut app, Action::Tick);
    }
    app::update(&mut app, Action::Resize(120, 30));
    assert_eq!(layouts(&app), opened, "the drill card at a new height only");
    app::update(&mut app, Action::Resize(90, 30));
    assert_eq!(layouts(&app), opened + 1, "the drill card at a new width");

    app::mock::open_at(&mut app, kubedojo::drill::mock::MockConfig { questions: 2, minutes: 10, topic: None }, NOW);
    let opened = layouts(&app);
    for _ in 0..20 {
        app::update(&mut app, Action::Tick);
    }
    app::update(&mut app, Action::Resize(100, 30));
    assert_eq!(layouts(&app), opened + 1, "the mock question at a new width");
}
