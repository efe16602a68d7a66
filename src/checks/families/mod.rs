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
mod loadbalancing;
mod logging;
mod nodegroups;
mod podidentity;
mod practices;
mod rollouts;
mod support;

use super::context::Ctx;

use super::outcome::Outcome;

pub async fn run(ctx: &Ctx<'_>) -> Option<Outcome> {
    let outcome = match ctx.spec.kind.as_str() {
        "k8s.namespace" => k8s::namespace(ctx).await,
        "k8s.deployment-ready" => k8s::deployment_ready(ctx).await,
        "k8s.daemonset-ready" => k8s::daemonset_ready(ctx).await,
        "k8s.service-account" => k8s::service_account(ctx).await,
        "preflight.identity" => cluster::identity(ctx).await,
        "preflight.admin-cidr" => admin_cidr::check(ctx),
        "cluster.active" => cluster::active(ctx).await,
        "cluster.multi-az" => cluster::multi_az(ctx).await,
        "cluster.private-endpoint" => cluster::private_endpoint(ctx).await,
        "secrets.kms" => cluster::secrets_kms(ctx).await,
        "nodegroup.present" => nodegroups::present(ctx).await,
        "nodes.ready" => nodegroups::ready(ctx).await,
        "nodegroup.critical-taint" => nodegroups::critical_taint(ctx).await,
        "nodegroup.spot" => nodegroups::spot(ctx).await,
        "nodegroup.imds" => nodegroups::imds(ctx).await,
        "lbc.deployed" => loadbalancing::deployed(ctx).await,
        "lbc.ingressclass" => loadbalancing::ingress_class(ctx).await,
        "ingress.tls-spec" => loadbalancing::tls_spec(ctx).await,
        "ingress.alb-ready" => loadbalancing::alb_ready(ctx).await,
        "rollouts.controller" => rollouts::controller(ctx).await,
        "rollouts.bluegreen-spec" => rollouts::bluegreen_spec(ctx).await,
        "rollouts.services-wired" => rollouts::services_wired(ctx).await,
        "rollouts.preview-ready" => rollouts::preview_ready(ctx).await,
        "rollouts.promoted" => rollouts::promoted(ctx).await,
        "logs.fluentbit-ds" => logging::ds(ctx).await,
        "logs.fluentbit-config" => logging::config(ctx).await,
        "logs.fluentbit-iam" => logging::iam(ctx).await,
        "logs.cw-ingest" => logging::cw_ingest(ctx).await,
        "ca.deployed" => autoscaling::deployed(ctx).await,
        "ca.autodiscovery" => autoscaling::autodiscovery(ctx).await,
        "ca.iam" => autoscaling::iam(ctx).await,
        "karpenter.ready" => autoscaling::karpenter(ctx).await,
        "pdb.critical" => practices::pdb(ctx).await,
        "netpol.isolation" => practices::netpol(ctx).await,
        "csi.ebs" => practices::csi(ctx, false).await,
        "csi.efs" => practices::csi(ctx, true).await,
        "cni.prefix-delegation" => practices::prefix_delegation(ctx).await,
        "spot.interruption" => practices::spot_interruption(ctx).await,
        "dev.scale-to-zero" => practices::scale_to_zero(ctx).await,
        "irsa.oidc-provider" => irsa::oidc_provider(ctx).await,
        "irsa.sa-annotation" => irsa::sa_annotation(ctx).await,
        "irsa.trust-policy" => irsa::trust_policy(ctx).await,
        "irsa.pod-injection" => irsa::pod_injection(ctx).await,
        "irsa.s3-access" => irsa::s3_access(ctx).await,
        "access.mode" => access::mode(ctx).await,
        "access.entry" => access::entry(ctx).await,
        "podidentity.agent" => podidentity::agent(ctx).await,
        "podidentity.association" => podidentity::association_check(ctx).await,
        "podidentity.trust-policy" => podidentity::trust_policy(ctx).await,
        "podidentity.pod-injection" => podidentity::pod_injection(ctx).await,
        "podidentity.s3-access" => podidentity::s3_access(ctx).await,
        _ => return None,
    };
    Some(outcome.unwrap_or_else(|e| e))
}
