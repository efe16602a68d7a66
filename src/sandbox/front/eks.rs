//! The EKS APIs the emulator lacks, answered by the front: managed add-ons (CreateAddon,
//! DescribeAddon, ListAddons, UpdateAddon, DeleteAddon) and their updates (DescribeUpdate,
//! ListUpdates with `addonName`). Paths, fields and errors follow the EKS API reference as the
//! aws-sdk-eks 1.122 model encodes it (restJson1: `src/operation/*_addon.rs` and
//! `src/protocol_serde/shape_addon.rs`); messages are EKS's where they could be confirmed
//! ("No cluster found for name: X.", "Addon already exists.", "No update found for ID: X").
//! The cluster itself is the emulator's (CreateCluster, DescribeCluster pass through).
//!
//! What is simulated, and how it differs: a change is CREATING, UPDATING or DELETING for the
//! front's `settle` time, then ACTIVE (or gone); health has no issues; `configurationValues`
//! must be a JSON or YAML object, but is not checked against the add-on's schema.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::install::Work;
use super::{Call, Shared};

pub struct Eks {
    settle: f64,
    /// (name, default version)
    addons: Vec<(String, String)>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// (cluster, add-on name) -> add-on
    addons: BTreeMap<(String, String), Addon>,
    /// update id -> (cluster, add-on name, the update)
    updates: BTreeMap<String, (String, String, Update)>,
}

#[derive(Debug, Clone)]
struct Addon {
    name: String,
    cluster: String,
    arn: String,
    version: String,
    role: Option<String>,
    configuration: Option<String>,
    tags: BTreeMap<String, String>,
    pod_identity: Vec<Value>,
    created_at: f64,
    modified_at: f64,
    phase: Phase,
    /// When the phase settles.
    until: f64,
}

impl Addon {
    fn work(&self, region: &str) -> Work {
        Work::Apply {
            name: self.name.clone(),
            version: self.version.clone(),
            region: region.to_string(),
            configuration: self.configuration.clone(),
            role: self.role.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Creating,
    Active,
    Updating,
    Deleting,
}

#[derive(Debug, Clone)]
struct Update {
    id: String,
    params: Vec<(String, String)>,
    created_at: f64,
    until: f64,
}

/// The body of CreateAddon and UpdateAddon (the fields the front keeps).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddonRequest {
    addon_name: Option<String>,
    addon_version: Option<String>,
    service_account_role_arn: Option<String>,
    resolve_conflicts: Option<String>,
    configuration_values: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    pod_identity_associations: Option<Vec<Value>>,
}

impl Eks {
    pub fn new(settle: Duration, addons: Vec<(String, String)>) -> Eks {
        Eks { settle: settle.as_secs_f64(), addons, state: Mutex::new(State::default()) }
    }

    /// The answer to an EKS request the front implements; None: the emulator's to answer.
    pub(super) async fn handle(&self, front: &Shared, call: &Call<'_>) -> Option<Response> {
        let Call { method, path, query, body, .. } = *call;
        let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let addon_query = query_param(query, "addonName");
        let op = match (method, seg.as_slice()) {
            (&Method::POST, ["clusters", c, "addons"]) => Op::Create(c),
            (&Method::GET, ["clusters", c, "addons"]) => Op::List(c),
            (&Method::GET, ["clusters", c, "addons", a]) => Op::Describe(c, a),
            (&Method::POST, ["clusters", c, "addons", a, "update"]) => Op::Update(c, a),
            (&Method::DELETE, ["clusters", c, "addons", a]) => Op::Delete(c, a),
            (&Method::GET, ["clusters", c, "updates", id]) if addon_query.is_some() => Op::DescribeUpdate(c, id),
            (&Method::GET, ["clusters", c, "updates"]) if addon_query.is_some() => Op::ListUpdates(c),
            _ => return None,
        };
        let cluster = op.cluster();
        let (region, account) = match known_cluster(front, call, cluster).await {
            Ok(known) => known,
            Err(answer) => return Some(answer),
        };
        let now = crate::clock::unix_now_ms();
        let (answer, work) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.settle(now);
            // what the add-on manager then does in the cluster
            let mut work = None;
            let answer = match op {
                Op::Create(c) => {
                    let request: AddonRequest = match parse_body(body, None) {
                        Ok(r) => r,
                        Err(answer) => return Some(answer.into_response()),
                    };
                    let Some(name) = request.addon_name.clone().filter(|n| !n.is_empty()) else {
                        return Some(error(StatusCode::BAD_REQUEST, "InvalidParameterException", "addonName is required", Some(c)));
                    };
                    if let Err(answer) = validate(&request, c) {
                        return Some(answer.into_response());
                    }
                    let Some(default_version) = self.addons.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()) else {
                        return Some(error(StatusCode::BAD_REQUEST, "InvalidParameterException", "Addon specified is not supported", Some(c)));
                    };
                    let key = (c.to_string(), name.clone());
                    if state.addons.contains_key(&key) {
                        return Some(error(StatusCode::CONFLICT, "ResourceInUseException", "Addon already exists.", Some(c)));
                    }
                    let addon = Addon {
                        arn: format!("arn:aws:eks:{region}:{account}:addon/{c}/{name}/{}", uuid()),
                        name,
                        cluster: c.to_string(),
                        version: request.addon_version.unwrap_or(default_version),
                        role: request.service_account_role_arn,
                        configuration: request.configuration_values,
                        tags: request.tags,
                        pod_identity: request.pod_identity_associations.unwrap_or_default(),
                        created_at: now,
                        modified_at: now,
                        phase: Phase::Creating,
                        until: now + self.settle,
                    };
                    let out = json!({ "addon": addon.json() });
                    work = Some(addon.work(&region));
                    state.addons.insert(key, addon);
                    ok(out)
                }
                Op::List(c) => {
                    let names: Vec<&str> = state.addons.values().filter(|a| a.cluster == c).map(|a| a.name.as_str()).collect();
                    ok(json!({ "addons": names }))
                }
                Op::Describe(c, a) => match state.addons.get(&(c.to_string(), a.to_string())) {
                    Some(addon) => ok(json!({ "addon": addon.json() })),
                    None => no_addon(c, a),
                },
                Op::Update(c, a) => {
                    let request: AddonRequest = match parse_body(body, None) {
                        Ok(r) => r,
                        Err(answer) => return Some(answer.into_response()),
                    };
                    if let Err(answer) = validate(&request, c) {
                        return Some(answer.into_response());
                    }
                    let settle = self.settle;
                    let Some(addon) = state.addons.get_mut(&(c.to_string(), a.to_string())) else { return Some(no_addon(c, a)) };
                    if addon.phase != Phase::Active {
                        let status = addon.status();
                        return Some(error(
                            StatusCode::CONFLICT,
                            "ResourceInUseException",
                            &format!("Addon {a} is {status}: wait for it to be ACTIVE"),
                            Some(c),
                        ));
                    }
                    let mut params = Vec::new();
                    if let Some(v) = request.addon_version {
                        params.push(("AddonVersion".to_string(), v.clone()));
                        addon.version = v;
                    }
                    if let Some(r) = request.service_account_role_arn {
                        params.push(("ServiceAccountRoleArn".to_string(), r.clone()));
                        addon.role = Some(r).filter(|r| !r.is_empty());
                    }
                    if let Some(r) = request.resolve_conflicts {
                        params.push(("ResolveConflicts".to_string(), r));
                    }
                    if let Some(v) = request.configuration_values {
                        params.push(("ConfigurationValues".to_string(), v.clone()));
                        addon.configuration = Some(v).filter(|v| !v.is_empty());
                    }
                    if let Some(p) = request.pod_identity_associations {
                        params.push(("PodIdentityAssociations".to_string(), Value::Array(p.clone()).to_string()));
                        addon.pod_identity = p;
                    }
                    addon.phase = Phase::Updating;
                    addon.until = now + settle;
                    addon.modified_at = now;
                    work = Some(addon.work(&region));
                    let update = Update { id: uuid(), params, created_at: now, until: now + settle };
                    let out = json!({ "update": update.json(now) });
                    state.updates.insert(update.id.clone(), (c.to_string(), a.to_string(), update));
                    ok(out)
                }
                Op::Delete(c, a) => {
                    let settle = self.settle;
                    let Some(addon) = state.addons.get_mut(&(c.to_string(), a.to_string())) else { return Some(no_addon(c, a)) };
                    addon.phase = Phase::Deleting;
                    addon.until = now + settle;
                    addon.modified_at = now;
                    // DeleteAddon's `preserve` keeps the add-on's software in the cluster
                    if query_param(query, "preserve").as_deref() != Some("true") {
                        work = Some(Work::Remove { name: addon.name.clone() });
                    }
                    ok(json!({ "addon": addon.json() }))
                }
                Op::DescribeUpdate(c, id) => match state.updates.get(id).filter(|(uc, ua, _)| uc == c && Some(ua.as_str()) == addon_query.as_deref()) {
                    Some((_, _, u)) => ok(json!({ "update": u.json(now) })),
                    None => error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No update found for ID: {id}"), Some(c)),
                },
                Op::ListUpdates(c) => {
                    let ids: Vec<&str> = state
                        .updates
                        .values()
                        .filter(|(uc, ua, _)| uc == c && Some(ua.as_str()) == addon_query.as_deref())
                        .map(|(_, _, u)| u.id.as_str())
                        .collect();
                    ok(json!({ "updateIds": ids }))
                }
            };
            (answer, work)
        };
        if let Some(work) = work
            && let Err(e) = front.install.run(work).await
        {
            // the API answer stands, as EKS's does; the add-on manager's trouble goes to the log
            eprintln!("the sandbox's add-on manager: {e}");
        }
        Some(answer)
    }
}

enum Op<'a> {
    Create(&'a str),
    List(&'a str),
    Describe(&'a str, &'a str),
    Update(&'a str, &'a str),
    Delete(&'a str, &'a str),
    DescribeUpdate(&'a str, &'a str),
    ListUpdates(&'a str),
}

impl<'a> Op<'a> {
    fn cluster(&self) -> &'a str {
        match *self {
            Op::Create(c) | Op::List(c) | Op::Describe(c, _) | Op::Update(c, _) | Op::Delete(c, _) | Op::DescribeUpdate(c, _) | Op::ListUpdates(c) => c,
        }
    }
}

impl State {
    /// Finish the changes whose time is up.
    fn settle(&mut self, now: f64) {
        self.addons.retain(|_, a| !(a.phase == Phase::Deleting && a.until <= now));
        for a in self.addons.values_mut() {
            if matches!(a.phase, Phase::Creating | Phase::Updating) && a.until <= now {
                a.phase = Phase::Active;
            }
        }
    }
}

impl Addon {
    fn status(&self) -> &'static str {
        match self.phase {
            Phase::Creating => "CREATING",
            Phase::Active => "ACTIVE",
            Phase::Updating => "UPDATING",
            Phase::Deleting => "DELETING",
        }
    }

    /// The Addon data type of the EKS API.
    fn json(&self) -> Value {
        let mut a = json!({
            "addonName": self.name,
            "clusterName": self.cluster,
            "status": self.status(),
            "addonVersion": self.version,
            "health": { "issues": [] },
            "addonArn": self.arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "podIdentityAssociations": self.pod_identity.iter().filter_map(|p| p.get("roleArn").cloned()).collect::<Vec<_>>(),
        });
        if let Some(r) = &self.role {
            a["serviceAccountRoleArn"] = json!(r);
        }
        if let Some(c) = &self.configuration {
            a["configurationValues"] = json!(c);
        }
        a
    }
}

impl Update {
    /// The Update data type of the EKS API.
    fn json(&self, now: f64) -> Value {
        json!({
            "id": self.id,
            "status": if now >= self.until { "Successful" } else { "InProgress" },
            "type": "AddonUpdate",
            "params": self.params.iter().map(|(t, v)| json!({ "type": t, "value": v })).collect::<Vec<_>>(),
            "createdAt": self.created_at,
            "errors": [],
        })
    }
}

fn validate(request: &AddonRequest, cluster: &str) -> Result<(), ApiError> {
    if let Some(r) = request.resolve_conflicts.as_deref().filter(|r| !["NONE", "OVERWRITE", "PRESERVE"].contains(r)) {
        let message = format!("resolveConflicts {r} is not one of NONE, OVERWRITE, PRESERVE");
        return Err(api_error(StatusCode::BAD_REQUEST, "InvalidParameterException", &message, Some(cluster)));
    }
    if let Some(values) = request.configuration_values.as_deref().filter(|v| !v.trim().is_empty()) {
        let object = serde_json::from_str::<Value>(values).ok().or_else(|| serde_saphyr::from_str::<Value>(values).ok()).is_some_and(|v| v.is_object());
        if !object {
            let message = "ConfigurationValue provided in request is not supported: it is neither a JSON nor a YAML object";
            return Err(api_error(StatusCode::BAD_REQUEST, "InvalidParameterException", message, Some(cluster)));
        }
    }
    Ok(())
}

/// A request's JSON body (empty: the operation's defaults); InvalidRequestException otherwise.
pub(super) fn parse_body<T: Default + serde::de::DeserializeOwned>(body: &[u8], cluster: Option<&str>) -> Result<T, ApiError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let message = format!("the request body is not the JSON the operation takes: {e}");
        api_error(StatusCode::BAD_REQUEST, "InvalidRequestException", &message, cluster.filter(|c| !c.is_empty()))
    })
}

/// The region and account of an existing cluster `cluster` (the emulator's ARN for it; the
/// request's region and the emulator's default account when it has none), or the answer to give:
/// EKS's ResourceNotFoundException, or the emulator not answering.
pub(super) async fn known_cluster(front: &Shared, call: &Call<'_>, cluster: &str) -> Result<(String, String), Response> {
    match cluster_arn(front, cluster, call.headers).await {
        Ok(Some(arn)) => Ok(arn_region_account(&arn).unwrap_or((call.scope.region.clone(), "123456789012".to_string()))),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No cluster found for name: {cluster}."), Some(cluster))),
        Err(answer) => Err(answer.into_response()),
    }
}

/// The cluster's ARN, from the emulator (None: no such cluster); an answer when it does not answer.
pub(super) async fn cluster_arn(front: &Shared, cluster: &str, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let path = format!("/clusters/{}", encode(cluster));
    let r = super::send(front, &Method::GET, &path, headers, Default::default()).await.map_err(|e| super::unreachable_emulator(&front.emulator, &e))?;
    if r.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    let body: Value = r.json().await.unwrap_or_default();
    Ok(body["cluster"]["arn"].as_str().map(str::to_string))
}

/// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME` -> (region, account).
pub(super) fn arn_region_account(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.split(':');
    let (_, _, _, region, account) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some((region.to_string(), account.to_string()))
}

fn no_addon(cluster: &str, addon: &str) -> Response {
    // EKS's own wording for this case could not be confirmed
    error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &format!("No addon: {addon} found in cluster: {cluster}"), Some(cluster))
}

pub(super) fn ok(body: Value) -> Response {
    Response::builder().status(StatusCode::OK).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap_or_default()
}

/// An EKS error: its code in `x-amzn-ErrorType`, `message` (and `clusterName`) in the body.
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    cluster: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "message": self.message });
        if let Some(c) = self.cluster {
            body["clusterName"] = json!(c);
        }
        Response::builder()
            .status(self.status)
            .header("content-type", "application/json")
            .header("x-amzn-ErrorType", self.code)
            .body(Body::from(body.to_string()))
            .unwrap_or_default()
    }
}

pub(super) fn api_error(status: StatusCode, code: &'static str, message: &str, cluster: Option<&str>) -> ApiError {
    ApiError { status, code, message: message.to_string(), cluster: cluster.map(str::to_string) }
}

pub(super) fn error(status: StatusCode, code: &'static str, message: &str, cluster: Option<&str>) -> Response {
    api_error(status, code, message, cluster).into_response()
}

pub(super) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| decode(v)))
}

pub(super) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A random version-4 UUID, as EKS puts in ARNs and update ids.
pub(super) fn uuid() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
