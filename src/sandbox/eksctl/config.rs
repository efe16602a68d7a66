//! eksctl's ClusterConfig (`apiVersion: eksctl.io/v1alpha5`, `kind: ClusterConfig`): read as
//! eksctl reads it, with its defaults and the validation the labs can meet.
//!
//! Sources (eksctl-io/eksctl): pkg/eks/api.go `ParseConfig` (strict: a field eksctl does not know
//! is refused), pkg/ctl/cmdutils/configfile.go (`metadata.name must be set`, `metadata.region`),
//! pkg/apis/eksctl.io/v1alpha5/types.go and vpc.go (the fields, their json names, the defaults
//! `DefaultVersion`, `DefaultNodeType`, `DefaultNodeCount`, `DefaultNodeVolumeSize/Type`),
//! validation.go (`validateManagedNodeGroup`'s sizes, `checkUnique`).
//! A field eksctl knows but the sandbox does not model is refused by name rather than ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const API_VERSION: &str = "eksctl.io/v1alpha5";
/// eksctl's `DefaultVersion` (types.go).
pub const DEFAULT_VERSION: &str = "1.34";
pub const DEFAULT_NODE_TYPE: &str = "m5.large";
pub const DEFAULT_NODE_COUNT: i32 = 2;
pub const DEFAULT_VOLUME_SIZE: i32 = 80;
pub const DEFAULT_CIDR: &str = "192.168.0.0/16";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterConfig {
    pub api_version: String,
    pub kind: String,
    pub metadata: Meta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_policy: Option<UpgradePolicy>,
    #[serde(default)]
    pub access_config: AccessConfig,
    #[serde(default)]
    pub availability_zones: Vec<String>,
    #[serde(default)]
    pub vpc: Vpc,
    #[serde(default)]
    pub iam: Iam,
    #[serde(default)]
    pub addons: Vec<Addon>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch: Option<CloudWatch>,
    #[serde(default)]
    pub managed_node_groups: Vec<NodeGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_encryption: Option<SecretsEncryption>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Meta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `accessConfig`: eksctl creates clusters in API_AND_CONFIG_MAP unless told otherwise (eksctl
/// user docs, access-entries: "API_AND_CONFIG_MAP - default in eksctl"), with the creator's
/// admin entry unless `bootstrapClusterCreatorAdminPermissions: false`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap_cluster_creator_admin_permissions: Option<bool>,
}

impl AccessConfig {
    pub fn mode(&self) -> &str {
        self.authentication_mode.as_deref().unwrap_or("API_AND_CONFIG_MAP")
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradePolicy {
    pub support_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vpc {
    pub cidr: Option<String>,
    pub nat: Option<Nat>,
    pub cluster_endpoints: Option<Endpoints>,
    #[serde(rename = "publicAccessCIDRs", default)]
    pub public_access_cidrs: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Nat {
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    pub private_access: Option<bool>,
    pub public_access: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Iam {
    #[serde(rename = "withOIDC")]
    pub with_oidc: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Addon {
    pub name: String,
    pub version: Option<String>,
    #[serde(rename = "serviceAccountRoleARN")]
    pub service_account_role_arn: Option<String>,
    pub configuration_values: Option<String>,
    pub resolve_conflicts: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatch {
    pub cluster_logging: Option<ClusterLogging>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterLogging {
    #[serde(default)]
    pub enable_types: Vec<String>,
    pub log_retention_in_days: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeGroup {
    #[serde(default)]
    pub name: String,
    pub instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<String>,
    #[serde(default)]
    pub spot: bool,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    pub desired_capacity: Option<i32>,
    pub volume_size: Option<i32>,
    pub volume_type: Option<String>,
    pub volume_encrypted: Option<bool>,
    pub private_networking: Option<bool>,
    #[serde(rename = "disableIMDSv1")]
    pub disable_imdsv1: Option<bool>,
    #[serde(rename = "disablePodIMDS")]
    pub disable_pod_imds: Option<bool>,
    #[serde(rename = "propagateASGTags")]
    pub propagate_asg_tags: Option<bool>,
    #[serde(default)]
    pub availability_zones: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub taints: Vec<Taint>,
    pub update_config: Option<UpdateConfig>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateConfig {
    pub max_unavailable: Option<i32>,
    pub max_unavailable_percentage: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct SecretsEncryption {
    #[serde(rename = "keyARN", default)]
    pub key_arn: String,
}

/// Per object of the config (by path): the fields eksctl knows (its v1alpha5 json names) and
/// those the sandbox models. Maps (`labels`, `tags`) are not walked.
const SCHEMA: &[(&str, &[&str], &[&str])] = &[
    (
        "",
        &[
            "metadata",
            "upgradePolicy",
            "kubernetesNetworkConfig",
            "autoModeConfig",
            "remoteNetworkConfig",
            "iam",
            "iamIdentityMappings",
            "identityProviders",
            "accessConfig",
            "vpc",
            "addons",
            "addonsConfig",
            "privateCluster",
            "nodeGroups",
            "managedNodeGroups",
            "fargateProfiles",
            "availabilityZones",
            "localZones",
            "cloudWatch",
            "secretsEncryption",
            "gitops",
            "karpenter",
            "outpost",
            "controlPlaneScalingConfig",
            "zonalShiftConfig",
            "kubeAPIServerConfig",
            "kubeSchedulerConfig",
            "kubeControllerManagerConfig",
            "capabilities",
        ],
        &[
            "apiVersion",
            "kind",
            "metadata",
            "upgradePolicy",
            "accessConfig",
            "availabilityZones",
            "vpc",
            "iam",
            "addons",
            "cloudWatch",
            "managedNodeGroups",
            "secretsEncryption",
        ],
    ),
    ("metadata", &["name", "region", "version", "forceUpdateVersion", "rollbackConfig", "tags", "annotations"], &["name", "region", "version", "tags"]),
    ("upgradePolicy", &["supportType"], &["supportType"]),
    (
        "accessConfig",
        &["authenticationMode", "bootstrapClusterCreatorAdminPermissions", "accessEntries"],
        &["authenticationMode", "bootstrapClusterCreatorAdminPermissions"],
    ),
    (
        "vpc",
        &[
            "id",
            "cidr",
            "ipv6Cidr",
            "ipv6Pool",
            "securityGroup",
            "subnets",
            "hostnameType",
            "extraCIDRs",
            "extraIPv6CIDRs",
            "sharedNodeSecurityGroup",
            "manageSharedNodeSecurityGroupRules",
            "autoAllocateIPv6",
            "nat",
            "clusterEndpoints",
            "publicAccessCIDRs",
            "controlPlaneSubnetIDs",
            "controlPlaneOnPrivateSubnets",
            "controlPlaneSecurityGroupIDs",
            "controlPlaneEgressMode",
        ],
        &["cidr", "nat", "clusterEndpoints", "publicAccessCIDRs"],
    ),
    ("vpc.nat", &["gateway"], &["gateway"]),
    ("vpc.clusterEndpoints", &["privateAccess", "publicAccess"], &["privateAccess", "publicAccess"]),
    (
        "iam",
        &[
            "serviceRoleARN",
            "serviceRolePermissionsBoundary",
            "fargatePodExecutionRoleARN",
            "fargatePodExecutionRolePermissionsBoundary",
            "withOIDC",
            "serviceAccounts",
            "podIdentityAssociations",
            "vpcResourceControllerPolicy",
        ],
        &["withOIDC"],
    ),
    (
        "addons[]",
        &[
            "name",
            "version",
            "serviceAccountRoleARN",
            "attachPolicyARNs",
            "attachPolicy",
            "permissionsBoundary",
            "wellKnownPolicies",
            "tags",
            "resolveConflicts",
            "podIdentityAssociations",
            "useDefaultPodIdentityAssociations",
            "configurationValues",
            "namespaceConfig",
        ],
        &["name", "version", "serviceAccountRoleARN", "configurationValues", "resolveConflicts"],
    ),
    ("cloudWatch", &["clusterLogging"], &["clusterLogging"]),
    ("cloudWatch.clusterLogging", &["enableTypes", "logRetentionInDays"], &["enableTypes", "logRetentionInDays"]),
    (
        "managedNodeGroups[]",
        &[
            "instanceTypes",
            "spot",
            "taints",
            "updateConfig",
            "launchTemplate",
            "releaseVersion",
            "nodeRepairConfig",
            "name",
            "amiFamily",
            "instanceType",
            "availabilityZones",
            "subnets",
            "instancePrefix",
            "instanceName",
            "volumeSize",
            "ssh",
            "labels",
            "privateNetworking",
            "tags",
            "iam",
            "ami",
            "securityGroups",
            "maxPodsPerNode",
            "asgSuspendProcesses",
            "ebsOptimized",
            "volumeType",
            "volumeName",
            "volumeEncrypted",
            "volumeKmsKeyID",
            "volumeIOPS",
            "volumeThroughput",
            "additionalVolumes",
            "preBootstrapCommands",
            "overrideBootstrapCommand",
            "propagateASGTags",
            "disableIMDSv1",
            "disablePodIMDS",
            "placement",
            "efaEnabled",
            "instanceSelector",
            "bottlerocket",
            "enableDetailedMonitoring",
            "capacityReservation",
            "instanceMarketOptions",
            "outpostARN",
            "desiredCapacity",
            "minSize",
            "maxSize",
        ],
        &[
            "name",
            "instanceType",
            "instanceTypes",
            "spot",
            "minSize",
            "maxSize",
            "desiredCapacity",
            "volumeSize",
            "volumeType",
            "volumeEncrypted",
            "privateNetworking",
            "disableIMDSv1",
            "disablePodIMDS",
            "propagateASGTags",
            "availabilityZones",
            "labels",
            "taints",
            "updateConfig",
            "tags",
        ],
    ),
    ("managedNodeGroups[].updateConfig", &["maxUnavailable", "maxUnavailablePercentage"], &["maxUnavailable", "maxUnavailablePercentage"]),
    ("managedNodeGroups[].taints[]", &["key", "value", "effect"], &["key", "value", "effect"]),
    ("secretsEncryption", &["keyARN"], &["keyARN"]),
];

/// Read a ClusterConfig file as `eksctl ... -f FILE` does; `file` names it in messages.
pub fn parse(text: &str, file: &str) -> Result<ClusterConfig, String> {
    let loading = |e: String| format!("loading config file {file:?}: {e}");
    let value: Value = serde_saphyr::from_str(text).map_err(|e| loading(format!("error converting YAML to JSON: {e}")))?;
    let (api_version, kind) = (value["apiVersion"].as_str().unwrap_or_default(), value["kind"].as_str().unwrap_or_default());
    if api_version != API_VERSION || kind != "ClusterConfig" {
        // what the Kubernetes scheme answers for a document it has no type for (runtime.Decode)
        return Err(loading(format!("no kind {kind:?} is registered for version {api_version:?} in scheme \"pkg/runtime/scheme.go:100\"")));
    }
    walk(&value, "", "", file)?;
    let config: ClusterConfig = serde_json::from_value(value).map_err(|e| loading(e.to_string()))?;
    if config.metadata.name.is_empty() {
        return Err("metadata.name must be set".into());
    }
    if config.metadata.region.is_empty() {
        return Err("metadata.region must be set".into());
    }
    Ok(config)
}

fn walk(value: &Value, path: &str, shown: &str, file: &str) -> Result<(), String> {
    let Some((_, known, modelled)) = SCHEMA.iter().find(|(p, _, _)| *p == path) else {
        return Ok(());
    };
    let Some(object) = value.as_object() else {
        return Ok(());
    };
    for (key, child) in object {
        let field = if shown.is_empty() { key.clone() } else { format!("{shown}.{key}") };
        if !modelled.contains(&key.as_str()) {
            if known.contains(&key.as_str()) {
                return Err(format!("{field} is not simulated by the sandbox's eksctl (eksctl takes it in a real account); remove it from {file}"));
            }
            // sigs.k8s.io/yaml UnmarshalStrict's message, as eksctl prints it
            return Err(format!("loading config file {file:?}: error unmarshaling JSON: while decoding JSON: json: unknown field {key:?}"));
        }
        let sub = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        match child {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{sub}[]"), &format!("{field}[{i}]"), file)?;
                }
            }
            _ => walk(child, &sub, &field, file)?,
        }
    }
    Ok(())
}

impl ClusterConfig {
    /// The zones: the config's, else the region's a, b and c (eksctl picks among the region's
    /// zones; the sandbox's emulator has these).
    pub fn zones(&self) -> Vec<String> {
        if self.availability_zones.is_empty() {
            ["a", "b", "c"].iter().map(|z| format!("{}{z}", self.metadata.region)).collect()
        } else {
            self.availability_zones.clone()
        }
    }

    pub fn version(&self) -> &str {
        if self.metadata.version.is_empty() { DEFAULT_VERSION } else { &self.metadata.version }
    }
}

/// A managed node group's sizes after eksctl's defaults and checks (validation.go,
/// `validateManagedNodeGroup`): (min, desired, max).
pub fn sizes(ng: &NodeGroup) -> Result<(i32, i32, i32), String> {
    let desired = ng.desired_capacity;
    let min = match (ng.min_size, desired) {
        (None, None) => DEFAULT_NODE_COUNT,
        (None, Some(d)) => d,
        (Some(m), Some(d)) if d < m => return Err(format!("cannot use --nodes-min={m} and --nodes={d} at the same time")),
        (Some(m), _) => m,
    };
    let max = match (ng.max_size, desired) {
        (None, d) => match d.unwrap_or(min) {
            0 => 1,
            n => n,
        },
        (Some(x), Some(d)) if d > x => return Err(format!("cannot use --nodes-max={x} and --nodes={d} at the same time")),
        (Some(x), _) if x < min => return Err(format!("cannot use --nodes-min={min} and --nodes-max={x} at the same time")),
        (Some(x), _) => x,
    };
    if let Some(u) = &ng.update_config {
        match (u.max_unavailable, u.max_unavailable_percentage) {
            (None, None) => return Err("invalid UpdateConfig: maxUnavailable or maxUnavailablePercentage must be defined".into()),
            (Some(a), Some(b)) => return Err(format!("cannot use maxUnavailable={a} and maxUnavailablePercentage={b} at the same time")),
            (Some(a), None) if a > max => return Err(format!("maxUnavailable={a} cannot be greater than maxSize={max}")),
            _ => {}
        }
    }
    Ok((min, desired.unwrap_or(min), max))
}

/// Checks over the whole config that eksctl makes before creating anything.
pub fn validate(config: &ClusterConfig) -> Result<(), String> {
    let mut names = std::collections::BTreeSet::new();
    for (i, ng) in config.managed_node_groups.iter().enumerate() {
        if ng.name.is_empty() {
            return Err(format!("managedNodeGroups[{i}].name must be set"));
        }
        if !names.insert(ng.name.as_str()) {
            return Err(format!("managedNodeGroups[{i}].name {:?} is not unique", ng.name));
        }
        if ng.instance_type.is_some() && !ng.instance_types.is_empty() {
            return Err(format!("managedNodeGroups[{i}]: instanceType and instanceTypes cannot be set at the same time"));
        }
        for t in &ng.taints {
            if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&t.effect.as_str()) {
                return Err(format!("invalid taint effect: {:?}, supported taint effects: NoSchedule, PreferNoSchedule, NoExecute", t.effect));
            }
        }
        sizes(ng)?;
    }
    if let Some(gateway) = config.vpc.nat.as_ref().and_then(|n| n.gateway.as_deref())
        && !["Single", "HighlyAvailable", "Disable"].contains(&gateway)
    {
        return Err(format!("invalid NAT gateway mode {gateway:?}, valid modes are: HighlyAvailable, Single, Disable"));
    }
    if let Some(se) = &config.secrets_encryption
        && se.key_arn.is_empty()
    {
        return Err("field secretsEncryption.keyARN is required for enabling secrets encryption".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: lab, region: eu-west-1}\n";

    #[test]
    fn eksctl_refuses_a_field_it_does_not_know_and_the_sandbox_one_it_does_not_model() {
        let e = parse(&format!("{HEAD}managedNodeGroups:\n  - name: a\n    instanceTyp: m5.large\n"), "c.yaml").unwrap_err();
        assert_eq!(e, "loading config file \"c.yaml\": error unmarshaling JSON: while decoding JSON: json: unknown field \"instanceTyp\"");
        let e = parse(&format!("{HEAD}fargateProfiles: []\n"), "c.yaml").unwrap_err();
        assert!(e.starts_with("fargateProfiles is not simulated by the sandbox's eksctl"), "{e}");
        let e = parse(&format!("{HEAD}managedNodeGroups:\n  - name: a\n    ami: ami-1\n"), "c.yaml").unwrap_err();
        assert!(e.starts_with("managedNodeGroups[0].ami is not simulated"), "{e}");
        assert_eq!(parse("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {region: x}\n", "c").unwrap_err(), "metadata.name must be set");
    }

    #[test]
    fn sizes_follow_eksctls_defaults_and_refusals() {
        let ng = |min, desired, max| NodeGroup { min_size: min, desired_capacity: desired, max_size: max, ..Default::default() };
        assert_eq!(sizes(&ng(None, None, None)), Ok((2, 2, 2)));
        assert_eq!(sizes(&ng(Some(0), None, None)), Ok((0, 0, 1)));
        assert_eq!(sizes(&ng(Some(1), Some(2), Some(6))), Ok((1, 2, 6)));
        assert_eq!(sizes(&ng(Some(3), Some(2), None)), Err("cannot use --nodes-min=3 and --nodes=2 at the same time".into()));
    }
}
