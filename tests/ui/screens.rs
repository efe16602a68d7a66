//! Snapshot tests of every screen at 80x24 and 120x40 (insta, ratatui TestBackend).

use crate::common;
use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action, Overlay};
use kubedojo::checks::{CheckResult, CheckStatus, StepRun};
use kubedojo::progress::Progress;

fn snap(name: &str, size: (u16, u16), app: &kubedojo::app::App) {
    insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(app));
}

fn some_progress() -> Progress {
    let mut p = Progress::default();
    let pp = p.pack_mut("eks-production");
    pp.lesson_mut("why-production").completed_at = Some(1);
    pp.lesson_mut("why-production").opened_at = Some(1);
    pp.lesson_mut("self-managed-vs-managed").opened_at = Some(1);
    pp.step_mut("eks-cluster", "preflight").completed_at = Some(1);
    pp.step_mut("eks-cluster", "preflight").opened_at = Some(1);
    pp.last = Some(kubedojo::progress::Position { item: "eks-architecture".into(), step: None });
    p
}

#[test]
fn home_screen() {
    for size in SIZES {
        let app = app_with(builtin(), some_progress(), size);
        snap("home", size, &app);
    }
}

#[test]
fn lesson_with_every_markdown_element() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        key(&mut app, KeyCode::Enter);
        snap("lesson_top", size, &app);
        key(&mut app, KeyCode::PageDown);
        snap("lesson_page2", size, &app);
        key(&mut app, KeyCode::End);
        snap("lesson_end", size, &app);
    }
}

#[test]
fn lesson_search_and_selected_code_block() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "/node");
        snap("lesson_search_prompt", size, &app);
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "n");
        snap("lesson_search_matches", size, &app);
        key(&mut app, KeyCode::Home);
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Tab);
        snap("lesson_code_block_selected", size, &app);
    }
}

fn results_run() -> StepRun {
    StepRun {
        at: common::NOW - 120,
        results: vec![
            CheckResult::new("k8s.namespace", CheckStatus::Pass, "namespace shop exists"),
            CheckResult::new("k8s.service-account", CheckStatus::Fail, "ServiceAccount shop/default not found")
                .found_expected("no ServiceAccount", "ServiceAccount shop/default")
                .next("apply the step's ServiceAccount manifest (its solution names the file), or: kubectl -n shop create serviceaccount default"),
            CheckResult::new("cluster.private-endpoint", CheckStatus::Warn, "public endpoint open to 0.0.0.0/0"),
            CheckResult::new("cluster.multi-az", CheckStatus::Skip, "kind nodes have no zone"),
            CheckResult::new("cluster.active", CheckStatus::Error, "checker role lacks eks:DescribeCluster"),
        ],
    }
}

#[test]
fn exercise_with_results_hints_and_solution() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        keys(&mut app, "j");
        key(&mut app, KeyCode::Enter);
        snap("exercise_open", size, &app);
        app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: results_run(), id: 0 });
        snap("exercise_results", size, &app);
        keys(&mut app, "hh");
        snap("exercise_two_hints", size, &app);
        keys(&mut app, "s");
        snap("exercise_confirm_solution", size, &app);
        keys(&mut app, "y");
        snap("exercise_solution", size, &app);
    }
}

/// A title too long for the bar is cut with an ellipsis, a space before the step count, which
/// always shows (it ran into the title: "…role0/4 steps").
#[test]
fn a_long_title_never_runs_into_the_counter() {
    for size in [(80, 24), (120, 40)] {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        std::sync::Arc::make_mut(&mut app.pack).exercises[0].title =
            "IRSA: an app that reads S3 with its own IAM role, the trust policy that names exactly its ServiceAccount, and the audience".into();
        keys(&mut app, "j");
        key(&mut app, KeyCode::Enter);
        let bar = screen(&app).lines().next().expect("a title bar").to_string();
        assert!(bar.contains("… 0/2 steps"), "{bar}");
        assert_eq!(unicode_width::UnicodeWidthStr::width(bar.trim_matches('"')), usize::from(size.0), "{bar}");
    }
}

/// A status message longer than the bar is cut (a path in its middle, keeping its file name),
/// a gap before the key hints, and `!` shows it whole.
#[test]
fn a_long_message_is_cut_and_shown_whole_on_demand() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        key(&mut app, KeyCode::Enter);
        let text = "Wrote 14 files for the pod-identity-access lab to /home/learner/work/kubedojo-work/pod-identity-access/trust-policy.json and 13 more; kubectl and aws run from there";
        app.flash(kubedojo::app::Level::Success, text);
        let shown = screen(&app);
        let bar = shown.lines().last().expect("a status bar").trim_matches('"').to_string();
        assert_eq!(unicode_width::UnicodeWidthStr::width(bar.as_str()), usize::from(size.0), "{bar}");
        assert!(bar.contains("… ! whole"), "{bar}");
        if size.0 == 120 {
            assert!(bar.contains("to …/trust-policy.json and"), "the path loses its middle, the file name stays: {bar}");
        }
        keys(&mut app, "!");
        let Some(Overlay::Notice { title, text: whole }) = &app.overlay else { panic!("no notice: {:?}", app.overlay) };
        assert_eq!((title.as_str(), whole.as_str()), ("Last message", text));
        snap("last_message", size, &app);
    }
    // before any message
    let mut app = app_with(fixture_pack(), Progress::default(), (80, 24));
    keys(&mut app, "!");
    assert!(app.overlay.is_none());
    assert_eq!(app.flash.as_ref().map(|f| f.text.as_str()), Some("No message yet"));
}

/// A link into the course is chosen with f and opened with o: here the fixture lesson's link to
/// its lab opens the lab.
#[test]
fn a_course_link_opens_on_a_key() {
    let mut app = app_with(fixture_pack(), Progress::default(), (80, 24));
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "o");
    assert_eq!(app.flash.as_ref().map(|f| f.text.as_str()), Some("No link selected: press f to select one"));
    keys(&mut app, "f");
    let bar = screen(&app).lines().last().expect("a status bar").to_string();
    assert!(bar.contains("link 1 of 1: “link to the lab”"), "{bar}");
    keys(&mut app, "o");
    assert!(matches!(&app.screen, kubedojo::app::Screen::Exercise(v) if app.pack.exercises[v.index].id == "demo"), "the lab opened");
}

/// The notices that name a key name the learner's own binding, not the built-in one.
#[test]
fn notices_name_the_learners_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[[lesson]]\naction = \"open-link\"\nkeys = [\"ctrl-o\"]\n\n[[lesson]]\naction = \"copy-block\"\nkeys = [\"ctrl-y\"]\n").unwrap();
    let mut read = Progress::default();
    read.pack_mut("fixture").lesson_mut("every-element").completed_at = Some(1); // no "Lesson complete" on reaching the end
    let mut app = app_with(fixture_pack(), read, (120, 40));
    app.keymap = kubedojo::input::keymap::Keymap::with_user_file(&path).unwrap();
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "f");
    assert_eq!(app.flash.as_ref().map(|f| f.text.as_str()), Some("link 1 of 1: “link to the lab”, C-o opens it"));
    key(&mut app, KeyCode::Tab);
    let text = app.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
    assert!(text.starts_with("code block 1 of ") && text.ends_with(", C-y copies it"), "{text}");
}

#[test]
fn help_overlay_lists_the_screen_keys() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "?");
        snap("help_lesson", size, &app);
    }
}

#[test]
fn notice_for_a_recovered_progress_file() {
    for size in SIZES {
        let mut app = app_with(builtin(), Progress::default(), size);
        app.overlay = Some(Overlay::Notice {
            title: "Notice".into(),
            text: "Your progress file could not be read (progress.json: line 2 column 3: expected value). It was moved to /home/learner/.local/state/kubedojo/progress.json.corrupt-1796587447-2 and you start fresh; nothing was deleted.".into(),
        });
        snap("notice", size, &app);
    }
}

/// Colour matters for check results and highlighted code: snapshot the styled buffer.
#[test]
fn styled_results_and_code() {
    let size = (80, 24);
    let mut app = app_with(fixture_pack(), Progress::default(), size);
    keys(&mut app, "j");
    key(&mut app, KeyCode::Enter);
    app::update(&mut app, Action::ChecksFinished { exercise: "demo".into(), step: "namespace".into(), run: results_run(), id: 0 });
    let terminal = render(&app);
    insta::assert_debug_snapshot!("styled_exercise_80x24", terminal.backend().buffer());
}
