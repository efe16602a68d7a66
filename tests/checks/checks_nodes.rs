//! Node group checks: the EKS API in the emulator, nodes simulated by kwok. Node groups get
//! unique names (nodes are cluster-wide, and tests run in parallel).

use crate::live::*;
use aws_sdk_eks::types::{CapacityTypes, TaintEffect};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use kubedojo::content::ParamValue;
use serde_json::json;

async fn cluster(aws: &Aws) -> String {
    moto_cluster(aws, "ng").await
}

fn list_spec(kind: &str, name: &str, values: &[String]) -> kubedojo::content::CheckSpec {
    let mut s = spec(kind, &[]);
    s.params.insert(name.into(), ParamValue::List(values.to_vec()));
    s
}

#[tokio::test]
async fn node_groups_present_and_missing() {
    let b = backend(None, true).await;
    let cl = cluster(aws(&b)).await;
    let names: Vec<String> = ["general", "critical", "spot"].iter().map(|n| n.to_string()).collect();
    for n in &names[..2] {
        nodegroup(aws(&b), &cl, Group { name: n, min: 1, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
    }
    let v = vars(&[("cluster", &cl)]);
    let s = list_spec("nodegroup.present", "nodegroups", &names);
    assert_status(&run(&b, &s, &v).await, Fail, "Node group spot missing; found [");
    nodegroup(aws(&b), &cl, Group { name: "spot", min: 1, max: 4, capacity: CapacityTypes::Spot, types: &["m6i.large", "m5.large"], taint: None }).await;
    assert_status(&run(&b, &s, &v).await, Pass, "are ACTIVE without health issues");
}

#[tokio::test]
async fn node_groups_from_node_labels_without_aws() {
    let b = backend(None, false).await;
    let c = client(&b);
    let pool = unique("pool");
    let node = unique("node");
    kwok_node(&c, &node, json!({"lab/pool": pool, "type": "kwok-test"}), json!([]), true).await;
    let s = list_spec("nodegroup.present", "nodegroups", std::slice::from_ref(&pool));
    assert_status(&run(&b, &s, &vars(&[])).await, Pass, "node labels");
    let s = list_spec("nodegroup.present", "nodegroups", &[pool.clone(), "absent-pool".into()]);
    assert_status(&run(&b, &s, &vars(&[])).await, Fail, "Node group absent-pool missing");
    let s = list_spec("nodes.ready", "nodegroups", std::slice::from_ref(&pool));
    assert_status(&run_until(&b, &s, &vars(&[]), Pass, "1/1").await, Pass, &format!("{pool} 1/1"));
    delete_nodes(&c, &[node]).await;
}

#[tokio::test]
async fn ready_nodes_against_min_size() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cl = cluster(aws(&b)).await;
    let ng = unique("general");
    nodegroup(aws(&b), &cl, Group { name: &ng, min: 2, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
    let (ready, stuck) = (unique("ready"), unique("stuck"));
    kwok_node(&c, &ready, json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}), json!([]), true).await;
    // not managed by kwok: it never turns Ready
    kwok_node(&c, &stuck, json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}), json!([]), false).await;
    let v = vars(&[("cluster", &cl)]);
    let s = list_spec("nodes.ready", "nodegroups", std::slice::from_ref(&ng));
    let r = run_until(&b, &s, &v, Fail, "1/2 Ready").await;
    assert_status(&r, Fail, &format!("{ng}: 1/2 Ready; {stuck} NotReady"));
    let other = unique("ready");
    kwok_node(&c, &other, json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}), json!([]), true).await;
    assert_status(&run_until(&b, &s, &v, Pass, "2/2").await, Pass, &format!("{ng} 2/2"));
    delete_nodes(&c, &[ready, stuck, other]).await;
}

#[tokio::test]
async fn critical_taint_in_the_api_and_on_every_node() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cl = cluster(aws(&b)).await;
    let v = vars(&[("cluster", &cl), ("criticalTaint", "dedicated=critical:NoSchedule")]);
    let (good, none, effect) = (unique("crit"), unique("crit-none"), unique("crit-effect"));
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &good,
            min: 1,
            max: 4,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: Some(("dedicated", "critical", TaintEffect::NoSchedule)),
        },
    )
    .await;
    nodegroup(aws(&b), &cl, Group { name: &none, min: 1, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &effect,
            min: 1,
            max: 4,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: Some(("dedicated", "critical", TaintEffect::NoExecute)),
        },
    )
    .await;
    let tainted = unique("tainted");
    kwok_node(
        &c,
        &tainted,
        json!({"eks.amazonaws.com/nodegroup": good, "type": "kwok-test"}),
        json!([{"key": "dedicated", "value": "critical", "effect": "NoSchedule"}]),
        true,
    )
    .await;
    let check = |ng: &str| spec("nodegroup.critical-taint", &[("nodegroup", ng)]);
    assert_status(&run(&b, &check(&good), &v).await, Pass, "carry dedicated=critical:NoSchedule");
    assert_status(&run(&b, &check(&none), &v).await, Fail, "has no taints; expected dedicated=critical:NoSchedule");
    assert_status(&run(&b, &check(&effect), &v).await, Fail, "effect NO_EXECUTE, expected NO_SCHEDULE");
    let bare = unique("bare");
    kwok_node(&c, &bare, json!({"eks.amazonaws.com/nodegroup": good, "type": "kwok-test"}), json!([]), true).await;
    assert_status(&run(&b, &check(&good), &v).await, Fail, &format!("node {bare} lacks the taint"));
    delete_nodes(&c, &[tainted, bare]).await;
}

#[tokio::test]
async fn spot_group_capacity_types_and_rebalancing() {
    let b = backend(None, true).await;
    let cl = cluster(aws(&b)).await;
    let v = vars(&[("cluster", &cl)]);
    let (good, ondemand, single, norebalance) = (unique("spot"), unique("od"), unique("one"), unique("norb"));
    let a = nodegroup(aws(&b), &cl, Group { name: &good, min: 1, max: 4, capacity: CapacityTypes::Spot, types: &["m6i.large", "m5.large"], taint: None }).await;
    auto_scaling_group(aws(&b), &a, 0, 2, Some(true), &[]).await;
    nodegroup(aws(&b), &cl, Group { name: &ondemand, min: 1, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
    let a = nodegroup(aws(&b), &cl, Group { name: &single, min: 1, max: 4, capacity: CapacityTypes::Spot, types: &["m6i.large"], taint: None }).await;
    auto_scaling_group(aws(&b), &a, 0, 2, Some(true), &[]).await;
    let a =
        nodegroup(aws(&b), &cl, Group { name: &norebalance, min: 1, max: 4, capacity: CapacityTypes::Spot, types: &["m6i.large", "m5.large"], taint: None })
            .await;
    auto_scaling_group(aws(&b), &a, 0, 2, Some(false), &[]).await;
    let check = |ng: &str| spec("nodegroup.spot", &[("nodegroup", ng)]);
    assert_status(&run(&b, &check(&good), &v).await, Pass, "is SPOT over 2 instance types");
    assert_status(&run(&b, &check(&ondemand), &v).await, Fail, "capacityType ON_DEMAND, expected SPOT");
    assert_status(&run(&b, &check(&single), &v).await, Warn, "1 instance type");
    assert_status(&run(&b, &check(&norebalance), &v).await, Fail, "CapacityRebalance=false");
    let local = backend(None, false).await;
    assert_status(&run(&local, &check(&good), &v).await, Skip, "has none");
}

/// The node group's ASG launching from a template with these metadata options.
async fn asg_with_template(aws: &Aws, name: &str, hop: i32, tokens_required: bool) {
    let lt = unique("lt");
    let tokens =
        if tokens_required { aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required } else { aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Optional };
    aws.ec2
        .create_launch_template()
        .launch_template_name(&lt)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .metadata_options(
                    aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder().http_tokens(tokens).http_put_response_hop_limit(hop).build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("launch template");
    aws.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_name(&lt).version("$Latest").build())
        .min_size(0)
        .max_size(2)
        .availability_zones("eu-west-1a")
        .send()
        .await
        .expect("create ASG");
}

#[tokio::test]
async fn pods_cannot_reach_the_instance_metadata_service() {
    let b = backend(None, true).await;
    let aws = aws(&b);
    let cases = [
        (2, true, Fail, "HttpPutResponseHopLimit 2: pods can reach the instance metadata service and use the node role"),
        (1, false, Warn, "hop limit 1, but HttpTokens optional"),
        (1, true, Pass, "IMDSv2 with a hop limit of 1"),
    ];
    for (hop, required, status, part) in cases {
        let c = cluster(aws).await;
        let asg = nodegroup(aws, &c, Group { name: "general", min: 1, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
        asg_with_template(aws, &asg, hop, required).await;
        let r = run(&b, &list_spec("nodegroup.imds", "nodegroups", &["general".to_string()]), &vars(&[("cluster", &c)])).await;
        assert_status(&r, status, part);
        if status == Fail {
            assert!(r.message.contains("set disablePodIMDS: true on general in eks-cluster/cluster.yaml"), "says what to change: {r:?}");
            assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("hop limit 2"), Some("hop limit 1")));
        }
    }
    assert_status(&run(&backend(None, false).await, &spec("nodegroup.imds", &[]), &vars(&[])).await, Skip, "needs AWS");
}

#[tokio::test]
async fn missing_groups_name_the_command_that_creates_them() {
    let b = backend(None, true).await;
    // the cluster exists, the asked group does not: each check names the command that creates it
    let cl = cluster(aws(&b)).await;
    let v = vars(&[("cluster", &cl)]);
    let absent = unique("absent");
    for s in [
        spec("nodegroup.critical-taint", &[("nodegroup", &absent)]),
        list_spec("nodegroup.imds", "nodegroups", std::slice::from_ref(&absent)),
        spec("nodegroup.spot", &[("nodegroup", &absent)]),
    ] {
        let r = run(&b, &s, &v).await;
        assert_status(&r, Fail, &format!("Node group {absent} missing"));
        assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("no node group"), Some(absent.as_str())), "{}", s.kind);
        assert_eq!(r.next.as_deref(), Some(format!("eksctl create nodegroup -f eks-cluster/cluster.yaml --include={absent}").as_str()), "{}", s.kind);
    }
}

#[tokio::test]
async fn critical_taint_key_and_value_must_match() {
    let b = backend(None, true).await;
    let cl = cluster(aws(&b)).await;
    let v = vars(&[("cluster", &cl), ("criticalTaint", "dedicated=critical:NoSchedule")]);
    let (other_key, other_value) = (unique("crit-key"), unique("crit-value"));
    for (ng, taint) in [(&other_key, ("team", "critical", TaintEffect::NoSchedule)), (&other_value, ("dedicated", "batch", TaintEffect::NoSchedule))] {
        nodegroup(aws(&b), &cl, Group { name: ng, min: 1, max: 4, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: Some(taint) }).await;
    }
    let set_taint = |ng: &str| {
        format!(
            "aws eks update-nodegroup-config --cluster-name {cl} --region eu-west-1 --nodegroup-name {ng} --taints 'addOrUpdateTaints=[{{key=dedicated,value=critical,effect=NO_SCHEDULE}}]', then replace the nodes launched before it"
        )
    };

    let r = run(&b, &spec("nodegroup.critical-taint", &[("nodegroup", &other_key)]), &v).await;
    assert_status(&r, Fail, &format!("{other_key} has no taint dedicated; expected dedicated=critical:NoSchedule"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("team"), Some("dedicated=critical:NoSchedule")));
    assert_eq!(r.next, Some(set_taint(&other_key)));

    let r = run(&b, &spec("nodegroup.critical-taint", &[("nodegroup", &other_value)]), &v).await;
    assert_status(&r, Fail, "taint dedicated=batch, expected dedicated=critical");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("batch"), Some("critical")));
    assert_eq!(r.next, Some(set_taint(&other_value)));
}

#[tokio::test]
async fn spot_group_node_without_the_spot_label() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cl = cluster(aws(&b)).await;
    let ng = unique("spot-label");
    let a = nodegroup(aws(&b), &cl, Group { name: &ng, min: 1, max: 4, capacity: CapacityTypes::Spot, types: &["m6i.large", "m5.large"], taint: None }).await;
    auto_scaling_group(aws(&b), &a, 0, 2, Some(true), &[]).await;
    // a node of the group that says it runs on demand, with the EC2 instance behind it
    let node = unique("od-node");
    let api: kube::Api<k8s_openapi::api::core::v1::Node> = kube::Api::all(c.clone());
    let n = serde_json::from_value(json!({
        "metadata": {"name": node, "labels": {"eks.amazonaws.com/nodegroup": ng, "eks.amazonaws.com/capacityType": "ON_DEMAND", "type": "kwok-test"}},
        "spec": {"providerID": "aws:///eu-west-1a/i-0123456789abcdef0"}
    }))
    .expect("node");
    api.create(&Default::default(), &n).await.expect("create node");
    let r = run(&b, &spec("nodegroup.spot", &[("nodegroup", &ng)]), &vars(&[("cluster", &cl)])).await;
    assert_status(&r, Fail, &format!("node {node} of {ng} is not labelled eks.amazonaws.com/capacityType=SPOT"));
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("not SPOT"), Some("SPOT")));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.contains(&format!("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data")), "{r:?}");
    assert!(next.contains("aws autoscaling terminate-instance-in-auto-scaling-group --region eu-west-1 --instance-id i-0123456789abcdef0 --no-should-decrement-desired-capacity"), "{r:?}");
    delete_nodes(&c, &[node]).await;
}

/// A VPC with one subnet in each of `zones`; their ids.
async fn subnets(aws: &Aws, zones: &[&str]) -> Vec<String> {
    let vpc = aws.ec2.create_vpc().cidr_block("10.20.0.0/16").send().await.expect("vpc").vpc.and_then(|v| v.vpc_id).expect("vpc id");
    let mut ids = Vec::new();
    for (i, z) in zones.iter().enumerate() {
        let s = aws.ec2.create_subnet().vpc_id(&vpc).cidr_block(format!("10.20.{i}.0/24")).availability_zone(*z).send().await.expect("subnet");
        ids.push(s.subnet.and_then(|s| s.subnet_id).expect("subnet id"));
    }
    ids
}

async fn cluster_in(aws: &Aws, subnet_ids: &[String]) -> String {
    let name = unique("az");
    let vpc = aws_sdk_eks::types::VpcConfigRequest::builder().set_subnet_ids(Some(subnet_ids.to_vec())).build();
    aws.eks.create_cluster().name(&name).role_arn("arn:aws:iam::123456789012:role/eks").resources_vpc_config(vpc).send().await.expect("create cluster");
    name
}

/// The only test that gives nodes a zone label: the zone checks count every Ready node of the
/// shared cluster.
#[tokio::test]
async fn zones_of_subnets_and_ready_nodes() {
    let b = backend(None, true).await;
    let c = client(&b);
    let s = spec("cluster.multi-az", &[]);
    let update_vpc = |cl: &str| {
        format!(
            "give the control plane subnets in 2 or more AZs: eksctl utils update-cluster-vpc-config --cluster {cl} --region eu-west-1 --control-plane-subnet-ids <subnet in AZ a>,<subnet in AZ b> --approve (aws ec2 describe-subnets lists the VPC's subnets and their zones)"
        )
    };

    let none = cluster_in(aws(&b), &[]).await;
    let r = run(&b, &s, &vars(&[("cluster", &none)])).await;
    assert_status(&r, Fail, "the cluster lists no subnets");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("0 subnets"), Some("subnets in 2 or more AZs")));
    assert_eq!(r.next, Some(update_vpc(&none)));

    let one = cluster_in(aws(&b), &subnets(aws(&b), &["eu-west-1a", "eu-west-1a"]).await).await;
    let r = run(&b, &s, &vars(&[("cluster", &one)])).await;
    assert_status(&r, Fail, "Subnets cover 1 AZ (eu-west-1a); need ≥2");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("1 AZ"), Some("2 or more AZs")));
    assert_eq!(r.next, Some(update_vpc(&one)));

    let two = cluster_in(aws(&b), &subnets(aws(&b), &["eu-west-1a", "eu-west-1b"]).await).await;
    let v = vars(&[("cluster", &two)]);
    let r = run(&b, &s, &v).await;
    assert_status(&r, Fail, "no Ready node has a zone label yet");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("0 zones"), Some("2 or more zones")));
    assert!(r.next.as_deref().unwrap_or_default().contains("kubectl get nodes -L eks.amazonaws.com/nodegroup,topology.kubernetes.io/zone -w"), "{r:?}");

    let (a, z) = (unique("zone-a"), unique("zone-b"));
    kwok_node(&c, &a, json!({"topology.kubernetes.io/zone": "eu-west-1a", "type": "kwok-test"}), json!([]), true).await;
    let r = run_until(&b, &s, &v, Fail, "All Ready nodes in").await;
    assert_status(&r, Fail, "All Ready nodes in eu-west-1a: spread node groups over ≥2 AZs");
    assert_eq!((r.found.as_deref(), r.expected.as_deref()), (Some("1 zone"), Some("2 or more zones")));
    assert!(r.next.as_deref().unwrap_or_default().contains("eksctl create nodegroup -f eks-cluster/cluster.yaml --include=<group>"), "{r:?}");

    kwok_node(&c, &z, json!({"topology.kubernetes.io/zone": "eu-west-1b", "type": "kwok-test"}), json!([]), true).await;
    assert_status(&run_until(&b, &s, &v, Pass, "span 2 zones").await, Pass, "Ready nodes span 2 zones (eu-west-1a, eu-west-1b)");
    delete_nodes(&c, &[a, z]).await;
}
