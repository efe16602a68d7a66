//! The real EKS pod identity webhook in the sandbox, with the real binary: the irsa-s3 lab's
//! ServiceAccount and app, applied with kubectl after the eks-cluster lab's `eksctl create
//! cluster`, give the app's pod IRSA's env and token volume, and the lab's check passes.
//!
//! A sandbox of its own (like `sandbox_eksctl`): eksctl makes the target an "EKS" one, and the
//! webhook mutates every pod of the cluster it watches.

use crate::live::unique;
use crate::sandbox_eksctl::{DownAtTheEnd, run};
use std::path::Path;

/// `kubedojo check irsa-s3/STEP --json` in the sandbox's shell: each check's status and message.
fn check(state: &Path, step: &str) -> Vec<(String, String, String)> {
    let out = run(state, &["sandbox", "exec", "--", env!("CARGO_BIN_EXE_kubedojo"), "check", &format!("irsa-s3/{step}"), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("check"), text("status"), text("message"))
        })
        .collect()
}

#[test]
fn the_irsa_lab_s_app_gets_the_webhooks_env_and_token_in_the_sandbox() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("tempdir");
    let state = state.path();
    std::fs::create_dir_all(state.join("work")).expect("work");
    std::fs::write(state.join("lab.toml"), "[vars]\nadminCidr = \"198.18.7.10/32\"\n").expect("lab.toml");
    let _down = DownAtTheEnd(state);
    let up = run(state, &["sandbox", "up", "--name", &unique("irsa")]);
    assert_eq!(up.code, Some(0), "{}\n{}", up.stdout, up.stderr);
    assert!(up.stdout.contains("started the EKS pod identity webhook at https://127.0.0.1:"), "{}", up.stdout);
    for lab in ["eks-cluster", "irsa-s3"] {
        let files = run(state, &["files", lab, "--dir", "."]);
        assert_eq!(files.code, Some(0), "{}", files.stderr);
    }
    let exec = |cmd: &[&str]| run(state, &[&["sandbox", "exec", "--"], cmd].concat());
    let create = exec(&["eksctl", "create", "cluster", "-f", "eks-cluster/cluster.yaml"]);
    assert_eq!(create.code, Some(0), "{}\n{}", create.stdout, create.stderr);
    for file in ["irsa-s3/serviceaccount.yaml", "irsa-s3/app.yaml"] {
        let applied = exec(&["kubectl", "apply", "-f", file]);
        assert_eq!(applied.code, Some(0), "{file}: {}\n{}", applied.stdout, applied.stderr);
    }
    let rolled = exec(&["kubectl", "-n", "shop", "rollout", "status", "deploy/s3-reader", "--timeout=120s"]);
    assert_eq!(rolled.code, Some(0), "{}\n{}", rolled.stdout, rolled.stderr);

    let pods = exec(&["kubectl", "-n", "shop", "get", "pods", "-l", "app=s3-reader", "-o", "json"]);
    let pods: serde_json::Value = serde_json::from_str(&pods.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", pods.stdout, pods.stderr));
    let pod = &pods["items"][0];
    let env = &pod["spec"]["containers"][0]["env"];
    let value = |name: &str| env.as_array().and_then(|e| e.iter().find(|v| v["name"] == name)).map(|v| v["value"].clone());
    assert_eq!(value("AWS_ROLE_ARN"), Some("arn:aws:iam::111122223333:role/kubedojo-lab-s3-reader".into()), "{env}");
    assert_eq!(value("AWS_WEB_IDENTITY_TOKEN_FILE"), Some("/var/run/secrets/eks.amazonaws.com/serviceaccount/token".into()), "{env}");
    // the ServiceAccount's eks.amazonaws.com/sts-regional-endpoints: "true", read by the webhook
    assert_eq!(value("AWS_STS_REGIONAL_ENDPOINTS"), Some("regional".into()), "{env}");
    let volume = pod["spec"]["volumes"].as_array().and_then(|v| v.iter().find(|v| v["name"] == "aws-iam-token")).expect("aws-iam-token volume");
    assert_eq!(volume["projected"]["sources"][0]["serviceAccountToken"]["audience"], "sts.amazonaws.com", "{volume}");
    let mounts = &pod["spec"]["containers"][0]["volumeMounts"];
    assert!(
        mounts
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["name"] == "aws-iam-token" && m["mountPath"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount")),
        "{mounts}"
    );

    let results = check(state, "deploy-app");
    assert!(!results.is_empty() && results.iter().all(|(_, s, _)| s == "pass"), "{results:?}");
}
