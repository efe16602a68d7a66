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

use aws_sdk_eks::types::{CapacityTypes, NodegroupScalingConfig, Taint, TaintEffect};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams};
use kubedojo::checks::backend::{Aws, Backend, TargetKind, TargetOptions};
use kubedojo::checks::{CheckResult, CheckStatus};
use kubedojo::content::{CheckSpec, Loc, ParamValue};

pub fn kubeconfig() -> String {
    std::env::var("KUBEDOJO_TEST_KUBECONFIG")
        .unwrap_or_else(|_| panic!("the test cluster is not running: start it with `eval \"$(tests/testenv.sh up)\"` (tests/run-all.sh does this)"))
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
    std::env::var("KUBEDOJO_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| panic!("the AWS emulator is not running: start it with `eval \"$(tests/testenv.sh up)\"` (tests/run-all.sh does this)"))
}

/// A name unique to this test run and call: tests share one cluster and one emulator.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_micros()).unwrap_or(0);
    format!("{prefix}-{}-{n}-{}", std::process::id() % 10_000, t % 100_000)
}

pub async fn backend(region: Option<&str>, with_aws: bool) -> Backend {
    connect(region.unwrap_or("eu-west-1"), if with_aws { Some(aws_endpoint()) } else { None }).await
}

/// The test cluster, with AWS through an AWS front at `url` (in eu-west-1).
pub async fn through_front(url: String) -> Backend {
    connect("eu-west-1", Some(url)).await
}

async fn connect(region: &str, aws_endpoint: Option<String>) -> Backend {
    Backend::connect(&TargetOptions {
        kind: Some(TargetKind::Kwok),
        kubeconfig: Some(kubeconfig().into()),
        context: None,
        aws_profile: None,
        aws_region: Some(region.to_string()),
        aws_endpoint,
    })
    .await
}

/// An S3 bucket in the region of `aws` (outside us-east-1 S3 wants the location constraint).
pub async fn bucket(aws: &Aws, name: &str) {
    let region = aws.region().unwrap_or_else(|| "eu-west-1".into());
    let location =
        aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str())).build();
    aws.s3.create_bucket().bucket(name).create_bucket_configuration(location).send().await.expect("create bucket");
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
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("namespace");
    api.create(&PostParams::default(), &ns).await.expect("create namespace");
    name
}

pub async fn delete_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let _ = api.delete(name, &DeleteParams::default()).await;
}

/// Create any namespaced object from JSON.
pub async fn create<K>(client: &Client, ns: &str, obj: serde_json::Value) -> K
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let obj: K = serde_json::from_value(obj).expect("valid object");
    api.create(&PostParams::default(), &obj).await.expect("create object")
}

pub fn spec(kind: &str, params: &[(&str, &str)]) -> CheckSpec {
    CheckSpec { kind: kind.to_string(), params: params.iter().map(|(k, v)| (k.to_string(), ParamValue::Text(v.to_string()))).collect(), loc: Loc::default() }
}

pub fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
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
pub async fn run_until(b: &Backend, spec: &CheckSpec, vars: &BTreeMap<String, String>, want: CheckStatus, part: &str) -> CheckResult {
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
    assert!(r.message.contains(message_part), "message {:?} lacks {message_part:?}", r.message);
}

/// A node that kwok manages (so it turns Ready), with labels and taints; deleted by the caller.
pub async fn kwok_node(client: &Client, name: &str, labels: serde_json::Value, taints: serde_json::Value, managed: bool) {
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
    api.create(&PostParams::default(), &node).await.expect("create node");
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

/// A ServiceAccount `sa` in `ns`, annotated with the IRSA role `arn`
/// (eks.amazonaws.com/role-arn) when one is given.
pub async fn annotated_sa(client: &Client, ns: &str, sa: &str, arn: Option<&str>) {
    let annotations = arn.map(|a| serde_json::json!({"eks.amazonaws.com/role-arn": a}));
    let _: ServiceAccount = create(client, ns, serde_json::json!({"metadata": {"name": sa, "annotations": annotations}})).await;
}

/// An IAM role `name` in the emulator with the trust policy `trust`; returns its ARN.
pub async fn iam_role(aws: &Aws, name: &str, trust: &str) -> String {
    aws.iam.create_role().role_name(name).assume_role_policy_document(trust).send().await.expect("create role").role.map(|r| r.arn).unwrap_or_default()
}

/// The inline policy `name` (a JSON `document`) on IAM role `role`.
pub async fn inline_policy(aws: &Aws, role: &str, name: &str, document: &str) {
    aws.iam.put_role_policy().role_name(role).policy_name(name).policy_document(document).send().await.expect("put inline policy");
}

/// The managed policy `policy_arn` attached to IAM role `role`.
pub async fn attach_policy(aws: &Aws, role: &str, policy_arn: &str) {
    aws.iam.attach_role_policy().role_name(role).policy_arn(policy_arn).send().await.expect("attach managed policy");
}

/// A managed node group to create in the emulator: desired size `min`, at most `max`, the
/// capacity type, the instance types (none: the emulator's default) and an optional taint.
pub struct Group<'a> {
    pub name: &'a str,
    pub min: i32,
    pub max: i32,
    pub capacity: CapacityTypes,
    pub types: &'a [&'a str],
    pub taint: Option<(&'a str, &'a str, TaintEffect)>,
}

/// Node group `g` in `cluster` (subnet-a, the emulator's node role); returns the name of its
/// Auto Scaling group, which the emulator names but does not create (`auto_scaling_group` does).
pub async fn nodegroup(aws: &Aws, cluster: &str, g: Group<'_>) -> String {
    let mut req = aws
        .eks
        .create_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(g.name)
        .node_role("arn:aws:iam::123456789012:role/node")
        .subnets("subnet-a")
        .capacity_type(g.capacity)
        .scaling_config(NodegroupScalingConfig::builder().min_size(g.min).max_size(g.max).desired_size(g.min).build());
    for t in g.types {
        req = req.instance_types(*t);
    }
    if let Some((k, v, e)) = g.taint {
        req = req.taints(Taint::builder().key(k).value(v).effect(e).build());
    }
    let out = req.send().await.expect("create nodegroup");
    out.nodegroup.and_then(|n| n.resources?.auto_scaling_groups?.first()?.name.clone()).unwrap_or_default()
}

/// The Auto Scaling group `name` in eu-west-1a, launching m6i.large from a launch configuration
/// of its own: `min` to `max` instances, CapacityRebalance set to `rebalance` (left unset when
/// `None`), and `tags` (key, value) on the group, not propagated at launch.
pub async fn auto_scaling_group(aws: &Aws, name: &str, min: i32, max: i32, rebalance: Option<bool>, tags: &[(&str, &str)]) {
    let lc = unique("lc");
    aws.autoscaling
        .create_launch_configuration()
        .launch_configuration_name(&lc)
        .image_id("ami-12c6146b")
        .instance_type("m6i.large")
        .send()
        .await
        .expect("launch configuration");
    let mut req = aws
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_configuration_name(&lc)
        .min_size(min)
        .max_size(max)
        .availability_zones("eu-west-1a")
        .set_capacity_rebalance(rebalance);
    for (k, v) in tags {
        let tag = aws_sdk_autoscaling::types::Tag::builder()
            .key(*k)
            .value(*v)
            .resource_id(name)
            .resource_type("auto-scaling-group")
            .propagate_at_launch(false)
            .build();
        req = req.tags(tag);
    }
    req.send().await.expect("create ASG");
}

/// The cluster-wide CSIDriver ebs.csi.aws.com, as the EBS CSI driver registers it (left as it
/// is when a test made it already).
pub async fn ebs_csi_driver(client: &Client) {
    let driver: CSIDriver =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "ebs.csi.aws.com"}, "spec": {"attachRequired": true}})).expect("driver");
    let _ = Api::<CSIDriver>::all(client.clone()).create(&PostParams::default(), &driver).await;
}

/// The EBS CSI driver's controller in a fresh namespace named after `prefix`: ServiceAccount
/// ebs-csi-controller-sa (with the IRSA role `role` when given) and a one-replica Deployment
/// ebs-csi-controller on the nodes `node_selector` picks (`{"type": "kwok"}`: it becomes
/// available; a label no node has: it never does). Returns the namespace.
pub async fn ebs_csi_controller(client: &Client, prefix: &str, role: Option<&str>, node_selector: serde_json::Value) -> String {
    let ns = namespace(client, prefix).await;
    annotated_sa(client, &ns, "ebs-csi-controller-sa", role).await;
    let template = serde_json::json!({"metadata": {"labels": {"app": "ebs-csi-controller"}}, "spec": {"nodeSelector": node_selector, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "nginx:1.27"}]}});
    let _: Deployment = create(client, &ns, serde_json::json!({"metadata": {"name": "ebs-csi-controller"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "ebs-csi-controller"}}, "template": template}})).await;
    ns
}

/// Run `check` once per case with the variable `cluster` set to the case's cluster, and assert
/// the case's status and message part.
pub async fn assert_per_cluster(b: &Backend, check: &CheckSpec, cases: &[(&str, CheckStatus, &str)]) {
    for (cluster, status, part) in cases {
        assert_status(&run(b, check, &vars(&[("cluster", cluster)])).await, *status, part);
    }
}

/// An IAM role `name` with the trust policy `trust` that may list `bucket` and read its objects
/// (s3:ListBucket and s3:GetObject in its inline policy "read"); returns its ARN.
pub async fn s3_read_role(aws: &Aws, name: &str, trust: &str, bucket: &str) -> String {
    let arn = iam_role(aws, name, trust).await;
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]}]});
    inline_policy(aws, name, "read", &policy.to_string()).await;
    arn
}

/// The cluster-wide StorageClass `name` of `provisioner` with `parameters` (a JSON object).
pub async fn storage_class(client: &Client, name: &str, provisioner: &str, parameters: serde_json::Value) {
    let sc: StorageClass =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "provisioner": provisioner, "parameters": parameters})).expect("storage class");
    Api::<StorageClass>::all(client.clone()).create(&PostParams::default(), &sc).await.expect("create storage class");
}
