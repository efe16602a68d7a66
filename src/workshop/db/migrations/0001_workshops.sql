-- One schema for SQLite and PostgreSQL: TEXT ids made by the server, BIGINT Unix milliseconds,
-- BIGINT 0/1 flags (no BOOLEAN, no autoincrement), so the same queries run on both.
CREATE TABLE workshops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    instructor_token_hash TEXT NOT NULL UNIQUE,
    join_code_hash TEXT UNIQUE,
    steps TEXT NOT NULL,
    stuck_after_secs BIGINT NOT NULL,
    message TEXT,
    message_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE locks (
    workshop_id TEXT NOT NULL REFERENCES workshops (id),
    exercise TEXT NOT NULL,
    PRIMARY KEY (workshop_id, exercise)
);

CREATE TABLE learners (
    id TEXT PRIMARY KEY,
    workshop_id TEXT NOT NULL REFERENCES workshops (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    joined_at BIGINT NOT NULL,
    last_seen BIGINT,
    current_step TEXT,
    current_at BIGINT,
    drill_reviewed BIGINT NOT NULL DEFAULT 0,
    drill_correct BIGINT NOT NULL DEFAULT 0,
    drill_at BIGINT
);
CREATE INDEX learners_workshop ON learners (workshop_id);

-- Every event as received, once per (learner, idempotency key).
CREATE TABLE events (
    learner_id TEXT NOT NULL REFERENCES learners (id),
    event_id TEXT NOT NULL,
    workshop_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (learner_id, event_id)
);
CREATE INDEX events_workshop ON events (workshop_id, received_at);

-- The board's cells, folded from the events as they arrive.
CREATE TABLE progress (
    learner_id TEXT NOT NULL REFERENCES learners (id),
    step_key TEXT NOT NULL,
    workshop_id TEXT NOT NULL,
    state TEXT NOT NULL,
    failing_since BIGINT,
    message TEXT,
    checks BIGINT NOT NULL,
    hints BIGINT NOT NULL,
    solution BIGINT NOT NULL,
    last_check_at BIGINT,
    updated_at BIGINT NOT NULL,
    completed_at BIGINT,
    PRIMARY KEY (learner_id, step_key)
);
CREATE INDEX progress_workshop ON progress (workshop_id, state);
