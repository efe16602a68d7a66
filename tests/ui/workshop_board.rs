//! The terminal board (`kubedojo board`): snapshots at 80x24 and 120x40, and its keys
//! (cursor, sort, lock, message) turned into the pacing changes they ask for.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kubedojo::commands::workshop::board_palette;
use kubedojo::input::keymap::Keymap;
use kubedojo::workshop::client::board::render::render;
use kubedojo::workshop::client::board::state::{BoardScreen, Effect, Msg};
use kubedojo::workshop::client::instructor::StreamMessage;
use kubedojo::workshop::model::{Board, BoardUpdate, Cell, CellState, CommonFailure, LearnerRow, Pacing, PacingChange, StepRef, WorkshopInfo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: i64 = 1_764_950_000_000;
const MIN: i64 = 60_000;
const TRUST: &str = "trust policy sub does not match system:serviceaccount:shop:s3-reader";

fn steps() -> Vec<StepRef> {
    let mut out = Vec::new();
    for (ex, names) in [
        ("irsa", &["oidc", "role", "trust", "annotate", "verify"][..]),
        ("logging", &["policy", "fluent-bit", "delivery"][..]),
        ("autoscaling", &["discovery", "scale-up", "scale-down", "pdb"][..]),
    ] {
        for n in names {
            out.push(StepRef { exercise: ex.into(), step: (*n).into(), title: format!("The {n} step") });
        }
    }
    out
}

fn cell(state: CellState, failing_for_min: Option<i64>, message: Option<&str>) -> Cell {
    Cell {
        state,
        failing_since: failing_for_min.map(|m| NOW - m * MIN),
        message: message.map(Into::into),
        checks: 3,
        hints: 1,
        solution: false,
        updated_at: NOW - MIN,
        completed_at: (state == CellState::Done).then_some(NOW - 5 * MIN),
    }
}

fn learner(id: &str, name: &str, cells: &[(&str, Cell)]) -> LearnerRow {
    LearnerRow {
        id: id.into(),
        name: name.into(),
        joined_at: NOW - 60 * MIN,
        last_seen: Some(NOW),
        current: cells.last().map(|(k, _)| (*k).to_string()),
        drill_reviewed: 0,
        drill_correct: 0,
        cells: cells.iter().map(|(k, c)| ((*k).to_string(), c.clone())).collect::<BTreeMap<_, _>>(),
    }
}

fn board() -> Board {
    let done = || cell(CellState::Done, None, None);
    Board {
        workshop: WorkshopInfo {
            id: "k7p2qx9mza".into(),
            name: "EKS in production, Tuesday".into(),
            steps: steps(),
            stuck_after_secs: 600,
            join_open: true,
            pacing: Pacing { locked: vec!["autoscaling".into()], message: Some("Lunch at 12:30; finish the trust step first".into()), message_at: Some(NOW) },
        },
        learners: vec![
            learner("l1", "Ada Lovelace", &[("irsa/oidc", done()), ("irsa/role", done()), ("irsa/trust", cell(CellState::Failing, Some(23), Some(TRUST)))]),
            learner(
                "l2",
                "Grace Hopper",
                &[
                    ("irsa/oidc", done()),
                    ("irsa/role", done()),
                    ("irsa/trust", done()),
                    ("irsa/annotate", done()),
                    ("irsa/verify", cell(CellState::Passing, None, None)),
                ],
            ),
            learner("l3", "Linus T.", &[("irsa/oidc", done()), ("irsa/role", done()), ("irsa/trust", cell(CellState::Failing, Some(4), Some(TRUST)))]),
            learner("l4", "Margaret Hamilton-Smythe the Third", &[("irsa/oidc", cell(CellState::Opened, None, None))]),
        ],
        failures: vec![
            CommonFailure { step: "irsa/trust".into(), message: TRUST.into(), learners: 2 },
            CommonFailure { step: "logging/delivery".into(), message: "no log events in /aws/containerd/shop in the last 15 minutes".into(), learners: 1 },
        ],
        now: NOW,
    }
}

fn screen_with(board: Option<Board>, size: (u16, u16)) -> BoardScreen {
    let mut s = BoardScreen::new(size);
    if let Some(b) = board {
        s.update(Msg::Stream(StreamMessage::Board(Box::new(b))), &Keymap::built_in());
    }
    s
}

fn draw(s: &BoardScreen) -> String {
    let mut t = Terminal::new(TestBackend::new(s.size.0, s.size.1)).unwrap();
    t.draw(|f| render(f, s, &Keymap::built_in(), &board_palette())).unwrap();
    t.backend().to_string()
}

fn key(s: &mut BoardScreen, code: KeyCode) -> Option<Effect> {
    s.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)), &Keymap::built_in())
}

#[test]
fn snapshots() {
    for (w, h) in [(80, 24), (120, 40)] {
        let s = screen_with(Some(board()), (w, h));
        insta::assert_snapshot!(format!("board_{w}x{h}"), draw(&s));
    }
    insta::assert_snapshot!("board_connecting", draw(&screen_with(None, (80, 24))));
    let mut empty = board();
    empty.learners.clear();
    empty.failures.clear();
    empty.workshop.pacing = Pacing::default();
    insta::assert_snapshot!("board_empty", draw(&screen_with(Some(empty), (80, 24))));
}

#[test]
fn stuck_learners_come_first_and_the_cursor_says_why() {
    let mut s = screen_with(Some(board()), (120, 40));
    let names: Vec<&str> = s.rows().iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names[..2], ["Ada Lovelace", "Linus T."]);
    // only Ada is over the ten minutes
    let b = s.board.clone().unwrap();
    let stuck: Vec<&str> = b.stuck(NOW).iter().map(|(l, _, _)| l.name.as_str()).collect();
    assert_eq!(stuck, ["Ada Lovelace"]);
    for _ in 0..2 {
        key(&mut s, KeyCode::Right);
    }
    let text = draw(&s);
    assert!(text.contains("irsa/trust The trust step │ Ada Lovelace: failing for 23 min, 3 runs, 1 hints: trust policy sub"), "{text}");
    key(&mut s, KeyCode::Char('s'));
    assert_eq!(s.rows()[0].name, "Ada Lovelace", "by name");
    key(&mut s, KeyCode::Char('s'));
    assert_eq!(s.rows()[0].name, "Margaret Hamilton-Smythe the Third", "behind first");
}

#[test]
fn keys_ask_for_pacing_changes() {
    let mut s = screen_with(Some(board()), (120, 40));
    // the cursor on an irsa step: x locks irsa
    assert_eq!(key(&mut s, KeyCode::Char('x')), Some(Effect::Pace(PacingChange { lock: vec!["irsa".into()], ..Default::default() })));
    // on an autoscaling step (locked): x releases it
    key(&mut s, KeyCode::End);
    for _ in 0..20 {
        key(&mut s, KeyCode::Right);
    }
    assert_eq!(key(&mut s, KeyCode::Char('x')), Some(Effect::Pace(PacingChange { release: vec!["autoscaling".into()], ..Default::default() })));
    // m writes a message, starting from the current one
    key(&mut s, KeyCode::Char('m'));
    assert_eq!(s.typing.as_deref(), Some("Lunch at 12:30; finish the trust step first"));
    for _ in 0..s.typing.as_ref().unwrap().len() {
        key(&mut s, KeyCode::Backspace);
    }
    for c in "Back at 1".chars() {
        key(&mut s, KeyCode::Char(c));
    }
    assert!(draw(&s).contains("Message to every learner: Back at 1"));
    assert_eq!(key(&mut s, KeyCode::Enter), Some(Effect::Pace(PacingChange { message: Some("Back at 1".into()), ..Default::default() })));
    assert_eq!(key(&mut s, KeyCode::Char('q')), Some(Effect::Quit));
}

#[test]
fn updates_replace_rows_and_add_new_learners() {
    let mut s = screen_with(Some(board()), (80, 24));
    let mut grace = s.board.as_ref().unwrap().learners[1].clone();
    grace.cells.insert("irsa/verify".into(), cell(CellState::Done, None, None));
    let newcomer = learner("l5", "Newcomer", &[]);
    s.update(
        Msg::Stream(StreamMessage::Update(BoardUpdate { learners: vec![grace, newcomer], failures: vec![], workshop: None, now: NOW + 1000 })),
        &Keymap::built_in(),
    );
    let b = s.board.as_ref().unwrap();
    assert_eq!(b.learners.len(), 5);
    assert_eq!(b.learners[1].cells["irsa/verify"].state, CellState::Done);
    assert!(b.failures.is_empty());
    assert!(draw(&s).contains("no failing checks"));
}
