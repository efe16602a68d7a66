//! EKS Pod Identity associations, answered by the front (moto lacks them): Create, Describe,
//! List (by namespace and service account), Update and Delete PodIdentityAssociation. Paths and
//! fields as the aws-sdk-eks 1.122 model encodes them (`src/operation/*_pod_identity_association*.rs`,
//! `src/protocol_serde/shape_pod_identity_association.rs`); ids look like EKS's (`a-` and 17
//! lowercase letters and digits), ARNs are `arn:aws:eks:REGION:ACCOUNT:podidentityassociation/CLUSTER/ID`.
//!
//! What is simulated, and how it differs: the association is stored (no agent hands out
//! credentials; the role is not checked to exist or to trust pods.eks.amazonaws.com, which EKS
//! does check: "InvalidParameterException: Trust policy of the role provided is invalid",
//! hashicorp/terraform-provider-aws#41483); one association per namespace and service account,
//! as EKS allows. In the sandbox every change rewrites the identities file the real pod
//! identity webhook watches (`--watch-container-credentials-config`; its format is
//! pkg/containercredentials/types.go of amazon-eks-pod-identity-webhook v0.6.17), so the
//! webhook injects the Pod Identity env and token into new pods as EKS's does. The file lists
//! the associations of every cluster the front knows: the sandbox has one Kubernetes cluster.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::eks::{api_error, decode, error, known_cluster, ok, parse_body, query_param};
use super::{Call, Shared};

#[derive(Default)]
pub struct PodIdentity {
    /// association id -> association
    associations: Mutex<BTreeMap<String, Association>>,
    /// The webhook's identities file, rewritten on every change; None: no webhook to tell.
    file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
struct Association {
    id: String,
    arn: String,
    cluster: String,
    namespace: String,
    service_account: String,
    role: String,
    target_role: Option<String>,
    disable_session_tags: bool,
    policy: Option<String>,
    tags: BTreeMap<String, String>,
    created_at: f64,
    modified_at: f64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    namespace: Option<String>,
    service_account: Option<String>,
    role_arn: Option<String>,
    target_role_arn: Option<String>,
    disable_session_tags: Option<bool>,
    policy: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

impl PodIdentity {
    /// The associations, told to the webhook through `file` (written empty at once, so a file
    /// left by an earlier sandbox names nobody).
    pub fn new(file: Option<std::path::PathBuf>) -> std::io::Result<PodIdentity> {
        let p = PodIdentity { associations: Mutex::default(), file };
        p.tell_webhook(&BTreeMap::new())?;
        Ok(p)
    }

    /// Write `{"identities":[{"namespace":..,"serviceAccount":..}]}` beside the file and rename
    /// it over, so the webhook never reads half a file.
    fn tell_webhook(&self, all: &BTreeMap<String, Association>) -> std::io::Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        let identities: Vec<Value> = all.values().map(|a| json!({"namespace": a.namespace, "serviceAccount": a.service_account})).collect();
        let text = json!({ "identities": identities }).to_string();
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let partial = file.with_extension("partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, file)
    }

    /// The answer to a Pod Identity request; None: not one.
    pub(super) async fn handle(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        let Call { method, path, query, body, .. } = *call;
        let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let (cluster, id) = match seg.as_slice() {
            ["clusters", c, "pod-identity-associations"] => (*c, None),
            ["clusters", c, "pod-identity-associations", id] => (*c, Some(*id)),
            _ => return None,
        };
        let (region, account) = match known_cluster(front, call, cluster).await {
            Ok(known) => known,
            Err(answer) => return Some(answer),
        };
        let request: Request = match parse_body(body, Some(cluster)) {
            Ok(r) => r,
            Err(answer) => return Some(answer.into_response()),
        };
        let now = crate::clock::unix_now_ms();
        let mut all = self.associations.lock().unwrap_or_else(|e| e.into_inner());
        let not_found =
            |id: &str| error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No Pod Identity association found for ID: {id}"), Some(cluster));
        Some(match (method, id) {
            (&Method::POST, None) => {
                let (Some(namespace), Some(service_account), Some(role)) = (request.namespace, request.service_account, request.role_arn) else {
                    return Some(
                        api_error(StatusCode::BAD_REQUEST, "InvalidParameterException", "namespace, serviceAccount and roleArn are required", Some(cluster))
                            .into_response(),
                    );
                };
                if let Some(existing) = all.values().find(|a| a.cluster == cluster && a.namespace == namespace && a.service_account == service_account) {
                    let message = format!("Association already exists: {}", existing.id);
                    return Some(error(StatusCode::CONFLICT, "ResourceInUseException", &message, Some(cluster)));
                }
                let id = association_id();
                let a = Association {
                    arn: format!("arn:aws:eks:{region}:{account}:podidentityassociation/{cluster}/{id}"),
                    id: id.clone(),
                    cluster: cluster.to_string(),
                    namespace,
                    service_account,
                    role,
                    target_role: request.target_role_arn,
                    disable_session_tags: request.disable_session_tags.unwrap_or(false),
                    policy: request.policy,
                    tags: request.tags,
                    created_at: now,
                    modified_at: now,
                };
                let out = json!({ "association": a.json() });
                all.insert(id, a);
                self.told(&all, ok(out))
            }
            (&Method::GET, None) => {
                let (ns, sa) = (query_param(query, "namespace"), query_param(query, "serviceAccount"));
                let listed: Vec<Value> = all
                    .values()
                    .filter(|a| a.cluster == cluster && ns.as_ref().is_none_or(|n| *n == a.namespace) && sa.as_ref().is_none_or(|s| *s == a.service_account))
                    .map(Association::summary)
                    .collect();
                ok(json!({ "associations": listed }))
            }
            (&Method::GET, Some(id)) => match all.get(id).filter(|a| a.cluster == cluster) {
                Some(a) => ok(json!({ "association": a.json() })),
                None => not_found(id),
            },
            (&Method::POST, Some(id)) => match all.get_mut(id).filter(|a| a.cluster == cluster) {
                Some(a) => {
                    if let Some(r) = request.role_arn {
                        a.role = r;
                    }
                    if let Some(t) = request.target_role_arn {
                        a.target_role = Some(t).filter(|t| !t.is_empty());
                    }
                    if let Some(d) = request.disable_session_tags {
                        a.disable_session_tags = d;
                    }
                    if let Some(p) = request.policy {
                        a.policy = Some(p).filter(|p| !p.is_empty());
                    }
                    a.modified_at = now;
                    ok(json!({ "association": a.json() }))
                }
                None => not_found(id),
            },
            (&Method::DELETE, Some(id)) => match all.get(id).filter(|a| a.cluster == cluster).cloned() {
                Some(a) => {
                    all.remove(id);
                    self.told(&all, ok(json!({ "association": a.json() })))
                }
                None => not_found(id),
            },
            _ => return None,
        })
    }
}

impl PodIdentity {
    /// `answer` once the webhook knows of the change; EKS's own error when it cannot be told.
    fn told(&self, all: &BTreeMap<String, Association>, answer: Response) -> Response {
        match self.tell_webhook(all) {
            Ok(()) => answer,
            Err(e) => {
                let file = self.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
                let message = format!("the sandbox could not tell its pod identity webhook ({file}): {e}");
                error(StatusCode::INTERNAL_SERVER_ERROR, "ServerException", &message, None)
            }
        }
    }
}

impl Association {
    /// The PodIdentityAssociation data type of the EKS API.
    fn json(&self) -> Value {
        let mut a = json!({
            "clusterName": self.cluster,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "roleArn": self.role,
            "associationArn": self.arn,
            "associationId": self.id,
            "tags": self.tags,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "disableSessionTags": self.disable_session_tags,
        });
        if let Some(t) = &self.target_role {
            a["targetRoleArn"] = json!(t);
        }
        if let Some(p) = &self.policy {
            a["policy"] = json!(p);
        }
        a
    }

    /// The PodIdentityAssociationSummary data type (what List returns).
    fn summary(&self) -> Value {
        json!({
            "clusterName": self.cluster,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "associationArn": self.arn,
            "associationId": self.id,
        })
    }
}

/// `a-` and 17 lowercase letters and digits, as EKS's ids look.
fn association_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut b = [0u8; 17];
    let _ = getrandom::fill(&mut b);
    format!("a-{}", b.iter().map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char).collect::<String>())
}
