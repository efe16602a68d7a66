//! Argo Rollouts blue-green: the controller, the Rollout's strategy, the Services' selectors,
//! and promotion. Rollouts are read as dynamic objects (group argoproj.io, v1alpha1).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

use crate::checks::context::{Ctx, kube_call};
use crate::checks::outcome::{Outcome, Step, fail, pass, warn};

pub const CRD: &str = "rollouts.argoproj.io";
pub const HASH_LABEL: &str = "rollouts-pod-template-hash";

fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"), "rollouts")
}

pub async fn controller(ctx: &Ctx<'_>) -> Step<Outcome> {
    let client = ctx.kube()?.clone();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    if kube_call(&format!("get customresourcedefinition {CRD}"), crds.get_opt(CRD)).await?.is_none() {
        return Ok(fail(format!("CRD {CRD} missing: kubectl apply -n argo-rollouts -f .../install.yaml")).found_expected("no CRD", CRD));
    }
    let ns = ctx.text("namespace", "rolloutsNamespace", "argo-rollouts");
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    let Some(d) = kube_call(&format!("get deployment {ns}/argo-rollouts"), deployments.get_opt("argo-rollouts")).await? else {
        return Ok(fail(format!("controller Deployment {ns}/argo-rollouts not found")).found_expected("no controller", format!("{ns}/argo-rollouts")));
    };
    let want = d.spec.replicas.unwrap_or(1);
    let available = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
    if available < 1 {
        return Ok(fail(format!("controller 0/{want} available")).found_expected("0 available", format!("{want} available")));
    }
    Ok(pass(format!("CRD {CRD} installed; controller {available}/{want} available")))
}

async fn rollout(ctx: &Ctx<'_>) -> Step<(String, String, DynamicObject)> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "rollout", "web");
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.kube()?.clone(), &ns, &resource());
    let got = timed_get(&api, &ns, &name).await?;
    match got {
        Some(r) => Ok((ns, name, r)),
        None => Err(fail(format!("Rollout {ns}/{name} not found")).found_expected("no Rollout", format!("{ns}/{name}"))),
    }
}

async fn timed_get(api: &Api<DynamicObject>, ns: &str, name: &str) -> Step<Option<DynamicObject>> {
    match crate::checks::context::timed("get rollout", api.get_opt(name)).await? {
        Ok(r) => Ok(r),
        // the CRD itself is missing: the API has no such resource
        Err(kube::Error::Api(s)) if s.code == 404 => {
            Err(fail(format!("the Rollout kind is unknown here (CRD {CRD} missing), so {ns}/{name} cannot exist")).found_expected("no CRD", CRD))
        }
        Err(e) => Err(crate::checks::outcome::kube_error(e, &format!("get rollout {ns}/{name}"))),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

pub async fn bluegreen_spec(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, r) = rollout(ctx).await?;
    let strategy = r.data.get("spec").and_then(|s| s.get("strategy")).cloned().unwrap_or(Value::Null);
    let Some(bg) = strategy.get("blueGreen") else {
        let found = if strategy.get("canary").is_some() { "canary" } else { "none" };
        return Ok(fail(format!("strategy is {found}: set spec.strategy.blueGreen")).found_expected(found, "blueGreen"));
    };
    let active = str_at(bg, &["activeService"]).unwrap_or_default();
    let preview = str_at(bg, &["previewService"]).unwrap_or_default();
    if active.is_empty() || preview.is_empty() {
        return Ok(fail("blueGreen needs both activeService and previewService").found_expected(format!("active={active:?} preview={preview:?}"), "both set"));
    }
    if active == preview {
        return Ok(fail(format!("activeService and previewService are both {active}: use two Services")).found_expected(active, "two distinct Services"));
    }
    let services: Api<Service> = Api::namespaced(ctx.kube()?.clone(), &ns);
    for s in [active, preview] {
        if kube_call(&format!("get service {ns}/{s}"), services.get_opt(s)).await?.is_none() {
            let role = if s == active { "activeService" } else { "previewService" };
            return Ok(fail(format!("{role} {s} not found in {ns}")).found_expected("no Service", s));
        }
    }
    match bg.get("autoPromotionEnabled").and_then(Value::as_bool) {
        Some(false) => Ok(pass(format!("Rollout {ns}/{name}: blue-green, active {active}, preview {preview}, manual promotion"))),
        _ => Ok(warn(format!("Rollout {ns}/{name} promotes automatically (autoPromotionEnabled unset or true): set it to false to inspect the preview first"))),
    }
}

pub async fn services_wired(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, r) = rollout(ctx).await?;
    let Some(bg) = r.data.get("spec").and_then(|s| s.get("strategy")).and_then(|s| s.get("blueGreen")).cloned() else {
        return Ok(fail(format!("Rollout {ns}/{name} is not blue-green: no Services to wire")).found_expected("no blueGreen strategy", "spec.strategy.blueGreen"));
    };
    let status = r.data.get("status").and_then(|s| s.get("blueGreen")).cloned().unwrap_or(Value::Null);
    let services: Api<Service> = Api::namespaced(ctx.kube()?.clone(), &ns);
    for (role, service_key, selector_key) in [("active", "activeService", "activeSelector"), ("preview", "previewService", "previewSelector")] {
        let Some(service) = str_at(&bg, &[service_key]) else {
            return Ok(fail(format!("Rollout {ns}/{name} names no {service_key}")).found_expected("unset", service_key));
        };
        let Some(expected) = str_at(&status, &[selector_key]) else {
            return Ok(fail(format!("Rollout {ns}/{name} has no status.blueGreen.{selector_key} yet: is the controller running?")).found_expected("no selector", "a pod template hash"));
        };
        let Some(svc) = kube_call(&format!("get service {ns}/{service}"), services.get_opt(service)).await? else {
            return Ok(fail(format!("{role} Service {service} not found")).found_expected("no Service", service));
        };
        let found = svc.spec.and_then(|s| s.selector).and_then(|s| s.get(HASH_LABEL).cloned()).unwrap_or_default();
        if found != expected {
            return Ok(fail(format!("{role} selector {} ≠ {selector_key} {expected}: Service re-applied or hand-edited", if found.is_empty() { "missing" } else { &found }))
                .found_expected(if found.is_empty() { "no selector".to_string() } else { found }, expected));
        }
    }
    Ok(pass(format!("Services of Rollout {ns}/{name} select the pods the Rollout says")))
}

/// The controller has seen the latest spec (Argo writes observedGeneration as a string).
fn unobserved(name: &str, r: &DynamicObject, status: &Value) -> Option<Outcome> {
    let generation = r.metadata.generation.unwrap_or(0);
    let observed = str_at(status, &["observedGeneration"]).and_then(|g| g.parse::<i64>().ok()).unwrap_or(generation);
    (observed < generation).then(|| {
        fail(format!("the controller has not seen the latest change to {name} yet (generation {generation}, observed {observed})")).found_expected(observed.to_string(), generation.to_string())
    })
}

/// After `set image`: the new version runs behind the preview Service while the active one
/// still serves the old, and the Rollout waits for promotion. Once promoted, it passes too.
pub async fn preview_ready(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, r) = rollout(ctx).await?;
    let status = r.data.get("status").cloned().unwrap_or(Value::Null);
    let image = r.data.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).unwrap_or_default();
    let want = ctx.text("image", "greenImage", "");
    if !want.is_empty() && image != want {
        let container = r.data.pointer("/spec/template/spec/containers/0/name").and_then(Value::as_str).unwrap_or("<container>");
        return Ok(fail(format!("the Rollout still runs {image}: kubectl argo rollouts set image {name} {container}={want} -n {ns}")).found_expected(image, want));
    }
    if let Some(o) = unobserved(&name, &r, &status) {
        return Ok(o);
    }
    let active = str_at(&status, &["blueGreen", "activeSelector"]).unwrap_or_default();
    let preview = str_at(&status, &["blueGreen", "previewSelector"]).unwrap_or_default();
    let current = str_at(&status, &["currentPodHash"]).unwrap_or_default();
    if active.is_empty() || current.is_empty() {
        return Ok(fail(format!("Rollout {ns}/{name} has no blue-green status yet: is the controller running?")).found_expected("no status.blueGreen", "active and preview selectors"));
    }
    if active == current {
        if str_at(&status, &["phase"]) == Some("Healthy") {
            return Ok(pass(format!("{image} ({current}) is already promoted to the active Service")));
        }
        return Ok(fail(format!("the new version {current} is not up yet (phase {})", str_at(&status, &["phase"]).unwrap_or("Unknown"))).found_expected("no preview", "a preview ReplicaSet"));
    }
    if preview != current {
        return Ok(fail(format!("preview selects {}, the new pods are {current}: wait for the preview ReplicaSet", if preview.is_empty() { "nothing" } else { preview }))
            .found_expected(if preview.is_empty() { "no preview selector" } else { preview }, current));
    }
    Ok(pass(format!("{image} ({current}) is on the preview Service; active still serves {active}: test it, then promote")))
}

pub async fn promoted(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, r) = rollout(ctx).await?;
    let status = r.data.get("status").cloned().unwrap_or(Value::Null);
    if let Some(o) = unobserved(&name, &r, &status) {
        return Ok(o);
    }
    let phase = str_at(&status, &["phase"]).unwrap_or("Unknown");
    let paused = status.get("pauseConditions").and_then(Value::as_array).and_then(|a| a.first()).and_then(|c| c.get("reason")).and_then(Value::as_str);
    if phase == "Paused" || paused.is_some() {
        let reason = paused.unwrap_or("paused");
        return Ok(fail(format!("Paused ({reason}): run `kubectl argo rollouts promote {name} -n {ns}`")).found_expected("Paused", "Healthy"));
    }
    if phase == "Degraded" {
        let message = str_at(&status, &["message"]).unwrap_or_default();
        return Ok(fail(format!("Degraded: {message}")).found_expected("Degraded", "Healthy"));
    }
    if phase != "Healthy" {
        return Ok(fail(format!("phase {phase}, expected Healthy (wait for the rollout)")).found_expected(phase, "Healthy"));
    }
    let active = str_at(&status, &["blueGreen", "activeSelector"]).unwrap_or_default();
    let stable = str_at(&status, &["stableRS"]).unwrap_or_default();
    let current = str_at(&status, &["currentPodHash"]).unwrap_or_default();
    if active != stable || stable != current {
        return Ok(fail(format!("active serves {stable}, new {current}: promote the new version")).found_expected(stable, current));
    }
    let image = r.data.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).unwrap_or_default();
    let want = ctx.text("image", "greenImage", "");
    if !want.is_empty() && image != want {
        return Ok(fail(format!("the Rollout runs {image}, expected the new image {want}: kubectl argo rollouts set image")).found_expected(image, want));
    }
    Ok(pass(format!("Rollout {ns}/{name} is Healthy and serves {image} ({current})")))
}
