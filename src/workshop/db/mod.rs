//! The workshop server's storage: SQLite (one file, WAL) by default, PostgreSQL for large or
//! multi-replica events. One schema and one set of queries (`sql.rs`) for both; each method
//! below is written once and expanded for each backend by `on!`.

mod migrate;
mod row;
pub mod sql;

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use self::row::RowExt;
use super::fold::{StoredCell, fold};
use super::model::{Board, Cell, CellState, CommonFailure, Event, EventKind, JoinCodeAction, LearnerRow, Pacing, PacingChange, StepRef, WorkshopInfo, now_ms};
use super::token;

/// The channel PostgreSQL notifications travel on (LISTEN/NOTIFY between replicas).
pub const CHANNEL: &str = "kubedojo_board";

#[derive(Clone)]
pub enum Db {
    /// SQLite allows one writer at a time: writes go through a one-connection pool (queued in
    /// the process instead of failing with SQLITE_BUSY), reads through their own pool.
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
    },
    Postgres(PgPool),
}

/// Expand `$body` once per backend, with `$p` the pool for reads or writes.
macro_rules! on {
    ($db:expr, read, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite { read: $p, .. } => $body,
            Db::Postgres($p) => $body,
        }
    };
    ($db:expr, write, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite { write: $p, .. } => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// A new workshop's secrets, shown once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    pub id: String,
    pub name: String,
    pub instructor_token: String,
    pub join_code: String,
}

#[derive(Debug, Clone)]
pub struct Joined {
    pub info: WorkshopInfo,
    pub learner: String,
    pub token: String,
    /// The same learner joined again (its `rejoin` token).
    pub again: bool,
}

/// Who a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Instructor { workshop: String },
    Learner { workshop: String, learner: String },
}

#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub stored: Vec<String>,
    pub duplicates: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct WorkshopSummary {
    pub id: String,
    pub name: String,
    pub learners: i64,
    pub created_at: i64,
    pub join_open: bool,
}

/// Why a join did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinRefused {
    /// No open workshop has this code.
    Code,
    /// The workshop has its maximum of learners.
    Full(i64),
    /// Another learner of the workshop has this name (compared without case): the board tells
    /// learners apart by name.
    NameTaken,
}

/// A problem with what the request asked for (a 400), as opposed to a storage failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Db {
    /// `sqlite://PATH`, a plain path, or `postgres://...`. Runs the migrations.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .context("could not connect to PostgreSQL (the --database-url); is the server up and the URL right?")?;
            Db::Postgres(pool)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
            }
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
                .with_context(|| format!("bad SQLite database path {path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: an event the server acknowledged survives a crash of the machine too
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .with_context(|| format!("could not open the SQLite database {path}"))?;
            migrate::run_sqlite(&write).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .with_context(|| format!("could not open the SQLite database {path}"))?;
            return Ok(Db::Sqlite { write, read });
        };
        if let Db::Postgres(pool) = &db {
            migrate::run_postgres(pool).await?;
        }
        Ok(db)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    pub async fn create_workshop(&self, name: &str, steps: &[StepRef], stuck_after_secs: i64) -> anyhow::Result<Created> {
        let created = Created { id: token::public_id(10), name: name.to_string(), instructor_token: token::instructor_token(), join_code: token::join_code() };
        let steps_json = serde_json::to_string(steps)?;
        on!(self, write, |p| sqlx::query(sql::INSERT_WORKSHOP)
            .bind(&created.id)
            .bind(name)
            .bind(token::hash(&created.instructor_token))
            .bind(token::hash_code(&created.join_code))
            .bind(&steps_json)
            .bind(stuck_after_secs)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|_| ()))
        .context("could not store the workshop")?;
        Ok(created)
    }

    pub async fn list_workshops(&self) -> anyhow::Result<Vec<WorkshopSummary>> {
        on!(self, read, |p| {
            let rows = sqlx::query(sql::LIST_WORKSHOPS).fetch_all(p).await?;
            rows.iter()
                .map(|r| {
                    Ok(WorkshopSummary {
                        id: r.s("id")?,
                        name: r.s("name")?,
                        learners: r.i("learners")?,
                        created_at: r.i("created_at")?,
                        join_open: r.os("join_code_hash")?.is_some(),
                    })
                })
                .collect()
        })
    }

    /// A learner joins with a code, unless the code is wrong or the workshop full.
    /// `rejoin`: the learner token of an earlier join; when it is this workshop's learner, that
    /// learner joins again (renamed if the name changed) and keeps its token and board row.
    pub async fn join(&self, code: &str, name: &str, max_learners: i64, rejoin: Option<&str>) -> anyhow::Result<Result<Joined, JoinRefused>> {
        let code_hash = token::hash_code(code);
        let workshop: Option<String> = on!(self, read, |p| {
            let row = sqlx::query(sql::WORKSHOP_BY_CODE).bind(&code_hash).fetch_optional(p).await?;
            row.map(|r| r.s("id")).transpose()?
        });
        let Some(workshop) = workshop else { return Ok(Err(JoinRefused::Code)) };
        let again: Option<(String, String)> = match rejoin {
            Some(t) => on!(self, read, |p| {
                let row = sqlx::query(sql::LEARNER_IN_WORKSHOP_BY_TOKEN).bind(&workshop).bind(token::hash(t)).fetch_optional(p).await?;
                row.map(|r| r.s("id")).transpose()?.map(|id| (id, t.to_string()))
            }),
            None => None,
        };
        let holder: Option<String> = on!(self, read, |p| {
            let row = sqlx::query(sql::LEARNER_BY_NAME).bind(&workshop).bind(name).fetch_optional(p).await?;
            row.map(|r| r.s("id")).transpose()?
        });
        if holder.is_some() && holder.as_deref() != again.as_ref().map(|(id, _)| id.as_str()) {
            return Ok(Err(JoinRefused::NameTaken));
        }
        if let Some((learner, learner_token)) = again {
            on!(self, write, |p| sqlx::query(sql::RENAME_LEARNER).bind(&workshop).bind(&learner).bind(name).execute(p).await.map(|_| ()))?;
            self.notify(&workshop, Some(&learner)).await?;
            let info = self.workshop(&workshop).await?.context("the workshop disappeared")?;
            return Ok(Ok(Joined { info, learner, token: learner_token, again: true }));
        }
        let learners: i64 = on!(self, read, |p| sqlx::query(sql::LEARNER_COUNT).bind(&workshop).fetch_one(p).await?.i("n")?);
        if learners >= max_learners {
            return Ok(Err(JoinRefused::Full(max_learners)));
        }
        let learner = token::public_id(12);
        let learner_token = token::learner_token();
        let inserted = on!(self, write, |p| sqlx::query(sql::INSERT_LEARNER)
            .bind(&learner)
            .bind(&workshop)
            .bind(name)
            .bind(token::hash(&learner_token))
            .bind(now_ms())
            .execute(p)
            .await
            .map(|_| ()));
        match inserted {
            Ok(_) => {}
            // another join took the name between the check above and this insert
            Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => return Ok(Err(JoinRefused::NameTaken)),
            Err(e) => return Err(e.into()),
        }
        self.notify(&workshop, Some(&learner)).await?;
        let info = self.workshop(&workshop).await?.context("the workshop disappeared")?;
        Ok(Ok(Joined { info, learner, token: learner_token, again: false }))
    }

    /// Who a bearer token belongs to (instructor tokens and learner tokens look different).
    pub async fn principal(&self, bearer: &str) -> anyhow::Result<Option<Principal>> {
        let hash = token::hash(bearer);
        if bearer.starts_with(token::INSTRUCTOR_PREFIX) {
            on!(self, read, |p| {
                let row = sqlx::query(sql::WORKSHOP_BY_INSTRUCTOR).bind(&hash).fetch_optional(p).await?;
                Ok(row.map(|r| r.s("id")).transpose()?.map(|workshop| Principal::Instructor { workshop }))
            })
        } else if bearer.starts_with(token::LEARNER_PREFIX) {
            on!(self, read, |p| {
                let row = sqlx::query(sql::LEARNER_BY_TOKEN).bind(&hash).fetch_optional(p).await?;
                Ok(match row {
                    Some(r) => Some(Principal::Learner { workshop: r.s("workshop_id")?, learner: r.s("id")? }),
                    None => None,
                })
            })
        } else {
            Ok(None)
        }
    }

    pub async fn workshop(&self, id: &str) -> anyhow::Result<Option<WorkshopInfo>> {
        let pacing = self.pacing(id).await?;
        on!(self, read, |p| {
            let row = sqlx::query(sql::WORKSHOP_BY_ID).bind(id).fetch_optional(p).await?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let steps: Vec<StepRef> = serde_json::from_str(&r.s("steps")?).context("stored steps")?;
                    Ok(Some(WorkshopInfo {
                        id: r.s("id")?,
                        name: r.s("name")?,
                        steps,
                        stuck_after_secs: r.i("stuck_after_secs")?,
                        join_open: r.os("join_code_hash")?.is_some(),
                        pacing,
                    }))
                }
            }
        })
    }

    pub async fn pacing(&self, workshop: &str) -> anyhow::Result<Pacing> {
        on!(self, read, |p| {
            let locked = sqlx::query(sql::LOCKS).bind(workshop).fetch_all(p).await?.iter().map(|r| r.s("exercise")).collect::<anyhow::Result<Vec<_>>>()?;
            let row = sqlx::query(sql::MESSAGE).bind(workshop).fetch_optional(p).await?;
            let (message, message_at) = match row {
                Some(r) => (r.os("message")?, r.oi("message_at")?),
                None => (None, None),
            };
            Ok(Pacing { locked, message, message_at })
        })
    }

    pub async fn set_pacing(&self, workshop: &str, change: &PacingChange) -> anyhow::Result<()> {
        on!(self, write, |p| {
            let mut tx = p.begin().await?;
            for exercise in &change.lock {
                sqlx::query(sql::LOCK).bind(workshop).bind(exercise).execute(&mut *tx).await?;
            }
            for exercise in &change.release {
                sqlx::query(sql::RELEASE).bind(workshop).bind(exercise).execute(&mut *tx).await?;
            }
            if let Some(message) = &change.message {
                let message = Some(message.trim()).filter(|m| !m.is_empty());
                sqlx::query(sql::SET_MESSAGE).bind(workshop).bind(message).bind(message.map(|_| now_ms())).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            anyhow::Ok(())
        })?;
        self.notify(workshop, None).await
    }

    /// Rotate (a new code; the old one stops working) or close (no more joins) the join code.
    pub async fn join_code(&self, workshop: &str, action: JoinCodeAction) -> anyhow::Result<Option<String>> {
        let code = match action {
            JoinCodeAction::Rotate => Some(token::join_code()),
            JoinCodeAction::Close => None,
        };
        let hash = code.as_deref().map(token::hash_code);
        on!(self, write, |p| sqlx::query(sql::SET_JOIN_CODE).bind(workshop).bind(hash).execute(p).await.map(|_| ()))?;
        self.notify(workshop, None).await?;
        Ok(code)
    }

    /// Store a learner's events (each idempotency key once) and fold them into the board.
    /// Everything in one transaction: acknowledged means stored.
    /// `sent_at`: the learner's clock when sending; event times are moved by its difference to
    /// the server's clock, so a learner's wrong clock does not make them look stuck.
    pub async fn record(&self, workshop: &str, learner: &str, steps: &[StepRef], events: &[Event], sent_at: Option<i64>) -> anyhow::Result<Recorded> {
        for e in events {
            validate(e, steps)?;
        }
        let received = now_ms();
        let skew = sent_at.filter(|s| *s > 0).map_or(0, |s| received - s);
        let mut recorded = Recorded::default();
        on!(self, write, |p| {
            let mut tx = p.begin().await?;
            // first: this locks the learner's row (PostgreSQL), so two batches of one learner
            // (two replicas, two terminals) fold one after the other, not over each other
            sqlx::query(sql::SEEN).bind(learner).bind(received).execute(&mut *tx).await?;
            for e in events {
                // in the server's time, and never later than its arrival
                let clamped = Event { at: e.at.saturating_add(skew).min(received), ..e.clone() };
                let e = &clamped;
                let body = serde_json::to_string(e)?;
                let inserted = sqlx::query(sql::INSERT_EVENT)
                    .bind(learner)
                    .bind(&e.id)
                    .bind(workshop)
                    .bind(e.at)
                    .bind(received)
                    .bind(kind_name(e.kind))
                    .bind(&body)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                recorded.stored.push(e.id.clone());
                if inserted == 0 {
                    recorded.duplicates += 1;
                    continue;
                }
                if e.kind == EventKind::Drill {
                    sqlx::query(sql::SET_DRILL)
                        .bind(learner)
                        .bind(e.reviewed.unwrap_or(0) as i64)
                        .bind(e.correct.unwrap_or(0) as i64)
                        .bind(e.at)
                        .execute(&mut *tx)
                        .await?;
                    continue;
                }
                let key = format!("{}/{}", e.exercise.as_deref().unwrap_or_default(), e.step.as_deref().unwrap_or_default());
                if e.kind == EventKind::StepOpened {
                    sqlx::query(sql::SET_CURRENT).bind(learner).bind(&key).bind(e.at).execute(&mut *tx).await?;
                }
                let row = sqlx::query(sql::PROGRESS_CELL).bind(learner).bind(&key).fetch_optional(&mut *tx).await?;
                let previous = row.as_ref().map(stored_cell).transpose()?;
                if let Some(s) = fold(previous, e) {
                    let c = &s.cell;
                    sqlx::query(sql::UPSERT_PROGRESS)
                        .bind(learner)
                        .bind(&key)
                        .bind(workshop)
                        .bind(c.state.as_str())
                        .bind(c.failing_since)
                        .bind(c.message.as_deref())
                        .bind(c.checks as i64)
                        .bind(c.hints as i64)
                        .bind(c.solution as i64)
                        .bind(s.last_check_at)
                        .bind(c.updated_at)
                        .bind(c.completed_at)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            if let Db::Postgres(_) = self {
                sqlx::query(sql::NOTIFY).bind(CHANNEL).bind(format!("{workshop} {learner}")).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            anyhow::Ok(())
        })?;
        Ok(recorded)
    }

    /// Tell the board's listeners about a change (PostgreSQL: to every replica).
    async fn notify(&self, workshop: &str, learner: Option<&str>) -> anyhow::Result<()> {
        if let Db::Postgres(p) = self {
            sqlx::query(sql::NOTIFY).bind(CHANNEL).bind(format!("{workshop} {}", learner.unwrap_or("-"))).execute(p).await?;
        }
        Ok(())
    }

    pub async fn board(&self, workshop: &str) -> anyhow::Result<Option<Board>> {
        let Some(info) = self.workshop(workshop).await? else { return Ok(None) };
        let learners = self.learners(workshop, None).await?;
        let failures = self.failures(workshop).await?;
        Ok(Some(Board { workshop: info, learners, failures, now: now_ms() }))
    }

    /// The rows of a workshop's learners (all, or one).
    pub async fn learners(&self, workshop: &str, only: Option<&str>) -> anyhow::Result<Vec<LearnerRow>> {
        on!(self, read, |p| {
            let rows = match only {
                None => sqlx::query(sql::LEARNERS).bind(workshop).fetch_all(p).await?,
                Some(id) => sqlx::query(sql::LEARNER).bind(workshop).bind(id).fetch_all(p).await?,
            };
            let mut out: Vec<LearnerRow> = Vec::new();
            for r in &rows {
                let id = r.s("id")?;
                if out.last().is_none_or(|l| l.id != id) {
                    out.push(LearnerRow {
                        id,
                        name: r.s("name")?,
                        joined_at: r.i("joined_at")?,
                        last_seen: r.oi("last_seen")?,
                        current: r.os("current_step")?,
                        drill_reviewed: r.i("drill_reviewed")? as u32,
                        drill_correct: r.i("drill_correct")? as u32,
                        cells: BTreeMap::new(),
                    });
                }
                if let (Some(key), Some(last)) = (r.os("step_key")?, out.last_mut()) {
                    last.cells.insert(key, stored_cell(r)?.cell);
                }
            }
            Ok(out)
        })
    }

    /// The most common failure messages per step, across the room.
    pub async fn failures(&self, workshop: &str) -> anyhow::Result<Vec<CommonFailure>> {
        on!(self, read, |p| {
            let rows = sqlx::query(sql::FAILURES).bind(workshop).fetch_all(p).await?;
            rows.iter().map(|r| Ok(CommonFailure { step: r.s("step_key")?, message: r.s("message")?, learners: r.i("n")? as u32 })).collect()
        })
    }

    /// Every stored event of a workshop in order (export, audits).
    pub async fn event_count(&self, workshop: &str) -> anyhow::Result<i64> {
        on!(self, read, |p| {
            let r = sqlx::query(sql::EVENT_COUNT).bind(workshop).fetch_one(p).await?;
            r.i("n")
        })
    }
}

fn stored_cell(r: &impl RowExt) -> anyhow::Result<StoredCell> {
    let state = r.s("state")?;
    Ok(StoredCell {
        cell: Cell {
            state: CellState::parse(&state).with_context(|| format!("unknown stored state {state}"))?,
            failing_since: r.oi("failing_since")?,
            message: r.os("message")?,
            checks: r.i("checks")? as u32,
            hints: r.i("hints")? as u32,
            solution: r.i("solution")? != 0,
            updated_at: r.i("updated_at")?,
            completed_at: r.oi("completed_at")?,
        },
        last_check_at: r.oi("last_check_at")?,
    })
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::StepOpened => "step_opened",
        EventKind::Check => "check",
        EventKind::HintRevealed => "hint_revealed",
        EventKind::SolutionRevealed => "solution_revealed",
        EventKind::StepCompleted => "step_completed",
        EventKind::Drill => "drill",
    }
}

/// An event the server accepts: a sane id and time, and a step of this workshop.
pub fn validate(e: &Event, steps: &[StepRef]) -> Result<(), Invalid> {
    use super::model::{MAX_ID, MAX_MESSAGE};
    if e.id.is_empty() || e.id.len() > MAX_ID || !e.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Invalid(format!("event id must be 1-{MAX_ID} letters, digits, - or _")));
    }
    if e.at <= 0 {
        return Err(Invalid(format!("event {}: `at` must be Unix milliseconds", e.id)));
    }
    if e.message.as_ref().is_some_and(|m| m.chars().count() > MAX_MESSAGE) {
        return Err(Invalid(format!("event {}: message longer than {MAX_MESSAGE} characters", e.id)));
    }
    if e.message.as_ref().is_some_and(|m| m.chars().any(|c| super::model::forbidden_char(c, true))) {
        return Err(Invalid(format!("event {}: the message has control or invisible formatting characters", e.id)));
    }
    if e.kind == EventKind::Drill {
        return Ok(());
    }
    let (Some(ex), Some(step)) = (e.exercise.as_deref(), e.step.as_deref()) else {
        return Err(Invalid(format!("event {}: a {} event needs `exercise` and `step`", e.id, kind_name(e.kind))));
    };
    if !steps.iter().any(|s| s.exercise == ex && s.step == step) {
        return Err(Invalid(format!("event {}: {ex}/{step} is not a step of this workshop", e.id)));
    }
    if e.kind == EventKind::Check && e.status.is_none() {
        return Err(Invalid(format!("event {}: a check event needs `status` (pass or fail)", e.id)));
    }
    Ok(())
}
