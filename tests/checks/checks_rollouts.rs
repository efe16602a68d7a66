//! Argo Rollouts checks. The Rollout CRD is installed in the real API server; the Rollout's
//! status is written through the status subresource, as the controller would.

use crate::live::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kubedojo::checks::CheckStatus::*;
use serde_json::json;
use tokio::sync::RwLock;

/// Tests share the CRD; the one that removes it takes the write lock.
static CRD_LOCK: RwLock<()> = RwLock::const_new(());

/// A backend and client with the Rollout CRD installed, holding the CRD lock for reading (the
/// test that removes the CRD takes it for writing).
async fn with_crd() -> (tokio::sync::RwLockReadGuard<'static, ()>, kubedojo::checks::backend::Backend, kube::Client) {
    let guard = CRD_LOCK.read().await;
    let b = backend(None, false).await;
    let c = client(&b);
    install_crd(&c).await;
    (guard, b, c)
}

async fn install_crd(c: &kube::Client) {
    let api: Api<CustomResourceDefinition> = Api::all(c.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "metadata": {"name": "rollouts.argoproj.io"},
        "spec": {
            "group": "argoproj.io",
            "names": {"kind": "Rollout", "listKind": "RolloutList", "plural": "rollouts", "singular": "rollout", "shortNames": ["ro"]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}
            }]
        }
    }))
    .expect("crd");
    match api.create(&PostParams::default(), &crd).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("create CRD: {e}"),
    }
    // wait until the API serves the new kind
    let rollouts: Api<DynamicObject> = Api::all_with(c.clone(), &rollout_resource());
    for _ in 0..100 {
        if rollouts.list(&Default::default()).await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the Rollout CRD was not served in time");
}

fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"), "rollouts")
}

async fn rollout(c: &kube::Client, ns: &str, strategy: serde_json::Value, image: &str, status: serde_json::Value) {
    let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, &rollout_resource());
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}},
            "strategy": strategy
        }
    }))
    .expect("rollout");
    api.create(&PostParams::default(), &obj).await.expect("create rollout");
    if !status.is_null() {
        api.patch_status("web", &PatchParams::default(), &Patch::Merge(&json!({"status": status}))).await.expect("rollout status");
    }
}

async fn service(c: &kube::Client, ns: &str, name: &str, hash: Option<&str>) {
    let mut selector = json!({"app": "web"});
    if let Some(h) = hash {
        selector["rollouts-pod-template-hash"] = json!(h);
    }
    let _: Service = create(c, ns, json!({"metadata": {"name": name}, "spec": {"selector": selector, "ports": [{"port": 80}]}})).await;
}

const BLUE_GREEN: fn(bool) -> serde_json::Value =
    |auto| json!({"blueGreen": {"activeService": "web-active", "previewService": "web-preview", "autoPromotionEnabled": auto}});

#[tokio::test]
async fn controller_crd_and_deployment() {
    let _guard = CRD_LOCK.write().await;
    let b = backend(None, false).await;
    let c = client(&b);
    let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
    let _ = crds.delete("rollouts.argoproj.io", &Default::default()).await;
    let ns = namespace(&c, "argo-rollouts").await;
    let s = spec("rollouts.controller", &[("namespace", &ns)]);
    // the CRD disappears asynchronously
    assert_status(&run_until(&b, &s, &vars(&[]), Fail, "CRD").await, Fail, "CRD rollouts.argoproj.io missing");
    install_crd(&c).await;
    assert_status(&run(&b, &s, &vars(&[])).await, Fail, "argo-rollouts not found");
    let _: Deployment = create(&c, &ns, json!({
        "metadata": {"name": "argo-rollouts"},
        "spec": {"selector": {"matchLabels": {"app": "ar"}}, "template": {"metadata": {"labels": {"app": "ar"}}, "spec": {"containers": [{"name": "c", "image": "quay.io/argoproj/argo-rollouts:v1.8.3"}]}}}
    }))
    .await;
    assert_status(&run_until(&b, &s, &vars(&[]), Pass, "available").await, Pass, "controller 1/1 available");
}

#[tokio::test]
async fn blue_green_spec_cases() {
    let (_guard, b, c) = with_crd().await;
    let cases = [
        (BLUE_GREEN(false), true, Pass, "manual promotion"),
        (BLUE_GREEN(true), true, Warn, "promotes automatically"),
        (json!({"canary": {"steps": [{"setWeight": 20}]}}), true, Fail, "strategy is canary"),
        (json!({"blueGreen": {"activeService": "web-active", "previewService": "web-active"}}), true, Fail, "both web-active"),
        (BLUE_GREEN(false), false, Fail, "previewService web-preview not found"),
    ];
    for (strategy, with_preview, status, part) in cases {
        let ns = namespace(&c, "ro-spec").await;
        service(&c, &ns, "web-active", None).await;
        if with_preview {
            service(&c, &ns, "web-preview", None).await;
        }
        rollout(&c, &ns, strategy, "nginx:1.26", serde_json::Value::Null).await;
        assert_status(&run(&b, &spec("rollouts.bluegreen-spec", &[("namespace", &ns), ("name", "web")]), &vars(&[])).await, status, part);
    }
}

#[tokio::test]
async fn services_wired_to_the_rollout_selectors() {
    let (_guard, b, c) = with_crd().await;
    let status = json!({"phase": "Healthy", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f", "previewSelector": "7d9f"}});
    let ns = namespace(&c, "ro-wired").await;
    service(&c, &ns, "web-active", Some("7d9f")).await;
    service(&c, &ns, "web-preview", Some("7d9f")).await;
    rollout(&c, &ns, BLUE_GREEN(false), "nginx:1.27", status.clone()).await;
    let s = |ns: &str| spec("rollouts.services-wired", &[("namespace", ns), ("name", "web")]);
    assert_status(&run(&b, &s(&ns), &vars(&[])).await, Pass, "select the pods the Rollout says");
    let ns2 = namespace(&c, "ro-edited").await;
    service(&c, &ns2, "web-active", Some("5c4b")).await;
    service(&c, &ns2, "web-preview", Some("7d9f")).await;
    rollout(&c, &ns2, BLUE_GREEN(false), "nginx:1.27", status).await;
    let r = run(&b, &s(&ns2), &vars(&[])).await;
    assert_status(&r, Fail, "active selector 5c4b ≠ activeSelector 7d9f: Service re-applied or hand-edited");
    let ns3 = namespace(&c, "ro-nostatus").await;
    service(&c, &ns3, "web-active", None).await;
    service(&c, &ns3, "web-preview", None).await;
    rollout(&c, &ns3, BLUE_GREEN(false), "nginx:1.27", serde_json::Value::Null).await;
    assert_status(&run(&b, &s(&ns3), &vars(&[])).await, Fail, "no status.blueGreen.activeSelector yet");
}

#[tokio::test]
async fn promotion_states() {
    let (_guard, b, c) = with_crd().await;
    let green = "public.ecr.aws/nginx/nginx:1.27";
    let v = vars(&[("greenImage", green)]);
    let cases = [
        (
            json!({"phase": "Healthy", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f"}}),
            green,
            Pass,
            "is Healthy and serves public.ecr.aws/nginx/nginx:1.27",
        ),
        (
            json!({"phase": "Paused", "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-11-26T00:00:00Z"}], "stableRS": "5c4b", "currentPodHash": "7d9f"}),
            green,
            Fail,
            "Paused (BlueGreenPause): run `kubectl argo rollouts promote web",
        ),
        (
            json!({"phase": "Degraded", "message": "ProgressDeadlineExceeded: ReplicaSet web-7d9f has timed out progressing."}),
            green,
            Fail,
            "Degraded: ProgressDeadlineExceeded",
        ),
        (
            json!({"phase": "Healthy", "stableRS": "5c4b", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "5c4b"}}),
            green,
            Fail,
            "active serves 5c4b, new 7d9f",
        ),
        (
            json!({"phase": "Healthy", "stableRS": "5c4b", "currentPodHash": "5c4b", "blueGreen": {"activeSelector": "5c4b"}}),
            "public.ecr.aws/nginx/nginx:1.26",
            Fail,
            "expected the new image public.ecr.aws/nginx/nginx:1.27",
        ),
    ];
    for (status, image, want, part) in cases {
        let ns = namespace(&c, "ro-promo").await;
        rollout(&c, &ns, BLUE_GREEN(false), image, status).await;
        assert_status(&run(&b, &spec("rollouts.promoted", &[("namespace", &ns), ("name", "web")]), &v).await, want, part);
    }
    let r = run(&b, &spec("rollouts.promoted", &[("namespace", "default"), ("name", "absent")]), &v).await;
    assert_status(&r, Fail, "Rollout default/absent not found");
}

#[tokio::test]
async fn preview_ready_states() {
    let (_guard, b, c) = with_crd().await;
    let (blue, green) = ("public.ecr.aws/nginx/nginx:1.26", "public.ecr.aws/nginx/nginx:1.27");
    let v = vars(&[("greenImage", green)]);
    let cases = [
        // set image not run yet
        (
            json!({"phase": "Healthy", "stableRS": "5c4b", "currentPodHash": "5c4b", "blueGreen": {"activeSelector": "5c4b", "previewSelector": "5c4b"}}),
            blue,
            Fail,
            "the Rollout still runs public.ecr.aws/nginx/nginx:1.26: kubectl argo rollouts set image web",
        ),
        // the new revision is waiting for promotion behind the preview Service
        (
            json!({"phase": "Paused", "stableRS": "5c4b", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "5c4b", "previewSelector": "7d9f"}}),
            green,
            Pass,
            "(7d9f) is on the preview Service; active still serves 5c4b",
        ),
        // the preview ReplicaSet is not up yet
        (
            json!({"phase": "Progressing", "stableRS": "5c4b", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "5c4b"}}),
            green,
            Fail,
            "preview selects nothing, the new pods are 7d9f",
        ),
        // no controller wrote anything
        (json!({}), green, Fail, "has no blue-green status yet: is the controller running?"),
        // promoted already: still fine
        (
            json!({"phase": "Healthy", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f"}}),
            green,
            Pass,
            "is already promoted to the active Service",
        ),
    ];
    for (status, image, want, part) in cases {
        let ns = namespace(&c, "ro-preview").await;
        rollout(&c, &ns, BLUE_GREEN(false), image, status).await;
        let s = spec("rollouts.preview-ready", &[("namespace", &ns), ("name", "web"), ("image", green)]);
        assert_status(&run(&b, &s, &v).await, want, part);
    }
}

#[tokio::test]
async fn blue_green_spec_without_a_preview_service() {
    let (_guard, b, c) = with_crd().await;
    let ns = namespace(&c, "ro-half").await;
    service(&c, &ns, "web-active", None).await;
    rollout(&c, &ns, json!({"blueGreen": {"activeService": "web-active", "autoPromotionEnabled": false}}), "nginx:1.26", serde_json::Value::Null).await;
    let r = run(&b, &spec("rollouts.bluegreen-spec", &[("namespace", &ns), ("name", "web")]), &vars(&[])).await;
    assert_status(&r, Fail, "blueGreen needs both activeService and previewService");
    assert_eq!(r.found.as_deref(), Some(r#"active="web-active" preview="""#));
    assert_eq!(r.expected.as_deref(), Some("both set"));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.contains(&format!("in Rollout {ns}/web, set spec.strategy.blueGreen.activeService: web-active and previewService: web-preview")), "{r:?}");
    assert!(next.contains("kubectl apply -f argo-rollouts-bluegreen/rollout.yaml"), "{r:?}");
}

#[tokio::test]
async fn services_wired_needs_blue_green_services_that_exist() {
    let (_guard, b, c) = with_crd().await;
    let status = json!({"phase": "Healthy", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f", "previewSelector": "7d9f"}});
    let s = |ns: &str| spec("rollouts.services-wired", &[("namespace", ns), ("name", "web")]);

    // a canary Rollout has no Services to wire
    let ns = namespace(&c, "ro-canary").await;
    rollout(&c, &ns, json!({"canary": {"steps": [{"setWeight": 20}]}}), "nginx:1.27", status.clone()).await;
    let r = run(&b, &s(&ns), &vars(&[])).await;
    assert_status(&r, Fail, &format!("Rollout {ns}/web is not blue-green: no Services to wire"));
    assert_eq!(r.found.as_deref(), Some("no blueGreen strategy"));
    assert_eq!(r.expected.as_deref(), Some("spec.strategy.blueGreen"));
    assert!(r.next.as_deref().unwrap_or_default().contains("set spec.strategy.blueGreen with activeService web-active, previewService web-preview"), "{r:?}");

    // blue-green, but no activeService named
    let ns = namespace(&c, "ro-noactive").await;
    rollout(&c, &ns, json!({"blueGreen": {"previewService": "web-preview"}}), "nginx:1.27", status.clone()).await;
    let r = run(&b, &s(&ns), &vars(&[])).await;
    assert_status(&r, Fail, &format!("Rollout {ns}/web names no activeService"));
    assert_eq!(r.found.as_deref(), Some("unset"));
    assert_eq!(r.expected.as_deref(), Some("activeService"));
    assert!(
        r.next
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("set spec.strategy.blueGreen.activeService in Rollout {ns}/web (web-active in argo-rollouts-bluegreen/rollout.yaml)")),
        "{r:?}"
    );

    // the active Service is wired, the preview Service was never created
    let ns = namespace(&c, "ro-nopreview").await;
    service(&c, &ns, "web-active", Some("7d9f")).await;
    rollout(&c, &ns, BLUE_GREEN(false), "nginx:1.27", status).await;
    let r = run(&b, &s(&ns), &vars(&[])).await;
    assert_status(&r, Fail, "preview Service web-preview not found");
    assert_eq!(r.found.as_deref(), Some("no Service"));
    assert_eq!(r.expected.as_deref(), Some("web-preview"));
    assert!(r.next.as_deref().unwrap_or_default().contains(&format!("create Service web-preview in {ns}")), "{r:?}");
    assert!(r.next.as_deref().unwrap_or_default().contains("kubectl apply -f argo-rollouts-bluegreen/services.yaml"), "{r:?}");
}

#[tokio::test]
async fn controller_behind_or_rollout_still_progressing() {
    let (_guard, b, c) = with_crd().await;
    let green = "public.ecr.aws/nginx/nginx:1.27";
    let v = vars(&[("greenImage", green)]);
    let promoted = |ns: &str| spec("rollouts.promoted", &[("namespace", ns), ("name", "web")]);

    // the controller wrote status for an older spec (Argo writes observedGeneration as a string)
    let ns = namespace(&c, "ro-behind").await;
    rollout(
        &c,
        &ns,
        BLUE_GREEN(false),
        green,
        json!({"observedGeneration": "0", "phase": "Healthy", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f"}}),
    )
    .await;
    let r = run(&b, &promoted(&ns), &v).await;
    assert_status(&r, Fail, "the controller has not seen the latest change to web yet (generation 1, observed 0)");
    assert_eq!(r.found.as_deref(), Some("0"));
    assert_eq!(r.expected.as_deref(), Some("1"));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.starts_with("wait a few seconds and check again") && next.contains("logs deploy/argo-rollouts"), "{r:?}");

    // promoted: still Progressing, neither paused nor degraded
    let ns = namespace(&c, "ro-progress").await;
    rollout(
        &c,
        &ns,
        BLUE_GREEN(false),
        green,
        json!({"phase": "Progressing", "stableRS": "5c4b", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "5c4b"}}),
    )
    .await;
    let r = run(&b, &promoted(&ns), &v).await;
    assert_status(&r, Fail, "phase Progressing, expected Healthy (wait for the rollout)");
    assert_eq!(r.found.as_deref(), Some("Progressing"));
    assert_eq!(r.expected.as_deref(), Some("Healthy"));
    assert_eq!(r.next.as_deref(), Some(format!("kubectl argo rollouts status web -n {ns} --timeout 5m").as_str()));

    // preview-ready: set image ran, but the active Service still selects the current hash
    // and the Rollout is not Healthy yet: no preview ReplicaSet so far
    let ns = namespace(&c, "ro-notup").await;
    rollout(
        &c,
        &ns,
        BLUE_GREEN(false),
        green,
        json!({"phase": "Progressing", "stableRS": "7d9f", "currentPodHash": "7d9f", "blueGreen": {"activeSelector": "7d9f"}}),
    )
    .await;
    let r = run(&b, &spec("rollouts.preview-ready", &[("namespace", &ns), ("name", "web"), ("image", green)]), &v).await;
    assert_status(&r, Fail, "the new version 7d9f is not up yet (phase Progressing)");
    assert_eq!(r.found.as_deref(), Some("no preview"));
    assert_eq!(r.expected.as_deref(), Some("a preview ReplicaSet"));
    assert!(r.next.as_deref().unwrap_or_default().contains(&format!("kubectl argo rollouts get rollout web -n {ns} --watch")), "{r:?}");
}
