//! `kubedojo serve`: the workshop server. Stateless apart from its database, so several
//! replicas can run behind one Ingress on one PostgreSQL (board updates travel through
//! LISTEN/NOTIFY, `fanout.rs`).
//!
//! - `api.rs`    the JSON API (join, events, pacing, board, join code, export)
//! - `board.rs`  the live board: the web page and its server-sent events
//! - `auth.rs`   bearer tokens -> instructor or learner; `limit.rs` rate limits
//! - `error.rs`, `json.rs`  4xx answers that say what to fix

mod api;
mod auth;
mod board;
mod error;
mod fanout;
mod json;
pub mod limit;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::broadcast;

use self::fanout::Change;
use self::limit::{Limiters, Limits};
use super::db::Db;
use super::model::{MAX_BODY, StepRef};

pub struct ServeOptions {
    pub listen: SocketAddr,
    /// A SQLite path or a postgres:// URL.
    pub database: String,
    /// PEM certificate chain and private key: serve HTTPS (rustls).
    pub tls: Option<(PathBuf, PathBuf)>,
    pub limits: Limits,
    /// Learners a workshop takes at most.
    pub max_learners: i64,
}

#[derive(Clone)]
pub struct AppState {
    db: Db,
    changes: broadcast::Sender<Change>,
    limiters: Arc<Limiters>,
    /// A workshop's steps never change: read once.
    steps: Arc<RwLock<HashMap<String, Arc<Vec<StepRef>>>>>,
    /// True once the server is stopping: open board streams end, so the graceful shutdown
    /// does not wait for them forever.
    stopping: tokio::sync::watch::Receiver<bool>,
    max_learners: i64,
}

impl AppState {
    /// A local write changed the board (PostgreSQL: the NOTIFY already went out in the write).
    fn changed(&self, workshop: &str, learner: Option<&str>) {
        if !self.db.is_postgres() {
            let _ = self.changes.send(Change::Workshop { id: workshop.into(), learner: learner.map(Into::into) });
        }
    }

    async fn steps(&self, workshop: &str) -> anyhow::Result<Arc<Vec<StepRef>>> {
        if let Some(s) = self.steps.read().ok().and_then(|m| m.get(workshop).cloned()) {
            return Ok(s);
        }
        let info = self.db.workshop(workshop).await?.context("the workshop of this token is gone")?;
        let steps = Arc::new(info.steps);
        if let Ok(mut m) = self.steps.write() {
            m.insert(workshop.to_string(), steps.clone());
        }
        Ok(steps)
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(board::index))
        .route("/board/{id}", get(board::page))
        .route("/assets/board.js", get(board::script))
        .route("/api/join", post(api::join))
        .route("/api/events", post(api::events))
        .route("/api/pacing", get(api::pacing))
        .route("/api/workshops/{id}/board", get(api::board))
        .route("/api/workshops/{id}/stream", get(board::stream))
        .route("/api/workshops/{id}/pacing", post(api::set_pacing))
        .route("/api/workshops/{id}/join-code", post(api::join_code))
        .route("/api/workshops/{id}/export", get(api::export))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One log line per request: method, route template, status, time. Never the URI's values,
/// headers or bodies (tokens, names).
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or("(unmatched)".to_string(), |p| p.as_str().to_string());
    let response = next.run(req).await;
    tracing::info!(%method, route, status = response.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    response
}

/// Open the database, bind, print the address, serve until ctrl-c or SIGTERM.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let db = Db::open(&options.database).await?;
    let changes = fanout::channel();
    if let Db::Postgres(pool) = &db {
        fanout::spawn_listener(pool.clone(), changes.clone());
    }
    let limiters = Arc::new(Limiters::new(options.limits));
    {
        let limiters = limiters.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                limiters.shrink();
            }
        });
    }
    let (stop_tx, stopping) = tokio::sync::watch::channel(false);
    let state = AppState { db: db.clone(), changes, limiters, steps: Arc::default(), stopping, max_learners: options.max_learners };
    let stop = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let listener = std::net::TcpListener::bind(options.listen).with_context(|| format!("could not listen on {}", options.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let scheme = if options.tls.is_some() { "https" } else { "http" };
    let backend = if db.is_postgres() { "PostgreSQL" } else { "SQLite" };
    // the first line on stdout: scripts and tests read the address from it
    println!("kubedojo workshop server listening on {scheme}://{addr} ({backend})");
    match options.tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).with_graceful_shutdown(stop).await.context("the server stopped")?;
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| format!("could not load the TLS certificate {} and key {} (PEM)", cert.display(), key.display()))?;
            let handle = axum_server::Handle::new();
            {
                let handle = handle.clone();
                tokio::spawn(async move {
                    stop.await;
                    handle.graceful_shutdown(Some(Duration::from_secs(10)));
                });
            }
            axum_server::from_tcp_rustls(listener, config)?.handle(handle).serve(app).await.context("the server stopped")?;
        }
    }
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
