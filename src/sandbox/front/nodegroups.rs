//! A managed node group's version updates: UpdateNodegroupVersion, and its DescribeUpdate and
//! ListUpdates (`?nodegroupName=`), which the emulator (moto 5.2.5) does not answer. Paths and
//! fields as the aws-sdk-eks 1.122 model encodes them (`src/operation/update_nodegroup_version.rs`:
//! POST `/clusters/{clusterName}/node-groups/{nodegroupName}/update-version` with `version`,
//! `releaseVersion`, `launchTemplate`, `force`, `clientRequestToken`; `describe_update.rs`:
//! the `nodegroupName` query; `types/_update_type.rs` VersionUpdate; `types/_error_code.rs`
//! PodEvictionFailure).
//!
//! What EKS does (EKS user guide, managed-node-update-behavior): it launches nodes of the new
//! version, then cordons and drains the old ones, evicting their pods through the Eviction API,
//! so PodDisruptionBudgets are respected; when the pods do not leave within 15 minutes and the
//! update is not forced, the update fails with PodEvictionFailure ("Reached max retries while
//! trying to evict pods from nodes in node group NAME", with the nodes in `resourceIds`, as
//! `aws eks describe-update` prints it).
//!
//! What is simulated, and how it differs: when the update starts, the front asks the sandbox's
//! API server to evict every pod the drain would evict from the node group's nodes (label
//! `eks.amazonaws.com/nodegroup`; DaemonSet pods and mirror pods left alone, as a drain with
//! `--ignore-daemonsets` does), as a server-side dry run, so each budget decides as it would and
//! nothing moves. A refusal makes the update end Failed with PodEvictionFailure when it settles
//! (unless `force`); otherwise it ends Successful. No node is replaced and the node group's
//! version and release version stay the emulator's.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, EvictParams, ListParams, PostParams};
use serde::Deserialize;
use serde_json::{Value, json};

use super::eks::{decode, error, ok, parse_body, query_param, uuid};
use super::{Call, Shared};

/// The label EKS puts on a managed node group's nodes (EKS user guide, managed-node-update-behavior).
const NODEGROUP_LABEL: &str = "eks.amazonaws.com/nodegroup";

pub struct Nodegroups {
    settle: f64,
    /// (cluster, node group) -> its updates, oldest first
    updates: Mutex<BTreeMap<(String, String), Vec<Update>>>,
}

struct Update {
    id: String,
    params: Vec<(&'static str, String)>,
    created_at: f64,
    until: f64,
    /// The nodes whose pods a budget would not let go; empty: the update succeeds.
    blocked: Vec<String>,
    nodegroup: String,
}

impl Update {
    /// The Update data type of the EKS API.
    fn json(&self, now: f64) -> Value {
        let settled = now >= self.until;
        let (status, errors) = match (settled, self.blocked.is_empty()) {
            (false, _) => ("InProgress", json!([])),
            (true, true) => ("Successful", json!([])),
            (true, false) => (
                "Failed",
                json!([{
                    "errorCode": "PodEvictionFailure",
                    "errorMessage": format!("Reached max retries while trying to evict pods from nodes in node group {}", self.nodegroup),
                    "resourceIds": self.blocked,
                }]),
            ),
        };
        json!({
            "id": self.id,
            "status": status,
            "type": "VersionUpdate",
            "params": self.params.iter().map(|(t, v)| json!({ "type": t, "value": v })).collect::<Vec<_>>(),
            "createdAt": self.created_at,
            "errors": errors,
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionRequest {
    version: Option<String>,
    release_version: Option<String>,
    launch_template: Option<Value>,
    #[serde(default)]
    force: bool,
    #[serde(default)]
    client_request_token: Option<String>,
}

enum Op<'a> {
    UpdateVersion(&'a str, &'a str),
    DescribeUpdate(&'a str, &'a str, String),
    ListUpdates(&'a str, String),
}

impl Nodegroups {
    pub fn new(settle: Duration) -> Nodegroups {
        Nodegroups { settle: settle.as_secs_f64(), updates: Mutex::new(BTreeMap::new()) }
    }

    /// The answer to a node group update request; None: the emulator's to answer.
    pub(super) async fn handle(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        let Call { method, path, query, body, .. } = *call;
        let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let nodegroup = query_param(query, "nodegroupName");
        let op = match (method, seg.as_slice(), nodegroup) {
            (&Method::POST, ["clusters", c, "node-groups", n, "update-version"], _) => Op::UpdateVersion(c, n),
            (&Method::GET, ["clusters", c, "updates", id], Some(n)) => Op::DescribeUpdate(c, id, n),
            (&Method::GET, ["clusters", c, "updates"], Some(n)) => Op::ListUpdates(c, n),
            _ => return None,
        };
        let (cluster, name) = match &op {
            Op::UpdateVersion(c, n) => (*c, n.to_string()),
            Op::DescribeUpdate(c, _, n) | Op::ListUpdates(c, n) => (*c, n.clone()),
        };
        let group = match emulator_nodegroup(front, call, cluster, &name).await {
            Ok(group) => group,
            Err(answer) => return Some(answer),
        };
        let now = crate::clock::unix_now_ms();
        let key = (cluster.to_string(), name.clone());
        Some(match op {
            Op::UpdateVersion(..) => {
                let request: VersionRequest = match parse_body(body, Some(cluster)) {
                    Ok(r) => r,
                    Err(e) => return Some(e.into_response()),
                };
                if let Some(busy) = self.lock().get(&key).and_then(|u| u.iter().find(|u| now < u.until)) {
                    // EKS's wording could not be confirmed
                    let message = format!("Nodegroup {name} already has update {} in progress", busy.id);
                    return Some(error(StatusCode::CONFLICT, "ResourceInUseException", &message, Some(cluster)));
                }
                let blocked = if request.force {
                    Vec::new()
                } else {
                    match refused_evictions(front, &name).await {
                        Ok(nodes) => nodes,
                        Err(e) => return Some(error(StatusCode::INTERNAL_SERVER_ERROR, "ServerException", &e, Some(cluster))),
                    }
                };
                let _ = (&request.client_request_token, &request.launch_template);
                let version = request.version.or_else(|| group["version"].as_str().map(str::to_string)).unwrap_or_default();
                let mut params = vec![("Version", version)];
                if let Some(release) = request.release_version.or_else(|| group["releaseVersion"].as_str().map(str::to_string)) {
                    params.push(("ReleaseVersion", release));
                }
                let update = Update { id: uuid(), params, created_at: now, until: now + self.settle, blocked, nodegroup: name };
                let out = json!({ "update": update.json(now) });
                self.lock().entry(key).or_default().push(update);
                ok(out)
            }
            Op::DescribeUpdate(_, id, _) => match self.lock().get(&key).and_then(|u| u.iter().find(|u| u.id == id)) {
                Some(u) => ok(json!({ "update": u.json(now) })),
                None => error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No update found for ID: {id}"), Some(cluster)),
            },
            Op::ListUpdates(..) => {
                let ids: Vec<String> = self.lock().get(&key).map(|u| u.iter().map(|u| u.id.clone()).collect()).unwrap_or_default();
                ok(json!({ "updateIds": ids }))
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Vec<Update>>> {
        self.updates.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The node group as the emulator describes it; Err: its answer when there is none.
async fn emulator_nodegroup(front: &Shared, call: &Call<'_>, cluster: &str, name: &str) -> Result<Value, Response> {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let path = format!("/clusters/{}/node-groups/{}", enc(cluster), enc(name));
    let r = super::send(front, &Method::GET, &path, call.headers, Default::default())
        .await
        .map_err(|e| super::unreachable_emulator(&front.emulator, &e).into_response())?;
    if !r.status().is_success() {
        // the emulator's own ResourceNotFoundException (no such cluster or node group), as it came
        let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::NOT_FOUND);
        let text = r.text().await.unwrap_or_default();
        return Err((status, [("content-type", "application/json")], text).into_response());
    }
    let mut body: Value = r.json().await.unwrap_or_default();
    Ok(body["nodegroup"].take())
}

/// The nodes of node group `name` with a pod whose eviction the API server refuses (a server-side
/// dry run: nothing is evicted).
async fn refused_evictions(front: &Shared, name: &str) -> Result<Vec<String>, String> {
    let Some(client) = front.install.client_without_retries() else { return Ok(Vec::new()) };
    let nodes: Api<Node> = Api::all(client.clone());
    let nodes = nodes
        .list(&ListParams::default().labels(&format!("{NODEGROUP_LABEL}={name}")))
        .await
        .map_err(|e| format!("the sandbox's cluster did not list the nodes of node group {name}: {}", crate::kube_text::error(&e)))?;
    let dry_run = EvictParams {
        delete_options: Some(DeleteParams { dry_run: true, ..Default::default() }),
        post_options: PostParams { dry_run: true, ..Default::default() },
    };
    let mut blocked = Vec::new();
    for node in nodes {
        let node_name = node.metadata.name.unwrap_or_default();
        let pods: Api<Pod> = Api::all(client.clone());
        let on_node = pods
            .list(&ListParams::default().fields(&format!("spec.nodeName={node_name}")))
            .await
            .map_err(|e| format!("the sandbox's cluster did not list the pods of node {node_name}: {}", crate::kube_text::error(&e)))?;
        for pod in on_node {
            let daemon = pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet");
            let mirror = pod.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
            let (Some(ns), Some(pod_name)) = (pod.metadata.namespace, pod.metadata.name) else { continue };
            if daemon || mirror {
                continue;
            }
            match Api::<Pod>::namespaced(client.clone(), &ns).evict(&pod_name, &dry_run).await {
                Ok(_) => {}
                // 429: "Cannot evict pod as it would violate the pod's disruption budget."
                Err(kube::Error::Api(s)) if s.code == 429 => {
                    blocked.push(node_name.clone());
                    break;
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(format!("the sandbox's cluster did not answer the eviction of pod {ns}/{pod_name}: {}", crate::kube_text::error(&e))),
            }
        }
    }
    Ok(blocked)
}
