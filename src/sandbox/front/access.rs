//! EKS access entries and access policies, answered by the front (moto 5.2.5 has none):
//! Create, Describe, List, Update and DeleteAccessEntry; Associate and DisassociateAccessPolicy,
//! ListAssociatedAccessPolicies; ListAccessPolicies. Paths and fields as the aws-sdk-eks 1.122
//! model encodes them (`src/operation/*_access_entr*.rs`, `*_access_polic*.rs`;
//! `src/protocol_serde/shape_access_entry.rs`, `shape_associated_access_policy.rs`); the rules
//! are the EKS user guide's (awsdocs/amazon-eks-user-guide, creating-access-entries.adoc):
//! one entry per principal, an IAM role or user, not a service-linked role; a type fixed at
//! creation; usernames EKS generates when none is given; groups and policies only on STANDARD
//! entries. Entries need the cluster's authentication mode to be API or API_AND_CONFIG_MAP.
//!
//! What is simulated, and how it differs: entries and associations are stored, nothing more (no
//! authenticator in front of the sandbox's API server reads them); the principal is not checked
//! to exist in IAM; ARNs look like EKS's (`access-entry/CLUSTER/role|user/ACCOUNT/NAME/UUID`).

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::eks::{api_error, decode, error, ok, parse_body, query_param, uuid};
use super::state::{Association, ClusterState, Entry, Mode};
use super::{Call, Shared};

/// The access policies EKS offers (`arn:aws:eks::aws:cluster-access-policy/NAME`), as
/// `aws eks list-access-policies` listed them in 2026 (a public blog's output); it agrees with
/// every policy the EKS user guide's access-policy-permissions page and aws/aws-cli's
/// `examples/eks/list-access-policies.rst` list, which are shorter.
pub const ACCESS_POLICIES: [&str; 33] = [
    "AIDevOpsAgentAccessPolicy",
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSACKPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSArgoCDClusterPolicy",
    "AmazonEKSArgoCDPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSEventPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSKROPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSPodIdentityPolicy",
    "AmazonEKSSecretAdminPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy",
    "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSpacePolicy",
    "AmazonSagemakerHyperpodSpaceTemplatePolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy",
    "AmazonSagemakerHyperpodUserClusterPolicy",
];

const POLICY_PREFIX: &str = "arn:aws:eks::aws:cluster-access-policy/";
const CLUSTER_ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// The entry types CreateAccessEntry takes (the EKS user guide's list).
const TYPES: [&str; 6] = ["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2"];

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    principal_arn: Option<String>,
    kubernetes_groups: Option<Vec<String>>,
    username: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    policy_arn: Option<String>,
    access_scope: Option<Scope>,
}

#[derive(Default, Deserialize)]
struct Scope {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    namespaces: Vec<String>,
}

/// The answer to an access entry or access policy request; None: not one.
pub(super) async fn handle(front: &Shared, call: &Call<'_>) -> Option<Response> {
    let Call { method, path, query, headers, body, .. } = *call;
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (cluster, principal, policies, policy) = match (method, seg.as_slice()) {
        (&Method::GET, ["access-policies"]) => {
            let listed: Vec<Value> = ACCESS_POLICIES.iter().map(|n| json!({ "name": n, "arn": format!("{POLICY_PREFIX}{n}") })).collect();
            return Some(ok(json!({ "accessPolicies": listed })));
        }
        (_, ["clusters", c, "access-entries"]) => (*c, None, false, None),
        (_, ["clusters", c, "access-entries", p]) => (*c, Some(*p), false, None),
        (_, ["clusters", c, "access-entries", p, "access-policies"]) => (*c, Some(*p), true, None),
        (_, ["clusters", c, "access-entries", p, "access-policies", a]) => (*c, Some(*p), true, Some(*a)),
        _ => return None,
    };
    let request: Request = match parse_body(body, Some(cluster)) {
        Ok(r) => r,
        Err(answer) => return Some(answer.into_response()),
    };
    let associated = query_param(query, "associatedPolicyArn");
    let method = method.clone();
    let answer = front
        .clusters
        .with(front, cluster, headers, move |state, now| {
            if state.mode == Mode::ConfigMap {
                // EKS's wording, per terraform-aws-modules/terraform-aws-eks#3048
                let message = "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.";
                return error(StatusCode::BAD_REQUEST, "InvalidRequestException", message, Some(cluster));
            }
            match (&method, principal, policies, policy) {
                (&Method::POST, None, false, None) => create(state, request, now),
                (&Method::GET, None, false, None) => {
                    let listed: Vec<&str> = state
                        .entries
                        .values()
                        .filter(|e| associated.as_ref().is_none_or(|a| e.policies.contains_key(a)))
                        .map(|e| e.principal.as_str())
                        .collect();
                    ok(json!({ "accessEntries": listed }))
                }
                (&Method::DELETE, Some(p), false, None) => match state.entries.remove(p) {
                    Some(_) => ok(json!({})),
                    None => no_entry(cluster),
                },
                (m, Some(p), false, None) => {
                    let Some(entry) = state.entries.get_mut(p) else { return no_entry(cluster) };
                    match *m {
                        Method::GET => ok(json!({ "accessEntry": entry.json(cluster) })),
                        Method::POST => update(entry, request, cluster, now),
                        _ => no_entry(cluster),
                    }
                }
                (m, Some(p), true, a) => {
                    let Some(entry) = state.entries.get_mut(p) else { return no_entry(cluster) };
                    match (m, a) {
                        (&Method::POST, None) => associate(entry, request, cluster, now),
                        (&Method::GET, None) => {
                            let listed: Vec<Value> = entry.policies.iter().map(|(arn, a)| a.json(arn)).collect();
                            ok(json!({ "clusterName": cluster, "principalArn": entry.principal, "associatedAccessPolicies": listed }))
                        }
                        (&Method::DELETE, Some(a)) => match entry.policies.remove(a) {
                            Some(_) => ok(json!({})),
                            // EKS's wording could not be confirmed
                            None => error(
                                StatusCode::NOT_FOUND,
                                "ResourceNotFoundException",
                                &format!("The access policy {a} is not associated with this access entry"),
                                Some(cluster),
                            ),
                        },
                        _ => no_entry(cluster),
                    }
                }
                _ => error(StatusCode::NOT_FOUND, "ResourceNotFoundException", "no such access entry operation", Some(cluster)),
            }
        })
        .await;
    Some(answer.unwrap_or_else(|e| e))
}

/// The access entry EKS gives the cluster's creator (bootstrapClusterCreatorAdminPermissions):
/// STANDARD, the generated username, AmazonEKSClusterAdminPolicy on the whole cluster.
pub(super) fn bootstrap(state: &mut ClusterState, now: f64) {
    let Some(principal) = state.creator.clone().filter(|p| !state.entries.contains_key(p)) else { return };
    let Some((kind, account, name)) = parts(&principal) else { return };
    let mut entry = Entry {
        arn: entry_arn(state, kind, account, name),
        username: default_username(&principal, "STANDARD"),
        principal: principal.clone(),
        kind: "STANDARD".to_string(),
        groups: Vec::new(),
        tags: BTreeMap::new(),
        created_at: now,
        modified_at: now,
        policies: BTreeMap::new(),
    };
    entry.policies.insert(CLUSTER_ADMIN.to_string(), Association { scope: "cluster".into(), namespaces: Vec::new(), associated_at: now, modified_at: now });
    state.entries.insert(principal, entry);
}

fn invalid(message: &str, cluster: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, "InvalidParameterException", message, Some(cluster)).into_response()
}

fn no_entry(cluster: &str) -> Response {
    // EKS's wording, per terraform-aws-modules/terraform-aws-eks#3024
    let message = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.";
    error(StatusCode::NOT_FOUND, "ResourceNotFoundException", message, Some(cluster))
}

fn not_standard(cluster: &str) -> Response {
    // EKS's wording, per aws-controllers-k8s/community#2144
    invalid("This operation can only be performed on Access Entries with a type of \"STANDARD\".", cluster)
}

fn create(state: &mut ClusterState, request: Request, now: f64) -> Response {
    let cluster = state.name.clone();
    let Some(principal) = request.principal_arn.filter(|p| !p.is_empty()) else {
        return invalid("principalArn is required", &cluster);
    };
    // EKS's wordings for a principal it refuses could not be confirmed
    let Some((kind, account, name)) = parts(&principal) else {
        return invalid(&format!("The principalArn {principal} is not the ARN of an IAM role or user (an STS session's ARN is not one)"), &cluster);
    };
    if kind == "role" && principal.contains(":role/aws-service-role/") {
        return invalid("Access entries do not support service-linked roles", &cluster);
    }
    if state.entries.contains_key(&principal) {
        // EKS's wording, per terraform-aws-modules/terraform-aws-eks#3293
        return error(StatusCode::CONFLICT, "ResourceInUseException", "The specified access entry resource is already in use on this cluster.", Some(&cluster));
    }
    let entry_type = request.kind.unwrap_or_else(|| "STANDARD".to_string());
    if !TYPES.contains(&entry_type.as_str()) {
        // EKS's wording could not be confirmed
        return invalid(&format!("type {entry_type} is not one of {}", TYPES.join(", ")), &cluster);
    }
    if entry_type != "STANDARD" {
        if kind != "role" || account != state.account {
            // EKS's wording could not be confirmed
            return invalid(&format!("an access entry of type {entry_type} needs an IAM role of the cluster's account"), &cluster);
        }
        if request.kubernetes_groups.as_ref().is_some_and(|g| !g.is_empty()) || request.username.is_some() {
            // EKS's wording could not be confirmed
            return invalid(&format!("kubernetesGroups and username cannot be given for an access entry of type {entry_type}"), &cluster);
        }
    }
    if let Some(Err(message)) = request.username.as_deref().map(valid_username) {
        return invalid(&message, &cluster);
    }
    // EKS gives EC2 node entries the system:nodes group (aws/aws-cli examples/eks/create-access-entry.rst);
    // what it gives the other node types could not be confirmed
    let groups = match entry_type.as_str() {
        "EC2_LINUX" | "EC2_WINDOWS" => vec!["system:nodes".to_string()],
        _ => request.kubernetes_groups.unwrap_or_default(),
    };
    let entry = Entry {
        arn: entry_arn(state, kind, account, name),
        username: request.username.unwrap_or_else(|| default_username(&principal, &entry_type)),
        principal: principal.clone(),
        kind: entry_type,
        groups,
        tags: request.tags,
        created_at: now,
        modified_at: now,
        policies: BTreeMap::new(),
    };
    let out = json!({ "accessEntry": entry.json(&cluster) });
    state.entries.insert(principal, entry);
    ok(out)
}

fn update(entry: &mut Entry, request: Request, cluster: &str, now: f64) -> Response {
    if entry.kind != "STANDARD" && (request.kubernetes_groups.is_some() || request.username.is_some()) {
        return not_standard(cluster);
    }
    if let Some(Err(message)) = request.username.as_deref().map(valid_username) {
        return invalid(&message, cluster);
    }
    if let Some(g) = request.kubernetes_groups {
        entry.groups = g;
    }
    if let Some(u) = request.username {
        entry.username = u;
    }
    entry.modified_at = now;
    ok(json!({ "accessEntry": entry.json(cluster) }))
}

fn associate(entry: &mut Entry, request: Request, cluster: &str, now: f64) -> Response {
    if entry.kind != "STANDARD" {
        return not_standard(cluster);
    }
    let Some(policy) = request.policy_arn.filter(|p| p.strip_prefix(POLICY_PREFIX).is_some_and(|n| ACCESS_POLICIES.contains(&n))) else {
        // EKS's wording could not be confirmed
        return invalid("policyArn is not an access policy EKS offers (aws eks list-access-policies lists them)", cluster);
    };
    let scope = request.access_scope.unwrap_or_default();
    // EKS's wordings for a scope it refuses could not be confirmed
    let namespaces = match scope.kind.as_deref() {
        Some("cluster") if scope.namespaces.is_empty() => Vec::new(),
        Some("cluster") => return invalid("accessScope of type cluster takes no namespaces", cluster),
        Some("namespace") if !scope.namespaces.is_empty() => scope.namespaces,
        Some("namespace") => return invalid("accessScope of type namespace needs namespaces", cluster),
        _ => return invalid("accessScope.type must be cluster or namespace", cluster),
    };
    let scope_type = scope.kind.unwrap_or_default();
    // associating a policy again changes its scope and keeps when it was first associated
    let associated_at = entry.policies.get(&policy).map_or(now, |a| a.associated_at);
    let association = Association { scope: scope_type, namespaces, associated_at, modified_at: now };
    let out = json!({ "clusterName": cluster, "principalArn": entry.principal, "associatedAccessPolicy": association.json(&policy) });
    entry.policies.insert(policy, association);
    entry.modified_at = now;
    ok(out)
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` -> ("role", ACCOUNT, NAME); users likewise.
fn parts(principal: &str) -> Option<(&str, &str, &str)> {
    let mut fields = principal.splitn(6, ':');
    let (arn, _partition, iam, region, account, resource) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if arn != "arn" || iam != "iam" || !region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (kind, path) = resource.split_once('/')?;
    let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
    ["role", "user"].contains(&kind).then_some((kind, account, name))
}

fn entry_arn(state: &ClusterState, kind: &str, account: &str, name: &str) -> String {
    format!("arn:aws:eks:{}:{}:access-entry/{}/{kind}/{account}/{name}/{}", state.region, state.account, state.name, uuid())
}

/// The username EKS sets when none is given (the EKS user guide's table): a user's ARN; for a
/// role, its session ARN with `{{SessionName}}` (the path removed); node types their node names.
fn default_username(principal: &str, entry_type: &str) -> String {
    match entry_type {
        "EC2_LINUX" | "EC2_WINDOWS" => return "system:node:{{EC2PrivateDNSName}}".to_string(),
        // EC2 (Auto Mode node classes) is not in the guide's table: this is a guess
        "EC2" => return "system:node:{{EC2PrivateDNSName}}".to_string(),
        "FARGATE_LINUX" | "HYBRID_LINUX" => return "system:node:{{SessionName}}".to_string(),
        _ => {}
    }
    match parts(principal) {
        Some(("role", account, name)) => {
            let partition = principal.split(':').nth(1).unwrap_or("aws");
            format!("arn:{partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}")
        }
        _ => principal.to_string(),
    }
}

/// The user guide's rules for a username given: no reserved prefix; a colon before
/// `{{SessionName}}` or `{{SessionNameRaw}}` (EKS's wordings could not be confirmed).
fn valid_username(username: &str) -> Result<(), String> {
    if let Some(prefix) = ["system:", "eks:", "aws:", "amazon:", "iam:"].into_iter().find(|p| username.starts_with(p)) {
        return Err(format!("username {username} cannot start with {prefix}"));
    }
    if let Some(at) = username.find("{{SessionName")
        && !username[..at].contains(':')
    {
        return Err(format!("username {username} needs a colon before {{{{SessionName}}}}"));
    }
    Ok(())
}

impl Entry {
    /// The AccessEntry data type of the EKS API.
    fn json(&self, cluster: &str) -> Value {
        json!({
            "clusterName": cluster,
            "principalArn": self.principal,
            "kubernetesGroups": self.groups,
            "accessEntryArn": self.arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "username": self.username,
            "type": self.kind,
        })
    }
}

impl Association {
    /// The AssociatedAccessPolicy data type of the EKS API.
    fn json(&self, policy: &str) -> Value {
        json!({
            "policyArn": policy,
            "accessScope": { "type": self.scope, "namespaces": self.namespaces },
            "associatedAt": self.associated_at,
            "modifiedAt": self.modified_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_and_the_usernames_eks_gives_them() {
        assert_eq!(parts("arn:aws:iam::123456789012:role/dev/apps/reader"), Some(("role", "123456789012", "reader")));
        assert_eq!(parts("arn:aws:sts::123456789012:assumed-role/reader/s"), None);
        assert_eq!(parts("arn:aws:iam::123456789012:group/devs"), None);
        assert_eq!(default_username("arn:aws:iam::123456789012:role/dev/reader", "STANDARD"), "arn:aws:sts::123456789012:assumed-role/reader/{{SessionName}}");
        assert_eq!(default_username("arn:aws:iam::123456789012:user/ana", "STANDARD"), "arn:aws:iam::123456789012:user/ana");
        assert_eq!(default_username("arn:aws:iam::123456789012:role/node", "EC2_LINUX"), "system:node:{{EC2PrivateDNSName}}");
        assert!(valid_username("system:admin").is_err());
        assert!(valid_username("dev{{SessionName}}").is_err());
        assert!(valid_username("dev:{{SessionName}}").is_ok());
    }
}
