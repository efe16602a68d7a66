//! "Does this workload have its own AWS identity?" Either IRSA (the ServiceAccount names a role
//! in `eks.amazonaws.com/role-arn`) or EKS Pod Identity (an association of the ServiceAccount
//! with a role, served by the `eks-pod-identity-agent` DaemonSet). Never the node role: a pod
//! falling back to the instance profile shares every other pod's permissions.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail};

/// The ServiceAccount annotation IRSA reads (amazon-eks-pod-identity-webhook).
pub const ROLE_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The DaemonSet the `eks-pod-identity-agent` add-on runs in kube-system.
pub const POD_IDENTITY_AGENT: &str = "eks-pod-identity-agent";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Irsa { role: String },
    PodIdentity { role: String, association: String },
}

impl Identity {
    pub fn role(&self) -> &str {
        match self {
            Self::Irsa { role } | Self::PodIdentity { role, .. } => role,
        }
    }

    /// "IRSA role arn:..." / "Pod Identity association a-123 (role arn:...)".
    pub fn describe(&self) -> String {
        match self {
            Self::Irsa { role } => format!("IRSA role {role}"),
            Self::PodIdentity { role, association } => format!("Pod Identity association {association} (role {role})"),
        }
    }
}

/// The AWS identity of `ns/sa`: `Ok(None)` when it has neither (or the ServiceAccount is
/// missing); a Pod Identity association whose agent is not running is the learner's fail.
pub async fn of_service_account(ctx: &Ctx<'_>, ns: &str, sa: &str) -> Step<Option<Identity>> {
    let api: Api<ServiceAccount> = Api::namespaced(ctx.kube()?.clone(), ns);
    let account = kube_call(&format!("get serviceaccount {ns}/{sa}"), api.get_opt(sa)).await?;
    if let Some(role) = account.as_ref().and_then(|s| s.metadata.annotations.as_ref()?.get(ROLE_ANNOTATION).cloned()) {
        return Ok(Some(Identity::Irsa { role }));
    }
    if account.is_none() {
        return Ok(None);
    }
    let Some(association) = pod_identity(ctx, ns, sa).await? else { return Ok(None) };
    agent_running(ctx, &association).await?;
    Ok(Some(association))
}

/// What `eks:ListPodIdentityAssociations` says of `ns/sa` on the lab's cluster.
pub enum Association {
    /// The association's id (EKS allows one per namespace and ServiceAccount).
    Found(String),
    None,
    /// The cluster does not exist.
    NoCluster,
    /// The endpoint has no such API (the bare AWS emulator answers 404).
    NoApi,
}

pub async fn association(ctx: &Ctx<'_>, ns: &str, sa: &str) -> Step<Association> {
    let aws = ctx.aws()?;
    let list_call = aws.eks.list_pod_identity_associations().cluster_name(ctx.cluster()).namespace(ns).service_account(sa).send();
    Ok(match timed("eks:ListPodIdentityAssociations", list_call).await? {
        Ok(o) => o.associations.unwrap_or_default().into_iter().find_map(|a| a.association_id).map_or(Association::None, Association::Found),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => Association::NoCluster,
        Err(e) if aws_code(&e).is_none() && e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Association::NoApi,
        Err(e) => return Err(aws_error(&e, "eks:ListPodIdentityAssociations")),
    })
}

/// The role ARN of association `id` (`eks:DescribePodIdentityAssociation`).
pub async fn association_role(ctx: &Ctx<'_>, id: &str) -> Step<String> {
    let call = ctx.aws()?.eks.describe_pod_identity_association().cluster_name(ctx.cluster()).association_id(id).send();
    let out = timed("eks:DescribePodIdentityAssociation", call).await?;
    Ok(out.map_err(|e| aws_error(&e, "eks:DescribePodIdentityAssociation"))?.association.and_then(|a| a.role_arn).unwrap_or_default())
}

/// The Pod Identity association of `ns/sa`, where the account has the API (a missing cluster
/// is another check's business).
async fn pod_identity(ctx: &Ctx<'_>, ns: &str, sa: &str) -> Step<Option<Identity>> {
    if ctx.backend.aws.is_none() {
        return Ok(None);
    }
    let Association::Found(id) = association(ctx, ns, sa).await? else { return Ok(None) };
    let role = association_role(ctx, &id).await?;
    Ok(Some(Identity::PodIdentity { role, association: id }))
}

/// Pods get Pod Identity credentials only from the agent on their node.
async fn agent_running(ctx: &Ctx<'_>, association: &Identity) -> Step<()> {
    let api: Api<DaemonSet> = Api::namespaced(ctx.kube()?.clone(), "kube-system");
    let ds = kube_call(&format!("get daemonset kube-system/{POD_IDENTITY_AGENT}"), api.get_opt(POD_IDENTITY_AGENT)).await?;
    let ready = ds.as_ref().and_then(|d| d.status.as_ref()).map_or(0, |s| s.number_ready);
    if ready > 0 {
        return Ok(());
    }
    let found =
        if ds.is_some() { format!("DaemonSet {POD_IDENTITY_AGENT} with 0 ready pods") } else { format!("no DaemonSet kube-system/{POD_IDENTITY_AGENT}") };
    let install = format!("aws eks create-addon --cluster-name {}{} --addon-name {POD_IDENTITY_AGENT}", ctx.cluster(), super::common::region_flag(ctx));
    let next = if ds.is_some() {
        format!("read why its pods are not ready: kubectl -n kube-system describe ds {POD_IDENTITY_AGENT}")
    } else {
        format!("{install}, then kubectl -n kube-system rollout status ds/{POD_IDENTITY_AGENT}")
    };
    Err(fail(format!(
        "{} is in place, but the Pod Identity agent is not running ({found}), so pods get no credentials: aws eks create-addon --cluster-name {} --addon-name {POD_IDENTITY_AGENT}",
        association.describe(),
        ctx.cluster()
    ))
    .found_expected(found, format!("DaemonSet kube-system/{POD_IDENTITY_AGENT} ready"))
    .next(next))
}

/// The fail for a workload with no identity of its own. `permissions` names what the role needs
/// (`--permission-policy-arns arn:...` style text), so the commands can be run as written.
pub fn none(ctx: &Ctx<'_>, ns: &str, sa: &str, consequence: &str, policy_arn: &str) -> Outcome {
    let cluster = ctx.cluster();
    fail(format!(
        "ServiceAccount {ns}/{sa} has no AWS identity of its own (no {ROLE_ANNOTATION} annotation, no Pod Identity association): {consequence}. \
         Give it one, never the node role: eksctl create podidentityassociation --cluster {cluster} --namespace {ns} --service-account-name {sa} \
         --role-name {cluster}-{sa} --permission-policy-arns {policy_arn} (or IRSA: eksctl create iamserviceaccount --cluster {cluster} --namespace {ns} \
         --name {sa} --attach-policy-arn {policy_arn} --override-existing-serviceaccounts --approve)"
    ))
    .found_expected("no IRSA annotation, no Pod Identity association", format!("an IAM role for {ns}/{sa} (IRSA or Pod Identity)"))
    .next(format!(
        "eksctl create podidentityassociation --cluster {cluster}{region} --namespace {ns} --service-account-name {sa} --role-name {cluster}-{sa} --permission-policy-arns {policy_arn} \
         (it needs the agent: eksctl create addon --cluster {cluster}{region} --name {POD_IDENTITY_AGENT}), then restart the workload so its pods get the credentials",
        region = super::common::region_flag(ctx)
    ))
}
