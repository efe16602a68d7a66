//! Managed node groups: `eksctl create nodegroup -f [--include/--exclude]` (and those of `create
//! cluster`), `scale nodegroup`, `delete nodegroup`, `get nodegroup`. What eksctl's node group
//! stack makes (the node role, the launch template with its metadata options), what EKS makes
//! behind the group (its Auto Scaling group, tagged as EKS tags it), and the instances joining
//! as nodes: kwok nodes with the labels, taints and providerID EKS gives managed nodes.
//!
//! Sources (eksctl-io/eksctl): pkg/cfn/builder/managed_nodegroup.go and iam.go (the node role's
//! policies), pkg/cfn/builder/nodegroup.go `makeMetadataOptions` (IMDSv2 unless disableIMDSv1 is
//! false; hop limit 1 with disablePodIMDS, else 2), pkg/actions/nodegroup/scale.go and
//! pkg/ctl/cmdutils/scale.go (the flags and their checks), pkg/drain/nodegroup.go (cordon and
//! evict before deleting), pkg/ctl/get/nodegroup.go (the table's columns). The node labels:
//! EKS's `eks.amazonaws.com/nodegroup`, `eks.amazonaws.com/capacityType` and the well-known
//! topology and instance labels (EKS user guide, "Managed node groups").

use std::collections::BTreeMap;

use aws_sdk_eks::types::{CapacityTypes, NodegroupScalingConfig, TaintEffect};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::config::{ClusterConfig, DEFAULT_NODE_TYPE, NodeGroup, sizes};
use super::{Ctx, aws_err, info, success};

/// What a group's nodes are made from.
struct Group {
    cluster: String,
    name: String,
    labels: BTreeMap<String, String>,
    taints: Vec<(String, String, String)>,
    types: Vec<String>,
    spot: bool,
    zones: Vec<String>,
    /// The root volume (GiB): what the node reports as its ephemeral storage.
    disk_gib: i32,
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((a, b)) => name.len() >= a.len() + b.len() && name.starts_with(a) && name.ends_with(b),
        None => pattern == name,
    }
}

pub async fn create_from_config(ctx: &Ctx, c: &ClusterConfig, include: &[String], exclude: &[String]) -> Result<(), String> {
    let name = &c.metadata.name;
    ctx.aws.eks.describe_cluster().name(name).send().await.map_err(|e| aws_err("eks:DescribeCluster", e))?;
    let existing = ctx.aws.eks.list_nodegroups().cluster_name(name).send().await.map_err(|e| aws_err("eks:ListNodegroups", e))?.nodegroups.unwrap_or_default();
    let mut chosen = Vec::new();
    for ng in &c.managed_node_groups {
        let included = include.is_empty() || include.iter().any(|p| glob(p, &ng.name));
        if !included || exclude.iter().any(|p| glob(p, &ng.name)) {
            continue;
        }
        if existing.contains(&ng.name) {
            info(&format!("nodegroup {:?} already exists in cluster {name:?}, skipping", ng.name));
            continue;
        }
        chosen.push(ng);
    }
    let skipped = c.managed_node_groups.len() - chosen.len();
    if skipped > 0 {
        info(&format!("{skipped} managed nodegroup(s) were excluded or already exist"));
    }
    if chosen.is_empty() {
        info("no nodegroups to create");
        return Ok(());
    }
    info(&format!("will create a CloudFormation stack for each of {} managed nodegroups in cluster {name:?}", chosen.len()));
    create_all(ctx, c, &chosen).await?;
    success(&format!("created {} managed nodegroup(s) in cluster {name:?}", chosen.len()));
    Ok(())
}

/// The private subnets (id, zone) eksctl made for the cluster.
async fn private_subnets(ctx: &Ctx, cluster: &str, private: bool) -> Result<Vec<(String, String)>, String> {
    let role = if private { "kubernetes.io/role/internal-elb" } else { "kubernetes.io/role/elb" };
    let out = ctx
        .aws
        .ec2
        .describe_subnets()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(cluster).build())
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag-key").values(role).build())
        .send()
        .await
        .map_err(|e| aws_err("ec2:DescribeSubnets", e))?;
    let mut list: Vec<(String, String)> = out.subnets.unwrap_or_default().into_iter().filter_map(|s| Some((s.subnet_id?, s.availability_zone?))).collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    if list.is_empty() {
        return Err(format!("cluster {cluster:?} has no subnets made by eksctl (the sandbox's eksctl adds node groups to clusters it created)"));
    }
    Ok(list)
}

pub async fn create_all(ctx: &Ctx, c: &ClusterConfig, groups: &[&NodeGroup]) -> Result<(), String> {
    for ng in groups {
        let private = private_subnets(ctx, &c.metadata.name, ng.private_networking == Some(true)).await?;
        let subnets: Vec<(String, String)> =
            if ng.availability_zones.is_empty() { private } else { private.into_iter().filter(|(_, z)| ng.availability_zones.contains(z)).collect() };
        create_one(ctx, c, ng, &subnets).await?;
    }
    Ok(())
}

async fn create_one(ctx: &Ctx, c: &ClusterConfig, ng: &NodeGroup, subnets: &[(String, String)]) -> Result<(), String> {
    let (aws, cluster) = (&ctx.aws, c.metadata.name.as_str());
    let (min, desired, max) = sizes(ng)?;
    let mut tags = super::eksctl_tags(c);
    tags.insert("alpha.eksctl.io/nodegroup-name".into(), ng.name.clone());
    tags.insert("alpha.eksctl.io/nodegroup-type".into(), "managed".into());
    tags.extend(ng.tags.clone());
    let role_name = super::iam::generated_name(&format!("eksctl-{cluster}-nodegroup-{}-NodeInstanceRole", ng.name));
    let (role, role_arn) = super::iam::role(
        ctx,
        &role_name,
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole"]}]}),
        &tags,
    )
    .await?;
    for p in ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"] {
        super::iam::attach(ctx, &role, &format!("arn:aws:iam::aws:policy/{p}")).await?;
    }
    let types: Vec<String> =
        if ng.instance_types.is_empty() { vec![ng.instance_type.clone().unwrap_or_else(|| DEFAULT_NODE_TYPE.to_string())] } else { ng.instance_types.clone() };
    let mut req = aws
        .eks
        .create_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(&ng.name)
        .node_role(&role_arn)
        .set_subnets(Some(subnets.iter().map(|(id, _)| id.clone()).collect()))
        .set_instance_types(Some(types.clone()))
        .capacity_type(if ng.spot { CapacityTypes::Spot } else { CapacityTypes::OnDemand })
        .scaling_config(NodegroupScalingConfig::builder().min_size(min).desired_size(desired).max_size(max).build())
        .set_labels(Some(ng.labels.clone().into_iter().collect()))
        .set_tags(Some(tags.clone().into_iter().collect()));
    for t in &ng.taints {
        let effect = match t.effect.as_str() {
            "NoExecute" => TaintEffect::NoExecute,
            "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
            _ => TaintEffect::NoSchedule,
        };
        req = req.taints(aws_sdk_eks::types::Taint::builder().key(&t.key).value(&t.value).effect(effect).build());
    }
    if let Some(u) = &ng.update_config {
        req = req.update_config(
            aws_sdk_eks::types::NodegroupUpdateConfig::builder()
                .set_max_unavailable(u.max_unavailable)
                .set_max_unavailable_percentage(u.max_unavailable_percentage)
                .build(),
        );
    }
    let group = req.send().await.map_err(|e| aws_err("eks:CreateNodegroup", e))?.nodegroup.ok_or("eks:CreateNodegroup: no node group")?;
    let asg = group.resources.and_then(|r| r.auto_scaling_groups?.first()?.name.clone()).unwrap_or_else(|| format!("eks-{}-{}", ng.name, cluster));
    // eksctl's launch template (nodegroup.go makeMetadataOptions)
    let template = format!("eksctl-{cluster}-nodegroup-{}", ng.name);
    let tokens = if ng.disable_imdsv1 == Some(false) && ng.disable_pod_imds != Some(true) { "optional" } else { "required" };
    let hop = if ng.disable_pod_imds == Some(true) { 1 } else { 2 };
    aws.ec2
        .create_launch_template()
        .launch_template_name(&template)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .instance_type(aws_sdk_ec2::types::InstanceType::from(types[0].as_str()))
                .metadata_options(
                    aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptionsRequest::builder()
                        .http_tokens(aws_sdk_ec2::types::LaunchTemplateHttpTokensState::from(tokens))
                        .http_put_response_hop_limit(hop)
                        .build(),
                )
                .block_device_mappings(
                    aws_sdk_ec2::types::LaunchTemplateBlockDeviceMappingRequest::builder()
                        .device_name("/dev/xvda")
                        .ebs(
                            aws_sdk_ec2::types::LaunchTemplateEbsBlockDeviceRequest::builder()
                                .volume_size(ng.volume_size.unwrap_or(super::config::DEFAULT_VOLUME_SIZE))
                                .volume_type(aws_sdk_ec2::types::VolumeType::from(ng.volume_type.as_deref().unwrap_or("gp3")))
                                .encrypted(ng.volume_encrypted.unwrap_or(false))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| aws_err("ec2:CreateLaunchTemplate", e))?;
    // the group's Auto Scaling group as EKS tags it; propagateASGTags adds Cluster Autoscaler's
    // node-template tags (eksctl pkg/actions/nodegroup/create.go, propagateManagedNodeGroupTags)
    let mut asg_tags = vec![
        ("eks:cluster-name".to_string(), cluster.to_string()),
        ("eks:nodegroup-name".to_string(), ng.name.clone()),
        ("k8s.io/cluster-autoscaler/enabled".to_string(), "true".to_string()),
        (format!("k8s.io/cluster-autoscaler/{cluster}"), "owned".to_string()),
        (format!("kubernetes.io/cluster/{cluster}"), "owned".to_string()),
    ];
    if ng.propagate_asg_tags == Some(true) {
        asg_tags.extend(ng.labels.iter().map(|(k, v)| (format!("k8s.io/cluster-autoscaler/node-template/label/{k}"), v.clone())));
        asg_tags.extend(ng.taints.iter().map(|t| (format!("k8s.io/cluster-autoscaler/node-template/taint/{}", t.key), format!("{}:{}", t.value, t.effect))));
        asg_tags.extend(ng.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut create = aws
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&asg)
        .launch_template(aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_name(&template).version("$Latest").build())
        .min_size(min)
        .max_size(max)
        .desired_capacity(0)
        .vpc_zone_identifier(subnets.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>().join(","))
        .capacity_rebalance(ng.spot);
    for (k, v) in asg_tags {
        create = create.tags(
            aws_sdk_autoscaling::types::Tag::builder().key(k).value(v).resource_id(&asg).resource_type("auto-scaling-group").propagate_at_launch(true).build(),
        );
    }
    create.send().await.map_err(|e| aws_err("autoscaling:CreateAutoScalingGroup", e))?;
    let zones: Vec<String> = subnets.iter().map(|(_, z)| z.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let taints = ng.taints.iter().map(|t| (t.key.clone(), t.value.clone(), t.effect.clone())).collect();
    let disk_gib = ng.volume_size.unwrap_or(super::config::DEFAULT_VOLUME_SIZE);
    let g = Group { cluster: cluster.to_string(), name: ng.name.clone(), labels: ng.labels.clone(), taints, types, spot: ng.spot, zones, disk_gib };
    join_nodes(ctx, &g, desired).await?;
    info(&format!("nodegroup {:?} has {desired} node(s)", ng.name));
    Ok(())
}

/// The group's nodes in the sandbox cluster.
async fn nodes_of(ctx: &Ctx, group: &str) -> Result<Vec<Node>, String> {
    let list = Api::<Node>::all(ctx.kube.clone())
        .list(&ListParams::default().labels(&format!("eks.amazonaws.com/nodegroup={group}")))
        .await
        .map_err(|e| format!("listing nodes: {}", crate::kube_text::error(&e)))?;
    let mut items = list.items;
    items.sort_by_key(|n| n.metadata.name.clone());
    Ok(items)
}

/// Add nodes until the group has `want`: each an instance in one of the group's zones, in turn.
async fn join_nodes(ctx: &Ctx, g: &Group, want: i32) -> Result<(), String> {
    let have = nodes_of(ctx, &g.name).await?.len() as i32;
    let api = Api::<Node>::all(ctx.kube.clone());
    for i in have..want.max(0) {
        let z = i as usize % g.zones.len().max(1);
        let zone = g.zones.get(z).cloned().unwrap_or_else(|| format!("{}a", ctx.region));
        let mut attempt = 0u64;
        loop {
            let h = super::hash(&format!("{}/{}/{i}/{attempt}", g.cluster, g.name));
            let (third, fourth) = (96 + 32 * (z as u64 % 3) + h % 32, 1 + (h >> 8) % 254);
            let name = format!("ip-192-168-{third}-{fourth}.{}.compute.internal", ctx.region);
            let mut labels = g.labels.clone();
            labels.extend([
                ("eks.amazonaws.com/nodegroup".to_string(), g.name.clone()),
                ("eks.amazonaws.com/capacityType".to_string(), if g.spot { "SPOT" } else { "ON_DEMAND" }.to_string()),
                ("alpha.eksctl.io/cluster-name".to_string(), g.cluster.clone()),
                ("alpha.eksctl.io/nodegroup-name".to_string(), g.name.clone()),
                ("topology.kubernetes.io/zone".to_string(), zone.clone()),
                ("topology.kubernetes.io/region".to_string(), ctx.region.clone()),
                ("node.kubernetes.io/instance-type".to_string(), g.types[i as usize % g.types.len()].clone()),
                ("kubernetes.io/hostname".to_string(), name.clone()),
                ("kubernetes.io/os".to_string(), "linux".to_string()),
                ("kubernetes.io/arch".to_string(), "amd64".to_string()),
            ]);
            let node: Node = serde_json::from_value(json!({
                // kwok's annotation: kwok keeps the node Ready and runs its pods
                "metadata": {"name": name, "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
                "spec": {
                    "providerID": format!("aws:///{zone}/i-0{:016x}", h),
                    "taints": g.taints.iter().map(|(k, v, e)| json!({"key": k, "value": v, "effect": e})).collect::<Vec<_>>(),
                },
                "status": super::super::nodes::resources(g.disk_gib),
            }))
            .map_err(|e| e.to_string())?;
            match api.create(&PostParams::default(), &node).await {
                Ok(_) => break,
                Err(kube::Error::Api(s)) if s.code == 409 && attempt < 20 => attempt += 1,
                Err(e) => return Err(format!("creating node {name}: {}", crate::kube_text::error(&e))),
            }
        }
    }
    Ok(())
}

/// Cordon the nodes, evict their pods (DaemonSet pods stay, as `kubectl drain` leaves them),
/// then remove them: the instances terminating.
async fn remove_nodes(ctx: &Ctx, nodes: &[Node]) -> Result<(), String> {
    let api = Api::<Node>::all(ctx.kube.clone());
    for n in nodes {
        let name = n.metadata.name.clone().unwrap_or_default();
        api.patch(&name, &PatchParams::default(), &Patch::Merge(json!({"spec": {"unschedulable": true}})))
            .await
            .map_err(|e| format!("cordoning {name}: {}", crate::kube_text::error(&e)))?;
        info(&format!("cordon node {name:?}"));
        let pods = Api::<Pod>::all(ctx.kube.clone())
            .list(&ListParams::default().fields(&format!("spec.nodeName={name}")))
            .await
            .map_err(|e| format!("listing pods on {name}: {}", crate::kube_text::error(&e)))?;
        for p in pods.items {
            if p.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet") {
                continue;
            }
            let api: Api<Pod> = Api::namespaced(ctx.kube.clone(), p.metadata.namespace.as_deref().unwrap_or("default"));
            let _ = api.delete(p.metadata.name.as_deref().unwrap_or_default(), &DeleteParams::default()).await;
        }
    }
    if !nodes.is_empty() {
        success(&format!("drained all nodes: [{}]", nodes.iter().filter_map(|n| n.metadata.name.clone()).collect::<Vec<_>>().join(" ")));
    }
    for n in nodes {
        let _ = api.delete(n.metadata.name.as_deref().unwrap_or_default(), &DeleteParams::default()).await;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    #[arg(long, short = 'r')]
    pub region: Option<String>,
    #[arg(long, short = 'n')]
    pub name: Option<String>,
    #[arg(long, short = 'N')]
    pub nodes: Option<i32>,
    #[arg(long = "nodes-min", short = 'm')]
    pub nodes_min: Option<i32>,
    #[arg(long = "nodes-max", short = 'M')]
    pub nodes_max: Option<i32>,
    #[arg(long, short = 'w')]
    pub wait: bool,
}

/// `eksctl scale nodegroup` (scale.go validateNumberOfNodesCLI, then eks:UpdateNodegroupConfig).
pub async fn scale(ctx: &Ctx, a: &ScaleArgs) -> Result<(), String> {
    let cluster = a.cluster.clone().ok_or("--cluster must be set")?;
    let name = a.name.clone().ok_or("a config file is required when --name is not set or when scaling multiple nodegroups")?;
    let (d, mn, mx) = (a.nodes, a.nodes_min, a.nodes_max);
    if d.is_none() && mn.is_none() && mx.is_none() {
        return Err("at least one of minimum, maximum and desired nodes must be set".into());
    }
    if d.is_some_and(|d| d < 0) {
        return Err("number of nodes must be 0 or greater".into());
    }
    if mn.is_some_and(|m| m < 0) {
        return Err("minimum of nodes must be 0 or greater".into());
    }
    if mx.is_some_and(|m| m < 0) {
        return Err("maximum of nodes must be 0 or greater".into());
    }
    if let (Some(x), Some(m)) = (mx, mn)
        && x < m
    {
        return Err("maximum number of nodes must be greater than minimum number of nodes".into());
    }
    if let (Some(x), Some(d)) = (mx, d)
        && x < d
    {
        return Err("maximum number of nodes must be greater than or equal to number of nodes".into());
    }
    if let (Some(m), Some(d)) = (mn, d)
        && m > d
    {
        return Err("minimum number of nodes must be fewer than or equal to number of nodes".into());
    }
    info(&format!("scaling nodegroup {name:?} in cluster {cluster}"));
    let group = ctx
        .aws
        .eks
        .describe_nodegroup()
        .cluster_name(&cluster)
        .nodegroup_name(&name)
        .send()
        .await
        .map_err(|e| aws_err("eks:DescribeNodegroup", e))?
        .nodegroup
        .ok_or("no node group")?;
    let cur = group.scaling_config.clone().unwrap_or_else(|| NodegroupScalingConfig::builder().build());
    let desired = d.or(cur.desired_size).unwrap_or(0);
    let min = mn.or(cur.min_size).unwrap_or(0);
    let max = mx.or(cur.max_size).unwrap_or(desired.max(1));
    if desired < min || desired > max {
        return Err(format!("the desired nodes {desired} is not within the range of min nodes {min} and max nodes {max}"));
    }
    ctx.aws
        .eks
        .update_nodegroup_config()
        .cluster_name(&cluster)
        .nodegroup_name(&name)
        .scaling_config(NodegroupScalingConfig::builder().min_size(min).desired_size(desired).max_size(max).build())
        .send()
        .await
        .map_err(|e| aws_err("eks:UpdateNodegroupConfig", e))?;
    info("initiated scaling of nodegroup");
    if let Some(asg) = group.resources.as_ref().and_then(|r| r.auto_scaling_groups.as_ref()?.first()?.name.clone()) {
        let _ = ctx.aws.autoscaling.update_auto_scaling_group().auto_scaling_group_name(asg).min_size(min).max_size(max).send().await;
    }
    let nodes = nodes_of(ctx, &name).await?;
    if (nodes.len() as i32) > desired {
        remove_nodes(ctx, &nodes[desired as usize..]).await?;
    } else {
        let subnets: Vec<String> = group.subnets.clone().unwrap_or_default();
        let zones = if subnets.is_empty() {
            Vec::new()
        } else {
            let out = ctx.aws.ec2.describe_subnets().set_subnet_ids(Some(subnets)).send().await.map_err(|e| aws_err("ec2:DescribeSubnets", e))?;
            let mut z: Vec<String> = out.subnets.unwrap_or_default().into_iter().filter_map(|s| s.availability_zone).collect();
            z.sort();
            z.dedup();
            z
        };
        let g = Group {
            cluster: cluster.clone(),
            name: name.clone(),
            labels: group.labels.clone().unwrap_or_default().into_iter().collect(),
            taints: group
                .taints
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|t| {
                    let effect = match t.effect.as_ref().map(|e| e.as_str()) {
                        Some("NO_EXECUTE") => "NoExecute",
                        Some("PREFER_NO_SCHEDULE") => "PreferNoSchedule",
                        _ => "NoSchedule",
                    };
                    (t.key.unwrap_or_default(), t.value.unwrap_or_default(), effect.to_string())
                })
                .collect(),
            types: group.instance_types.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| vec![DEFAULT_NODE_TYPE.to_string()]),
            spot: group.capacity_type == Some(CapacityTypes::Spot),
            zones,
            // a launch template's volume is not in DescribeNodegroup (diskSize is for groups without one)
            disk_gib: group.disk_size.unwrap_or(super::config::DEFAULT_VOLUME_SIZE),
        };
        join_nodes(ctx, &g, desired).await?;
    }
    info("nodegroup successfully scaled");
    Ok(())
}

pub async fn delete(ctx: &Ctx, cluster: &str, name: &str) -> Result<(), String> {
    delete_quiet(ctx, cluster, name).await?;
    success(&format!("deleted 1 nodegroup(s) from cluster {cluster:?}"));
    Ok(())
}

/// Drain and delete one group: its nodes, its Auto Scaling group and launch template, the group,
/// its node role.
pub async fn delete_quiet(ctx: &Ctx, cluster: &str, name: &str) -> Result<(), String> {
    let group = ctx
        .aws
        .eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .map_err(|e| aws_err("eks:DescribeNodegroup", e))?
        .nodegroup
        .ok_or("no node group")?;
    remove_nodes(ctx, &nodes_of(ctx, name).await?).await?;
    info(&format!("will delete stack \"eksctl-{cluster}-nodegroup-{name}\""));
    if let Some(asg) = group.resources.as_ref().and_then(|r| r.auto_scaling_groups.as_ref()?.first()?.name.clone()) {
        let _ = ctx.aws.autoscaling.delete_auto_scaling_group().auto_scaling_group_name(asg).force_delete(true).send().await;
    }
    let _ = ctx.aws.ec2.delete_launch_template().launch_template_name(format!("eksctl-{cluster}-nodegroup-{name}")).send().await;
    ctx.aws.eks.delete_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map_err(|e| aws_err("eks:DeleteNodegroup", e))?;
    if let Some(role) = group.node_role.as_deref().and_then(|arn| arn.rsplit('/').next()) {
        super::iam::delete_role(ctx, role).await?;
    }
    Ok(())
}

pub async fn get(ctx: &Ctx, cluster: &str, name: Option<&str>) -> Result<(), String> {
    let names = match name {
        Some(n) => vec![n.to_string()],
        None => ctx.aws.eks.list_nodegroups().cluster_name(cluster).send().await.map_err(|e| aws_err("eks:ListNodegroups", e))?.nodegroups.unwrap_or_default(),
    };
    if names.is_empty() {
        info(&format!("no nodegroups found in cluster {cluster:?}"));
        return Ok(());
    }
    let head = ["CLUSTER", "NODEGROUP", "STATUS", "CREATED", "MIN SIZE", "MAX SIZE", "DESIRED CAPACITY", "INSTANCE TYPE", "IMAGE ID", "ASG NAME", "TYPE"];
    let mut rows = vec![head.map(str::to_string)];
    for n in names {
        let g = ctx
            .aws
            .eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(&n)
            .send()
            .await
            .map_err(|e| aws_err("eks:DescribeNodegroup", e))?
            .nodegroup
            .ok_or("no node group")?;
        let s = g.scaling_config.clone().unwrap_or_else(|| NodegroupScalingConfig::builder().build());
        let num = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
        rows.push([
            cluster.to_string(),
            n,
            g.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default(),
            g.created_at.map(|t| t.to_string()).unwrap_or_default(),
            num(s.min_size),
            num(s.max_size),
            num(s.desired_size),
            g.instance_types.clone().unwrap_or_default().join(","),
            g.ami_type.as_ref().map(|a| a.as_str().to_string()).unwrap_or_else(|| "AL2023_x86_64_STANDARD".into()),
            g.resources.as_ref().and_then(|r| r.auto_scaling_groups.as_ref()?.first()?.name.clone()).unwrap_or_default(),
            "managed".into(),
        ]);
    }
    print!("{}", super::table(&rows));
    Ok(())
}
