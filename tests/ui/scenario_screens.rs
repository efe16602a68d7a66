//! The break-fix scenarios in the TUI: the list and a scenario's page (snapshots at 80x24 and
//! 120x40), and the start / check / hint / reset flow through the update loop. The runtime's
//! part (the writes) is the scenario engine, tested end to end in tests/checks/scenarios.rs.

use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::scenarios::{ScenarioOp, ScenarioOutcome};
use kubedojo::app::{self, Action, Effect, Overlay, Screen};
use kubedojo::checks::{CheckResult, CheckStatus};
use kubedojo::progress::Progress;
use kubedojo::scenario::ScenarioRun;

fn snap(name: &str, size: (u16, u16), app: &kubedojo::app::App) {
    insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(app));
}

fn progress_with_a_fixed_scenario() -> Progress {
    let mut p = Progress::default();
    p.pack_mut("eks-production").scenarios.insert(
        "pdb-blocks-drain".into(),
        ScenarioRun {
            started_at: 1_800_000_000,
            hints_revealed: 1,
            fixed_at: Some(1_800_000_372),
            undo: vec![],
            target: "the sandbox kubedojo-sandbox (kwok)".into(),
        },
    );
    p
}

#[test]
fn the_list_and_a_scenario_page() {
    for size in SIZES {
        let mut app = app_with(builtin(), progress_with_a_fixed_scenario(), size);
        keys(&mut app, "b");
        assert!(matches!(app.screen, Screen::Scenarios(_)));
        snap("scenarios_list", size, &app);
        key(&mut app, KeyCode::Enter);
        snap("scenario_not_started", size, &app);
    }
}

fn sandbox_access(app: &mut kubedojo::app::App) {
    let ids: Vec<String> = app.pack.scenarios.iter().map(|s| s.id.clone()).collect();
    for id in ids {
        app.scenario_access.insert(id, Ok((Default::default(), "the sandbox kubedojo-sandbox (kwok)".into())));
    }
}

#[test]
fn start_check_hint_and_reset_ask_first_and_record_the_run() {
    let mut app = app_with(builtin(), Progress::default(), (100, 30));
    keys(&mut app, "b");
    let first = app.pack.scenarios[0].id.clone();
    // no sandbox and no named target: it says where to do it instead
    keys(&mut app, "s");
    assert!(matches!(&app.overlay, Some(Overlay::Notice { title, .. }) if title == "Not here"), "{:?}", app.overlay);
    app.overlay = None;

    sandbox_access(&mut app);
    keys(&mut app, "s");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("asks first: {:?}", app.overlay) };
    assert!(c.title.contains("the sandbox"), "{c:?}");
    assert!(c.text.contains("kubedojo will:\n•"), "names every change: {}", c.text);
    // no: nothing happens
    let effects = keys(&mut app, "n");
    assert!(effects.is_empty() && app.pending_scenario.is_none());
    keys(&mut app, "s");
    let effects = keys(&mut app, "y");
    assert!(matches!(effects.as_slice(), [Effect::Scenario(ScenarioOp::Start { id, .. })] if *id == first), "{effects:?}");
    let run = ScenarioRun { started_at: 0, hints_revealed: 0, fixed_at: None, undo: vec![], target: "sandbox".into() };
    app::update(&mut app, Action::ScenarioDone { id: first.clone(), outcome: ScenarioOutcome::Started(Ok(run)) });
    assert!(app.pack_progress().scenarios.contains_key(&first));
    assert!(screen(&app).contains("Symptom"), "{}", screen(&app));
    keys(&mut app, "h");
    assert_eq!(app.pack_progress().scenarios[&first].hints_revealed, 1);
    assert!(screen(&app).contains("Hint 1 of 3"));
    let effects = keys(&mut app, "r");
    assert!(matches!(effects.as_slice(), [Effect::Scenario(ScenarioOp::Check { .. })]), "{effects:?}");
    let pass = vec![CheckResult::new("ingress.tls-spec", CheckStatus::Pass, "class alb")];
    app::update(&mut app, Action::ScenarioDone { id: first.clone(), outcome: ScenarioOutcome::Checked(pass) });
    assert!(app.pack_progress().scenarios[&first].fixed_at.is_some(), "fixed once the checks pass");
    assert!(screen(&app).contains("Debrief"));
    keys(&mut app, "x");
    assert!(matches!(&app.overlay, Some(Overlay::Confirm(_))));
    let effects = keys(&mut app, "y");
    assert!(matches!(effects.as_slice(), [Effect::Scenario(ScenarioOp::Reset { .. })]), "{effects:?}");
    app::update(&mut app, Action::ScenarioDone { id: first.clone(), outcome: ScenarioOutcome::Reset(vec![]) });
    assert!(!app.pack_progress().scenarios.contains_key(&first));
    // a failed start changes nothing and says why
    keys(&mut app, "s");
    keys(&mut app, "y");
    app::update(
        &mut app,
        Action::ScenarioDone { id: first.clone(), outcome: ScenarioOutcome::Started(Err("the working state of lab alb-ingress is not in place".into())) },
    );
    assert!(matches!(&app.overlay, Some(Overlay::Notice { title, .. }) if title == "Nothing was broken"));
    assert!(!app.pack_progress().scenarios.contains_key(&first));
}

/// More scenarios than the screen holds, with titles wider than it: each title is cut with an
/// ellipsis, the intro wraps, and the selected scenario stays on screen as the cursor moves down.
#[test]
fn a_long_list_keeps_the_selection_on_screen_and_cuts_long_titles() {
    for size in SIZES {
        let mut app = app_with(builtin(), progress_with_a_fixed_scenario(), size);
        let pack = std::sync::Arc::make_mut(&mut app.pack);
        let mut more = pack.scenarios.clone();
        for (i, s) in more.iter_mut().enumerate() {
            s.id = format!("{}-again", s.id);
            s.title = format!("{} {i}, a second time, with a title long enough to be wider than any terminal this runs in", s.title);
        }
        pack.scenarios.extend(more);
        let n = app.pack.scenarios.len();
        keys(&mut app, "b");
        for _ in 1..n {
            keys(&mut app, "j");
        }
        let shown = screen(&app);
        let last = &app.pack.scenarios[n - 1];
        let again = shown.lines().rfind(|l| l.contains(&last.title[..20]));
        let cut = again.unwrap_or_else(|| panic!("the last scenario is on screen:\n{shown}"));
        // the copy of the last built-in scenario: its index among the built-in ones
        assert!(cut.contains(&format!(" {}, a", n / 2 - 1)) && cut.trim_end_matches(['"', ' ']).ends_with('…'), "{cut}");
        for line in shown.lines() {
            assert_eq!(unicode_width::UnicodeWidthStr::width(line.trim_matches('"')), usize::from(size.0), "{line}");
        }
        snap("scenarios_long_list", size, &app);
    }
}
