//! `iam:SimulatePrincipalPolicy`, which the emulator answers with HTTP 500 (moto 5.2.5 has no
//! policy simulator): the principal's identity policies, read from the emulator
//! ([`principal`]), evaluated with [`crate::iam::eval`] (the evaluator the checks use) for each
//! action on each resource, as the IAM API reference describes the operation ("Each API in the
//! ActionNames parameter is evaluated for each resource in this list"; botocore's iam
//! service-2.json for the request ([`request`]) and answer ([`render`]) shapes).
//!
//! Each action and resource pair is one EvaluationResult whose EvalResourceName is the resource
//! (the API reference's EvaluationResult: "The ARN of the resource that the indicated API
//! operation was tested on"), with that resource's ResourceSpecificResults entry when
//! ResourceArns were given. MatchedStatements name the deciding policy (SourcePolicyId: the
//! policy's name; SourcePolicyType) without the statement's line and column.

pub mod principal;
pub mod render;
pub mod request;

use axum::http::Method;
use axum::response::{IntoResponse, Response};

use crate::iam::eval::{self, Context};
use crate::iam::policy;
use principal::Source;
use render::{Evaluated, IamError};

/// The answer when `call` is an IAM SimulatePrincipalPolicy; None: the emulator's to answer.
pub(super) async fn handle(front: &super::Shared, call: &super::Call<'_>) -> Option<Response> {
    if call.scope.service != "iam" || call.method != Method::POST {
        return None;
    }
    let form = request::form(call.body);
    if request::value(&form, "Action") != Some("SimulatePrincipalPolicy") {
        return None;
    }
    Some(match simulate(front, call, &form).await {
        Ok(xml) => render::xml_response(axum::http::StatusCode::OK, xml),
        Err(e) => e.into_response(),
    })
}

async fn simulate(front: &super::Shared, call: &super::Call<'_>, form: &[(String, String)]) -> Result<String, IamError> {
    let req = request::parse(form)?;
    // AWS's answer to an ARN that names no user, group or role (newrelic/newrelic-lambda-cli#96 quotes it)
    let who = principal::principal(&req.source).ok_or_else(|| IamError::invalid_input(format!("Invalid Entity Arn: {}", req.source)))?;
    let mut sources = principal::policies(front, call.headers, &who).await?;
    for (n, doc) in req.extra_policies.iter().enumerate() {
        let policy = policy::parse(doc).map_err(|e| IamError::invalid_input(format!("PolicyInputList member {}: {e}; pass a JSON policy document", n + 1)))?;
        sources.push(Source { id: format!("PolicyInputList.{}", n + 1), kind: "none", policy });
    }
    let mut context = Context::new();
    for entry in &req.context {
        context.set(&entry.key, entry.values.clone());
    }
    let results = evaluate_all(&sources, &req.actions, &req.resources, &context);
    Ok(render::response(&results, req.marker, req.max_items, &super::eks::uuid()))
}

/// Each action on each resource (`*` when none are given), in that order.
fn evaluate_all(sources: &[Source], actions: &[String], resources: &[String], context: &Context) -> Vec<Evaluated> {
    let policies: Vec<policy::Policy> = sources.iter().map(|s| s.policy.clone()).collect();
    let every = ["*".to_string()];
    let on = if resources.is_empty() { &every[..] } else { resources };
    let mut out = Vec::new();
    for action in actions {
        for resource in on {
            let e = eval::evaluate(&policies, action, resource, context);
            let mut matched: Vec<(String, &'static str)> = Vec::new();
            for at in &e.matched {
                let s = &sources[at.policy];
                if !matched.iter().any(|(id, kind)| *id == s.id && *kind == s.kind) {
                    matched.push((s.id.clone(), s.kind));
                }
            }
            out.push(Evaluated {
                action: action.clone(),
                resource: resource.clone(),
                decision: e.decision.as_str(),
                matched,
                missing: e.missing,
                resource_specific: !resources.is_empty(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str, kind: &'static str, doc: &str) -> Source {
        Source { id: id.into(), kind, policy: policy::parse(doc).unwrap() }
    }

    #[test]
    fn every_action_on_every_resource() {
        let sources = [
            source(
                "read",
                "role",
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            ),
            source("no-secrets", "user-managed", r#"{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}}"#),
        ];
        let actions = ["s3:ListBucket".to_string(), "s3:GetObject".to_string()];
        let resources = ["arn:aws:s3:::b".to_string(), "arn:aws:s3:::b/secret/*".to_string()];
        let got: Vec<String> = evaluate_all(&sources, &actions, &resources, &Context::new())
            .into_iter()
            .map(|r| format!("{} {} {} {:?}", r.action, r.resource, r.decision, r.matched))
            .collect();
        assert_eq!(
            got,
            [
                r#"s3:ListBucket arn:aws:s3:::b allowed [("read", "role")]"#,
                "s3:ListBucket arn:aws:s3:::b/secret/* implicitDeny []",
                "s3:GetObject arn:aws:s3:::b implicitDeny []",
                r#"s3:GetObject arn:aws:s3:::b/secret/* explicitDeny [("no-secrets", "user-managed")]"#,
            ]
        );
        let star = evaluate_all(&sources, &actions[..1], &[], &Context::new());
        assert_eq!((star[0].resource.as_str(), star[0].decision, star[0].resource_specific), ("*", "implicitDeny", false));
    }
}
