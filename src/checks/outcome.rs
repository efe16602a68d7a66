//! Building results inside checks, and turning Kubernetes and AWS errors into results that
//! never blame the learner: a denied permission names the permission, an unreachable endpoint
//! names the endpoint.

use std::panic::Location;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::result::{CheckResult, CheckStatus};

/// A result before the engine stamps the check id and duration on it.
pub type Outcome = CheckResult;

pub fn pass(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Pass, message)
}

/// A failure: `fail(message).found_expected(found, expected).next(what to run or change)`. It
/// becomes an [`Outcome`] only with all three, so no check can fail a learner without saying
/// what it found, what it expected and what to do about it.
#[track_caller]
pub fn fail(message: impl Into<String>) -> Failing {
    Failing { message: message.into(), site: Location::caller() }
}

/// A failure that has its message, waiting for what was found and expected.
#[must_use = "a failure needs .found_expected(found, expected).next(what to do)"]
pub struct Failing {
    message: String,
    site: &'static Location<'static>,
}

impl Failing {
    pub fn found_expected(self, found: impl Into<String>, expected: impl Into<String>) -> FailingFound {
        FailingFound { result: CheckResult::new("", CheckStatus::Fail, self.message).found_expected(found, expected), site: self.site }
    }
}

/// A failure that says what it found and expected, waiting for what to do next.
#[must_use = "a failure needs .next(what to run or change next)"]
pub struct FailingFound {
    result: CheckResult,
    site: &'static Location<'static>,
}

impl FailingFound {
    /// What to run or change next: a command to copy, or the field to change and where.
    pub fn next(self, what: impl Into<String>) -> Outcome {
        let result = self.result.next(what);
        failure_log::record(self.site, &result);
        result
    }
}

/// With `KUBEDOJO_FAILURE_LOG=FILE` set, every failure a check builds is appended to FILE as a
/// JSON line (`site` = the `fail(` call's file:line, and the texts). The test suite sets it, and
/// `tests/failure_paths.rs` proves from it that every `fail(` in `src/checks` was driven by a
/// test and said found, expected and next.
mod failure_log {
    use std::io::Write;
    use std::panic::Location;
    use std::sync::{Mutex, OnceLock};

    use crate::checks::result::CheckResult;

    static LOG: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();

    pub fn record(site: &Location<'_>, r: &CheckResult) {
        let log = LOG.get_or_init(|| {
            let path = std::env::var_os("KUBEDOJO_FAILURE_LOG")?;
            std::fs::OpenOptions::new().create(true).append(true).open(path).ok().map(Mutex::new)
        });
        let Some(file) = log else { return };
        let line = serde_json::json!({
            "site": format!("{}:{}", site.file(), site.line()),
            "message": r.message,
            "found": r.found,
            "expected": r.expected,
            "next": r.next,
        });
        if let Ok(mut f) = file.lock() {
            // one write per line: appends from the suite's parallel processes do not interleave
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }
}

pub fn warn(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Warn, message)
}

pub fn skip(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Skip, message)
}

pub fn error(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Error, message)
}

/// `?` inside a check: an `Err` is already the result to report.
pub type Step<T> = Result<T, Outcome>;

/// A Kubernetes API error as a result. `what` says what the checker tried ("list nodes").
pub fn kube_error(e: kube::Error, what: &str) -> Outcome {
    match e {
        kube::Error::Api(status) if status.code == 403 => {
            error(format!("the checker is not allowed to {what}: {} (grant it the kubedojo checker ClusterRole)", status.message))
        }
        kube::Error::Api(status) if status.code == 401 => {
            error(format!("the API server rejected the checker's credentials while trying to {what} (expired token? refresh your kubeconfig)"))
        }
        kube::Error::Api(status) => error(format!("the API server answered {} while the checker tried to {what}: {}", status.code, status.message)),
        other => error(format!("cannot reach the Kubernetes API server to {what}: {other}")),
    }
}

/// An AWS SDK error as a result. `action` is the IAM action, e.g. `eks:DescribeCluster`.
pub fn aws_error<E, R>(e: &SdkError<E, R>, action: &str) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown");
            let msg = err.message().unwrap_or_default();
            match code {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "UnauthorizedAccess" => {
                    error(format!("the checker's AWS identity lacks {action} ({msg}); attach assets/iam/checker-policy.json"))
                }
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
                    error(format!("the AWS credentials expired while calling {action}: refresh them (aws sso login, or new keys)"))
                }
                "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" => {
                    error(format!("AWS rejected the credentials while calling {action}: {msg}"))
                }
                _ => error(format!("AWS answered {code} to {action}: {msg}")),
            }
        }
        // the SDK resolves credentials while dispatching: a chain that finds none fails the
        // dispatch, which is no unreachable endpoint
        SdkError::DispatchFailure(_) if names_missing_credentials(&aws_smithy_error_text(e)) => error(format!(
            "no AWS credentials resolved to call {action} ({}): set AWS_PROFILE (after aws sso login or aws configure), then aws sts get-caller-identity",
            aws_smithy_error_text(e)
        )),
        SdkError::DispatchFailure(_) => error(format!("cannot reach AWS to call {action}: {}", aws_smithy_error_text(e))),
        SdkError::TimeoutError(_) => error(format!("AWS did not answer {action} in time")),
        SdkError::ConstructionFailure(_) => {
            error(format!("could not call {action}: no AWS credentials or region resolved (set AWS_PROFILE / AWS_REGION, or run aws configure)"))
        }
        other => error(format!("calling {action} failed: {}", aws_smithy_error_text(other))),
    }
}

fn names_missing_credentials(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("credentials") || t.contains("auth scheme")
}

fn aws_smithy_error_text<E: std::error::Error + 'static, R: std::fmt::Debug>(e: &SdkError<E, R>) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// The error code of a service error, to tell "not found" (a learner's fail) from the rest.
pub fn aws_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    match e {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}
