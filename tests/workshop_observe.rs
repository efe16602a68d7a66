//! What a joined learner's lab reports: the observer turns check runs and the state after each
//! update into workshop events (a step opened, hints, the solution, a step completed, drill
//! scores only when shared), for the workshop's steps only.

mod common;

use common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action};
use kubedojo::checks::{CheckResult, CheckStatus, StepRun};
use kubedojo::progress::Progress;
use kubedojo::workshop::client::observe::Observer;
use kubedojo::workshop::model::{CheckStatus as Reported, Event, EventKind, StepRef};

fn steps() -> Vec<StepRef> {
    ["namespace", "deploy"].iter().map(|s| StepRef { exercise: "demo".into(), step: (*s).into(), title: String::new() }).collect()
}

fn kinds(events: &[Event]) -> Vec<(EventKind, Option<&str>)> {
    events.iter().map(|e| (e.kind, e.step.as_deref())).collect()
}

#[test]
fn opening_hints_solution_and_completion_become_events() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let mut observer = Observer::new(&steps(), false, &app);
    assert!(observer.observe(&app).is_empty());
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert_eq!(kinds(&observer.observe(&app)), [(EventKind::StepOpened, Some("namespace"))]);
    keys(&mut app, "h");
    let hint = observer.observe(&app);
    assert_eq!((hint[0].kind, hint[0].hints), (EventKind::HintRevealed, Some(1)));
    keys(&mut app, "s");
    assert!(observer.observe(&app).is_empty(), "nothing before the learner says yes");
    keys(&mut app, "y");
    assert_eq!(kinds(&observer.observe(&app)), [(EventKind::SolutionRevealed, Some("namespace"))]);

    // a failing run, then a passing one that completes the step
    let fail = StepRun { at: 1, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Fail, "namespace shop not found")] };
    let e = observer.check("demo", "namespace", &fail).expect("a check event");
    assert_eq!((e.status, e.message.as_deref()), (Some(Reported::Fail), Some("namespace shop not found")));
    let effects = keys(&mut app, "r");
    let id = effects.iter().find_map(|e| if let app::Effect::RunChecks(_, id) = e { Some(*id) } else { None }).unwrap();
    let pass = StepRun { at: 2, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Pass, "ok")] };
    assert_eq!(observer.check("demo", "namespace", &pass).unwrap().status, Some(Reported::Pass));
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: pass, id });
    assert_eq!(kinds(&observer.observe(&app)), [(EventKind::StepCompleted, Some("namespace"))]);

    // the next step
    keys(&mut app, "j");
    assert_eq!(kinds(&observer.observe(&app)), [(EventKind::StepOpened, Some("deploy"))]);
    // every event has its own idempotency key
    let ids: std::collections::HashSet<String> = (0..50).map(|_| observer.check("demo", "deploy", &StepRun { at: 3, results: vec![] }).unwrap().id).collect();
    assert_eq!(ids.len(), 50);
}

#[test]
fn steps_outside_the_workshop_are_not_reported() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let only_deploy: Vec<StepRef> = steps().into_iter().filter(|s| s.step == "deploy").collect();
    let mut observer = Observer::new(&only_deploy, true, &app);
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "h");
    assert!(observer.observe(&app).is_empty());
    assert!(observer.check("demo", "namespace", &StepRun { at: 1, results: vec![] }).is_none());
    assert!(observer.check("other", "deploy", &StepRun { at: 1, results: vec![] }).is_none());
}

#[test]
fn drill_scores_only_when_the_learner_shares_them() {
    for share in [false, true] {
        let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
        let mut observer = Observer::new(&steps(), share, &app);
        keys(&mut app, "d");
        key(&mut app, KeyCode::Enter); // the first option is right
        key(&mut app, KeyCode::Enter);
        let mut events = observer.observe(&app);
        // a wrong recall answer
        keys(&mut app, "eks.amazonaws.com/role_arn");
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "3");
        key(&mut app, KeyCode::Enter);
        events.extend(observer.observe(&app));
        let drills: Vec<(Option<u32>, Option<u32>)> = events.iter().filter(|e| e.kind == EventKind::Drill).map(|e| (e.reviewed, e.correct)).collect();
        if share {
            assert_eq!(drills, [(Some(1), Some(1)), (Some(2), Some(1))]);
        } else {
            assert!(drills.is_empty(), "{drills:?}");
        }
    }
}
