//! Generic Kubernetes checks against the real API server (kwok nodes run the pods).

use crate::live;
use crate::live::*;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::ServiceAccount;
use kubedojo::checks::CheckStatus::*;
use serde_json::json;

#[tokio::test]
async fn namespace_exists_or_not() {
    let b = backend(None, false).await;
    let ns = namespace(&client(&b), "k8s-ns").await;
    let r = run(&b, &spec("k8s.namespace", &[("name", &ns)]), &vars(&[])).await;
    assert_status(&r, Pass, &format!("namespace {ns} exists"));
    let r = run(&b, &spec("k8s.namespace", &[("name", "does-not-exist-x")]), &vars(&[])).await;
    assert_status(&r, Fail, "namespace does-not-exist-x not found");
    assert_eq!(r.expected.as_deref(), Some("does-not-exist-x"));
}

#[tokio::test]
async fn service_account_exists_or_not() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "k8s-sa").await;
    let _: ServiceAccount = create(&c, &ns, json!({"metadata": {"name": "reader"}})).await;
    let r = run(&b, &spec("k8s.service-account", &[("namespace", &ns), ("name", "reader")]), &vars(&[])).await;
    assert_status(&r, Pass, "exists");
    let r = run(&b, &spec("k8s.service-account", &[("namespace", &ns), ("name", "writer")]), &vars(&[])).await;
    assert_status(&r, Fail, &format!("ServiceAccount {ns}/writer not found"));
}

fn deployment(name: &str, replicas: i32, node_selector: Option<serde_json::Value>) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": node_selector,
                    "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
                    "containers": [{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27"}]
                }
            }
        }
    })
}

#[tokio::test]
async fn deployment_becomes_available_on_kwok_nodes() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "k8s-deploy").await;
    let _: Deployment = create(&c, &ns, deployment("web", 2, None)).await;
    let r = run_until(&b, &spec("k8s.deployment-ready", &[("namespace", &ns), ("name", "web")]), &vars(&[]), Pass, "2/2").await;
    assert_status(&r, Pass, "2/2 available");
}

#[tokio::test]
async fn deployment_that_cannot_schedule_names_the_pod_problem() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "k8s-pending").await;
    let _: Deployment = create(&c, &ns, deployment("stuck", 1, Some(json!({"no-such-label": "x"})))).await;
    // wait until the scheduler has looked at the pod and said why it cannot place it
    let s = spec("k8s.deployment-ready", &[("namespace", &ns), ("name", "stuck")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let r = loop {
        let r = run(&b, &s, &vars(&[])).await;
        let scheduled = r.message.contains("node(s) didn't match") || r.message.contains("nodes are available");
        if scheduled || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_status(&r, Fail, "0/1 available; pod stuck-");
    assert!(r.message.contains("node(s) didn't match") || r.message.contains("nodes are available"), "{r:?}");
    let r = run(&b, &spec("k8s.deployment-ready", &[("namespace", &ns), ("name", "absent")]), &vars(&[])).await;
    assert_status(&r, Fail, &format!("Deployment {ns}/absent not found"));
}

fn daemonset(name: &str, node_selector: Option<serde_json::Value>) -> serde_json::Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": node_selector,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "agent", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0"}]
                }
            }
        }
    })
}

#[tokio::test]
async fn daemonset_ready_on_every_node_or_on_none() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "k8s-ds").await;
    // the cluster's two base nodes (kwokctl labels them type=kwok); tests may add others
    let _: DaemonSet = create(&c, &ns, daemonset("agent", Some(json!({"type": "kwok"})))).await;
    let r = run_until(&b, &spec("k8s.daemonset-ready", &[("namespace", &ns), ("name", "agent")]), &vars(&[]), Pass, "2/2").await;
    assert_status(&r, Pass, "2/2 ready");
    let _: DaemonSet = create(&c, &ns, daemonset("nowhere", Some(json!({"no-such-label": "x"})))).await;
    let s = spec("k8s.daemonset-ready", &[("namespace", &ns), ("name", "nowhere")]);
    let r = run_until(&b, &s, &vars(&[]), Fail, "scheduled on no node").await;
    assert_status(&r, Fail, "is scheduled on no node");
    let r = run(&b, &spec("k8s.daemonset-ready", &[("namespace", &ns), ("name", "absent")]), &vars(&[])).await;
    assert_status(&r, Fail, "not found");
}

#[tokio::test]
async fn an_unreachable_api_server_is_an_error_not_a_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = live::unreachable_kubeconfig(dir.path());
    let b = kubedojo::checks::backend::Backend::connect(&kubedojo::checks::backend::TargetOptions {
        kind: Some(kubedojo::checks::backend::TargetKind::Kwok),
        kubeconfig: Some(path),
        ..Default::default()
    })
    .await;
    let r = run(&b, &spec("k8s.namespace", &[("name", "x")]), &vars(&[])).await;
    assert_status(&r, Error, "cannot reach the Kubernetes API server");
}

#[tokio::test]
async fn namespace_held_by_a_finalizer_is_terminating() {
    use k8s_openapi::api::core::v1::Namespace;
    use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
    let b = backend(None, false).await;
    let c = client(&b);
    let name = unique("k8s-term");
    let api: Api<Namespace> = Api::all(c.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name, "finalizers": ["kubedojo.test/hold"]}})).expect("namespace");
    api.create(&PostParams::default(), &ns).await.expect("create namespace");
    api.delete(&name, &DeleteParams::default()).await.expect("delete namespace");
    let s = spec("k8s.namespace", &[("name", &name)]);
    let r = run_until(&b, &s, &vars(&[]), Fail, "is being deleted").await;
    assert_status(&r, Fail, &format!("namespace {name} is being deleted"));
    assert_eq!(r.found.as_deref(), Some("Terminating"));
    assert_eq!(r.expected.as_deref(), Some("Active"));
    let next = r.next.as_deref().unwrap_or_default();
    assert!(next.contains(&format!("`kubectl get namespace {name}` says NotFound, then kubectl create namespace {name}")), "{r:?}");
    assert!(next.contains(&format!("kubectl get namespace {name} -o jsonpath='{{.status.conditions}}'")), "{r:?}");
    // release it: without the finalizer the namespace goes away
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&json!({"metadata": {"finalizers": null}}))).await.expect("remove the finalizer");
    let r = run_until(&b, &s, &vars(&[]), Fail, "not found").await;
    assert_status(&r, Fail, &format!("namespace {name} not found"));
}

#[tokio::test]
async fn daemonset_on_a_node_without_a_kubelet_is_not_ready() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "k8s-ds-stuck").await;
    let pool = unique("stuck-pool");
    let node = unique("stuck");
    // not managed by kwok: no kubelet ever starts the pod placed on it
    kwok_node(&c, &node, json!({"lab/pool": pool, "type": "kwok-test"}), json!([]), false).await;
    let _: DaemonSet = create(&c, &ns, daemonset("agent", Some(json!({"lab/pool": pool})))).await;
    let s = spec("k8s.daemonset-ready", &[("namespace", &ns), ("name", "agent")]);
    let r = run_until(&b, &s, &vars(&[]), Fail, "0/1 ready").await;
    delete_nodes(&c, std::slice::from_ref(&node)).await;
    assert_status(&r, Fail, &format!("DaemonSet {ns}/agent: 0/1 ready"));
    assert_eq!(r.found.as_deref(), Some("0 ready"));
    assert_eq!(r.expected.as_deref(), Some("1 ready"));
    assert_eq!(
        r.next.as_deref(),
        Some(format!("read why in the events: kubectl -n {ns} describe ds agent, then kubectl -n {ns} describe pods -l app=agent").as_str())
    );
    delete_namespace(&c, &ns).await;
}

/// `teardown.cluster-clean`: an object of a kind the cluster serves is named with its delete
/// command while it exists; one of a kind no CRD defines (any more) is gone; an entry that is
/// not `Kind NAME` / `Kind NAMESPACE/NAME` is an error naming it.
#[tokio::test]
async fn what_a_lab_applied_is_named_until_it_is_deleted() {
    let b = backend(None, false).await;
    let c = client(&b);
    let ns = namespace(&c, "kd-gone").await;
    let _: ServiceAccount = create(&c, &ns, json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "leftover"}})).await;
    let objects = |list: &[String]| kubedojo::content::CheckSpec {
        kind: "teardown.cluster-clean".into(),
        params: [("objects".to_string(), kubedojo::content::ParamValue::List(list.to_vec()))].into_iter().collect(),
        loc: Default::default(),
    };
    let check = objects(&[format!("Namespace {ns}"), format!("ServiceAccount {ns}/leftover"), format!("Rollout {ns}/never-defined")]);
    let v = vars(&[]);
    let r = run(&b, &check, &v).await;
    assert_status(&r, Fail, &format!("2 of the lab's objects remain in the cluster: Namespace {ns}, ServiceAccount {ns}/leftover"));
    assert_eq!(r.next.as_deref(), Some(format!("kubectl delete namespace {ns}; kubectl -n {ns} delete serviceaccount leftover").as_str()), "{r:?}");
    delete_namespace(&c, &ns).await;
    let r = run_until(&b, &check, &v, Pass, "none of the 3 objects it makes exists").await;
    assert_status(&r, Pass, "none of the 3 objects it makes exists");
    let r = run(&b, &objects(&["Deployment".into()]), &v).await;
    assert_status(&r, Error, "the objects entry \"Deployment\" is not `Kind NAME` or `Kind NAMESPACE/NAME`");
}
