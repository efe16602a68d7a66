//! Production-practice checks: PDBs, NetworkPolicies and their enforcement, CSI drivers,
//! prefix delegation, Spot interruption handling, scale to zero.

use crate::live::*;
use aws_sdk_eks::types::{CapacityTypes, TaintEffect};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kube::api::{Api, PostParams};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use kubedojo::content::ParamValue;
use serde_json::json;

fn deployment(name: &str, replicas: i32, node_selector: serde_json::Value) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"nodeSelector": node_selector, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "nginx:1.27"}]}}
        }
    })
}

fn with_list(kind: &str, params: &[(&str, &str)], name: &str, values: &[&str]) -> kubedojo::content::CheckSpec {
    let mut s = spec(kind, params);
    s.params.insert(name.into(), ParamValue::List(values.iter().map(|v| v.to_string()).collect()));
    s
}

#[tokio::test]
async fn pdb_cases() {
    let b = backend(None, false).await;
    let c = client(&b);
    let check = |ns: &str| with_list("pdb.critical", &[("namespace", ns)], "deployments", &["payments"]);
    let v = vars(&[]);
    let cases: [(i32, Option<serde_json::Value>, kubedojo::checks::CheckStatus, &str); 5] = [
        (3, Some(json!({"maxUnavailable": 1})), Pass, "payments by payments (1 may go)"),
        (3, None, Fail, "no PDB selects payments"),
        (3, Some(json!({"minAvailable": 3})), Fail, "disruptionsAllowed=0 (minAvailable 3 of 3 healthy): drains will hang"),
        (1, Some(json!({"maxUnavailable": 1})), Fail, "protects 1 pod: run 2 or more replicas"),
        (0, Some(json!({"maxUnavailable": 1})), Fail, "matches 0 pods"),
    ];
    for (replicas, pdb, status, part) in cases {
        let ns = namespace(&c, "pdb").await;
        let _: Deployment = create(&c, &ns, deployment("payments", replicas, json!({"type": "kwok"}))).await;
        if let Some(rule) = pdb {
            let mut spec = json!({"selector": {"matchLabels": {"app": "payments"}}});
            spec.as_object_mut().expect("object").extend(rule.as_object().expect("rule").clone());
            let _: PodDisruptionBudget = create(&c, &ns, json!({"metadata": {"name": "payments"}, "spec": spec})).await;
        }
        assert_status(&run_until(&b, &check(&ns), &v, status, part).await, status, part);
    }
}

async fn aws_node(c: &kube::Client, ns: &str, policy_agent: bool, prefix: &str) {
    let args = json!([format!("--enable-network-policy={policy_agent}")]);
    let _: DaemonSet = create(c, ns, json!({
        "metadata": {"name": "aws-node"},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "aws-node"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "aws-node"}},
                "spec": {
                    "nodeSelector": {"type": "kwok"},
                    "containers": [
                        {"name": "aws-node", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0", "env": [{"name": "ENABLE_PREFIX_DELEGATION", "value": prefix}]},
                        {"name": "aws-eks-nodeagent", "image": "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.0", "args": args}
                    ]
                }
            }
        }
    }))
    .await;
}

async fn netpol(c: &kube::Client, ns: &str, name: &str, spec: serde_json::Value) {
    let _: NetworkPolicy = create(c, ns, json!({"metadata": {"name": name}, "spec": spec})).await;
}

#[tokio::test]
async fn network_isolation_and_enforcement() {
    let b = backend(None, false).await;
    let c = client(&b);
    let (on, off) = (namespace(&c, "cni-on").await, namespace(&c, "cni-off").await);
    aws_node(&c, &on, true, "true").await;
    aws_node(&c, &off, false, "true").await;
    let deny = json!({"podSelector": {}, "policyTypes": ["Ingress"]});
    let same = json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]});
    let check = |ns: &str, cni: &str| with_list("netpol.isolation", &[("cniNamespace", cni)], "namespaces", &[ns]);
    let v = vars(&[]);

    let good = namespace(&c, "tenant").await;
    netpol(&c, &good, "default-deny", deny.clone()).await;
    netpol(&c, &good, "allow-same-ns", same.clone()).await;
    assert_status(&run(&b, &check(&good, &on), &v).await, Pass, "enforced by the VPC CNI network policy agent");
    assert_status(&run(&b, &check(&good, &off), &v).await, Fail, "policies not enforced: --enable-network-policy=false");

    let open = namespace(&c, "tenant-open").await;
    netpol(&c, &open, "default-deny", deny.clone()).await;
    netpol(&c, &open, "allow-everyone", json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]})).await;
    assert_status(&run(&b, &check(&open, &on), &v).await, Fail, "allow-everyone allows all namespaces (namespaceSelector: {})");

    let nodeny = namespace(&c, "tenant-nodeny").await;
    netpol(&c, &nodeny, "allow-same-ns", same).await;
    assert_status(&run(&b, &check(&nodeny, &on), &v).await, Fail, "no default-deny");

    let lonely = namespace(&c, "tenant-lonely").await;
    netpol(&c, &lonely, "default-deny", deny).await;
    assert_status(&run(&b, &check(&lonely, &on), &v).await, Fail, "without a same-namespace allow");
}

#[tokio::test]
async fn prefix_delegation_on_aws_node() {
    let b = backend(None, false).await;
    let c = client(&b);
    let (on, off, none) = (namespace(&c, "pd-on").await, namespace(&c, "pd-off").await, namespace(&c, "pd-none").await);
    aws_node(&c, &on, true, "true").await;
    aws_node(&c, &off, true, "false").await;
    let check = |ns: &str| spec("cni.prefix-delegation", &[("namespace", ns)]);
    let v = vars(&[]);
    assert_status(&run(&b, &check(&on), &v).await, Pass, "ENABLE_PREFIX_DELEGATION=true");
    let r = run(&b, &check(&off), &v).await;
    assert_status(&r, Fail, "ENABLE_PREFIX_DELEGATION=false");
    // the lab's whole configuration file: update-addon replaces the add-on's configuration, so
    // a bare ENABLE_PREFIX_DELEGATION would turn the network policy agent off again
    let next = r.next.as_deref().unwrap_or_default();
    assert!(
        next.contains("aws eks update-addon --cluster-name kubedojo-lab")
            && next.contains("--configuration-values file://production-hardening/vpc-cni-config.json"),
        "says what to run: {r:?}"
    );
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("false"), Some("true")));
    assert_status(&run(&b, &check(&none), &v).await, Skip, "no VPC CNI (aws-node) on a local cluster");
}

#[tokio::test]
async fn csi_drivers_and_storage_classes() {
    let b = backend(None, false).await;
    let c = client(&b);
    let v = vars(&[]);
    let drivers: Api<CSIDriver> = Api::all(c.clone());
    let _ = drivers.delete("efs.csi.aws.com", &Default::default()).await;
    let s = spec("csi.efs", &[]);
    assert_status(&run_until(&b, &s, &v, Fail, "CSIDriver").await, Fail, "CSIDriver efs.csi.aws.com missing");
    let driver: CSIDriver = serde_json::from_value(json!({"metadata": {"name": "efs.csi.aws.com"}, "spec": {"attachRequired": false}})).expect("driver");
    drivers.create(&PostParams::default(), &driver).await.expect("create driver");
    let good = unique("efs-sc");
    storage_class(&c, &good, "efs.csi.aws.com", json!({"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0", "directoryPerms": "700"})).await;
    assert_status(&run(&b, &s, &v).await, Pass, "CSIDriver efs.csi.aws.com is registered");
    let bad = unique("efs-nofs");
    storage_class(&c, &bad, "efs.csi.aws.com", json!({"provisioningMode": "efs-ap"})).await;
    assert_status(&run(&b, &s, &v).await, Fail, &format!("EFS StorageClass {bad} lacks fileSystemId"));
    let _ = Api::<StorageClass>::all(c.clone()).delete(&bad, &Default::default()).await;

    // EBS with the EKS API: the controller and its role
    ebs_csi_driver(&c).await;
    let with_aws = backend(None, true).await;
    let ns = ebs_csi_controller(&c, "ebs", None, json!({"type": "kwok"})).await;
    let ebs = spec("csi.ebs", &[("namespace", &ns)]);
    assert_status(
        &run_until(&with_aws, &ebs, &v, Fail, "has no AWS identity").await,
        Fail,
        "has no AWS identity of its own (no eks.amazonaws.com/role-arn annotation, no Pod Identity association): the driver cannot create volumes, so PVCs stay Pending",
    );
    let ns2 = ebs_csi_controller(&c, "ebs", Some("arn:aws:iam::123456789012:role/ebs-csi"), json!({"no-such-node": "x"})).await;
    let ebs2 = spec("csi.ebs", &[("namespace", &ns2)]);
    assert_status(&run(&with_aws, &ebs2, &v).await, Fail, "ebs-csi-controller has no available replica");
    let ns3 = ebs_csi_controller(&c, "ebs", Some("arn:aws:iam::123456789012:role/ebs-csi"), json!({"type": "kwok"})).await;
    let ebs3 = spec("csi.ebs", &[("namespace", &ns3)]);
    assert_status(&run_until(&with_aws, &ebs3, &v, Pass, "uses").await, Pass, "ebs-csi-controller-sa uses IRSA role arn:aws:iam::123456789012:role/ebs-csi");
}

async fn cluster_with_group(aws: &Aws, group: &str, capacity: CapacityTypes, min: i32, taint: bool) -> (String, String) {
    let cluster = moto_cluster(aws, "prac").await;
    let taint = taint.then_some(("env", "dev", TaintEffect::NoSchedule));
    let asg = nodegroup(aws, &cluster, Group { name: group, min, max: 3, capacity, types: &["m6i.large", "m5.large"], taint }).await;
    (cluster, asg)
}

#[tokio::test]
async fn spot_interruption_handling() {
    let b = backend(None, true).await;
    let c = client(&b);
    let app = namespace(&c, "spot-app").await;
    let s = spec("spot.interruption", &[("nodegroup", "spot")]);
    // managed Spot with capacity rebalancing
    let (cluster, name) = cluster_with_group(aws(&b), "spot", CapacityTypes::Spot, 1, false).await;
    auto_scaling_group(aws(&b), &name, 0, 3, Some(true), &[]).await;
    let v = vars(&[("cluster", &cluster), ("appNs", &app)]);
    assert_status(&run(&b, &s, &v).await, Pass, "managed Spot with capacity rebalancing");
    let _: Deployment = create(&c, &app, deployment("catalog", 1, json!({"eks.amazonaws.com/capacityType": "SPOT"}))).await;
    assert_status(&run(&b, &s, &v).await, Fail, "catalog on Spot with 1 replica");
    // two replicas, but nothing limits how many a drain evicts
    let scale = serde_json::json!({"spec": {"replicas": 3}});
    kube::Api::<Deployment>::namespaced(c.clone(), &app)
        .patch("catalog", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&scale))
        .await
        .expect("scale");
    assert_status(&run(&b, &s, &v).await, Fail, "catalog on Spot has no PodDisruptionBudget");
    let _: k8s_openapi::api::policy::v1::PodDisruptionBudget =
        create(&c, &app, json!({"metadata": {"name": "catalog"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "catalog"}}}})).await;
    assert_status(&run(&b, &s, &v).await, Pass, "catalog on Spot with 2+ replicas and a PDB");
    // the exercise names the workloads that must be on Spot
    let named = with_list("spot.interruption", &[("nodegroup", "spot")], "deployments", &["catalog", "search"]);
    let r = run(&b, &named, &v).await;
    assert_status(&r, Fail, "/search not found: deploy the Spot workloads");
    let _: Deployment = create(&c, &app, deployment("search", 2, json!({}))).await;
    assert_status(&run(&b, &named, &v).await, Fail, "search is not pinned to Spot");
    // no mechanism: on-demand group, no handler (this test is the only one creating one)
    let (cluster2, _) = cluster_with_group(aws(&b), "spot", CapacityTypes::OnDemand, 1, false).await;
    let empty = namespace(&c, "spot-none").await;
    let v2 = vars(&[("cluster", &cluster2), ("appNs", &empty)]);
    assert_status(&run(&b, &s, &v2).await, Fail, "no interruption handling for spot");
}

#[tokio::test]
async fn dev_group_scales_to_zero() {
    let b = backend(None, true).await;
    let s = spec("dev.scale-to-zero", &[("nodegroup", "dev")]);
    let (one, _) = cluster_with_group(aws(&b), "dev", CapacityTypes::OnDemand, 1, false).await;
    let r = run(&b, &s, &vars(&[("cluster", &one), ("region", "eu-west-1")])).await;
    assert_status(&r, Fail, "minSize 1, expected 0");
    assert!(
        r.next
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("eksctl scale nodegroup --cluster {one} --region eu-west-1 --name dev --nodes-min 0 --nodes 0")),
        "says what to run: {r:?}"
    );
    let (zero, _) = cluster_with_group(aws(&b), "dev", CapacityTypes::OnDemand, 0, false).await;
    assert_status(&run(&b, &s, &vars(&[("cluster", &zero)])).await, Pass, "can scale to 0 (minSize 0)");
    let (tainted, name) = cluster_with_group(aws(&b), "dev", CapacityTypes::OnDemand, 0, true).await;
    auto_scaling_group(aws(&b), &name, 0, 3, Some(false), &[]).await;
    let ca_ns = namespace(&client(&b), "no-ca").await;
    let v = vars(&[("cluster", &tainted), ("caNamespace", &ca_ns)]);
    assert_status(&run(&b, &s, &v).await, Fail, "tainted group at 0 but CA cannot learn its taints");
    let (tagged, name) = cluster_with_group(aws(&b), "dev", CapacityTypes::OnDemand, 0, true).await;
    auto_scaling_group(aws(&b), &name, 0, 3, Some(false), &[("k8s.io/cluster-autoscaler/node-template/taint/env", "dev:NoSchedule")]).await;
    assert_status(&run(&b, &s, &vars(&[("cluster", &tagged)])).await, Pass, "its ASG tags tell Cluster Autoscaler its taints");
    // without AWS: the dev workloads are at 0
    let local = backend(None, false).await;
    let c = client(&local);
    let dev = namespace(&c, "dev").await;
    let _: Deployment = create(&c, &dev, deployment("api", 1, json!({"type": "kwok"}))).await;
    assert_status(&run(&local, &s, &vars(&[("devNs", &dev)])).await, Fail, "still has replicas");
    let dev0 = namespace(&c, "dev").await;
    let _: Deployment = create(&c, &dev0, deployment("api", 0, json!({"type": "kwok"}))).await;
    assert_status(&run(&local, &s, &vars(&[("devNs", &dev0)])).await, Pass, "scaled to 0");
}

#[tokio::test]
async fn prefix_delegation_without_aws_node_on_eks() {
    let c = client(&backend(None, false).await);
    let ns = namespace(&c, "pd-eks").await;
    // an EKS target (the test cluster with the emulator): no aws-node means no VPC CNI, not a local cluster
    let eks = eks_backend().await;
    let cluster = unique("pd-cluster");
    let r = run(&eks, &spec("cni.prefix-delegation", &[("namespace", &ns)]), &vars(&[("cluster", &cluster), ("region", "eu-west-1")])).await;
    assert_status(&r, Fail, &format!("DaemonSet {ns}/aws-node not found: is the VPC CNI installed?"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no aws-node"), Some("aws-node")));
    assert_eq!(r.next, Some(format!("install the VPC CNI as an EKS add-on: eksctl create addon --cluster {cluster} --region eu-west-1 --name vpc-cni")));
    delete_namespace(&c, &ns).await;
}
