//! Snapshots of the drill, mock interview, statistics and transcript screens at 80x24 and
//! 120x40, on the fixture pack's cards (one of each kind).

use crate::common;
use crate::common::*;
use crossterm::event::KeyCode;
use kubedojo::app::{self, Action, Screen};
use kubedojo::drill::mock::MockConfig;
use kubedojo::drill::schedule::Scheduler;
use kubedojo::progress::Progress;
use kubedojo::progress::drill::{Grade, ReviewEntry};

fn snap(name: &str, size: (u16, u16), app: &kubedojo::app::App) {
    insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(app));
}

fn drill_app(size: (u16, u16)) -> kubedojo::app::App {
    let mut app = app_with(fixture_pack(), Progress::default(), size);
    keys(&mut app, "d");
    assert!(matches!(app.screen, Screen::Drill(_)));
    app
}

#[test]
fn drill_cards_of_every_kind() {
    for size in SIZES {
        let mut app = drill_app(size);
        // new cards come easiest first: the choice card
        snap("drill_choice", size, &app);
        keys(&mut app, "j");
        key(&mut app, KeyCode::Enter);
        snap("drill_choice_wrong", size, &app);
        key(&mut app, KeyCode::Enter);
        // recall, typing
        keys(&mut app, "eks.amazonaws.com/role-arn");
        snap("drill_recall_typing", size, &app);
        key(&mut app, KeyCode::Enter);
        snap("drill_recall_right", size, &app);
        key(&mut app, KeyCode::Enter);
        // ordering
        snap("drill_order", size, &app);
        key(&mut app, KeyCode::Enter);
        snap("drill_order_answered", size, &app);
        key(&mut app, KeyCode::Enter);
        // open: the model answer and the key points
        key(&mut app, KeyCode::Enter);
        keys(&mut app, " j ");
        snap("drill_open_answered", size, &app);
    }
}

#[test]
fn drill_done_for_the_day() {
    for size in SIZES {
        // no new cards today and nothing due: done
        let mut progress = Progress::default();
        progress.pack_mut("fixture").drill.new_per_day = Some(0);
        let mut app = app_with(fixture_pack(), progress, size);
        keys(&mut app, "d");
        snap("drill_done", size, &app);
    }
}

fn mock_app(size: (u16, u16)) -> kubedojo::app::App {
    let mut app = app_with(fixture_pack(), Progress::default(), size);
    app::mock::open_at(&mut app, MockConfig { questions: 2, minutes: 4, topic: None }, 1_800_000_000);
    app
}

#[test]
fn mock_interview_screens() {
    for size in SIZES {
        let mut app = mock_app(size);
        for _ in 0..(13 * app::TICKS_PER_SECOND) {
            app::update(&mut app, Action::Tick);
        }
        keys(&mut app, "spread over zones");
        key(&mut app, KeyCode::Enter);
        keys(&mut app, "headroom");
        snap("mock_answering", size, &app);
        key(&mut app, KeyCode::Tab);
        keys(&mut app, " j ");
        snap("mock_reviewing", size, &app);
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Tab);
        keys(&mut app, "4");
        let effects = key(&mut app, KeyCode::Enter);
        assert!(effects.iter().any(|e| matches!(e, app::Effect::SaveTranscript { .. })), "{effects:?}");
        app::update(&mut app, Action::TranscriptSaved(Ok("/home/me/.local/share/kubedojo/mocks/mock-2027-01-15T08-00-00.md".into())));
        app.flash = None;
        snap("mock_scorecard", size, &app);
    }
}

/// A note longer than the box wraps inside it at words, at 80 columns too: nothing of it
/// scrolls out of sight sideways.
#[test]
fn a_long_note_wraps_in_the_notes_box() {
    let mut app = mock_app((80, 24));
    let note = "the control plane is spread over three availability zones and AWS replaces unhealthy API servers while we own the data plane";
    keys(&mut app, note);
    let shown = screen(&app);
    for word in ["control", "zones", "replaces", "data", "plane"] {
        assert!(shown.contains(word), "{word} is not on the screen:\n{shown}");
    }
    let rows = shown.lines().filter(|l| l.contains("│") && (l.contains("zones") || l.contains("control") || l.contains("data plane"))).count();
    assert!(rows >= 2, "the note takes more than one row:\n{shown}");
}

#[test]
fn stats_with_a_drill_history() {
    let today = kubedojo::drill::day_at(common::NOW);
    let mut progress = Progress::default();
    let sched = Scheduler::default();
    let drill = &mut progress.pack_mut("fixture").drill;
    // three weeks of drilling, a lapse, and cards due over the next days
    let history = [
        ("every-element/pick-one", [Grade::Good, Grade::Good, Grade::Good]),
        ("every-element/annotation", [Grade::Good, Grade::Again, Grade::Hard]),
        ("every-element/irsa-order", [Grade::Hard, Grade::Good, Grade::Easy]),
        ("every-element/why-pdb", [Grade::Again, Grade::Hard, Grade::Good]),
    ];
    for (i, (card, grades)) in history.iter().enumerate() {
        for (n, g) in grades.iter().enumerate() {
            let day = today - 20 + (n as i64) * 9 - i as i64 % 2;
            let prev = drill.items.get(*card).cloned();
            let state = sched.review(prev.as_ref(), *g, day);
            drill.record(ReviewEntry { day, at: 0, item: card.to_string(), grade: *g, new: n == 0, secs: 20 }, state);
        }
    }
    for (n, day) in [today - 1, today].iter().enumerate() {
        let card = "every-element/pick-one";
        let prev = drill.items.get(card).cloned();
        let state = sched.review(prev.as_ref(), Grade::Good, *day);
        drill.record(ReviewEntry { day: *day, at: 0, item: card.into(), grade: Grade::Good, new: false, secs: 10 + n as u32 }, state);
    }
    for size in SIZES {
        let mut app = app_with(fixture_pack(), progress.clone(), size);
        assert_eq!(app.pack.id, "fixture");
        keys(&mut app, "s");
        snap("stats", size, &app);
    }
}

#[test]
fn stats_before_any_drill() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        keys(&mut app, "s");
        snap("stats_empty", size, &app);
    }
}

#[test]
fn transcripts_list_and_reader() {
    for size in SIZES {
        let mut app = app_with(fixture_pack(), Progress::default(), size);
        let effects = keys(&mut app, "t");
        assert!(effects.iter().any(|e| matches!(e, app::Effect::ListTranscripts(_))), "{effects:?}");
        let list = vec![
            kubedojo::drill::mock::Saved {
                path: "/m/mock-2027-01-16T09-00-00.md".into(),
                title: "Mock interview, 2027-01-16 09:00:00".into(),
                score: "Score: 9 of 12 key points (75%) over 3 scored questions.".into(),
            },
            kubedojo::drill::mock::Saved {
                path: "/m/mock-2027-01-15T08-00-00.md".into(),
                title: "Mock interview, 2027-01-15 08:00:00".into(),
                score: "Score: 4 of 12 key points (33%) over 3 scored questions.".into(),
            },
        ];
        app::update(&mut app, Action::TranscriptsListed(list));
        keys(&mut app, "j");
        snap("transcripts_list", size, &app);
        let effects = key(&mut app, KeyCode::Enter);
        assert_eq!(effects, vec![app::Effect::ReadTranscript("/m/mock-2027-01-15T08-00-00.md".into())]);
        let mut mock = kubedojo::drill::mock::Mock::new(&app.pack, MockConfig { questions: 2, minutes: 10, topic: None }, 1_800_000_000);
        mock.answers[0].notes = "spread replicas\nheadroom".into();
        mock.answers[0].secs = 250;
        mock.answers[0].ticked = vec![true, true, false, false];
        mock.answers[0].grade = Some(Grade::Hard);
        let text = mock.transcript(&app.pack, true).replace(&kubedojo::drill::mock::stamp(1_800_000_000).replace('T', " "), "2027-01-15 08:00:00");
        app::update(&mut app, Action::TranscriptRead("/m/mock-2027-01-15T08-00-00.md".into(), Ok(text)));
        snap("transcript_open", size, &app);
    }
}
