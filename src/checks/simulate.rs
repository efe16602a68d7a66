//! May this role do that? `iam:SimulatePrincipalPolicy` answers on AWS (and in the sandbox, its
//! AWS front). Where no simulator answers (a bare emulator), the role's own policies are
//! evaluated here with [`crate::iam::eval`], the evaluator the sandbox's front answers with.

use std::collections::BTreeMap;

use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};

use super::backend::Aws;
use super::context::timed;
use super::outcome::{Step, aws_code, aws_error};
use crate::iam::eval;
use crate::iam::policy::{self as iam_policy, Policy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: String,
    pub resource: String,
    pub allowed: bool,
    /// `allowed`, `implicitDeny` or `explicitDeny`
    pub decision: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub decisions: Vec<Decision>,
    /// Evaluated from the role's policies because the simulator did not answer.
    pub local: bool,
}

impl Answer {
    pub fn denied(&self) -> Vec<&Decision> {
        self.decisions.iter().filter(|d| !d.allowed).collect()
    }

    pub fn note(&self) -> &'static str {
        if self.local { " (evaluated from the role's policies: no policy simulator here)" } else { "" }
    }
}

pub async fn simulate(aws: &Aws, role_arn: &str, checks: &[(&str, &str)], context: &BTreeMap<String, String>) -> Step<Answer> {
    let mut decisions = Vec::new();
    for (action, resource) in checks {
        let mut req = aws.iam.simulate_principal_policy().policy_source_arn(role_arn).action_names(*action).resource_arns(*resource);
        for (k, v) in context {
            req = req.context_entries(ContextEntry::builder().context_key_name(k).context_key_values(v).context_key_type(ContextKeyTypeEnum::String).build());
        }
        match timed("iam:SimulatePrincipalPolicy", req.send()).await? {
            Ok(out) => {
                let r = out.evaluation_results.unwrap_or_default().into_iter().next();
                let decision = r.map_or_else(|| "implicitDeny".to_string(), |r| r.eval_decision.as_str().to_string());
                decisions.push(Decision {
                    action: action.to_string(),
                    resource: resource.to_string(),
                    allowed: decision == PolicyEvaluationDecisionType::Allowed.as_str(),
                    decision,
                });
            }
            Err(e) if matches!(aws_code(&e), Some("AccessDenied" | "AccessDeniedException")) => {
                return Err(aws_error(&e, "iam:SimulatePrincipalPolicy"));
            }
            Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
                return Err(no_role(role_arn));
            }
            // IAM's answer to an ARN that names no role ("Invalid Entity Arn: ...")
            Err(e) if aws_code(&e) == Some("InvalidInput") && iam_policy::role_name(role_arn).is_none() => {
                return Err(not_a_role(role_arn));
            }
            // no simulator (the emulator answers 500 without an error code, or "not implemented"):
            // evaluate the role's policies here; any other failure is the checker's error
            Err(e) if no_simulator(&e) => return evaluate_locally(aws, role_arn, checks, context).await,
            Err(e) => return Err(aws_error(&e, "iam:SimulatePrincipalPolicy")),
        }
    }
    Ok(Answer { decisions, local: false })
}

fn no_simulator<E: aws_sdk_iam::error::ProvideErrorMetadata, R>(e: &aws_sdk_iam::error::SdkError<E, R>) -> bool
where
    R: std::fmt::Debug,
{
    use aws_sdk_iam::error::SdkError;
    match e {
        SdkError::ServiceError(se) => {
            matches!(se.err().code(), None | Some("NotImplemented" | "InvalidAction" | "UnknownOperationException"))
        }
        SdkError::ResponseError(_) => true,
        _ => false,
    }
}

/// The workload's identity names a role that is not there.
fn no_role(role_arn: &str) -> super::outcome::Outcome {
    super::outcome::fail(format!("role {role_arn} does not exist")).found_expected("no such role", role_arn).next(format!(
        "create the role as the step shows, or point the workload at one that exists (aws iam list-roles --query 'Roles[].Arn' lists them); {role_arn} is what it names now"
    ))
}

/// The workload's identity names something other than a role's ARN.
fn not_a_role(role_arn: &str) -> super::outcome::Outcome {
    super::outcome::fail(format!("{role_arn} is not a role ARN"))
        .found_expected(role_arn, "arn:aws:iam::<account>:role/<name>")
        .next("point the workload's identity at the role's full ARN: aws iam get-role --role-name <role> --query Role.Arn --output text prints it")
}

async fn role_policies(aws: &Aws, role_arn: &str) -> Step<Vec<Policy>> {
    let name = iam_policy::role_name(role_arn).ok_or_else(|| not_a_role(role_arn))?;
    let mut docs = Vec::new();
    let attached = timed("iam:ListAttachedRolePolicies", aws.iam.list_attached_role_policies().role_name(name).send()).await?;
    let attached = match attached {
        Ok(a) => a.attached_policies.unwrap_or_default(),
        Err(e) if aws_code(&e) == Some("NoSuchEntity") => {
            return Err(no_role(role_arn));
        }
        Err(e) => return Err(aws_error(&e, "iam:ListAttachedRolePolicies")),
    };
    for p in attached {
        let Some(arn) = p.policy_arn else { continue };
        let policy = timed("iam:GetPolicy", aws.iam.get_policy().policy_arn(&arn).send()).await?.map_err(|e| aws_error(&e, "iam:GetPolicy"))?;
        let version = policy.policy.and_then(|p| p.default_version_id).unwrap_or_else(|| "v1".into());
        let doc = timed("iam:GetPolicyVersion", aws.iam.get_policy_version().policy_arn(&arn).version_id(version).send())
            .await?
            .map_err(|e| aws_error(&e, "iam:GetPolicyVersion"))?
            .policy_version
            .and_then(|v| v.document)
            .unwrap_or_default();
        docs.push(doc);
    }
    let inline =
        timed("iam:ListRolePolicies", aws.iam.list_role_policies().role_name(name).send()).await?.map_err(|e| aws_error(&e, "iam:ListRolePolicies"))?;
    for policy_name in inline.policy_names {
        let doc = timed("iam:GetRolePolicy", aws.iam.get_role_policy().role_name(name).policy_name(&policy_name).send())
            .await?
            .map_err(|e| aws_error(&e, "iam:GetRolePolicy"))?
            .policy_document;
        docs.push(doc);
    }
    docs.iter().map(|d| iam_policy::parse(d).map_err(|e| super::outcome::error(format!("a policy of {role_arn}: {e}")))).collect()
}

async fn evaluate_locally(aws: &Aws, role_arn: &str, checks: &[(&str, &str)], context: &BTreeMap<String, String>) -> Step<Answer> {
    let policies = role_policies(aws, role_arn).await?;
    let decisions = checks.iter().map(|(action, resource)| evaluate(&policies, action, resource, context)).collect();
    Ok(Answer { decisions, local: true })
}

/// Identity-policy evaluation ([`eval::evaluate`]): explicit deny, then allow, else implicit deny.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str, context: &BTreeMap<String, String>) -> Decision {
    let decision = eval::evaluate(policies, action, resource, &eval::Context::from(context)).decision;
    Decision {
        action: action.to_string(),
        resource: resource.to_string(),
        allowed: decision == eval::Decision::Allowed,
        decision: decision.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_and_conditions_need_context() {
        let allow = iam_policy::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#,
        )
        .unwrap();
        let deny = iam_policy::parse(r#"{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}}"#).unwrap();
        let tagged = iam_policy::parse(r#"{"Statement":[{"Effect":"Allow","Action":"autoscaling:SetDesiredCapacity","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/k8s.io/cluster-autoscaler/lab":"owned"}}}]}"#).unwrap();
        let none = BTreeMap::new();
        let policies = vec![allow, deny, tagged];
        assert_eq!(evaluate(&policies, "s3:GetObject", "arn:aws:s3:::b/x", &none).decision, "allowed");
        assert_eq!(evaluate(&policies, "s3:GetObject", "arn:aws:s3:::b/secret/x", &none).decision, "explicitDeny");
        assert_eq!(evaluate(&policies, "s3:PutObject", "arn:aws:s3:::b/x", &none).decision, "implicitDeny");
        assert_eq!(evaluate(&policies, "autoscaling:SetDesiredCapacity", "*", &none).decision, "implicitDeny");
        let ctx = BTreeMap::from([("aws:ResourceTag/k8s.io/cluster-autoscaler/lab".to_string(), "owned".to_string())]);
        assert_eq!(evaluate(&policies, "autoscaling:SetDesiredCapacity", "*", &ctx).decision, "allowed");
    }
}
