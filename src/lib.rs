//! kubedojo: an interactive terminal lab for running Kubernetes in production on AWS EKS.
//!
//! The folders are the architecture:
//! - `content/`  course packs as data: files -> model -> diagnostics (`lint`)
//! - `markdown/` markdown -> blocks -> lines for a width (no ratatui)
//! - `checks/`   check catalogue, engine interface, result model
//! - `progress/` the learner's progress and its atomic store
//! - `drill/`    interview drills: grading, FSRS scheduling, queue, statistics, mock interviews
//! - `sandbox/`  the local practice environment: its record, up and down
//! - `scenario/` break-fix scenarios: fault actions (describe, apply, undo), start, reset
//! - `workshop/` instructor-led workshops: server, storage, board, the learner's reporter
//! - `input/`    key bindings as data, terminal events -> commands
//! - `app/`      the state, `update(state, action) -> effects`
//! - `ui/`       rendering, a pure function of the state
//! - `tui.rs`    the runtime: terminal, event loop, effects in tokio tasks
//! - `clock.rs`  the wall clock, read by the runtimes only; everything else is passed the time

#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod content;
pub mod drill;
pub mod input;
pub mod labconfig;
pub mod markdown;
pub mod progress;
pub mod sandbox;
pub mod scenario;
pub mod session;
pub mod target;
pub mod tui;
pub mod ui;
pub mod workshop;
