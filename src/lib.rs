//! kubedojo: an interactive terminal lab for running Kubernetes in production on AWS EKS.
//!
//! The folders are the architecture, in floors from the top; a module imports only the ones
//! below it (tests/cli/layers.rs holds it so):
//! - `commands/`, `cli.rs`  the CLI commands' bodies (used by main.rs alone) and their arguments
//! - `tui.rs`, `session.rs` the runtime: terminal, event loop, effects in tokio tasks; start-up
//! - `ui/`        rendering, a pure function of the state
//! - `app/`       the state, `update(state, action) -> effects`
//! - `workshop/`  instructor-led workshops: server, storage, board, the learner's reporter
//! - `input/`     key bindings as data, terminal events -> commands
//! - `drill/`     interview drills: grading, FSRS scheduling, queue, statistics, mock interviews
//! - `progress/`  the learner's progress, what they just did (events), and its atomic store
//! - `scenario/`  break-fix scenarios: fault actions (describe, apply, undo), start, reset
//! - `sandbox/`   the local practice environment: its record, up and down
//! - `checks/`    check catalogue, engine, result model, the check families
//! - `target.rs`, `labconfig.rs` what the lab points at; the learner's lab values
//! - `content/`   course packs as data: files -> model -> diagnostics (`lint`)
//! - `markdown/`  markdown -> blocks -> lines for a width (no ratatui)
//! - `clock.rs`   the wall clock, read by the runtimes only; everything else is passed the time

#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod content;
pub mod drill;
pub mod iam;
pub mod input;
pub mod kube_text;
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
