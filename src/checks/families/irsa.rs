//! IRSA: the OIDC provider, the ServiceAccount's role, the role's trust policy, and what the
//! pod identity webhook injected into running pods.

use k8s_openapi::api::core::v1::{Pod, ServiceAccount};
use kube::Api;
use kube::api::ListParams;

use crate::checks::backend::TargetKind;
use crate::checks::context::{Ctx, kube_call, timed};
use crate::checks::outcome::{Outcome, Step, aws_code, aws_error, error, fail, pass, warn};
use crate::iam::policy::{self as iam_policy, issuer_host_path, role_account, role_name};

use super::identity::ROLE_ANNOTATION;
pub const AUDIENCE: &str = "sts.amazonaws.com";
pub const TOKEN_FILE: &str = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";

/// The cluster's OIDC issuer (`https://...`), from `DescribeCluster`.
async fn issuer(ctx: &Ctx<'_>) -> Step<String> {
    let cluster = super::cluster::describe(ctx).await?;
    let name = ctx.cluster();
    cluster.identity.and_then(|i| i.oidc?.issuer).ok_or_else(|| {
        fail(format!("cluster {name} has no OIDC issuer")).found_expected("no issuer", "an OIDC issuer URL").next(format!(
            "EKS gives every cluster an issuer once it is ACTIVE: aws eks wait cluster-active --name {name}{}, then check again",
            super::common::region_flag(ctx)
        ))
    })
}

/// The ARN of the provider for an issuer, when it exists.
async fn provider_arn(ctx: &Ctx<'_>, issuer: &str) -> Step<Option<String>> {
    let aws = ctx.aws()?;
    let host_path = issuer_host_path(issuer);
    let out = timed("iam:ListOpenIDConnectProviders", aws.iam.list_open_id_connect_providers().send()).await?;
    let list = out.map_err(|e| aws_error(&e, "iam:ListOpenIDConnectProviders"))?;
    Ok(list
        .open_id_connect_provider_list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.arn)
        .find(|arn| arn.split_once(":oidc-provider/").is_some_and(|(_, hp)| hp == host_path)))
}

pub async fn oidc_provider(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let issuer = issuer(ctx).await?;
    let Some(arn) = provider_arn(ctx, &issuer).await? else {
        return Ok(fail(format!("No IAM OIDC provider for {issuer}: `iam.withOIDC: true` or `eksctl utils associate-iam-oidc-provider --approve`"))
            .found_expected("no provider", format!("oidc-provider/{}", issuer_host_path(&issuer)))
            .next(format!("eksctl utils associate-iam-oidc-provider --cluster {}{} --approve", ctx.cluster(), super::common::region_flag(ctx))));
    };
    let out = timed("iam:GetOpenIDConnectProvider", aws.iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send()).await?;
    let provider = out.map_err(|e| aws_error(&e, "iam:GetOpenIDConnectProvider"))?;
    let audiences = provider.client_id_list.unwrap_or_default();
    if !audiences.iter().any(|a| a == AUDIENCE) {
        return Ok(fail(format!("audiences [{}] lack {AUDIENCE}", audiences.join(", ")))
            .found_expected(if audiences.is_empty() { "no audiences".to_string() } else { audiences.join(", ") }, AUDIENCE)
            .next(format!("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} --client-id {AUDIENCE}")));
    }
    Ok(pass(format!("IAM OIDC provider {arn} trusts {AUDIENCE}")))
}

/// The role ARN the ServiceAccount names, or the learner's fail.
async fn annotated_role(ctx: &Ctx<'_>) -> Step<(String, String, String)> {
    let ns = ctx.text("namespace", "appNs", "default");
    let sa = ctx.text("serviceAccount", "irsaSa", "default");
    let api: Api<ServiceAccount> = Api::namespaced(ctx.kube()?.clone(), &ns);
    let Some(obj) = kube_call(&format!("get serviceaccount {ns}/{sa}"), api.get_opt(&sa)).await? else {
        return Err(fail(format!("ServiceAccount {ns}/{sa} not found")).found_expected("no ServiceAccount", format!("{ns}/{sa}")).next(format!(
            "apply the step's ServiceAccount manifest (its solution names the file), or create it: kubectl -n {ns} create serviceaccount {sa}; then {}",
            annotate(ctx, &ns, &sa)
        )));
    };
    let Some(arn) = obj.metadata.annotations.unwrap_or_default().get(ROLE_ANNOTATION).cloned() else {
        return Err(fail(format!("ServiceAccount {ns}/{sa} has no {ROLE_ANNOTATION} annotation"))
            .found_expected("no annotation", format!("{ROLE_ANNOTATION}: arn:aws:iam::<account>:role/<name>"))
            .next(annotate(ctx, &ns, &sa)));
    };
    Ok((ns, sa, arn))
}

pub async fn sa_annotation(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa, arn) = annotated_role(ctx).await?;
    let Some(name) = role_name(&arn) else {
        return Ok(fail(format!("{ROLE_ANNOTATION} is not a role ARN: {arn}"))
            .found_expected(&arn, "arn:aws:iam::<12-digit account>:role/<name>")
            .next(annotate(ctx, &ns, &sa)));
    };
    let Some(aws) = ctx.backend.aws.as_ref() else {
        return Ok(pass(format!("ServiceAccount {ns}/{sa} names role {arn} (not looked up: no AWS on this target)")));
    };
    let out = timed("iam:GetRole", aws.iam.get_role().role_name(name).send()).await?;
    match out {
        Ok(_) => Ok(pass(format!("ServiceAccount {ns}/{sa} names role {arn}, which exists"))),
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
            Ok(fail(format!("role {arn}: NoSuchEntity (create it, or fix the annotation)")).found_expected("no such role", &arn).next(no_role(&ns, &sa, &arn)))
        }
        Err(e) => Err(aws_error(&e, "iam:GetRole")),
    }
}

pub async fn trust_policy(ctx: &Ctx<'_>) -> Step<Outcome> {
    let aws = ctx.aws()?;
    let (ns, sa, arn) = annotated_role(ctx).await?;
    let Some(name) = role_name(&arn) else {
        return Ok(fail(format!("{ROLE_ANNOTATION} is not a role ARN: {arn}")).found_expected(&arn, "a role ARN").next(annotate(ctx, &ns, &sa)));
    };
    let out = timed("iam:GetRole", aws.iam.get_role().role_name(name).send()).await?;
    let role = match out {
        Ok(o) => o.role.ok_or_else(|| error("iam:GetRole returned no role"))?,
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
            return Ok(fail(format!("role {arn} does not exist")).found_expected("no such role", &arn).next(no_role(&ns, &sa, &arn)));
        }
        Err(e) => return Err(aws_error(&e, "iam:GetRole")),
    };
    let doc = role.assume_role_policy_document.unwrap_or_default();
    let policy = iam_policy::parse(&doc).map_err(|e| error(format!("the checker could not read the trust policy of {name}: {e}")))?;
    let issuer = issuer(ctx).await?;
    let host_path = issuer_host_path(&issuer);
    let partition = iam_policy::partition(&arn).unwrap_or("aws");
    let account = role_account(&arn).unwrap_or_default();
    let expected_provider = format!("arn:{partition}:iam::{account}:oidc-provider/{host_path}");
    let subject = format!("system:serviceaccount:{ns}:{sa}");

    let web_identity: Vec<_> = policy.statements.iter().filter(|s| s.allows_action("sts:AssumeRoleWithWebIdentity")).collect();
    if web_identity.is_empty() {
        return Ok(fail(format!("role {name} has no Allow statement for sts:AssumeRoleWithWebIdentity"))
            .found_expected("no web identity statement", "Action sts:AssumeRoleWithWebIdentity")
            .next(trust_fix(ctx, &ns, &sa, name)));
    }
    let Some(stmt) = web_identity.iter().find(|s| s.principal("Federated").contains(&expected_provider.as_str())) else {
        let found = web_identity.iter().flat_map(|s| s.principal("Federated")).collect::<Vec<_>>().join(", ");
        return Ok(fail(format!("Federated {found} ≠ this cluster's provider {expected_provider} (role built for another cluster)"))
            .found_expected(found, &expected_provider)
            .next(trust_fix(ctx, &ns, &sa, name)));
    };
    let sub = stmt.conditions_on(&format!("{host_path}:sub"));
    let aud = stmt.conditions_on(&format!("{host_path}:aud"));
    if let Some(c) = aud.iter().find(|c| c.is_string_match())
        && !c.accepts(AUDIENCE)
    {
        return Ok(fail(format!("aud {}, expected {AUDIENCE}", c.values.join(", ")))
            .found_expected(c.values.join(", "), AUDIENCE)
            .next(trust_fix(ctx, &ns, &sa, name)));
    }
    let Some(sub_cond) = sub.iter().find(|c| c.is_string_match()) else {
        return Ok(warn(format!("no {host_path}:sub condition: every ServiceAccount in the cluster can assume {name}")));
    };
    if !sub_cond.accepts(&subject) {
        return Ok(fail(format!("sub {} ≠ {subject}", sub_cond.values.join(", ")))
            .found_expected(sub_cond.values.join(", "), &subject)
            .next(trust_fix(ctx, &ns, &sa, name)));
    }
    if aud.is_empty() {
        return Ok(warn(format!("trusts {subject} but sets no :aud condition (expected {AUDIENCE})")));
    }
    Ok(pass(format!("role {name} trusts exactly {subject} through {expected_provider}")))
}

/// The running pods of `ns` that use ServiceAccount `sa`, or the learner's fail naming what
/// runs instead and how to deploy the lab's app (`folder/app.yaml`).
pub(super) async fn running_pods_of(ctx: &Ctx<'_>, ns: &str, sa: &str, folder: &str) -> Step<Vec<Pod>> {
    let pods: Api<Pod> = Api::namespaced(ctx.kube()?.clone(), ns);
    let list = kube_call(&format!("list pods in {ns}"), pods.list(&ListParams::default())).await?;
    let running: Vec<&Pod> = list
        .items
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    let using: Vec<Pod> =
        running.iter().filter(|p| p.spec.as_ref().and_then(|s| s.service_account_name.as_deref()) == Some(sa)).map(|p| (*p).clone()).collect();
    if using.is_empty() {
        let others: Vec<String> = running.iter().filter_map(|p| p.spec.as_ref()?.service_account_name.clone()).collect();
        let found = if others.is_empty() { "no running pod".to_string() } else { format!("pods use SA {}", others.join(", ")) };
        return Err(fail(format!("no running pod in {ns} uses ServiceAccount {sa} (set spec.serviceAccountName)"))
            .found_expected(found, format!("serviceAccountName: {sa}"))
            .next(deploy_with(ns, sa, &running, folder)));
    }
    Ok(using)
}

/// Every container's env of a pod, by name (`value`, empty when it comes from elsewhere).
pub(super) fn pod_env(pod: &Pod) -> Vec<(String, String)> {
    pod.spec.iter().flat_map(|s| &s.containers).flat_map(|c| c.env.clone().unwrap_or_default()).map(|e| (e.name, e.value.unwrap_or_default())).collect()
}

pub async fn pod_injection(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa, arn) = annotated_role(ctx).await?;
    let using = running_pods_of(ctx, &ns, &sa, "irsa-s3").await?;
    let local = matches!(ctx.kind(), Some(TargetKind::Kind | TargetKind::Kwok));
    for pod in &using {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let spec = pod.spec.as_ref().expect("filtered on spec");
        let env = pod_env(pod);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some() && get("AWS_ROLE_ARN").is_none() {
            return Ok(fail(format!("pod {name} uses EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI); this exercise requires IRSA"))
                .found_expected("EKS Pod Identity credentials", format!("IRSA: AWS_ROLE_ARN={arn}"))
                .next(format!(
                    "this lab builds IRSA by hand, so remove the Pod Identity association: aws eks delete-pod-identity-association --cluster-name {cluster}{region} --association-id $(aws eks list-pod-identity-associations --cluster-name {cluster}{region} --namespace {ns} --service-account {sa} --query 'associations[0].associationId' --output text); then {}",
                    restart(pod),
                    cluster = ctx.cluster(),
                    region = super::common::region_flag(ctx)
                )));
        }
        let Some(role) = get("AWS_ROLE_ARN") else {
            if local {
                return Ok(warn(format!(
                    "pod {name} has no AWS_ROLE_ARN: a {} cluster has no pod identity webhook to inject it",
                    if ctx.kind() == Some(TargetKind::Kind) { "kind" } else { "kwok" }
                )));
            }
            let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default();
            return Ok(fail(format!("pod {name} lacks AWS_ROLE_ARN: created {created} before the annotation, kubectl rollout restart"))
                .found_expected("no AWS_ROLE_ARN", &arn)
                .next(format!("the webhook injects it only into new pods: {}", restart(pod))));
        };
        if role != arn {
            return Ok(fail(format!("pod {name}: AWS_ROLE_ARN {role} ≠ {arn}: restart the pods after changing the annotation"))
                .found_expected(role, &arn)
                .next(restart(pod)));
        }
        if get("AWS_WEB_IDENTITY_TOKEN_FILE").as_deref() != Some(TOKEN_FILE) {
            return Ok(fail(format!("pod {name}: AWS_WEB_IDENTITY_TOKEN_FILE is not {TOKEN_FILE}"))
                .found_expected(get("AWS_WEB_IDENTITY_TOKEN_FILE").unwrap_or_else(|| "unset".into()), TOKEN_FILE)
                .next(format!(
                    "the pod identity webhook sets it: remove any AWS_WEB_IDENTITY_TOKEN_FILE of your own from the pod template, apply it, then {}",
                    restart(pod)
                )));
        }
        let audience = spec.volumes.as_ref().and_then(|vs| {
            vs.iter()
                .find(|v| v.name == "aws-iam-token")
                .and_then(|v| v.projected.as_ref()?.sources.as_ref()?.iter().find_map(|s| s.service_account_token.as_ref()?.audience.clone()))
        });
        match audience {
            Some(a) if a == AUDIENCE => {}
            Some(a) => {
                return Ok(fail(format!("pod {name}: token audience {a}")).found_expected(a, AUDIENCE).next(format!(
                    "the webhook requests {AUDIENCE} unless the ServiceAccount sets eks.amazonaws.com/audience: kubectl -n {ns} annotate serviceaccount {sa} eks.amazonaws.com/audience- (and drop any aws-iam-token volume of your own from the pod template), then {}",
                    restart(pod)
                )));
            }
            None => {
                return Ok(fail(format!("pod {name} has no projected aws-iam-token volume"))
                    .found_expected("no token volume", "projected aws-iam-token")
                    .next(format!("the webhook adds it only to pods created after the annotation: {}", restart(pod))));
            }
        }
    }
    Ok(pass(format!("running pods of {ns}/{sa} carry AWS_ROLE_ARN={arn} and a web identity token for {AUDIENCE}")))
}

/// What the app's own log says: the lab marker, or the first credential error.
enum AppLog {
    Marker,
    Problem(String),
    /// Neither the marker nor an error in the log of this pod.
    Silent(String),
    /// No running pod uses the ServiceAccount: the app is not deployed.
    NoPod,
    Unreadable(String),
}

async fn app_log(ctx: &Ctx<'_>, ns: &str, sa: &str, marker: &str) -> Step<AppLog> {
    let pods: Api<Pod> = Api::namespaced(ctx.kube()?.clone(), ns);
    let list = kube_call(&format!("list pods in {ns}"), pods.list(&ListParams::default())).await?;
    let running: Vec<String> = list
        .items
        .iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.service_account_name.as_deref()) == Some(sa))
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    let Some(pod) = running.first() else { return Ok(AppLog::NoPod) };
    let params = kube::api::LogParams { tail_lines: Some(200), ..Default::default() };
    let text = match timed("read pod logs", pods.logs(pod, &params)).await? {
        Ok(t) => t,
        Err(e) => return Ok(AppLog::Unreadable(format!("logs of {pod}: {}", crate::kube_text::error(&e)))),
    };
    // the newest line that says how it went wins: an old error before the fix does not count
    let last = text.lines().rev().find(|l| l.contains(marker) || l.contains("AccessDenied") || l.contains("InvalidIdentityToken"));
    Ok(match last {
        Some(l) if l.contains(marker) => AppLog::Marker,
        Some(l) => AppLog::Problem(l.trim().to_string()),
        None => AppLog::Silent(pod.clone()),
    })
}

/// Where to look when the app printed nothing yet.
fn read_app_log(ns: &str, pod: &str) -> String {
    format!("read what the app prints instead (a round runs every 30 s): kubectl -n {ns} logs {pod} --tail=50")
}

/// The app logged a credential error: the most precise evidence there is.
fn log_problem(ctx: &Ctx<'_>, (ns, sa, arn, bucket): (&str, &str, &str, &str), line: &str, marker: &str) -> Outcome {
    fail(format!("app log: {line}")).found_expected(line, marker).next(app_problem(ctx, ns, sa, arn, bucket, line))
}

/// What the app's own error points at (the lab's diagnosis table).
fn app_problem(ctx: &Ctx<'_>, ns: &str, sa: &str, arn: &str, bucket: &str, line: &str) -> String {
    if line.contains("InvalidIdentityToken") && line.contains("audience") {
        format!(
            "the IAM OIDC provider lacks the client ID {AUDIENCE}: aws iam add-client-id-to-open-id-connect-provider --client-id {AUDIENCE} --open-id-connect-provider-arn <this cluster's provider, from aws iam list-open-id-connect-providers>"
        )
    } else if line.contains("InvalidIdentityToken") {
        format!(
            "IAM has no OIDC provider for this cluster's issuer: eksctl utils associate-iam-oidc-provider --cluster {}{} --approve (it registers {AUDIENCE} as client ID)",
            ctx.cluster(),
            super::common::region_flag(ctx)
        )
    } else if line.contains("AssumeRoleWithWebIdentity") {
        trust_fix(ctx, ns, sa, role_name(arn).unwrap_or(arn))
    } else {
        format!(
            "see which read the role lacks, then fix the Resource of that statement: aws iam simulate-principal-policy --policy-source-arn {arn} --action-names s3:ListBucket s3:GetObject --resource-arns 'arn:aws:s3:::{bucket}' 'arn:aws:s3:::{bucket}/*' --query 'EvaluationResults[].[EvalActionName,EvalResourceName,EvalDecision]' --output table"
        )
    }
}

fn no_pod(ns: &str, sa: &str, folder: &str) -> Outcome {
    fail(format!("no running pod in {ns} uses ServiceAccount {sa}: deploy the app"))
        .found_expected("no running pod", format!("serviceAccountName: {sa}"))
        .next(deploy_with(ns, sa, &[], folder))
}

/// Point a ServiceAccount at its role by the role's full ARN; the labs name the role
/// `<cluster>-<ServiceAccount>`.
fn annotate(ctx: &Ctx<'_>, ns: &str, sa: &str) -> String {
    format!(
        "annotate it with the role's full ARN: kubectl -n {ns} annotate serviceaccount {sa} --overwrite {ROLE_ANNOTATION}=$(aws iam get-role --role-name {}-{sa} --query Role.Arn --output text)",
        ctx.cluster()
    )
}

/// A ServiceAccount naming a role that does not exist.
fn no_role(ns: &str, sa: &str, arn: &str) -> String {
    let name = role_name(arn).unwrap_or(arn);
    format!(
        "create role {name} as this step's solution shows; or, if the role has another name (aws iam list-roles --query 'Roles[].RoleName' --output text lists them), point the ServiceAccount at it: kubectl -n {ns} annotate serviceaccount {sa} --overwrite {ROLE_ANNOTATION}=$(aws iam get-role --role-name <that name> --query Role.Arn --output text)"
    )
}

/// A trust policy for exactly one ServiceAccount of this cluster, rendered by the IRSA lab's
/// script and applied to the role.
fn trust_fix(ctx: &Ctx<'_>, ns: &str, sa: &str, role: &str) -> String {
    let region = super::common::region(ctx).unwrap_or_default();
    format!(
        "trust exactly {ns}/{sa} of this cluster's provider: CLUSTER={} REGION={region} NS={ns} SA={sa} ./irsa-s3/render-trust-policy.sh > /tmp/trust-policy.json && aws iam update-assume-role-policy --role-name {role} --policy-document file:///tmp/trust-policy.json",
        ctx.cluster()
    )
}

/// The lab's bucket create command for the checker's region (us-east-1 takes no location
/// constraint).
fn create_bucket(ctx: &Ctx<'_>, bucket: &str) -> String {
    let region = super::common::region(ctx).unwrap_or_default();
    match region.as_str() {
        "" => format!("aws s3api create-bucket --bucket {bucket}"),
        "us-east-1" => format!("aws s3api create-bucket --bucket {bucket} --region us-east-1"),
        r => format!("aws s3api create-bucket --bucket {bucket} --region {r} --create-bucket-configuration LocationConstraint={r}"),
    }
}

/// Run the app as the ServiceAccount: when the running pods of the namespace belong to one
/// Deployment (which runs as another ServiceAccount), switch that one.
pub(super) fn deploy_with(ns: &str, sa: &str, running: &[&Pod], folder: &str) -> String {
    let mut apps: Vec<String> = running.iter().filter_map(|p| deployment_of(p)).collect();
    apps.sort();
    apps.dedup();
    match apps.as_slice() {
        [app] => format!("run the app as {sa}: kubectl -n {ns} set serviceaccount deployment/{app} {sa}"),
        _ => format!(
            "deploy the app with spec.template.spec.serviceAccountName: {sa} (the lab's is kubectl apply -f {folder}/app.yaml), then: kubectl -n {ns} get pods -o custom-columns=NAME:.metadata.name,SA:.spec.serviceAccountName,PHASE:.status.phase"
        ),
    }
}

/// The Deployment a pod belongs to: its ReplicaSet's name without the pod-template hash.
fn deployment_of(pod: &Pod) -> Option<String> {
    let rs = pod.metadata.owner_references.as_ref()?.iter().find(|r| r.controller == Some(true) && r.kind == "ReplicaSet")?;
    match pod.metadata.labels.as_ref().and_then(|l| l.get("pod-template-hash")) {
        Some(hash) => rs.name.strip_suffix(&format!("-{hash}")).map(str::to_string),
        None => rs.name.rsplit_once('-').map(|(d, _)| d.to_string()),
    }
}

/// New pods for a pod's workload: a Deployment's rollout, else the pod itself.
pub(super) fn restart(pod: &Pod) -> String {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let name = pod.metadata.name.clone().unwrap_or_default();
    if let Some(deployment) = deployment_of(pod) {
        return format!("kubectl -n {ns} rollout restart deployment/{deployment}");
    }
    match pod.metadata.owner_references.as_ref().and_then(|o| o.iter().find(|r| r.controller == Some(true))) {
        Some(o) => format!("kubectl -n {ns} delete pod {name} (its {} {} makes a new one)", o.kind, o.name),
        None => format!("recreate pod {ns}/{name} (kubectl -n {ns} delete pod {name}, then apply its manifest again): no controller replaces it"),
    }
}

pub async fn s3_access(ctx: &Ctx<'_>) -> Step<Outcome> {
    let (ns, sa, arn) = annotated_role(ctx).await?;
    s3_read(ctx, (&ns, &sa, &arn), &S3Lab { folder: "irsa-s3", policy: format!("{}-s3-reader", ctx.cluster()) }).await
}

/// What the S3 messages of a lab name: its folder (`FOLDER/s3-read-policy.json`,
/// `FOLDER/hello.txt`, `FOLDER/app.yaml`) and its read policy's name.
pub(super) struct S3Lab<'a> {
    pub folder: &'a str,
    pub policy: String,
}

/// The role `arn` of `ns/sa` may read the bucket, and the app running as `sa` did.
pub(super) async fn s3_read(ctx: &Ctx<'_>, (ns, sa, arn): (&str, &str, &str), lab: &S3Lab<'_>) -> Step<Outcome> {
    let (ns, sa, arn, folder) = (ns.to_string(), sa.to_string(), arn.to_string(), lab.folder);
    let bucket = ctx.text("bucket", "bucket", "kubedojo-lab-assets");
    let marker = ctx.text("marker", "marker", "S3_READ_OK");
    let log = app_log(ctx, &ns, &sa, &marker).await?;
    // the app's own error is the most precise evidence; a missing app is reported last
    if let AppLog::Problem(line) = &log {
        return Ok(log_problem(ctx, (&ns, &sa, &arn, &bucket), line, &marker));
    }
    let Some(aws) = ctx.backend.aws.as_ref() else {
        // no AWS: the app's log is all there is
        return Ok(match log {
            AppLog::Marker => pass(format!("the app logged {marker}")),
            AppLog::Silent(pod) => fail(format!("app log has no {marker} yet")).found_expected("no marker", &marker).next(read_app_log(&ns, &pod)),
            AppLog::Unreadable(why) => crate::checks::outcome::skip(format!("needs AWS or the app's log, and neither is available ({why})")),
            AppLog::Problem(line) => log_problem(ctx, (&ns, &sa, &arn, &bucket), &line, &marker),
            AppLog::NoPod => no_pod(&ns, &sa, folder),
        });
    };
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let objects = format!("{bucket_arn}/*");
    let answer = crate::checks::simulate::simulate(aws, &arn, &[("s3:ListBucket", &bucket_arn), ("s3:GetObject", &objects)], &Default::default()).await?;
    if let Some(d) = answer.denied().first() {
        let role = role_name(&arn).unwrap_or(&arn);
        let next = if d.decision == "explicitDeny" {
            format!(
                "an explicit Deny of {} on {} wins over every Allow: remove it from the role's policies (aws iam list-attached-role-policies --role-name {role} and aws iam list-role-policies --role-name {role} list them)",
                d.action, d.resource
            )
        } else {
            let policy = format!("arn:{}:iam::{}:policy/{}", iam_policy::partition(&arn).unwrap_or("aws"), role_account(&arn).unwrap_or_default(), lab.policy);
            format!(
                "allow {} on {} in the role's permissions: put that Resource in {folder}/s3-read-policy.json, then aws iam create-policy-version --policy-arn {policy} --policy-document file://{folder}/s3-read-policy.json --set-as-default; if no policy is attached yet: aws iam attach-role-policy --role-name {role} --policy-arn {policy}",
                d.action, d.resource
            )
        };
        return Ok(fail(format!("{} on {}: {}{}", d.action, d.resource, d.decision, answer.note())).found_expected(d.decision.clone(), "allowed").next(next));
    }
    let head = timed("s3:HeadBucket", aws.s3.head_bucket().bucket(&bucket).send()).await?;
    if let Err(e) = head {
        let status = e.raw_response().map(|r| r.status().as_u16());
        return match status {
            Some(404) => Ok(fail(format!("bucket {bucket} missing")).found_expected("no bucket", &bucket).next(format!(
                "{}, then aws s3 cp {folder}/hello.txt s3://{bucket}/hello.txt (if you made it under another name, set bucket under [vars] in ~/.config/kubedojo/lab.toml)",
                create_bucket(ctx, &bucket)
            ))),
            Some(301) => Ok(fail(format!("bucket {bucket} is in another region than the checker's")).found_expected("a bucket in another region", format!("a bucket in {}", super::common::region(ctx).unwrap_or_else(|| "the checker's region".into()))).next(format!(
                "aws s3api get-bucket-location --bucket {bucket} prints its region: check there (kubedojo check {folder} --aws-region <that region>, or aws_region under [target] in ~/.config/kubedojo/lab.toml); if the bucket is not yours (names are global), make one with a unique name and set bucket under [vars] there"
            ))),
            _ => Err(aws_error(&e, "s3:ListBucket (HeadBucket)")),
        };
    }
    Ok(match log {
        AppLog::Marker => pass(format!("role {arn} may read {bucket}, and the app logged {marker}{}", answer.note())),
        AppLog::Silent(pod) => fail(format!("role {arn} may read {bucket}, but the app log has no {marker} yet: check the app"))
            .found_expected("no marker", &marker)
            .next(read_app_log(&ns, &pod)),
        AppLog::Unreadable(why) => pass(format!("role {arn} may read {bucket}{} (app log not read: {why})", answer.note())),
        AppLog::Problem(line) => log_problem(ctx, (&ns, &sa, &arn, &bucket), &line, &marker),
        AppLog::NoPod => no_pod(&ns, &sa, folder),
    })
}
