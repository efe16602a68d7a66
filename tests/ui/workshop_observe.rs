//! What a joined learner's lab reports: `update` returns what the learner did as progress
//! events (a step opened, hints, the solution, a check run, a step completed, a drill graded),
//! and the observer turns them into workshop events, for the workshop's steps only and drill
//! scores only when shared.

use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action, App, Effect};
use kubedojo::checks::{CheckResult, CheckStatus, StepRun};
use kubedojo::progress::Progress;
use kubedojo::progress::event::ProgressEvent;
use kubedojo::workshop::client::observe::Observer;
use kubedojo::workshop::model::{CheckStatus as Reported, Event, EventKind, StepRef};

fn steps() -> Vec<StepRef> {
    ["namespace", "deploy"].iter().map(|s| StepRef { exercise: "demo".into(), step: (*s).into(), title: String::new() }).collect()
}

fn kinds(events: &[Event]) -> Vec<(EventKind, Option<&str>)> {
    events.iter().map(|e| (e.kind, e.step.as_deref())).collect()
}

/// The workshop events of what some effects report.
fn reported(observer: &Observer, effects: &[Effect]) -> Vec<Event> {
    effects.iter().filter_map(|e| if let Effect::Progress(p) = e { Some(p) } else { None }).flat_map(|p| observer.events(p)).collect()
}

fn finish(app: &mut App, id: u64, run: StepRun) -> Vec<Effect> {
    app::update(app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run, id })
}

fn run_id(effects: &[Effect]) -> u64 {
    effects.iter().find_map(|e| if let Effect::RunChecks(_, id) = e { Some(*id) } else { None }).expect("a check run")
}

#[test]
fn opening_hints_solution_and_completion_become_events() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let observer = Observer::new(&steps(), false);
    assert!(reported(&observer, &keys(&mut app, "j")).is_empty());
    assert_eq!(kinds(&reported(&observer, &key(&mut app, KeyCode::Enter))), [(EventKind::StepOpened, Some("namespace"))]);
    let hint = reported(&observer, &keys(&mut app, "h"));
    assert_eq!((hint[0].kind, hint[0].hints), (EventKind::HintRevealed, Some(1)));
    assert!(reported(&observer, &keys(&mut app, "s")).is_empty(), "nothing before the learner says yes");
    assert_eq!(kinds(&reported(&observer, &keys(&mut app, "y"))), [(EventKind::SolutionRevealed, Some("namespace"))]);

    // a failing run, then a passing one that completes the step
    let id = run_id(&keys(&mut app, "r"));
    let fail = StepRun { at: 1, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Fail, "namespace shop not found")] };
    let e = reported(&observer, &finish(&mut app, id, fail));
    assert_eq!(kinds(&e), [(EventKind::Check, Some("namespace"))]);
    assert_eq!((e[0].status, e[0].message.as_deref()), (Some(Reported::Fail), Some("namespace shop not found")));
    let id = run_id(&keys(&mut app, "r"));
    let pass = StepRun { at: 2, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Pass, "ok")] };
    let e = reported(&observer, &finish(&mut app, id, pass.clone()));
    assert_eq!(kinds(&e), [(EventKind::Check, Some("namespace")), (EventKind::StepCompleted, Some("namespace"))]);
    assert_eq!((e[0].status, e[0].message.as_deref()), (Some(Reported::Pass), None));
    // passing again completes nothing new; a replaced run's late answer is not reported
    let id = run_id(&keys(&mut app, "r"));
    assert_eq!(kinds(&reported(&observer, &finish(&mut app, id, pass.clone()))), [(EventKind::Check, Some("namespace"))]);
    let stale = run_id(&keys(&mut app, "r"));
    let _newer = run_id(&keys(&mut app, "r"));
    assert!(reported(&observer, &finish(&mut app, stale, pass)).is_empty());

    // the next step; back on a done step, opening says it is done
    assert_eq!(kinds(&reported(&observer, &keys(&mut app, "j"))), [(EventKind::StepOpened, Some("deploy"))]);
    assert_eq!(kinds(&reported(&observer, &keys(&mut app, "k"))), [(EventKind::StepOpened, Some("namespace")), (EventKind::StepCompleted, Some("namespace"))]);
    // every event has its own idempotency key
    let run = ProgressEvent::Checked { exercise: "demo".into(), step: "deploy".into(), run: StepRun { at: 3, results: vec![] } };
    let ids: std::collections::HashSet<String> = (0..50).flat_map(|_| observer.events(&run)).map(|e| e.id).collect();
    assert_eq!(ids.len(), 50);
}

/// A run whose checks skipped or errored, with none failing, is reported as unchecked with the
/// reason, not as a failure (the board would list the learner as stuck).
#[test]
fn checks_that_skip_or_error_are_reported_as_unchecked_with_the_reason() {
    let observer = Observer::new(&steps(), false);
    let reported_run = |results: Vec<CheckResult>| {
        let e = observer.events(&ProgressEvent::Checked { exercise: "demo".into(), step: "namespace".into(), run: StepRun { at: 1, results } });
        (e[0].status, e[0].message.clone())
    };
    let skip = CheckResult::new("aws.eks-cluster", CheckStatus::Skip, "no AWS credentials: run aws configure");
    let error = CheckResult::new("k8s.namespace", CheckStatus::Error, "the API server did not answer");
    let fail = CheckResult::new("k8s.deployment", CheckStatus::Fail, "deployment web not found");
    assert_eq!(reported_run(vec![skip.clone()]), (Some(Reported::Unchecked), Some("the checks did not run: no AWS credentials: run aws configure".into())));
    assert_eq!(
        reported_run(vec![skip.clone(), error.clone()]),
        (Some(Reported::Unchecked), Some("the checks did not run: the API server did not answer".into()))
    );
    assert_eq!(reported_run(vec![error, fail.clone(), skip]), (Some(Reported::Fail), Some("deployment web not found".into())), "a failure is a failure");
    assert_eq!(reported_run(vec![]), (Some(Reported::Unchecked), Some("the checks did not run".into())));
}

#[test]
fn marking_a_step_done_completes_it() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let observer = Observer::new(&steps(), false);
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    assert_eq!(kinds(&reported(&observer, &keys(&mut app, "m"))), [(EventKind::StepCompleted, Some("namespace"))]);
    assert!(reported(&observer, &keys(&mut app, "m")).is_empty(), "marking it not done again reports nothing");
}

#[test]
fn steps_outside_the_workshop_are_not_reported() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let only_deploy: Vec<StepRef> = steps().into_iter().filter(|s| s.step == "deploy").collect();
    let observer = Observer::new(&only_deploy, true);
    let mut effects = keys(&mut app, "j");
    effects.extend(key(&mut app, KeyCode::Enter));
    effects.extend(keys(&mut app, "h"));
    assert!(effects.iter().any(|e| matches!(e, Effect::Progress(ProgressEvent::HintRevealed { .. }))), "{effects:?}");
    assert!(reported(&observer, &effects).is_empty());
    let run = |exercise: &str, step: &str| ProgressEvent::Checked { exercise: exercise.into(), step: step.into(), run: StepRun { at: 1, results: vec![] } };
    assert!(observer.events(&run("demo", "namespace")).is_empty());
    assert!(observer.events(&run("other", "deploy")).is_empty());
}

#[test]
fn drill_scores_only_when_the_learner_shares_them() {
    for share in [false, true] {
        let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
        let observer = Observer::new(&steps(), share);
        let mut effects = keys(&mut app, "d");
        effects.extend(key(&mut app, KeyCode::Enter)); // the first option is right
        effects.extend(key(&mut app, KeyCode::Enter));
        // a wrong recall answer
        effects.extend(keys(&mut app, "eks.amazonaws.com/role_arn"));
        effects.extend(key(&mut app, KeyCode::Enter));
        effects.extend(keys(&mut app, "3"));
        effects.extend(key(&mut app, KeyCode::Enter));
        let events = reported(&observer, &effects);
        let drills: Vec<(Option<u32>, Option<u32>)> = events.iter().filter(|e| e.kind == EventKind::Drill).map(|e| (e.reviewed, e.correct)).collect();
        if share {
            assert_eq!(drills, [(Some(1), Some(1)), (Some(2), Some(1))]);
        } else {
            assert!(drills.is_empty(), "{drills:?}");
        }
    }
}

#[test]
fn a_mock_interviews_scored_answers_are_drill_scores() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    let observer = Observer::new(&steps(), true);
    app::mock::open_at(&mut app, kubedojo::drill::mock::MockConfig { questions: 2, minutes: 4, topic: None }, 1_800_000_000);
    let mut effects = Vec::new();
    for grade in ["1", "4"] {
        keys(&mut app, "an answer");
        key(&mut app, KeyCode::Tab);
        keys(&mut app, grade);
        effects.extend(key(&mut app, KeyCode::Enter));
    }
    // the last answer ends the mock: its score is reported along with the transcript
    assert!(effects.iter().any(|e| matches!(e, Effect::SaveTranscript { .. })), "{effects:?}");
    let drills: Vec<(Option<u32>, Option<u32>)> = reported(&observer, &effects).iter().map(|e| (e.reviewed, e.correct)).collect();
    assert_eq!(drills, [(Some(1), Some(0)), (Some(2), Some(1))]);
}
