//! Generic Kubernetes checks: a namespace, a Deployment, a DaemonSet, a ServiceAccount.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::Api;
use kube::api::ListParams;

use crate::checks::context::{Ctx, kube_call};
use crate::checks::outcome::{Step, fail, pass};

pub async fn namespace(ctx: &Ctx<'_>) -> Step<crate::checks::outcome::Outcome> {
    let name = ctx.text("name", "appNs", "default");
    let api: Api<Namespace> = Api::all(ctx.kube()?.clone());
    match kube_call(&format!("get namespace {name}"), api.get_opt(&name)).await? {
        Some(ns) if ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating") => {
            Ok(fail(format!("namespace {name} is being deleted"))
                .found_expected("Terminating", "Active")
                .next(format!("wait until `kubectl get namespace {name}` says NotFound, then kubectl create namespace {name}; if it stays Terminating, its conditions name what blocks it: kubectl get namespace {name} -o jsonpath='{{.status.conditions}}'")))
        }
        Some(_) => Ok(pass(format!("namespace {name} exists"))),
        None => Ok(fail(format!("namespace {name} not found")).found_expected("no namespace", &name).next(format!("kubectl create namespace {name}"))),
    }
}

pub async fn service_account(ctx: &Ctx<'_>) -> Step<crate::checks::outcome::Outcome> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "irsaSa", "default");
    let api: Api<ServiceAccount> = Api::namespaced(ctx.kube()?.clone(), &ns);
    match kube_call(&format!("get serviceaccount {ns}/{name}"), api.get_opt(&name)).await? {
        Some(_) => Ok(pass(format!("ServiceAccount {ns}/{name} exists"))),
        None => Ok(fail(format!("ServiceAccount {ns}/{name} not found"))
            .found_expected("no ServiceAccount", format!("ServiceAccount {ns}/{name}"))
            .next(format!("apply the step's ServiceAccount manifest (its solution names the file), or: kubectl -n {ns} create serviceaccount {name}"))),
    }
}

pub async fn deployment_ready(ctx: &Ctx<'_>) -> Step<crate::checks::outcome::Outcome> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "app", "");
    let client = ctx.kube()?.clone();
    let api: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let Some(d) = kube_call(&format!("get deployment {ns}/{name}"), api.get_opt(&name)).await? else {
        return Ok(fail(format!("Deployment {ns}/{name} not found"))
            .found_expected("no Deployment", format!("Deployment {ns}/{name}"))
            .next(format!("apply the step's manifest (its solution names the file), then: kubectl -n {ns} rollout status deployment/{name}")));
    };
    let want = d.spec.replicas.unwrap_or(1);
    let generation = d.metadata.generation.unwrap_or(0);
    let status = d.status.unwrap_or_default();
    if status.observed_generation.unwrap_or(0) < generation {
        return Ok(fail(format!("Deployment {ns}/{name}: the controller has not rolled out the latest change yet"))
            .found_expected("an older generation", "the latest generation")
            .next(format!("wait for it: kubectl -n {ns} rollout status deployment/{name}")));
    }
    let available = status.available_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    if want == 0 {
        return Ok(pass(format!("Deployment {ns}/{name} is scaled to 0")));
    }
    let total = status.replicas.unwrap_or(0);
    if available >= want && updated >= want && total <= updated {
        return Ok(pass(format!("Deployment {ns}/{name}: {available}/{want} available")));
    }
    let why = pod_problem(&client, &ns, d.spec.selector.match_labels.clone().unwrap_or_default()).await;
    Ok(fail(format!("Deployment {ns}/{name}: {available}/{want} available{why}"))
        .found_expected(format!("{available} available"), format!("{want} available"))
        .next(format!(
            "read why in the events: kubectl -n {ns} describe deployment {name}, then kubectl -n {ns} describe pods{}",
            selector_flag(d.spec.selector.match_labels.as_ref())
        )))
}

pub async fn daemonset_ready(ctx: &Ctx<'_>) -> Step<crate::checks::outcome::Outcome> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "app", "");
    let client = ctx.kube()?.clone();
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), &ns);
    let Some(ds) = kube_call(&format!("get daemonset {ns}/{name}"), api.get_opt(&name)).await? else {
        return Ok(fail(format!("DaemonSet {ns}/{name} not found"))
            .found_expected("no DaemonSet", format!("DaemonSet {ns}/{name}"))
            .next(format!("apply the step's manifest (its solution names the file), then: kubectl -n {ns} rollout status ds/{name}")));
    };
    daemonset_outcome(&client, &ds).await
}

/// `numberReady == desiredNumberScheduled > 0`, with the first pod's problem when not.
pub async fn daemonset_outcome(client: &kube::Client, ds: &DaemonSet) -> Step<crate::checks::outcome::Outcome> {
    let ns = ds.metadata.namespace.clone().unwrap_or_default();
    let name = ds.metadata.name.clone().unwrap_or_default();
    let status = ds.status.clone().unwrap_or_default();
    let (ready, desired) = (status.number_ready, status.desired_number_scheduled);
    if status.observed_generation.unwrap_or(0) < ds.metadata.generation.unwrap_or(0) {
        return Ok(fail(format!("DaemonSet {ns}/{name}: the controller has not rolled out the latest change yet"))
            .found_expected("an older generation", "the latest generation")
            .next(format!("wait for it: kubectl -n {ns} rollout status ds/{name}")));
    }
    let updated = status.updated_number_scheduled.unwrap_or(desired);
    if desired > 0 && ready == desired && updated == desired {
        return Ok(pass(format!("DaemonSet {ns}/{name}: {ready}/{desired} ready")));
    }
    if desired == 0 {
        return Ok(fail(format!("DaemonSet {ns}/{name} is scheduled on no node: check its nodeSelector and tolerations"))
            .found_expected("0 scheduled", "1 or more")
            .next(format!(
                "compare what it asks for with the nodes: kubectl -n {ns} get ds {name} -o jsonpath='{{.spec.template.spec.nodeSelector}} {{.spec.template.spec.tolerations}}'; kubectl get nodes --show-labels; kubectl describe nodes | grep Taints"
            )));
    }
    let labels = ds.spec.selector.match_labels.clone().unwrap_or_default();
    let why = pod_problem(client, &ns, labels).await;
    Ok(fail(format!("DaemonSet {ns}/{name}: {ready}/{desired} ready{why}")).found_expected(format!("{ready} ready"), format!("{desired} ready")).next(format!(
        "read why in the events: kubectl -n {ns} describe ds {name}, then kubectl -n {ns} describe pods{}",
        selector_flag(ds.spec.selector.match_labels.as_ref())
    )))
}

/// ` -l k=v,...` for a label selector, or nothing.
fn selector_flag(labels: Option<&std::collections::BTreeMap<String, String>>) -> String {
    match labels {
        Some(l) if !l.is_empty() => format!(" -l {}", crate::checks::selector::label_arg(l)),
        _ => String::new(),
    }
}

/// "; pod x: CrashLoopBackOff" for the first pod of a selector that is not ready.
async fn pod_problem(client: &kube::Client, ns: &str, labels: std::collections::BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let selector = crate::checks::selector::label_arg(&labels);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let Ok(Ok(list)) = tokio::time::timeout(crate::checks::backend::CALL_TIMEOUT, pods.list(&ListParams::default().labels(&selector))).await else {
        return String::new();
    };
    for pod in list.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let status = pod.status.unwrap_or_default();
        for cs in status.container_statuses.unwrap_or_default() {
            if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
                return format!("; pod {name}: {}", w.reason.clone().unwrap_or_else(|| "waiting".into()));
            }
        }
        if status.phase.as_deref() == Some("Pending") {
            let reason = status
                .conditions
                .unwrap_or_default()
                .into_iter()
                .find(|c| c.type_ == "PodScheduled" && c.status == "False")
                .and_then(|c| c.message)
                .unwrap_or_else(|| "Pending".into());
            return format!("; pod {name}: {reason}");
        }
    }
    String::new()
}
