//! The policies of the simulated principal, read from the emulator's IAM over HTTP as a client
//! would: a role's (or user's, or group's) attached managed policies at their default version
//! (List{Kind}AttachedPolicies, GetPolicy, GetPolicyVersion) and its inline policies
//! (List{Kind}Policies, Get{Kind}Policy); a user's groups' too (ListGroupsForUser), as the API
//! reference says of PolicySourceArn ("If you specify a user, the simulation also includes all
//! policies that are attached to any groups the user belongs to").

use axum::http::{HeaderMap, Method};

use super::render::IamError;
use crate::iam::policy::{self, Policy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Role,
    User,
    Group,
}

impl Kind {
    /// As IAM's actions and parameters name it (`GetRole`, `RoleName`).
    fn api(self) -> &'static str {
        match self {
            Kind::Role => "Role",
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// As a SourcePolicyType names its inline policies (`PolicySourceType`: user, group, role).
    fn inline(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: Kind,
    pub name: String,
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` (or `user/`, `group/`) -> its kind and name; None
/// for any other ARN (an assumed-role session's, a policy's).
pub fn principal(arn: &str) -> Option<Principal> {
    let mut parts = arn.strip_prefix("arn:")?.splitn(5, ':');
    let (_partition, service, region, account, resource) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "iam" || !region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (kind, rest) = resource.split_once('/')?;
    let kind = match kind {
        "role" => Kind::Role,
        "user" => Kind::User,
        "group" => Kind::Group,
        _ => return None,
    };
    let name = rest.rsplit('/').next().filter(|n| !n.is_empty())?;
    Some(Principal { kind, name: name.to_string() })
}

/// One policy in the simulation and how the simulator names it (SourcePolicyId, SourcePolicyType).
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub kind: &'static str,
    pub policy: Policy,
}

/// The principal's policies; NoSuchEntity when the emulator has no such principal, in the
/// message AWS gives ("The role with name NAME cannot be found.", as IAM answers for a missing
/// role: prowler-cloud/prowler#2872 quotes it; the emulator words users and groups so too).
pub(in crate::sandbox::front) async fn policies(front: &super::super::Shared, headers: &HeaderMap, who: &Principal) -> Result<Vec<Source>, IamError> {
    let k = who.kind.api();
    let name_param = format!("{k}Name");
    let exists = call(front, headers, &format!("Get{k}"), &[(&name_param, &who.name)]).await?;
    if exists.is_none() {
        return Err(IamError::no_such_entity(format!("The {} with name {} cannot be found.", who.kind.inline(), who.name)));
    }
    let mut out = own_policies(front, headers, who).await?;
    if who.kind == Kind::User {
        let groups = call(front, headers, "ListGroupsForUser", &[("UserName", &who.name), ("MaxItems", "1000")]).await?.unwrap_or_default();
        for group in texts(&groups, "GroupName") {
            out.extend(own_policies(front, headers, &Principal { kind: Kind::Group, name: group }).await?);
        }
    }
    Ok(out)
}

async fn own_policies(front: &super::super::Shared, headers: &HeaderMap, who: &Principal) -> Result<Vec<Source>, IamError> {
    let k = who.kind.api();
    let name_param = format!("{k}Name");
    let by_name = [(name_param.as_str(), who.name.as_str()), ("MaxItems", "1000")];
    let mut out = Vec::new();
    let attached = call(front, headers, &format!("ListAttached{k}Policies"), &by_name).await?.unwrap_or_default();
    for arn in texts(&attached, "PolicyArn") {
        let got = call(front, headers, "GetPolicy", &[("PolicyArn", &arn)]).await?.unwrap_or_default();
        let version = texts(&got, "DefaultVersionId").into_iter().next().unwrap_or_else(|| "v1".into());
        let got = call(front, headers, "GetPolicyVersion", &[("PolicyArn", &arn), ("VersionId", &version)]).await?.unwrap_or_default();
        let document = texts(&got, "Document").into_iter().next().unwrap_or_default();
        // an AWS managed policy's ARN has `aws` for its account (arn:aws:iam::aws:policy/...)
        let kind = if arn.split(':').nth(4) == Some("aws") { "aws-managed" } else { "user-managed" };
        let id = arn.rsplit('/').next().unwrap_or(&arn).to_string();
        out.push(Source { policy: read(&document, &id, who)?, id, kind });
    }
    let inline = call(front, headers, &format!("List{k}Policies"), &by_name).await?.unwrap_or_default();
    for policy_name in texts(&inline, "member") {
        let got = call(front, headers, &format!("Get{k}Policy"), &[(&name_param, &who.name), ("PolicyName", &policy_name)]).await?.unwrap_or_default();
        let document = texts(&got, "PolicyDocument").into_iter().next().unwrap_or_default();
        out.push(Source { policy: read(&document, &policy_name, who)?, id: policy_name, kind: who.kind.inline() });
    }
    Ok(out)
}

fn read(document: &str, id: &str, who: &Principal) -> Result<Policy, IamError> {
    policy::parse(document).map_err(|e| {
        IamError::service_failure(format!(
            "policy {id} of {} {} cannot be simulated: {e}; fix the document (aws iam get-policy-version or get-{}-policy shows it)",
            who.kind.inline(),
            who.name,
            who.kind.inline()
        ))
    })
}

/// One IAM query to the emulator, signed as the caller's request was (the emulator reads the
/// account from the access key and does not check signatures). Some(body) when it answered
/// 2xx, None for a 404 (NoSuchEntity), an error for anything else.
async fn call(front: &super::super::Shared, headers: &HeaderMap, action: &str, params: &[(&str, &str)]) -> Result<Option<String>, IamError> {
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let mut body = format!("Action={action}&Version=2010-05-08");
    for (k, v) in params {
        body.push_str(&format!("&{k}={}", enc(v)));
    }
    let headers = super::super::cluster::rescoped(headers, "iam").ok_or_else(|| {
        IamError::invalid_input("the request is not signed (no Authorization header): sign it with SigV4 for service iam, as the AWS CLI and SDKs do".into())
    })?;
    let r = super::super::send(front, &Method::POST, "/", &headers, axum::body::Bytes::from(body)).await.map_err(|e| {
        IamError::service_failure(format!(
            "the sandbox's AWS emulator at {} does not answer ({e}); start the sandbox again with `kubedojo sandbox up`",
            front.emulator
        ))
    })?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        let message = texts(&text, "Message").into_iter().next().unwrap_or_else(|| text.chars().take(200).collect());
        return Err(IamError::service_failure(format!(
            "the sandbox's AWS emulator answered iam:{action} with HTTP {status} ({message}) while reading the principal's policies; `kubedojo sandbox status` shows whether it is healthy"
        )));
    }
    Ok(Some(text))
}

/// The texts of every element named `tag` in `xml` (namespaces aside), entities decoded.
pub fn texts(xml: &str, tag: &str) -> Vec<String> {
    let Ok(doc) = roxmltree::Document::parse(xml) else { return Vec::new() };
    doc.descendants().filter(|n| n.has_tag_name(tag)).map(|n| n.text().unwrap_or_default().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_from_arns() {
        assert_eq!(principal("arn:aws:iam::123456789012:role/team/s3-reader"), Some(Principal { kind: Kind::Role, name: "s3-reader".into() }));
        assert_eq!(principal("arn:aws:iam::123456789012:user/ana"), Some(Principal { kind: Kind::User, name: "ana".into() }));
        assert_eq!(principal("arn:aws-cn:iam::123456789012:group/devs"), Some(Principal { kind: Kind::Group, name: "devs".into() }));
        assert_eq!(principal("arn:aws:sts::123456789012:assumed-role/r/s"), None);
        assert_eq!(principal("arn:aws:iam::123456789012:policy/p"), None);
        assert_eq!(principal("arn:aws:iam::1234:role/r"), None);
        assert_eq!(principal("s3-reader"), None);
    }

    #[test]
    fn the_emulators_answers_are_read() {
        // moto 5.2.5's ListAttachedRolePolicies and GetRolePolicy answers (AWS's shapes)
        let attached = r#"<ListAttachedRolePoliciesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListAttachedRolePoliciesResult><AttachedPolicies><member><PolicyName>p</PolicyName><PolicyArn>arn:aws:iam::123456789012:policy/p</PolicyArn></member></AttachedPolicies><IsTruncated>false</IsTruncated></ListAttachedRolePoliciesResult></ListAttachedRolePoliciesResponse>"#;
        assert_eq!(texts(attached, "PolicyArn"), ["arn:aws:iam::123456789012:policy/p"]);
        let inline = r#"<GetRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRolePolicyResult><PolicyDocument>{&quot;Statement&quot;: []}</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>"#;
        assert_eq!(texts(inline, "PolicyDocument"), [r#"{"Statement": []}"#]);
        assert!(texts("not xml", "PolicyArn").is_empty());
    }
}
