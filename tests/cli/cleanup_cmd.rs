//! `kubedojo cleanup` end to end: the real binary against the AWS emulator, with leftovers of
//! two labs (named with each delete command, exit 1), then none (exit 0). The lab cluster does
//! not exist here, so what a cluster holds is not looked for; the roles, policies and buckets
//! are.

use crate::live::*;
use assert_cmd::Command;

fn cleanup(state: &std::path::Path, cluster: &str, json: bool) -> (String, i32) {
    let kubeconfig = kubeconfig();
    let endpoint = aws_endpoint();
    let var = format!("cluster={cluster}");
    let mut args =
        vec!["cleanup", "--target", "kwok", "--kubeconfig", &kubeconfig, "--aws-endpoint-url", &endpoint, "--aws-region", "eu-west-1", "--var", &var];
    if json {
        args.push("--json");
    }
    let out = Command::cargo_bin("kubedojo")
        .expect("binary")
        .args(&args)
        .env("KUBEDOJO_STATE_DIR", state)
        .env("KUBEDOJO_LAB_CONFIG", state.join("none.toml"))
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
}

#[tokio::test]
async fn cleanup_names_every_labs_leftovers_and_exits_zero_when_none_remain() {
    let state = tempfile::tempdir().expect("tempdir");
    let b = backend(None, true).await;
    let (iam, s3) = (&aws(&b).iam, &aws(&b).s3);
    let cluster = unique("kd-clean");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::x"}]}"#;
    // irsa-s3's role and policy, pod-identity-access's role, policy and viewers role
    let mut policies = Vec::new();
    for (role, policy) in [
        (format!("{cluster}-s3-reader"), Some(format!("{cluster}-s3-reader"))),
        (format!("{cluster}-report-reader"), Some(format!("{cluster}-report-reader-s3-read"))),
        (format!("{cluster}-viewers"), None),
    ] {
        iam.create_role().role_name(&role).assume_role_policy_document(trust).send().await.expect("role");
        if let Some(p) = policy {
            let arn = iam.create_policy().policy_name(&p).policy_document(read).send().await.expect("policy").policy.and_then(|p| p.arn).expect("arn");
            iam.attach_role_policy().role_name(&role).policy_arn(&arn).send().await.expect("attach");
            policies.push((role.clone(), arn));
        }
    }
    // pod-identity-access's bucket, by the lab's default name
    bucket(aws(&b), "kubedojo-lab-reports").await;

    let (out, code) = cleanup(state.path(), &cluster, false);
    assert_eq!(code, 1, "{out}");
    for part in [
        "irsa-s3:".to_string(),
        format!("IAM role {cluster}-s3-reader (no hourly charge)"),
        format!(
            "aws iam detach-role-policy --role-name {cluster}-s3-reader --policy-arn {} && aws iam delete-role --role-name {cluster}-s3-reader",
            policies[0].1
        ),
        "pod-identity-access:".to_string(),
        format!("IAM policy {cluster}-report-reader-s3-read"),
        format!("IAM role {cluster}-viewers"),
        "S3 bucket kubedojo-lab-reports".into(),
        "aws s3 rb s3://kubedojo-lab-reports --force".into(),
    ] {
        assert!(out.contains(&part), "{part:?} not in:\n{out}");
    }
    let (json, code) = cleanup(state.path(), &cluster, true);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(json["left"].as_array().map(Vec::len), Some(6), "{json:#}");

    // delete as the output says, and nothing is left
    for (role, arn) in &policies {
        iam.detach_role_policy().role_name(role).policy_arn(arn).send().await.expect("detach");
        iam.delete_policy().policy_arn(arn).send().await.expect("delete policy");
    }
    for role in [format!("{cluster}-s3-reader"), format!("{cluster}-report-reader"), format!("{cluster}-viewers")] {
        iam.delete_role().role_name(role).send().await.expect("delete role");
    }
    s3.delete_bucket().bucket("kubedojo-lab-reports").send().await.expect("rb");
    let (out, code) = cleanup(state.path(), &cluster, false);
    assert_eq!(code, 0, "{out}");
    // every lab with an AWS teardown was looked at
    let (pack, _) = kubedojo::session::load_pack(kubedojo::content::PackFiles::embedded()).expect("the built-in course loads");
    let labs: Vec<&str> =
        pack.exercises.iter().filter(|e| e.steps.iter().flat_map(|s| &s.checks).any(|c| c.kind == "teardown.clean")).map(|e| e.id.as_str()).collect();
    assert!(labs.len() >= 7, "{labs:?}");
    assert!(out.contains(&format!("nothing is left: no resource of {} remains", labs.join(", "))), "{out}");
}
