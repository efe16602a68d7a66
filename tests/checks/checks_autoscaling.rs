//! Cluster Autoscaler and Karpenter checks.

use crate::live::*;
use aws_sdk_eks::types::CapacityTypes;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use serde_json::json;

fn ca(cluster: &str, sa: &str, node_selector: serde_json::Value) -> serde_json::Value {
    json!({
        "metadata": {"name": "cluster-autoscaler"},
        "spec": {
            "selector": {"matchLabels": {"app": "cluster-autoscaler"}},
            "template": {
                "metadata": {"labels": {"app": "cluster-autoscaler"}},
                "spec": {
                    "serviceAccountName": sa,
                    "nodeSelector": node_selector,
                    "containers": [{
                        "name": "cluster-autoscaler",
                        "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0",
                        "command": ["./cluster-autoscaler", "--v=4", "--cloud-provider=aws", "--skip-nodes-with-system-pods=false",
                            format!("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}")]
                    }]
                }
            }
        }
    })
}

async fn status_map(c: &kube::Client, ns: &str, updated: &str) {
    let _: ConfigMap = create(c, ns, json!({"metadata": {"name": "cluster-autoscaler-status", "annotations": {"cluster-autoscaler.kubernetes.io/last-updated": updated}}, "data": {"status": "Cluster-autoscaler status at ...: Health: Healthy"}})).await;
}

fn now_ca() -> String {
    k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S%.3f +0000 UTC").to_string()
}

#[tokio::test]
async fn ca_deployed_cases() {
    let b = backend(None, false).await;
    let c = client(&b);
    let v = vars(&[]);
    let empty = namespace(&c, "ca-none").await;
    assert_status(&run(&b, &spec("ca.deployed", &[("namespace", &empty)]), &v).await, Fail, "No Cluster Autoscaler (no container with --cloud-provider=aws");
    let ns = namespace(&c, "ca").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "cluster-autoscaler"}})).await;
    let _: Deployment = create(&c, &ns, ca("lab", "cluster-autoscaler", json!({"type": "kwok"}))).await;
    let s = spec("ca.deployed", &[("namespace", &ns)]);
    assert_status(&run_until(&b, &s, &v, Warn, "has not written").await, Warn, "has not written ConfigMap");
    status_map(&c, &ns, &now_ca()).await;
    assert_status(&run(&b, &s, &v).await, Pass, "cluster-autoscaler 1/1 available, status updated");
    let stale = namespace(&c, "ca-stale").await;
    let _: ServiceAccount = create(&c, &stale, json!({"metadata": {"name": "cluster-autoscaler"}})).await;
    let _: Deployment = create(&c, &stale, ca("lab", "cluster-autoscaler", json!({"type": "kwok"}))).await;
    status_map(&c, &stale, "2026-01-01 00:00:00.000 +0000 UTC").await;
    assert_status(&run_until(&b, &spec("ca.deployed", &[("namespace", &stale)]), &v, Fail, "stale").await, Fail, "status ConfigMap stale since 2026-01-01");
    let down = namespace(&c, "ca-down").await;
    let _: Deployment = create(&c, &down, ca("lab", "cluster-autoscaler", json!({"no-such-node": "x"}))).await;
    assert_status(&run(&b, &spec("ca.deployed", &[("namespace", &down)]), &v).await, Fail, "cluster-autoscaler 0/1 available");
}

async fn cluster_and_group(aws: &Aws, tags: &[(&str, &str)]) -> String {
    let cluster = moto_cluster(aws, "ca").await;
    let asg = nodegroup(aws, &cluster, Group { name: "general", min: 1, max: 3, capacity: CapacityTypes::OnDemand, types: &[], taint: None }).await;
    let keys: Vec<String> = tags.iter().map(|(k, _)| k.replace("{cluster}", &cluster)).collect();
    let tags: Vec<(&str, &str)> = keys.iter().zip(tags).map(|(k, (_, v))| (k.as_str(), *v)).collect();
    auto_scaling_group(aws, &asg, 1, 3, None, &tags).await;
    cluster
}

#[tokio::test]
async fn ca_autodiscovery_cases() {
    let b = backend(None, true).await;
    let c = client(&b);
    let tagged = cluster_and_group(aws(&b), &[("k8s.io/cluster-autoscaler/enabled", "true"), ("k8s.io/cluster-autoscaler/{cluster}", "owned")]).await;
    let untagged = cluster_and_group(aws(&b), &[("k8s.io/cluster-autoscaler/enabled", "true")]).await;
    let ns = namespace(&c, "ca-disc").await;
    let _: Deployment = create(&c, &ns, ca(&tagged, "default", json!({"type": "kwok"}))).await;
    let s = spec("ca.autodiscovery", &[("namespace", &ns)]);
    assert_per_cluster(
        &b,
        &s,
        &[(&tagged, Pass, &format!("CA discovers {tagged}'s tagged ASGs")), (&untagged, Fail, &format!("flag names cluster {tagged}, expected {untagged}"))],
    )
    .await;
    let ns2 = namespace(&c, "ca-disc").await;
    let _: Deployment = create(&c, &ns2, ca(&untagged, "default", json!({"type": "kwok"}))).await;
    let r = run(&b, &spec("ca.autodiscovery", &[("namespace", &ns2)]), &vars(&[("cluster", &untagged)])).await;
    assert_status(&r, Fail, &format!("(general) lacks tag k8s.io/cluster-autoscaler/{untagged}: CA ignores it"));
}

#[tokio::test]
async fn ca_iam_cases() {
    let b = backend(None, true).await;
    let c = client(&b);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
    // the upstream policy: scaling actions only on ASGs tagged for this cluster
    let scaling = |cluster: &str, describe_nodegroup: bool| {
        let mut read = vec!["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeLaunchTemplateVersions"];
        if describe_nodegroup {
            read.push("eks:DescribeNodegroup");
        }
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": read, "Resource": "*"},
            {"Effect": "Allow", "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"], "Resource": "*",
             "Condition": {"StringEquals": {format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"): "owned"}}}
        ]})
        .to_string()
    };
    let cluster = "kubedojo-lab";
    let mut arns = Vec::new();
    for (label, doc) in [("full", scaling(cluster, true)), ("nodescribe", scaling(cluster, false)), ("otherlab", scaling("other-lab", true))] {
        let name = unique(&format!("ca-{label}"));
        let arn = iam_role(aws(&b), &name, trust).await;
        inline_policy(aws(&b), &name, "ca", &doc).await;
        arns.push(arn);
    }
    let v = vars(&[("cluster", cluster)]);
    let cases = [
        (Some(&arns[0]), Pass, "may scale the node groups' ASGs"),
        (Some(&arns[1]), Warn, "not eks:DescribeNodegroup"),
        (Some(&arns[2]), Fail, "autoscaling:SetDesiredCapacity → implicitDeny"),
        (None, Fail, "has no AWS identity of its own"),
    ];
    for (arn, status, part) in cases {
        let ns = namespace(&c, "ca-iam").await;
        annotated_sa(&c, &ns, "cluster-autoscaler", arn.map(String::as_str)).await;
        let _: Deployment = create(&c, &ns, ca(cluster, "cluster-autoscaler", json!({"type": "kwok"}))).await;
        assert_status(&run(&b, &spec("ca.iam", &[("namespace", &ns)]), &v).await, status, part);
    }
}

pub(crate) async fn crd(c: &kube::Client, group: &str, kind: &str, plural: &str, version: &str, scope: &str) {
    let api: Api<CustomResourceDefinition> = Api::all(c.clone());
    let obj: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")}, "scope": scope,
            "versions": [{"name": version, "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("crd");
    match api.create(&PostParams::default(), &obj).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {}
        Err(e) => panic!("crd: {e}"),
    }
}

#[tokio::test]
async fn ca_image_must_match_the_clusters_minor() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cluster = unique("ca-minor");
    aws(&b)
        .eks
        .create_cluster()
        .name(&cluster)
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .version("1.36")
        .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-a").build())
        .send()
        .await
        .expect("cluster");
    let v = table_vars(&[("cluster", &cluster)]);
    let ns = namespace(&c, "ca-minor").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "cluster-autoscaler"}})).await;
    let _: Deployment = create(&c, &ns, ca(&cluster, "cluster-autoscaler", json!({"type": "kwok"}))).await; // v1.35.0
    let s = spec("ca.deployed", &[("namespace", &ns)]);
    let r = run_until(&b, &s, &v, Fail, "release for Kubernetes 1.35").await;
    assert_status(
        &r,
        Fail,
        "cluster-autoscaler runs registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0, the release for Kubernetes 1.35, on a 1.36 cluster",
    );
    assert!(
        r.message.contains(&format!(
            "kubectl -n {ns} set image deployment/cluster-autoscaler cluster-autoscaler=registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1"
        )),
        "the table's release for 1.36: {r:?}"
    );
    assert_eq!(r.expected.as_deref(), Some("a v1.36.x image for the 1.36 cluster"));

    let api: kube::Api<Deployment> = kube::Api::namespaced(c.clone(), &ns);
    api.patch("cluster-autoscaler", &kube::api::PatchParams::default(), &kube::api::Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "cluster-autoscaler", "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1"}]}}}}))).await.expect("set image");
    status_map(&c, &ns, &now_ca()).await;
    assert_status(&run_until(&b, &s, &v, Pass, "available").await, Pass, "cluster-autoscaler 1/1 available");
    delete_namespace(&c, &ns).await;
}

#[tokio::test]
async fn ca_autodiscovery_flag_missing_or_naming_no_cluster() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cluster = unique("ca-flag");
    let v = vars(&[("cluster", &cluster)]);
    let want = format!("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}");
    // the same Deployment with its command's last argument, the discovery flag, replaced
    let with_flag = |flag: Option<&str>| {
        let mut d = ca(&cluster, "default", json!({"type": "kwok"}));
        let command = d.pointer_mut("/spec/template/spec/containers/0/command").and_then(|c| c.as_array_mut()).expect("command");
        command.pop();
        if let Some(f) = flag {
            command.push(json!(f));
        }
        d
    };

    let ns = namespace(&c, "ca-noflag").await;
    let _: Deployment = create(&c, &ns, with_flag(None)).await;
    let r = run(&b, &spec("ca.autodiscovery", &[("namespace", &ns)]), &v).await;
    assert_status(&r, Fail, "no --node-group-auto-discovery flag: CA manages no node group");
    assert_eq!(r.found.as_deref(), Some("no flag"));
    assert_eq!(r.expected, Some(format!("asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}")));
    assert_eq!(
        r.next,
        Some(format!(
            "add {want} to the container command of {ns}/cluster-autoscaler: kubectl apply -f cluster-autoscaler/cluster-autoscaler.yaml (it has the flag), or kubectl -n {ns} edit deployment cluster-autoscaler"
        ))
    );

    // only the enabled tag: CA would take every cluster's ASGs in the region
    let ns2 = namespace(&c, "ca-nocluster").await;
    let _: Deployment = create(&c, &ns2, with_flag(Some("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled"))).await;
    let r = run(&b, &spec("ca.autodiscovery", &[("namespace", &ns2)]), &v).await;
    assert_status(&r, Fail, "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled names no cluster");
    assert_eq!(r.found.as_deref(), Some("asg:tag=k8s.io/cluster-autoscaler/enabled"));
    assert_eq!(r.expected, Some(format!("…,k8s.io/cluster-autoscaler/{cluster}")));
    assert_eq!(
        r.next,
        Some(format!(
            "set the container's flag to {want}: kubectl -n {ns2} edit deployment cluster-autoscaler, or kubectl apply -f cluster-autoscaler/cluster-autoscaler.yaml (kubedojo files writes it for cluster {cluster})"
        ))
    );
    delete_namespace(&c, &ns).await;
    delete_namespace(&c, &ns2).await;
}
