//! The shipped permissions are exactly what the checks use.

use std::collections::BTreeSet;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(path).expect("read"));
        }
    }
}

/// Every AWS call of the checks goes through `timed("service:Action", ...)`, or, for a paged
/// list, `paged("service:Action", ...)` (which times it).
fn actions_called() -> BTreeSet<String> {
    let mut sources = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks"), &mut sources);
    let mut actions = BTreeSet::new();
    // the call's name may start on the next line (rustfmt breaks long calls)
    let call = regex::Regex::new(r#"\b(?:timed|paged)\(\s*"([^"]*)""#).expect("pattern");
    for text in sources {
        for name in call.captures_iter(&text).map(|c| c[1].to_string()) {
            if name.contains(':') && !name.contains(' ') {
                // HeadBucket is authorized by s3:ListBucket
                actions.insert(if name == "s3:HeadBucket" { "s3:ListBucket".to_string() } else { name.to_string() });
            }
        }
    }
    actions
}

#[test]
fn iam_checker_policy_allows_exactly_the_calls_the_checks_make() {
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/iam/checker-policy.json")).expect("policy")).expect("json");
    let allowed: BTreeSet<String> =
        policy["Statement"][0]["Action"].as_array().expect("actions").iter().map(|a| a.as_str().expect("str").to_string()).collect();
    let called = actions_called();
    assert!(called.len() > 10, "found too few calls: {called:?}");
    assert_eq!(allowed, called, "assets/iam/checker-policy.json must list exactly the checks' AWS calls");
    for action in &allowed {
        let verb = action.split(':').nth(1).unwrap_or_default();
        assert!(["Describe", "List", "Get", "Simulate", "Filter"].iter().any(|p| verb.starts_with(p)), "{action} is not read-only");
    }
}

#[test]
fn checker_cluster_role_is_read_only_and_never_reads_secrets() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/rbac/checker-clusterrole.yaml")).expect("role");
    let role: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
    for rule in role["rules"].as_array().expect("rules") {
        for verb in rule["verbs"].as_array().expect("verbs") {
            assert!(["get", "list", "watch"].contains(&verb.as_str().expect("verb")), "{rule}");
        }
        if let Some(resources) = rule["resources"].as_array() {
            assert!(!resources.iter().any(|r| r.as_str().is_some_and(|r| r.starts_with("secrets"))), "{rule}");
        }
    }
}
