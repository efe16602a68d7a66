//! The drills through the app's update loop: grading each kind, what gets scheduled, lab steps
//! coming back, topic filters, ending a mock interview early, and the progress file.

use crate::common;
use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action, Effect, Overlay, Screen};
use kubedojo::checks::{CheckResult, CheckStatus, StepRun};
use kubedojo::drill::mock::MockConfig;
use kubedojo::progress::Progress;
use kubedojo::progress::drill::{Grade, lab_item};

fn drill(app: &kubedojo::app::App) -> &kubedojo::app::drill::DrillView {
    match &app.screen {
        Screen::Drill(v) => v,
        _ => panic!("not on the drill screen"),
    }
}

fn current(app: &kubedojo::app::App) -> String {
    drill(app).card.as_ref().map(|c| c.item.clone()).unwrap_or_default()
}

fn pp(app: &kubedojo::app::App) -> kubedojo::progress::PackProgress {
    app.pack_progress()
}

#[test]
fn a_right_choice_is_scheduled_for_a_later_day_a_wrong_one_comes_back_today() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "d");
    assert_eq!(current(&app), "every-element/pick-one");
    key(&mut app, KeyCode::Enter); // the first option is right
    let effects = key(&mut app, KeyCode::Enter);
    assert!(effects.contains(&Effect::Save));
    let today = kubedojo::drill::day_at(common::NOW);
    let state = pp(&app).drill.items["every-element/pick-one"].clone();
    assert_eq!(state.last_grade, Grade::Good);
    assert!(state.due_day > today, "{state:?}");
    assert_eq!(pp(&app).drill.log.len(), 1);
    assert!(pp(&app).drill.log[0].new);

    // recall: wrong, and a wrong auto-graded answer cannot be graded good
    assert_eq!(current(&app), "every-element/annotation");
    keys(&mut app, "eks.amazonaws.com/role_arn");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "3");
    assert_eq!(drill(&app).card.as_ref().map(|c| c.grade), Some(Grade::Again));
    key(&mut app, KeyCode::Enter);
    let state = pp(&app).drill.items["every-element/annotation"].clone();
    assert_eq!((state.last_grade, state.due_day), (Grade::Again, today));
    assert_eq!(drill(&app).counts.relearn, 1);
}

#[test]
fn recall_accepts_formatting_differences() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "d");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(current(&app), "every-element/annotation");
    app::update(&mut app, Action::Paste("  `EKS.amazonaws.com/Role-ARN` ".into()));
    key(&mut app, KeyCode::Enter);
    assert_eq!(drill(&app).card.as_ref().and_then(|c| c.correct), Some(true));
}

#[test]
fn ordering_moves_steps_and_open_cards_grade_from_ticked_points() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "d");
    for _ in 0..2 {
        if current(&app).ends_with("annotation") {
            keys(&mut app, "eks.amazonaws.com/role-arn");
        }
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Enter);
    }
    assert_eq!(current(&app), "every-element/irsa-order");
    // put the steps in the right order with J/K: selection sort by moving items up
    for target in 0..4 {
        let pos = drill(&app).card.as_ref().map(|c| c.arrangement.iter().position(|s| *s == target).unwrap_or(0)).unwrap_or(0);
        keys(&mut app, "kkkk");
        for _ in 0..pos {
            keys(&mut app, "j");
        }
        // cursor to pos
        let run = drill(&app).card.clone().expect("card");
        assert_eq!(run.cursor, pos.min(3));
        for _ in target..pos {
            keys(&mut app, "K");
        }
    }
    key(&mut app, KeyCode::Enter);
    let run = drill(&app).card.clone().expect("card");
    assert_eq!(run.arrangement, vec![0, 1, 2, 3]);
    assert_eq!((run.correct, run.grade), (Some(true), Grade::Good));
    key(&mut app, KeyCode::Enter);
    // open: reveal, tick two of three: hard; all three: good; the learner may still say easy
    assert_eq!(current(&app), "every-element/why-pdb");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, " j ");
    assert_eq!(drill(&app).card.as_ref().map(|c| c.grade), Some(Grade::Hard));
    keys(&mut app, "j ");
    assert_eq!(drill(&app).card.as_ref().map(|c| c.grade), Some(Grade::Good));
    keys(&mut app, "4");
    key(&mut app, KeyCode::Enter);
    assert_eq!(pp(&app).drill.items["every-element/why-pdb"].last_grade, Grade::Easy);
}

#[test]
fn the_topic_filter_and_the_daily_limit_of_new_cards() {
    let mut progress = Progress::default();
    progress.pack_mut("fixture").drill.new_per_day = Some(2);
    let mut app = app_with(fixture_pack(), progress, (100, 30));
    keys(&mut app, "d");
    assert_eq!(drill(&app).counts.new, 2);
    keys(&mut app, "t");
    assert_eq!(drill(&app).session.topic.as_deref(), Some("every-element"));
    assert!(screen(&app).contains("Drills · Every markdown element"));
    keys(&mut app, "t");
    assert_eq!(drill(&app).session.topic, None, "cycles back to all topics");
}

#[test]
fn a_lab_step_passed_with_a_hint_comes_back_and_its_checks_grade_it() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    // open the lab, reveal a hint, pass the step
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "h");
    let pass = StepRun { at: 1, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Pass, "namespace exists")] };
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: pass.clone(), id: 0 });
    let item = lab_item("demo", "namespace");
    let today = kubedojo::drill::day_at(common::NOW);
    let state = pp(&app).drill.items.get(&item).cloned().expect("the step is a drill item");
    assert_eq!(state.last_grade, Grade::Hard);
    assert!(state.due_day > today, "not due the same day");
    // a step passed without help is not sent back
    assert!(!pp(&app).drill.items.contains_key(&lab_item("demo", "deploy")));

    // when it is due, the drills show it first; r runs its checks
    app.pp_mut().drill.items.get_mut(&item).expect("item").due_day = today;
    app.pp_mut().drill.new_per_day = Some(0);
    keys(&mut app, "qq");
    app.screen = Screen::Home;
    keys(&mut app, "d");
    assert_eq!(current(&app), item);
    assert!(screen(&app).contains("lab step · practice again"), "{}", screen(&app));
    let effects = keys(&mut app, "r");
    let Some(Effect::RunChecks(request, id)) = effects.into_iter().find(|e| matches!(e, Effect::RunChecks(..))) else { panic!("no check run") };
    assert_eq!((request.exercise.as_str(), request.step.as_str()), ("demo", "namespace"));
    let fail = StepRun { at: 2, results: vec![CheckResult::new("k8s.namespace", CheckStatus::Fail, "namespace shop not found")] };
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: fail, id });
    let run = drill(&app).card.clone().expect("card");
    assert_eq!((run.answered, run.lab_passed, run.grade), (true, Some(false), Grade::Again));
    keys(&mut app, "3");
    assert_eq!(drill(&app).card.as_ref().map(|c| c.grade), Some(Grade::Again), "a failed run cannot be graded good");
    key(&mut app, KeyCode::Enter);
    assert_eq!(pp(&app).drill.items[&item].lapses, 1);
}

#[test]
fn ending_a_mock_interview_early_scores_what_was_answered() {
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    app::mock::open_at(&mut app, MockConfig { questions: 2, minutes: 10, topic: None }, 1_800_000_000);
    keys(&mut app, "my notes");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))), "asks first");
    let effects = keys(&mut app, "y");
    let text = effects
        .iter()
        .find_map(|e| match e {
            Effect::SaveTranscript { text, started_at } => {
                assert_eq!(*started_at, 1_800_000_000);
                Some(text.clone())
            }
            _ => None,
        })
        .expect("the transcript is saved");
    assert!(text.contains("Ended before the last question"), "{text}");
    assert!(text.contains("> my notes"), "{text}");
    let Screen::Mock(v) = &app.screen else { panic!("scorecard expected") };
    assert_eq!(v.phase, app::mock::Phase::Scorecard);
    keys(&mut app, "q");
    assert!(matches!(app.screen, Screen::Home));
}

#[test]
fn drill_progress_survives_the_store_and_an_older_file_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = kubedojo::progress::store::Store::at(dir.path().join("progress.json"));
    let mut app = app_with(fixture_pack(), Progress::default(), (100, 30));
    keys(&mut app, "d");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    store.save(&app.progress).expect("save");
    let loaded = store.load().into_progress();
    assert_eq!(loaded.packs["fixture"].drill, app.progress.packs["fixture"].drill);
    // a version 1 file (before drills) loads with an empty drill record
    std::fs::write(dir.path().join("progress.json"), r#"{"version":1,"packs":{"fixture":{"lessons":{"every-element":{"opened_at":5,"scroll":3}}}}}"#)
        .expect("write");
    let old = store.load().into_progress();
    assert_eq!(old.packs["fixture"].lessons["every-element"].scroll, 3);
    assert!(old.packs["fixture"].drill.items.is_empty());
}
