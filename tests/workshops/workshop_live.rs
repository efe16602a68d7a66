//! The workshop's moving parts end to end, on the real server: the board's stream updates
//! within a second, two replicas on one PostgreSQL share live updates (LISTEN/NOTIFY), and a
//! learner whose server is down keeps events in the outbox and delivers them later, once.

use crate::workshop;
use std::time::{Duration, Instant};

use crate::workshop::{Backend, Server, Store, board, check_event, http, join, send};
use kubedojo::workshop::client::instructor::{Instructor, StreamMessage};
use kubedojo::workshop::client::outbox::Outbox;
use kubedojo::workshop::client::reporter::{Notice, Reporter};
use kubedojo::workshop::client::saved::Membership;
use kubedojo::workshop::model::{CellState, JoinResponse};
use tokio::sync::mpsc;

const EX: &str = "alb-ingress";
const STEP: &str = "controller-iam";

fn follow(server: &str, workshop: &str, token: &str) -> mpsc::UnboundedReceiver<StreamMessage> {
    let instructor = Instructor::new(server, workshop, token).expect("instructor");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move { instructor.follow(tx).await });
    rx
}

/// The next update that shows `learner` in `state` on the step; how long it took.
async fn wait_for_cell(rx: &mut mpsc::UnboundedReceiver<StreamMessage>, learner: &str, state: CellState, since: Instant) -> Duration {
    let key = format!("{EX}/{STEP}");
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("no board update within 5 s").expect("stream open");
        let rows = match msg {
            StreamMessage::Board(b) => b.learners,
            StreamMessage::Update(u) => u.learners,
            StreamMessage::Disconnected(e) | StreamMessage::Refused(e) => panic!("stream: {e}"),
        };
        if rows.iter().any(|l| l.id == learner && l.cells.get(&key).is_some_and(|c| c.state == state)) {
            return since.elapsed();
        }
    }
}

async fn first_board(rx: &mut mpsc::UnboundedReceiver<StreamMessage>) {
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("no first board").expect("open") {
        StreamMessage::Board(_) => {}
        other => panic!("expected the whole board first, got {other:?}"),
    }
}

async fn board_stream_updates_within_a_second(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Live");
    let server = Server::start(&store, &[]);
    let (ada, token) = join(&server.url, &w.code, "Ada").await;
    let mut rx = follow(&server.url, &w.id, &w.token);
    first_board(&mut rx).await;
    let sent = Instant::now();
    send(&server.url, &token, &[check_event("e1", EX, STEP, false, Some("no OIDC provider"))]).await;
    let lag = wait_for_cell(&mut rx, &ada, CellState::Failing, sent).await;
    assert!(lag < Duration::from_secs(1), "the board was {lag:?} behind");
    let sent = Instant::now();
    send(&server.url, &token, &[check_event("e2", EX, STEP, true, None)]).await;
    let lag = wait_for_cell(&mut rx, &ada, CellState::Passing, sent).await;
    assert!(lag < Duration::from_secs(1), "the board was {lag:?} behind");
}

on_both!(board_stream_updates_within_a_second);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_share_the_board() {
    let store = Store::new(Backend::Postgres).await;
    let w = store.create("Replicas");
    let a = Server::start(&store, &[]);
    let b = Server::start(&store, &[]);
    let (ada, ada_token) = join(&a.url, &w.code, "Ada").await;
    let (bob, bob_token) = join(&b.url, &w.code, "Bob").await;
    // boards on both replicas; learners each on the other one
    let mut on_a = follow(&a.url, &w.id, &w.token);
    let mut on_b = follow(&b.url, &w.id, &w.token);
    first_board(&mut on_a).await;
    first_board(&mut on_b).await;
    let sent = Instant::now();
    send(&a.url, &ada_token, &[check_event("a1", EX, STEP, false, Some("boom"))]).await;
    let lag = wait_for_cell(&mut on_b, &ada, CellState::Failing, sent).await;
    assert!(lag < Duration::from_secs(1), "replica B was {lag:?} behind");
    let sent = Instant::now();
    send(&b.url, &bob_token, &[check_event("b1", EX, STEP, true, None)]).await;
    let lag = wait_for_cell(&mut on_a, &bob, CellState::Passing, sent).await;
    assert!(lag < Duration::from_secs(1), "replica A was {lag:?} behind");
    // the stateless part: either replica serves the same board
    assert_eq!(board(&a.url, &w.id, &w.token).await.learners, board(&b.url, &w.id, &w.token).await.learners);
}

async fn outbox_delivers_later_exactly_once(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Outage");
    let port = workshop::free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Server::start_on(&store, &listen, &[]);
    let joined: JoinResponse =
        http().post(format!("{}/api/join", server.url)).json(&serde_json::json!({"code": w.code, "name": "Ada"})).send().await.unwrap().json().await.unwrap();
    let membership = Membership {
        server: server.url.clone(),
        workshop: joined.workshop,
        workshop_name: joined.workshop_name,
        learner: joined.learner.clone(),
        name: "Ada".into(),
        token: joined.token,
        steps: joined.steps,
        share_drills: false,
    };
    server.kill();

    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::new(dir.path().join("outbox.jsonl"));
    let (notice_tx, mut notices) = mpsc::unbounded_channel();
    let reporter = Reporter::spawn(membership, outbox.clone(), notice_tx).unwrap();
    let events: Vec<_> = (0..25).map(|i| check_event(&format!("run-{i}"), EX, STEP, i == 24, (i < 24).then_some("boom"))).collect();
    for e in &events {
        reporter.report(e.clone());
    }
    assert_eq!(reporter.flush(Duration::from_secs(5)).await, Some(25), "with the server down, all 25 wait");
    assert_eq!(outbox.pending().unwrap().len(), 25, "and they are on disk");
    let mut saw_problem = false;
    while let Ok(n) = notices.try_recv() {
        saw_problem |= matches!(n, Notice::Delivery { waiting: 25, problem: Some(_) });
    }
    assert!(saw_problem, "the learner's status bar hears about the outage");

    // the server comes back on the same address: everything is delivered
    let server = Server::start_on(&store, &listen, &[]);
    assert_eq!(reporter.flush(Duration::from_secs(10)).await, Some(0));
    let b = board(&server.url, &w.id, &w.token).await;
    let cell = b.learners[0].cells[&format!("{EX}/{STEP}")].clone();
    assert_eq!((cell.checks, cell.state), (25, CellState::Passing));

    // an acknowledgement lost on the way back: the same events are sent again, and ignored
    outbox.push(&events[..10]).unwrap();
    assert_eq!(reporter.flush(Duration::from_secs(10)).await, Some(0));
    let b = board(&server.url, &w.id, &w.token).await;
    assert_eq!(b.learners[0].cells[&format!("{EX}/{STEP}")].checks, 25, "no duplicates");
}

on_both!(outbox_delivers_later_exactly_once);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_with_boards_connected() {
    let store = Store::new(Backend::Sqlite).await;
    let w = store.create("Stop");
    let mut server = Server::start(&store, &[]);
    let mut rx = follow(&server.url, &w.id, &w.token);
    first_board(&mut rx).await;
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = server.child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the server did not stop within 10 s of SIGTERM with a board connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}; log: {}", server.log());
}
