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

/// The namespace of the controller, for the checks whose `namespace` is the Rollout's.
fn controller_ns(ctx: &Ctx<'_>) -> String {
    ctx.var("rolloutsNamespace", "argo-rollouts")
}

/// The lab's install of the controller and its CRDs: the table's pinned release, else the latest.
fn install(ctx: &Ctx<'_>, ns: &str) -> String {
    let release = ctx.vars.get("versions.argo-rollouts").map_or_else(|| "latest/download".to_string(), |v| format!("download/{v}"));
    format!("kubectl create namespace {ns}; kubectl apply -n {ns} -f https://github.com/argoproj/argo-rollouts/releases/{release}/install.yaml")
}

/// Whether the controller runs, and what it says about the Rollout.
fn controller_logs(ctx: &Ctx<'_>) -> String {
    let ns = controller_ns(ctx);
    format!(
        "check the controller runs: kubectl -n {ns} rollout status deploy/argo-rollouts; its log says why it skips the Rollout: kubectl -n {ns} logs deploy/argo-rollouts --since=10m"
    )
}

/// The name of the Rollout's first container, for `set image`.
fn container(r: &DynamicObject) -> &str {
    r.data.pointer("/spec/template/spec/containers/0/name").and_then(Value::as_str).unwrap_or("<container>")
}

/// Setting the blue-green strategy the lab's Rollout has.
const BLUE_GREEN_FIX: &str = "set spec.strategy.blueGreen with activeService web-active, previewService web-preview and autoPromotionEnabled: false (and no spec.strategy.canary), as argo-rollouts-bluegreen/rollout.yaml has it: kubectl apply -f argo-rollouts-bluegreen/rollout.yaml";

pub async fn controller(ctx: &Ctx<'_>) -> Step<Outcome> {
    let client = ctx.kube()?.clone();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let ns = ctx.text("namespace", "rolloutsNamespace", "argo-rollouts");
    if kube_call(&format!("get customresourcedefinition {CRD}"), crds.get_opt(CRD)).await?.is_none() {
        return Ok(fail(format!("CRD {CRD} missing")).found_expected("no CRD", CRD).next(install(ctx, &ns)));
    }
    let deployments: Api<Deployment> = Api::namespaced(client, &ns);
    let Some(d) = kube_call(&format!("get deployment {ns}/argo-rollouts"), deployments.get_opt("argo-rollouts")).await? else {
        return Ok(fail(format!("controller Deployment {ns}/argo-rollouts not found"))
            .found_expected("no controller", format!("{ns}/argo-rollouts"))
            .next(install(ctx, &ns)));
    };
    let want = d.spec.replicas.unwrap_or(1);
    let pods = d.spec.selector.match_labels.as_ref().map(crate::checks::selector::label_arg).filter(|l| !l.is_empty());
    let available = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
    if available < 1 {
        return Ok(fail(format!("controller 0/{want} available")).found_expected("0 available", format!("{want} available")).next(format!(
            "read why in the events: kubectl -n {ns} describe deployment argo-rollouts, then kubectl -n {ns} describe pods{}",
            pods.map(|l| format!(" -l {l}")).unwrap_or_default()
        )));
    }
    Ok(pass(format!("CRD {CRD} installed; controller {available}/{want} available")))
}

async fn rollout(ctx: &Ctx<'_>) -> Step<(String, String, DynamicObject)> {
    let ns = ctx.text("namespace", "appNs", "default");
    let name = ctx.text("name", "rollout", "web");
    let api: Api<DynamicObject> = Api::namespaced_with(ctx.kube()?.clone(), &ns, &resource());
    let got = timed_get(ctx, &api, &ns, &name).await?;
    match got {
        Some(r) => Ok((ns, name, r)),
        None => Err(fail(format!("Rollout {ns}/{name} not found"))
            .found_expected("no Rollout", format!("{ns}/{name}"))
            .next(format!("create the Services, then the Rollout: kubectl apply -f argo-rollouts-bluegreen/services.yaml -f argo-rollouts-bluegreen/rollout.yaml; then kubectl argo rollouts get rollout {name} -n {ns}"))),
    }
}

async fn timed_get(ctx: &Ctx<'_>, api: &Api<DynamicObject>, ns: &str, name: &str) -> Step<Option<DynamicObject>> {
    match crate::checks::context::timed("get rollout", api.get_opt(name)).await? {
        Ok(r) => Ok(r),
        // the CRD itself is missing: the API has no such resource
        Err(kube::Error::Api(s)) if s.code == 404 => Err(fail(format!("the Rollout kind is unknown here (CRD {CRD} missing), so {ns}/{name} cannot exist"))
            .found_expected("no CRD", CRD)
            .next(install(ctx, &controller_ns(ctx)))),
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
        return Ok(fail(format!("strategy is {found}: set spec.strategy.blueGreen")).found_expected(found, "blueGreen").next(BLUE_GREEN_FIX));
    };
    let active = str_at(bg, &["activeService"]).unwrap_or_default();
    let preview = str_at(bg, &["previewService"]).unwrap_or_default();
    if active.is_empty() || preview.is_empty() {
        return Ok(fail("blueGreen needs both activeService and previewService")
            .found_expected(format!("active={active:?} preview={preview:?}"), "both set")
            .next(format!("in Rollout {ns}/{name}, set spec.strategy.blueGreen.activeService: web-active and previewService: web-preview, as argo-rollouts-bluegreen/rollout.yaml has them: kubectl apply -f argo-rollouts-bluegreen/rollout.yaml")));
    }
    if active == preview {
        return Ok(fail(format!("activeService and previewService are both {active}: use two Services"))
            .found_expected(active, "two distinct Services")
            .next(format!("in Rollout {ns}/{name}, point spec.strategy.blueGreen.previewService at a second Service (web-preview, from argo-rollouts-bluegreen/services.yaml): kubectl apply -f argo-rollouts-bluegreen/services.yaml -f argo-rollouts-bluegreen/rollout.yaml")));
    }
    let services: Api<Service> = Api::namespaced(ctx.kube()?.clone(), &ns);
    for s in [active, preview] {
        if kube_call(&format!("get service {ns}/{s}"), services.get_opt(s)).await?.is_none() {
            let role = if s == active { "activeService" } else { "previewService" };
            return Ok(fail(format!("{role} {s} not found in {ns}"))
                .found_expected("no Service", s)
                .next(format!("create Service {s} in {ns} (the lab's web-active and web-preview): kubectl apply -f argo-rollouts-bluegreen/services.yaml")));
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
        return Ok(fail(format!("Rollout {ns}/{name} is not blue-green: no Services to wire"))
            .found_expected("no blueGreen strategy", "spec.strategy.blueGreen")
            .next(BLUE_GREEN_FIX));
    };
    let status = r.data.get("status").and_then(|s| s.get("blueGreen")).cloned().unwrap_or(Value::Null);
    let services: Api<Service> = Api::namespaced(ctx.kube()?.clone(), &ns);
    for (role, service_key, selector_key) in [("active", "activeService", "activeSelector"), ("preview", "previewService", "previewSelector")] {
        let Some(service) = str_at(&bg, &[service_key]) else {
            return Ok(fail(format!("Rollout {ns}/{name} names no {service_key}"))
                .found_expected("unset", service_key)
                .next(format!("set spec.strategy.blueGreen.{service_key} in Rollout {ns}/{name} (web-{role} in argo-rollouts-bluegreen/rollout.yaml): kubectl apply -f argo-rollouts-bluegreen/rollout.yaml")));
        };
        let Some(expected) = str_at(&status, &[selector_key]) else {
            return Ok(fail(format!("Rollout {ns}/{name} has no status.blueGreen.{selector_key} yet: is the controller running?"))
                .found_expected("no selector", "a pod template hash")
                .next(controller_logs(ctx)));
        };
        let Some(svc) = kube_call(&format!("get service {ns}/{service}"), services.get_opt(service)).await? else {
            return Ok(fail(format!("{role} Service {service} not found")).found_expected("no Service", service).next(format!(
                "create Service {service} in {ns} (the lab's web-active and web-preview): kubectl apply -f argo-rollouts-bluegreen/services.yaml"
            )));
        };
        let found = svc.spec.and_then(|s| s.selector).and_then(|s| s.get(HASH_LABEL).cloned()).unwrap_or_default();
        if found != expected {
            return Ok(fail(format!("{role} selector {} ≠ {selector_key} {expected}: Service re-applied or hand-edited", if found.is_empty() { "missing" } else { &found }))
                .found_expected(if found.is_empty() { "no selector".to_string() } else { found }, expected)
                .next(format!(
                    "put back the selector the controller set: kubectl -n {ns} patch service {service} --type merge -p '{{\"spec\":{{\"selector\":{{\"{HASH_LABEL}\":\"{expected}\"}}}}}}'"
                )));
        }
    }
    Ok(pass(format!("Services of Rollout {ns}/{name} select the pods the Rollout says")))
}

/// The controller has seen the latest spec (Argo writes observedGeneration as a string).
fn unobserved(ctx: &Ctx<'_>, name: &str, r: &DynamicObject, status: &Value) -> Option<Outcome> {
    let generation = r.metadata.generation.unwrap_or(0);
    let observed = str_at(status, &["observedGeneration"]).and_then(|g| g.parse::<i64>().ok()).unwrap_or(generation);
    (observed < generation).then(|| {
        fail(format!("the controller has not seen the latest change to {name} yet (generation {generation}, observed {observed})"))
            .found_expected(observed.to_string(), generation.to_string())
            .next(format!("wait a few seconds and check again; if it stays behind, {}", controller_logs(ctx)))
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
        let container = container(&r);
        return Ok(fail(format!("the Rollout still runs {image}: kubectl argo rollouts set image {name} {container}={want} -n {ns}"))
            .found_expected(image, &want)
            .next(format!("kubectl argo rollouts set image {name} {container}={want} -n {ns}; then watch the preview come up: kubectl argo rollouts get rollout {name} -n {ns} --watch")));
    }
    if let Some(o) = unobserved(ctx, &name, &r, &status) {
        return Ok(o);
    }
    let active = str_at(&status, &["blueGreen", "activeSelector"]).unwrap_or_default();
    let preview = str_at(&status, &["blueGreen", "previewSelector"]).unwrap_or_default();
    let current = str_at(&status, &["currentPodHash"]).unwrap_or_default();
    if active.is_empty() || current.is_empty() {
        return Ok(fail(format!("Rollout {ns}/{name} has no blue-green status yet: is the controller running?"))
            .found_expected("no status.blueGreen", "active and preview selectors")
            .next(controller_logs(ctx)));
    }
    if active == current {
        if str_at(&status, &["phase"]) == Some("Healthy") {
            return Ok(pass(format!("{image} ({current}) is already promoted to the active Service")));
        }
        return Ok(fail(format!("the new version {current} is not up yet (phase {})", str_at(&status, &["phase"]).unwrap_or("Unknown")))
            .found_expected("no preview", "a preview ReplicaSet")
            .next(format!("watch it until the new revision is the preview: kubectl argo rollouts get rollout {name} -n {ns} --watch")));
    }
    if preview != current {
        return Ok(fail(format!("preview selects {}, the new pods are {current}: wait for the preview ReplicaSet", if preview.is_empty() { "nothing" } else { preview }))
            .found_expected(if preview.is_empty() { "no preview selector" } else { preview }, current)
            .next(format!(
                "watch it: kubectl argo rollouts get rollout {name} -n {ns} --watch; if the new pods do not become Ready: kubectl -n {ns} describe pods -l {HASH_LABEL}={current}"
            )));
    }
    Ok(pass(format!("{image} ({current}) is on the preview Service; active still serves {active}: test it, then promote")))
}

pub async fn promoted(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, name, r) = rollout(ctx).await?;
    let status = r.data.get("status").cloned().unwrap_or(Value::Null);
    if let Some(o) = unobserved(ctx, &name, &r, &status) {
        return Ok(o);
    }
    let phase = str_at(&status, &["phase"]).unwrap_or("Unknown");
    let paused = status.get("pauseConditions").and_then(Value::as_array).and_then(|a| a.first()).and_then(|c| c.get("reason")).and_then(Value::as_str);
    if phase == "Paused" || paused.is_some() {
        let reason = paused.unwrap_or("paused");
        let manual = r.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
        let next = if manual {
            // `promote` unpauses and also promotes whatever waits on the preview Service
            format!(
                "spec.paused is true (a manual pause): find out who paused it and why (kubectl argo rollouts get rollout {name} -n {ns}), then kubectl argo rollouts promote {name} -n {ns}; to only unpause: kubectl -n {ns} patch rollout {name} --type merge -p '{{\"spec\":{{\"paused\":false}}}}'"
            )
        } else {
            format!("test the new version on the preview Service, then: kubectl argo rollouts promote {name} -n {ns}")
        };
        return Ok(fail(format!("Paused ({reason}): run `kubectl argo rollouts promote {name} -n {ns}`")).found_expected("Paused", "Healthy").next(next));
    }
    if phase == "Degraded" {
        let message = str_at(&status, &["message"]).unwrap_or_default();
        return Ok(fail(format!("Degraded: {message}")).found_expected("Degraded", "Healthy").next(format!(
            "see which pods fail and why: kubectl argo rollouts get rollout {name} -n {ns}; fix the pod template (kubectl argo rollouts set image {name} {}=<image> -n {ns}), or, if it was aborted, kubectl argo rollouts retry rollout {name} -n {ns}",
            container(&r)
        )));
    }
    if phase != "Healthy" {
        return Ok(fail(format!("phase {phase}, expected Healthy (wait for the rollout)"))
            .found_expected(phase, "Healthy")
            .next(format!("kubectl argo rollouts status {name} -n {ns} --timeout 5m")));
    }
    let active = str_at(&status, &["blueGreen", "activeSelector"]).unwrap_or_default();
    let stable = str_at(&status, &["stableRS"]).unwrap_or_default();
    let current = str_at(&status, &["currentPodHash"]).unwrap_or_default();
    if active != stable || stable != current {
        return Ok(fail(format!("active serves {stable}, new {current}: promote the new version"))
            .found_expected(stable, current)
            .next(format!("kubectl argo rollouts promote {name} -n {ns}; then kubectl argo rollouts status {name} -n {ns} --timeout 5m")));
    }
    let image = r.data.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).unwrap_or_default();
    let want = ctx.text("image", "greenImage", "");
    if !want.is_empty() && image != want {
        return Ok(fail(format!("the Rollout runs {image}, expected the new image {want}")).found_expected(image, &want).next(format!(
            "kubectl argo rollouts set image {name} {}={want} -n {ns}; test it on the preview Service, then kubectl argo rollouts promote {name} -n {ns}",
            container(&r)
        )));
    }
    Ok(pass(format!("Rollout {ns}/{name} is Healthy and serves {image} ({current})")))
}
