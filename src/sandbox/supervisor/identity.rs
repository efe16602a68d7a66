//! The pod's identity for a host process: a ServiceAccount token from the TokenRequest API,
//! bound to the pod (so it stops working when the pod goes), in a kubeconfig whose user reads
//! it from a file (`tokenFile`, which client-go reads again as it changes, so a refreshed token
//! reaches a running program). What the program may do is then what the manifest's RBAC grants
//! that ServiceAccount, as in a cluster.

use std::path::Path;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;

/// How long a token lives; the supervisor asks for a new one after half of it.
pub const TOKEN_SECONDS: i64 = 3600;

/// A token for `service_account` in `namespace`, bound to the pod `name` (`uid`).
pub async fn token(client: &kube::Client, namespace: &str, service_account: &str, name: &str, uid: &str) -> Result<String, String> {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let request: TokenRequest = serde_json::from_value(serde_json::json!({
        "spec": {"audiences": [], "expirationSeconds": TOKEN_SECONDS, "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": name, "uid": uid}}
    }))
    .map_err(|e| e.to_string())?;
    let params = PostParams::default();
    let call = api.create_subresource::<_, TokenRequest>("token", service_account, &params, &request);
    match tokio::time::timeout(std::time::Duration::from_secs(10), call).await {
        Ok(Ok(t)) => t.status.and_then(|s| s.token).filter(|t| !t.is_empty()).ok_or_else(|| "the API server's TokenRequest answer has no token".into()),
        Ok(Err(kube::Error::Api(s))) => {
            Err(format!("TokenRequest for ServiceAccount {namespace}/{service_account}: the API server answered {}: {}", s.code, s.message))
        }
        Ok(Err(e)) => Err(format!("TokenRequest for ServiceAccount {namespace}/{service_account}: {e}")),
        Err(_) => Err(format!("TokenRequest for ServiceAccount {namespace}/{service_account}: no answer within 10 s")),
    }
}

/// A kubeconfig for the sandbox's API server (its current context's cluster, from the
/// sandbox's kubeconfig) as the token in `token_file`, in `namespace` (what in-cluster config
/// gives a pod).
pub fn kubeconfig(sandbox_kubeconfig: &Path, token_file: &Path, namespace: &str) -> Result<String, String> {
    let config = Kubeconfig::read_from(sandbox_kubeconfig).map_err(|e| format!("kubeconfig {}: {e}", sandbox_kubeconfig.display()))?;
    let context = config.current_context.as_deref().and_then(|c| config.contexts.iter().find(|n| n.name == c)).and_then(|n| n.context.as_ref());
    let cluster = context
        .and_then(|c| config.clusters.iter().find(|n| n.name == c.cluster))
        .and_then(|n| n.cluster.as_ref())
        .ok_or_else(|| format!("kubeconfig {}: its current context names no cluster", sandbox_kubeconfig.display()))?;
    let mut entry = serde_json::json!({"server": cluster.server});
    if let Some(ca) = &cluster.certificate_authority {
        entry["certificate-authority"] = ca.clone().into();
    }
    if let Some(ca) = &cluster.certificate_authority_data {
        entry["certificate-authority-data"] = ca.clone().into();
    }
    let file = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": entry}],
        "users": [{"name": "pod", "user": {"tokenFile": token_file}}],
        "contexts": [{"name": "pod", "context": {"cluster": "sandbox", "user": "pod", "namespace": namespace}}],
        "current-context": "pod"
    });
    serde_json::to_string_pretty(&file).map_err(|e| e.to_string())
}

/// Write a file only its owner reads (a token).
pub fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = path.with_extension("new");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", tmp.display()))?;
    // a reader sees the old token or the new one, never half of one
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubeconfig_is_the_sandboxs_cluster_as_the_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let k = dir.path().join("k");
        std::fs::write(
            &k,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\n    certificate-authority: /ca.crt\ncontexts:\n- name: c\n  context:\n    cluster: x\n    user: u\nusers:\n- name: u\n  user:\n    client-key: /k\n",
        )
        .expect("write");
        let text = kubeconfig(&k, Path::new("/t/token"), "argo-rollouts").expect("kubeconfig");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["clusters"][0]["cluster"], serde_json::json!({"server": "https://127.0.0.1:1", "certificate-authority": "/ca.crt"}));
        assert_eq!(v["users"][0]["user"], serde_json::json!({"tokenFile": "/t/token"}));
        assert_eq!(v["contexts"][0]["context"]["namespace"], "argo-rollouts");
        assert!(!text.contains("client-key"), "{text}");
    }
}
