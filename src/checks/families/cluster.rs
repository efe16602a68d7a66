//! The cluster itself: identity, status and version, zones, endpoint access, secrets encryption.

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::ListParams;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail, pass, skip, warn};

pub async fn identity(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let out = timed("sts:GetCallerIdentity", aws.sts.get_caller_identity().send()).await?;
    let id = match out {
        Ok(id) => id,
        Err(aws_sdk_sts::error::SdkError::ConstructionFailure(_)) => {
            return Ok(fail("No AWS credentials resolved: run aws configure, aws sso login, or set AWS_PROFILE").found_expected("no credentials", "an AWS identity"));
        }
        Err(e) => return Err(aws_error(&e, "sts:GetCallerIdentity")),
    };
    let account = id.account().unwrap_or_default().to_string();
    let arn = id.arn().unwrap_or_default();
    let expected = ctx.text("account", "account", "");
    if !expected.is_empty() && account != expected {
        return Ok(fail(format!("Account {account} ≠ lab account {expected}: switch profile (AWS_PROFILE) before creating anything"))
            .found_expected(account, expected));
    }
    Ok(pass(format!("AWS identity {arn} in account {account}")))
}

/// `DescribeCluster`, with a not-found turned into the learner's fail.
pub async fn describe(ctx: &Ctx<'_>) -> Step<aws_sdk_eks::types::Cluster> {
    let aws = ctx.aws()?;
    let name = ctx.cluster();
    let out = timed("eks:DescribeCluster", aws.eks.describe_cluster().name(&name).send()).await?;
    match out {
        Ok(o) => o.cluster.ok_or_else(|| crate::checks::outcome::error("eks:DescribeCluster returned no cluster")),
        Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => {
            let region = aws.region().unwrap_or_else(|| "this region".into());
            Err(fail(format!("Cluster {name} not found in {region}: check eksctl metadata.name/region"))
                .found_expected("no cluster", format!("cluster {name} in {region}")))
        }
        Err(e) => Err(aws_error(&e, "eks:DescribeCluster")),
    }
}

fn below(found: &str, min: &str) -> bool {
    use crate::content::versions::minor;
    matches!((minor(found), minor(min)), (Some(f), Some(m)) if f < m)
}

pub async fn active(ctx: &Ctx<'_>) -> Step<Outcome> {
    let min = ctx.text("minVersion", "minVersion", "");
    if ctx.backend.aws.is_none() {
        // no AWS: the API server's own version stands in for the EKS cluster
        let client = ctx.kube()?;
        let info = kube_call("read the server version", client.apiserver_version()).await?;
        let version = info.git_version;
        if !min.is_empty() && below(&version, &min) {
            return Ok(fail(format!("version {version} < {min}: recreate the local cluster with a newer Kubernetes")).found_expected(version, format!(">= {min}")));
        }
        return Ok(pass(format!("API server reachable, Kubernetes {version} (no EKS API on this target, so no support status)")));
    }
    let cluster = describe(ctx).await?;
    let status = cluster.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into());
    let version = cluster.version.clone().unwrap_or_default();
    let name = ctx.cluster();
    if status != "ACTIVE" {
        return Ok(fail(format!("status {status}, expected ACTIVE: wait out CREATING/UPDATING, or read `aws eks describe-cluster --name {name} --query cluster.health` if it FAILED"))
            .found_expected(status, "ACTIVE"));
    }
    if !min.is_empty() && below(&version, &min) {
        return Ok(fail(format!("version {version} < {min}: {}", upgrade_command(ctx, &version)))
            .found_expected(version, format!(">= {min}")));
    }
    let support = super::support::status(ctx, &version).await?;
    Ok(super::support::outcome(ctx, &name, &version, &support))
}

/// The command that moves a cluster one minor version up (EKS upgrades one minor at a time).
pub fn upgrade_command(ctx: &Ctx<'_>, version: &str) -> String {
    let next = crate::content::versions::minor(version).map_or_else(|| "<next minor>".to_string(), |(major, m)| format!("{major}.{}", m + 1));
    format!(
        "upgrade one minor version at a time: eksctl upgrade cluster --name {} --region {} --version {next} --approve",
        ctx.cluster(),
        ctx.var("region", "<region>")
    )
}

pub async fn multi_az(ctx: &Ctx<'_>) -> Step<Outcome> {
    let client = ctx.kube()?;
    let nodes: Api<Node> = Api::all(client.clone());
    let list = kube_call("list nodes", nodes.list(&ListParams::default())).await?;
    let ready_zones: std::collections::BTreeSet<String> = list
        .items
        .iter()
        .filter(|n| node_ready(n))
        .filter_map(|n| n.metadata.labels.as_ref()?.get("topology.kubernetes.io/zone").cloned())
        .collect();
    let Some(aws) = ctx.backend.aws.as_ref() else {
        if ready_zones.is_empty() {
            return Ok(skip("nodes of this cluster have no topology.kubernetes.io/zone label (kind and kwok nodes have no zone)"));
        }
        return Ok(zones_outcome(None, &ready_zones));
    };
    let cluster = describe(ctx).await?;
    let subnets: Vec<String> = cluster.resources_vpc_config.and_then(|v| v.subnet_ids).unwrap_or_default();
    if subnets.is_empty() {
        return Ok(fail("the cluster lists no subnets").found_expected("0 subnets", "subnets in 2 or more AZs"));
    }
    let out = timed("ec2:DescribeSubnets", aws.ec2.describe_subnets().set_subnet_ids(Some(subnets.clone())).send()).await?;
    let subnet_zones: std::collections::BTreeSet<String> = match out {
        Ok(o) => o.subnets.unwrap_or_default().into_iter().filter_map(|s| s.availability_zone).collect(),
        Err(e) => return Err(aws_error(&e, "ec2:DescribeSubnets")),
    };
    Ok(zones_outcome(Some(&subnet_zones), &ready_zones))
}

fn zones_outcome(subnet_zones: Option<&std::collections::BTreeSet<String>>, node_zones: &std::collections::BTreeSet<String>) -> Outcome {
    let list = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    if let Some(sz) = subnet_zones
        && sz.len() < 2
    {
        return fail(format!("Subnets cover {} AZ ({}); need ≥2", sz.len(), list(sz))).found_expected(format!("{} AZ", sz.len()), "2 or more AZs");
    }
    match node_zones.len() {
        0 => fail("no Ready node has a zone label yet: wait for the node groups to join").found_expected("0 zones", "2 or more zones"),
        1 => fail(format!("All Ready nodes in {}: spread node groups over ≥2 AZs", list(node_zones))).found_expected("1 zone", "2 or more zones"),
        n => pass(format!("Ready nodes span {n} zones ({})", list(node_zones))),
    }
}

pub fn node_ready(n: &Node) -> bool {
    n.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub async fn private_endpoint(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let cluster = describe(ctx).await?;
    let vpc = cluster.resources_vpc_config.unwrap_or_else(|| aws_sdk_eks::types::VpcConfigResponse::builder().build());
    if !vpc.endpoint_private_access {
        return Ok(fail("endpointPrivateAccess=false: nodes and in-VPC clients reach the API over the internet").found_expected("false", "true"));
    }
    let cidrs = vpc.public_access_cidrs.unwrap_or_default();
    if vpc.endpoint_public_access && (cidrs.is_empty() || cidrs.iter().any(|c| c == "0.0.0.0/0")) {
        return Ok(warn("public endpoint open to 0.0.0.0/0: restrict publicAccessCidrs or turn public access off"));
    }
    if vpc.endpoint_public_access {
        return Ok(pass(format!("private endpoint on; public endpoint limited to {}", cidrs.join(", "))));
    }
    Ok(pass("private endpoint only: the API is not reachable from the internet"))
}

pub async fn secrets_kms(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let cluster = describe(ctx).await?;
    let key = cluster.encryption_config.unwrap_or_default().into_iter().find_map(|c| {
        let secrets = c.resources.unwrap_or_default().iter().any(|r| r == "secrets");
        let arn = c.provider.and_then(|p| p.key_arn).filter(|a| !a.is_empty());
        if secrets { arn } else { None }
    });
    match key {
        Some(arn) => Ok(pass(format!("Secrets are envelope-encrypted with {arn}"))),
        None => Ok(fail("Secrets not envelope-encrypted: eksctl `secretsEncryption.keyARN` or eksctl utils enable-secrets-encryption")
            .found_expected("no encryptionConfig for secrets", "a KMS key for secrets")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_compare_by_minor() {
        assert!(super::below("v1.30.2", "1.31"));
        assert!(!super::below("1.31", "1.31"));
        assert!(!super::below("v1.37.2-eks-abc", "1.33"));
        assert!(super::below("1.9", "1.31"));
    }
}
