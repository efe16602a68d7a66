//! Building results inside checks, and turning Kubernetes and AWS errors into results that
//! never blame the learner: a denied permission names the permission, an unreachable endpoint
//! names the endpoint.

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use super::result::{CheckResult, CheckStatus};

/// A result before the engine stamps the check id and duration on it.
pub type Outcome = CheckResult;

pub fn pass(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Pass, message)
}

pub fn fail(message: impl Into<String>) -> Outcome {
    CheckResult::new("", CheckStatus::Fail, message)
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
        kube::Error::Api(status) if status.code == 403 => error(format!(
            "the checker is not allowed to {what}: {} (grant it the kubedojo checker ClusterRole)",
            status.message
        )),
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
        SdkError::DispatchFailure(d) => error(format!("cannot reach AWS to call {action}: {:?}", d.as_other().map_or_else(|| "connection failed".to_string(), |k| format!("{k:?}")))),
        SdkError::TimeoutError(_) => error(format!("AWS did not answer {action} in time")),
        SdkError::ConstructionFailure(_) => error(format!(
            "could not call {action}: no AWS credentials or region resolved (set AWS_PROFILE / AWS_REGION, or run aws configure)"
        )),
        other => error(format!("calling {action} failed: {}", aws_smithy_error_text(other))),
    }
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
