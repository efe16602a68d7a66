//! The live test environment: the real API server and the AWS emulator started by
//! `tests/testenv.sh up`. A test that needs it fails (never skips) when it is not running.

#![allow(dead_code)]

pub mod eks;
pub mod labs;
pub mod own_cluster;
pub mod proof;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams};
use kubedojo::checks::backend::{Aws, Backend, TargetKind, TargetOptions};
use kubedojo::checks::{CheckResult, CheckStatus};
use kubedojo::content::{CheckSpec, Loc, ParamValue};

pub fn kubeconfig() -> String {
    std::env::var("KUBEDOJO_TEST_KUBECONFIG").unwrap_or_else(|_| {
        panic!("the test cluster is not running: start it with `eval \"$(tests/testenv.sh up)\"` (tests/run-all.sh does this)")
    })
}

/// A kubeconfig whose API server cannot be reached (nothing listens on port 1).
pub fn unreachable_kubeconfig(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("unreachable-kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts:\n- name: gone\n  context: {cluster: gone, user: u}\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: x}\n",
    )
    .expect("write kubeconfig");
    path
}

pub fn aws_endpoint() -> String {
    std::env::var("KUBEDOJO_TEST_AWS_ENDPOINT").ok().filter(|e| !e.is_empty()).unwrap_or_else(|| {
        panic!("the AWS emulator is not running: start it with `eval \"$(tests/testenv.sh up)\"` (tests/run-all.sh does this)")
    })
}

/// A name unique to this test run and call: tests share one cluster and one emulator.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{n}-{}",
        std::process::id() % 10_000,
        t % 100_000
    )
}

pub async fn backend(region: Option<&str>, with_aws: bool) -> Backend {
    Backend::connect(&TargetOptions {
        kind: Some(TargetKind::Kwok),
        kubeconfig: Some(kubeconfig().into()),
        context: None,
        aws_profile: None,
        aws_region: Some(region.unwrap_or("eu-west-1").to_string()),
        aws_endpoint: if with_aws { Some(aws_endpoint()) } else { None },
    })
    .await
}

/// The test cluster and the emulator seen as an EKS target: checks that tell EKS from a local
/// cluster take the EKS branch (the pod identity webhook exists, aws-node is the VPC CNI...).
pub async fn eks_backend() -> Backend {
    Backend::connect(&TargetOptions {
        kind: Some(TargetKind::Eks),
        kubeconfig: Some(kubeconfig().into()),
        context: None,
        aws_profile: None,
        aws_region: Some("eu-west-1".into()),
        aws_endpoint: Some(aws_endpoint()),
    })
    .await
}

pub fn client(b: &Backend) -> Client {
    b.kube.clone().expect("the test kubeconfig gives a client")
}

pub fn aws(b: &Backend) -> &Aws {
    b.aws.as_ref().expect("AWS emulator configured")
}

/// A fresh namespace for one test.
pub async fn namespace(client: &Client, prefix: &str) -> String {
    let name = unique(prefix);
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("namespace");
    api.create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
    name
}

pub async fn delete_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let _ = api.delete(name, &DeleteParams::default()).await;
}

/// Create any namespaced object from JSON.
pub async fn create<K>(client: &Client, ns: &str, obj: serde_json::Value) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let obj: K = serde_json::from_value(obj).expect("valid object");
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create object")
}

pub fn spec(kind: &str, params: &[(&str, &str)]) -> CheckSpec {
    CheckSpec {
        kind: kind.to_string(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), ParamValue::Text(v.to_string())))
            .collect(),
        loc: Loc::default(),
    }
}

pub fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub async fn run(b: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>) -> CheckResult {
    kubedojo::checks::engine::run_one(b, spec, vars).await
}

/// Run a check as of noon UTC on `day` (YYYY-MM-DD): support status and "the last 15 minutes"
/// depend on the day, so tests pass it in.
pub async fn run_on(b: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>, day: &str) -> CheckResult {
    let ts: jiff::Timestamp = format!("{day}T12:00:00Z").parse().expect("a YYYY-MM-DD day");
    kubedojo::checks::engine::run_one_at(b, spec, vars, ts.as_second() as u64).await
}

/// The built-in course's version table, as the variables every exercise carries, plus `pairs`.
pub fn table_vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let pack = kubedojo::content::load(&kubedojo::content::PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds()).pack;
    let mut v = pack.versions.vars();
    v.extend(vars(pairs));
    v
}

/// Re-run a check until it reaches a status with a message containing `part` (controllers
/// take a moment), or give up after a minute.
pub async fn run_until(
    b: &Backend,
    spec: &CheckSpec,
    vars: &BTreeMap<String, String>,
    want: CheckStatus,
    part: &str,
) -> CheckResult {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run(b, spec, vars).await;
        if (r.status == want && r.message.contains(part)) || std::time::Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[track_caller]
pub fn assert_status(r: &CheckResult, status: CheckStatus, message_part: &str) {
    assert_eq!(r.status, status, "{r:#?}");
    assert!(
        r.message.contains(message_part),
        "message {:?} lacks {message_part:?}",
        r.message
    );
}

/// A node that kwok manages (so it turns Ready), with labels and taints; deleted by the caller.
pub async fn kwok_node(
    client: &Client,
    name: &str,
    labels: serde_json::Value,
    taints: serde_json::Value,
    managed: bool,
) {
    use k8s_openapi::api::core::v1::Node;
    let api: Api<Node> = Api::all(client.clone());
    let mut annotations = serde_json::json!({});
    if managed {
        annotations = serde_json::json!({"kwok.x-k8s.io/node": "fake"});
    }
    let node: Node = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {"taints": taints}
    }))
    .expect("node");
    api.create(&PostParams::default(), &node)
        .await
        .expect("create node");
}

pub async fn delete_nodes(client: &Client, names: &[String]) {
    use k8s_openapi::api::core::v1::Node;
    let api: Api<Node> = Api::all(client.clone());
    for n in names {
        let _ = api.delete(n, &DeleteParams::default()).await;
    }
}

/// A bare EKS cluster in the emulator (one subnet, no node group), with a unique name.
pub async fn moto_cluster(aws: &Aws, prefix: &str) -> String {
    let name = unique(prefix);
    aws.eks
        .create_cluster()
        .name(&name)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-a").build())
        .send()
        .await
        .expect("create cluster in the emulator");
    name
}
