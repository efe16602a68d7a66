//! DescribeClusterVersions, answered by the front from the course's version table
//! (`versions.toml`, `[[kubernetes.releases]]`: each version's release and end-of-support
//! dates); moto 5.2.5 has no such operation. Path, query and fields as the aws-sdk-eks 1.122
//! model encodes them (`src/operation/describe_cluster_versions.rs`,
//! `src/protocol_serde/shape_cluster_version_information.rs`).
//!
//! What is simulated, and how it differs: a version's status is computed from the table's dates
//! on the day of the request; `kubernetesPatchVersion` and `defaultPlatformVersion` are left
//! out (the table has neither); the default version is the newest one in standard support.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use jiff::civil::Date;
use serde_json::{Value, json};

use super::Call;
use super::eks::{decode, error, ok};
use crate::content::versions::{Release, Support, minor};

pub struct ClusterVersions {
    releases: Vec<Release>,
}

impl ClusterVersions {
    pub fn new(releases: Vec<Release>) -> ClusterVersions {
        ClusterVersions { releases }
    }

    /// The answer to DescribeClusterVersions; None: not that request.
    pub(super) fn handle(&self, call: &Call<'_>) -> Option<Response> {
        if *call.method != Method::GET || call.path.trim_end_matches('/') != "/cluster-versions" {
            return None;
        }
        let today = jiff::Timestamp::from_second(i64::try_from(crate::clock::unix_now()).unwrap_or(0))
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or_default();
        Some(self.answer(call.query, today))
    }

    fn answer(&self, query: Option<&str>, today: Date) -> Response {
        let params: Vec<(String, String)> =
            query.unwrap_or_default().split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), decode(v))).collect();
        let all = |name: &str| params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        let one = |name: &str| all(name).first().copied();
        let flag = |name: &str| one(name) == Some("true");
        let wanted: Vec<&str> = all("clusterVersions").into_iter().flat_map(|v| v.split(',')).collect();
        // `status` is the deprecated filter, spelt standard-support; `versionStatus` is STANDARD_SUPPORT
        let status = one("versionStatus").map(str::to_string).or_else(|| one("status").map(|s| s.to_ascii_uppercase().replace('-', "_")));
        if let Some(s) = status.as_deref().filter(|s| !["STANDARD_SUPPORT", "EXTENDED_SUPPORT", "UNSUPPORTED"].contains(s)) {
            // EKS's wording could not be confirmed
            let message = format!("versionStatus {s} is not one of STANDARD_SUPPORT, EXTENDED_SUPPORT, UNSUPPORTED");
            return error(StatusCode::BAD_REQUEST, "InvalidParameterException", &message, None);
        }
        let mut released: Vec<&Release> = self.releases.iter().filter(|r| r.released <= today).collect();
        released.sort_by_key(|r| std::cmp::Reverse(minor(&r.version)));
        // EKS's default for new clusters: the newest version in standard support, as the answers
        // EKS gave in 2025 show (eksctl's upgrade tests, a published describe-cluster-versions);
        // the API reference does not say how it is chosen
        let default = released.iter().find(|r| r.support_on(today) == Support::Standard).map(|r| r.version.clone());
        let listed: Vec<Value> = released
            .into_iter()
            .filter(|_| one("clusterType").is_none_or(|t| t == "eks"))
            .filter(|r| wanted.is_empty() || wanted.iter().any(|w| minor(w).is_some() && minor(w) == minor(&r.version)))
            // without includeAll, only versions still supported (EKS's behaviour could not be confirmed)
            .filter(|r| flag("includeAll") || status.is_some() || r.support_on(today) != Support::Unsupported)
            .filter(|r| status.as_deref().is_none_or(|s| s == version_status(r.support_on(today))))
            .filter(|r| !flag("defaultOnly") || Some(&r.version) == default.as_ref())
            .map(|r| information(r, today, default.as_ref() == Some(&r.version)))
            .collect();
        ok(json!({ "clusterVersions": listed }))
    }
}

fn version_status(support: Support) -> &'static str {
    match support {
        Support::Standard => "STANDARD_SUPPORT",
        Support::Extended => "EXTENDED_SUPPORT",
        Support::Unsupported => "UNSUPPORTED",
    }
}

/// The ClusterVersionInformation data type of the EKS API.
fn information(r: &Release, today: Date, default: bool) -> Value {
    let seconds = |d: Date| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_second()).unwrap_or_default();
    let status = version_status(r.support_on(today));
    json!({
        "clusterVersion": r.version,
        "clusterType": "eks",
        "defaultVersion": default,
        "releaseDate": seconds(r.released),
        "endOfStandardSupportDate": seconds(r.end_of_standard),
        "endOfExtendedSupportDate": seconds(r.end_of_extended),
        // the deprecated `status` carries the versionStatus spelling in EKS's answers (a
        // published describe-cluster-versions output; the API reference deprecates it because
        // it does not match the filter's standard-support spelling)
        "status": status,
        "versionStatus": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(v: &str, released: &str, std: &str, ext: &str) -> Release {
        Release { version: v.into(), released: released.parse().unwrap(), end_of_standard: std.parse().unwrap(), end_of_extended: ext.parse().unwrap() }
    }

    async fn listed(query: &str, today: &str) -> Vec<(String, String, bool)> {
        let versions = ClusterVersions::new(vec![
            release("1.30", "2024-05-23", "2025-07-23", "2026-07-23"),
            release("1.35", "2026-01-27", "2027-03-27", "2028-03-27"),
            release("1.36", "2026-06-02", "2027-08-02", "2028-08-02"),
        ]);
        let answer = versions.answer(Some(query), today.parse().unwrap());
        let body: Value = serde_json::from_slice(&axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap()).unwrap();
        body["clusterVersions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["clusterVersion"].as_str().unwrap().into(), v["versionStatus"].as_str().unwrap().into(), v["defaultVersion"].as_bool().unwrap()))
            .collect()
    }

    #[tokio::test]
    async fn versions_are_listed_newest_first_with_their_support_on_the_day() {
        let s = |v: &str, st: &str, d: bool| (v.to_string(), st.to_string(), d);
        assert_eq!(listed("", "2026-12-07").await, [s("1.36", "STANDARD_SUPPORT", true), s("1.35", "STANDARD_SUPPORT", false)]);
        assert_eq!(listed("includeAll=true", "2026-12-07").await.len(), 3);
        assert_eq!(listed("clusterVersions=1.30&includeAll=true", "2026-12-07").await, [s("1.30", "UNSUPPORTED", false)]);
        assert_eq!(listed("versionStatus=EXTENDED_SUPPORT", "2027-04-01").await, [s("1.35", "EXTENDED_SUPPORT", false)]);
        assert_eq!(listed("defaultOnly=true", "2026-03-01").await, [s("1.35", "STANDARD_SUPPORT", true)]);
        assert!(listed("clusterType=eks-anywhere", "2026-12-07").await.is_empty());
    }
}
