//! What several families share: the node labels of a node group, node readiness, the region
//! the hints name, the hints for a missing or outdated cluster, and an EKS add-on's status. It imports no family, so the
//! families import it rather than each other.

use k8s_openapi::api::core::v1::Node;

use crate::checks::context::{Ctx, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail};

/// The node label EKS gives a managed node group's nodes.
pub const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";
/// The lab's own pool label, which stands in for the node group on a local cluster.
pub const LAB_POOL_LABEL: &str = "lab/pool";
/// ON_DEMAND or SPOT, on a managed node group's nodes.
pub const CAPACITY_LABEL: &str = "eks.amazonaws.com/capacityType";

/// A node whose Ready condition is True.
pub fn node_ready(n: &Node) -> bool {
    n.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// What to do when the lab's cluster is not in the account: create it, or point the lab at it.
pub fn cluster_missing(ctx: &Ctx<'_>) -> String {
    format!(
        "create it: eksctl create cluster -f eks-cluster/cluster.yaml; if it exists under another name or region, set cluster and region under [vars] in ~/.config/kubedojo/lab.toml (aws eks list-clusters{} lists the clusters there)",
        region_flag(ctx)
    )
}

/// ` --region R` for a command: the region the checker asked, else the lab's, else nothing
/// (the CLI's own default applies).
pub fn region_flag(ctx: &Ctx<'_>) -> String {
    region(ctx).map(|r| format!(" --region {r}")).unwrap_or_default()
}

/// The region the hints name: the checker's AWS region (where it looked), else the lab's.
pub fn region(ctx: &Ctx<'_>) -> Option<String> {
    ctx.backend.aws.as_ref().and_then(|a| a.region()).or_else(|| ctx.vars.get("region").cloned()).filter(|r| !r.is_empty())
}

/// The command that moves a cluster one minor version up (EKS upgrades one minor at a time).
pub fn upgrade_command(ctx: &Ctx<'_>, version: &str) -> String {
    let next = crate::content::versions::minor(version).map_or_else(|| "<next minor>".to_string(), |(major, m)| format!("{major}.{}", m + 1));
    format!("upgrade one minor version at a time: eksctl upgrade cluster --name {}{} --version {next} --approve", ctx.cluster(), region_flag(ctx))
}

/// What the EKS API says of an add-on.
pub enum Addon {
    /// ACTIVE, at this version.
    Active(String),
    /// Not installed as an EKS add-on.
    Missing,
    /// Installed but not ACTIVE: the learner's fail, with its health issues and what to run.
    NotActive(Outcome),
    /// The endpoint has no add-on API at all (the bare AWS emulator answers 404).
    NoApi,
}

/// `eks:DescribeAddon` of `addon` on the lab's cluster.
pub async fn addon(ctx: &Ctx<'_>, addon: &str) -> Step<Addon> {
    let aws = ctx.aws()?;
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    let out = timed("eks:DescribeAddon", aws.eks.describe_addon().cluster_name(&cluster).addon_name(addon).send()).await?;
    let a = match out {
        Ok(o) => o.addon.unwrap_or_else(|| aws_sdk_eks::types::Addon::builder().build()),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => return Ok(Addon::Missing),
        Err(e) if aws_code(&e).is_none() && e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => return Ok(Addon::NoApi),
        Err(e) => return Err(aws_error(&e, "eks:DescribeAddon")),
    };
    let status = a.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default();
    if status == "ACTIVE" {
        return Ok(Addon::Active(a.addon_version.unwrap_or_default()));
    }
    let issues: Vec<String> = a.health.and_then(|h| h.issues).unwrap_or_default().into_iter().map(|i| i.message.unwrap_or_default()).collect();
    let wait = format!("aws eks wait addon-active --cluster-name {cluster}{region} --addon-name {addon}");
    let next = if matches!(status.as_str(), "CREATING" | "UPDATING") {
        format!("wait for it: {wait}")
    } else {
        format!(
            "fix what its health issues name (aws eks describe-addon --cluster-name {cluster}{region} --addon-name {addon} --query addon.health); then {wait}"
        )
    };
    Ok(Addon::NotActive(fail(format!("addon {addon} {status}: {}", issues.join("; "))).found_expected(status, "ACTIVE").next(next)))
}
