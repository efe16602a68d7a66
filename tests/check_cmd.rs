//! `kubedojo check` end to end: the real binary against the test cluster; JSON shape and exit
//! codes (0 all good, 1 a fail, 3 an error and no fail, 2 usage).

mod live;

use assert_cmd::Command;
use live::*;

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

#[test]
fn unreachable_cluster_exits_three() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts:\n- name: gone\n  context: {cluster: gone, user: u}\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: x}\n").expect("write");
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
