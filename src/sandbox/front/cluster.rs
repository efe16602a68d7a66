//! The EKS cluster configuration, where the emulator keeps it only in part: the front remembers
//! each cluster's access configuration (moto 5.2.5 drops CreateCluster's `accessConfig`),
//! endpoint access, control plane logging and secrets encryption, merges them into
//! DescribeCluster, and routes the cluster's updates ([`super::updates`]: moto answers
//! UpdateClusterConfig with the cluster instead of an Update, replaces the whole
//! `resourcesVpcConfig` with the request's, and has no AssociateEncryptionConfig, DescribeUpdate
//! or ListUpdates). Paths and fields as the aws-sdk-eks 1.122 model encodes them
//! (`src/operation/create_cluster.rs`, `describe_cluster.rs`, `describe_update.rs`,
//! `list_updates.rs`; `src/protocol_serde/shape_cluster.rs`).
//!
//! What is simulated, and how it differs: an update changes the cluster only when it settles,
//! and the cluster's `status` is UPDATING until then, as in EKS (else the emulator's, ACTIVE);
//! the KMS key is not checked. The access entries of [`super::access`] live here too, with the
//! cluster they belong to: a cluster deleted (or created again under the same name) loses them,
//! as in EKS.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::eks::{ApiError, arn_region_account, decode, error, ok, parse_body, query_param};
use super::state::{AccessRequest, Change, ClusterState, Endpoint, LOG_TYPES, Mode};
use super::updates::{ConfigRequest, EncryptionRequest};
use super::{Call, Shared};

pub struct Clusters {
    settle: f64,
    /// cluster name -> what the front keeps of it
    state: Mutex<BTreeMap<String, ClusterState>>,
    /// cluster name -> (its createdAt, the cluster security group the front made for it)
    security_groups: Mutex<BTreeMap<String, (Value, String)>>,
}

/// The body of CreateCluster, the part the front reads.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    access_config: Option<AccessRequest>,
}

enum Op<'a> {
    Create,
    Describe(&'a str),
    Delete(&'a str),
    UpdateConfig(&'a str),
    AssociateEncryption(&'a str),
    DescribeUpdate(&'a str, &'a str),
    ListUpdates(&'a str),
}

impl Clusters {
    pub fn new(settle: Duration) -> Clusters {
        Clusters { settle: settle.as_secs_f64(), state: Mutex::new(BTreeMap::new()), security_groups: Mutex::new(BTreeMap::new()) }
    }

    /// The answer to a cluster request the front takes part in; None: the emulator's alone.
    pub(super) async fn handle(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        let Call { method, path, query, headers, body, .. } = *call;
        let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        // updates of an add-on, a node group or a capability are not the cluster's
        let cluster_update = ["addonName", "nodegroupName", "capabilityName"].iter().all(|q| query_param(query, q).is_none());
        let op = match (method, seg.as_slice()) {
            (&Method::POST, ["clusters"]) => Op::Create,
            (&Method::GET, ["clusters", c]) => Op::Describe(c),
            (&Method::DELETE, ["clusters", c]) => Op::Delete(c),
            (&Method::POST, ["clusters", c, "update-config"]) => Op::UpdateConfig(c),
            (&Method::POST, ["clusters", c, "encryption-config", "associate"]) => Op::AssociateEncryption(c),
            (&Method::GET, ["clusters", c, "updates", id]) if cluster_update => Op::DescribeUpdate(c, id),
            (&Method::GET, ["clusters", c, "updates"]) if cluster_update => Op::ListUpdates(c),
            _ => return None,
        };
        Some(match op {
            Op::Create => self.create(front, call).await,
            Op::Describe(c) => self.describe(front, c, headers).await,
            Op::Delete(c) => {
                let answer = super::forward(front, method, path, headers, axum::body::Bytes::copy_from_slice(body)).await;
                if answer.status() == StatusCode::OK {
                    self.lock().remove(c);
                    // EKS deletes the cluster security group it made with the cluster
                    let made = self.security_groups.lock().unwrap_or_else(|e| e.into_inner()).remove(c);
                    if let (Some((_, sg)), Some(ec2)) = (made, rescoped(headers, "ec2")) {
                        let query = format!("Action=DeleteSecurityGroup&Version=2016-11-15&GroupId={sg}");
                        let _ = super::send(front, &Method::POST, "/", &ec2, axum::body::Bytes::from(query)).await;
                    }
                }
                answer
            }
            Op::UpdateConfig(c) => {
                let request: ConfigRequest = match parse_body(body, Some(c)) {
                    Ok(r) => r,
                    Err(e) => return Some(e.into_response()),
                };
                let settle = self.settle;
                self.with(front, c, headers, |state, now| state.update_config(request, now, settle)).await.unwrap_or_else(|e| e)
            }
            Op::AssociateEncryption(c) => {
                let request: EncryptionRequest = match parse_body(body, Some(c)) {
                    Ok(r) => r,
                    Err(e) => return Some(e.into_response()),
                };
                let settle = self.settle;
                self.with(front, c, headers, |state, now| state.associate_encryption(request, now, settle)).await.unwrap_or_else(|e| e)
            }
            Op::DescribeUpdate(c, id) => self
                .with(front, c, headers, |state, now| match state.updates.iter().find(|u| u.id == id) {
                    Some(u) => ok(json!({ "update": u.json(now) })),
                    None => error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No update found for ID: {id}"), Some(c)),
                })
                .await
                .unwrap_or_else(|e| e),
            Op::ListUpdates(c) => self
                .with(front, c, headers, |state, _| ok(json!({ "updateIds": state.updates.iter().map(|u| u.id.as_str()).collect::<Vec<_>>() })))
                .await
                .unwrap_or_else(|e| e),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ClusterState>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` on what the front keeps of cluster `name` (read from the emulator the first time,
    /// its updates settled); Err: the answer when there is no such cluster or no emulator.
    pub(super) async fn with<R>(&self, front: &Shared, name: &str, headers: &HeaderMap, f: impl FnOnce(&mut ClusterState, f64) -> R) -> Result<R, Response> {
        let cluster = match emulator_cluster(front, name, headers).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(no_cluster(name)),
            Err(e) => return Err(e.into_response()),
        };
        let now = crate::clock::unix_now_ms();
        let mut all = self.lock();
        let state = known(&mut all, name, &cluster);
        state.settle(now);
        Ok(f(state, now))
    }

    async fn describe(&self, front: &Shared, name: &str, headers: &HeaderMap) -> Response {
        match emulator_cluster(front, name, headers).await {
            Ok(Some(mut cluster)) => {
                let vpc = match cluster["resourcesVpcConfig"]["subnetIds"][0].as_str() {
                    Some(subnet) if cluster["resourcesVpcConfig"]["vpcId"].is_null() => subnet_vpc(front, headers, subnet).await,
                    _ => None,
                };
                if let Some(vpc) = vpc {
                    cluster["resourcesVpcConfig"]["vpcId"] = json!(vpc);
                }
                let sg = self.security_group(front, name, &cluster, headers).await;
                let now = crate::clock::unix_now_ms();
                let mut all = self.lock();
                let state = known(&mut all, name, &cluster);
                state.settle(now);
                state.merge(&mut cluster);
                if let Some(sg) = sg {
                    cluster["resourcesVpcConfig"]["clusterSecurityGroupId"] = json!(sg);
                }
                ok(json!({ "cluster": cluster }))
            }
            Ok(None) => no_cluster(name),
            Err(e) => e.into_response(),
        }
    }

    /// The cluster security group, which moto 5.2.5 does not make: EKS creates one for each
    /// cluster, named `eks-cluster-sg-NAME-ID`, tagged `kubernetes.io/cluster/NAME=owned` and
    /// `aws:eks:cluster-name=NAME` (EKS user guide, "View Amazon EKS security group requirements
    /// for clusters"), and names it in `resourcesVpcConfig.clusterSecurityGroupId`; labs tag it
    /// (Karpenter's discovery). The front makes it in the emulator the first time the cluster
    /// is described, and deletes it with the cluster. moto refuses tag keys starting with
    /// `aws:`, so that tag is missing.
    async fn security_group(&self, front: &Shared, name: &str, cluster: &Value, headers: &HeaderMap) -> Option<String> {
        if let Some(sg) = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"].as_str().filter(|s| !s.is_empty()) {
            return Some(sg.to_string());
        }
        let created = cluster["createdAt"].clone();
        if let Some((_, sg)) = self.security_groups.lock().unwrap_or_else(|e| e.into_inner()).get(name).filter(|(at, _)| *at == created) {
            return Some(sg.clone());
        }
        let vpc = cluster["resourcesVpcConfig"]["vpcId"].as_str()?;
        let ec2 = rescoped(headers, "ec2")?;
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        // EKS's ids are ten digits; the sandbox's come from the cluster's creation time
        let id = format!("{:010}", (created.as_f64().unwrap_or_default() * 1000.0) as u64 % 10_000_000_000);
        let group = format!("eks-cluster-sg-{name}-{id}");
        let description = "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.";
        let query = format!("Action=CreateSecurityGroup&Version=2016-11-15&GroupName={}&GroupDescription={}&VpcId={}", enc(&group), enc(description), enc(vpc));
        let r = super::send(front, &Method::POST, "/", &ec2, axum::body::Bytes::from(query)).await.ok()?;
        let xml = r.text().await.ok()?;
        let sg = xml.split("<groupId>").nth(1)?.split("</groupId>").next()?.to_string();
        let tags = format!(
            "Action=CreateTags&Version=2016-11-15&ResourceId.1={}&Tag.1.Key=Name&Tag.1.Value={}&Tag.2.Key={}&Tag.2.Value=owned",
            enc(&sg),
            enc(&group),
            enc(&format!("kubernetes.io/cluster/{name}"))
        );
        let _ = super::send(front, &Method::POST, "/", &ec2, axum::body::Bytes::from(tags)).await;
        self.security_groups.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), (created, sg.clone()));
        Some(sg)
    }

    /// CreateCluster: the emulator creates it; the front remembers its access configuration
    /// (and, as EKS does with bootstrapClusterCreatorAdminPermissions, gives its creator an
    /// access entry with AmazonEKSClusterAdminPolicy when the mode allows access entries).
    async fn create(&self, front: &Shared, call: &Call<'_>) -> Response {
        let request: CreateRequest = match parse_body(call.body, Some("")) {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
        let access = request.access_config.unwrap_or_default();
        // EKS's default for a cluster created through the API: CONFIG_MAP, and
        // bootstrapClusterCreatorAdminPermissions true (EKS API reference,
        // CreateAccessConfigRequest: "If you create a cluster by using the EKS API, AWS SDKs,
        // or AWS CloudFormation, the default is CONFIG_MAP"; "The default value is true")
        let mode = match access.authentication_mode.as_deref().map(|m| (m, Mode::parse(m))) {
            None => Mode::ConfigMap,
            Some((_, Some(m))) => m,
            Some((m, None)) => {
                // EKS's wording for an unknown mode could not be confirmed
                let message = format!("authenticationMode {m} is not one of CONFIG_MAP, API_AND_CONFIG_MAP, API");
                return error(StatusCode::BAD_REQUEST, "InvalidParameterException", &message, None);
            }
        };
        let bootstrap = access.bootstrap_cluster_creator_admin_permissions.unwrap_or(true);
        if mode == Mode::ConfigMap && !bootstrap {
            // EKS's wording, per terraform-aws-modules/terraform-aws-eks#3206
            let message = "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP";
            return error(StatusCode::BAD_REQUEST, "InvalidParameterException", message, None);
        }
        let answer = match super::send(front, call.method, call.path, call.headers, axum::body::Bytes::copy_from_slice(call.body)).await {
            Ok(r) => r,
            Err(e) => return super::unreachable_emulator(&front.emulator, &e).into_response(),
        };
        let status = answer.status();
        let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
        let bytes = answer.bytes().await.unwrap_or_default();
        let Some(mut body) = serde_json::from_slice::<Value>(&bytes).ok().filter(|b| status.is_success() && b["cluster"].is_object()) else {
            let mut out = Response::builder().status(status.as_u16());
            if let Some(ct) = content_type {
                out = out.header(header::CONTENT_TYPE, ct);
            }
            return out.body(Body::from(bytes)).unwrap_or_default();
        };
        let creator = creator(front, call.headers).await;
        let name = body["cluster"]["name"].as_str().unwrap_or_default().to_string();
        let now = crate::clock::unix_now_ms();
        let mut state = ClusterState::from_emulator(&name, &body["cluster"]);
        state.mode = mode;
        state.bootstrap = bootstrap;
        state.creator = creator;
        if mode != Mode::ConfigMap {
            super::access::bootstrap(&mut state, now);
        }
        state.merge(&mut body["cluster"]);
        self.lock().insert(name, state);
        ok(body)
    }
}

/// What the front keeps of `name`, made from the emulator's cluster when it is new to the front
/// (or was deleted and created again since).
fn known<'a>(all: &'a mut BTreeMap<String, ClusterState>, name: &str, cluster: &Value) -> &'a mut ClusterState {
    let stale = all.get(name).is_some_and(|s| s.created_at != cluster["createdAt"]);
    if stale {
        all.remove(name);
    }
    all.entry(name.to_string()).or_insert_with(|| ClusterState::from_emulator(name, cluster))
}

impl ClusterState {
    /// A cluster the front did not see created: its endpoint access, logging and encryption as
    /// the emulator holds them (EKS's defaults where it holds none), the access configuration
    /// EKS gives a cluster created without one.
    fn from_emulator(name: &str, cluster: &Value) -> ClusterState {
        let vpc = &cluster["resourcesVpcConfig"];
        let cidrs: Vec<String> =
            vpc["publicAccessCidrs"].as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(str::to_string)).collect()).unwrap_or_default();
        // EKS API reference, VpcConfigRequest: endpointPublicAccess defaults to true,
        // endpointPrivateAccess to false, publicAccessCidrs to 0.0.0.0/0
        let endpoint = Endpoint {
            public: vpc["endpointPublicAccess"].as_bool().unwrap_or(true),
            private: vpc["endpointPrivateAccess"].as_bool().unwrap_or(false),
            cidrs: if cidrs.is_empty() { vec!["0.0.0.0/0".to_string()] } else { cidrs },
        };
        let mut logging: BTreeMap<String, bool> = LOG_TYPES.iter().map(|t| (t.to_string(), false)).collect();
        for setup in cluster["logging"]["clusterLogging"].as_array().into_iter().flatten() {
            let enabled = setup["enabled"].as_bool().unwrap_or(false);
            for t in setup["types"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                logging.insert(t.to_string(), enabled);
            }
        }
        let encryption = cluster["encryptionConfig"].as_array().filter(|a| !a.is_empty()).map(|a| Value::Array(a.clone()));
        let arn = cluster["arn"].as_str().unwrap_or_default();
        let (region, account) = arn_region_account(arn).unwrap_or_else(|| ("us-east-1".to_string(), "123456789012".to_string()));
        ClusterState {
            created_at: cluster["createdAt"].clone(),
            name: name.to_string(),
            region,
            account,
            creator: None,
            mode: Mode::ConfigMap,
            bootstrap: true,
            endpoint,
            logging,
            encryption,
            updates: Vec::new(),
            entries: BTreeMap::new(),
        }
    }

    /// Apply the updates whose time is up.
    fn settle(&mut self, now: f64) {
        let mut changes = Vec::new();
        for u in self.updates.iter_mut().filter(|u| u.until <= now) {
            changes.extend(u.change.take().map(|c| (c, u.until)));
        }
        for (change, at) in changes {
            match change {
                Change::Endpoint(e) => self.endpoint = e,
                Change::Logging(l) => self.logging = l,
                Change::Encryption(e) => self.encryption = Some(e),
                Change::Access(mode) => {
                    let from = self.mode;
                    self.mode = mode;
                    // moving a cluster to API_AND_CONFIG_MAP gives its creator the access entry
                    // it would have had (eks-workshop "Switching between Authentication Modes":
                    // list-access-entries shows the creator's role after the switch)
                    if from == Mode::ConfigMap && self.bootstrap {
                        super::access::bootstrap(self, at);
                    }
                }
            }
        }
    }

    /// The front's part of the Cluster data type, into the emulator's answer.
    fn merge(&self, cluster: &mut Value) {
        if self.updates.iter().any(|u| u.change.is_some()) {
            cluster["status"] = json!("UPDATING");
        }
        cluster["accessConfig"] = json!({ "authenticationMode": self.mode.as_str(), "bootstrapClusterCreatorAdminPermissions": self.bootstrap });
        if !cluster["resourcesVpcConfig"].is_object() {
            cluster["resourcesVpcConfig"] = json!({});
        }
        let vpc = &mut cluster["resourcesVpcConfig"];
        vpc["endpointPublicAccess"] = json!(self.endpoint.public);
        vpc["endpointPrivateAccess"] = json!(self.endpoint.private);
        vpc["publicAccessCidrs"] = json!(self.endpoint.cidrs);
        cluster["logging"] = logging_json(&self.logging);
        match &self.encryption {
            Some(e) => cluster["encryptionConfig"] = e.clone(),
            None => {
                if let Some(c) = cluster.as_object_mut() {
                    c.remove("encryptionConfig");
                }
            }
        }
    }
}

/// The Logging data type as EKS returns it: the enabled types, then the disabled ones.
fn logging_json(logging: &BTreeMap<String, bool>) -> Value {
    let of = |enabled: bool| LOG_TYPES.iter().filter(|t| logging.get(**t).copied().unwrap_or(false) == enabled).copied().collect::<Vec<_>>();
    let groups: Vec<Value> =
        [(true, of(true)), (false, of(false))].into_iter().filter(|(_, t)| !t.is_empty()).map(|(e, t)| json!({ "types": t, "enabled": e })).collect();
    json!({ "clusterLogging": groups })
}

fn no_cluster(name: &str) -> Response {
    error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No cluster found for name: {name}."), Some(name))
}

/// The emulator's cluster `name` (None: no such cluster).
async fn emulator_cluster(front: &Shared, name: &str, headers: &HeaderMap) -> Result<Option<Value>, ApiError> {
    let path = format!("/clusters/{}", percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC));
    let r = super::send(front, &Method::GET, &path, headers, Default::default()).await.map_err(|e| super::unreachable_emulator(&front.emulator, &e))?;
    if r.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let mut body: Value = r.json().await.unwrap_or_default();
    Ok(Some(body["cluster"].take()).filter(Value::is_object))
}

/// The IAM principal of the caller, as an access entry names it: the emulator's STS
/// GetCallerIdentity for the request's access key (moto does not check signatures, so the
/// caller's own Authorization header, scoped to sts, is enough), an assumed role's session
/// turned into its role (EKS's creator entry names the role: eks-workshop "Switching between
/// Authentication Modes"). None when the emulator does not say.
async fn creator(front: &Shared, headers: &HeaderMap) -> Option<String> {
    let sts = rescoped(headers, "sts")?;
    let body = axum::body::Bytes::from_static(b"Action=GetCallerIdentity&Version=2011-06-15");
    let r = super::send(front, &Method::POST, "/", &sts, body).await.ok()?;
    let xml = r.text().await.ok()?;
    let arn = xml.split("<Arn>").nth(1)?.split("</Arn>").next()?;
    principal_of(arn)
}

/// The headers of a request, for a query-protocol request of the same caller to `service` in
/// the emulator (its credential scope names the service; the emulator does not check the
/// signature).
pub(super) fn rescoped(headers: &HeaderMap, service: &str) -> Option<HeaderMap> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    // Credential=KEY/DATE/REGION/SERVICE/aws4_request
    let (before, after) = auth.split_once("Credential=")?;
    let mut parts: Vec<&str> = after.splitn(5, '/').collect();
    if parts.len() < 5 {
        return None;
    }
    parts[3] = service;
    let mut out = HeaderMap::new();
    out.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("{before}Credential={}", parts.join("/"))).ok()?);
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    for h in ["x-amz-date", "x-amz-security-token"] {
        if let Some(v) = headers.get(h) {
            out.insert(h, v.clone());
        }
    }
    Some(out)
}

/// The VPC of a subnet, as the emulator's EC2 holds it: EKS's DescribeCluster names the
/// cluster's `resourcesVpcConfig.vpcId`, moto 5.2.5 leaves it null (labs read it to find the VPC).
async fn subnet_vpc(front: &Shared, headers: &HeaderMap, subnet: &str) -> Option<String> {
    let ec2 = rescoped(headers, "ec2")?;
    let query =
        format!("Action=DescribeSubnets&Version=2016-11-15&SubnetId.1={}", percent_encoding::utf8_percent_encode(subnet, percent_encoding::NON_ALPHANUMERIC));
    let r = super::send(front, &Method::POST, "/", &ec2, axum::body::Bytes::from(query)).await.ok()?;
    let xml = r.text().await.ok()?;
    Some(xml.split("<vpcId>").nth(1)?.split("</vpcId>").next()?.to_string())
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` -> `arn:aws:iam::ACCOUNT:role/ROLE`; a user
/// (moto's default identity is `arn:aws:sts::ACCOUNT:user/moto`) -> `arn:aws:iam::ACCOUNT:user/NAME`.
/// A role's path is not in its session ARN, so a role with a path is named without it.
fn principal_of(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (_, partition, _, _, account, resource) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if let Some(rest) = resource.strip_prefix("assumed-role/") {
        return Some(format!("arn:{partition}:iam::{account}:role/{}", rest.split('/').next()?));
    }
    resource.strip_prefix("user/").map(|user| format!("arn:{partition}:iam::{account}:user/{user}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_named_by_its_role() {
        assert_eq!(principal_of("arn:aws:sts::123456789012:assumed-role/admin/i-08b0"), Some("arn:aws:iam::123456789012:role/admin".into()));
        assert_eq!(principal_of("arn:aws:sts::123456789012:user/moto"), Some("arn:aws:iam::123456789012:user/moto".into()));
        assert_eq!(principal_of("arn:aws:iam::123456789012:user/dev/ana"), Some("arn:aws:iam::123456789012:user/dev/ana".into()));
        assert_eq!(principal_of("arn:aws:sts::123456789012:federated-user/x"), None);
    }

    #[test]
    fn logging_lists_the_enabled_types_then_the_disabled_ones() {
        let mut l: BTreeMap<String, bool> = LOG_TYPES.iter().map(|t| (t.to_string(), false)).collect();
        l.insert("audit".into(), true);
        l.insert("api".into(), true);
        assert_eq!(
            logging_json(&l),
            json!({"clusterLogging": [{"types": ["api", "audit"], "enabled": true}, {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": false}]})
        );
    }
}
