//! The workshop server under test: the real `kubedojo serve` process on loopback, on SQLite
//! or on the test environment's PostgreSQL (a fresh database per test). A test that needs
//! PostgreSQL fails (never skips) when it is not running.

#![allow(dead_code)]

pub mod cdp;
pub mod load;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kubedojo::workshop::model::{CheckStatus, Event, EventKind};

/// `on_both!(name)`: the test `async fn name(Backend)` run twice, as `name::sqlite` and
/// `name::postgres`.
#[allow(unused_macros)]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::workshop::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::workshop::Backend::Postgres).await
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's workshop data lives.
pub struct Store {
    pub backend: Backend,
    /// A SQLite file or a postgres:// URL.
    pub url: String,
    pub dir: tempfile::TempDir,
}

fn pg_admin_url() -> String {
    std::env::var("KUBEDOJO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.contains("127.0.0.1:") && !u.contains("127.0.0.1:/"))
        .unwrap_or_else(|| panic!("the test PostgreSQL is not running: start it with `eval \"$(tests/testenv.sh up)\"` (tests/run-all.sh does this)"))
}

impl Store {
    pub async fn new(backend: Backend) -> Store {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = match backend {
            Backend::Sqlite => dir.path().join("server.db").display().to_string(),
            Backend::Postgres => {
                let admin = pg_admin_url();
                let name = format!("kd_{}", kubedojo::workshop::token::public_id(12));
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.expect("connect to the test PostgreSQL");
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
                admin.rsplit_once('/').map(|(base, _)| format!("{base}/{name}")).expect("url")
            }
        };
        Store { backend, url, dir }
    }

    pub fn db_args(&self) -> Vec<String> {
        match self.backend {
            Backend::Sqlite => vec!["--database".into(), self.url.clone()],
            Backend::Postgres => vec!["--database-url".into(), self.url.clone()],
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// `kubedojo workshop create`, with what it printed.
    pub fn create(&self, name: &str) -> Created {
        let out = Command::new(env!("CARGO_BIN_EXE_kubedojo"))
            .args(["workshop", "create", "--name", name, "--server", "http://127.0.0.1:7420", "--stuck-after", "1"])
            .args(self.db_args())
            .env("KUBEDOJO_STATE_DIR", self.state_dir())
            .env_remove("KUBEDOJO_DATABASE_URL")
            .output()
            .expect("run workshop create");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "workshop create failed: {text}{}", String::from_utf8_lossy(&out.stderr));
        let word_after =
            |marker: &str| text.lines().find_map(|l| l.trim().strip_prefix(marker)).map(|s| s.split_whitespace().next().unwrap_or_default().to_string());
        let code = word_after("kubedojo join http://127.0.0.1:7420 ").expect("join code in the output");
        let token = text.split_whitespace().find(|w| w.starts_with("kdi_")).expect("instructor token").to_string();
        let id = word_after("Terminal board: kubedojo board http://127.0.0.1:7420/board/").expect("workshop id");
        Created { id, code, token, output: text }
    }
}

#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub code: String,
    pub token: String,
    pub output: String,
}

/// A running `kubedojo serve`, killed when dropped.
pub struct Server {
    pub url: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Server {
    pub fn start(store: &Store, extra: &[&str]) -> Server {
        Server::start_on(store, "127.0.0.1:0", extra)
    }

    pub fn start_on(store: &Store, listen: &str, extra: &[&str]) -> Server {
        let log = store.dir.path().join(format!("serve-{}.log", kubedojo::workshop::token::public_id(6)));
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubedojo"))
            .args(["serve", "--listen", listen])
            .args(store.db_args())
            .args(extra)
            .env("KUBEDOJO_STATE_DIR", store.state_dir())
            .env_remove("KUBEDOJO_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start kubedojo serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the server's first line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http"))
            .unwrap_or_else(|| panic!("no address in {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default()))
            .to_string();
        Server { url, child, log }
    }

    /// SIGKILL: no graceful shutdown, nothing flushed by the server on the way out.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The product's own client set-up (rustls with ring).
pub fn http() -> reqwest::Client {
    kubedojo::workshop::client::http().expect("client")
}

/// Join and return (learner id, token).
pub async fn join(server: &str, code: &str, name: &str) -> (String, String) {
    let res = http().post(format!("{server}/api/join")).json(&serde_json::json!({"code": code, "name": name})).send().await.expect("join");
    assert_eq!(res.status(), 201, "join: {}", res.text().await.unwrap_or_default());
    let body: serde_json::Value = res.json().await.expect("json");
    (body["learner"].as_str().expect("learner").to_string(), body["token"].as_str().expect("token").to_string())
}

pub fn check_event(id: &str, exercise: &str, step: &str, pass: bool, message: Option<&str>) -> Event {
    Event {
        id: id.to_string(),
        at: kubedojo::workshop::model::now_ms(),
        kind: EventKind::Check,
        exercise: Some(exercise.into()),
        step: Some(step.into()),
        status: Some(if pass { CheckStatus::Pass } else { CheckStatus::Fail }),
        message: message.map(Into::into),
        hints: None,
        reviewed: None,
        correct: None,
    }
}

pub fn step_event(id: &str, kind: EventKind, exercise: &str, step: &str) -> Event {
    Event {
        id: id.to_string(),
        at: kubedojo::workshop::model::now_ms(),
        kind,
        exercise: Some(exercise.into()),
        step: Some(step.into()),
        status: None,
        message: None,
        hints: None,
        reviewed: None,
        correct: None,
    }
}

pub async fn send(server: &str, token: &str, events: &[Event]) -> reqwest::Response {
    http().post(format!("{server}/api/events")).bearer_auth(token).json(&serde_json::json!({ "events": events })).send().await.expect("send events")
}

pub async fn board(server: &str, workshop: &str, token: &str) -> kubedojo::workshop::model::Board {
    let res = http().get(format!("{server}/api/workshops/{workshop}/board")).bearer_auth(token).send().await.expect("board");
    assert_eq!(res.status(), 200);
    res.json().await.expect("board json")
}

/// Wait until `f` is true, or fail saying `what`.
pub async fn eventually(what: &str, limit: Duration, mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within {limit:?}");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
