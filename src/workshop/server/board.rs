//! The live board: the web page (static HTML and script, embedded) and the stream it reads,
//! server-sent events: first the whole board (`board`), then changes (`update`), coalesced
//! over a short window so a busy room sends a few messages a second, not one per event.
//!
//! The page sends the instructor token in a header (fetch, not EventSource, which cannot),
//! so no token ever appears in a URL or a log.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use futures::{Stream, StreamExt as _};
use tokio::sync::broadcast::{self, error::RecvError};

use super::AppState;
use super::auth::Auth;
use super::error::ApiError;
use super::fanout::Change;
use crate::workshop::model::{BoardUpdate, now_ms};

const PAGE: &str = include_str!("../../../assets/workshop/board.html");
const SCRIPT: &str = include_str!("../../../assets/workshop/board.js");
const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How long changes are gathered into one update.
const COALESCE: Duration = Duration::from_millis(150);

pub async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><title>kubedojo workshop server</title><p>kubedojo workshop server. Instructors: open <code>/board/WORKSHOP</code> (the link <code>kubedojo workshop create</code> printed).</p>",
    )
}

pub async fn page(Path(_id): Path<String>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}

pub async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SCRIPT)
}

pub async fn stream(State(st): State<AppState>, auth: Auth, Path(id): Path<String>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    auth.instructor_of(&id)?;
    // subscribe before reading: a change between the two is sent again, never lost
    let rx = st.changes.subscribe();
    let board = st.db.board(&id).await?.ok_or_else(|| ApiError::not_found("no such workshop"))?;
    let first = json_event("board", &board);
    let id: Arc<str> = id.into();
    let updates = futures::stream::unfold((st, id, rx), |(st, id, mut rx)| async move {
        let mut stopping = st.stopping.clone();
        let event = tokio::select! {
            e = next_update(&st, &id, &mut rx) => e?,
            _ = stopping.wait_for(|s| *s) => return None,
        };
        Some((Ok(event), (st, id, rx)))
    });
    let stream = futures::stream::once(async move { Ok(first) }).chain(updates);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn json_event(name: &str, value: &impl serde::Serialize) -> Event {
    Event::default().event(name).json_data(value).unwrap_or_else(|_| Event::default().event("error").data("could not encode the board"))
}

#[derive(Default)]
struct Pending {
    learners: BTreeSet<Arc<str>>,
    workshop: bool,
    full: bool,
}

impl Pending {
    /// Take a change; false when the channel closed (the server is stopping).
    fn take(&mut self, id: &str, received: Result<Change, RecvError>) -> bool {
        match received {
            Ok(Change::Workshop { id: w, learner }) if &*w == id => match learner {
                Some(l) => {
                    self.learners.insert(l);
                }
                None => self.workshop = true,
            },
            Ok(Change::Workshop { .. }) => {}
            Ok(Change::Resync) | Err(RecvError::Lagged(_)) => self.full = true,
            Err(RecvError::Closed) => return false,
        }
        true
    }

    fn any(&self) -> bool {
        self.full || self.workshop || !self.learners.is_empty()
    }
}

/// Wait for this workshop's next changes, gather them, and read what changed.
async fn next_update(st: &AppState, id: &str, rx: &mut broadcast::Receiver<Change>) -> Option<Event> {
    let mut pending = Pending::default();
    loop {
        while !pending.any() {
            if !pending.take(id, rx.recv().await) {
                return None;
            }
        }
        let deadline = tokio::time::Instant::now() + COALESCE;
        while let Ok(received) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if !pending.take(id, received) {
                break;
            }
        }
        match read(st, id, &pending).await {
            Ok(event) => return Some(event),
            Err(e) => {
                // try again with the whole board: what changed meanwhile is not lost
                tracing::warn!(error = %format!("{e:#}"), "board stream: could not read the board; retrying");
                pending.full = true;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// More changed learners than this in one window: one query for the whole board is cheaper
/// than one per learner (a busy room, or a server catching up).
const MANY: usize = 32;

async fn read(st: &AppState, id: &str, pending: &Pending) -> anyhow::Result<Event> {
    if (pending.full || pending.learners.len() > MANY)
        && let Some(board) = st.db.board(id).await?
    {
        return Ok(json_event("board", &board));
    }
    let mut learners = Vec::new();
    for learner in &pending.learners {
        learners.extend(st.db.learners(id, Some(learner)).await?);
    }
    let failures = st.db.failures(id).await?;
    let workshop = if pending.workshop { st.db.workshop(id).await? } else { None };
    Ok(json_event("update", &BoardUpdate { learners, failures, workshop, now: now_ms() }))
}
