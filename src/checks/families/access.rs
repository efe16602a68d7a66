//! Who may reach the cluster: its authentication mode, the principals the `aws-auth` ConfigMap
//! maps (each needs an access entry once the mode is `API`), and one principal's access entry
//! with its access policy and scope.
//!
//! The rules are the EKS user guide's (awsdocs/amazon-eks-user-guide, setting-up-access-entries
//! and migrating-access-entries): modes change one way only, CONFIG_MAP to API_AND_CONFIG_MAP to
//! API; in API mode the ConfigMap is not read; managed node groups and Fargate profiles get their
//! entries from EKS, any other node role mapped in aws-auth needs an EC2_LINUX entry.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail, pass};
use crate::iam::policy::role_name;

use super::common::region_flag;

/// The access policies' ARN prefix (`aws eks list-access-policies`).
pub const POLICY_PREFIX: &str = "arn:aws:eks::aws:cluster-access-policy/";

/// A principal `aws-auth` maps: its ARN and whether it is mapped as a node (`system:nodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapped {
    arn: String,
    node: bool,
}

/// The principals of kube-system/aws-auth (`mapRoles` with `rolearn`, `mapUsers` with
/// `userarn`); an absent or unreadable ConfigMap maps nobody.
async fn mapped(ctx: &Ctx<'_>) -> Step<Vec<Mapped>> {
    let api: Api<ConfigMap> = Api::namespaced(ctx.kube()?.clone(), "kube-system");
    let Some(cm) = kube_call("get configmap kube-system/aws-auth", api.get_opt("aws-auth")).await? else { return Ok(Vec::new()) };
    let data = cm.data.unwrap_or_default();
    Ok(parse_mapped(data.get("mapRoles").map(String::as_str), data.get("mapUsers").map(String::as_str)))
}

fn parse_mapped(roles: Option<&str>, users: Option<&str>) -> Vec<Mapped> {
    let mut out = Vec::new();
    for (text, key) in [(roles, "rolearn"), (users, "userarn")] {
        let items: Vec<serde_json::Value> = text.and_then(|t| serde_saphyr::from_str(t).ok()).unwrap_or_default();
        for item in items {
            let Some(arn) = item[key].as_str() else { continue };
            let node = item["groups"].as_array().is_some_and(|g| g.iter().any(|g| g == "system:nodes"));
            out.push(Mapped { arn: arn.to_string(), node });
        }
    }
    out
}

/// The principal ARNs of the cluster's access entries, every page; a CONFIG_MAP cluster has none.
pub(super) async fn entries(ctx: &Ctx<'_>) -> Step<Vec<String>> {
    let aws = ctx.aws()?;
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let call = aws.eks.list_access_entries().cluster_name(ctx.cluster()).set_next_token(token.take()).send();
        let page = match timed("eks:ListAccessEntries", call).await? {
            Ok(page) => page,
            Err(e) if aws_code(&e) == Some("InvalidRequestException") => return Ok(out),
            Err(e) => return Err(aws_error(&e, "eks:ListAccessEntries")),
        };
        out.extend(page.access_entries.unwrap_or_default());
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// aws-auth's principals that no access entry covers (compared by the ARN without its path, as
/// aws-auth requires it written).
fn uncovered(mapped: &[Mapped], entries: &[String]) -> Vec<Mapped> {
    let key = |arn: &str| -> String {
        match (arn.split(':').nth(4), arn.rsplit('/').next(), arn.contains(":role/")) {
            (Some(account), Some(name), true) => format!("{account}:role/{name}"),
            (Some(account), Some(name), false) => format!("{account}:user/{name}"),
            _ => arn.to_string(),
        }
    };
    let covered: BTreeSet<String> = entries.iter().map(|e| key(e)).collect();
    mapped.iter().filter(|m| !covered.contains(&key(&m.arn))).cloned().collect()
}

/// The commands that give each uncovered principal its entry.
fn entry_commands(ctx: &Ctx<'_>, missing: &[Mapped]) -> String {
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    missing
        .iter()
        .map(|m| {
            if m.node {
                format!("aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {} --type EC2_LINUX", m.arn)
            } else {
                format!(
                    "aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --type STANDARD && aws eks associate-access-policy --cluster-name {cluster}{region} --principal-arn {arn} --policy-arn {POLICY_PREFIX}<the policy its aws-auth groups stood for> --access-scope type=cluster",
                    arn = m.arn
                )
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn arns(missing: &[Mapped]) -> String {
    missing.iter().map(|m| if m.node { format!("{} (nodes)", m.arn) } else { m.arn.clone() }).collect::<Vec<_>>().join(", ")
}

pub async fn mode(ctx: &Ctx<'_>) -> Step<Outcome> {
    let expected = ctx.text("mode", "authenticationMode", "API");
    let cluster = super::cluster::describe(ctx).await?;
    let (name, region) = (ctx.cluster(), region_flag(ctx));
    let found = cluster.access_config.and_then(|a| a.authentication_mode).map(|m| m.as_str().to_string()).unwrap_or_else(|| "CONFIG_MAP".into());
    let update = |to: &str| {
        format!(
            "aws eks update-cluster-config --name {name}{region} --access-config authenticationMode={to}, then aws eks wait cluster-active --name {name}{region}"
        )
    };
    let missing = uncovered(&mapped(ctx).await?, &if found == "CONFIG_MAP" { Vec::new() } else { entries(ctx).await? });
    if found == expected {
        if expected == "API" && !missing.is_empty() {
            return Ok(fail(format!(
                "the mode is API, so aws-auth is no longer read, and {} has no access entry: it lost access to the cluster",
                arns(&missing)
            ))
            .found_expected(format!("{} mapped only in aws-auth", missing.len()), "an access entry for every principal aws-auth mapped")
            .next(entry_commands(ctx, &missing)));
        }
        return Ok(pass(format!("cluster {name} authenticates with {found}{}", if expected == "API" { ": access entries only" } else { "" })));
    }
    let updating = cluster.status.as_ref().is_some_and(|s| s.as_str() == "UPDATING");
    if updating {
        return Ok(fail(format!("cluster {name} is UPDATING (authentication mode {found} so far)"))
            .found_expected(format!("{found}, UPDATING"), &expected)
            .next(format!("wait for the update: aws eks wait cluster-active --name {name}{region}; then run the check again")));
    }
    let message = format!("cluster {name} authenticates with {found}, not {expected}");
    Ok(match (found.as_str(), expected.as_str()) {
        ("CONFIG_MAP", _) => fail(format!("{message}: it has no access entries yet"))
            .found_expected(&found, &expected)
            .next(format!("one step at a time (the mode changes one way only): first {}", update("API_AND_CONFIG_MAP"))),
        ("API_AND_CONFIG_MAP", "API") if !missing.is_empty() => {
            fail(format!("{message}, and switching now would lock out {}: aws-auth maps them, no access entry does", arns(&missing)))
                .found_expected(format!("{} principals only in aws-auth", missing.len()), "an access entry for each before the switch")
                .next(format!("{}; then {}", entry_commands(ctx, &missing), update("API")))
        }
        ("API_AND_CONFIG_MAP", "API") => fail(format!("{message}: every principal aws-auth maps has an access entry, so the switch is safe"))
            .found_expected(&found, &expected)
            .next(update("API")),
        _ => fail(format!("{message}: the mode cannot go back (CONFIG_MAP to API_AND_CONFIG_MAP to API only)"))
            .found_expected(&found, &expected)
            .next(format!("the lab's checks expect {expected}: set mode under the step's check to {found} only if this cluster is meant to stay there")),
    })
}

pub async fn entry(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    let role = ctx.text("role", "viewerRole", &format!("{cluster}-viewers"));
    let policy = ctx.text("policy", "viewerPolicy", "AmazonEKSViewPolicy");
    let namespaces: BTreeSet<String> = ctx.list("namespaces", &[]).into_iter().collect();
    let policy_arn = format!("{POLICY_PREFIX}{policy}");
    let scope = if namespaces.is_empty() {
        "type=cluster".to_string()
    } else {
        format!("type=namespace,namespaces={}", namespaces.iter().cloned().collect::<Vec<_>>().join(","))
    };
    let arn = match timed("iam:GetRole", aws.iam.get_role().role_name(&role).send()).await? {
        Ok(o) => o.role.map(|r| r.arn).unwrap_or_default(),
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
            return Ok(fail(format!("role {role} does not exist: nobody can use its access entry"))
                .found_expected("no such role", &role)
                .next(format!("create it as the step's solution shows: aws iam create-role --role-name {role} --assume-role-policy-document file://pod-identity-access/viewers-trust-policy.json")));
        }
        Err(e) => return Err(aws_error(&e, "iam:GetRole")),
    };
    let associate =
        format!("aws eks associate-access-policy --cluster-name {cluster}{region} --principal-arn {arn} --policy-arn {policy_arn} --access-scope {scope}");
    let described = timed("eks:DescribeAccessEntry", aws.eks.describe_access_entry().cluster_name(&cluster).principal_arn(&arn).send()).await?;
    let entry = match described {
        Ok(o) => o.access_entry.unwrap_or_else(|| aws_sdk_eks::types::AccessEntry::builder().build()),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => {
            return Ok(fail(format!("role {role} has no access entry on {cluster}"))
                .found_expected("no access entry", format!("a STANDARD entry for {arn}"))
                .next(format!("aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --type STANDARD, then {associate}")));
        }
        Err(e) if aws_code(&e) == Some("InvalidRequestException") => {
            return Ok(fail(format!("cluster {cluster} has no access entries: its authentication mode is CONFIG_MAP"))
                .found_expected("CONFIG_MAP", "API_AND_CONFIG_MAP or API")
                .next(format!("aws eks update-cluster-config --name {cluster}{region} --access-config authenticationMode=API_AND_CONFIG_MAP")));
        }
        Err(e) => return Err(aws_error(&e, "eks:DescribeAccessEntry")),
    };
    let kind = entry.r#type.unwrap_or_default();
    if kind != "STANDARD" {
        return Ok(fail(format!("the access entry of {role} is of type {kind}: only STANDARD entries take access policies"))
            .found_expected(&kind, "STANDARD")
            .next(format!(
                "the type cannot change: aws eks delete-access-entry --cluster-name {cluster}{region} --principal-arn {arn}, then aws eks create-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --type STANDARD and {associate}"
            )));
    }
    let groups = entry.kubernetes_groups.unwrap_or_default();
    if !groups.is_empty() {
        return Ok(fail(format!(
            "the access entry of {role} also puts it in Kubernetes groups {}: RBAC bindings of those groups grant more than {policy}",
            groups.join(", ")
        ))
        .found_expected(groups.join(", "), "no Kubernetes groups: the access policy alone")
        .next(format!("aws eks update-access-entry --cluster-name {cluster}{region} --principal-arn {arn} --kubernetes-groups '[]'"))); // the CLI takes a JSON list
    }
    let listed = timed("eks:ListAssociatedAccessPolicies", aws.eks.list_associated_access_policies().cluster_name(&cluster).principal_arn(&arn).send()).await?;
    let associated = listed.map_err(|e| aws_error(&e, "eks:ListAssociatedAccessPolicies"))?.associated_access_policies.unwrap_or_default();
    let mut wanted = None;
    for a in &associated {
        let this = a.policy_arn.clone().unwrap_or_default();
        if this != policy_arn {
            let short = this.strip_prefix(POLICY_PREFIX).unwrap_or(&this).to_string();
            return Ok(fail(format!("role {role} is also granted {short}: more than {policy}"))
                .found_expected(format!("{short} associated"), format!("{policy} only"))
                .next(format!("aws eks disassociate-access-policy --cluster-name {cluster}{region} --principal-arn {arn} --policy-arn {this}")));
        }
        wanted = a.access_scope.clone();
    }
    let Some(found_scope) = wanted else {
        return Ok(fail(format!("the access entry of {role} has no access policy: it can authenticate but do nothing"))
            .found_expected("no access policy", format!("{policy}, {scope}"))
            .next(associate));
    };
    let found_namespaces: BTreeSet<String> = found_scope.namespaces.unwrap_or_default().into_iter().collect();
    let found_type = found_scope.r#type.map(|t| t.as_str().to_string()).unwrap_or_default();
    let expected_type = if namespaces.is_empty() { "cluster" } else { "namespace" };
    if found_type != expected_type || found_namespaces != namespaces {
        let found = if found_type == "cluster" {
            "the whole cluster".to_string()
        } else {
            format!("namespaces {}", found_namespaces.iter().cloned().collect::<Vec<_>>().join(", "))
        };
        return Ok(fail(format!("{policy} applies to {found} for role {role}"))
            .found_expected(format!("type={found_type} {}", found_namespaces.iter().cloned().collect::<Vec<_>>().join(",")), scope.clone())
            .next(format!("associating again replaces the scope: {associate}")));
    }
    let r = role_name(&arn).unwrap_or(&role);
    Ok(pass(format!(
        "role {r} may use {policy} {} through its access entry, nothing more",
        if namespaces.is_empty() { "cluster-wide".to_string() } else { format!("in {}", namespaces.iter().cloned().collect::<Vec<_>>().join(", ")) }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_auth_principals_and_those_no_entry_covers() {
        let roles = "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/admins\n  username: admin\n  groups: [system:masters]\n";
        let users = "- userarn: arn:aws:iam::111122223333:user/ops\n  username: ops\n";
        let mapped = parse_mapped(Some(roles), Some(users));
        assert_eq!(
            mapped,
            [
                Mapped { arn: "arn:aws:iam::111122223333:role/nodes".into(), node: true },
                Mapped { arn: "arn:aws:iam::111122223333:role/admins".into(), node: false },
                Mapped { arn: "arn:aws:iam::111122223333:user/ops".into(), node: false },
            ]
        );
        // an entry's ARN may carry the role's path; aws-auth's may not
        let entries = ["arn:aws:iam::111122223333:role/eks/nodes".to_string(), "arn:aws:iam::111122223333:user/ops".to_string()];
        assert_eq!(uncovered(&mapped, &entries), [Mapped { arn: "arn:aws:iam::111122223333:role/admins".into(), node: false }]);
        assert!(parse_mapped(Some("not: [a list"), None).is_empty());
    }
}
