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
    Delivery {
        waiting: usize,
        problem: Option<String>,
    },
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

/// Outbox work is file I/O with fsync: off the async workers, so the lab's UI never waits.
async fn blocking<T: Send + 'static>(outbox: &Outbox, f: impl FnOnce(&Outbox) -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    let outbox = outbox.clone();
    tokio::task::spawn_blocking(move || f(&outbox)).await.map_err(|e| anyhow::anyhow!("the outbox task failed: {e}"))?
}

/// A delay of `base` plus up to half again, so a room does not retry in step after an outage.
fn jitter(base: Duration) -> Duration {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    base + base.mul_f64(f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX) / 2.0)
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
        if !fresh.is_empty()
            && let Err(e) = blocking(&outbox, move |o| o.push(&fresh)).await
        {
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
        let waiting = blocking(&outbox, |o| o.pending()).await.map(|p| p.len()).unwrap_or(0);
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
                wait = jitter(if e.retryable() { backoff } else { MAX_BACKOFF });
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

/// Most bytes of events in one request, well under the server's body limit.
const MAX_BATCH_BYTES: usize = crate::workshop::model::MAX_BODY * 3 / 4;

/// Batches of at most `MAX_BATCH` events and `MAX_BATCH_BYTES`, in order.
fn batches(events: Vec<Event>) -> Vec<Vec<Event>> {
    let mut out: Vec<Vec<Event>> = Vec::new();
    let mut bytes = 0;
    for e in events {
        let size = serde_json::to_string(&e).map_or(0, |s| s.len()) + 1;
        match out.last_mut() {
            Some(last) if last.len() < MAX_BATCH && bytes + size <= MAX_BATCH_BYTES => {
                last.push(e);
                bytes += size;
            }
            _ => {
                out.push(vec![e]);
                bytes = size;
            }
        }
    }
    out
}

/// Send everything waiting, or ask for the pacing when nothing is. A batch the server refuses
/// as invalid (400) or too large (413) is split until the one event it cannot take is found
/// and set aside; the others go through.
async fn deliver(m: &Membership, outbox: &Outbox, client: &reqwest::Client) -> Result<Option<Pacing>, ClientError> {
    let io = |e: anyhow::Error| ClientError::Protocol(format!("{e:#}"));
    let pending = blocking(outbox, |o| o.pending()).await.map_err(io)?;
    if pending.is_empty() {
        let pacing: Pacing = send(&m.server, client.get(format!("{}/api/pacing", m.server)).bearer_auth(&m.token)).await?;
        return Ok(Some(pacing));
    }
    let mut pacing = None;
    let mut work = batches(pending);
    work.reverse();
    while let Some(batch) = work.pop() {
        match post(m, client, &batch).await {
            Ok(ack) => {
                let ids: HashSet<String> = ack.stored.iter().cloned().collect();
                blocking(outbox, move |o| o.acknowledge(&ids)).await.map_err(io)?;
                pacing = Some(ack.pacing);
            }
            Err(ClientError::Refused { status: 400 | 413, message }) if batch.len() == 1 => {
                tracing::warn!(event = %batch[0].id, %message, "the workshop server refused an event; kept aside");
                blocking(outbox, move |o| o.reject(&batch)).await.map_err(io)?;
            }
            Err(ClientError::Refused { status: 400 | 413, .. }) => {
                let mut second = batch;
                let first: Vec<Event> = second.drain(..second.len() / 2).collect();
                work.push(second);
                work.push(first);
            }
            Err(other) => return Err(other),
        }
    }
    Ok(pacing)
}

async fn post(m: &Membership, client: &reqwest::Client, events: &[Event]) -> Result<Ack, ClientError> {
    let batch = EventBatch { events: events.to_vec(), sent_at: Some(now_ms()) };
    send(&m.server, client.post(format!("{}/api/events", m.server)).bearer_auth(&m.token).json(&batch)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::model::EventKind;

    #[test]
    fn batches_respect_count_and_size() {
        let mut big = event(EventKind::Check);
        big.message = Some("x".repeat(500));
        let events: Vec<Event> = (0..1000).map(|_| big.clone()).collect();
        let b = batches(events);
        assert!(b.iter().all(|b| b.len() <= MAX_BATCH
            && serde_json::to_string(&EventBatch { events: b.clone(), sent_at: Some(1) }).unwrap().len() < crate::workshop::model::MAX_BODY));
        assert_eq!(b.iter().map(Vec::len).sum::<usize>(), 1000);
        assert!(batches(Vec::new()).is_empty());
    }
}
