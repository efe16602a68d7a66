//! The engine: runs a step's checks concurrently against one backend, each with a timeout,
//! and stamps id and duration on every result. The runner aborts a run when the step is run
//! again, so an engine only has to be cancel-safe (drop-safe), not to track runs itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::backend::Backend;
use super::context::Ctx;
use super::outcome::{Outcome, error, skip};
use super::result::{CheckResult, CheckStatus, StepRun};
use super::{catalog, families};
use crate::content::CheckSpec;

#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub exercise: String,
    pub step: String,
    /// The step's checks with `{{vars}}` already expanded.
    pub checks: Vec<CheckSpec>,
    pub vars: BTreeMap<String, String>,
}

impl CheckRequest {
    /// The checks of an exercise's step, with the exercise's variables filled in.
    pub fn for_step(ex: &crate::content::Exercise, step: usize) -> CheckRequest {
        let s = &ex.steps[step];
        CheckRequest { exercise: ex.id.clone(), step: s.id.clone(), checks: s.checks.iter().map(|c| c.expand(&ex.vars)).collect(), vars: ex.vars.clone() }
    }
}

pub trait CheckEngine: Send + Sync + 'static {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun>;

    /// Prepare (connect to the target) ahead of the first run; called after the first frame.
    fn warm_up(&self) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    /// One item per (debounced) change of what the request's checks read; ends never.
    fn watch(&self, _request: &CheckRequest) -> futures::stream::BoxStream<'static, ()> {
        Box::pin(futures::stream::pending())
    }
}

/// The id reported for a step that declares no checks.
pub const NO_CHECKS: &str = "step.no-checks";

/// A whole check (all its calls) gives up after this long.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Engine {
    backend: Arc<Backend>,
}

impl Engine {
    pub fn new(backend: Arc<Backend>) -> Self {
        Self { backend }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }
}

impl CheckEngine for Engine {
    fn run(&self, request: CheckRequest) -> BoxFuture<'static, StepRun> {
        let backend = self.backend.clone();
        Box::pin(async move { run_checks(&backend, &request.checks, &request.vars).await })
    }
}

/// Run a step's checks now (the clock is read here, at the edge, once for all of them).
pub async fn run_checks(backend: &Backend, checks: &[CheckSpec], vars: &BTreeMap<String, String>) -> StepRun {
    run_checks_at(backend, checks, vars, crate::clock::unix_now()).await
}

/// Run a step's checks as of `now` (Unix seconds): what "the last 15 minutes" and "today's
/// support status" mean.
pub async fn run_checks_at(backend: &Backend, checks: &[CheckSpec], vars: &BTreeMap<String, String>, now: u64) -> StepRun {
    let mut results: Vec<CheckResult> = futures::future::join_all(checks.iter().map(|spec| run_one_at(backend, spec, vars, now))).await;
    if results.is_empty() {
        results.push(CheckResult::new(NO_CHECKS, CheckStatus::Skip, "no checks defined for this step: mark it done yourself when you have finished"));
    }
    StepRun { at: now, results }
}

pub async fn run_one(backend: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>) -> CheckResult {
    run_one_at(backend, spec, vars, crate::clock::unix_now()).await
}

/// What of a `teardown.clean` check's resources still exists (`kubedojo cleanup`), or the
/// result that says why it could not be read (no AWS, an API error).
pub async fn leftovers(backend: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>) -> Result<Vec<families::teardown::Leftover>, CheckResult> {
    let ctx = Ctx { backend, spec, vars, now: crate::clock::unix_now() };
    match tokio::time::timeout(CHECK_TIMEOUT, families::teardown::leftovers(&ctx)).await {
        Ok(Ok(left)) => Ok(left),
        Ok(Err(outcome)) => Err(CheckResult { check: spec.kind.clone(), ..outcome }),
        Err(_) => Err(CheckResult { check: spec.kind.clone(), ..error(format!("{} did not finish within {}s", spec.kind, CHECK_TIMEOUT.as_secs())) }),
    }
}

pub async fn run_one_at(backend: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>, now: u64) -> CheckResult {
    let started = Instant::now();
    let ctx = Ctx { backend, spec, vars, now };
    let outcome: Outcome = match catalog::find(&spec.kind) {
        None => error(format!("unknown check kind {} (run kubedojo lint)", spec.kind)),
        Some(_) => match tokio::time::timeout(CHECK_TIMEOUT, families::run(&ctx)).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => skip(format!("{} is not implemented in this build yet", spec.kind)),
            Err(_) => error(format!("{} did not finish within {}s", spec.kind, CHECK_TIMEOUT.as_secs())),
        },
    };
    CheckResult { check: spec.kind.clone(), duration_ms: started.elapsed().as_millis() as u64, ..outcome }
}
