//! A bounded load test on loopback: 100 simulated learners, a check run a second each for
//! 10 s, on SQLite and PostgreSQL. Asserts that every event is stored once and the board's
//! stream keeps up; the full-size run (500 learners, 60 s) with figures is the benchmark
//! `cargo bench --bench workshop_load`.

use std::time::Duration;

use crate::workshop::{Backend, Store, load};

async fn a_room_of_100(backend: Backend) {
    let store = Store::new(backend).await;
    let report = load::run(&store, 100, 10).await;
    println!("{}", report.text(&format!("{backend:?}")));
    assert_eq!(report.errors, 0, "{}", report.text("errors"));
    assert_eq!(report.sent, 1000);
    assert_eq!(report.stored, 1000, "every acknowledged event stored once");
    assert!(!report.board_lag.is_empty(), "the board heard nothing");
    // generous on a loaded CI machine; the benchmark reports the real figures
    let worst = *report.board_lag.last().unwrap_or(&Duration::ZERO);
    assert!(worst < Duration::from_secs(5), "the board fell {worst:?} behind");
}

on_both!(a_room_of_100);
