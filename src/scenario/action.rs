//! The writes of a break-fix scenario: each fault action says exactly what it will change,
//! applies it, and returns how to undo it (the values it replaced, recorded before writing).

use std::collections::BTreeMap;

use aws_sdk_autoscaling::error::ProvideErrorMetadata;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checks::backend::Backend;
use crate::content::FaultAction;
use crate::content::scenario::K8S_KINDS;

/// How to put back what an action changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "kebab-case")]
pub enum Undo {
    IamTrustSet { role: String, document: String },
    IamAttachPolicy { role: String, policy: String },
    K8sMergePatch { kind: String, namespace: Option<String>, name: String, patch: Value },
    K8sDelete { kind: String, namespace: Option<String>, name: String },
    SubnetTag { tag: String, subnets: Vec<(String, String)> },
    AsgTag { key: String, groups: Vec<(String, String, bool)> },
}

/// The action with `{{vars}}` replaced in every text.
pub fn expand(action: &FaultAction, vars: &BTreeMap<String, String>) -> FaultAction {
    let x = |t: &str| crate::content::vars::expand(t, vars);
    match action {
        FaultAction::IamTrustReplace { role, find, replace } => FaultAction::IamTrustReplace { role: x(role), find: x(find), replace: x(replace) },
        FaultAction::IamDetachPolicy { role, policy } => FaultAction::IamDetachPolicy { role: x(role), policy: x(policy) },
        FaultAction::K8sPatch { kind, namespace, name, patch, remove } => FaultAction::K8sPatch {
            kind: kind.clone(),
            namespace: namespace.as_deref().map(x),
            name: x(name),
            patch: patch.as_ref().and_then(|p| toml::from_str(&x(&toml::to_string(p).unwrap_or_default())).ok()),
            remove: remove.iter().map(|r| x(r)).collect(),
        },
        FaultAction::K8sCreate { manifest } => FaultAction::K8sCreate { manifest: x(manifest) },
        FaultAction::SubnetUntag { tag } => FaultAction::SubnetUntag { tag: x(tag) },
        FaultAction::AsgUntag { nodegroup, key } => FaultAction::AsgUntag { nodegroup: x(nodegroup), key: x(key) },
    }
}

fn place(namespace: &Option<String>, kind: &str, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// Exactly what the action changes, for the confirmation.
pub fn describe(action: &FaultAction, cluster: &str) -> String {
    match action {
        FaultAction::IamTrustReplace { role, find, replace } => format!("IAM role {role}: in its trust policy, replace {find} with {replace}"),
        FaultAction::IamDetachPolicy { role, policy } => format!("IAM role {role}: detach the managed policy {policy}"),
        FaultAction::K8sPatch { kind, namespace, name, patch, remove } => {
            let mut parts = Vec::new();
            if let Some(p) = patch {
                parts.push(format!("set {}", serde_json::to_string(&toml_to_json(p)).unwrap_or_default()));
            }
            if !remove.is_empty() {
                parts.push(format!("remove {}", remove.join(", ")));
            }
            format!("Kubernetes {}: {}", place(namespace, kind, name), parts.join("; "))
        }
        FaultAction::K8sCreate { manifest } => {
            let obj: Value = serde_saphyr::from_str(manifest).unwrap_or(Value::Null);
            let ns = obj["metadata"]["namespace"].as_str().map(str::to_string);
            format!("Kubernetes: create {}", place(&ns, obj["kind"].as_str().unwrap_or("object"), obj["metadata"]["name"].as_str().unwrap_or("?")))
        }
        FaultAction::SubnetUntag { tag } => format!("EC2: remove the tag {tag} from the subnets of cluster {cluster} that carry it"),
        FaultAction::AsgUntag { nodegroup, key } => format!("Auto Scaling: remove the tag {key} from the ASG of node group {nodegroup} (cluster {cluster})"),
    }
}

/// What a reset will do, in the same words.
pub fn describe_undo(undo: &Undo) -> String {
    match undo {
        Undo::IamTrustSet { role, .. } => format!("IAM role {role}: put back the trust policy it had before"),
        Undo::IamAttachPolicy { role, policy } => format!("IAM role {role}: attach {policy} again"),
        Undo::K8sMergePatch { kind, namespace, name, patch } => format!("Kubernetes {}: set back {}", place(namespace, kind, name), patch),
        Undo::K8sDelete { kind, namespace, name } => format!("Kubernetes: delete {} (created by the scenario)", place(namespace, kind, name)),
        Undo::SubnetTag { tag, subnets } => format!("EC2: tag {} again with {tag}", subnets.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ")),
        Undo::AsgTag { key, groups } => format!("Auto Scaling: tag {} again with {key}", groups.iter().map(|g| g.0.as_str()).collect::<Vec<_>>().join(", ")),
    }
}

fn toml_to_json(t: &toml::Table) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

fn resource(kind: &str) -> Result<ApiResource, String> {
    let (k, group, version, plural) = K8S_KINDS.iter().find(|k| k.0 == kind).ok_or_else(|| format!("kind {kind} cannot be changed by a scenario"))?;
    Ok(ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, k), plural))
}

fn api(b: &Backend, kind: &str, namespace: &Option<String>) -> Result<Api<DynamicObject>, String> {
    let client = b.kube.clone()?;
    let ar = resource(kind)?;
    Ok(match namespace {
        Some(ns) => Api::namespaced_with(client, ns, &ar),
        None => Api::all_with(client, &ar),
    })
}

/// The inverse of a merge patch: for every key it sets, the value the object had (null: absent).
fn inverse(patch: &Value, current: &Value) -> Value {
    match patch {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let before = current.get(k).cloned().unwrap_or(Value::Null);
                let value = if v.is_object() && before.is_object() { inverse(v, &before) } else { before };
                out.insert(k.clone(), value);
            }
            Value::Object(out)
        }
        _ => current.clone(),
    }
}

/// `a.b.c` -> {"a": {"b": {"c": value}}}
fn nested(path: &str, value: Value) -> Value {
    path.rsplit('.').fold(value, |inner, key| json!({ key: inner }))
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}

/// An AWS error in a sentence: its code and message, or (no answer: credentials, network) the
/// chain of causes as text, never the SDK's Debug dump.
fn aws_err<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(e: &aws_sdk_iam::error::SdkError<E, R>, what: &str) -> String {
    match e.code() {
        Some(code) => format!("{what}: {code}: {}", e.message().unwrap_or_default()),
        None => format!("{what}: {}", aws_sdk_iam::error::DisplayErrorContext(e)),
    }
}

/// Apply one action; the undo records what it replaced.
pub async fn apply(b: &Backend, action: &FaultAction, cluster: &str) -> Result<Undo, String> {
    match action {
        FaultAction::IamTrustReplace { role, find, replace } => {
            let aws = b.aws.as_ref().ok_or("this scenario changes AWS: no AWS target configured")?;
            let out = aws.iam.get_role().role_name(role).send().await.map_err(|e| aws_err(&e, &format!("iam:GetRole {role}")))?;
            let raw = out.role.map(|r| r.assume_role_policy_document.unwrap_or_default()).unwrap_or_default();
            let document = percent_encoding::percent_decode_str(&raw).decode_utf8().map_err(|e| e.to_string())?.to_string();
            if !document.contains(find.as_str()) {
                return Err(format!("the trust policy of role {role} does not contain {find}: is the lab's solved state in place?"));
            }
            let changed = document.replace(find.as_str(), replace);
            aws.iam
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(changed)
                .send()
                .await
                .map_err(|e| aws_err(&e, &format!("iam:UpdateAssumeRolePolicy {role}")))?;
            Ok(Undo::IamTrustSet { role: role.clone(), document })
        }
        FaultAction::IamDetachPolicy { role, policy } => {
            let aws = b.aws.as_ref().ok_or("this scenario changes AWS: no AWS target configured")?;
            let attached =
                aws.iam.list_attached_role_policies().role_name(role).send().await.map_err(|e| aws_err(&e, &format!("iam:ListAttachedRolePolicies {role}")))?;
            if !attached.attached_policies().iter().any(|p| p.policy_arn() == Some(policy.as_str())) {
                return Err(format!("{policy} is not attached to role {role}: is the lab's solved state in place?"));
            }
            aws.iam.detach_role_policy().role_name(role).policy_arn(policy).send().await.map_err(|e| aws_err(&e, &format!("iam:DetachRolePolicy {role}")))?;
            Ok(Undo::IamAttachPolicy { role: role.clone(), policy: policy.clone() })
        }
        FaultAction::K8sPatch { kind, namespace, name, patch, remove } => {
            let api = api(b, kind, namespace)?;
            let current = api.get(name).await.map_err(|e| format!("get {}: {}", place(namespace, kind, name), crate::kube_text::error(&e)))?;
            let current = serde_json::to_value(&current).map_err(|e| e.to_string())?;
            let mut forward = patch.as_ref().map(toml_to_json).unwrap_or_else(|| json!({}));
            for path in remove {
                merge(&mut forward, nested(path, Value::Null));
            }
            let back = inverse(&forward, &current);
            api.patch(name, &PatchParams::default(), &Patch::Merge(&forward))
                .await
                .map_err(|e| format!("patch {}: {}", place(namespace, kind, name), crate::kube_text::error(&e)))?;
            Ok(Undo::K8sMergePatch { kind: kind.clone(), namespace: namespace.clone(), name: name.clone(), patch: back })
        }
        FaultAction::K8sCreate { manifest } => {
            let obj: Value = serde_saphyr::from_str(manifest).map_err(|e| format!("manifest: {e}"))?;
            let kind = obj["kind"].as_str().unwrap_or_default().to_string();
            let namespace = obj["metadata"]["namespace"].as_str().map(str::to_string);
            let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let api = api(b, &kind, &namespace)?;
            let dynamic: DynamicObject = serde_json::from_value(obj).map_err(|e| e.to_string())?;
            api.create(&PostParams::default(), &dynamic)
                .await
                .map_err(|e| format!("create {}: {}", place(&namespace, &kind, &name), crate::kube_text::error(&e)))?;
            Ok(Undo::K8sDelete { kind, namespace, name })
        }
        FaultAction::SubnetUntag { tag } => {
            let aws = b.aws.as_ref().ok_or("this scenario changes AWS: no AWS target configured")?;
            let c = aws.eks.describe_cluster().name(cluster).send().await.map_err(|e| aws_err(&e, &format!("eks:DescribeCluster {cluster}")))?;
            let ids: Vec<String> = c.cluster.and_then(|c| c.resources_vpc_config).and_then(|v| v.subnet_ids).unwrap_or_default();
            if ids.is_empty() {
                return Err(format!("cluster {cluster} lists no subnets"));
            }
            let out = aws.ec2.describe_subnets().set_subnet_ids(Some(ids)).send().await.map_err(|e| aws_err(&e, "ec2:DescribeSubnets"))?;
            let tagged: Vec<(String, String)> = out
                .subnets()
                .iter()
                .filter_map(|s| Some((s.subnet_id.clone()?, s.tags().iter().find(|t| t.key() == Some(tag.as_str()))?.value().unwrap_or_default().to_string())))
                .collect();
            if tagged.is_empty() {
                return Err(format!("no subnet of cluster {cluster} carries the tag {tag}: is the lab's solved state in place?"));
            }
            aws.ec2
                .delete_tags()
                .set_resources(Some(tagged.iter().map(|(id, _)| id.clone()).collect()))
                .tags(aws_sdk_ec2::types::Tag::builder().key(tag).build())
                .send()
                .await
                .map_err(|e| aws_err(&e, "ec2:DeleteTags"))?;
            Ok(Undo::SubnetTag { tag: tag.clone(), subnets: tagged })
        }
        FaultAction::AsgUntag { nodegroup, key } => {
            let aws = b.aws.as_ref().ok_or("this scenario changes AWS: no AWS target configured")?;
            let ng = aws
                .eks
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(nodegroup)
                .send()
                .await
                .map_err(|e| aws_err(&e, &format!("eks:DescribeNodegroup {nodegroup}")))?;
            let names: Vec<String> =
                ng.nodegroup.and_then(|n| n.resources).and_then(|r| r.auto_scaling_groups).unwrap_or_default().into_iter().filter_map(|a| a.name).collect();
            if names.is_empty() {
                return Err(format!("node group {nodegroup} has no Auto Scaling group"));
            }
            let out = aws
                .autoscaling
                .describe_auto_scaling_groups()
                .set_auto_scaling_group_names(Some(names))
                .send()
                .await
                .map_err(|e| aws_err(&e, "autoscaling:DescribeAutoScalingGroups"))?;
            let groups: Vec<(String, String, bool)> = out
                .auto_scaling_groups()
                .iter()
                .filter_map(|g| {
                    let t = g.tags().iter().find(|t| t.key() == Some(key.as_str()))?;
                    Some((g.auto_scaling_group_name.clone()?, t.value().unwrap_or_default().to_string(), t.propagate_at_launch().unwrap_or(false)))
                })
                .collect();
            if groups.is_empty() {
                return Err(format!("the ASG of node group {nodegroup} has no tag {key}: is the lab's solved state in place?"));
            }
            for (asg, value, propagate) in &groups {
                let tag = aws_sdk_autoscaling::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .resource_id(asg)
                    .resource_type("auto-scaling-group")
                    .propagate_at_launch(*propagate)
                    .build();
                aws.autoscaling.delete_tags().tags(tag).send().await.map_err(|e| aws_err(&e, "autoscaling:DeleteTags"))?;
            }
            Ok(Undo::AsgTag { key: key.clone(), groups })
        }
    }
}

/// Put back what an action changed.
pub async fn undo(b: &Backend, undo: &Undo) -> Result<(), String> {
    let aws = || b.aws.as_ref().ok_or_else(|| "no AWS target configured".to_string());
    match undo {
        Undo::IamTrustSet { role, document } => {
            aws()?
                .iam
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(document)
                .send()
                .await
                .map_err(|e| aws_err(&e, &format!("iam:UpdateAssumeRolePolicy {role}")))?;
        }
        Undo::IamAttachPolicy { role, policy } => {
            aws()?
                .iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy)
                .send()
                .await
                .map_err(|e| aws_err(&e, &format!("iam:AttachRolePolicy {role}")))?;
        }
        Undo::K8sMergePatch { kind, namespace, name, patch } => {
            api(b, kind, namespace)?
                .patch(name, &PatchParams::default(), &Patch::Merge(patch))
                .await
                .map_err(|e| format!("patch {}: {}", place(namespace, kind, name), crate::kube_text::error(&e)))?;
        }
        Undo::K8sDelete { kind, namespace, name } => match api(b, kind, namespace)?.delete(name, &Default::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(format!("delete {}: {}", place(namespace, kind, name), crate::kube_text::error(&e))),
        },
        Undo::SubnetTag { tag, subnets } => {
            for (id, value) in subnets {
                aws()?
                    .ec2
                    .create_tags()
                    .resources(id)
                    .tags(aws_sdk_ec2::types::Tag::builder().key(tag).value(value).build())
                    .send()
                    .await
                    .map_err(|e| aws_err(&e, "ec2:CreateTags"))?;
            }
        }
        Undo::AsgTag { key, groups } => {
            for (asg, value, propagate) in groups {
                let tag = aws_sdk_autoscaling::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .resource_id(asg)
                    .resource_type("auto-scaling-group")
                    .propagate_at_launch(*propagate)
                    .build();
                aws()?.autoscaling.create_or_update_tags().tags(tag).send().await.map_err(|e| aws_err(&e, "autoscaling:CreateOrUpdateTags"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_patches_put_back_what_was_there() {
        let current = json!({"spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "payments"}}}, "data": {"cluster.name": "lab"}});
        let forward = json!({"spec": {"minAvailable": 3, "maxUnavailable": null}, "data": {"cluster.name": "lab-old"}});
        assert_eq!(inverse(&forward, &current), json!({"spec": {"minAvailable": null, "maxUnavailable": 1}, "data": {"cluster.name": "lab"}}));
        let mut patch = json!({"spec": {"minAvailable": 3}});
        merge(&mut patch, nested("spec.maxUnavailable", Value::Null));
        assert_eq!(patch, json!({"spec": {"minAvailable": 3, "maxUnavailable": null}}));
    }

    #[test]
    fn descriptions_say_exactly_what_changes() {
        let a = FaultAction::IamTrustReplace { role: "lab-s3-reader".into(), find: "\"sts.amazonaws.com\"".into(), replace: "\"sts.amazon.com\"".into() };
        assert_eq!(describe(&a, "lab"), "IAM role lab-s3-reader: in its trust policy, replace \"sts.amazonaws.com\" with \"sts.amazon.com\"");
        let vars = BTreeMap::from([("cluster".to_string(), "prod".to_string())]);
        let p = FaultAction::AsgUntag { nodegroup: "spot".into(), key: "k8s.io/cluster-autoscaler/{{cluster}}".into() };
        assert_eq!(
            describe(&expand(&p, &vars), "prod"),
            "Auto Scaling: remove the tag k8s.io/cluster-autoscaler/prod from the ASG of node group spot (cluster prod)"
        );
    }
}
