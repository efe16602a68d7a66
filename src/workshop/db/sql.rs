//! Every query, written once for SQLite and PostgreSQL ($n placeholders, ON CONFLICT).

pub const INSERT_WORKSHOP: &str =
    "INSERT INTO workshops (id, name, instructor_token_hash, join_code_hash, steps, stuck_after_secs, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const LIST_WORKSHOPS: &str = "SELECT w.id, w.name, w.created_at, w.join_code_hash, (SELECT COUNT(*) FROM learners l WHERE l.workshop_id = w.id) AS learners FROM workshops w ORDER BY w.created_at DESC";
pub const WORKSHOP_BY_CODE: &str = "SELECT id FROM workshops WHERE join_code_hash = $1";
pub const WORKSHOP_BY_INSTRUCTOR: &str = "SELECT id FROM workshops WHERE instructor_token_hash = $1";
pub const WORKSHOP_BY_ID: &str = "SELECT id, name, steps, stuck_after_secs, join_code_hash FROM workshops WHERE id = $1";
pub const LEARNER_BY_TOKEN: &str = "SELECT id, workshop_id FROM learners WHERE token_hash = $1";
pub const LEARNER_BY_NAME: &str = "SELECT id FROM learners WHERE workshop_id = $1 AND lower(name) = lower($2)";
pub const LEARNER_IN_WORKSHOP_BY_TOKEN: &str = "SELECT id FROM learners WHERE workshop_id = $1 AND token_hash = $2";
pub const RENAME_LEARNER: &str = "UPDATE learners SET name = $3 WHERE workshop_id = $1 AND id = $2";
pub const LEARNER_COUNT: &str = "SELECT COUNT(*) AS n FROM learners WHERE workshop_id = $1";
pub const INSERT_LEARNER: &str = "INSERT INTO learners (id, workshop_id, name, token_hash, joined_at) VALUES ($1, $2, $3, $4, $5)";

pub const LOCKS: &str = "SELECT exercise FROM locks WHERE workshop_id = $1 ORDER BY exercise";
pub const LOCK: &str = "INSERT INTO locks (workshop_id, exercise) VALUES ($1, $2) ON CONFLICT (workshop_id, exercise) DO NOTHING";
pub const RELEASE: &str = "DELETE FROM locks WHERE workshop_id = $1 AND exercise = $2";
pub const MESSAGE: &str = "SELECT message, message_at FROM workshops WHERE id = $1";
pub const SET_MESSAGE: &str = "UPDATE workshops SET message = $2, message_at = $3 WHERE id = $1";
pub const SET_JOIN_CODE: &str = "UPDATE workshops SET join_code_hash = $2 WHERE id = $1";

pub const INSERT_EVENT: &str = "INSERT INTO events (learner_id, event_id, workshop_id, at, received_at, kind, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (learner_id, event_id) DO NOTHING";
pub const SET_DRILL: &str = "UPDATE learners SET drill_reviewed = $2, drill_correct = $3, drill_at = $4 WHERE id = $1 AND (drill_at IS NULL OR drill_at <= $4)";
pub const SET_CURRENT: &str = "UPDATE learners SET current_step = $2, current_at = $3 WHERE id = $1 AND (current_at IS NULL OR current_at <= $3)";
pub const SEEN: &str = "UPDATE learners SET last_seen = $2 WHERE id = $1";
pub const PROGRESS_CELL: &str = "SELECT state, failing_since, message, checks, hints, solution, last_check_at, updated_at, completed_at FROM progress WHERE learner_id = $1 AND step_key = $2";
pub const UPSERT_PROGRESS: &str = "INSERT INTO progress (learner_id, step_key, workshop_id, state, failing_since, message, checks, hints, solution, last_check_at, updated_at, completed_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
    ON CONFLICT (learner_id, step_key) DO UPDATE SET state = excluded.state, failing_since = excluded.failing_since, message = excluded.message, \
    checks = excluded.checks, hints = excluded.hints, solution = excluded.solution, last_check_at = excluded.last_check_at, updated_at = excluded.updated_at, completed_at = excluded.completed_at";
pub const NOTIFY: &str = "SELECT pg_notify($1, $2)";

macro_rules! learner_columns {
    () => {
        "l.id, l.name, l.joined_at, l.last_seen, l.current_step, l.drill_reviewed, l.drill_correct, \
         p.step_key, p.state, p.failing_since, p.message, p.checks, p.hints, p.solution, p.last_check_at, p.updated_at, p.completed_at"
    };
}
pub const LEARNERS: &str = concat!(
    "SELECT ",
    learner_columns!(),
    " FROM learners l LEFT JOIN progress p ON p.learner_id = l.id WHERE l.workshop_id = $1 ORDER BY l.joined_at, l.id, p.step_key"
);
pub const LEARNER: &str = concat!(
    "SELECT ",
    learner_columns!(),
    " FROM learners l LEFT JOIN progress p ON p.learner_id = l.id WHERE l.workshop_id = $1 AND l.id = $2 ORDER BY p.step_key"
);
pub const FAILURES: &str = "SELECT step_key, message, COUNT(*) AS n FROM progress WHERE workshop_id = $1 AND state = 'failing' AND message IS NOT NULL \
    GROUP BY step_key, message ORDER BY n DESC, step_key, message LIMIT 100";
pub const EVENT_COUNT: &str = "SELECT COUNT(*) AS n FROM events WHERE workshop_id = $1";
