//! AWS for a host program that calls it (`aws = true` in `programs.toml`): the sandbox's AWS
//! endpoint and region, and the credentials its pod would get on EKS. A pod's credentials come
//! from its ServiceAccount: a Pod Identity association (the agent on 169.254.170.23 hands out the
//! association's role) or IRSA (the SDK exchanges the projected token for the annotated role).
//! Neither address nor file exists for a host process, so the supervisor does that exchange
//! itself: it finds the role the same way (the association in the sandbox's EKS, else the
//! `AWS_ROLE_ARN` the webhook injected), assumes it in the emulator with sts:AssumeRole, and
//! hands the program the session's keys. With no association and no IRSA role the program
//! gets no credentials: on EKS, with the instance metadata hop limit of 1 the course sets, a
//! pod cannot borrow the node's role either.
//!
//! How it differs: the credentials are fetched once, when the program starts (EKS's expire and
//! are refreshed: the emulator does not expire them); a Pod Identity association made after
//! the program started is seen only when its pod is replaced (on EKS too: the webhook injects
//! the agent's env into new pods only).

use crate::sandbox::shell::REGION;

/// The variables a pod's AWS SDK reads that point at what a host process cannot reach.
const POD_ONLY: &[&str] =
    &["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME"];

/// The program's AWS variables in place of the pod's, and a note for its log.
pub struct Access {
    pub env: Vec<(String, String)>,
    pub note: String,
}

/// Whether a variable is one of the pod's that only work inside a pod.
pub fn pod_only(name: &str) -> bool {
    POD_ONLY.contains(&name)
}

/// AWS for the program of the pod `namespace/pod` running as `service_account`, whose
/// container env is `env`; `endpoint` is the sandbox's AWS front.
pub async fn access(endpoint: &str, namespace: &str, service_account: &str, pod: &str, env: &[(String, String)]) -> Result<Access, String> {
    let config = crate::sandbox::aws::sdk_config(endpoint, REGION).await;
    let mut vars = vec![
        ("AWS_ENDPOINT_URL".to_string(), endpoint.to_string()),
        ("AWS_REGION".to_string(), REGION.to_string()),
        ("AWS_DEFAULT_REGION".to_string(), REGION.to_string()),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
    ];
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (role, how) = if get("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some() {
        match association_role(&config, namespace, service_account).await? {
            Some(role) => (role, "its Pod Identity association"),
            None => {
                return Ok(Access {
                    env: vars,
                    note: format!("the pod has the Pod Identity env, but no association for {namespace}/{service_account} exists any more: no AWS credentials"),
                });
            }
        }
    } else if let Some(role) = get("AWS_ROLE_ARN") {
        (role, "its IRSA role (eks.amazonaws.com/role-arn)")
    } else {
        return Ok(Access {
            env: vars,
            note: format!(
                "no Pod Identity association or IRSA role for ServiceAccount {namespace}/{service_account}: the program has no AWS credentials (on EKS, with the instance metadata hop limit of 1, its pod could not use the node's role either)"
            ),
        });
    };
    let sts = aws_sdk_sts::Client::new(&config);
    let session = format!("eks-{pod}").chars().filter(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(*c)).take(64).collect::<String>();
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), sts.assume_role().role_arn(&role).role_session_name(&session).send())
        .await
        .map_err(|_| format!("sts:AssumeRole {role}: no answer from the sandbox's AWS within 10 s"))?
        .map_err(|e| format!("sts:AssumeRole {role}: {}", aws_sdk_sts::error::DisplayErrorContext(&e)))?;
    let c = out.credentials.ok_or_else(|| format!("sts:AssumeRole {role} returned no credentials"))?;
    vars.push(("AWS_ACCESS_KEY_ID".into(), c.access_key_id));
    vars.push(("AWS_SECRET_ACCESS_KEY".into(), c.secret_access_key));
    vars.push(("AWS_SESSION_TOKEN".into(), c.session_token));
    Ok(Access { env: vars, note: format!("AWS: the sandbox's endpoint {endpoint}, as role {role} ({how})") })
}

/// The role of the Pod Identity association for `namespace/service_account`, in any cluster
/// of the sandbox's EKS (it has one Kubernetes cluster).
async fn association_role(config: &aws_config::SdkConfig, namespace: &str, service_account: &str) -> Result<Option<String>, String> {
    let eks = aws_sdk_eks::Client::new(config);
    let err = |what: &str, e: String| format!("{what} in the sandbox's EKS: {e}");
    let clusters = eks.list_clusters().send().await.map_err(|e| err("ListClusters", aws_sdk_eks::error::DisplayErrorContext(&e).to_string()))?;
    for cluster in clusters.clusters() {
        let list = eks
            .list_pod_identity_associations()
            .cluster_name(cluster)
            .namespace(namespace)
            .service_account(service_account)
            .send()
            .await
            .map_err(|e| err("ListPodIdentityAssociations", aws_sdk_eks::error::DisplayErrorContext(&e).to_string()))?;
        for a in list.associations() {
            let Some(id) = a.association_id() else { continue };
            let one = eks
                .describe_pod_identity_association()
                .cluster_name(cluster)
                .association_id(id)
                .send()
                .await
                .map_err(|e| err("DescribePodIdentityAssociation", aws_sdk_eks::error::DisplayErrorContext(&e).to_string()))?;
            if let Some(role) = one.association().and_then(|a| a.role_arn()) {
                return Ok(Some(role.to_string()));
            }
        }
    }
    Ok(None)
}
