//! Cluster Autoscaler (found by behaviour: a container with --cloud-provider=aws) or Karpenter.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::ListParams;

use crate::checks::context::{Ctx, kube_call};
use crate::checks::outcome::{Outcome, Step, fail, pass, warn};
use crate::checks::simulate;

fn ns(ctx: &Ctx<'_>) -> String {
    ctx.text("namespace", "caNamespace", "kube-system")
}

fn args(d: &Deployment) -> Vec<String> {
    d.spec
        .template
        .spec
        .as_ref()
        .map(|p| p.containers.iter().flat_map(|c| c.command.clone().unwrap_or_default().into_iter().chain(c.args.clone().unwrap_or_default())).collect())
        .unwrap_or_default()
}

async fn find_ca(ctx: &Ctx<'_>) -> Step<Option<Deployment>> {
    let ns = ns(ctx);
    let api: Api<Deployment> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let list = kube_call(&format!("list deployments in {ns}"), api.list(&ListParams::default())).await?;
    Ok(list.items.into_iter().find(|d| args(d).iter().any(|a| a == "--cloud-provider=aws")))
}

/// The ServiceAccount a Cluster Autoscaler Deployment runs as.
fn service_account(d: &Deployment) -> String {
    d.spec.template.spec.as_ref().and_then(|p| p.service_account_name.clone()).unwrap_or_else(|| "default".into())
}

/// The AWS identity (IRSA or Pod Identity) of Cluster Autoscaler's ServiceAccount.
pub async fn ca_identity(ctx: &Ctx<'_>) -> Step<Option<super::identity::Identity>> {
    let Some(d) = find_ca(ctx).await? else { return Ok(None) };
    super::identity::of_service_account(ctx, &ns(ctx), &service_account(&d)).await
}

fn not_found(ns: &str) -> Outcome {
    // the lab's manifest deploys to kube-system
    let elsewhere = if ns == "kube-system" { String::new() } else { format!(" (it deploys to kube-system; this check looks in {ns})") };
    fail(format!("No Cluster Autoscaler (no container with --cloud-provider=aws in {ns})")).found_expected("none", "cluster-autoscaler Deployment").next(
        format!(
            "kubectl apply -f cluster-autoscaler/cluster-autoscaler.yaml{elsewhere}, then kubectl -n kube-system rollout status deployment/cluster-autoscaler"
        ),
    )
}

/// The auto-discovery flag for this cluster, as the lab's manifest has it.
fn discovery_flag(cluster: &str) -> String {
    format!("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}")
}

pub async fn deployed(ctx: &Ctx<'_>) -> Step<Outcome> {
    let ns = ns(ctx);
    let Some(d) = find_ca(ctx).await? else { return Ok(not_found(&ns)) };
    let name = d.metadata.name.clone().unwrap_or_default();
    let want = d.spec.replicas.unwrap_or(1);
    let available = d.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0);
    if available < 1 {
        return Ok(fail(format!("{name} 0/{want} available")).found_expected("0 available", format!("{want} available")).next(format!(
            "read why in the events and its log: kubectl -n {ns} describe deployment {name}, then kubectl -n {ns} logs deployment/{name} --tail=50"
        )));
    }
    if let Some(mismatch) = minor_mismatch(ctx, &d, &name, &ns).await? {
        return Ok(mismatch);
    }
    let maps: Api<ConfigMap> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let status = kube_call(&format!("get configmap {ns}/cluster-autoscaler-status"), maps.get_opt("cluster-autoscaler-status")).await?;
    let Some(status) = status else {
        return Ok(warn(format!("{name} runs, but has not written ConfigMap {ns}/cluster-autoscaler-status yet")));
    };
    let updated = status.metadata.annotations.as_ref().and_then(|a| a.get("cluster-autoscaler.kubernetes.io/last-updated").cloned());
    if let Some(ts) = updated.as_deref()
        && let Some(age) = age_seconds(ts, ctx.now)
        && age > 300
    {
        return Ok(fail(format!("status ConfigMap stale since {ts}: is {name} crash-looping or unable to reach AWS?"))
            .found_expected(ts, "updated within 5 min")
            .next(format!("look for restarts and errors: kubectl -n {ns} get pods -o wide, then kubectl -n {ns} logs deployment/{name} --tail=100 | grep -iE 'error|denied|timeout'")));
    }
    Ok(pass(format!("{name} {available}/{want} available, status updated {}", updated.unwrap_or_else(|| "recently".into()))))
}

/// Cluster Autoscaler embeds the scheduler of one Kubernetes minor: its image must be the
/// release for the cluster's minor (kubernetes/autoscaler cluster-autoscaler/README.md). The
/// cluster's version comes from EKS, so this applies where the account answers.
async fn minor_mismatch(ctx: &Ctx<'_>, d: &Deployment, name: &str, ns: &str) -> Step<Option<Outcome>> {
    use crate::content::versions::minor;
    if ctx.backend.aws.is_none() {
        return Ok(None);
    }
    let Ok(cluster) = super::cluster::describe(ctx).await else { return Ok(None) };
    let Some(cluster_minor) = cluster.version.as_deref().and_then(minor) else { return Ok(None) };
    let containers = d.spec.template.spec.as_ref().map(|p| p.containers.clone()).unwrap_or_default();
    let Some((container, image)) = containers.iter().find_map(|c| Some((c.name.clone(), c.image.clone().filter(|i| i.contains("cluster-autoscaler"))?))) else {
        return Ok(None);
    };
    let Some(image_minor) = image.rsplit_once(':').and_then(|(_, tag)| minor(tag)) else { return Ok(None) };
    if image_minor == cluster_minor {
        return Ok(None);
    }
    let (major, m) = cluster_minor;
    let from_table = ctx.vars.get("versions.cluster-autoscaler.image").filter(|i| i.rsplit_once(':').and_then(|(_, t)| minor(t)) == Some(cluster_minor));
    let want = from_table.cloned().unwrap_or_else(|| format!("registry.k8s.io/autoscaling/cluster-autoscaler:v{major}.{m}.<latest patch>"));
    Ok(Some(
        fail(format!(
            "{name} runs {image}, the release for Kubernetes {}.{}, on a {major}.{m} cluster: Cluster Autoscaler must be the release for the cluster's minor; kubectl -n {ns} set image deployment/{name} {container}={want}",
            image_minor.0, image_minor.1
        ))
        .found_expected(format!("{image} (Kubernetes {}.{})", image_minor.0, image_minor.1), format!("a v{major}.{m}.x image for the {major}.{m} cluster"))
        .next(format!(
            "kubectl -n {ns} set image deployment/{name} {container}={want}, then kubectl -n {ns} rollout status deployment/{name}; set the same image in cluster-autoscaler/cluster-autoscaler.yaml so the next apply keeps it"
        )),
    ))
}

/// Age of a `2026-11-26 00:00:00.123 +0000 UTC` (CA) or RFC 3339 timestamp.
fn age_seconds(ts: &str, now: u64) -> Option<u64> {
    let date = ts.get(..19)?.replace(' ', "T");
    let parsed: k8s_openapi::jiff::Timestamp = format!("{date}Z").parse().ok()?;
    u64::try_from(i64::try_from(now).ok()? - parsed.as_second()).ok()
}

pub async fn autodiscovery(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let ns = ns(ctx);
    let Some(d) = find_ca(ctx).await? else { return Ok(not_found(&ns)) };
    let cluster = ctx.cluster();
    let flag = args(&d).into_iter().find_map(|a| a.strip_prefix("--node-group-auto-discovery=").map(str::to_string));
    let Some(flag) = flag else {
        let name = d.metadata.name.clone().unwrap_or_default();
        return Ok(fail("no --node-group-auto-discovery flag: CA manages no node group")
            .found_expected("no flag", format!("asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster}"))
            .next(format!(
                "add {} to the container command of {ns}/{name}: kubectl apply -f cluster-autoscaler/cluster-autoscaler.yaml (it has the flag), or kubectl -n {ns} edit deployment {name}",
                discovery_flag(&cluster)
            )));
    };
    // asg:tag=<key>[=value],<key>[=value]: either key may come first
    let named = flag
        .split(',')
        .map(|p| p.strip_prefix("asg:tag=").unwrap_or(p))
        .find_map(|p| p.strip_prefix("k8s.io/cluster-autoscaler/").map(|c| c.split('=').next().unwrap_or(c)).filter(|c| *c != "enabled").map(str::to_string));
    let set_flag = || {
        let name = d.metadata.name.clone().unwrap_or_default();
        format!(
            "set the container's flag to {}: kubectl -n {ns} edit deployment {name}, or kubectl apply -f cluster-autoscaler/cluster-autoscaler.yaml (kubedojo files writes it for cluster {cluster})",
            discovery_flag(&cluster)
        )
    };
    match named {
        Some(c) if c == cluster => {}
        Some(c) => return Ok(fail(format!("flag names cluster {c}, expected {cluster}")).found_expected(c, &cluster).next(set_flag())),
        None => {
            return Ok(fail(format!("--node-group-auto-discovery={flag} names no cluster"))
                .found_expected(flag, format!("…,k8s.io/cluster-autoscaler/{cluster}"))
                .next(set_flag()));
        }
    }
    let names = super::nodegroups::list_names(ctx).await?;
    let keys = ["k8s.io/cluster-autoscaler/enabled".to_string(), format!("k8s.io/cluster-autoscaler/{cluster}")];
    for ng in names {
        let Some(group) = super::nodegroups::describe(ctx, &ng).await? else { continue };
        for asg in super::nodegroups::asgs(ctx, &group).await? {
            let tags: Vec<String> = asg.tags.unwrap_or_default().into_iter().filter_map(|t| t.key).collect();
            if let Some(missing) = keys.iter().find(|k| !tags.contains(k)) {
                let name = asg.auto_scaling_group_name.unwrap_or_default();
                // the values EKS gives these tags; the lab's IAM policy requires `owned`
                let value = if missing.ends_with("/enabled") { "true" } else { "owned" };
                return Ok(fail(format!("ASG {name} ({ng}) lacks tag {missing}: CA ignores it"))
                    .found_expected("no tag", missing.clone())
                    .next(format!(
                        "aws autoscaling create-or-update-tags{} --tags \"ResourceId={name},ResourceType=auto-scaling-group,Key={missing},Value={value},PropagateAtLaunch=true\"; CA picks the group up at its next refresh",
                        super::common::region_flag(ctx)
                    )));
            }
        }
    }
    Ok(pass(format!("CA discovers {cluster}'s tagged ASGs")))
}

pub async fn iam(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let ns = ns(ctx);
    let Some(d) = find_ca(ctx).await? else { return Ok(not_found(&ns)) };
    let sa = service_account(&d);
    let Some(identity) = super::identity::of_service_account(ctx, &ns, &sa).await? else {
        let policy = format!("arn:aws:iam::{}:policy/{}-cluster-autoscaler", ctx.var("account", "<account>"), ctx.cluster());
        return Ok(super::identity::none(ctx, &ns, &sa, "it cannot change the node groups' desired sizes", &policy));
    };
    let role = identity.role().to_string();
    let cluster = ctx.cluster();
    // the ASGs carry the discovery tags: simulate with them, as the upstream policy conditions on them
    let context = BTreeMap::from([
        (format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"), "owned".to_string()),
        ("aws:ResourceTag/k8s.io/cluster-autoscaler/enabled".to_string(), "true".to_string()),
    ]);
    let required = [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "autoscaling:DescribeAutoScalingGroups",
        "ec2:DescribeLaunchTemplateVersions",
    ];
    let checks: Vec<(&str, &str)> = required.iter().map(|a| (*a, "*")).chain([("eks:DescribeNodegroup", "*")]).collect();
    let answer = simulate::simulate(aws, &role, &checks, &context).await?;
    if let Some(d) = answer.denied().into_iter().find(|d| d.action != "eks:DescribeNodegroup") {
        let role_name = crate::iam::policy::role_name(&role).unwrap_or(&role);
        let policy = format!("arn:aws:iam::{}:policy/{cluster}-cluster-autoscaler", ctx.var("account", "<account>"));
        return Ok(fail(format!("{}: {} → {}{}", identity.describe(), d.action, d.decision, answer.note()))
            .found_expected(format!("{} {}", d.action, d.decision), "allowed")
            .next(format!(
                "attach the lab's policy (cluster-autoscaler/iam-policy.json): aws iam attach-role-policy --role-name {role_name} --policy-arn {policy}; if it does not exist yet, first aws iam create-policy --policy-name {cluster}-cluster-autoscaler --policy-document file://cluster-autoscaler/iam-policy.json"
            )));
    }
    if !answer.denied().is_empty() {
        return Ok(warn(format!(
            "{} may scale the ASGs, but not eks:DescribeNodegroup: groups at 0 with labels or taints cannot be modelled{}",
            identity.describe(),
            answer.note()
        )));
    }
    Ok(pass(format!("{} may scale the node groups' ASGs{}", identity.describe(), answer.note())))
}

/// Whether a Karpenter Deployment is configured with an interruption queue
/// (the chart's `settings.interruptionQueue` becomes the env var INTERRUPTION_QUEUE).
pub fn has_interruption_queue(d: &Deployment) -> bool {
    d.spec.template.spec.as_ref().is_some_and(|p| {
        p.containers
            .iter()
            .any(|c| c.env.as_ref().is_some_and(|env| env.iter().any(|e| e.name == "INTERRUPTION_QUEUE" && e.value.as_deref().is_some_and(|v| !v.is_empty()))))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_of_ca_timestamps() {
        assert_eq!(super::age_seconds("2020-01-01 00:00:00.000 +0000 UTC", 1_577_836_800 + 301), Some(301));
        assert!(super::age_seconds("garbage", 1_577_836_800).is_none());
    }
}
