//! `eksctl create cluster -f`, `delete cluster`, `get cluster`, `utils update-cluster-vpc-config`
//! and `utils enable-secrets-encryption`, with the calls eksctl's CloudFormation stack and its
//! tasks make.
//!
//! Sources (eksctl-io/eksctl): pkg/ctl/create/cluster.go (the log lines, `--dry-run` printing
//! the expanded config), pkg/cfn/builder/vpc_ipv4.go (a public and a private subnet per zone,
//! tagged `kubernetes.io/role/elb` / `kubernetes.io/role/internal-elb`), pkg/cfn/builder/cluster.go
//! (the cluster's logging, endpoint access, encryption), pkg/apis/eksctl.io/v1alpha5/types.go
//! (the tags `alpha.eksctl.io/cluster-name`, `eksctl.cluster.k8s.io/v1alpha1/cluster-name`,
//! `alpha.eksctl.io/eksctl-version`), pkg/ctl/utils/update_cluster_vpc_config.go and
//! enable_secrets_encryption.go (it has `--approve` but never plans: doEnableSecretsEncryption
//! reads no `cmd.Plan`; Secrets rewritten after).

use std::collections::BTreeMap;

use aws_sdk_eks::types::{
    AuthenticationMode, CreateAccessConfigRequest, EncryptionConfig, LogSetup, LogType, Logging, Provider, SupportType, UpgradePolicyRequest, VpcConfigRequest,
};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use super::config::{ClusterConfig, DEFAULT_CIDR};
use super::{Ctx, Target, aws_err, info, plan_warning, success};

/// `--dry-run`: the config with eksctl's defaults filled in, as YAML.
pub fn dry_run(c: &ClusterConfig) -> Result<String, String> {
    let mut c = c.clone();
    c.metadata.version = c.version().to_string();
    c.availability_zones = c.zones();
    c.vpc.cidr.get_or_insert_with(|| DEFAULT_CIDR.to_string());
    for ng in &mut c.managed_node_groups {
        let (min, desired, max) = super::config::sizes(ng)?;
        (ng.min_size, ng.desired_capacity, ng.max_size) = (Some(min), Some(desired), Some(max));
        if ng.instance_types.is_empty() {
            ng.instance_type.get_or_insert_with(|| super::config::DEFAULT_NODE_TYPE.to_string());
        }
        ng.volume_size.get_or_insert(super::config::DEFAULT_VOLUME_SIZE);
        ng.volume_type.get_or_insert_with(|| "gp3".to_string());
        ng.disable_imdsv1.get_or_insert(true);
        ng.disable_pod_imds.get_or_insert(false);
        ng.private_networking.get_or_insert(false);
    }
    serde_saphyr::to_string(&c).map_err(|e| e.to_string())
}

fn subnet_tags(name: &str, public: bool, zone: &str, tags: &BTreeMap<String, String>) -> Vec<aws_sdk_ec2::types::Tag> {
    let kind = if public { "Public" } else { "Private" };
    let role = if public { "kubernetes.io/role/elb" } else { "kubernetes.io/role/internal-elb" };
    let mut all = tags.clone();
    all.insert(role.into(), "1".into());
    all.insert("Name".into(), format!("eksctl-{name}-cluster/Subnet{kind}{}", zone.replace('-', "").to_uppercase()));
    all.into_iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect()
}

/// Split a /16 (or wider) VPC block into /19s as eksctl does for up to 8 subnets: the public
/// subnets first, then the private ones.
fn subnet_blocks(cidr: &str, count: usize) -> Result<Vec<String>, String> {
    let (ip, bits) = cidr.split_once('/').ok_or(format!("vpc.cidr {cidr:?} is not a CIDR block"))?;
    let bits: u32 = bits.parse().map_err(|_| format!("vpc.cidr {cidr:?} is not a CIDR block"))?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| format!("vpc.cidr {cidr:?} is not a CIDR block"))?;
    if bits > 16 || count > 8 {
        return Err(format!("vpc.cidr {cidr:?}: the sandbox's eksctl splits a /16 (or wider) block into /19 subnets, at most 8"));
    }
    let base = u32::from(ip) & (u32::MAX << (32 - bits));
    Ok((0..count as u32).map(|i| format!("{}/19", std::net::Ipv4Addr::from(base + (i << 13)))).collect())
}

pub async fn create(ctx: &Ctx, c: &ClusterConfig) -> Result<(), String> {
    let (aws, name) = (&ctx.aws, c.metadata.name.as_str());
    let meta = format!("EKS cluster {name:?} in {:?} region", c.metadata.region);
    if aws.eks.describe_cluster().name(name).send().await.is_ok() {
        return Err(format!(
            "creating CloudFormation stack \"eksctl-{name}-cluster\": the cluster {name:?} already exists (`eksctl delete cluster --name {name}` first)"
        ));
    }
    let zones = c.zones();
    info(&format!("setting availability zones to [{}]", zones.join(" "))); // Go's %v of a slice
    info(&format!("using Kubernetes version {}", c.version()));
    info(&format!("creating {meta}, with {} managed nodegroup(s)", c.managed_node_groups.len()));
    let tags = super::eksctl_tags(c);
    let cidr = c.vpc.cidr.clone().unwrap_or_else(|| DEFAULT_CIDR.to_string());
    let ec2_tags = |extra: &[(&str, String)]| {
        let mut t = tags.clone();
        t.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        t.into_iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect::<Vec<_>>()
    };
    let vpc = aws
        .ec2
        .create_vpc()
        .cidr_block(&cidr)
        .send()
        .await
        .map_err(|e| aws_err("ec2:CreateVpc", e))?
        .vpc
        .and_then(|v| v.vpc_id)
        .ok_or("ec2:CreateVpc: no VPC id")?;
    aws.ec2
        .create_tags()
        .resources(&vpc)
        .set_tags(Some(ec2_tags(&[("Name", format!("eksctl-{name}-cluster/VPC"))])))
        .send()
        .await
        .map_err(|e| aws_err("ec2:CreateTags", e))?;
    let blocks = subnet_blocks(&cidr, zones.len() * 2)?;
    let mut subnets = Vec::new();
    for (i, public) in [(0, true), (zones.len(), false)] {
        for (j, zone) in zones.iter().enumerate() {
            let out = aws
                .ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(&blocks[i + j])
                .availability_zone(zone)
                .send()
                .await
                .map_err(|e| aws_err("ec2:CreateSubnet", e))?;
            let id = out.subnet.and_then(|s| s.subnet_id).ok_or("ec2:CreateSubnet: no subnet id")?;
            aws.ec2
                .create_tags()
                .resources(&id)
                .set_tags(Some(subnet_tags(name, public, zone, &tags)))
                .send()
                .await
                .map_err(|e| aws_err("ec2:CreateTags", e))?;
            subnets.push(id);
        }
    }
    let nat = c.vpc.nat.as_ref().and_then(|n| n.gateway.clone()).unwrap_or_else(|| "Single".into());
    nat_gateways(ctx, name, &nat, &zones, &subnets[..zones.len()], &tags).await?;
    let role = super::iam::role(
        ctx,
        &super::iam::generated_name(&format!("eksctl-{name}-cluster-ServiceRole")),
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
        &tags,
    )
    .await?;
    for policy in ["AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"] {
        super::iam::attach(ctx, &role.0, &format!("arn:aws:iam::aws:policy/{policy}")).await?;
    }
    let endpoints = c.vpc.cluster_endpoints.clone().unwrap_or_default();
    let mut req = aws
        .eks
        .create_cluster()
        .name(name)
        .version(c.version())
        .role_arn(&role.1)
        .resources_vpc_config(
            VpcConfigRequest::builder()
                .set_subnet_ids(Some(subnets.clone()))
                .endpoint_public_access(endpoints.public_access.unwrap_or(true))
                .endpoint_private_access(endpoints.private_access.unwrap_or(false))
                .set_public_access_cidrs((!c.vpc.public_access_cidrs.is_empty()).then(|| c.vpc.public_access_cidrs.clone()))
                .build(),
        )
        .set_tags(Some(tags.clone().into_iter().collect()))
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::from(c.access_config.mode()))
                .set_bootstrap_cluster_creator_admin_permissions(c.access_config.bootstrap_cluster_creator_admin_permissions)
                .build(),
        );
    if let Some(types) = c.cloud_watch.as_ref().and_then(|w| w.cluster_logging.as_ref()).map(|l| &l.enable_types).filter(|t| !t.is_empty()) {
        let all = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
        let types: Vec<LogType> = if types.iter().any(|t| t == "*" || t == "all") {
            all.map(LogType::from).to_vec()
        } else {
            types.iter().map(|t| LogType::from(t.as_str())).collect()
        };
        req = req.logging(Logging::builder().cluster_logging(LogSetup::builder().set_types(Some(types)).enabled(true).build()).build());
    }
    if let Some(support) = c.upgrade_policy.as_ref().and_then(|u| u.support_type.as_deref()) {
        req = req.upgrade_policy(UpgradePolicyRequest::builder().support_type(SupportType::from(support)).build());
    }
    if let Some(se) = &c.secrets_encryption {
        req = req.encryption_config(EncryptionConfig::builder().resources("secrets").provider(Provider::builder().key_arn(&se.key_arn).build()).build());
    }
    req.send().await.map_err(|e| aws_err("eks:CreateCluster", e))?;
    info(&format!("created the VPC {vpc} ({cidr}), {} public and {} private subnets over {}", zones.len(), zones.len(), zones.join(", ")));
    if let Some(days) = c.cloud_watch.as_ref().and_then(|w| w.cluster_logging.as_ref()).and_then(|l| l.log_retention_in_days) {
        let group = format!("/aws/eks/{name}/cluster");
        let _ = aws.logs.create_log_group().log_group_name(&group).send().await;
        aws.logs.put_retention_policy().log_group_name(&group).retention_in_days(days).send().await.map_err(|e| aws_err("logs:PutRetentionPolicy", e))?;
        info(&format!("set log retention to {days} days for CloudWatch logging"));
    }
    default_addons(ctx).await?;
    for addon in &c.addons {
        super::iam::create_addon(
            ctx,
            name,
            &addon.name,
            addon.version.as_deref().filter(|v| *v != "latest"),
            addon.service_account_role_arn.as_deref(),
            addon.configuration_values.as_deref(),
            false,
        )
        .await?;
    }
    if c.iam.with_oidc == Some(true) {
        super::iam::associate_oidc(ctx, name, true).await?;
    }
    if !c.managed_node_groups.is_empty() {
        super::nodegroup::create_all(ctx, c, &c.managed_node_groups.iter().collect::<Vec<_>>()).await?;
        success(&format!("created {} managed nodegroup(s) in cluster {name:?}", c.managed_node_groups.len()));
    }
    success(&format!("all EKS cluster resources for {name:?} have been created"));
    keep_kubeconfig(ctx);
    success(&format!("{meta} is ready"));
    Ok(())
}

/// The NAT gateways of eksctl's VPC, each with an Elastic IP (pkg/cfn/builder/vpc_ipv4.go):
/// `Single` one in the first zone's public subnet, `HighlyAvailable` one per zone, `Disable`
/// none. Named as eksctl's stack names them (`${AWS::StackName}/NATIP`, `.../NATGateway`; per
/// zone `NATIPEUWEST1A`), with the stack's tags.
async fn nat_gateways(ctx: &Ctx, name: &str, mode: &str, zones: &[String], public: &[String], tags: &BTreeMap<String, String>) -> Result<(), String> {
    use aws_sdk_ec2::types::{DomainType, ResourceType, TagSpecification};
    let suffixes: Vec<(String, &String)> = match mode {
        "Single" => vec![(String::new(), &public[0])],
        "HighlyAvailable" => zones.iter().zip(public).map(|(z, s)| (z.replace('-', "").to_uppercase(), s)).collect(),
        _ => return Ok(()),
    };
    let spec = |kind: ResourceType, logical: String| {
        let mut all = tags.clone();
        all.insert("Name".into(), format!("eksctl-{name}-cluster/{logical}"));
        TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(all.into_iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()).collect()))
            .build()
    };
    for (zone, subnet) in suffixes {
        let ip = ctx
            .aws
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(spec(ResourceType::ElasticIp, format!("NATIP{zone}")))
            .send()
            .await
            .map_err(|e| aws_err("ec2:AllocateAddress", e))?;
        ctx.aws
            .ec2
            .create_nat_gateway()
            .subnet_id(subnet)
            .set_allocation_id(ip.allocation_id)
            .tag_specifications(spec(ResourceType::Natgateway, format!("NATGateway{zone}")))
            .send()
            .await
            .map_err(|e| aws_err("ec2:CreateNatGateway", e))?;
    }
    Ok(())
}

/// `delete cluster`'s VPC stack: its NAT gateways first, then the Elastic IPs they held.
async fn delete_nat_gateways(ctx: &Ctx, name: &str) -> Result<(), String> {
    let ours =
        |tags: &[aws_sdk_ec2::types::Tag]| tags.iter().any(|t| t.key.as_deref() == Some("alpha.eksctl.io/cluster-name") && t.value.as_deref() == Some(name));
    let gateways = ctx.aws.ec2.describe_nat_gateways().send().await.map_err(|e| aws_err("ec2:DescribeNatGateways", e))?.nat_gateways.unwrap_or_default();
    use aws_sdk_ec2::types::NatGatewayState;
    let live = |g: &&aws_sdk_ec2::types::NatGateway| !matches!(g.state, Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed));
    for g in gateways.iter().filter(|g| ours(g.tags())).filter(live) {
        ctx.aws.ec2.delete_nat_gateway().set_nat_gateway_id(g.nat_gateway_id.clone()).send().await.map_err(|e| aws_err("ec2:DeleteNatGateway", e))?;
    }
    let addresses = ctx.aws.ec2.describe_addresses().send().await.map_err(|e| aws_err("ec2:DescribeAddresses", e))?.addresses.unwrap_or_default();
    for a in addresses.iter().filter(|a| ours(a.tags())) {
        ctx.aws.ec2.release_address().set_allocation_id(a.allocation_id.clone()).send().await.map_err(|e| aws_err("ec2:ReleaseAddress", e))?;
    }
    Ok(())
}

/// eksctl writes a context for the cluster's endpoint into the kubeconfig and makes it current;
/// the sandbox's endpoint is the emulator's and leads nowhere, so the sandbox's context stays.
fn keep_kubeconfig(ctx: &Ctx) {
    info(&format!(
        "kubeconfig not changed: its current context {:?} stays the sandbox's cluster, where kubectl reaches the nodes above (eksctl would add and select a context for the EKS endpoint, which leads nowhere here)",
        ctx.context.as_deref().unwrap_or("(none)")
    ));
}

/// What EKS installs into kube-system of a new cluster (the vpc-cni, kube-proxy and coredns
/// add-ons' workloads) with the add-ons' defaults where the checks read them: the VPC CNI
/// without prefix delegation and with its network policy agent off. Images: the add-ons'
/// published images in the cluster's region.
async fn default_addons(ctx: &Ctx) -> Result<(), String> {
    let r = &ctx.region;
    let ecr = format!("602401143452.dkr.ecr.{r}.amazonaws.com");
    let ds = |name: &str, containers: Value| {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": "kube-system", "labels": {"k8s-app": name}},
            "spec": {"selector": {"matchLabels": {"k8s-app": name}}, "template": {"metadata": {"labels": {"k8s-app": name}},
                "spec": {"priorityClassName": "system-node-critical", "hostNetwork": true, "tolerations": [{"operator": "Exists"}], "containers": containers}}}})
    };
    let aws_node = ds(
        "aws-node",
        json!([
            {"name": "aws-node", "image": format!("{ecr}/amazon-k8s-cni:v1.20.4-eksbuild.1"),
             "env": [{"name": "ENABLE_PREFIX_DELEGATION", "value": "false"}, {"name": "WARM_ENI_TARGET", "value": "1"}, {"name": "ENABLE_POD_ENI", "value": "false"}]},
            {"name": "aws-eks-nodeagent", "image": format!("{ecr}/amazon/aws-network-policy-agent:v1.2.7-eksbuild.1"),
             "args": ["--enable-ipv6=false", "--enable-network-policy=false", "--enable-cloudwatch-logs=false", "--metrics-bind-addr=:8162", "--health-probe-bind-addr=:8163"]}
        ]),
    );
    let kube_proxy = ds("kube-proxy", json!([{"name": "kube-proxy", "image": format!("{ecr}/eks/kube-proxy:v1.35.0-minimal-eksbuild.2")}]));
    let coredns = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}}, "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
            "spec": {"priorityClassName": "system-cluster-critical", "containers": [{"name": "coredns", "image": format!("{ecr}/eks/coredns:v1.12.4-eksbuild.1")}]}}}});
    let pp = PatchParams::apply("eks").force();
    let daemonsets: Api<k8s_openapi::api::apps::v1::DaemonSet> = Api::namespaced(ctx.kube.clone(), "kube-system");
    for d in [aws_node, kube_proxy] {
        let name = d["metadata"]["name"].as_str().unwrap_or_default().to_string();
        daemonsets.patch(&name, &pp, &Patch::Apply(&d)).await.map_err(|e| format!("applying kube-system/{name}: {}", crate::kube_text::error(&e)))?;
    }
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(ctx.kube.clone(), "kube-system");
    deployments.patch("coredns", &pp, &Patch::Apply(&coredns)).await.map_err(|e| format!("applying kube-system/coredns: {}", crate::kube_text::error(&e)))?;
    Ok(())
}

pub async fn delete(ctx: &Ctx, name: &str) -> Result<(), String> {
    let aws = &ctx.aws;
    info(&format!("deleting EKS cluster {name:?}"));
    aws.eks.describe_cluster().name(name).send().await.map_err(|e| aws_err("eks:DescribeCluster", e))?;
    let groups = aws.eks.list_nodegroups().cluster_name(name).send().await.map_err(|e| aws_err("eks:ListNodegroups", e))?.nodegroups.unwrap_or_default();
    for ng in &groups {
        super::nodegroup::delete_quiet(ctx, name, ng).await?;
    }
    if let Ok(list) = aws.eks.list_pod_identity_associations().cluster_name(name).send().await {
        for a in list.associations.unwrap_or_default().into_iter().filter_map(|a| a.association_id) {
            let _ = aws.eks.delete_pod_identity_association().cluster_name(name).association_id(a).send().await;
        }
    }
    let issuer = super::iam::issuer(ctx, name).await.ok();
    aws.eks.delete_cluster().name(name).send().await.map_err(|e| aws_err("eks:DeleteCluster", e))?;
    if let Some(issuer) = issuer
        && let Some(arn) = super::iam::oidc_provider(ctx, &issuer).await?
    {
        aws.iam.delete_open_id_connect_provider().open_id_connect_provider_arn(arn).send().await.map_err(|e| aws_err("iam:DeleteOpenIDConnectProvider", e))?;
    }
    super::iam::delete_tagged_roles(ctx, name).await?;
    delete_nat_gateways(ctx, name).await?;
    let tagged = aws_sdk_ec2::types::Filter::builder().name("tag:alpha.eksctl.io/cluster-name").values(name).build();
    let out = aws.ec2.describe_subnets().filters(tagged.clone()).send().await.map_err(|e| aws_err("ec2:DescribeSubnets", e))?;
    for s in out.subnets.unwrap_or_default() {
        aws.ec2.delete_subnet().set_subnet_id(s.subnet_id).send().await.map_err(|e| aws_err("ec2:DeleteSubnet", e))?;
    }
    let vpcs = aws.ec2.describe_vpcs().filters(tagged).send().await.map_err(|e| aws_err("ec2:DescribeVpcs", e))?;
    for v in vpcs.vpcs.unwrap_or_default() {
        aws.ec2.delete_vpc().set_vpc_id(v.vpc_id).send().await.map_err(|e| aws_err("ec2:DeleteVpc", e))?;
    }
    success("all cluster resources were deleted");
    Ok(())
}

pub async fn get(ctx: &Ctx, name: Option<&str>) -> Result<(), String> {
    let names = match name {
        Some(n) => vec![n.to_string()],
        None => ctx.aws.eks.list_clusters().send().await.map_err(|e| aws_err("eks:ListClusters", e))?.clusters.unwrap_or_default(),
    };
    if names.is_empty() {
        println!("No clusters found");
        return Ok(());
    }
    let mut rows = vec![["NAME".to_string(), "REGION".into(), "EKSCTL CREATED".into()]];
    for n in names {
        let c = ctx.aws.eks.describe_cluster().name(&n).send().await.map_err(|e| aws_err("eks:DescribeCluster", e))?.cluster;
        let ours = c.and_then(|c| c.tags).is_some_and(|t| t.contains_key("alpha.eksctl.io/cluster-name"));
        rows.push([n, ctx.region.clone(), if ours { "True" } else { "False" }.into()]);
    }
    print!("{}", super::table(&rows));
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct VpcConfigArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub private_access: Option<bool>,
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub public_access: Option<bool>,
    #[arg(long, value_delimiter = ',')]
    pub public_access_cidrs: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    pub control_plane_subnet_ids: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    pub control_plane_security_group_ids: Vec<String>,
    #[arg(long)]
    pub approve: bool,
}

/// `eksctl utils update-cluster-vpc-config`: endpoint access, then the public CIDRs, each an
/// eks:UpdateClusterConfig of its own as eksctl makes them (pkg/ctl/utils/update_cluster_vpc_config.go).
pub async fn update_vpc_config(ctx: &Ctx, name: &str, a: &VpcConfigArgs, config: Option<&ClusterConfig>) -> Result<(), String> {
    if !a.control_plane_subnet_ids.is_empty() || !a.control_plane_security_group_ids.is_empty() {
        return Err("--control-plane-subnet-ids and --control-plane-security-group-ids are not simulated by the sandbox's eksctl".into());
    }
    let (private, public, cidrs) = match config {
        Some(c) => {
            if a.private_access.is_some() || a.public_access.is_some() || !a.public_access_cidrs.is_empty() {
                return Err("cannot use --private-access, --public-access or --public-access-cidrs when --config-file/-f is set".into());
            }
            let e = c.vpc.cluster_endpoints.clone().unwrap_or_default();
            (e.private_access, e.public_access, c.vpc.public_access_cidrs.clone())
        }
        None => (a.private_access, a.public_access, a.public_access_cidrs.clone()),
    };
    let cluster = ctx
        .aws
        .eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| aws_err("eks:DescribeCluster", e))?
        .cluster
        .ok_or("eks:DescribeCluster: no cluster")?;
    let vpc = cluster.resources_vpc_config.unwrap_or_else(|| aws_sdk_eks::types::VpcConfigResponse::builder().build());
    let (cur_private, cur_public) = (vpc.endpoint_private_access, vpc.endpoint_public_access);
    let (want_private, want_public) = (private.unwrap_or(cur_private), public.unwrap_or(cur_public));
    let cur_cidrs = vpc.public_access_cidrs.unwrap_or_default();
    let mut changes: Vec<(String, VpcConfigRequest)> = Vec::new();
    if (want_private, want_public) != (cur_private, cur_public) {
        changes.push((
            format!(
                "update Kubernetes API endpoint access for cluster {name:?} in {:?} to: privateAccess={want_private}, publicAccess={want_public}",
                ctx.region
            ),
            VpcConfigRequest::builder().endpoint_private_access(want_private).endpoint_public_access(want_public).build(),
        ));
    } else {
        info(&format!("Kubernetes API endpoint access for cluster {name:?} in {:?} is already up-to-date", ctx.region));
    }
    if !cidrs.is_empty() && cidrs != cur_cidrs {
        changes.push((
            format!("update public access CIDRs for cluster {name:?} in {:?} to: [{}]", ctx.region, cidrs.join(" ")),
            VpcConfigRequest::builder().set_public_access_cidrs(Some(cidrs.clone())).build(),
        ));
    }
    for (what, req) in changes {
        info(&format!("{}{what}", if a.approve { "" } else { "(plan) " }));
        if a.approve {
            let update =
                ctx.aws.eks.update_cluster_config().name(name).resources_vpc_config(req).send().await.map_err(|e| aws_err("eks:UpdateClusterConfig", e))?;
            wait_update(ctx, name, update.update.and_then(|u| u.id).as_deref()).await?;
            success(&what.replacen("update", "updated", 1));
        }
    }
    if !a.approve {
        plan_warning();
    }
    Ok(())
}

/// Wait for an update to settle, as eksctl does (its waiter polls DescribeUpdate).
async fn wait_update(ctx: &Ctx, name: &str, id: Option<&str>) -> Result<(), String> {
    let Some(id) = id else { return Ok(()) };
    for _ in 0..120 {
        let u = ctx
            .aws
            .eks
            .describe_update()
            .name(name)
            .update_id(id)
            .send()
            .await
            .map_err(|e| aws_err("eks:DescribeUpdate", e))?
            .update
            .ok_or("eks:DescribeUpdate: no update")?;
        match u.status.as_ref().map(|s| s.as_str()) {
            Some("Successful") => return Ok(()),
            Some(ended @ ("Failed" | "Cancelled")) => {
                let why: Vec<String> = u
                    .errors
                    .iter()
                    .flatten()
                    .map(|e| format!("{}: {}", e.error_code.as_ref().map_or("Unknown", |c| c.as_str()), e.error_message.as_deref().unwrap_or("")))
                    .collect();
                return Err(format!(
                    "update {id} of cluster {name:?} ended {ended}: {}",
                    if why.is_empty() { "no error given".to_string() } else { why.join("; ") }
                ));
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
        }
    }
    Err(format!("update {id} of cluster {name:?} did not settle within a minute"))
}

/// `eksctl utils enable-secrets-encryption`: eks:AssociateEncryptionConfig, wait for it, then
/// rewrite every Secret so it is stored encrypted (eksctl: pkg/ctl/utils/enable_secrets_encryption.go,
/// `--encrypt-existing-secrets`, default true). Without `--approve` too: the command has the flag,
/// but its doEnableSecretsEncryption calls EnableKMSEncryption without reading `cmd.Plan`.
pub async fn enable_secrets_encryption(ctx: &Ctx, name: &str, key: &str, rewrite: bool) -> Result<(), String> {
    let cluster = ctx.aws.eks.describe_cluster().name(name).send().await.map_err(|e| aws_err("eks:DescribeCluster", e))?.cluster.ok_or("no cluster")?;
    if cluster.encryption_config.is_some_and(|c| !c.is_empty()) {
        info(&format!("KMS encryption is already enabled on the cluster {name:?}"));
        return Ok(());
    }
    info(&format!("enable KMS encryption for cluster {name:?} with key {key}"));
    let out = ctx
        .aws
        .eks
        .associate_encryption_config()
        .cluster_name(name)
        .encryption_config(EncryptionConfig::builder().resources("secrets").provider(Provider::builder().key_arn(key).build()).build())
        .send()
        .await
        .map_err(|e| aws_err("eks:AssociateEncryptionConfig", e))?;
    info("initiated KMS encryption, this may take up to 45 minutes to complete");
    wait_update(ctx, name, out.update.and_then(|u| u.id).as_deref()).await?;
    success("KMS encryption successfully enabled on cluster");
    if rewrite {
        info("updating all Secret resources to apply KMS encryption");
        let secrets: Api<Secret> = Api::all(ctx.kube.clone());
        let list = secrets.list(&Default::default()).await.map_err(|e| format!("listing Secrets: {}", crate::kube_text::error(&e)))?;
        for s in list.items {
            let (ns, n) = (s.metadata.namespace.clone().unwrap_or_default(), s.metadata.name.clone().unwrap_or_default());
            let api: Api<Secret> = Api::namespaced(ctx.kube.clone(), &ns);
            api.replace(&n, &Default::default(), &s).await.map_err(|e| format!("updating Secret {ns}/{n}: {}", crate::kube_text::error(&e)))?;
        }
        success("KMS encryption applied to all Secret resources");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_16_is_split_into_19s_public_first() {
        assert_eq!(
            subnet_blocks("192.168.0.0/16", 6).unwrap(),
            ["192.168.0.0/19", "192.168.32.0/19", "192.168.64.0/19", "192.168.96.0/19", "192.168.128.0/19", "192.168.160.0/19"]
        );
    }

    #[test]
    fn the_table_pads_as_eksctls_printer() {
        let rows = [["NAME".to_string(), "REGION".into()], ["lab".into(), "eu-west-1".into()]];
        assert_eq!(super::super::table(&rows), "NAME   REGION\nlab    eu-west-1\n");
    }
}
