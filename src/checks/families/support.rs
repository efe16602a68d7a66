//! Is the cluster's Kubernetes version in EKS standard support? Asked of the account
//! (`eks:DescribeClusterVersions`) where it answers, else read from the course's version table
//! (`versions.toml`, which reaches the checks as `versions.kubernetes.*` variables); the result
//! always says which source decided.

use jiff::civil::Date;

use crate::checks::context::{Ctx, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, fail, pass, warn};
use crate::content::versions::{Support, days_between, minor};

/// Hours in a month, for monthly cost figures (AWS pricing pages use 730).
const HOURS_A_MONTH: f64 = 730.0;

/// Warn this many days before standard support ends.
const WARN_DAYS: i64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct SupportStatus {
    /// `None`: neither source knows the version.
    pub support: Option<Support>,
    pub end_of_standard: Option<Date>,
    pub end_of_extended: Option<Date>,
    /// Where the answer came from, as the learner reads it.
    pub source: String,
}

fn date_of(t: &aws_sdk_eks::primitives::DateTime) -> Option<Date> {
    jiff::Timestamp::from_second(t.secs()).ok().map(|ts| ts.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// The support status of `version` on the day of the run.
pub async fn status(ctx: &Ctx<'_>, version: &str) -> Step<SupportStatus> {
    let aws = ctx.aws()?;
    let minor_text = minor(version).map_or_else(|| version.to_string(), |(a, b)| format!("{a}.{b}"));
    let out = timed("eks:DescribeClusterVersions", aws.eks.describe_cluster_versions().cluster_versions(&minor_text).include_all(true).send()).await?;
    let why_not = match out {
        Ok(o) => {
            let info = o.cluster_versions.unwrap_or_default().into_iter().find(|v| v.cluster_version.as_deref().and_then(minor) == minor(version));
            match info {
                Some(v) => {
                    let status = v
                        .version_status
                        .as_ref()
                        .map(|s| s.as_str().to_string())
                        .or_else(|| v.status.as_ref().map(|s| s.as_str().to_string()))
                        .unwrap_or_default();
                    let support = match status.to_ascii_uppercase().replace('-', "_").as_str() {
                        "STANDARD_SUPPORT" => Some(Support::Standard),
                        "EXTENDED_SUPPORT" => Some(Support::Extended),
                        "UNSUPPORTED" => Some(Support::Unsupported),
                        _ => None,
                    };
                    let end_of_standard = v.end_of_standard_support_date.as_ref().and_then(date_of);
                    let end_of_extended = v.end_of_extended_support_date.as_ref().and_then(date_of);
                    if let Some(support) = support {
                        return Ok(SupportStatus { support: Some(support), end_of_standard, end_of_extended, source: "eks:DescribeClusterVersions".into() });
                    }
                    format!("eks:DescribeClusterVersions gave Kubernetes {minor_text} no status")
                }
                None => format!("eks:DescribeClusterVersions does not list Kubernetes {minor_text}"),
            }
        }
        Err(e) if aws_code(&e).is_none() && e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
            "this endpoint has no eks:DescribeClusterVersions".to_string()
        }
        Err(e) if matches!(aws_code(&e), Some("AccessDeniedException" | "AccessDenied")) => "the checker may not call eks:DescribeClusterVersions".to_string(),
        Err(e) if aws_code(&e).is_some() => format!("eks:DescribeClusterVersions answered {}", aws_code(&e).unwrap_or_default()),
        Err(e) => return Err(crate::checks::outcome::aws_error(&e, "eks:DescribeClusterVersions")),
    };
    Ok(from_table(ctx, &minor_text, ctx.today(), &why_not))
}

/// The course's version table, as the exercise's `versions.kubernetes.*` variables.
fn from_table(ctx: &Ctx<'_>, minor_text: &str, today: Date, why_not: &str) -> SupportStatus {
    let date = |field: &str| ctx.vars.get(&format!("versions.kubernetes.{minor_text}.{field}")).and_then(|d| d.parse::<Date>().ok());
    let verified = ctx.var("versions.kubernetes.verified", "?");
    let (end_of_standard, end_of_extended) = (date("end-of-standard"), date("end-of-extended"));
    let support = match (end_of_standard, end_of_extended) {
        (Some(std), _) if today <= std => Some(Support::Standard),
        (Some(_), Some(ext)) if today <= ext => Some(Support::Extended),
        (Some(_), Some(_)) => Some(Support::Unsupported),
        _ => older_than_the_table(ctx, minor_text).then_some(Support::Unsupported),
    };
    SupportStatus { support, end_of_standard, end_of_extended, source: format!("the course's version table, verified {verified} ({why_not})") }
}

/// A version below every release in the table left support before the table was written.
fn older_than_the_table(ctx: &Ctx<'_>, minor_text: &str) -> bool {
    let listed = ctx.var("versions.kubernetes.releases", "");
    let oldest = listed.split_whitespace().filter_map(minor).min();
    matches!((minor(minor_text), oldest), (Some(v), Some(o)) if v < o)
}

fn price(ctx: &Ctx<'_>, name: &str) -> Option<f64> {
    ctx.vars.get(&format!("prices.{name}")).and_then(|p| p.parse().ok())
}

/// What the extended tier costs over the standard one, as the learner reads it.
fn extra_cost(ctx: &Ctx<'_>) -> String {
    match (price(ctx, "control-plane-standard"), price(ctx, "control-plane-extended")) {
        (Some(std), Some(ext)) => {
            format!("the control plane bills ${ext:.2}/h instead of ${std:.2}/h (${:.2}/h, about ${:.0} a month, more)", ext - std, (ext - std) * HOURS_A_MONTH)
        }
        _ => "the control plane bills the extended-support rate instead of the standard one".to_string(),
    }
}

pub fn outcome(ctx: &Ctx<'_>, name: &str, version: &str, s: &SupportStatus) -> Outcome {
    let upgrade = super::common::upgrade_command(ctx, version);
    let ends = |d: Option<Date>| d.map_or_else(|| "an unknown date".to_string(), |d| d.to_string());
    let expected = "a Kubernetes version in EKS standard support";
    match s.support {
        Some(Support::Standard) => {
            let today = ctx.today();
            match s.end_of_standard {
                Some(end) if days_between(today, end) <= WARN_DAYS => warn(format!(
                    "cluster {name} is ACTIVE, Kubernetes {version}: standard support ends in {} days ({end}), then {}; {upgrade} (source: {})",
                    days_between(today, end),
                    extra_cost(ctx),
                    s.source
                )),
                _ => pass(format!(
                    "cluster {name} is ACTIVE, Kubernetes {version}, in standard support until {} (source: {})",
                    ends(s.end_of_standard),
                    s.source
                )),
            }
        }
        Some(Support::Extended) => fail(format!(
            "Kubernetes {version} is in extended support since {} (until {}): {}; {upgrade} (source: {})",
            ends(s.end_of_standard),
            ends(s.end_of_extended),
            extra_cost(ctx),
            s.source
        ))
        .found_expected(format!("Kubernetes {version}, extended support"), expected)
        .next(&upgrade),
        Some(Support::Unsupported) => fail(format!(
            "Kubernetes {version} is past the end of extended support ({}): EKS upgrades such clusters on its own schedule; {upgrade} (source: {})",
            ends(s.end_of_extended),
            s.source
        ))
        .found_expected(format!("Kubernetes {version}, unsupported"), expected)
        .next(&upgrade),
        None => warn(format!(
            "cluster {name} is ACTIVE, Kubernetes {version}, whose support status neither source knows: check `aws eks describe-cluster-versions --cluster-versions {version}` (source: {})",
            s.source
        )),
    }
}
