//! Checks against live state: definitions (content) -> engine (runs them) -> results (this model).
//! The result model and the engine interface live here; the check families plug in behind them.

pub mod catalog;
pub mod engine;
pub mod result;

pub use engine::{CheckEngine, CheckRequest, UnimplementedEngine};
pub use result::{CheckResult, CheckStatus, StepRun};
