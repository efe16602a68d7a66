//! `kubedojo check` end to end: the real binary against the test cluster; JSON shape and exit
//! codes (0 all good, 1 a fail, 3 an error and no fail, 2 usage or configuration).

use crate::live;
use crate::live::*;
use assert_cmd::Command;

fn check(args: &[&str]) -> (serde_json::Value, i32) {
    let out = Command::cargo_bin("kubedojo")
        .expect("binary")
        .args(["check", "--pack", concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pack"), "--json"])
        .args(args)
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (json, out.status.code().unwrap_or(-1))
}

#[tokio::test]
async fn passing_step_exits_zero_with_the_stable_json_shape() {
    let b = backend(None, false).await;
    let ns = namespace(&client(&b), "cmd-pass").await;
    let kubeconfig = kubeconfig();
    let var = format!("ns={ns}");
    // the default ServiceAccount appears once the controller manager sees the namespace
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (json, code) = loop {
        let (json, code) = check(&["demo/namespace", "--target", "kwok", "--kubeconfig", &kubeconfig, "--var", &var]);
        if code == 0 || std::time::Instant::now() > deadline {
            break (json, code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["target"]["kind"], "kwok");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for r in results {
        for key in ["exercise", "step", "check", "status", "message", "found", "expected", "duration_ms"] {
            assert!(r.get(key).is_some(), "result lacks {key}: {r}");
        }
        assert_eq!(r["exercise"], "demo");
        assert_eq!(r["step"], "namespace");
        assert_eq!(r["status"], "pass");
    }
    assert_eq!(json["summary"], serde_json::json!({"pass": 2, "fail": 0, "warn": 0, "skip": 0, "error": 0}));
}

#[tokio::test]
async fn failing_check_exits_one() {
    let kubeconfig = kubeconfig();
    let (json, code) = check(&["demo/namespace", "--target", "kwok", "--kubeconfig", &kubeconfig, "--var", "ns=no-such-namespace-here"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["results"][0]["status"], "fail");
    assert_eq!(json["results"][0]["expected"], "no-such-namespace-here");
}

/// A context the kubeconfig does not have, or a kubeconfig that does not parse, is a
/// configuration error (2), as the README says; the report still says what was found.
#[test]
fn an_unknown_context_or_an_unparsable_kubeconfig_exits_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = kubeconfig();
    let (json, code) = check(&["demo/namespace", "--target", "kwok", "--kubeconfig", &kubeconfig, "--context", "nope"]);
    assert_eq!(code, 2, "{json:#}");
    assert!(json["target"]["problem"].as_str().is_some_and(|p| p.contains("nope")), "{json:#}");
    let broken = dir.path().join("kubeconfig");
    std::fs::write(&broken, "apiVersion: v1\nclusters: [oops\n").expect("write");
    let (json, code) = check(&["demo/namespace", "--target", "kwok", "--kubeconfig", broken.to_str().expect("path")]);
    assert_eq!(code, 2, "{json:#}");
    assert!(json["target"]["problem"].as_str().is_some_and(|p| p.contains("kubeconfig")), "{json:#}");
}

#[test]
fn unreachable_cluster_exits_three() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = live::unreachable_kubeconfig(dir.path());
    let (json, code) = check(&["demo/namespace", "--target", "kwok", "--kubeconfig", path.to_str().expect("path")]);
    assert_eq!(code, 3, "{json:#}");
    assert_eq!(json["summary"]["error"], 2);
}

#[test]
fn unknown_exercise_or_step_is_a_usage_error() {
    let out = Command::cargo_bin("kubedojo").expect("binary").args(["check", "nope"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no exercise \"nope\""));
    let out = Command::cargo_bin("kubedojo").expect("binary").args(["check", "irsa-s3/nope"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no step \"nope\""));
}

#[tokio::test]
async fn watch_prints_a_new_report_when_the_cluster_changes() {
    use std::io::BufRead;
    let b = backend(None, false).await;
    let name = unique("cmd-watch");
    let kubeconfig = kubeconfig();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kubedojo"))
        .args([
            "check",
            "demo/namespace",
            "--pack",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pack"),
            "--json",
            "--watch",
            "--target",
            "kwok",
            "--kubeconfig",
            &kubeconfig,
            "--var",
            &format!("ns={name}"),
        ])
        .env_remove("AWS_ENDPOINT_URL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().expect("a report").expect("line")).expect("json");
    assert_eq!(first["results"][0]["status"], "fail");
    // let the watch establish, then make the change the step asks for
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client(&b));
    let ns: k8s_openapi::api::core::v1::Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("ns");
    api.create(&Default::default(), &ns).await.expect("create");
    let reader = std::thread::spawn(move || lines.next().map(|l| l.expect("line")));
    let second = tokio::task::spawn_blocking(move || reader.join().expect("join")).await.expect("join").expect("a second report");
    let second: serde_json::Value = serde_json::from_str(&second).expect("json");
    assert_eq!(second["results"][0]["status"], "pass", "{second:#}");
    let _ = child.kill();
    let _ = child.wait();
}
