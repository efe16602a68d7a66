//! Node group checks: the EKS API in the emulator, nodes simulated by kwok. Node groups get
//! unique names (nodes are cluster-wide, and tests run in parallel).

mod live;

use aws_sdk_eks::types::{CapacityTypes, NodegroupScalingConfig, Taint, TaintEffect};
use kubedojo::checks::CheckStatus::*;
use kubedojo::checks::backend::Aws;
use kubedojo::content::ParamValue;
use live::*;
use serde_json::json;

async fn cluster(aws: &Aws) -> String {
    moto_cluster(aws, "ng").await
}

struct Group<'a> {
    name: &'a str,
    min: i32,
    capacity: CapacityTypes,
    types: &'a [&'a str],
    taint: Option<(&'a str, &'a str, TaintEffect)>,
}

async fn nodegroup(aws: &Aws, cluster: &str, g: Group<'_>) -> String {
    let mut req = aws
        .eks
        .create_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(g.name)
        .node_role("arn:aws:iam::123456789012:role/node")
        .subnets("subnet-a")
        .capacity_type(g.capacity)
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(g.min)
                .max_size(4)
                .desired_size(g.min)
                .build(),
        );
    for t in g.types {
        req = req.instance_types(*t);
    }
    if let Some((k, v, e)) = g.taint {
        req = req.taints(Taint::builder().key(k).value(v).effect(e).build());
    }
    let out = req.send().await.expect("create nodegroup");
    out.nodegroup
        .and_then(|n| n.resources?.auto_scaling_groups?.first()?.name.clone())
        .unwrap_or_default()
}

fn list_spec(kind: &str, name: &str, values: &[String]) -> kubedojo::content::CheckSpec {
    let mut s = spec(kind, &[]);
    s.params
        .insert(name.into(), ParamValue::List(values.to_vec()));
    s
}

#[tokio::test]
async fn node_groups_present_and_missing() {
    let b = backend(None, true).await;
    let cl = cluster(aws(&b)).await;
    let names: Vec<String> = ["general", "critical", "spot"]
        .iter()
        .map(|n| n.to_string())
        .collect();
    for n in &names[..2] {
        nodegroup(
            aws(&b),
            &cl,
            Group {
                name: n,
                min: 1,
                capacity: CapacityTypes::OnDemand,
                types: &["m6i.large"],
                taint: None,
            },
        )
        .await;
    }
    let v = vars(&[("cluster", &cl)]);
    let s = list_spec("nodegroup.present", "nodegroups", &names);
    assert_status(
        &run(&b, &s, &v).await,
        Fail,
        "Node group spot missing; found [",
    );
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: "spot",
            min: 1,
            capacity: CapacityTypes::Spot,
            types: &["m6i.large", "m5.large"],
            taint: None,
        },
    )
    .await;
    assert_status(
        &run(&b, &s, &v).await,
        Pass,
        "are ACTIVE without health issues",
    );
}

#[tokio::test]
async fn node_groups_from_node_labels_without_aws() {
    let b = backend(None, false).await;
    let c = client(&b);
    let pool = unique("pool");
    let node = unique("node");
    kwok_node(
        &c,
        &node,
        json!({"lab/pool": pool, "type": "kwok-test"}),
        json!([]),
        true,
    )
    .await;
    let s = list_spec(
        "nodegroup.present",
        "nodegroups",
        std::slice::from_ref(&pool),
    );
    assert_status(&run(&b, &s, &vars(&[])).await, Pass, "node labels");
    let s = list_spec(
        "nodegroup.present",
        "nodegroups",
        &[pool.clone(), "absent-pool".into()],
    );
    assert_status(
        &run(&b, &s, &vars(&[])).await,
        Fail,
        "Node group absent-pool missing",
    );
    let s = list_spec("nodes.ready", "nodegroups", std::slice::from_ref(&pool));
    assert_status(
        &run_until(&b, &s, &vars(&[]), Pass, "1/1").await,
        Pass,
        &format!("{pool} 1/1"),
    );
    delete_nodes(&c, &[node]).await;
}

#[tokio::test]
async fn ready_nodes_against_min_size() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cl = cluster(aws(&b)).await;
    let ng = unique("general");
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &ng,
            min: 2,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: None,
        },
    )
    .await;
    let (ready, stuck) = (unique("ready"), unique("stuck"));
    kwok_node(
        &c,
        &ready,
        json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}),
        json!([]),
        true,
    )
    .await;
    // not managed by kwok: it never turns Ready
    kwok_node(
        &c,
        &stuck,
        json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}),
        json!([]),
        false,
    )
    .await;
    let v = vars(&[("cluster", &cl)]);
    let s = list_spec("nodes.ready", "nodegroups", std::slice::from_ref(&ng));
    let r = run_until(&b, &s, &v, Fail, "1/2 Ready").await;
    assert_status(&r, Fail, &format!("{ng}: 1/2 Ready; {stuck} NotReady"));
    let other = unique("ready");
    kwok_node(
        &c,
        &other,
        json!({"eks.amazonaws.com/nodegroup": ng, "type": "kwok-test"}),
        json!([]),
        true,
    )
    .await;
    assert_status(
        &run_until(&b, &s, &v, Pass, "2/2").await,
        Pass,
        &format!("{ng} 2/2"),
    );
    delete_nodes(&c, &[ready, stuck, other]).await;
}

#[tokio::test]
async fn critical_taint_in_the_api_and_on_every_node() {
    let b = backend(None, true).await;
    let c = client(&b);
    let cl = cluster(aws(&b)).await;
    let v = vars(&[
        ("cluster", &cl),
        ("criticalTaint", "dedicated=critical:NoSchedule"),
    ]);
    let (good, none, effect) = (unique("crit"), unique("crit-none"), unique("crit-effect"));
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &good,
            min: 1,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: Some(("dedicated", "critical", TaintEffect::NoSchedule)),
        },
    )
    .await;
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &none,
            min: 1,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: None,
        },
    )
    .await;
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &effect,
            min: 1,
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
    assert_status(
        &run(&b, &check(&good), &v).await,
        Pass,
        "carry dedicated=critical:NoSchedule",
    );
    assert_status(
        &run(&b, &check(&none), &v).await,
        Fail,
        "has no taints; expected dedicated=critical:NoSchedule",
    );
    assert_status(
        &run(&b, &check(&effect), &v).await,
        Fail,
        "effect NO_EXECUTE, expected NO_SCHEDULE",
    );
    let bare = unique("bare");
    kwok_node(
        &c,
        &bare,
        json!({"eks.amazonaws.com/nodegroup": good, "type": "kwok-test"}),
        json!([]),
        true,
    )
    .await;
    assert_status(
        &run(&b, &check(&good), &v).await,
        Fail,
        &format!("node {bare} lacks the taint"),
    );
    delete_nodes(&c, &[tainted, bare]).await;
}

async fn asg(aws: &Aws, name: &str, rebalance: bool) {
    let lc = unique("lc");
    aws.autoscaling
        .create_launch_configuration()
        .launch_configuration_name(&lc)
        .image_id("ami-12c6146b")
        .instance_type("m6i.large")
        .send()
        .await
        .expect("launch configuration");
    aws.autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_configuration_name(&lc)
        .min_size(0)
        .max_size(2)
        .availability_zones("eu-west-1a")
        .capacity_rebalance(rebalance)
        .send()
        .await
        .expect("create ASG");
}

#[tokio::test]
async fn spot_group_capacity_types_and_rebalancing() {
    let b = backend(None, true).await;
    let cl = cluster(aws(&b)).await;
    let v = vars(&[("cluster", &cl)]);
    let (good, ondemand, single, norebalance) =
        (unique("spot"), unique("od"), unique("one"), unique("norb"));
    let a = nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &good,
            min: 1,
            capacity: CapacityTypes::Spot,
            types: &["m6i.large", "m5.large"],
            taint: None,
        },
    )
    .await;
    asg(aws(&b), &a, true).await;
    nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &ondemand,
            min: 1,
            capacity: CapacityTypes::OnDemand,
            types: &["m6i.large"],
            taint: None,
        },
    )
    .await;
    let a = nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &single,
            min: 1,
            capacity: CapacityTypes::Spot,
            types: &["m6i.large"],
            taint: None,
        },
    )
    .await;
    asg(aws(&b), &a, true).await;
    let a = nodegroup(
        aws(&b),
        &cl,
        Group {
            name: &norebalance,
            min: 1,
            capacity: CapacityTypes::Spot,
            types: &["m6i.large", "m5.large"],
            taint: None,
        },
    )
    .await;
    asg(aws(&b), &a, false).await;
    let check = |ng: &str| spec("nodegroup.spot", &[("nodegroup", ng)]);
    assert_status(
        &run(&b, &check(&good), &v).await,
        Pass,
        "is SPOT over 2 instance types",
    );
    assert_status(
        &run(&b, &check(&ondemand), &v).await,
        Fail,
        "capacityType ON_DEMAND, expected SPOT",
    );
    assert_status(&run(&b, &check(&single), &v).await, Warn, "1 instance type");
    assert_status(
        &run(&b, &check(&norebalance), &v).await,
        Fail,
        "CapacityRebalance=false",
    );
    let local = backend(None, false).await;
    assert_status(&run(&local, &check(&good), &v).await, Skip, "has none");
}

/// The node group's ASG launching from a template with these metadata options.
async fn asg_with_template(aws: &Aws, name: &str, hop: i32, tokens_required: bool) {
    let lt = unique("lt");
    let tokens = if tokens_required { aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Required } else { aws_sdk_ec2::types::LaunchTemplateHttpTokensState::Optional };
    aws.ec2
        .create_launch_template()
        .launch_template_name(&lt)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .metadata_options(aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder().http_tokens(tokens).http_put_response_hop_limit(hop).build())
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
    let cases = [(2, true, Fail, "HttpPutResponseHopLimit 2: pods can reach the instance metadata service and use the node role"), (1, false, Warn, "hop limit 1, but HttpTokens optional"), (1, true, Pass, "IMDSv2 with a hop limit of 1")];
    for (hop, required, status, part) in cases {
        let c = cluster(aws).await;
        let asg = nodegroup(aws, &c, Group { name: "general", min: 1, capacity: CapacityTypes::OnDemand, types: &["m6i.large"], taint: None }).await;
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
