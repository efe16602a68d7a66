//! Live re-checks: while a step is open, watch the Kubernetes resources its checks read and
//! poll the AWS side with backoff. The stream yields `()` once per burst of changes (debounced),
//! and the runner re-runs the step.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{BoxStream, StreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{ConfigMap, Event as KubeEvent, Namespace, Node, Pod, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};

use super::backend::Backend;
use super::catalog::{self, Family};
use crate::content::CheckSpec;

/// Changes closer together than this make one re-run.
pub const DEBOUNCE: Duration = Duration::from_millis(250);
/// AWS state is polled: first after this long, then twice as long each time, up to a minute.
pub const POLL_FIRST: Duration = Duration::from_secs(5);
pub const POLL_MAX: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Watched {
    Namespaces,
    Nodes,
    Deployments,
    DaemonSets,
    Pods,
    ServiceAccounts,
    Services,
    ConfigMaps,
    Events,
    Ingresses,
    IngressClasses,
    NetworkPolicies,
    Pdbs,
    CsiDrivers,
    StorageClasses,
    Rollouts,
}

/// The resource types a check reads.
fn reads(kind: &str) -> &'static [Watched] {
    use Watched::*;
    match kind {
        "k8s.namespace" => &[Namespaces],
        "k8s.deployment-ready" => &[Deployments, Pods],
        "k8s.daemonset-ready" | "logs.fluentbit-ds" => &[DaemonSets, Pods],
        "k8s.service-account" | "irsa.sa-annotation" | "irsa.trust-policy" => &[ServiceAccounts],
        "irsa.pod-injection" | "irsa.s3-access" => &[ServiceAccounts, Pods],
        "cluster.multi-az" | "nodegroup.present" | "nodes.ready" | "nodegroup.critical-taint" | "nodegroup.spot" | "cni.prefix-delegation" => {
            &[Nodes, DaemonSets]
        }
        "lbc.deployed" | "ca.deployed" | "ca.autodiscovery" | "ca.iam" | "karpenter.ready" | "rollouts.controller" => {
            &[Deployments, ServiceAccounts, ConfigMaps]
        }
        "lbc.ingressclass" => &[IngressClasses],
        "ingress.tls-spec" | "ingress.alb-ready" => &[Ingresses, Events],
        "rollouts.bluegreen-spec" | "rollouts.services-wired" | "rollouts.preview-ready" | "rollouts.promoted" => &[Rollouts, Services],
        "pdb.critical" => &[Pdbs, Deployments],
        "netpol.isolation" => &[NetworkPolicies, DaemonSets],
        "logs.fluentbit-config" | "logs.fluentbit-iam" => &[ConfigMaps, DaemonSets, ServiceAccounts],
        "csi.ebs" | "csi.efs" => &[CsiDrivers, StorageClasses, Deployments],
        "spot.interruption" | "dev.scale-to-zero" => &[Deployments, DaemonSets],
        "teardown.cluster-clean" => {
            &[Namespaces, Deployments, Pods, Services, ServiceAccounts, Ingresses, IngressClasses, NetworkPolicies, Pdbs, StorageClasses, Rollouts]
        }
        _ => &[],
    }
}

/// Whether a check reads AWS (and so needs polling, as AWS has no watch).
fn reads_aws(kind: &str) -> bool {
    catalog::find(kind).is_some_and(|k| {
        !matches!(k.family, Family::Kubernetes | Family::Rollouts)
            && !matches!(kind, "lbc.ingressclass" | "ingress.tls-spec" | "netpol.isolation" | "pdb.critical")
    })
}

fn changes_of<K>(api: Api<K>) -> BoxStream<'static, ()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    watcher(api, watcher::Config::default())
        .default_backoff()
        .filter_map(|e| async move {
            match e {
                Ok(watcher::Event::Apply(_) | watcher::Event::Delete(_)) => Some(()),
                // the initial listing is the state the step was opened with, not a change
                _ => None,
            }
        })
        .boxed()
}

fn watch(client: &kube::Client, what: Watched) -> BoxStream<'static, ()> {
    let c = client.clone();
    match what {
        Watched::Namespaces => changes_of(Api::<Namespace>::all(c)),
        Watched::Nodes => changes_of(Api::<Node>::all(c)),
        Watched::Deployments => changes_of(Api::<Deployment>::all(c)),
        Watched::DaemonSets => changes_of(Api::<DaemonSet>::all(c)),
        Watched::Pods => changes_of(Api::<Pod>::all(c)),
        Watched::ServiceAccounts => changes_of(Api::<ServiceAccount>::all(c)),
        Watched::Services => changes_of(Api::<Service>::all(c)),
        Watched::ConfigMaps => changes_of(Api::<ConfigMap>::all(c)),
        Watched::Events => changes_of(Api::<KubeEvent>::all(c)),
        Watched::Ingresses => changes_of(Api::<Ingress>::all(c)),
        Watched::IngressClasses => changes_of(Api::<IngressClass>::all(c)),
        Watched::NetworkPolicies => changes_of(Api::<NetworkPolicy>::all(c)),
        Watched::Pdbs => changes_of(Api::<PodDisruptionBudget>::all(c)),
        Watched::CsiDrivers => changes_of(Api::<CSIDriver>::all(c)),
        Watched::StorageClasses => changes_of(Api::<StorageClass>::all(c)),
        Watched::Rollouts => {
            let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"), "rollouts");
            changes_of(Api::<DynamicObject>::all_with(c, &ar))
        }
    }
}

/// AWS has no watch: tick after POLL_FIRST, then with doubling waits up to POLL_MAX.
fn poll() -> BoxStream<'static, ()> {
    futures::stream::unfold(POLL_FIRST, |wait| async move {
        tokio::time::sleep(wait).await;
        Some(((), (wait * 2).min(POLL_MAX)))
    })
    .boxed()
}

/// Merge bursts: after a change, wait DEBOUNCE for quiet, then yield once.
fn debounce(input: BoxStream<'static, ()>) -> BoxStream<'static, ()> {
    futures::stream::unfold(input, |mut input| async move {
        input.next().await?;
        // wait for a quiet spell (or the end of the input)
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, input.next()).await {}
        Some(((), input))
    })
    .boxed()
}

/// The change stream for a step's checks against a backend.
pub fn changes(backend: Arc<Backend>, checks: &[CheckSpec]) -> BoxStream<'static, ()> {
    let types: BTreeSet<Watched> = checks.iter().flat_map(|c| reads(&c.kind).iter().copied()).collect();
    let mut streams: Vec<BoxStream<'static, ()>> = Vec::new();
    if let Ok(client) = backend.kube.as_ref() {
        streams.extend(types.into_iter().map(|t| watch(client, t)));
    }
    if backend.aws.is_some() && checks.iter().any(|c| reads_aws(&c.kind)) {
        streams.push(poll());
    }
    debounce(futures::stream::select_all(streams).boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_watches_or_polls_something() {
        for k in catalog::KINDS {
            assert!(!reads(k.id).is_empty() || reads_aws(k.id), "{} has nothing to watch", k.id);
        }
        assert!(!reads_aws("k8s.namespace"));
        assert!(reads_aws("irsa.trust-policy"));
    }

    #[tokio::test]
    async fn bursts_become_one_change() {
        let burst = futures::stream::iter([(), (), ()]).chain(futures::stream::pending()).boxed();
        let mut d = debounce(burst);
        assert!(tokio::time::timeout(Duration::from_secs(2), d.next()).await.is_ok());
        // nothing more arrives: the three became one
        assert!(tokio::time::timeout(DEBOUNCE * 3, d.next()).await.is_err());
    }
}
