//! What the front keeps of each EKS cluster: its access configuration, endpoint access, logging,
//! encryption, updates and access entries. The handlers ([`super::cluster`], [`super::updates`],
//! [`super::access`]) share these types and nothing else, so none of them imports another's.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The control plane log types, in the order EKS lists them.
pub(super) const LOG_TYPES: [&str; 5] = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/// How a cluster authenticates IAM principals (`accessConfig.authenticationMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Mode {
    ConfigMap,
    ApiAndConfigMap,
    Api,
}

impl Mode {
    pub(super) fn parse(s: &str) -> Option<Mode> {
        match s {
            "CONFIG_MAP" => Some(Mode::ConfigMap),
            "API_AND_CONFIG_MAP" => Some(Mode::ApiAndConfigMap),
            "API" => Some(Mode::Api),
            _ => None,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Mode::ConfigMap => "CONFIG_MAP",
            Mode::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            Mode::Api => "API",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Endpoint {
    pub(super) public: bool,
    pub(super) private: bool,
    pub(super) cidrs: Vec<String>,
}

/// What the front keeps of one cluster.
pub(super) struct ClusterState {
    /// The emulator's `createdAt`: a cluster deleted and created again under the same name is
    /// another cluster.
    pub(super) created_at: Value,
    pub name: String,
    pub region: String,
    pub account: String,
    /// The IAM principal that created the cluster, when it was created through the front.
    pub creator: Option<String>,
    pub mode: Mode,
    pub bootstrap: bool,
    pub(super) endpoint: Endpoint,
    /// log type -> enabled
    pub(super) logging: BTreeMap<String, bool>,
    pub(super) encryption: Option<Value>,
    pub(super) updates: Vec<ClusterUpdate>,
    /// principal ARN -> access entry ([`super::access`])
    pub entries: BTreeMap<String, Entry>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AccessRequest {
    pub(super) authentication_mode: Option<String>,
    pub(super) bootstrap_cluster_creator_admin_permissions: Option<bool>,
}

pub(super) enum Change {
    Endpoint(Endpoint),
    Logging(BTreeMap<String, bool>),
    Access(Mode),
    Encryption(Value),
}

pub(super) struct ClusterUpdate {
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) params: Vec<(&'static str, String)>,
    pub(super) created_at: f64,
    pub(super) until: f64,
    /// What it changes when it settles (None: settled).
    pub(super) change: Option<Change>,
}

/// One access entry of a cluster.
pub(super) struct Entry {
    pub(super) principal: String,
    pub(super) kind: String,
    pub(super) username: String,
    pub(super) groups: Vec<String>,
    pub(super) tags: BTreeMap<String, String>,
    pub(super) arn: String,
    pub(super) created_at: f64,
    pub(super) modified_at: f64,
    /// policy ARN -> association
    pub(super) policies: BTreeMap<String, Association>,
}

pub(super) struct Association {
    pub(super) scope: String,
    pub(super) namespaces: Vec<String>,
    pub(super) associated_at: f64,
    pub(super) modified_at: f64,
}
