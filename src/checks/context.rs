//! What a check sees: the backend, its parameters (with defaults from the exercise vars), and
//! helpers that turn a missing client into the right result.

use std::collections::BTreeMap;

use kube::Client;

use super::backend::{Aws, Backend, CALL_TIMEOUT, TargetKind};
use super::outcome::{Outcome, Step, error, skip};
use crate::content::{CheckSpec, ParamValue};

pub struct Ctx<'a> {
    pub backend: &'a Backend,
    pub spec: &'a CheckSpec,
    pub vars: &'a BTreeMap<String, String>,
    /// The time of the run (Unix seconds), passed in: checks never read the clock.
    pub now: u64,
}

impl Ctx<'_> {
    /// The day of the run in UTC, the calendar AWS's support dates are in.
    pub fn today(&self) -> jiff::civil::Date {
        let ts = jiff::Timestamp::from_second(i64::try_from(self.now).unwrap_or(i64::MAX)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        ts.to_zoned(jiff::tz::TimeZone::UTC).date()
    }

    /// A text parameter, else the named var, else the fallback.
    pub fn text(&self, param: &str, var: &str, fallback: &str) -> String {
        match self.spec.params.get(param) {
            Some(ParamValue::Text(t)) => t.clone(),
            _ => self.vars.get(var).cloned().unwrap_or_else(|| fallback.to_string()),
        }
    }

    pub fn list(&self, param: &str, fallback: &[&str]) -> Vec<String> {
        match self.spec.params.get(param) {
            Some(ParamValue::List(l)) => l.clone(),
            Some(ParamValue::Text(t)) => vec![t.clone()],
            None => fallback.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn var(&self, name: &str, fallback: &str) -> String {
        self.vars.get(name).cloned().unwrap_or_else(|| fallback.to_string())
    }

    pub fn kind(&self) -> Option<TargetKind> {
        self.backend.kind
    }

    pub fn is_eks(&self) -> bool {
        self.backend.kind == Some(TargetKind::Eks)
    }

    pub fn kube(&self) -> Step<&Client> {
        self.backend.kube.as_ref().map_err(|e| error(format!("no Kubernetes cluster to check: {e}")))
    }

    /// The AWS clients, or the skip that explains why this target has none.
    pub fn aws(&self) -> Step<&Aws> {
        self.backend.aws.as_ref().ok_or_else(|| {
            let target = match self.backend.kind {
                Some(TargetKind::Kind) => "a kind cluster",
                Some(TargetKind::Kwok) => "a kwok cluster",
                _ => "this target",
            };
            skip(format!(
                "needs AWS, and {target} has none: use an EKS cluster, or an AWS emulator (AWS_ENDPOINT_URL, as `kubedojo sandbox shell` sets it; or aws_endpoint_url under [target] in lab.toml)"
            ))
        })
    }

    pub fn cluster(&self) -> String {
        self.var("cluster", "kubedojo-lab")
    }
}

/// Run one call with the per-call timeout; a timeout is the checker's problem, not the learner's.
pub async fn timed<T>(what: &str, call: impl std::future::Future<Output = T>) -> Step<T> {
    tokio::time::timeout(CALL_TIMEOUT, call).await.map_err(|_| error(format!("{what} did not answer within {}s", CALL_TIMEOUT.as_secs())))
}

/// `timed` for a Kubernetes call: errors become results too.
pub async fn kube_call<T>(what: &str, call: impl std::future::Future<Output = kube::Result<T>>) -> Step<T> {
    timed(what, call).await?.map_err(|e| super::outcome::kube_error(e, what))
}

pub fn unreachable_outcome() -> Outcome {
    error("the check could not be evaluated")
}
