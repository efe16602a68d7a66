//! The workshop server under a room's load, on loopback: 500 simulated learners each sending a
//! check run a second for 60 s, on SQLite and on PostgreSQL (the test environment's), with an
//! instructor's board following the stream. Prints throughput, request latency p50/p99 and
//! how far behind the board was. Goal: p99 under 50 ms, the board under 1 s behind.
//!
//!   eval "$(tests/testenv.sh up)"; cargo bench --bench workshop_load
//!   KUBEDOJO_LOAD_LEARNERS=200 KUBEDOJO_LOAD_SECS=20 KUBEDOJO_LOAD_BACKENDS=sqlite cargo bench --bench workshop_load

#[path = "../tests/workshop/mod.rs"]
#[allow(unused_imports)]
mod workshop;

use workshop::{Backend, Store, load};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let learners = env_or("KUBEDOJO_LOAD_LEARNERS", 500);
    let secs = env_or("KUBEDOJO_LOAD_SECS", 60) as u64;
    let backends = std::env::var("KUBEDOJO_LOAD_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    for b in backends.split(',') {
        let backend = match b.trim() {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("unknown backend {other}: sqlite or postgres"),
        };
        let report = rt.block_on(async {
            let store = Store::new(backend).await;
            load::run(&store, learners, secs).await
        });
        println!("{}", report.text(b.trim()));
    }
}
