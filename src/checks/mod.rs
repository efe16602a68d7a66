//! Checks against live state: definitions (content) -> engine (runs them) -> results.
//! `catalog` lists the kinds; `families/` implements them against a `backend` (one Kubernetes
//! client and one AWS config per target); `outcome` turns errors into results that never blame
//! the learner.

// `Step<T>` is `Result<T, CheckResult>`: the error is the result to report, built once per check
// and returned straight to the engine, so its size (136 bytes since failures carry found,
// expected and next) costs nothing worth a box on every path.
#![allow(clippy::result_large_err)]

pub mod backend;
pub mod catalog;
pub mod context;
pub mod engine;
pub mod families;
pub mod lazy;
pub mod outcome;
pub mod result;
pub mod selector;
pub mod simulate;
pub mod watch;

pub use engine::{CheckEngine, CheckRequest, Engine};
pub use result::{CheckResult, CheckStatus, StepRun};
