//! IAM for the cluster's workloads: `eksctl utils associate-iam-oidc-provider`, `create
//! iamserviceaccount`, `create podidentityassociation`, `create addon`; the roles eksctl's
//! stacks make, named as CloudFormation names them.
//!
//! Sources (eksctl-io/eksctl): pkg/ctl/utils/associate_iam_oidc_provider.go (messages, plan mode,
//! the cluster tag `alpha.eksctl.io/cluster-oidc-enabled`), pkg/iam/oidc/api.go (client ID
//! `sts.amazonaws.com`; the trust policy `MakeAssumeRolePolicyDocumentWithServiceAccountConditions`:
//! `StringEquals` on `<issuer>:sub` = `system:serviceaccount:NS:NAME` and `<issuer>:aud`),
//! pkg/ctl/create/iamserviceaccount.go and cmdutils/configfile.go (flags, `--attach-policy-arn or
//! --attach-role-arn must be set`, the OIDC provider required), pkg/kubernetes/serviceaccount.go
//! (the ServiceAccount labelled `app.kubernetes.io/managed-by: eksctl`, annotated
//! `eks.amazonaws.com/role-arn`), pkg/ctl/cmdutils/pod_identity_association.go (flags and
//! messages), pkg/actions/addon/create.go (messages; `--force` overwrites).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use super::{Ctx, aws_err, info, plan_warning, success};

pub const ROLE_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The thumbprint eksctl computes from the issuer's certificate chain; the sandbox may not dial
/// the issuer, so it is the published root CA's (the one EKS issuers have had).
const THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

/// A name as CloudFormation generates it for a role with no RoleName: the logical name and a
/// suffix, at most 64 characters.
pub fn generated_name(base: &str) -> String {
    let suffix = format!("{:X}", super::hash(base) & 0xFFFF_FFFF_FFFF);
    let keep = 64 - suffix.len() - 1;
    format!("{}-{suffix}", &base[..base.len().min(keep)])
}

/// Create a role (or find it, if it exists with the same trust); (name, ARN).
pub async fn role(ctx: &Ctx, name: &str, trust: &Value, tags: &BTreeMap<String, String>) -> Result<(String, String), String> {
    let tags: Vec<aws_sdk_iam::types::Tag> = tags.iter().filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().ok()).collect();
    let out = ctx
        .aws
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(|e| aws_err("iam:CreateRole", e))?;
    let arn = out.role.map(|r| r.arn).ok_or("iam:CreateRole: no role")?;
    Ok((name.to_string(), arn))
}

pub async fn attach(ctx: &Ctx, role: &str, policy: &str) -> Result<(), String> {
    ctx.aws.iam.attach_role_policy().role_name(role).policy_arn(policy).send().await.map_err(|e| aws_err(&format!("iam:AttachRolePolicy {policy}"), e))?;
    Ok(())
}

pub async fn delete_role(ctx: &Ctx, role: &str) -> Result<(), String> {
    let iam = &ctx.aws.iam;
    if let Ok(att) = iam.list_attached_role_policies().role_name(role).send().await {
        for p in att.attached_policies.unwrap_or_default().into_iter().filter_map(|p| p.policy_arn) {
            iam.detach_role_policy().role_name(role).policy_arn(p).send().await.map_err(|e| aws_err("iam:DetachRolePolicy", e))?;
        }
    }
    match iam.delete_role().role_name(role).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Ok(()),
        Err(e) => Err(aws_err("iam:DeleteRole", e)),
    }
}

/// The roles eksctl made for cluster `name` (tagged with it, whatever `--role-name` called
/// them: eksctl deletes every iamserviceaccount stack of the cluster), for `delete cluster`.
pub async fn delete_tagged_roles(ctx: &Ctx, name: &str) -> Result<(), String> {
    for role in tagged_roles(ctx, &[("alpha.eksctl.io/cluster-name", name)]).await? {
        delete_role(ctx, &role).await?;
    }
    Ok(())
}

/// The roles that carry every one of `tags`.
async fn tagged_roles(ctx: &Ctx, tags: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let roles = ctx.aws.iam.list_roles().max_items(1000).send().await.map_err(|e| aws_err("iam:ListRoles", e))?;
    let mut out = Vec::new();
    for r in roles.roles {
        let have = ctx.aws.iam.list_role_tags().role_name(&r.role_name).send().await.map_err(|e| aws_err("iam:ListRoleTags", e))?.tags;
        if tags.iter().all(|(k, v)| have.iter().any(|t| t.key == *k && t.value == *v)) {
            out.push(r.role_name);
        }
    }
    Ok(out)
}

/// `eksctl delete iamserviceaccount`: the role of its stack (found by the stack's tags), then
/// the ServiceAccount, as eksctl deletes both (its stack and, where it exists, the ServiceAccount).
pub async fn delete_service_account(ctx: &Ctx, cluster: &str, ns: &str, name: &str) -> Result<(), String> {
    let id = format!("{ns}/{name}");
    let roles = tagged_roles(ctx, &[("alpha.eksctl.io/cluster-name", cluster), ("alpha.eksctl.io/iamserviceaccount-name", &id)]).await?;
    info(&format!("{} iamserviceaccount ({id}) was included (based on the include/exclude rules)", roles.len()));
    for role in &roles {
        info(&format!("will delete stack \"eksctl-{cluster}-addon-iamserviceaccount-{ns}-{name}\" (role {role})"));
        delete_role(ctx, role).await?;
    }
    let accounts: Api<ServiceAccount> = Api::namespaced(ctx.kube.clone(), ns);
    match accounts.delete(name, &Default::default()).await {
        Ok(_) => info(&format!("serviceaccount \"{id}\" was deleted")),
        Err(kube::Error::Api(e)) if e.code == 404 => info(&format!("serviceaccount \"{id}\" was already deleted")),
        Err(e) => return Err(format!("deleting serviceaccount {id}: {}", crate::kube_text::error(&e))),
    }
    Ok(())
}

pub async fn issuer(ctx: &Ctx, cluster: &str) -> Result<String, String> {
    let c = ctx.aws.eks.describe_cluster().name(cluster).send().await.map_err(|e| aws_err("eks:DescribeCluster", e))?.cluster.ok_or("no cluster")?;
    c.identity.and_then(|i| i.oidc?.issuer).ok_or(format!("cluster {cluster:?} has no OIDC issuer"))
}

/// The IAM OIDC provider for an issuer, if one exists.
pub async fn oidc_provider(ctx: &Ctx, issuer: &str) -> Result<Option<String>, String> {
    let host = issuer.trim_start_matches("https://");
    let list = ctx.aws.iam.list_open_id_connect_providers().send().await.map_err(|e| aws_err("iam:ListOpenIDConnectProviders", e))?;
    Ok(list.open_id_connect_provider_list.unwrap_or_default().into_iter().filter_map(|p| p.arn).find(|a| a.ends_with(&format!(":oidc-provider/{host}"))))
}

pub async fn associate_oidc(ctx: &Ctx, cluster: &str, approve: bool) -> Result<(), String> {
    let issuer = issuer(ctx, cluster).await?;
    let region = &ctx.region;
    if oidc_provider(ctx, &issuer).await?.is_some() {
        info(&format!("IAM Open ID Connect provider is already associated with cluster {cluster:?} in {region:?}"));
        return Ok(());
    }
    let what = format!("create IAM Open ID Connect provider for cluster {cluster:?} in {region:?}");
    if !approve {
        info(&format!("(plan) would {what}"));
        plan_warning();
        return Ok(());
    }
    info(&format!("will {what}"));
    let tags = [("alpha.eksctl.io/cluster-name", cluster), ("alpha.eksctl.io/eksctl-version", super::VERSION_TAG_VALUE)];
    ctx.aws
        .iam
        .create_open_id_connect_provider()
        .url(&issuer)
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list(THUMBPRINT)
        .set_tags(Some(tags.iter().filter_map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(*k).value(*v).build().ok()).collect()))
        .send()
        .await
        .map_err(|e| aws_err("iam:CreateOpenIDConnectProvider", e))?;
    success(&format!("created IAM Open ID Connect provider for cluster {cluster:?} in {region:?}"));
    if let Some(arn) = ctx.aws.eks.describe_cluster().name(cluster).send().await.ok().and_then(|c| c.cluster?.arn) {
        let _ = ctx.aws.eks.tag_resource().resource_arn(arn).tags("alpha.eksctl.io/cluster-oidc-enabled", "true").send().await;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct ServiceAccountArgs {
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    #[arg(long, short = 'r')]
    pub region: Option<String>,
    #[arg(long, default_value = "default")]
    pub namespace: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub attach_policy_arn: Vec<String>,
    #[arg(long)]
    pub attach_role_arn: Option<String>,
    #[arg(long)]
    pub role_name: Option<String>,
    #[arg(long)]
    pub role_only: bool,
    #[arg(long)]
    pub override_existing_serviceaccounts: bool,
    #[arg(long)]
    pub approve: bool,
    #[arg(long = "config-file", short = 'f')]
    pub config_file: Option<String>,
}

/// The trust policy eksctl writes for one ServiceAccount (oidc/api.go).
pub fn irsa_trust(provider_arn: &str, issuer: &str, ns: &str, sa: &str) -> Value {
    let host = issuer.trim_start_matches("https://");
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithWebIdentity"],
        "Condition": {"StringEquals": {format!("{host}:sub"): format!("system:serviceaccount:{ns}:{sa}"), format!("{host}:aud"): "sts.amazonaws.com"}}
    }]})
}

pub async fn service_account(ctx: &Ctx, a: &ServiceAccountArgs) -> Result<(), String> {
    if a.config_file.is_some() {
        return Err(
            "iam.serviceAccounts in a config file is not simulated by the sandbox's eksctl: give --cluster, --namespace, --name and --attach-policy-arn".into(),
        );
    }
    let cluster = a.cluster.clone().ok_or("--cluster must be set")?;
    let name = a.name.clone().ok_or("--name must be set")?;
    if a.attach_policy_arn.is_empty() && a.attach_role_arn.is_none() {
        return Err("--attach-policy-arn or --attach-role-arn must be set".into());
    }
    if a.attach_role_arn.is_some() && (a.role_only || a.role_name.is_some()) {
        return Err("cannot provide --role-name or --role-only when --attach-role-arn is configured".into());
    }
    if a.attach_role_arn.is_some() && !a.attach_policy_arn.is_empty() {
        return Err("cannot provide --attach-role-arn and specify polices to attach".into());
    }
    let ns = &a.namespace;
    let issuer = issuer(ctx, &cluster).await?;
    let Some(provider) = oidc_provider(ctx, &issuer).await? else {
        super::log(
            '!',
            &format!(
                "no IAM OIDC provider associated with cluster, try 'eksctl utils associate-iam-oidc-provider --region={} --cluster={cluster}'",
                ctx.region
            ),
        );
        return Err("unable to create iamserviceaccount(s) without IAM OIDC provider enabled".into());
    };
    let id = format!("{ns}/{name}");
    info(&format!("1 iamserviceaccount ({id}) was included (based on the include/exclude rules)"));
    if !a.role_only {
        info(&format!(
            "serviceaccounts in Kubernetes will be {}",
            if a.override_existing_serviceaccounts { "overridden" } else { "created or their metadata updated" }
        ));
    }
    if !a.approve {
        info(&format!("(plan) would create IAM role for serviceaccount {id:?}{}", if a.role_only { "" } else { " and the serviceaccount" }));
        plan_warning();
        return Ok(());
    }
    let arn = match &a.attach_role_arn {
        Some(arn) => arn.clone(),
        None => {
            let role_name = a.role_name.clone().unwrap_or_else(|| generated_name(&format!("eksctl-{cluster}-addon-iamserviceaccount-{ns}-{name}-Role1")));
            if let Ok(existing) = ctx.aws.iam.get_role().role_name(&role_name).send().await
                && let Some(r) = existing.role
                && r.tags.iter().flatten().any(|t| t.key == "alpha.eksctl.io/iamserviceaccount-name" && t.value == id)
            {
                info(&format!("1 existing iamserviceaccount(s) ({id}) will be excluded"));
                return Ok(());
            }
            let tags = BTreeMap::from([
                ("alpha.eksctl.io/cluster-name".to_string(), cluster.clone()),
                ("alpha.eksctl.io/iamserviceaccount-name".to_string(), id.clone()),
                ("alpha.eksctl.io/eksctl-version".to_string(), super::VERSION_TAG_VALUE.to_string()),
            ]);
            info(&format!("building iamserviceaccount stack \"eksctl-{cluster}-addon-iamserviceaccount-{ns}-{name}\""));
            let (role, arn) = role(ctx, &role_name, &irsa_trust(&provider, &issuer, ns, &name), &tags).await?;
            for p in &a.attach_policy_arn {
                attach(ctx, &role, p).await?;
            }
            arn
        }
    };
    if !a.role_only {
        annotate_service_account(ctx, ns, &name, &arn).await?;
    }
    success(&format!("created IAM role {arn} for serviceaccount {id:?}"));
    Ok(())
}

/// Create the ServiceAccount (and its namespace) or update its metadata, as eksctl does.
async fn annotate_service_account(ctx: &Ctx, ns: &str, name: &str, arn: &str) -> Result<(), String> {
    let pp = PatchParams::apply("eksctl");
    let namespaces: Api<Namespace> = Api::all(ctx.kube.clone());
    if namespaces.get_opt(ns).await.map_err(|e| format!("reading namespace {ns}: {}", crate::kube_text::error(&e)))?.is_none() {
        namespaces
            .patch(ns, &pp, &Patch::Apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})))
            .await
            .map_err(|e| format!("creating namespace {ns}: {}", crate::kube_text::error(&e)))?;
        info(&format!("created namespace {ns:?}"));
    }
    let api: Api<ServiceAccount> = Api::namespaced(ctx.kube.clone(), ns);
    let existed = api.get_opt(name).await.map_err(|e| format!("reading serviceaccount {ns}/{name}: {}", crate::kube_text::error(&e)))?.is_some();
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns, "annotations": {ROLE_ANNOTATION: arn}, "labels": {"app.kubernetes.io/managed-by": "eksctl"}}});
    api.patch(name, &pp.force(), &Patch::Apply(sa)).await.map_err(|e| format!("writing serviceaccount {ns}/{name}: {}", crate::kube_text::error(&e)))?;
    if existed {
        info(&format!("serviceaccount \"{ns}/{name}\" already exists"));
        info(&format!("updated serviceaccount \"{ns}/{name}\""));
    } else {
        info(&format!("created serviceaccount \"{ns}/{name}\""));
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct PodIdentityArgs {
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    #[arg(long, short = 'r')]
    pub region: Option<String>,
    #[arg(long)]
    pub namespace: Option<String>,
    #[arg(long)]
    pub service_account_name: Option<String>,
    #[arg(long)]
    pub role_arn: Option<String>,
    #[arg(long)]
    pub role_name: Option<String>,
    #[arg(long, value_delimiter = ',')]
    pub permission_policy_arns: Vec<String>,
    #[arg(long)]
    pub create_service_account: bool,
    #[arg(long = "config-file", short = 'f')]
    pub config_file: Option<String>,
}

pub async fn pod_identity(ctx: &Ctx, a: &PodIdentityArgs) -> Result<(), String> {
    if a.config_file.is_some() {
        return Err("iam.podIdentityAssociations in a config file is not simulated by the sandbox's eksctl: give --cluster, --namespace, --service-account-name and --role-arn".into());
    }
    let cluster = a.cluster.clone().ok_or("--cluster must be set")?;
    let ns = a.namespace.clone().ok_or("--namespace is required")?;
    let sa = a.service_account_name.clone().ok_or("--service-account-name is required")?;
    if a.role_arn.is_some() && (!a.permission_policy_arns.is_empty() || a.role_name.is_some()) {
        return Err("--permission-policy-arns and --role-name cannot be specified when --role-arn is set".into());
    }
    let role_arn = match &a.role_arn {
        Some(arn) => arn.clone(),
        None if a.permission_policy_arns.is_empty() => {
            return Err("at least one of the following flags must be specified: --role-arn, --permission-policy-arns".into());
        }
        None => {
            let name = a.role_name.clone().unwrap_or_else(|| generated_name(&format!("eksctl-{cluster}-podidentityrole-{ns}-{sa}-Role1")));
            let tags = BTreeMap::from([
                ("alpha.eksctl.io/cluster-name".to_string(), cluster.clone()),
                ("alpha.eksctl.io/podidentityassociation-name".to_string(), format!("{ns}/{sa}")),
            ]);
            let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
            let (role, arn) = role(ctx, &name, &trust, &tags).await?;
            for p in &a.permission_policy_arns {
                attach(ctx, &role, p).await?;
            }
            arn
        }
    };
    if a.create_service_account {
        let api: Api<ServiceAccount> = Api::namespaced(ctx.kube.clone(), &ns);
        let obj = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "eksctl"}}});
        api.patch(&sa, &PatchParams::apply("eksctl"), &Patch::Apply(obj))
            .await
            .map_err(|e| format!("creating serviceaccount {ns}/{sa}: {}", crate::kube_text::error(&e)))?;
    }
    ctx.aws
        .eks
        .create_pod_identity_association()
        .cluster_name(&cluster)
        .namespace(&ns)
        .service_account(&sa)
        .role_arn(&role_arn)
        .send()
        .await
        .map_err(|e| aws_err("eks:CreatePodIdentityAssociation", e))?;
    success(&format!("created pod identity association for service account {sa:?} in namespace {ns:?} (role {role_arn})"));
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct AddonArgs {
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    #[arg(long, short = 'r')]
    pub region: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub version: Option<String>,
    #[arg(long)]
    pub service_account_role_arn: Option<String>,
    #[arg(long)]
    pub force: bool,
    #[arg(long, short = 'w')]
    pub wait: bool,
    #[arg(long = "config-file", short = 'f')]
    pub config_file: Option<String>,
}

pub async fn addon(ctx: &Ctx, a: &AddonArgs) -> Result<(), String> {
    if a.config_file.is_some() {
        return Err("`eksctl create addon -f` is not simulated by the sandbox's eksctl: give --cluster and --name".into());
    }
    let cluster = a.cluster.clone().ok_or("--cluster must be set")?;
    let name = a.name.clone().ok_or("--name must be set")?;
    create_addon(ctx, &cluster, &name, a.version.as_deref().filter(|v| *v != "latest"), a.service_account_role_arn.as_deref(), None, a.force).await
}

pub async fn create_addon(
    ctx: &Ctx,
    cluster: &str,
    name: &str,
    version: Option<&str>,
    role: Option<&str>,
    values: Option<&str>,
    force: bool,
) -> Result<(), String> {
    if ctx.aws.eks.describe_addon().cluster_name(cluster).addon_name(name).send().await.is_ok() {
        info(&format!("{name:?} addon is already present on the cluster, as an EKS managed addon, skipping creation"));
        return Ok(());
    }
    if let Some(r) = role {
        info(&format!("using provided ServiceAccountRoleARN {r:?}"));
    }
    info(&format!("creating addon: {name}"));
    let mut req = ctx
        .aws
        .eks
        .create_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .set_addon_version(version.map(str::to_string))
        .set_service_account_role_arn(role.map(str::to_string));
    if let Some(v) = values {
        req = req.configuration_values(v);
    }
    if force {
        req = req.resolve_conflicts(aws_sdk_eks::types::ResolveConflicts::Overwrite);
    }
    req.send().await.map_err(|e| aws_err("eks:CreateAddon", e))?;
    info(&format!("successfully created addon: {name}"));
    Ok(())
}
