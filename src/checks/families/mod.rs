//! The check families, one module each. `run` dispatches a check to its implementation;
//! `None` means the kind is in the catalogue but not implemented in this build.

mod access;
mod admin_cidr;
mod autoscaling;
mod cluster;
mod common;
mod identity;
mod irsa;
mod k8s;
mod karpenter;
mod loadbalancing;
mod logging;
mod nodegroups;
mod podidentity;
mod practices;
mod rollouts;
mod support;
pub mod teardown;

use super::context::Ctx;

use super::outcome::Outcome;

/// Each check's future is boxed: together in one match they would make this future as large as
/// the largest of them, enough (with the S3 read checks) to overflow a 2 MiB thread stack in a
/// debug build; boxed, it holds a pointer.
pub async fn run(ctx: &Ctx<'_>) -> Option<Outcome> {
    let outcome = match ctx.spec.kind.as_str() {
        "k8s.namespace" => k8s::namespace(ctx).await,
        "k8s.deployment-ready" => k8s::deployment_ready(ctx).await,
        "k8s.daemonset-ready" => k8s::daemonset_ready(ctx).await,
        "k8s.service-account" => k8s::service_account(ctx).await,
        "preflight.identity" => Box::pin(cluster::identity(ctx)).await,
        "preflight.admin-cidr" => admin_cidr::check(ctx),
        "cluster.active" => Box::pin(cluster::active(ctx)).await,
        "cluster.multi-az" => Box::pin(cluster::multi_az(ctx)).await,
        "cluster.private-endpoint" => Box::pin(cluster::private_endpoint(ctx)).await,
        "secrets.kms" => Box::pin(cluster::secrets_kms(ctx)).await,
        "nodegroup.present" => Box::pin(nodegroups::present(ctx)).await,
        "nodes.ready" => Box::pin(nodegroups::ready(ctx)).await,
        "nodegroup.critical-taint" => Box::pin(nodegroups::critical_taint(ctx)).await,
        "nodegroup.spot" => Box::pin(nodegroups::spot(ctx)).await,
        "nodegroup.imds" => Box::pin(nodegroups::imds(ctx)).await,
        "lbc.deployed" => Box::pin(loadbalancing::deployed(ctx)).await,
        "lbc.ingressclass" => Box::pin(loadbalancing::ingress_class(ctx)).await,
        "ingress.tls-spec" => Box::pin(loadbalancing::tls_spec(ctx)).await,
        "ingress.alb-ready" => Box::pin(loadbalancing::alb_ready(ctx)).await,
        "rollouts.controller" => Box::pin(rollouts::controller(ctx)).await,
        "rollouts.bluegreen-spec" => Box::pin(rollouts::bluegreen_spec(ctx)).await,
        "rollouts.services-wired" => Box::pin(rollouts::services_wired(ctx)).await,
        "rollouts.preview-ready" => Box::pin(rollouts::preview_ready(ctx)).await,
        "rollouts.promoted" => Box::pin(rollouts::promoted(ctx)).await,
        "logs.fluentbit-ds" => Box::pin(logging::ds(ctx)).await,
        "logs.fluentbit-config" => Box::pin(logging::config(ctx)).await,
        "logs.fluentbit-iam" => Box::pin(logging::iam(ctx)).await,
        "logs.cw-ingest" => Box::pin(logging::cw_ingest(ctx)).await,
        "ca.deployed" => Box::pin(autoscaling::deployed(ctx)).await,
        "ca.autodiscovery" => Box::pin(autoscaling::autodiscovery(ctx)).await,
        "ca.iam" => Box::pin(autoscaling::iam(ctx)).await,
        "karpenter.ready" => Box::pin(karpenter::ready(ctx)).await,
        "karpenter.node-role" => Box::pin(karpenter::node_role_check(ctx)).await,
        "karpenter.discovery" => Box::pin(karpenter::discovery(ctx)).await,
        "karpenter.interruption-queue" => Box::pin(karpenter::interruption_queue(ctx)).await,
        "karpenter.nodeclass" => Box::pin(karpenter::nodeclass(ctx)).await,
        "karpenter.nodepool" => Box::pin(karpenter::nodepool(ctx)).await,
        "karpenter.provisioned" => Box::pin(karpenter::provisioned(ctx)).await,
        "karpenter.consolidated" => Box::pin(karpenter::consolidated(ctx)).await,
        "pdb.critical" => Box::pin(practices::pdb(ctx)).await,
        "netpol.isolation" => Box::pin(practices::netpol(ctx)).await,
        "csi.ebs" => practices::csi(ctx, false).await,
        "csi.efs" => practices::csi(ctx, true).await,
        "cni.prefix-delegation" => Box::pin(practices::prefix_delegation(ctx)).await,
        "spot.interruption" => Box::pin(practices::spot_interruption(ctx)).await,
        "dev.scale-to-zero" => Box::pin(practices::scale_to_zero(ctx)).await,
        "irsa.oidc-provider" => Box::pin(irsa::oidc_provider(ctx)).await,
        "irsa.sa-annotation" => Box::pin(irsa::sa_annotation(ctx)).await,
        "irsa.trust-policy" => Box::pin(irsa::trust_policy(ctx)).await,
        "irsa.pod-injection" => Box::pin(irsa::pod_injection(ctx)).await,
        "irsa.s3-access" => Box::pin(irsa::s3_access(ctx)).await,
        "access.mode" => Box::pin(access::mode(ctx)).await,
        "teardown.clean" => Box::pin(teardown::clean(ctx)).await,
        "teardown.cluster-clean" => Box::pin(teardown::cluster_clean(ctx)).await,
        "access.entry" => Box::pin(access::entry(ctx)).await,
        "podidentity.agent" => Box::pin(podidentity::agent(ctx)).await,
        "podidentity.association" => Box::pin(podidentity::association_check(ctx)).await,
        "podidentity.trust-policy" => Box::pin(podidentity::trust_policy(ctx)).await,
        "podidentity.pod-injection" => Box::pin(podidentity::pod_injection(ctx)).await,
        "podidentity.s3-access" => Box::pin(podidentity::s3_access(ctx)).await,
        _ => return None,
    };
    Some(outcome.unwrap_or_else(|e| e))
}
