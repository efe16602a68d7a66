//! IAM policies as data, below both the checks and the sandbox: [`policy`] reads policy
//! documents as AWS returns them, [`eval`] decides whether they allow an action on a resource.
//! The checks evaluate a role's policies with it where no policy simulator answers; the
//! sandbox's AWS front answers `iam:SimulatePrincipalPolicy` with it.

pub mod eval;
pub mod policy;
