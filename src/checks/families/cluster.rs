//! The cluster itself: identity, status and version, zones, endpoint access, secrets encryption.

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::ListParams;

use super::common::{NODEGROUP_LABEL, cluster_missing, node_ready, region_flag, upgrade_command};
use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, fail, pass, skip, warn};

pub async fn identity(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let no_credentials = |why: String| {
        fail(format!("No AWS credentials resolved: {why}"))
            .found_expected("no credentials", "an AWS identity")
            .next("export AWS_PROFILE=<your lab profile> (run aws sso login --profile <your lab profile> first for SSO, or aws configure for access keys), then aws sts get-caller-identity")
    };
    // resolve the credentials first: the SDK reports a chain that finds none as a dispatch
    // failure of the call, which would read as an unreachable endpoint
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = aws.config.credentials_provider() else { return Ok(no_credentials("no credentials provider is configured".into())) };
    if let Err(e) = timed("resolve AWS credentials", provider.provide_credentials()).await? {
        return Ok(no_credentials(e.to_string()));
    }
    let out = timed("sts:GetCallerIdentity", aws.sts.get_caller_identity().send()).await?;
    let id = match out {
        Ok(id) => id,
        Err(aws_sdk_sts::error::SdkError::ConstructionFailure(_)) => return Ok(no_credentials("the SDK could not build the request".into())),
        Err(e) => return Err(aws_error(&e, "sts:GetCallerIdentity")),
    };
    let account = id.account().unwrap_or_default().to_string();
    let arn = id.arn().unwrap_or_default();
    let expected = ctx.text("account", "account", "");
    if !expected.is_empty() && account != expected {
        return Ok(fail(format!("Account {account} ≠ lab account {expected}"))
            .found_expected(account, &expected)
            .next(format!("before creating anything, switch profile: export AWS_PROFILE=<profile of account {expected}>, then aws sts get-caller-identity --query Account --output text must print {expected}")));
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
            Err(fail(format!("Cluster {name} not found in {region}"))
                .found_expected("no cluster", format!("cluster {name} in {region}"))
                .next(cluster_missing(ctx)))
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
            return Ok(fail(format!("version {version} < {min}"))
                .found_expected(version, format!(">= {min}"))
                .next(format!("recreate the local cluster with Kubernetes {min} or newer (the sandbox: kubedojo sandbox down, update kind, or the kube-apiserver binary kwokctl uses, then kubedojo sandbox up)")));
        }
        return Ok(pass(format!("API server reachable, Kubernetes {version} (no EKS API on this target, so no support status)")));
    }
    let cluster = describe(ctx).await?;
    let status = cluster.status.as_ref().map(|s| s.as_str().to_string()).unwrap_or_else(|| "UNKNOWN".into());
    let version = cluster.version.clone().unwrap_or_default();
    let name = ctx.cluster();
    if status != "ACTIVE" {
        let region = region_flag(ctx);
        let next = match status.as_str() {
            "CREATING" | "UPDATING" | "PENDING" => format!("wait for it: aws eks wait cluster-active --name {name}{region}"),
            "DELETING" => format!(
                "it is being deleted: once aws eks describe-cluster --name {name}{region} answers ResourceNotFoundException, create it again with eksctl create cluster -f eks-cluster/cluster.yaml"
            ),
            _ => format!("read why: aws eks describe-cluster --name {name}{region} --query cluster.health"),
        };
        return Ok(fail(format!("status {status}, expected ACTIVE")).found_expected(status, "ACTIVE").next(next));
    }
    if !min.is_empty() && below(&version, &min) {
        let upgrade = upgrade_command(ctx, &version);
        return Ok(fail(format!("version {version} < {min}: {upgrade}"))
            .found_expected(version, format!(">= {min}"))
            .next(format!("{upgrade}, until the cluster runs {min}")));
    }
    let support = super::support::status(ctx, &version).await?;
    Ok(super::support::outcome(ctx, &name, &version, &support))
}

pub async fn multi_az(ctx: &Ctx<'_>) -> Step<Outcome> {
    let client = ctx.kube()?;
    let nodes: Api<Node> = Api::all(client.clone());
    let list = kube_call("list nodes", nodes.list(&ListParams::default())).await?;
    let ready_zones: std::collections::BTreeSet<String> =
        list.items.iter().filter(|n| node_ready(n)).filter_map(|n| n.metadata.labels.as_ref()?.get("topology.kubernetes.io/zone").cloned()).collect();
    let Some(aws) = ctx.backend.aws.as_ref() else {
        if ready_zones.is_empty() {
            return Ok(skip("nodes of this cluster have no topology.kubernetes.io/zone label (kind and kwok nodes have no zone)"));
        }
        return Ok(zones_outcome(ctx, None, &ready_zones));
    };
    let cluster = describe(ctx).await?;
    let subnets: Vec<String> = cluster.resources_vpc_config.and_then(|v| v.subnet_ids).unwrap_or_default();
    if subnets.is_empty() {
        return Ok(fail("the cluster lists no subnets").found_expected("0 subnets", "subnets in 2 or more AZs").next(control_plane_subnets(ctx)));
    }
    let out = timed("ec2:DescribeSubnets", aws.ec2.describe_subnets().set_subnet_ids(Some(subnets.clone())).send()).await?;
    let subnet_zones: std::collections::BTreeSet<String> = match out {
        Ok(o) => o.subnets.unwrap_or_default().into_iter().filter_map(|s| s.availability_zone).collect(),
        Err(e) => return Err(aws_error(&e, "ec2:DescribeSubnets")),
    };
    Ok(zones_outcome(ctx, Some(&subnet_zones), &ready_zones))
}

/// How to give the control plane subnets in more zones.
fn control_plane_subnets(ctx: &Ctx<'_>) -> String {
    format!(
        "give the control plane subnets in 2 or more AZs: eksctl utils update-cluster-vpc-config --cluster {}{} --control-plane-subnet-ids <subnet in AZ a>,<subnet in AZ b> --approve (aws ec2 describe-subnets lists the VPC's subnets and their zones)",
        ctx.cluster(),
        region_flag(ctx)
    )
}

fn zones_outcome(ctx: &Ctx<'_>, subnet_zones: Option<&std::collections::BTreeSet<String>>, node_zones: &std::collections::BTreeSet<String>) -> Outcome {
    let list = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
    if let Some(sz) = subnet_zones
        && sz.len() < 2
    {
        return fail(format!("Subnets cover {} AZ ({}); need ≥2", sz.len(), list(sz)))
            .found_expected(format!("{} AZ", sz.len()), "2 or more AZs")
            .next(control_plane_subnets(ctx));
    }
    match node_zones.len() {
        0 => fail("no Ready node has a zone label yet")
            .found_expected("0 zones", "2 or more zones")
            .next(format!("wait for the node groups' nodes to join and turn Ready: kubectl get nodes -L {NODEGROUP_LABEL},topology.kubernetes.io/zone -w")),
        1 => fail(format!("All Ready nodes in {}: spread node groups over ≥2 AZs", list(node_zones)))
            .found_expected("1 zone", "2 or more zones")
            .next(format!(
                "kubectl get nodes -L {NODEGROUP_LABEL},topology.kubernetes.io/zone shows the groups; give a group pinned to one zone 2 or more (managedNodeGroups[].availabilityZones in eks-cluster/cluster.yaml) and create it anew: eksctl create nodegroup -f eks-cluster/cluster.yaml --include=<group>"
            )),
        n => pass(format!("Ready nodes span {n} zones ({})", list(node_zones))),
    }
}

pub async fn private_endpoint(ctx: &Ctx<'_>) -> Step<Outcome> {
    ctx.aws()?;
    let cluster = describe(ctx).await?;
    let vpc = cluster.resources_vpc_config.unwrap_or_else(|| aws_sdk_eks::types::VpcConfigResponse::builder().build());
    if !vpc.endpoint_private_access {
        return Ok(fail("endpointPrivateAccess=false: nodes and in-VPC clients reach the API over the internet")
            .found_expected("false", "true")
            .next(format!("eksctl utils update-cluster-vpc-config --cluster {}{} --private-access=true --approve", ctx.cluster(), region_flag(ctx))));
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
        None => {
            let (cluster, region) = (ctx.cluster(), region_flag(ctx));
            Ok(fail("Secrets not envelope-encrypted with a customer-managed KMS key")
                .found_expected("no encryptionConfig for secrets", "a KMS key for secrets")
                .next(format!(
                    "create the key as the step shows (aws kms create-key, alias alias/{cluster}-secrets), then (irreversible) eksctl utils enable-secrets-encryption --cluster {cluster}{region} --key-arn \"$(aws kms describe-key{region} --key-id alias/{cluster}-secrets --query KeyMetadata.Arn --output text)\""
                )))
        }
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
