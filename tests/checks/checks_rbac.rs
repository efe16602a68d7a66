//! Every check runs under the shipped checker ClusterRole, as a ServiceAccount bound to it,
//! and none needs more. The checker cannot read Secrets.

use crate::live::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, ListParams, PostParams};
use kubedojo::checks::CheckStatus;
use kubedojo::checks::backend::{Backend, TargetKind, TargetOptions};
use kubedojo::checks::catalog::KINDS;
use kubedojo::content::{CheckSpec, Loc};
use serde_json::json;

async fn apply_checker_role(c: &kube::Client) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/rbac/checker-clusterrole.yaml")).expect("role file");
    let role: ClusterRole = serde_saphyr::from_str(&text).expect("role yaml");
    let api: Api<ClusterRole> = Api::all(c.clone());
    let _ = api.delete("kubedojo-checker", &Default::default()).await;
    for _ in 0..50 {
        match api.create(&PostParams::default(), &role).await {
            Ok(_) => return,
            Err(kube::Error::Api(s)) if s.code == 409 => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(e) => panic!("create role: {e}"),
        }
    }
    panic!("could not replace the ClusterRole");
}

/// A client that authenticates as `ns/checker`, bound to the checker ClusterRole.
async fn checker_client(c: &kube::Client, ns: &str) -> kube::Client {
    let _: ServiceAccount = create(c, ns, json!({"metadata": {"name": "checker"}})).await;
    let bindings: Api<ClusterRoleBinding> = Api::all(c.clone());
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": unique("kubedojo-checker")},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubedojo-checker"},
        "subjects": [{"kind": "ServiceAccount", "name": "checker", "namespace": ns}]
    }))
    .expect("binding");
    bindings.create(&PostParams::default(), &binding).await.expect("create binding");
    let sas: Api<ServiceAccount> = Api::namespaced(c.clone(), ns);
    let request: TokenRequest = serde_json::from_value(json!({"spec": {"audiences": [], "expirationSeconds": 3600}})).expect("token request");
    let token = sas.create_token_request("checker", &PostParams::default(), &request).await.expect("token").status.expect("status").token.expect("token value");
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig()).expect("kubeconfig");
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
    config.auth_info = kube::config::AuthInfo { token: Some(token.into()), ..Default::default() };
    kube::Client::try_from(config).expect("client")
}

#[tokio::test]
async fn every_check_runs_under_the_checker_role() {
    let admin = backend(None, false).await;
    let c = client(&admin);
    apply_checker_role(&c).await;
    let ns = namespace(&c, "rbac").await;
    // objects that take the checks past their first lookups
    let _: ServiceAccount =
        create(&c, &ns, json!({"metadata": {"name": "s3-reader", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/s3-reader"}}}))
            .await;
    let _: Pod = create(&c, &ns, json!({"metadata": {"name": "app"}, "spec": {"serviceAccountName": "s3-reader", "tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "nginx"}]}})).await;
    let _: Deployment = create(&c, &ns, json!({"metadata": {"name": "payments"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "payments"}}, "template": {"metadata": {"labels": {"app": "payments"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})).await;
    let _: PodDisruptionBudget =
        create(&c, &ns, json!({"metadata": {"name": "payments"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "payments"}}}})).await;

    let checker = checker_client(&c, &ns).await;
    let b = Backend::connect(&TargetOptions { kind: Some(TargetKind::Kwok), kubeconfig: Some(kubeconfig().into()), ..Default::default() }).await;
    let b = Backend { kube: Ok(checker.clone()), ..b };
    // the role is effective once the authorizer sees the binding
    let secrets: Api<Secret> = Api::namespaced(checker.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(checker.clone(), &ns);
    for _ in 0..100 {
        if pods.list(&ListParams::default()).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    match secrets.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 403),
        other => panic!("the checker must not read Secrets: {other:?}"),
    }
    let v = vars(&[("appNs", &ns), ("irsaSa", "s3-reader"), ("caNamespace", &ns)]);
    for kind in KINDS {
        let spec = CheckSpec { kind: kind.id.to_string(), params: Default::default(), loc: Loc::default() };
        let r = kubedojo::checks::engine::run_one(&b, &spec, &v).await;
        assert!(!(r.status == CheckStatus::Error && r.message.contains("not allowed")), "{} needs more than the checker ClusterRole: {}", kind.id, r.message);
    }
}
