//! What a check run reports. Serialized in progress files and, later, in `check --json`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The state is as the step asks.
    Pass,
    /// The state differs: `found` vs `expected`, and what to do next.
    Fail,
    /// Works, but is not production grade.
    Warn,
    /// Does not apply to this target; the message says why.
    Skip,
    /// The checker could not evaluate (unreachable API, denied permission): never the learner's fault.
    Error,
}

impl CheckStatus {
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "✔",
            Self::Fail => "✘",
            Self::Warn => "▲",
            Self::Skip => "○",
            Self::Error => "!",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Skip => "skip",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check kind's stable id, e.g. `irsa.trust-policy`.
    pub check: String,
    pub status: CheckStatus,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What to run or change next. Every failure has one (`outcome::fail` will not build a
    /// failure without it); a warning may.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default)]
    pub duration_ms: u64,
}

impl CheckResult {
    pub fn new(check: impl Into<String>, status: CheckStatus, message: impl Into<String>) -> Self {
        Self { check: check.into(), status, message: message.into(), found: None, expected: None, next: None, duration_ms: 0 }
    }

    pub fn found_expected(mut self, found: impl Into<String>, expected: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self.expected = Some(expected.into());
        self
    }

    /// What to run or change next.
    pub fn next(mut self, what: impl Into<String>) -> Self {
        self.next = Some(what.into());
        self
    }
}

/// One run of a step's checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRun {
    /// Unix seconds when the run finished.
    pub at: u64,
    pub results: Vec<CheckResult>,
}

impl StepRun {
    /// A step passes when at least one check passed and none failed or errored. Warnings pass;
    /// skipped checks neither pass nor block.
    pub fn passed(&self) -> bool {
        self.results.iter().any(|r| matches!(r.status, CheckStatus::Pass | CheckStatus::Warn))
            && !self.results.iter().any(|r| matches!(r.status, CheckStatus::Fail | CheckStatus::Error))
    }

    pub fn count(&self, status: CheckStatus) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(statuses: &[CheckStatus]) -> StepRun {
        StepRun { at: 0, results: statuses.iter().map(|s| CheckResult::new("k", *s, "")).collect() }
    }

    #[test]
    fn a_step_passes_on_pass_or_warn_without_fail_or_error() {
        use CheckStatus::*;
        assert!(run(&[Pass, Warn, Skip]).passed());
        assert!(!run(&[Pass, Fail]).passed());
        assert!(!run(&[Pass, Error]).passed());
        assert!(!run(&[Skip, Skip]).passed());
        assert!(!run(&[]).passed());
    }

    #[test]
    fn status_serializes_lowercase() {
        let json = serde_json::to_string(&CheckResult::new("cluster.active", CheckStatus::Pass, "ok")).unwrap();
        assert_eq!(json, r#"{"check":"cluster.active","status":"pass","message":"ok","duration_ms":0}"#);
    }
}
