//! What several families share: the node labels of a node group, node readiness, the region
//! the hints name, and the hints for a missing or outdated cluster. It imports no family, so the
//! families import it rather than each other.

use k8s_openapi::api::core::v1::Node;

use crate::checks::context::Ctx;

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
