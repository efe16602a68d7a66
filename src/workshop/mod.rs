//! Instructor-led workshops: a server (`serve`) that stores every learner's progress events,
//! a live board of learners x steps (terminal and web), pacing, and exports.
//!
//! - `model.rs`   what server and clients exchange, and the board's model
//! - `fold.rs`    how events fold into a board cell
//! - `token.rs`   tokens and join codes (random, stored hashed)
//! - `db/`        SQLite or PostgreSQL: one schema, one set of queries
//! - `server/`    the HTTP server
//! - `client/`    joining, the learner's outbox and reporter, the terminal board, instructor
//!   commands
//! - `export.rs`  completion per learner and step (CSV, JSON)

pub mod client;
pub mod db;
pub mod export;
pub mod fold;
pub mod model;
pub mod server;
pub mod token;
