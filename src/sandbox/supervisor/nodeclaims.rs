//! EC2 instances becoming nodes, for Karpenter. The real controller launches an instance
//! (CreateFleet, in the emulator) for each NodeClaim and writes its `status.providerID`; on EKS
//! the instance boots, and its kubelet registers a Node with that providerID, the labels and
//! taints Karpenter put in its user data, and the `karpenter.sh/unregistered:NoExecute` taint
//! (`registerWithTaints`), which Karpenter removes when it registers the NodeClaim
//! (sigs.k8s.io/karpenter@v1.14.3 pkg/controllers/nodeclaim/lifecycle/registration.go: a Node
//! is matched by providerID). Nothing boots in the sandbox, so this loop does the kubelet's
//! part: for a launched NodeClaim whose instance runs in the emulator and has no Node, it
//! registers one (a kwok node, which kwok keeps Ready), named by the instance's private DNS
//! name as EC2's resource-name hostnames are, with the NodeClaim's labels, its taints and
//! startup taints plus the unregistered taint, and its capacity and allocatable. Karpenter does
//! the rest (labels, finalizer, initialization, and later draining and deleting it).
//!
//! How it differs: the node is there within seconds of the launch (a real one in a minute or
//! two); it runs no kubelet, so pods on it are kwok's; a NodeClaim whose instance someone
//! terminated keeps its Node until Karpenter's garbage collection removes the claim.

use std::collections::HashSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::{Value, json};

/// The loop, every two seconds until the supervisor stops; quiet while Karpenter's CRDs are absent.
pub async fn keep_registering(client: kube::Client, dir: std::path::PathBuf) {
    let mut registered: HashSet<String> = HashSet::new();
    let mut ec2: Option<aws_sdk_ec2::Client> = None;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Err(e) = pass(&client, &dir, &mut ec2, &mut registered).await {
            eprintln!("registering Karpenter's nodes: {e}");
        }
    }
}

fn claims_api(client: &kube::Client) -> Api<DynamicObject> {
    Api::all_with(client.clone(), &ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("karpenter.sh", "v1", "NodeClaim"), "nodeclaims"))
}

async fn pass(client: &kube::Client, dir: &std::path::Path, ec2: &mut Option<aws_sdk_ec2::Client>, registered: &mut HashSet<String>) -> Result<(), String> {
    let wait = Duration::from_secs(10);
    let claims = match tokio::time::timeout(wait, claims_api(client).list(&ListParams::default())).await {
        Ok(Ok(l)) => l.items,
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => return Ok(()), // no Karpenter CRDs
        Ok(Err(e)) => return Err(format!("listing NodeClaims: {}", crate::kube_text::error(&e))),
        Err(_) => return Err("listing NodeClaims: no answer within 10 s".into()),
    };
    let launched: Vec<(&DynamicObject, String)> = claims
        .iter()
        .filter(|c| c.metadata.deletion_timestamp.is_none())
        .filter_map(|c| Some((c, c.data["status"]["providerID"].as_str()?.to_string())))
        .filter(|(_, id)| !registered.contains(id))
        .collect();
    if launched.is_empty() {
        return Ok(());
    }
    let nodes: Api<Node> = Api::all(client.clone());
    let existing = tokio::time::timeout(wait, nodes.list(&ListParams::default()))
        .await
        .map_err(|_| "listing nodes: no answer within 10 s".to_string())?
        .map_err(|e| format!("listing nodes: {}", crate::kube_text::error(&e)))?;
    let known: HashSet<String> = existing.items.iter().filter_map(|n| n.spec.as_ref()?.provider_id.clone()).collect();
    for (claim, provider_id) in launched {
        if known.contains(&provider_id) {
            registered.insert(provider_id);
            continue;
        }
        let Some(instance) = provider_id.rsplit('/').next().filter(|i| i.starts_with("i-")) else { continue };
        if ec2.is_none() {
            *ec2 = Some(connect(dir).await?);
        }
        let Some(client_ec2) = ec2.as_ref() else { continue };
        let Some(host) = running_instance(client_ec2, instance).await? else { continue };
        let node = node(claim, &provider_id, &host)?;
        match tokio::time::timeout(wait, nodes.create(&PostParams::default(), &node)).await {
            Ok(Ok(_)) => {
                eprintln!("instance {instance} of NodeClaim {} registered as node {host}", claim.metadata.name.as_deref().unwrap_or("?"));
                registered.insert(provider_id);
            }
            // there already (a kubelet registers once)
            Ok(Err(kube::Error::Api(s))) if s.code == 409 => {
                registered.insert(provider_id);
            }
            Ok(Err(e)) => return Err(format!("creating node {host}: {}", crate::kube_text::error(&e))),
            Err(_) => return Err(format!("creating node {host}: no answer within 10 s")),
        }
    }
    Ok(())
}

/// The instance's private DNS name, when it runs.
async fn running_instance(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Option<String>, String> {
    let out = tokio::time::timeout(Duration::from_secs(10), ec2.describe_instances().instance_ids(id).send())
        .await
        .map_err(|_| format!("ec2:DescribeInstances {id}: no answer within 10 s"))?;
    let out = match out {
        Ok(o) => o,
        // not (yet, or any more) in the emulator
        Err(e) if aws_sdk_ec2::error::ProvideErrorMetadata::code(&e) == Some("InvalidInstanceID.NotFound") => return Ok(None),
        Err(e) => return Err(format!("ec2:DescribeInstances {id}: {}", aws_sdk_ec2::error::DisplayErrorContext(&e))),
    };
    let instance = out.reservations().iter().flat_map(|r| r.instances()).find(|i| i.instance_id() == Some(id));
    let running = instance.and_then(|i| i.state()).and_then(|s| s.name()).is_some_and(|n| n.as_str() == "running");
    Ok(instance.filter(|_| running).and_then(|i| i.private_dns_name()).filter(|n| !n.is_empty()).map(str::to_string))
}

async fn connect(dir: &std::path::Path) -> Result<aws_sdk_ec2::Client, String> {
    let sandbox = super::super::load(dir).ok_or("the sandbox's state is gone")?;
    let endpoint = sandbox.front.or(sandbox.emulator).ok_or("the sandbox has no AWS emulator: Karpenter's instances cannot become nodes")?;
    let config = crate::sandbox::aws::sdk_config(&endpoint.url, crate::sandbox::shell::REGION).await;
    Ok(aws_sdk_ec2::Client::new(&config))
}

/// The Node a kubelet on the claim's instance registers.
pub fn node(claim: &DynamicObject, provider_id: &str, host: &str) -> Result<Node, String> {
    let mut labels = claim.metadata.labels.clone().unwrap_or_default();
    labels.insert("kubernetes.io/hostname".into(), host.to_string());
    let spec = &claim.data["spec"];
    let mut taints: Vec<Value> = Vec::new();
    for t in spec["taints"].as_array().into_iter().chain(spec["startupTaints"].as_array()).flatten() {
        taints.push(t.clone());
    }
    taints.push(json!({"key": "karpenter.sh/unregistered", "effect": "NoExecute"}));
    let status = &claim.data["status"];
    serde_json::from_value(json!({
        "metadata": {"name": host, "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
        "spec": {"providerID": provider_id, "taints": taints},
        "status": {"capacity": status["capacity"], "allocatable": status["allocatable"]},
    }))
    .map_err(|e| format!("the node for {provider_id}: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_node_carries_the_claims_labels_taints_and_the_unregistered_taint() {
        let claim: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "karpenter.sh/v1", "kind": "NodeClaim",
            "metadata": {"name": "default-abcde", "labels": {"karpenter.sh/nodepool": "default", "node.kubernetes.io/instance-type": "m7i.xlarge"}},
            "spec": {"taints": [{"key": "team", "value": "a", "effect": "NoSchedule"}], "startupTaints": [{"key": "cni", "effect": "NoSchedule"}]},
            "status": {"providerID": "aws:///eu-west-1a/i-0abc", "capacity": {"cpu": "4", "pods": "58"}, "allocatable": {"cpu": "3920m", "pods": "58"}}
        }))
        .expect("claim");
        let n = super::node(&claim, "aws:///eu-west-1a/i-0abc", "ip-10-0-1-2.eu-west-1.compute.internal").expect("node");
        let labels = n.metadata.labels.clone().expect("labels");
        assert_eq!(labels["karpenter.sh/nodepool"], "default");
        assert_eq!(labels["kubernetes.io/hostname"], "ip-10-0-1-2.eu-west-1.compute.internal");
        let spec = n.spec.expect("spec");
        assert_eq!(spec.provider_id.as_deref(), Some("aws:///eu-west-1a/i-0abc"));
        let taints: Vec<String> = spec.taints.expect("taints").iter().map(|t| format!("{}:{}", t.key, t.effect)).collect();
        assert_eq!(taints, ["team:NoSchedule", "cni:NoSchedule", "karpenter.sh/unregistered:NoExecute"]);
        assert_eq!(n.status.expect("status").allocatable.expect("allocatable")["cpu"].0, "3920m");
    }
}
