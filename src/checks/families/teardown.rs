//! A lab's teardown, proved: every AWS resource it created (named in the check's parameters,
//! with the lab's values) is looked up read-only, and each one still there is named with the
//! command that deletes it. `kubedojo cleanup` runs the same inventory for every lab.
//!
//! What bills by the hour is said as such; IAM roles and policies, Pod Identity associations
//! and access entries are not billed (IAM is "offered at no additional charge",
//! aws.amazon.com/iam), but linger: a role left behind can still be assumed.

use crate::checks::context::{Ctx, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, error, fail, pass};

use super::common::region_flag;

/// One resource of the lab that still exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Leftover {
    /// What it is and its name: "IAM role kubedojo-lab-report-reader".
    pub what: String,
    /// The command that deletes it (and what it depends on, in order).
    pub delete: String,
    /// Whether it bills while it exists (beyond storage).
    pub bills: bool,
    /// What it bills by the hour, as a price of the course's table (`versions.toml`
    /// `[prices]`: control-plane-standard, nat-gateway, ec2-m6i-large...) and a count, for
    /// `kubedojo cleanup` to price; `None` when it has no hourly charge or no price there.
    pub rate: Option<(String, f64)>,
    /// The resource, where two checks can name it (a node group, whole or its extra nodes):
    /// `kubedojo cleanup` lists it once, with the larger of the hourly charges.
    pub resource: Option<String>,
}

/// The price of an EC2 instance type in the course's table: `m6i.large` is `ec2-m6i-large`.
fn instance_price(instance_type: &str) -> String {
    format!("ec2-{}", instance_type.replace('.', "-"))
}

/// EKS's "not found" (or a bare 404 from an endpoint without the API).
fn not_found<E: aws_sdk_eks::error::ProvideErrorMetadata>(
    e: &aws_sdk_eks::error::SdkError<E, aws_sdk_eks::config::http::HttpResponse>,
    codes: &[&str],
) -> bool {
    aws_code(e).is_some_and(|c| codes.contains(&c)) || (aws_code(e).is_none() && e.raw_response().is_some_and(|r| r.status().as_u16() == 404))
}

/// Every item of a paged AWS list (the SDK's paginator, collected), or the error of the page
/// that failed.
async fn paged<T, E, R>(what: &str, pages: impl std::future::Future<Output = Vec<Result<T, aws_sdk_eks::error::SdkError<E, R>>>>) -> Step<Vec<T>>
where
    E: aws_sdk_eks::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    timed(what, pages).await?.into_iter().collect::<Result<Vec<T>, _>>().map_err(|e| aws_error(&e, what))
}

/// What of the check's parameters still exists, in the order it should be deleted.
pub async fn leftovers(ctx: &Ctx<'_>) -> Step<Vec<Leftover>> {
    Ok(inventory(ctx).await?.0)
}

/// The leftovers, and the KMS aliases whose key is kept while the cluster it encrypts exists
/// (with that cluster), read once for both.
async fn inventory(ctx: &Ctx<'_>) -> Step<(Vec<Leftover>, Vec<(String, String)>)> {
    let aws = ctx.aws()?;
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    let mut out = Vec::new();
    // load balancers first: the controller deletes them while the cluster runs it, and their
    // security groups keep the VPC from being deleted
    // boxed: an SDK call's future is large, and a debug build's poll frame holds each one
    for name in ctx.list("karpenterOf", &[]) {
        out.extend(Box::pin(karpenter_leftovers(ctx, &name, &region)).await?);
    }
    for name in ctx.list("loadBalancersOf", &[]) {
        out.extend(load_balancer_leftovers(ctx, &name, &region).await?);
    }
    // the lab's own clusters and what eksctl made for them (the eks-cluster lab)
    let mut clusters_left = Vec::new();
    for name in ctx.list("clusters", &[]) {
        let left = cluster_leftovers(ctx, &name, &region).await?;
        if !left.is_empty() {
            clusters_left.push(name);
        }
        out.extend(left);
    }
    for name in ctx.list("eksctlTagged", &[]) {
        out.extend(eksctl_leftovers(ctx, &name, &region, clusters_left.contains(&name)).await?);
    }
    // the cluster's own objects first: they go before the roles they name
    let cluster_exists = match timed("eks:DescribeCluster", aws.eks.describe_cluster().name(&cluster).send()).await? {
        Ok(_) => true,
        Err(e) if not_found(&e, &["ResourceNotFoundException"]) => false,
        Err(e) => return Err(aws_error(&e, "eks:DescribeCluster")),
    };
    if cluster_exists {
        for pair in ctx.list("podIdentity", &[]) {
            let Some((ns, sa)) = pair.split_once('/') else { continue };
            if let super::identity::Association::Found(id) = super::identity::association(ctx, ns, sa).await? {
                out.push(Leftover {
                    what: format!("Pod Identity association {id} of {ns}/{sa}"),
                    delete: format!("aws eks delete-pod-identity-association --cluster-name {cluster}{region} --association-id {id}"),
                    bills: false,
                    rate: None,
                    resource: None,
                });
            }
        }
        let entries = ctx.list("accessEntries", &[]);
        if !entries.is_empty() {
            let listed = super::access::entries(ctx).await?;
            for role in &entries {
                for arn in listed.iter().filter(|a| a.contains(":role/") && a.rsplit('/').next() == Some(role.as_str())) {
                    out.push(Leftover {
                        what: format!("access entry of {arn}"),
                        delete: format!("aws eks delete-access-entry --cluster-name {cluster}{region} --principal-arn {arn}"),
                        bills: false,
                        rate: None,
                        resource: None,
                    });
                }
            }
        }
        for group in ctx.list("nodegroups", &[]) {
            if let Some(l) = nodegroup_leftover(ctx, &cluster, &group, &region).await? {
                out.push(l);
            }
        }
        for group in ctx.list("scaledBack", &[]) {
            if let Some(l) = scaled_up(ctx, &cluster, &group, &region).await? {
                out.push(l);
            }
        }
        for addon in ctx.list("addons", &[]) {
            // whatever its status, it is still there
            if !matches!(super::common::addon(ctx, &addon).await?, super::common::Addon::Missing | super::common::Addon::NoApi) {
                out.push(Leftover {
                    what: format!("EKS add-on {addon}"),
                    delete: format!("aws eks delete-addon --cluster-name {cluster}{region} --addon-name {addon}"),
                    bills: false,
                    rate: None,
                    resource: None,
                });
            }
        }
    }
    // eksctl's IAM service accounts: a CloudFormation stack holds the role, so eksctl deletes
    // it (and the ServiceAccount); without the cluster, the stack is deleted directly
    for entry in ctx.list("iamServiceAccounts", &[]) {
        let parsed = entry.split_once(':').and_then(|(id, role)| Some((id.split_once('/')?, role)));
        let Some(((ns, name), role)) = parsed.filter(|((ns, name), role)| ![ns, name, role].iter().any(|s| s.is_empty())) else {
            return Err(error(format!(
                "teardown.clean: the iamServiceAccounts entry {entry:?} is not NAMESPACE/NAME:ROLE, so the checker cannot look it up (fix it in the lab's exercise.toml)"
            )));
        };
        match timed("iam:GetRole", aws.iam.get_role().role_name(role).send()).await? {
            Ok(_) => {}
            Err(e) if aws_code(&e) == Some("NoSuchEntity") => continue,
            Err(e) => return Err(aws_error(&e, "iam:GetRole")),
        }
        let delete = if cluster_exists {
            format!("eksctl delete iamserviceaccount --cluster {cluster}{region} --namespace {ns} --name {name} --wait")
        } else {
            format!("aws cloudformation delete-stack{region} --stack-name eksctl-{cluster}-addon-iamserviceaccount-{ns}-{name}")
        };
        out.push(Leftover { what: format!("IAM role {role} of eksctl's iamserviceaccount {ns}/{name}"), delete, bills: false, rate: None, resource: None });
    }
    out.extend(Box::pin(interruption_leftovers(ctx, &region)).await?);
    for role in ctx.list("roles", &[]) {
        if let Some(l) = role_leftover(ctx, &role).await? {
            out.push(l);
        }
    }
    let policies = ctx.list("policies", &[]);
    if !policies.is_empty() {
        let call = aws.iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).max_items(1000).send();
        let local = timed("iam:ListPolicies", call).await?.map_err(|e| aws_error(&e, "iam:ListPolicies"))?.policies.unwrap_or_default();
        for name in &policies {
            for p in local.iter().filter(|p| p.policy_name.as_deref() == Some(name.as_str())) {
                let arn = p.arn.clone().unwrap_or_default();
                out.push(Leftover {
                    what: format!("IAM policy {name}"),
                    delete: format!(
                        "aws iam delete-policy --policy-arn {arn} (detach it first from what still uses it: aws iam list-entities-for-policy --policy-arn {arn})"
                    ),
                    bills: false,
                    rate: None,
                    resource: None,
                });
            }
        }
    }
    for domain in ctx.list("certificates", &[]) {
        out.extend(certificate_leftovers(ctx, &domain, &region).await?);
    }
    let mut kept = Vec::new();
    for alias in ctx.list("kmsAliases", &[]) {
        match kms_key(ctx, &alias, &region).await? {
            Key::Left(l) => out.push(l),
            Key::Kept { cluster } => kept.push((alias, cluster)),
            Key::Gone => {}
        }
    }
    for bucket in ctx.list("buckets", &[]) {
        match timed("s3:ListBucket (HeadBucket)", aws.s3.head_bucket().bucket(&bucket).send()).await? {
            Ok(_) => out.push(Leftover {
                what: format!("S3 bucket {bucket}"),
                delete: format!("aws s3 rb s3://{bucket} --force (it deletes the objects first)"),
                bills: false,
                rate: None,
                resource: None,
            }),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {}
            // another account's bucket of that name (names are global): not this lab's
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {}
            Err(e) => return Err(aws_error(&e, "s3:ListBucket (HeadBucket)")),
        }
    }
    for group in ctx.list("logGroups", &[]) {
        let call = aws.logs.describe_log_groups().log_group_name_prefix(&group).send();
        let found = timed("logs:DescribeLogGroups", call).await?.map_err(|e| aws_error(&e, "logs:DescribeLogGroups"))?.log_groups.unwrap_or_default();
        if found.iter().any(|g| g.log_group_name.as_deref() == Some(group.as_str())) {
            out.push(Leftover {
                what: format!("CloudWatch log group {group} (its stored events bill by the GB-month)"),
                delete: format!("aws logs delete-log-group{region} --log-group-name {group}"),
                bills: false,
                rate: None,
                resource: None,
            });
        }
    }
    Ok((out, kept))
}

/// The interruption queues and EventBridge rules of the check's parameters that still exist.
async fn interruption_leftovers(ctx: &Ctx<'_>, region: &str) -> Step<Vec<Leftover>> {
    let aws = ctx.aws()?;
    let mut out = Vec::new();
    for rule in ctx.list("eventRules", &[]) {
        match timed("events:DescribeRule", aws.events.describe_rule().name(&rule).send()).await? {
            Ok(_) => out.push(Leftover {
                what: format!("EventBridge rule {rule}"),
                // a rule with targets cannot be deleted; one whose targets are gone already can
                delete: format!(
                    "T=$(aws events list-targets-by-rule{region} --rule {rule} --query 'Targets[].Id' --output text); [ -z \"$T\" ] || aws events remove-targets{region} --rule {rule} --ids $T; aws events delete-rule{region} --name {rule}"
                ),
                bills: false,
                rate: None,
                resource: None,
            }),
            Err(e) if aws_code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(aws_error(&e, "events:DescribeRule")),
        }
    }
    for queue in ctx.list("queues", &[]) {
        match timed("sqs:GetQueueUrl", aws.sqs.get_queue_url().queue_name(&queue).send()).await? {
            Ok(o) => out.push(Leftover {
                what: format!("SQS queue {queue}"),
                delete: format!("aws sqs delete-queue{region} --queue-url {}", o.queue_url.unwrap_or_default()),
                bills: false,
                rate: None,
                resource: None,
            }),
            Err(e) if super::karpenter::no_such_queue(&e) => {}
            Err(e) => return Err(aws_error(&e, "sqs:GetQueueUrl")),
        }
    }
    Ok(out)
}

/// What Karpenter made for cluster `name` and deletes itself while it runs: its instances
/// (tagged `karpenter.sh/nodepool` and `kubernetes.io/cluster/NAME=owned`; they bill), its
/// launch templates (tagged `eks:eks-cluster-name`, named `karpenter.k8s.aws/...`) and the
/// instance profiles it made (path `/karpenter/REGION/NAME/...`: aws/karpenter-provider-aws@v1.14.4
/// pkg/providers/instanceprofile, launchtemplate). Deleting the NodePool drains and terminates
/// its nodes; deleting the EC2NodeClass deletes the templates and the profile.
async fn karpenter_leftovers(ctx: &Ctx<'_>, name: &str, region: &str) -> Step<Vec<Leftover>> {
    let aws = ctx.aws()?;
    let filter = |k: &str, v: &str| aws_sdk_ec2::types::Filter::builder().name(k).values(v).build();
    let instances = paged(
        "ec2:DescribeInstances",
        aws.ec2
            .describe_instances()
            .filters(filter("tag-key", "karpenter.sh/nodepool"))
            .filters(filter(&format!("tag:kubernetes.io/cluster/{name}"), "owned"))
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("instance-state-name")
                    .set_values(Some(vec!["pending".into(), "running".into(), "stopping".into(), "stopped".into()]))
                    .build(),
            )
            .into_paginator()
            .send()
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut out = Vec::new();
    for i in instances.iter().flat_map(|p| p.reservations()).flat_map(|r| r.instances()) {
        let id = i.instance_id().unwrap_or_default();
        let kind = i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default();
        out.push(Leftover {
            what: format!("EC2 instance {id} ({kind}) Karpenter launched for {name}"),
            delete: format!(
                "kubectl delete nodepool --all while Karpenter runs (it drains and terminates its nodes); with Karpenter gone: aws ec2 terminate-instances{region} --instance-ids {id}"
            ),
            bills: true,
            rate: Some((instance_price(&kind), 1.0)),
            resource: Some(format!("instance {id}")),
        });
    }
    let templates = paged(
        "ec2:DescribeLaunchTemplates",
        aws.ec2.describe_launch_templates().filters(filter("tag:eks:eks-cluster-name", name)).into_paginator().send().collect::<Vec<_>>(),
    )
    .await?;
    for t in templates.iter().flat_map(|p| p.launch_templates()).filter(|t| t.launch_template_name().is_some_and(|n| n.starts_with("karpenter.k8s.aws/"))) {
        let id = t.launch_template_id().unwrap_or_default();
        out.push(Leftover {
            what: format!("launch template {} Karpenter made for {name}", t.launch_template_name().unwrap_or_default()),
            delete: format!(
                "kubectl delete ec2nodeclass --all while Karpenter runs; with Karpenter gone: aws ec2 delete-launch-template{region} --launch-template-id {id}"
            ),
            bills: false,
            rate: None,
            resource: None,
        });
    }
    let prefix = format!("/karpenter/{}/{name}/", super::common::region(ctx).unwrap_or_default());
    let profiles = paged("iam:ListInstanceProfiles", aws.iam.list_instance_profiles().path_prefix(&prefix).into_paginator().send().collect::<Vec<_>>()).await?;
    for p in profiles.iter().flat_map(|p| p.instance_profiles()).filter(|p| p.path().starts_with(&prefix)) {
        let profile = p.instance_profile_name();
        let roles: Vec<&str> = p.roles().iter().map(|r| r.role_name()).collect();
        let remove: String =
            roles.iter().map(|r| format!("aws iam remove-role-from-instance-profile --instance-profile-name {profile} --role-name {r} && ")).collect();
        out.push(Leftover {
            what: format!("instance profile {profile} Karpenter made for {name}"),
            delete: format!("kubectl delete ec2nodeclass --all while Karpenter runs; with Karpenter gone: {remove}aws iam delete-instance-profile --instance-profile-name {profile}"),
            bills: false,
            rate: None,
            resource: None,
        });
    }
    Ok(out)
}

/// An EKS cluster of the lab and its managed node groups: each bills (the control plane by the
/// hour, the groups through their EC2 instances and volumes). `eksctl delete cluster` deletes
/// the groups first, then the cluster and the stacks eksctl made for it.
async fn cluster_leftovers(ctx: &Ctx<'_>, name: &str, region: &str) -> Step<Vec<Leftover>> {
    let aws = ctx.aws()?;
    match timed("eks:DescribeCluster", aws.eks.describe_cluster().name(name).send()).await? {
        Ok(_) => {}
        Err(e) if not_found(&e, &["ResourceNotFoundException"]) => return Ok(Vec::new()),
        Err(e) => return Err(aws_error(&e, "eks:DescribeCluster")),
    }
    let groups = timed("eks:ListNodegroups", aws.eks.list_nodegroups().cluster_name(name).send())
        .await?
        .map_err(|e| aws_error(&e, "eks:ListNodegroups"))?
        .nodegroups
        .unwrap_or_default();
    let mut out = Vec::new();
    for g in &groups {
        out.extend(nodegroup_leftover(ctx, name, g, region).await?);
    }
    out.push(Leftover {
        what: format!("EKS cluster {name}"),
        delete: format!("eksctl delete cluster --name {name}{region} --wait (it deletes the node groups, the VPC and the OIDC provider eksctl made, too)"),
        bills: true,
        rate: Some(("control-plane-standard".into(), 1.0)),
        resource: None,
    });
    Ok(out)
}

/// What eksctl made for cluster `name` and tagged `alpha.eksctl.io/cluster-name` (eksctl puts
/// the tag on its CloudFormation stacks, whose tags land on the resources, and on the OIDC
/// provider): NAT gateways and their Elastic IPs (both bill by the hour), the VPC, its IAM roles
/// (named `eksctl-NAME-...`) and the IAM OIDC provider. While the cluster is still there, they
/// go with it (`cluster_left`); without it, each is named with its own delete.
async fn eksctl_leftovers(ctx: &Ctx<'_>, name: &str, region: &str, cluster_left: bool) -> Step<Vec<Leftover>> {
    const TAG: &str = "alpha.eksctl.io/cluster-name";
    let aws = ctx.aws()?;
    let with_cluster = format!("deleted with the cluster: eksctl delete cluster --name {name}{region} --wait");
    let or_with = |own: String| if cluster_left { with_cluster.clone() } else { own };
    let tagged = |tags: &[aws_sdk_ec2::types::Tag]| tags.iter().any(|t| t.key.as_deref() == Some(TAG) && t.value.as_deref() == Some(name));
    let mut out = Vec::new();
    let filter = aws_sdk_ec2::types::Filter::builder().name(format!("tag:{TAG}")).values(name).build();
    let gateways = paged("ec2:DescribeNatGateways", aws.ec2.describe_nat_gateways().filter(filter).into_paginator().items().send().collect()).await?;
    use aws_sdk_ec2::types::NatGatewayState;
    // a gateway that failed to create, or is being or was deleted, does not bill
    for g in
        gateways.iter().filter(|g| tagged(g.tags()) && !matches!(g.state, Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed)))
    {
        let id = g.nat_gateway_id.clone().unwrap_or_default();
        out.push(Leftover {
            what: format!("NAT gateway {id} of {name}"),
            delete: or_with(format!("aws ec2 delete-nat-gateway{region} --nat-gateway-id {id}")),
            bills: true,
            rate: Some(("nat-gateway".into(), 1.0)),
            resource: None,
        });
    }
    let addresses = timed("ec2:DescribeAddresses", aws.ec2.describe_addresses().send())
        .await?
        .map_err(|e| aws_error(&e, "ec2:DescribeAddresses"))?
        .addresses
        .unwrap_or_default();
    for a in addresses.iter().filter(|a| tagged(a.tags())) {
        let (id, ip) = (a.allocation_id.clone().unwrap_or_default(), a.public_ip.clone().unwrap_or_default());
        out.push(Leftover {
            what: format!("Elastic IP {ip} ({id}) of {name}"),
            delete: or_with(format!("aws ec2 release-address{region} --allocation-id {id} (once the NAT gateway that holds it is deleted)")),
            bills: true,
            rate: Some(("public-ipv4".into(), 1.0)),
            resource: None,
        });
    }
    let filter = aws_sdk_ec2::types::Filter::builder().name(format!("tag:{TAG}")).values(name).build();
    let vpcs = timed("ec2:DescribeVpcs", aws.ec2.describe_vpcs().filters(filter).send())
        .await?
        .map_err(|e| aws_error(&e, "ec2:DescribeVpcs"))?
        .vpcs
        .unwrap_or_default();
    for v in &vpcs {
        let id = v.vpc_id.clone().unwrap_or_default();
        let stack = v.tags().iter().find(|t| t.key.as_deref() == Some("aws:cloudformation:stack-name")).and_then(|t| t.value.clone());
        let own = match stack {
            Some(stack) => format!("aws cloudformation delete-stack{region} --stack-name {stack} (the stack eksctl made it in)"),
            None => format!(
                "aws ec2 delete-vpc{region} --vpc-id {id} (its subnets, route tables and internet gateway first: aws ec2 describe-subnets{region} --filters Name=vpc-id,Values={id})"
            ),
        };
        out.push(Leftover {
            what: format!("VPC {id} of {name} (no hourly charge; it holds the subnets)"),
            delete: or_with(own),
            bills: false,
            rate: None,
            resource: None,
        });
    }
    // eksctl names its roles eksctl-NAME-cluster-ServiceRole-..., eksctl-NAME-nodegroup-...
    let prefix = format!("eksctl-{name}-");
    let roles = paged("iam:ListRoles", aws.iam.list_roles().into_paginator().items().send().collect()).await?;
    for r in roles.iter().filter(|r| r.role_name.starts_with(&prefix) && !r.role_name.contains("-addon-iamserviceaccount-")) {
        let tags =
            timed("iam:ListRoleTags", aws.iam.list_role_tags().role_name(&r.role_name).send()).await?.map_err(|e| aws_error(&e, "iam:ListRoleTags"))?.tags;
        if tags.iter().any(|t| t.key == TAG && t.value == name)
            && let Some(mut l) = role_leftover(ctx, &r.role_name).await?
        {
            l.what = format!("IAM role {} that eksctl made for {name}", r.role_name);
            if cluster_left {
                l.delete = with_cluster.clone();
            }
            out.push(l);
        }
    }
    let providers = timed("iam:ListOpenIDConnectProviders", aws.iam.list_open_id_connect_providers().send())
        .await?
        .map_err(|e| aws_error(&e, "iam:ListOpenIDConnectProviders"))?
        .open_id_connect_provider_list
        .unwrap_or_default();
    for arn in providers.iter().filter_map(|p| p.arn.as_deref()).filter(|a| a.contains(":oidc-provider/oidc.eks.")) {
        let got = timed("iam:GetOpenIDConnectProvider", aws.iam.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send())
            .await?
            .map_err(|e| aws_error(&e, "iam:GetOpenIDConnectProvider"))?;
        if got.tags().iter().any(|t| t.key == TAG && t.value == name) {
            out.push(Leftover {
                what: format!("IAM OIDC provider {arn} of {name}"),
                delete: or_with(format!("aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {arn}")),
                bills: false,
                rate: None,
                resource: None,
            });
        }
    }
    Ok(out)
}

/// A managed node group the lab made: its nodes bill while it has any (a group scaled to zero
/// does not bill, but lingers).
async fn nodegroup_leftover(ctx: &Ctx<'_>, cluster: &str, group: &str, region: &str) -> Step<Option<Leftover>> {
    let Some(ng) = super::nodegroups::describe_in(ctx, cluster, group).await? else { return Ok(None) };
    let desired = ng.scaling_config.and_then(|s| s.desired_size).unwrap_or(0);
    let nodes =
        if desired == 0 { "no nodes, so no hourly charge".to_string() } else { format!("{desired} node{}, which bill", if desired == 1 { "" } else { "s" }) };
    let rate = ng.instance_types.and_then(|t| t.into_iter().next()).filter(|_| desired > 0).map(|t| (instance_price(&t), f64::from(desired)));
    Ok(Some(Leftover {
        what: format!("managed node group {group} of {cluster} ({nodes})"),
        delete: format!("eksctl delete nodegroup --cluster {cluster} --name {group}{region} --wait"),
        bills: desired > 0,
        rate,
        resource: Some(format!("nodegroup {cluster}/{group}")),
    }))
}

/// What the AWS Load Balancer Controller made for cluster `name` and tagged
/// `elbv2.k8s.aws/cluster` (kubernetes-sigs/aws-load-balancer-controller
/// pkg/deploy/tracking/provider.go): load balancers (each bills by the hour), their target
/// groups and the security groups it manages (which keep the VPC from being deleted). Deleting
/// the Ingress (tag `ingress.k8s.aws/stack`: NAMESPACE/NAME) makes the controller delete them.
async fn load_balancer_leftovers(ctx: &Ctx<'_>, name: &str, region: &str) -> Step<Vec<Leftover>> {
    const TAG: &str = "elbv2.k8s.aws/cluster";
    let aws = ctx.aws()?;
    let lbs = paged("elasticloadbalancing:DescribeLoadBalancers", aws.elbv2.describe_load_balancers().into_paginator().items().send().collect()).await?;
    let groups = paged("elasticloadbalancing:DescribeTargetGroups", aws.elbv2.describe_target_groups().into_paginator().items().send().collect()).await?;
    let arns: Vec<String> = lbs.iter().filter_map(|l| l.load_balancer_arn.clone()).chain(groups.iter().filter_map(|g| g.target_group_arn.clone())).collect();
    // DescribeTags takes at most 20 ARNs a call
    let mut tags: std::collections::HashMap<String, Vec<(String, String)>> = std::collections::HashMap::new();
    for chunk in arns.chunks(20) {
        let out = timed("elasticloadbalancing:DescribeTags", aws.elbv2.describe_tags().set_resource_arns(Some(chunk.to_vec())).send())
            .await?
            .map_err(|e| aws_error(&e, "elasticloadbalancing:DescribeTags"))?;
        for d in out.tag_descriptions.unwrap_or_default() {
            let pairs = d.tags.unwrap_or_default().into_iter().map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default())).collect();
            tags.insert(d.resource_arn.unwrap_or_default(), pairs);
        }
    }
    let tag = |arn: &str, key: &str| tags.get(arn).and_then(|t| t.iter().find(|(k, _)| k == key)).map(|(_, v)| v.clone());
    let ours = |arn: &str| tag(arn, TAG).as_deref() == Some(name);
    let mut out = Vec::new();
    for lb in lbs.iter().filter(|l| l.load_balancer_arn.as_deref().is_some_and(ours)) {
        let arn = lb.load_balancer_arn.clone().unwrap_or_default();
        let lb_name = lb.load_balancer_name.clone().unwrap_or_default();
        let own = format!("aws elbv2 delete-load-balancer{region} --load-balancer-arn {arn}");
        let delete = match tag(&arn, "ingress.k8s.aws/stack").and_then(|s| s.split_once('/').map(|(n, i)| (n.to_string(), i.to_string()))) {
            Some((ns, ingress)) => format!(
                "kubectl -n {ns} delete ingress {ingress} (the controller deletes the load balancer, its target groups and security groups); without the controller: {own}"
            ),
            None => own,
        };
        out.push(Leftover { what: format!("load balancer {lb_name} of {name}"), delete, bills: true, rate: Some(("alb".into(), 1.0)), resource: None });
    }
    for g in groups.iter().filter(|g| g.target_group_arn.as_deref().is_some_and(ours)) {
        let arn = g.target_group_arn.clone().unwrap_or_default();
        out.push(Leftover {
            what: format!("target group {} of {name} (no hourly charge)", g.target_group_name.clone().unwrap_or_default()),
            delete: format!("aws elbv2 delete-target-group{region} --target-group-arn {arn} (after its load balancer)"),
            bills: false,
            rate: None,
            resource: None,
        });
    }
    let filter = aws_sdk_ec2::types::Filter::builder().name(format!("tag:{TAG}")).values(name).build();
    let sgs = timed("ec2:DescribeSecurityGroups", aws.ec2.describe_security_groups().filters(filter).send())
        .await?
        .map_err(|e| aws_error(&e, "ec2:DescribeSecurityGroups"))?
        .security_groups
        .unwrap_or_default();
    for sg in sgs {
        let id = sg.group_id.unwrap_or_default();
        out.push(Leftover {
            what: format!("security group {id} ({}) of {name} (no charge; it keeps the VPC from being deleted)", sg.group_name.unwrap_or_default()),
            delete: format!("aws ec2 delete-security-group{region} --group-id {id} (after the load balancer that uses it)"),
            bills: false,
            rate: None,
            resource: None,
        });
    }
    Ok(out)
}

/// Certificates in ACM for `domain` that the lab imported or requested: no charge (imported and
/// public ACM certificates are free), but they linger.
async fn certificate_leftovers(ctx: &Ctx<'_>, domain: &str, region: &str) -> Step<Vec<Leftover>> {
    let aws = ctx.aws()?;
    let list = paged("acm:ListCertificates", aws.acm.list_certificates().into_paginator().items().send().collect()).await?;
    Ok(list
        .into_iter()
        .filter(|c| c.domain_name.as_deref() == Some(domain))
        .filter_map(|c| c.certificate_arn)
        .map(|arn| Leftover {
            what: format!("ACM certificate {arn} for {domain} (no charge)"),
            delete: format!("aws acm delete-certificate{region} --certificate-arn {arn} (once no load balancer uses it)"),
            bills: false,
            rate: None,
            resource: None,
        })
        .collect())
}

/// A customer managed KMS key, found by its alias.
enum Key {
    /// No such alias, or its key is already scheduled for deletion (or deleted).
    Gone,
    /// It encrypts the Secrets of the lab's cluster, which is still there: it must stay until
    /// the cluster is deleted (without it the cluster cannot read its Secrets).
    Kept {
        cluster: String,
    },
    Left(Leftover),
}

async fn kms_key(ctx: &Ctx<'_>, alias: &str, region: &str) -> Step<Key> {
    let aws = ctx.aws()?;
    // DescribeKey takes the alias itself (ListAliases would be paged, AWS's own aliases first)
    let meta = match timed("kms:DescribeKey", aws.kms.describe_key().key_id(alias).send()).await? {
        Ok(out) => out.key_metadata,
        Err(e) if aws_code(&e) == Some("NotFoundException") => return Ok(Key::Gone),
        Err(e) => return Err(aws_error(&e, "kms:DescribeKey")),
    };
    let Some(meta) = meta else { return Ok(Key::Gone) };
    use aws_sdk_kms::types::KeyState;
    if matches!(meta.key_state, Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
        return Ok(Key::Gone);
    }
    let (id, arn) = (meta.key_id, meta.arn.unwrap_or_default());
    // the ARN of the alias, which EKS accepts as the key's name too
    let alias_arn = arn.split_once(":key/").map(|(head, _)| format!("{head}:{alias}")).unwrap_or_default();
    let cluster = ctx.cluster();
    let encryption = match timed("eks:DescribeCluster", aws.eks.describe_cluster().name(&cluster).send()).await? {
        Ok(out) => out.cluster.and_then(|c| c.encryption_config).unwrap_or_default(),
        Err(e) if not_found(&e, &["ResourceNotFoundException"]) => Vec::new(),
        // never say to delete a key while it cannot be told whether the cluster needs it
        Err(e) => return Err(aws_error(&e, "eks:DescribeCluster")),
    };
    if encryption.iter().filter_map(|e| e.provider.as_ref()?.key_arn.as_deref()).any(|k| k == arn || k == alias_arn || k == id) {
        return Ok(Key::Kept { cluster });
    }
    Ok(Key::Left(Leftover {
        what: format!("KMS key {alias} ({id}; $1 a month while it is not scheduled for deletion)"),
        delete: format!("aws kms schedule-key-deletion{region} --key-id {id} --pending-window-in-days 7 (its alias goes with it)"),
        bills: true,
        rate: Some(("kms-key".into(), 1.0)),
        resource: None,
    }))
}

/// A node group an autoscaler grew, left above its minimum: its Auto Scaling group's desired
/// capacity (what Cluster Autoscaler sets) against the group's `minSize`. The extra nodes bill
/// until the group is back at its minimum.
async fn scaled_up(ctx: &Ctx<'_>, cluster: &str, group: &str, region: &str) -> Step<Option<Leftover>> {
    let Some(ng) = super::nodegroups::describe_in(ctx, cluster, group).await? else { return Ok(None) };
    let min = ng.scaling_config.as_ref().and_then(|s| s.min_size).unwrap_or(0);
    let instance = ng.instance_types.clone().and_then(|t| t.into_iter().next());
    let Some(first) = super::nodegroups::asgs(ctx, &ng).await?.into_iter().next() else { return Ok(None) };
    let (asg, desired) = (first.auto_scaling_group_name.unwrap_or_default(), first.desired_capacity.unwrap_or(0));
    Ok((desired > min).then(|| Leftover {
        what: format!(
            "{} extra node{} in node group {group} (its Auto Scaling group {asg} wants {desired}, the group's minSize is {min})",
            desired - min,
            if desired - min == 1 { "" } else { "s" }
        ),
        delete: format!("aws autoscaling set-desired-capacity{region} --auto-scaling-group-name {asg} --desired-capacity {min}"),
        bills: true,
        rate: instance.map(|t| (instance_price(&t), f64::from(desired - min))),
        resource: Some(format!("nodegroup {cluster}/{group}")),
    }))
}

/// What the lab made inside the cluster that is still there: each of `objects` (`Kind NAME`
/// for a cluster-wide object, `Kind NAMESPACE/NAME` for a namespaced one), looked up by the
/// kind the API server serves (found by discovery: a kind whose CRD is gone has no objects).
pub async fn cluster_clean(ctx: &Ctx<'_>) -> Step<Outcome> {
    use kube::api::{Api, DynamicObject};
    let client = ctx.kube()?.clone();
    let objects = ctx.list("objects", &[]);
    let discovery = crate::checks::context::kube_call("discover the API server's kinds", kube::Discovery::new(client.clone()).run()).await?;
    let mut left = Vec::new();
    for entry in &objects {
        let Some((kind, id)) = entry.split_once(' ').filter(|(k, id)| !k.is_empty() && !id.trim().is_empty()) else {
            return Err(error(format!(
                "teardown.cluster-clean: the objects entry {entry:?} is not `Kind NAME` or `Kind NAMESPACE/NAME`, so the checker cannot look it up (fix it in the lab's exercise.toml)"
            )));
        };
        let (ns, name) = match id.trim().split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, id.trim()),
        };
        let found = discovery.groups().flat_map(|g| g.recommended_resources()).find(|(ar, _)| ar.kind.eq_ignore_ascii_case(kind));
        let Some((ar, caps)) = found else { continue };
        let api: Api<DynamicObject> = match (caps.scope, ns) {
            (kube::discovery::Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
            _ => Api::all_with(client.clone(), &ar),
        };
        let what = format!("get {} {}", ar.kind, id.trim());
        if crate::checks::context::kube_call(&what, api.get_opt(name)).await?.is_some() {
            let resource = ar.kind.to_lowercase();
            left.push((
                format!("{} {}", ar.kind, id.trim()),
                match ns {
                    Some(ns) => format!("kubectl -n {ns} delete {resource} {name}"),
                    None => format!("kubectl delete {resource} {name}"),
                },
            ));
        }
    }
    if left.is_empty() {
        return Ok(pass(format!("nothing the lab made is left in the cluster: none of the {} objects it makes exists", objects.len())));
    }
    let what: Vec<&str> = left.iter().map(|(w, _)| w.as_str()).collect();
    Ok(fail(format!("{} of the lab's objects remain in the cluster: {}", left.len(), what.join(", ")))
        .found_expected(what.join(", "), "none of them")
        .next(left.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>().join("; ")))
}

/// A role of the lab, with what must go before it (attached and inline policies).
async fn role_leftover(ctx: &Ctx<'_>, role: &str) -> Step<Option<Leftover>> {
    let aws = ctx.aws()?;
    match timed("iam:GetRole", aws.iam.get_role().role_name(role).send()).await? {
        Ok(_) => {}
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => return Ok(None),
        Err(e) => return Err(aws_error(&e, "iam:GetRole")),
    }
    let attached = timed("iam:ListAttachedRolePolicies", aws.iam.list_attached_role_policies().role_name(role).send())
        .await?
        .map_err(|e| aws_error(&e, "iam:ListAttachedRolePolicies"))?
        .attached_policies
        .unwrap_or_default();
    let inline = timed("iam:ListRolePolicies", aws.iam.list_role_policies().role_name(role).send())
        .await?
        .map_err(|e| aws_error(&e, "iam:ListRolePolicies"))?
        .policy_names;
    let mut steps: Vec<String> = attached
        .iter()
        .filter_map(|p| p.policy_arn.as_ref())
        .map(|arn| format!("aws iam detach-role-policy --role-name {role} --policy-arn {arn}"))
        .chain(inline.iter().map(|p| format!("aws iam delete-role-policy --role-name {role} --policy-name {p}")))
        .collect();
    steps.push(format!("aws iam delete-role --role-name {role}"));
    Ok(Some(Leftover { what: format!("IAM role {role}"), delete: steps.join(" && "), bills: false, rate: None, resource: None }))
}

pub async fn clean(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (left, kept_keys) = inventory(ctx).await?;
    if left.is_empty() {
        let tagged = ctx.list("eksctlTagged", &[]);
        let also = if tagged.is_empty() { String::new() } else { format!(", nor anything eksctl tagged for {}", tagged.join(", ")) };
        let kept: String = kept_keys
            .iter()
            .map(|(alias, cluster)| format!(
                "; the KMS key {alias} stays while it encrypts the Secrets of cluster {cluster} (without it the cluster cannot read its Secrets): schedule its deletion after the cluster's, as the eks-cluster lab's teardown does"
            ))
            .collect();
        let looked: usize = [
            "clusters",
            "loadBalancersOf",
            "certificates",
            "nodegroups",
            "scaledBack",
            "kmsAliases",
            "roles",
            "policies",
            "buckets",
            "podIdentity",
            "accessEntries",
            "addons",
            "iamServiceAccounts",
            "logGroups",
            "karpenterOf",
            "queues",
            "eventRules",
        ]
        .iter()
        .map(|p| ctx.list(p, &[]).len())
        .sum();
        return Ok(pass(format!("nothing the lab created is left: none of the {looked} resources it makes exists{also}{kept}")));
    }
    let billing = left.iter().filter(|l| l.bills).count();
    let what: Vec<&str> = left.iter().map(|l| l.what.as_str()).collect();
    let head = match billing {
        0 => String::new(),
        1 => "1 of them bills while it exists; ".to_string(),
        n => format!("{n} of them bill while they exist; "),
    };
    // the eks-cluster lab's cluster is the one thing later labs need: its teardown is the last step of the course
    let later = if ctx.list("clusters", &[]).is_empty() { "" } else { "later labs run on the cluster: delete it when you finish the course" };
    let note = format!("{head}{later}");
    let note = note.trim_end_matches("; ");
    let note = if note.is_empty() { String::new() } else { format!(" ({note})") };
    Ok(fail(format!("{} of the lab's resources remain{note}: {}", left.len(), what.join(", ")))
        .found_expected(what.join(", "), "nothing left")
        .next(left.iter().map(|l| l.delete.clone()).collect::<Vec<_>>().join("; ")))
}
