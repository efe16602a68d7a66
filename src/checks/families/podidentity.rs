//! EKS Pod Identity: the agent add-on, the association of a ServiceAccount with a role, the
//! role's trust policy for `pods.eks.amazonaws.com`, what the pod identity webhook injected into
//! running pods, and the app reading S3 with it.
//!
//! The injected names are amazon-eks-pod-identity-webhook v0.6.17's defaults (main.go flags
//! `--container-credentials-audience`, `--container-credentials-token-mount-path`,
//! `--container-credentials-token-volume-name`, `--container-credentials-token-path`,
//! `--container-credentials-full-uri`; pkg/constants.go for the env names). The trust policy is
//! the EKS user guide's (pod-id-role.adoc): service principal `pods.eks.amazonaws.com`, actions
//! `sts:AssumeRole` and `sts:TagSession`.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;

use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, error, fail, pass, warn};
use crate::iam::policy::{self as iam_policy, role_name};

use super::common::region_flag;
use super::identity::{self, Association, POD_IDENTITY_AGENT, ROLE_ANNOTATION};
use super::irsa::{S3Lab, pod_env, restart, running_pods_of, s3_read};

/// The service principal a Pod Identity role trusts.
pub const SERVICE: &str = "pods.eks.amazonaws.com";
/// The two actions the agent needs on the role (the second adds the session tags).
pub const ACTIONS: [&str; 2] = ["sts:AssumeRole", "sts:TagSession"];
pub const FULL_URI: &str = "http://169.254.170.23/v1/credentials";
pub const TOKEN_FILE: &str = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";
pub const VOLUME: &str = "eks-pod-identity-token";
/// The lab's folder: the files the messages name.
const FOLDER: &str = "pod-identity-access";

fn names(ctx: &Ctx<'_>) -> (String, String) {
    (ctx.text("namespace", "appNs", "default"), ctx.text("serviceAccount", "podSa", "default"))
}

/// The role the labs give `sa`: `<cluster>-<sa>`.
fn role_for(ctx: &Ctx<'_>, sa: &str) -> String {
    format!("{}-{sa}", ctx.cluster())
}

fn create_association(ctx: &Ctx<'_>, ns: &str, sa: &str) -> String {
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    format!(
        "aws eks create-pod-identity-association --cluster-name {cluster}{region} --namespace {ns} --service-account {sa} --role-arn $(aws iam get-role --role-name {} --query Role.Arn --output text)",
        role_for(ctx, sa)
    )
}

pub async fn agent(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (cluster, region) = (ctx.cluster(), region_flag(ctx));
    let create = format!("aws eks create-addon --cluster-name {cluster}{region} --addon-name {POD_IDENTITY_AGENT}");
    let addon = match super::common::addon(ctx, POD_IDENTITY_AGENT).await? {
        super::common::Addon::Missing => {
            return Ok(fail(format!("add-on {POD_IDENTITY_AGENT} is not installed on {cluster}: no node serves Pod Identity credentials"))
                .found_expected("no add-on", format!("add-on {POD_IDENTITY_AGENT} ACTIVE"))
                .next(format!("{create}, then aws eks wait addon-active --cluster-name {cluster}{region} --addon-name {POD_IDENTITY_AGENT}")));
        }
        super::common::Addon::NotActive(outcome) => return Ok(outcome),
        super::common::Addon::Active(version) => version,
        super::common::Addon::NoApi => String::new(),
    };
    let api: Api<DaemonSet> = Api::namespaced(ctx.kube()?.clone(), "kube-system");
    let ds = kube_call(&format!("get daemonset kube-system/{POD_IDENTITY_AGENT}"), api.get_opt(POD_IDENTITY_AGENT)).await?;
    let Some(status) = ds.map(|d| d.status.unwrap_or_default()) else {
        return Ok(fail(format!("no DaemonSet kube-system/{POD_IDENTITY_AGENT}: the add-on's agent is not running"))
            .found_expected("no DaemonSet", format!("DaemonSet kube-system/{POD_IDENTITY_AGENT}"))
            .next(if addon.is_empty() { create } else { format!("the add-on manager recreates it: aws eks update-addon --cluster-name {cluster}{region} --addon-name {POD_IDENTITY_AGENT} --resolve-conflicts OVERWRITE") }));
    };
    let (ready, wanted) = (status.number_ready, status.desired_number_scheduled);
    if wanted == 0 || ready < wanted {
        return Ok(fail(format!("{POD_IDENTITY_AGENT} is ready on {ready} of {wanted} nodes: pods on the others get no credentials"))
            .found_expected(format!("{ready}/{wanted} ready"), "ready on every node")
            .next(format!(
                "read why: kubectl -n kube-system describe ds {POD_IDENTITY_AGENT}; then kubectl -n kube-system rollout status ds/{POD_IDENTITY_AGENT}"
            )));
    }
    let version = if addon.is_empty() { String::new() } else { format!(" {addon}") };
    Ok(pass(format!("add-on {POD_IDENTITY_AGENT}{version} is ACTIVE and its agent is ready on all {wanted} nodes")))
}

/// The association of `ns/sa` and its role ARN, or the learner's fail.
async fn association(ctx: &Ctx<'_>, ns: &str, sa: &str) -> Step<(String, String)> {
    let cluster = ctx.cluster();
    let id = match identity::association(ctx, ns, sa).await? {
        Association::Found(id) => id,
        Association::NoCluster => {
            return Err(fail(format!("cluster {cluster} not found")).found_expected("no cluster", &cluster).next(super::common::cluster_missing(ctx)));
        }
        Association::NoApi => {
            return Err(error(
                "AWS answered 404 to eks:ListPodIdentityAssociations: this endpoint has no Pod Identity API (a bare AWS emulator; the sandbox's AWS front answers it)",
            ));
        }
        Association::None => {
            return Err(fail(format!("no Pod Identity association for {ns}/{sa} on {cluster}"))
                .found_expected("no association", format!("an association of {ns}/{sa} with role {}", role_for(ctx, sa)))
                .next(create_association(ctx, ns, sa)));
        }
    };
    let role = identity::association_role(ctx, &id).await?;
    Ok((id, role))
}

/// The role's trust policy document, or the learner's fail when the role does not exist.
async fn trust_document(ctx: &Ctx<'_>, (ns, sa): (&str, &str), (id, arn): (&str, &str)) -> Step<String> {
    let aws = ctx.aws()?;
    let Some(name) = role_name(arn) else {
        return Err(fail(format!("association {id} names {arn}, which is not a role ARN")).found_expected(arn, "arn:aws:iam::<account>:role/<name>").next(
            format!(
                "point it at the role: aws eks update-pod-identity-association --cluster-name {}{} --association-id {id} --role-arn $(aws iam get-role --role-name {} --query Role.Arn --output text)",
                ctx.cluster(),
                region_flag(ctx),
                role_for(ctx, sa)
            ),
        ));
    };
    match timed("iam:GetRole", aws.iam.get_role().role_name(name).send()).await? {
        Ok(o) => Ok(o.role.and_then(|r| r.assume_role_policy_document).unwrap_or_default()),
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => Err(fail(format!("association {id} of {ns}/{sa} names role {arn}, which does not exist"))
            .found_expected("no such role", arn)
            .next(format!(
                "create it with the lab's trust policy: aws iam create-role --role-name {name} --assume-role-policy-document file://{FOLDER}/trust-policy.json (the association keeps its ARN)"
            ))),
        Err(e) => Err(aws_error(&e, "iam:GetRole")),
    }
}

pub async fn association_check(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa) = names(ctx);
    let (id, arn) = association(ctx, &ns, &sa).await?;
    trust_document(ctx, (&ns, &sa), (&id, &arn)).await?;
    // IRSA beside it: the webhook gives the association precedence (handler.go, "Container
    // credentials method takes precedence"), so the annotation only misleads whoever reads it
    let api: Api<ServiceAccount> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let account = kube_call(&format!("get serviceaccount {ns}/{sa}"), api.get_opt(&sa)).await?;
    if let Some(irsa) = account.and_then(|a| a.metadata.annotations?.get(ROLE_ANNOTATION).cloned()) {
        return Ok(warn(format!(
            "association {id} gives {ns}/{sa} role {arn}; the ServiceAccount also names IRSA role {irsa}, which new pods no longer use (the association takes precedence): kubectl -n {ns} annotate serviceaccount {sa} {ROLE_ANNOTATION}-"
        )));
    }
    Ok(pass(format!("association {id} gives {ns}/{sa} role {arn}, which exists")))
}

pub async fn trust_policy(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa) = names(ctx);
    let (id, arn) = association(ctx, &ns, &sa).await?;
    let doc = trust_document(ctx, (&ns, &sa), (&id, &arn)).await?;
    let name = role_name(&arn).unwrap_or(&arn).to_string();
    let policy = iam_policy::parse(&doc).map_err(|e| error(format!("the checker could not read the trust policy of {name}: {e}")))?;
    let fix = format!("aws iam update-assume-role-policy --role-name {name} --policy-document file://{FOLDER}/trust-policy.json");
    let for_pods: Vec<_> = policy.statements.iter().filter(|s| s.allow && s.principal("Service").contains(&SERVICE)).collect();
    for action in ACTIONS {
        if !for_pods.iter().any(|s| s.covers_action(action)) {
            let found = for_pods.iter().flat_map(|s| s.actions.iter().cloned()).collect::<Vec<_>>();
            let found = if for_pods.is_empty() { format!("no Allow for Service {SERVICE}") } else { format!("{SERVICE} may {}", found.join(", ")) };
            let why = if action == "sts:TagSession" {
                "the agent tags every session (cluster, namespace, ServiceAccount), so without it every credential request is denied"
            } else {
                "the agent cannot assume the role for the pod"
            };
            return Ok(fail(format!("role {name} does not allow {SERVICE} {action}: {why}"))
                .found_expected(found, format!("Allow {SERVICE} sts:AssumeRole and sts:TagSession"))
                .next(fix));
        }
    }
    // least privilege: nobody else may assume the role
    let others: Vec<String> = policy
        .statements
        .iter()
        .filter(|s| s.allow && ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"].iter().any(|a| s.covers_action(a)))
        .flat_map(|s| s.principals.iter().filter(|(k, v)| !(k == "Service" && v == SERVICE)).map(|(k, v)| format!("{k} {v}")))
        .collect();
    if !others.is_empty() {
        return Ok(fail(format!("role {name} may also be assumed by {}: only {SERVICE} should", others.join(", ")))
            .found_expected(others.join(", "), format!("only Service {SERVICE}"))
            .next(fix));
    }
    // conditions the lab's policy may carry must let this cluster's requests through
    let account = iam_policy::role_account(&arn).unwrap_or_default().to_string();
    for s in &for_pods {
        for c in s.conditions_on("aws:SourceAccount") {
            if !c.accepts(&account) {
                return Ok(fail(format!("role {name} trusts {SERVICE} only for account {}, not this one ({account})", c.values.join(", ")))
                    .found_expected(c.values.join(", "), &account)
                    .next(fix));
            }
        }
    }
    Ok(pass(format!("role {name} trusts only {SERVICE}, with sts:AssumeRole and sts:TagSession (association {id})")))
}

pub async fn pod_injection(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa) = names(ctx);
    let (_, arn) = association(ctx, &ns, &sa).await?;
    let using = running_pods_of(ctx, &ns, &sa, FOLDER).await?;
    for pod in &using {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let spec = pod.spec.as_ref().expect("filtered on spec");
        let env = pod_env(pod);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if let Some(irsa) = get("AWS_ROLE_ARN") {
            // the SDKs' default chains read the web identity env before the container credentials
            return Ok(fail(format!("pod {name} carries IRSA's AWS_ROLE_ARN={irsa}: the SDK would use that role, not the association's"))
                .found_expected(format!("AWS_ROLE_ARN={irsa}"), "only the Pod Identity env")
                .next(format!("kubectl -n {ns} annotate serviceaccount {sa} {ROLE_ANNOTATION}-, then {}", restart(pod))));
        }
        let Some(uri) = get("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default();
            return Ok(fail(format!(
                "pod {name} has no AWS_CONTAINER_CREDENTIALS_FULL_URI: created {created}, before the association (the webhook injects it only into new pods)"
            ))
            .found_expected("no Pod Identity env", format!("AWS_CONTAINER_CREDENTIALS_FULL_URI={FULL_URI}"))
            .next(restart(pod)));
        };
        if uri != FULL_URI {
            return Ok(fail(format!("pod {name}: AWS_CONTAINER_CREDENTIALS_FULL_URI is {uri}, not the agent's {FULL_URI}"))
                .found_expected(uri, FULL_URI)
                .next(format!("remove your own AWS_CONTAINER_CREDENTIALS_FULL_URI from the pod template, apply it, then {}", restart(pod))));
        }
        if get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").as_deref() != Some(TOKEN_FILE) {
            return Ok(fail(format!("pod {name}: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is not {TOKEN_FILE}"))
                .found_expected(get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").unwrap_or_else(|| "unset".into()), TOKEN_FILE)
                .next(format!("remove your own AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE from the pod template, apply it, then {}", restart(pod))));
        }
        let audience = spec.volumes.as_ref().and_then(|vs| {
            vs.iter()
                .find(|v| v.name == VOLUME)
                .and_then(|v| v.projected.as_ref()?.sources.as_ref()?.iter().find_map(|s| s.service_account_token.as_ref()?.audience.clone()))
        });
        if audience.as_deref() != Some(SERVICE) {
            return Ok(fail(format!("pod {name} has no projected {VOLUME} volume for audience {SERVICE}"))
                .found_expected(
                    audience.map_or_else(|| "no token volume".to_string(), |a| format!("audience {a}")),
                    format!("projected {VOLUME}, audience {SERVICE}"),
                )
                .next(format!("drop any {VOLUME} volume of your own from the pod template, apply it, then {}", restart(pod))));
        }
    }
    Ok(pass(format!("running pods of {ns}/{sa} get credentials for {arn} from the agent ({FULL_URI}, token for {SERVICE})")))
}

pub async fn s3_access(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa) = names(ctx);
    let (_, arn) = association(ctx, &ns, &sa).await?;
    s3_read(ctx, (&ns, &sa, &arn), &S3Lab { folder: FOLDER, policy: format!("{}-s3-read", role_for(ctx, &sa)) }).await
}
