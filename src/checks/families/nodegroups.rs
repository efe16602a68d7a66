//! Managed node groups: present and healthy, enough Ready nodes, the critical taint, Spot.
//! On a local cluster the node label `eks.amazonaws.com/nodegroup` (or the lab's `lab/pool`)
//! stands in for the EKS API.

use std::collections::BTreeMap;

use aws_sdk_eks::types::Nodegroup;
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::ListParams;

use super::common::{CAPACITY_LABEL, LAB_POOL_LABEL, NODEGROUP_LABEL, cluster_missing, node_ready, region_flag};
use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, error, fail, pass, skip, warn};

fn group_of(n: &Node) -> Option<String> {
    let labels = n.metadata.labels.as_ref()?;
    labels.get(NODEGROUP_LABEL).or_else(|| labels.get(LAB_POOL_LABEL)).cloned()
}

/// Nodes by node group.
async fn nodes_by_group(ctx: &Ctx<'_>) -> Step<BTreeMap<String, Vec<Node>>> {
    let api: Api<Node> = Api::all(ctx.kube()?.clone());
    let list = kube_call("list nodes", api.list(&ListParams::default())).await?;
    let mut groups: BTreeMap<String, Vec<Node>> = BTreeMap::new();
    for n in list.items {
        if let Some(g) = group_of(&n) {
            groups.entry(g).or_default().push(n);
        }
    }
    Ok(groups)
}

pub async fn describe(ctx: &Ctx<'_>, name: &str) -> Step<Option<Nodegroup>> {
    describe_in(ctx, &ctx.cluster(), name).await
}

/// A node group of `cluster` (the lab's, or another the check names); `None` when it is not there.
pub async fn describe_in(ctx: &Ctx<'_>, cluster: &str, name: &str) -> Step<Option<Nodegroup>> {
    let aws = ctx.aws()?;
    let out = timed("eks:DescribeNodegroup", aws.eks.describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send()).await?;
    match out {
        Ok(o) => Ok(o.nodegroup),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(aws_error(&e, "eks:DescribeNodegroup")),
    }
}

/// The Auto Scaling groups behind a node group (none asked for when it has none: an empty
/// name list would describe every ASG of the region).
pub async fn asgs(ctx: &Ctx<'_>, group: &Nodegroup) -> Step<Vec<aws_sdk_autoscaling::types::AutoScalingGroup>> {
    let aws = ctx.aws()?;
    let names: Vec<String> =
        group.resources.as_ref().and_then(|r| r.auto_scaling_groups.clone()).unwrap_or_default().into_iter().filter_map(|a| a.name).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let out =
        timed("autoscaling:DescribeAutoScalingGroups", aws.autoscaling.describe_auto_scaling_groups().set_auto_scaling_group_names(Some(names)).send()).await?;
    Ok(out.map_err(|e| aws_error(&e, "autoscaling:DescribeAutoScalingGroups"))?.auto_scaling_groups.unwrap_or_default())
}

pub async fn list_names(ctx: &Ctx<'_>) -> Step<Vec<String>> {
    let aws = ctx.aws()?;
    let cluster = ctx.cluster();
    let out = timed("eks:ListNodegroups", aws.eks.list_nodegroups().cluster_name(&cluster).send()).await?;
    match out {
        Ok(o) => Ok(o.nodegroups.unwrap_or_default()),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => {
            Err(fail(format!("Cluster {cluster} not found")).found_expected("no cluster", &cluster).next(cluster_missing(ctx)))
        }
        Err(e) => Err(aws_error(&e, "eks:ListNodegroups")),
    }
}

/// Create one node group of the lab's ClusterConfig.
fn create_group(ng: &str) -> String {
    format!("eksctl create nodegroup -f eks-cluster/cluster.yaml --include={ng}")
}

/// Replace a node group whose launch settings cannot change in place (as the lab's spot step does).
fn recreate_group(ctx: &Ctx<'_>, ng: &str) -> String {
    format!("eksctl delete nodegroup --cluster {}{} --name {ng} --wait (it drains the nodes), then {}", ctx.cluster(), region_flag(ctx), create_group(ng))
}

/// Give a local cluster's node to a pool (no EKS API: the node label is the group).
fn label_local_node(ng: &str) -> String {
    format!("label a node for it (kubectl get nodes lists them): kubectl label node <node> {LAB_POOL_LABEL}={ng}")
}

/// The EC2 instance behind a node, from its providerID `aws:///<zone>/i-...`.
fn instance_id(n: &Node) -> Option<String> {
    let id = n.spec.as_ref()?.provider_id.as_deref()?.rsplit('/').next()?;
    id.starts_with("i-").then(|| id.to_string())
}

/// Replace one node of a managed node group: drain it, then terminate its instance so the
/// group launches a new one with the group's current settings.
fn replace_node(ctx: &Ctx<'_>, n: &Node) -> String {
    let name = n.metadata.name.clone().unwrap_or_default();
    let id = instance_id(n).unwrap_or_else(|| "<its instance id>".into());
    format!(
        "kubectl drain {name} --ignore-daemonsets --delete-emptydir-data, then aws autoscaling terminate-instance-in-auto-scaling-group{} --instance-id {id} --no-should-decrement-desired-capacity (its group launches a replacement)",
        region_flag(ctx)
    )
}

/// Inspect a node group's health from the EKS side.
fn describe_health(ctx: &Ctx<'_>, ng: &str) -> String {
    format!(
        "aws eks describe-nodegroup --cluster-name {}{} --nodegroup-name {ng} --query 'nodegroup.{{status:status,scaling:scalingConfig,issues:health.issues}}'",
        ctx.cluster(),
        region_flag(ctx)
    )
}

fn wanted(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.list("nodegroups", &["general", "critical", "spot"])
}

pub async fn present(ctx: &Ctx<'_>) -> Step<Outcome> {
    let want = wanted(ctx);
    if ctx.backend.aws.is_none() {
        let groups = nodes_by_group(ctx).await?;
        let found = if groups.is_empty() { "no labelled node".to_string() } else { groups.keys().map(String::as_str).collect::<Vec<_>>().join(", ") };
        for ng in &want {
            if !groups.contains_key(ng) {
                return Ok(fail(format!("Node group {ng} missing: no node labelled {LAB_POOL_LABEL}={ng} (or {NODEGROUP_LABEL}); found {found}"))
                    .found_expected(found.clone(), want.join(", "))
                    .next(label_local_node(ng)));
            }
        }
        return Ok(pass(format!("nodes of {} are present (node labels; no EKS API on this target)", want.join(", "))));
    }
    let names = list_names(ctx).await?;
    for ng in &want {
        if !names.contains(ng) {
            return Ok(fail(format!("Node group {ng} missing; found [{}]", names.join(", ")))
                .found_expected(format!("[{}]", names.join(", ")), format!("[{}]", want.join(", ")))
                .next(create_group(ng)));
        }
    }
    for ng in &want {
        let Some(group) = describe(ctx, ng).await? else { continue };
        let status = group.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default();
        let issues = group.health.and_then(|h| h.issues).unwrap_or_default();
        if let Some(issue) = issues.first() {
            let code = issue.code.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default();
            let asg = group.resources.as_ref().and_then(|r| r.auto_scaling_groups.as_ref()).and_then(|a| a.first()).and_then(|a| a.name.clone());
            let activities = asg
                .map(|a| {
                    format!(
                        "; the Auto Scaling group's side: aws autoscaling describe-scaling-activities{} --auto-scaling-group-name {a} --max-items 5",
                        region_flag(ctx)
                    )
                })
                .unwrap_or_default();
            return Ok(fail(format!("{ng} status {status}: {code} {}", issue.message.clone().unwrap_or_default()))
                .found_expected(code, "no health issues")
                .next(format!("read every issue: {}{activities}", describe_health(ctx, ng))));
        }
        if status != "ACTIVE" {
            let next = match status.as_str() {
                "CREATING" | "UPDATING" => {
                    format!("wait for it: aws eks wait nodegroup-active --cluster-name {}{} --nodegroup-name {ng}", ctx.cluster(), region_flag(ctx))
                }
                "DELETING" => format!("once it is gone, create it again: {}", create_group(ng)),
                _ => format!("read why: {}", describe_health(ctx, ng)),
            };
            return Ok(fail(format!("{ng} status {status}, expected ACTIVE")).found_expected(status, "ACTIVE").next(next));
        }
    }
    Ok(pass(format!("node groups {} are ACTIVE without health issues", want.join(", "))))
}

fn not_ready_reason(n: &Node) -> String {
    n.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map_or_else(|| "no Ready condition".to_string(), |c| c.reason.clone().unwrap_or_else(|| c.status.clone()))
}

pub async fn ready(ctx: &Ctx<'_>) -> Step<Outcome> {
    let want = wanted(ctx);
    let groups = nodes_by_group(ctx).await?;
    let mut summary = Vec::new();
    for ng in &want {
        let min = match ctx.backend.aws.as_ref() {
            Some(_) => describe(ctx, ng).await?.and_then(|g| g.scaling_config?.min_size).unwrap_or(1).max(1),
            None => 1,
        };
        let nodes = groups.get(ng).map(Vec::as_slice).unwrap_or_default();
        let ready = nodes.iter().filter(|n| node_ready(n)).count() as i32;
        if ready < min {
            let stuck = nodes.iter().find(|n| !node_ready(n));
            let detail = stuck.map(|n| format!("; {} NotReady ({})", n.metadata.name.clone().unwrap_or_default(), not_ready_reason(n))).unwrap_or_default();
            let next = match (stuck, ctx.backend.aws.is_some()) {
                (Some(n), _) => format!("read why in its conditions and events: kubectl describe node {}", n.metadata.name.clone().unwrap_or_default()),
                (None, true) => format!("too few nodes joined: {}", describe_health(ctx, ng)),
                (None, false) => label_local_node(ng),
            };
            return Ok(fail(format!("{ng}: {ready}/{min} Ready{detail}")).found_expected(format!("{ready} Ready"), format!("{min} Ready")).next(next));
        }
        summary.push(format!("{ng} {ready}/{min}"));
    }
    Ok(pass(format!("Ready nodes per group (ready/min): {}", summary.join(", "))))
}

/// `key=value:Effect` -> (key, value, effect)
fn parse_taint(t: &str) -> Option<(String, String, String)> {
    let (kv, effect) = t.rsplit_once(':')?;
    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
    Some((k.to_string(), v.to_string(), effect.to_string()))
}

/// `NoSchedule` -> `NO_SCHEDULE`
fn eks_effect(effect: &str) -> String {
    let mut out = String::new();
    for (i, c) in effect.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

pub async fn critical_taint(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ng = ctx.text("nodegroup", "criticalNodegroup", "critical");
    let taint = ctx.text("taint", "criticalTaint", "dedicated=critical:NoSchedule");
    let Some((key, value, effect)) = parse_taint(&taint) else {
        return Err(error(format!("taint parameter {taint:?} is not key=value:Effect")));
    };
    // the EKS API's taint of the group (new nodes get it; older ones must be replaced)
    let value_field = if value.is_empty() { String::new() } else { format!(",value={value}") };
    let set_taint = format!(
        "aws eks update-nodegroup-config --cluster-name {}{} --nodegroup-name {ng} --taints 'addOrUpdateTaints=[{{key={key}{value_field},effect={}}}]', then replace the nodes launched before it",
        ctx.cluster(),
        region_flag(ctx),
        eks_effect(&effect)
    );
    if ctx.backend.aws.is_some() {
        let Some(group) = describe(ctx, &ng).await? else {
            return Ok(fail(format!("Node group {ng} missing")).found_expected("no node group", &ng).next(create_group(&ng)));
        };
        let taints = group.taints.unwrap_or_default();
        if taints.is_empty() {
            return Ok(fail(format!("{ng} has no taints; expected {taint}")).found_expected("no taints", taint).next(set_taint));
        }
        let Some(t) = taints.iter().find(|t| t.key.as_deref() == Some(key.as_str())) else {
            let found: Vec<String> = taints.iter().map(|t| t.key.clone().unwrap_or_default()).collect();
            return Ok(fail(format!("{ng} has no taint {key}; expected {taint}")).found_expected(found.join(", "), taint).next(set_taint));
        };
        let found_effect = t.effect.as_ref().map(|e| e.as_str().to_string()).unwrap_or_default();
        if found_effect != eks_effect(&effect) {
            return Ok(fail(format!("effect {found_effect}, expected {}", eks_effect(&effect)))
                .found_expected(found_effect, eks_effect(&effect))
                .next(set_taint));
        }
        if t.value.as_deref().unwrap_or_default() != value {
            let v = t.value.clone().unwrap_or_default();
            return Ok(fail(format!("taint {key}={v}, expected {key}={value}")).found_expected(v, value).next(set_taint));
        }
    }
    let groups = nodes_by_group(ctx).await?;
    let nodes = groups.get(&ng).map(Vec::as_slice).unwrap_or_default();
    if nodes.is_empty() && ctx.backend.aws.is_none() {
        return Ok(fail(format!("no node labelled {LAB_POOL_LABEL}={ng} (or {NODEGROUP_LABEL}={ng})"))
            .found_expected("no nodes", format!("nodes of {ng}"))
            .next(format!(
                "pick a node (kubectl get nodes) for the pool: kubectl label node <node> {LAB_POOL_LABEL}={ng} && kubectl taint node <node> {taint}"
            )));
    }
    for n in nodes {
        let has = n
            .spec
            .as_ref()
            .and_then(|s| s.taints.as_ref())
            .is_some_and(|ts| ts.iter().any(|t| t.key == key && t.value.as_deref().unwrap_or_default() == value && t.effect == effect));
        if !has {
            let name = n.metadata.name.clone().unwrap_or_default();
            // EKS taints only the nodes it launches after the change: replace this one. A local
            // cluster has no EKS API, so the taint goes on the node itself.
            let next = if ctx.backend.aws.is_some() { replace_node(ctx, n) } else { format!("kubectl taint node {name} {taint}") };
            return Ok(fail(format!("node {name} lacks the taint {taint} (predates the update: recycle the node group)"))
                .found_expected("no taint", taint)
                .next(next));
        }
    }
    Ok(pass(format!("{ng} and its {} node(s) carry {taint}", nodes.len())))
}

/// The instance metadata options of a node group's nodes, from the launch template its Auto
/// Scaling group launches (EKS copies the options of eksctl's template into its own).
async fn metadata_options(ctx: &Ctx<'_>, group: &Nodegroup) -> Step<Vec<(String, Option<aws_sdk_ec2::types::LaunchTemplateInstanceMetadataOptions>)>> {
    let aws = ctx.aws()?;
    let mut out = Vec::new();
    for asg in asgs(ctx, group).await? {
        let spec = asg.launch_template.clone().or_else(|| asg.mixed_instances_policy.clone()?.launch_template?.launch_template_specification);
        let Some(spec) = spec else { continue };
        let mut req = aws.ec2.describe_launch_template_versions().versions(spec.version.clone().unwrap_or_else(|| "$Default".into()));
        req = match (&spec.launch_template_id, &spec.launch_template_name) {
            (Some(id), _) => req.launch_template_id(id),
            (None, Some(name)) => req.launch_template_name(name),
            _ => continue,
        };
        let versions = timed("ec2:DescribeLaunchTemplateVersions", req.send()).await?.map_err(|e| aws_error(&e, "ec2:DescribeLaunchTemplateVersions"))?;
        let options = versions.launch_template_versions.unwrap_or_default().into_iter().next().and_then(|v| v.launch_template_data?.metadata_options);
        out.push((asg.auto_scaling_group_name.unwrap_or_default(), options));
    }
    Ok(out)
}

/// Pods must not reach the instance metadata service, or they borrow the node role: IMDSv2
/// with a hop limit of 1 (eksctl `disablePodIMDS: true`; its default hop limit is 2).
pub async fn imds(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let wanted = ctx.list("nodegroups", &[]);
    let names = if wanted.is_empty() { list_names(ctx).await? } else { wanted };
    let set_field = |ng: &str| format!("set disablePodIMDS: true on {ng} in eks-cluster/cluster.yaml");
    let mut checked = 0;
    for ng in &names {
        let Some(group) = describe(ctx, ng).await? else {
            return Ok(fail(format!("Node group {ng} missing")).found_expected("no node group", ng.clone()).next(create_group(ng)));
        };
        for (asg, options) in metadata_options(ctx, &group).await? {
            checked += 1;
            let hop = options.as_ref().and_then(|o| o.http_put_response_hop_limit);
            let tokens = options.as_ref().and_then(|o| o.http_tokens.as_ref()).map(|t| t.as_str().to_string());
            if hop.is_none_or(|h| h > 1) {
                let found = hop.map_or_else(|| "unset (the instance default, 1 only with IMDSv2 defaults)".to_string(), |h| h.to_string());
                return Ok(fail(format!(
                    "{ng} (ASG {asg}): HttpPutResponseHopLimit {found}: pods can reach the instance metadata service and use the node role; {}",
                    set_field(ng)
                ))
                .found_expected(format!("hop limit {found}"), "hop limit 1")
                .next(format!(
                    "{}, then create the group anew, since a launch template's metadata options reach only new nodes: {}",
                    set_field(ng),
                    recreate_group(ctx, ng)
                )));
            }
            if tokens.as_deref() != Some("required") {
                return Ok(warn(format!(
                    "{ng} (ASG {asg}): hop limit 1, but HttpTokens {}: IMDSv1 still answers on the node itself",
                    tokens.unwrap_or_else(|| "unset".into())
                ))
                .next(format!(
                    "{} (it also sets HttpTokens required), then create the group anew: {}",
                    set_field(ng),
                    recreate_group(ctx, ng)
                )));
            }
        }
    }
    if checked == 0 {
        return Ok(skip("no launch template found behind the node groups' Auto Scaling groups: their metadata options cannot be read"));
    }
    Ok(pass(format!("{}: IMDSv2 with a hop limit of 1, so pods cannot reach the node role", names.join(", "))))
}

pub async fn spot(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let ng = ctx.text("nodegroup", "spotNodegroup", "spot");
    let Some(group) = describe(ctx, &ng).await? else {
        return Ok(fail(format!("Node group {ng} missing")).found_expected("no node group", &ng).next(create_group(&ng)));
    };
    let capacity = group.capacity_type.as_ref().map(|c| c.as_str().to_string()).unwrap_or_else(|| "ON_DEMAND".into());
    if capacity != "SPOT" {
        return Ok(fail(format!("capacityType {capacity}, expected SPOT (eksctl `spot: true`)")).found_expected(capacity, "SPOT").next(format!(
            "set spot: true on {ng} in eks-cluster/cluster.yaml; the capacity type cannot change in place, so replace the group: {}",
            recreate_group(ctx, &ng)
        )));
    }
    for asg in asgs(ctx, &group).await? {
        if asg.capacity_rebalance != Some(true) {
            let name = asg.auto_scaling_group_name.clone().unwrap_or_default();
            return Ok(fail(format!("ASG {name} CapacityRebalance=false: Spot nodes are not replaced before interruption"))
                .found_expected("false", "true")
                .next(format!("aws autoscaling update-auto-scaling-group{} --auto-scaling-group-name {name} --capacity-rebalance", region_flag(ctx))));
        }
    }
    let groups = nodes_by_group(ctx).await?;
    if let Some(n) =
        groups.get(&ng).into_iter().flatten().find(|n| n.metadata.labels.as_ref().and_then(|l| l.get(CAPACITY_LABEL)).map(String::as_str) != Some("SPOT"))
    {
        let name = n.metadata.name.clone().unwrap_or_default();
        return Ok(fail(format!("node {name} of {ng} is not labelled {CAPACITY_LABEL}=SPOT"))
            .found_expected("not SPOT", "SPOT")
            .next(format!("EKS labels every node it launches for a SPOT group, so replace this one: {}", replace_node(ctx, n))));
    }
    let types = group.instance_types.unwrap_or_default();
    if types.len() < 2 {
        return Ok(warn(format!("{ng} uses 1 instance type ({}): diversify to lower interruption risk", types.join(", "))));
    }
    Ok(pass(format!("{ng} is SPOT over {} instance types with capacity rebalancing", types.len())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn taints_parse_and_effects_translate() {
        assert_eq!(super::parse_taint("dedicated=critical:NoSchedule"), Some(("dedicated".into(), "critical".into(), "NoSchedule".into())));
        assert_eq!(super::eks_effect("NoSchedule"), "NO_SCHEDULE");
        assert_eq!(super::eks_effect("PreferNoSchedule"), "PREFER_NO_SCHEDULE");
        assert_eq!(super::eks_effect("NoExecute"), "NO_EXECUTE");
    }
}
