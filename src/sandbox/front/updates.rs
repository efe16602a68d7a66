//! A cluster's updates: UpdateClusterConfig (endpoint access, control plane logging, the
//! authentication mode; one type at a time) and AssociateEncryptionConfig (secrets, once), each
//! an Update that is InProgress for the front's `settle` time and changes the cluster only when it
//! settles, as EKS's do. Paths and fields as the aws-sdk-eks 1.122 model encodes them
//! (`src/operation/update_cluster_config.rs`, `associate_encryption_config.rs`;
//! `src/protocol_serde/shape_update.rs`, `shape_update_cluster_config_input.rs`); EKS's refusals
//! with its words where they could be confirmed (each says where from).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::eks::{error, ok, uuid};
use super::state::{AccessRequest, Change, ClusterState, ClusterUpdate, Endpoint, LOG_TYPES, Mode};

/// The body of UpdateClusterConfig.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConfigRequest {
    pub(super) resources_vpc_config: Option<VpcRequest>,
    pub(super) logging: Option<Value>,
    pub(super) access_config: Option<AccessRequest>,
    #[serde(default)]
    pub(super) client_request_token: Option<String>,
    /// Everything else UpdateClusterConfig takes (the front does not simulate it).
    #[serde(flatten)]
    pub(super) other: BTreeMap<String, Value>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VpcRequest {
    pub(super) subnet_ids: Option<Vec<String>>,
    pub(super) security_group_ids: Option<Vec<String>>,
    pub(super) endpoint_public_access: Option<bool>,
    pub(super) endpoint_private_access: Option<bool>,
    pub(super) public_access_cidrs: Option<Vec<String>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EncryptionRequest {
    pub(super) encryption_config: Option<Vec<Value>>,
}

impl ClusterState {
    pub(super) fn in_progress(&self) -> Option<&ClusterUpdate> {
        self.updates.iter().find(|u| u.change.is_some())
    }

    fn start(&mut self, kind: &'static str, params: Vec<(&'static str, String)>, change: Change, now: f64, settle: f64) -> Response {
        let update = ClusterUpdate { id: uuid(), kind, params, created_at: now, until: now + settle, change: Some(change) };
        let out = json!({ "update": update.json(now) });
        self.updates.push(update);
        ok(out)
    }

    fn busy(&self, kind: &str) -> Option<Response> {
        let u = self.in_progress()?;
        // EKS's wording, per aws-controllers-k8s/community#1192 and aws/aws-cdk#33452
        let message = format!("Cannot {kind} because cluster {} currently has update {} in progress", self.name, u.id);
        Some(error(StatusCode::CONFLICT, "ResourceInUseException", &message, Some(&self.name)))
    }

    fn invalid(&self, message: &str) -> Response {
        error(StatusCode::BAD_REQUEST, "InvalidParameterException", message, Some(&self.name))
    }

    /// UpdateClusterConfig: endpoint access, logging or the authentication mode, one at a time.
    pub(super) fn update_config(&mut self, request: ConfigRequest, now: f64, settle: f64) -> Response {
        let _ = request.client_request_token;
        let vpc_other = request.resources_vpc_config.as_ref().is_some_and(|v| v.subnet_ids.is_some() || v.security_group_ids.is_some());
        if !request.other.is_empty() || vpc_other {
            let mut fields: Vec<&str> = request.other.keys().map(String::as_str).collect();
            if vpc_other {
                fields.push("resourcesVpcConfig.subnetIds/securityGroupIds");
            }
            let message = format!(
                "the sandbox's AWS front does not simulate UpdateClusterConfig with {} (it simulates endpoint access, logging and accessConfig)",
                fields.join(", ")
            );
            return error(StatusCode::BAD_REQUEST, "InvalidRequestException", &message, Some(&self.name));
        }
        let kinds = [request.resources_vpc_config.is_some(), request.logging.is_some(), request.access_config.is_some()];
        match kinds.iter().filter(|k| **k).count() {
            // EKS's wording, per kubernetes-sigs/cluster-api-provider-aws#3553 and boto/boto3#2592
            2.. => return self.invalid("Only one type of update can be allowed."),
            // EKS's wording for an update that names nothing to change could not be confirmed
            0 => return self.invalid("the request names no update: give resourcesVpcConfig, logging or accessConfig"),
            _ => {}
        }
        if let Some(vpc) = request.resources_vpc_config {
            if let Some(busy) = self.busy("EndpointAccessUpdate") {
                return busy;
            }
            let current = &self.endpoint;
            let cidrs = vpc.public_access_cidrs.map(|c| if c.is_empty() { vec!["0.0.0.0/0".to_string()] } else { c });
            let new = Endpoint {
                public: vpc.endpoint_public_access.unwrap_or(current.public),
                private: vpc.endpoint_private_access.unwrap_or(current.private),
                cidrs: cidrs.unwrap_or_else(|| current.cidrs.clone()),
            };
            if !new.public && !new.private {
                // EKS's wording, per rancher/rancher#28158
                return self.invalid("Both private and public endpoint access cannot be false");
            }
            if new == *current {
                // EKS's wording (the space before the comma included), per eksctl-io/eksctl#4043
                let message = format!(
                    "Cluster is already at the desired configuration with endpointPrivateAccess: {} , endpointPublicAccess: {}, and Public Endpoint Restrictions: [{}]",
                    new.private,
                    new.public,
                    new.cidrs.join(", ")
                );
                return self.invalid(&message);
            }
            // EKS lists all three, changed or not (the EKS user guide's cluster-endpoint page)
            let params = vec![
                ("EndpointPublicAccess", new.public.to_string()),
                ("EndpointPrivateAccess", new.private.to_string()),
                ("PublicAccessCidrs", json!(new.cidrs).to_string()),
            ];
            return self.start("EndpointAccessUpdate", params, Change::Endpoint(new), now, settle);
        }
        if let Some(logging) = request.logging {
            if let Some(busy) = self.busy("LoggingUpdate") {
                return busy;
            }
            let mut new = self.logging.clone();
            for setup in logging["clusterLogging"].as_array().into_iter().flatten() {
                let enabled = setup["enabled"].as_bool().unwrap_or(false);
                for t in setup["types"].as_array().into_iter().flatten() {
                    let t = t.as_str().unwrap_or_default();
                    if !LOG_TYPES.contains(&t) {
                        // EKS's wording for an unknown log type could not be confirmed
                        return self.invalid(&format!("log type {t} is not one of {}", LOG_TYPES.join(", ")));
                    }
                    new.insert(t.to_string(), enabled);
                }
            }
            if new == self.logging {
                // EKS's wording, per aws-controllers-k8s/eks-controller (LoggingNoChangesError)
                return self.invalid("No changes needed for the logging config provided");
            }
            // the value is the request's logging as sent (aws-samples/eks-workshop-v2, enable-eks-logging.md)
            return self.start("LoggingUpdate", vec![("ClusterLogging", logging.to_string())], Change::Logging(new), now, settle);
        }
        let access = request.access_config.unwrap_or_default();
        if let Some(busy) = self.busy("AccessConfigUpdate") {
            return busy;
        }
        let Some(wanted) = access.authentication_mode else {
            // EKS's wording could not be confirmed
            return self.invalid("accessConfig needs authenticationMode");
        };
        let Some(mode) = Mode::parse(&wanted) else {
            // EKS's wording could not be confirmed
            return self.invalid(&format!("authenticationMode {wanted} is not one of CONFIG_MAP, API_AND_CONFIG_MAP, API"));
        };
        // one step at a time, never back: CONFIG_MAP -> API_AND_CONFIG_MAP -> API (EKS user guide,
        // setting-up-access-entries); EKS's wording, per pulumi/pulumi-eks#1493 and aws/aws-cdk#31032
        let next = match self.mode {
            Mode::ConfigMap => Some(Mode::ApiAndConfigMap),
            Mode::ApiAndConfigMap => Some(Mode::Api),
            Mode::Api => None,
        };
        if next != Some(mode) {
            return self.invalid(&format!("Unsupported authentication mode update from {} to {}", self.mode.as_str(), mode.as_str()));
        }
        // the value is the mode as a JSON string (eks-workshop "Switching between Authentication Modes")
        self.start("AccessConfigUpdate", vec![("AuthenticationMode", json!(mode.as_str()).to_string())], Change::Access(mode), now, settle)
    }

    /// AssociateEncryptionConfig: secrets, with a KMS key, once.
    pub(super) fn associate_encryption(&mut self, request: EncryptionRequest, now: f64, settle: f64) -> Response {
        if let Some(busy) = self.busy("AssociateEncryptionConfig") {
            return busy;
        }
        if self.encryption.is_some() {
            // EKS's wording, per hashicorp/terraform-provider-aws#19968
            return self.invalid("Encryption is already enabled on the cluster");
        }
        let config = request.encryption_config.unwrap_or_default();
        let valid = match config.as_slice() {
            [one] => {
                let resources: Vec<&str> = one["resources"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let key = one["provider"]["keyArn"].as_str().unwrap_or_default();
                resources == ["secrets"] && key.starts_with("arn:") && key.contains(":kms:")
            }
            _ => false,
        };
        if !valid {
            // EKS's wording could not be confirmed
            return self.invalid("encryptionConfig must be one entry with resources [\"secrets\"] and provider.keyArn the ARN of a KMS key");
        }
        let value = Value::Array(config);
        // the value is the request's encryptionConfig (EKS user guide, enable-kms: the update's params)
        self.start("AssociateEncryptionConfig", vec![("EncryptionConfig", value.to_string())], Change::Encryption(value), now, settle)
    }
}

impl ClusterUpdate {
    /// The Update data type of the EKS API.
    pub(super) fn json(&self, now: f64) -> Value {
        json!({
            "id": self.id,
            "status": if self.change.is_none() || now >= self.until { "Successful" } else { "InProgress" },
            "type": self.kind,
            "params": self.params.iter().map(|(t, v)| json!({ "type": t, "value": v })).collect::<Vec<_>>(),
            "createdAt": self.created_at,
            "errors": [],
        })
    }
}
