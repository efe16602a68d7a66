//! The sandbox's nodes' resources. kwok reports what a node is created with, and for a node
//! without a status its node-initialize stage's defaults (cpu 1k, memory 1Ti, pods 1M:
//! sigs.k8s.io/kwok@v0.8.0 kustomize/stage/node/fast/node-initialize.yaml, which keeps a status
//! the node already has); kwokctl's own nodes get cpu 32, memory 256Gi, pods 110. Neither has
//! the ephemeral storage a kubelet reports (its root volume), so a pod with an ephemeral-storage
//! request or limit never schedules: the Argo Rollouts controller's install manifest has
//! `limits: ephemeral-storage: 1Gi` (argoproj/argo-rollouts@v1.9.1 manifests/install.yaml).

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

/// A node's capacity and allocatable as it registers: kwok's defaults and a root volume of
/// `disk_gib` as ephemeral storage.
pub fn resources(disk_gib: i32) -> serde_json::Value {
    let resources = json!({"cpu": "1k", "memory": "1Ti", "pods": "1M", "ephemeral-storage": format!("{disk_gib}Gi")});
    json!({"capacity": resources, "allocatable": resources})
}

/// Give every node without ephemeral storage a root volume of eksctl's default size
/// (`DefaultNodeVolumeSize = 80`, eksctl pkg/apis/eksctl.io/v1alpha5/types.go): kwokctl's nodes.
pub fn add_storage(kubeconfig: &std::path::Path) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(async {
        let config = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
        let config = kube::Config::from_custom_kubeconfig(config, &kube::config::KubeConfigOptions::default())
            .await
            .map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
        let api: Api<Node> = Api::all(kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?);
        let wait = std::time::Duration::from_secs(10);
        let nodes = tokio::time::timeout(wait, api.list(&ListParams::default()))
            .await
            .map_err(|_| "listing the sandbox's nodes: no answer within 10 s".to_string())?
            .map_err(|e| format!("listing the sandbox's nodes: {e}"))?;
        let size = format!("{}Gi", super::eksctl::config::DEFAULT_VOLUME_SIZE);
        for n in nodes.items {
            let has = n.status.as_ref().and_then(|s| s.capacity.as_ref()).is_some_and(|c| c.contains_key("ephemeral-storage"));
            let Some(name) = n.metadata.name.filter(|_| !has) else { continue };
            let patch = json!({"status": {"capacity": {"ephemeral-storage": size}, "allocatable": {"ephemeral-storage": size}}});
            tokio::time::timeout(wait, api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch)))
                .await
                .map_err(|_| format!("node {name}: no answer within 10 s"))?
                .map_err(|e| format!("giving node {name} ephemeral storage: {e}"))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_node_has_its_root_volume_as_ephemeral_storage() {
        let r = super::resources(50);
        assert_eq!(r["capacity"]["ephemeral-storage"], "50Gi");
        assert_eq!(r["allocatable"], r["capacity"]);
    }
}
