//! Live board updates: which workshop (and learner) changed. With SQLite the server that
//! wrote publishes directly; with PostgreSQL every write sends a NOTIFY and each replica's
//! listener publishes, so boards connected to any replica see every learner.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::broadcast;

use crate::workshop::db::CHANNEL;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A learner's row changed (None: the workshop itself: pacing, join code, a new learner).
    Workshop { id: Arc<str>, learner: Option<Arc<str>> },
    /// Notifications may have been missed (the listener reconnected): send whole boards.
    Resync,
}

impl Change {
    pub fn parse(payload: &str) -> Option<Change> {
        let (workshop, learner) = payload.split_once(' ')?;
        Some(Change::Workshop { id: workshop.into(), learner: (learner != "-").then(|| learner.into()) })
    }
}

pub fn channel() -> broadcast::Sender<Change> {
    broadcast::channel(4096).0
}

/// Listen for other replicas' (and our own) writes; reconnects with backoff, and asks boards
/// to resync after a reconnect.
pub fn spawn_listener(pool: PgPool, tx: broadcast::Sender<Change>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "board listener: could not connect to PostgreSQL; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "board listener: LISTEN failed; retrying");
                tokio::time::sleep(backoff).await;
                continue;
            }
            backoff = Duration::from_millis(200);
            let _ = tx.send(Change::Resync);
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if let Some(change) = Change::parse(n.payload()) {
                            let _ = tx.send(change);
                        }
                    }
                    // the connection was lost: notifications in between are gone
                    Ok(None) => {
                        let _ = tx.send(Change::Resync);
                    }
                    // the server is stopping
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "board listener: lost PostgreSQL; reconnecting");
                        break;
                    }
                }
            }
        }
    })
}
