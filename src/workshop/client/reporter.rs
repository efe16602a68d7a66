//! The learner's reporter: a background task that takes progress events from the lab, keeps
//! them in the outbox, and delivers them in batches. The lab never waits for it: `report` is
//! a channel send. While the server is unreachable it retries with backoff; what the server
//! says back (the instructor's message, locked exercises) and the delivery state come back as
//! `Notice`s for the status bar.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::outbox::Outbox;
use super::saved::Membership;
use super::{ClientError, http, send};
use crate::workshop::model::{Ack, Event, EventBatch, MAX_BATCH, Pacing, now_ms};
use crate::workshop::token;

/// What the lab hears back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Pacing(Pacing),
    /// Events waiting in the outbox, and the last delivery problem (None: delivered).
    Delivery { waiting: usize, problem: Option<String> },
}

enum Command {
    Report(Event),
    Flush(oneshot::Sender<usize>),
}

/// The handle the lab holds.
#[derive(Clone)]
pub struct Reporter {
    tx: mpsc::UnboundedSender<Command>,
}

/// How often the learner asks for pacing when there is nothing to send.
const POLL: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

impl Reporter {
    pub fn report(&self, event: Event) {
        let _ = self.tx.send(Command::Report(event));
    }

    /// Try to deliver what is waiting, for at most `timeout`; returns the events still waiting
    /// (they stay in the outbox for next time).
    pub async fn flush(&self, timeout: Duration) -> Option<usize> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Command::Flush(tx)).ok()?;
        tokio::time::timeout(timeout, rx).await.ok()?.ok()
    }

    pub fn spawn(membership: Membership, outbox: Outbox, notices: mpsc::UnboundedSender<Notice>) -> anyhow::Result<Reporter> {
        let client = http()?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(membership, outbox, client, rx, notices));
        Ok(Reporter { tx })
    }
}

/// A new event with a fresh idempotency key, stamped now.
pub fn event(kind: crate::workshop::model::EventKind) -> Event {
    Event { id: token::public_id(20), at: now_ms(), kind, exercise: None, step: None, status: None, message: None, hints: None, reviewed: None, correct: None }
}

async fn run(m: Membership, outbox: Outbox, client: reqwest::Client, mut rx: mpsc::UnboundedReceiver<Command>, notices: mpsc::UnboundedSender<Notice>) {
    let mut backoff = Duration::from_millis(500);
    let mut wait = Duration::ZERO; // deliver what an earlier run left at once
    // after a failed delivery: not before then (unless asked to flush)
    let mut retry_at: Option<tokio::time::Instant> = None;
    let mut flushes: Vec<oneshot::Sender<usize>> = Vec::new();
    loop {
        // wait for an event, a flush, or the timer
        let first = tokio::select! {
            c = rx.recv() => match c { Some(c) => Some(c), None => return },
            () = tokio::time::sleep(wait) => None,
        };
        let mut fresh = Vec::new();
        for c in first.into_iter().chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match c {
                Command::Report(e) => fresh.push(e),
                Command::Flush(done) => flushes.push(done),
            }
        }
        if let Err(e) = outbox.push(&fresh) {
            let _ = notices.send(Notice::Delivery { waiting: 0, problem: Some(format!("{e:#}")) });
        }
        if flushes.is_empty()
            && let Some(at) = retry_at
            && tokio::time::Instant::now() < at
        {
            wait = at - tokio::time::Instant::now();
            continue;
        }
        let result = deliver(&m, &outbox, &client).await;
        let waiting = outbox.pending().map(|p| p.len()).unwrap_or(0);
        match result {
            Ok(pacing) => {
                retry_at = None;
                backoff = Duration::from_millis(500);
                wait = POLL;
                if let Some(p) = pacing {
                    let _ = notices.send(Notice::Pacing(p));
                }
                let _ = notices.send(Notice::Delivery { waiting, problem: None });
            }
            Err(e) => {
                // a refusal (the token revoked) will not fix itself soon: try rarely
                wait = if e.retryable() { backoff } else { MAX_BACKOFF };
                retry_at = Some(tokio::time::Instant::now() + wait);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                let _ = notices.send(Notice::Delivery { waiting, problem: Some(e.to_string()) });
            }
        }
        // after the notices: whoever flushed sees them already sent
        for done in flushes.drain(..) {
            let _ = done.send(waiting);
        }
    }
}

/// Send everything waiting (in batches), or ask for the pacing when nothing is.
async fn deliver(m: &Membership, outbox: &Outbox, client: &reqwest::Client) -> Result<Option<Pacing>, ClientError> {
    let pending = outbox.pending().map_err(|e| ClientError::Protocol(format!("{e:#}")))?;
    if pending.is_empty() {
        let pacing: Pacing = send(&m.server, client.get(format!("{}/api/pacing", m.server)).bearer_auth(&m.token)).await?;
        return Ok(Some(pacing));
    }
    let mut pacing = None;
    for chunk in pending.chunks(MAX_BATCH) {
        match post(m, client, chunk).await {
            Ok(ack) => {
                acknowledge(outbox, &ack)?;
                pacing = Some(ack.pacing);
            }
            // one of these events will never be accepted: find it, set it aside, send the rest
            Err(ClientError::Refused { status: 400, .. }) => {
                for e in chunk {
                    match post(m, client, std::slice::from_ref(e)).await {
                        Ok(ack) => {
                            acknowledge(outbox, &ack)?;
                            pacing = Some(ack.pacing);
                        }
                        Err(ClientError::Refused { status: 400, message }) => {
                            tracing::warn!(event = %e.id, %message, "the workshop server refused an event; kept aside");
                            outbox.reject(std::slice::from_ref(e)).map_err(|e| ClientError::Protocol(format!("{e:#}")))?;
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
            Err(other) => return Err(other),
        }
    }
    Ok(pacing)
}

async fn post(m: &Membership, client: &reqwest::Client, events: &[Event]) -> Result<Ack, ClientError> {
    send(&m.server, client.post(format!("{}/api/events", m.server)).bearer_auth(&m.token).json(&EventBatch { events: events.to_vec() })).await
}

fn acknowledge(outbox: &Outbox, ack: &Ack) -> Result<(), ClientError> {
    let ids: HashSet<String> = ack.stored.iter().cloned().collect();
    outbox.acknowledge(&ids).map_err(|e| ClientError::Protocol(format!("{e:#}")))
}
