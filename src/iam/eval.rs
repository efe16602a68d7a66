//! May a principal do an action on a resource, by its identity policies? The evaluation of the
//! IAM User Guide's "Policy evaluation logic" for one account and identity-based policies only:
//! an explicit deny wins, then an allow, else the request is implicitly denied. A statement
//! applies when its action, its resource and every one of its conditions match. No permissions
//! boundaries, session policies, SCPs or resource policies; no policy variables (`${...}`).

use std::collections::BTreeMap;

use super::policy::{Condition, Policy, Statement};

/// The decision, named as IAM's `PolicyEvaluationDecisionType` names it (botocore's iam
/// service-2.json: `allowed`, `explicitDeny`, `implicitDeny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }
}

/// The request's context keys and their values (`aws:ResourceTag/k8s.io/cluster-autoscaler/lab`
/// = `owned`). Key names compare case-insensitively, as IAM compares them ("IAM JSON policy
/// elements: Condition": condition key names are not case-sensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// lower-cased key -> (the key as given, its values)
    keys: BTreeMap<String, (String, Vec<String>)>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Set `key` to `values` (a single-valued key has one).
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_lowercase(), (key.to_string(), values));
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_lowercase()).map(|(_, v)| v.as_slice())
    }
}

impl From<&BTreeMap<String, String>> for Context {
    fn from(single: &BTreeMap<String, String>) -> Context {
        let mut c = Context::new();
        for (k, v) in single {
            c.set(k, vec![v.clone()]);
        }
        c
    }
}

/// A statement by its place: `policies[policy].statements[statement]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef {
    pub policy: usize,
    pub statement: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// The statements that decided: the denies that matched for an explicit deny, the allows
    /// that matched for an allow, none for an implicit deny (the simulator's MatchedStatements).
    pub matched: Vec<StatementRef>,
    /// Condition keys of the statements whose action and resource match that the context does
    /// not give (the simulator's MissingContextValues), in the order the policies name them.
    pub missing: Vec<String>,
}

/// Evaluate `action` on `resource` against the identity policies `policies`.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str, context: &Context) -> Evaluation {
    let mut denies = Vec::new();
    let mut allows = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for (p, policy) in policies.iter().enumerate() {
        for (s, statement) in policy.statements.iter().enumerate() {
            if !(statement.covers_action(action) && statement.covers_resource(resource)) {
                continue;
            }
            for c in &statement.conditions {
                if context.get(&c.key).is_none() && !missing.iter().any(|m| m.eq_ignore_ascii_case(&c.key)) {
                    missing.push(c.key.clone());
                }
            }
            if conditions_hold(statement, context) {
                let at = StatementRef { policy: p, statement: s };
                if statement.allow { allows.push(at) } else { denies.push(at) }
            }
        }
    }
    let (decision, matched) = if !denies.is_empty() {
        (Decision::ExplicitDeny, denies)
    } else if !allows.is_empty() {
        (Decision::Allowed, allows)
    } else {
        (Decision::ImplicitDeny, Vec::new())
    };
    Evaluation { decision, matched, missing }
}

fn conditions_hold(statement: &Statement, context: &Context) -> bool {
    statement.conditions.iter().all(|c| holds(c, context.get(&c.key)))
}

/// One condition against the request's values for its key (IAM User Guide, "Condition
/// operators" and "Set operators for multivalued context keys"): a missing key satisfies only
/// `Null` with `true`, an `...IfExists` operator, a negated operator and `ForAllValues:`;
/// `ForAllValues:` needs every value to match, `ForAnyValue:` and a single-valued key one.
fn holds(c: &Condition, values: Option<&[String]>) -> bool {
    if c.base_operator() == "Null" {
        let absent = values.is_none_or(<[String]>::is_empty);
        return c.values.iter().any(|v| v.eq_ignore_ascii_case(if absent { "true" } else { "false" }));
    }
    let Some(values) = values.filter(|v| !v.is_empty()) else {
        return c.operator.ends_with("IfExists") || c.is_negated() || c.operator.starts_with("ForAllValues:");
    };
    if c.operator.starts_with("ForAllValues:") {
        values.iter().all(|v| c.accepts(v))
    } else if c.operator.starts_with("ForAnyValue:") {
        values.iter().any(|v| c.accepts(v))
    } else if c.is_negated() {
        values.iter().all(|v| c.accepts(v))
    } else {
        values.iter().any(|v| c.accepts(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::parse;

    fn ctx(pairs: &[(&str, &[&str])]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.set(k, v.iter().map(|s| s.to_string()).collect());
        }
        c
    }

    #[test]
    fn deny_wins_and_conditions_need_context() {
        let allow =
            parse(r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#).unwrap();
        let deny = parse(r#"{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}}"#).unwrap();
        let tagged = parse(r#"{"Statement":[{"Effect":"Allow","Action":"autoscaling:SetDesiredCapacity","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/k8s.io/cluster-autoscaler/lab":"owned"}}}]}"#).unwrap();
        let none = Context::new();
        let policies = vec![allow, deny, tagged];
        let got = evaluate(&policies, "s3:GetObject", "arn:aws:s3:::b/x", &none);
        assert_eq!((got.decision, got.matched), (Decision::Allowed, vec![StatementRef { policy: 0, statement: 0 }]));
        let got = evaluate(&policies, "s3:GetObject", "arn:aws:s3:::b/secret/x", &none);
        assert_eq!((got.decision, got.matched), (Decision::ExplicitDeny, vec![StatementRef { policy: 1, statement: 0 }]));
        assert_eq!(evaluate(&policies, "s3:PutObject", "arn:aws:s3:::b/x", &none).decision, Decision::ImplicitDeny);
        let got = evaluate(&policies, "autoscaling:SetDesiredCapacity", "*", &none);
        assert_eq!((got.decision, got.missing), (Decision::ImplicitDeny, vec!["aws:ResourceTag/k8s.io/cluster-autoscaler/lab".to_string()]));
        let tag = ctx(&[("aws:resourcetag/k8s.io/cluster-autoscaler/lab", &["owned"])]);
        let got = evaluate(&policies, "autoscaling:SetDesiredCapacity", "*", &tag);
        assert_eq!((got.decision, got.missing.len()), (Decision::Allowed, 0));
        let other = ctx(&[("aws:ResourceTag/k8s.io/cluster-autoscaler/lab", &["shared"])]);
        assert_eq!(evaluate(&policies, "autoscaling:SetDesiredCapacity", "*", &other).decision, Decision::ImplicitDeny);
    }

    #[test]
    fn not_action_not_resource_and_operators() {
        let p = parse(
            r#"{"Statement":[
            {"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*"]},
            {"Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}},
            {"Effect":"Deny","Action":"sqs:*","Resource":"*","Condition":{"Null":{"aws:MultiFactorAuthPresent":"true"}}},
            {"Effect":"Deny","Action":"sns:*","Resource":"*","Condition":{"NumericGreaterThan":{"s3:max-keys":"10"},"BoolIfExists":{"aws:SecureTransport":"false"}}}
        ]}"#,
        )
        .unwrap();
        let p = [p];
        let none = Context::new();
        assert_eq!(evaluate(&p, "iam:CreateRole", "*", &none).decision, Decision::ImplicitDeny);
        assert_eq!(evaluate(&p, "s3:GetObject", "arn:aws:s3:::mine/x", &none).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "s3:GetObject", "arn:aws:s3:::theirs/x", &none).decision, Decision::ExplicitDeny);
        // a negated operator holds when the key is missing
        assert_eq!(evaluate(&p, "ec2:RunInstances", "*", &none).decision, Decision::ExplicitDeny);
        assert_eq!(evaluate(&p, "ec2:RunInstances", "*", &ctx(&[("aws:RequestedRegion", &["eu-west-1"])])).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "sqs:SendMessage", "*", &none).decision, Decision::ExplicitDeny);
        assert_eq!(evaluate(&p, "sqs:SendMessage", "*", &ctx(&[("aws:MultiFactorAuthPresent", &["true"])])).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "sns:Publish", "*", &ctx(&[("s3:max-keys", &["11"])])).decision, Decision::ExplicitDeny);
        assert_eq!(evaluate(&p, "sns:Publish", "*", &ctx(&[("s3:max-keys", &["9"])])).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "sns:Publish", "*", &ctx(&[("s3:max-keys", &["11"]), ("aws:SecureTransport", &["true"])])).decision, Decision::Allowed);
    }

    #[test]
    fn set_operators() {
        let p = [parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}},
            {"Effect":"Allow","Action":"ec2:DeleteTags","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["tmp-*"]}}}]}"#,
        )
        .unwrap()];
        assert_eq!(evaluate(&p, "ec2:CreateTags", "*", &ctx(&[("aws:TagKeys", &["team", "env"])])).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "ec2:CreateTags", "*", &ctx(&[("aws:TagKeys", &["team", "owner"])])).decision, Decision::ImplicitDeny);
        // ForAllValues holds for a missing key (the User Guide's warning)
        assert_eq!(evaluate(&p, "ec2:CreateTags", "*", &Context::new()).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "ec2:DeleteTags", "*", &ctx(&[("aws:TagKeys", &["team", "tmp-1"])])).decision, Decision::Allowed);
        assert_eq!(evaluate(&p, "ec2:DeleteTags", "*", &ctx(&[("aws:TagKeys", &["team"])])).decision, Decision::ImplicitDeny);
    }
}
