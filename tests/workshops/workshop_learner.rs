//! A learner in a workshop, end to end: `kubedojo join`, then the real TUI in a
//! pseudo-terminal reports what they do to the real server; the instructor's message reaches
//! the status bar, a locked exercise does not open until released.

use std::process::Command;
use std::time::Duration;

use crate::common::tty::Tty;
use crate::workshop::{Backend, Server, Store, board, http};
use kubedojo::workshop::model::CellState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_learners_lab_reports_to_the_board_and_follows_the_pacing() {
    let store = Store::new(Backend::Sqlite).await;
    let w = store.create("Tuesday class");
    let server = Server::start(&store, &[]);
    let state = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_kubedojo"))
        .args(["join", &server.url, &w.code, "--name", "Ada"])
        .env("KUBEDOJO_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Joined workshop \"Tuesday class\" as \"Ada\""));
    // joining again from this machine is the same learner; another machine cannot take the name
    let again = Command::new(env!("CARGO_BIN_EXE_kubedojo"))
        .args(["join", &server.url, &w.code, "--name", "Ada"])
        .env("KUBEDOJO_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("Joined workshop \"Tuesday class\" again (the same learner on the board) as \"Ada\""), "{again:?}");
    let elsewhere = tempfile::tempdir().unwrap();
    let other = Command::new(env!("CARGO_BIN_EXE_kubedojo"))
        .args(["join", &server.url, &w.code, "--name", "ada"])
        .env("KUBEDOJO_STATE_DIR", elsewhere.path())
        .output()
        .unwrap();
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("a learner named \"ada\" has joined this workshop already"), "{other:?}");

    // the instructor locks the first lab and says hello before the learner starts
    let pace = |body: serde_json::Value| http().post(format!("{}/api/workshops/{}/pacing", server.url, w.id)).bearer_auth(&w.token).json(&body).send();
    assert_eq!(pace(serde_json::json!({"lock": ["eks-cluster"], "message": "Welcome! Start with the lessons"})).await.unwrap().status(), 200);

    let (state_path, home_path) = (state.path().to_path_buf(), home.path().to_path_buf());
    let mut tty = tokio::task::spawn_blocking(move || {
        let tty = Tty::spawn(&state_path, &home_path);
        tty.wait_for("Instructor: Welcome! Start with the lessons");
        tty
    })
    .await
    .unwrap();

    // the locked lab does not open (home: five lessons, then the lab)
    tty = tokio::task::spawn_blocking(move || {
        tty.send("jjjjj");
        tty.send("\r");
        tty.wait_for("Locked by the workshop instructor");
        tty
    })
    .await
    .unwrap();
    pace(serde_json::json!({"release": ["eks-cluster"], "message": ""})).await.unwrap();
    tty = tokio::task::spawn_blocking(move || {
        tty.wait_for("Released by the instructor");
        tty.send("\r");
        tty.wait_for("Exercise · ");
        tty.send("h");
        tty.wait_for("Hint 1 of");
        tty.send("q");
        tty.send("q");
        assert!(tty.wait_exit().success());
        tty
    })
    .await
    .unwrap();
    drop(tty);

    // the board has what the learner did: the step opened, a hint taken
    let mut found = None;
    for _ in 0..50 {
        let b = board(&server.url, &w.id, &w.token).await;
        if let Some(l) = b.learners.iter().find(|l| l.name == "Ada")
            && let Some((key, cell)) = l.cells.iter().find(|(k, _)| k.starts_with("eks-cluster/"))
            && cell.hints == 1
        {
            found = Some((key.clone(), cell.clone(), l.current.clone()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (key, cell, current) = found.expect("the board never showed Ada's hint");
    assert_eq!(cell.state, CellState::Opened);
    assert_eq!(current.as_deref(), Some(key.as_str()));
    // and nothing is left waiting
    let outbox = std::fs::read_to_string(state.path().join("workshop/outbox.jsonl")).unwrap_or_default();
    assert!(outbox.trim().is_empty(), "undelivered: {outbox}");
}
