//! A room of simulated learners against the real server on loopback: each joins, then sends a
//! check run a second for the duration, while an instructor's board follows the stream. Used
//! by the load benchmark (500 learners, 60 s) and, smaller, by the test suite.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubedojo::workshop::client::instructor::{Instructor, StreamMessage};
use kubedojo::workshop::model::now_ms;
use tokio::sync::{Mutex, mpsc};

use super::{Server, Store, check_event, http, join};

pub struct Report {
    pub learners: usize,
    pub secs: u64,
    pub sent: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Request latencies, sorted.
    pub latencies: Vec<Duration>,
    /// How far behind the board was: for each learner row that shows something new, now - the
    /// row's newest event; sorted.
    pub board_lag: Vec<Duration>,
    pub stored: i64,
    pub server_peak_rss_kb: Option<u64>,
}

fn pct(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

impl Report {
    pub fn text(&self, backend: &str) -> String {
        format!(
            "{backend}: {} learners x {} s: {} events sent, {} errors, {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             board behind p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms ({} row updates); {} events stored; server peak RSS {} MB",
            self.learners,
            self.secs,
            self.sent,
            self.errors,
            self.sent as f64 / self.elapsed.as_secs_f64(),
            pct(&self.latencies, 0.5).as_secs_f64() * 1000.0,
            pct(&self.latencies, 0.99).as_secs_f64() * 1000.0,
            self.latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            pct(&self.board_lag, 0.5).as_secs_f64() * 1000.0,
            pct(&self.board_lag, 0.99).as_secs_f64() * 1000.0,
            self.board_lag.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
            self.board_lag.len(),
            self.stored,
            self.server_peak_rss_kb.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0)),
        )
    }
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

const MESSAGES: [&str; 4] = [
    "trust policy sub does not match system:serviceaccount:shop:s3-reader",
    "the ServiceAccount has no eks.amazonaws.com/role-arn annotation",
    "fluent-bit pods not ready: 1/2",
    "no log events in the last 15 minutes",
];

pub async fn run(store: &Store, learners: usize, secs: u64) -> Report {
    let w = store.create("Load");
    let server = Server::start(store, &["--rate", "1000", "--joins-per-minute", "1000000", "--max-learners", "100000"]);
    let url = server.url.clone();
    let mut tokens = Vec::new();
    for chunk in (0..learners).collect::<Vec<_>>().chunks(50) {
        let joins: Vec<_> = chunk
            .iter()
            .map(|i| {
                let (url, code, name) = (url.clone(), w.code.clone(), format!("learner {i}"));
                async move { join(&url, &code, &name).await }
            })
            .collect();
        tokens.extend(futures::future::join_all(joins).await.into_iter().map(|(_, t)| t));
    }

    // the instructor's board, following the stream
    let lags = Arc::new(Mutex::new(Vec::new()));
    let instructor = Instructor::new(&url, &w.id, &w.token).expect("instructor");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follower = tokio::spawn(async move { instructor.follow(tx).await });
    let collector = {
        let lags = lags.clone();
        tokio::spawn(async move {
            // a row counts when it shows something newer than the board had (whole boards,
            // sent when many learners changed at once, repeat the unchanged ones)
            let mut seen: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
            while let Some(m) = rx.recv().await {
                let rows = match m {
                    StreamMessage::Update(u) => u.learners,
                    StreamMessage::Board(b) => b.learners,
                    _ => continue,
                };
                let now = now_ms();
                let mut l = lags.lock().await;
                for row in rows {
                    if let Some(newest) = row.cells.values().map(|c| c.updated_at).max()
                        && seen.get(&row.id).is_none_or(|s| newest > *s)
                    {
                        seen.insert(row.id.clone(), newest);
                        l.push(Duration::from_millis((now - newest).max(0) as u64));
                    }
                }
            }
        })
    };

    let client = http();
    let start = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                // spread the learners over the second
                tokio::time::sleep(Duration::from_millis((i as u64 * 1000) / learners as u64)).await;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                for n in 0..secs {
                    tick.tick().await;
                    let pass = n % 5 == 4;
                    let e = check_event(&format!("l{i}-{n}"), "alb-ingress", "controller-iam", pass, (!pass).then_some(MESSAGES[i % MESSAGES.len()]));
                    let sent = Instant::now();
                    match client.post(format!("{url}/api/events")).bearer_auth(&token).json(&serde_json::json!({"events": [e]})).send().await {
                        Ok(r) if r.status() == 200 => latencies.push(sent.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.expect("learner task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    follower.abort();
    collector.abort();
    let stored = kubedojo::workshop::db::Db::open(&store.url).await.expect("open").event_count(&w.id).await.expect("count");
    latencies.sort();
    let mut board_lag = lags.lock().await.clone();
    board_lag.sort();
    Report { learners, secs, sent: latencies.len() + errors, errors, elapsed, latencies, board_lag, stored, server_peak_rss_kb: peak_rss_kb(server.child.id()) }
}
