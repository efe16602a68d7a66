//! The engine interface: the app hands it a step's checks, it answers with a [`StepRun`].
//! The runner calls it in a tokio task and aborts the task when the step is re-run, so an
//! engine only has to be cancel-safe (drop-safe), not to track runs itself.

use std::collections::BTreeMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

use super::catalog;
use super::result::{CheckResult, CheckStatus, StepRun};
use crate::content::CheckSpec;

#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub exercise: String,
    pub step: String,
    /// The step's checks with `{{vars}}` already expanded.
    pub checks: Vec<CheckSpec>,
    pub vars: BTreeMap<String, String>,
}

pub trait CheckEngine: Send + Sync + 'static {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun>;
}

/// The id reported for a step that declares no checks.
pub const NO_CHECKS: &str = "step.no-checks";

/// The engine of a build without check families: every declared check is skipped with its
/// reason, and a step without checks says so. The flow from key to result works end to end.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnimplementedEngine;

impl CheckEngine for UnimplementedEngine {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun> {
        Box::pin(async move {
            let started = Instant::now();
            let mut results: Vec<CheckResult> = request
                .checks
                .iter()
                .map(|spec| {
                    let about = catalog::find(&spec.kind).map_or("", |k| k.about);
                    CheckResult::new(
                        &spec.kind,
                        CheckStatus::Skip,
                        format!("not evaluated: this build has no implementation of {} ({about})", spec.kind),
                    )
                })
                .collect();
            if results.is_empty() {
                results.push(CheckResult::new(
                    NO_CHECKS,
                    CheckStatus::Skip,
                    "no checks defined for this step: mark it done yourself when you have finished",
                ));
            }
            let ms = started.elapsed().as_millis() as u64;
            for r in &mut results {
                r.duration_ms = ms;
            }
            StepRun { at: now_unix(), results }
        })
    }
}

pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
