//! SimulatePrincipalPolicy's answer and IAM's errors, as XML in the IAM query protocol's shape:
//! `<SimulatePrincipalPolicyResponse>` wrapping `<SimulatePrincipalPolicyResult>` (the
//! operation's `resultWrapper` in botocore's iam service-2.json) with the members of
//! `SimulatePolicyResponse`, lists as `<member>` elements, then `<ResponseMetadata><RequestId>`;
//! an error as `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>` (the AWS
//! query API's error response, as the emulator answers too), with the HTTP status of the error
//! shape (`NoSuchEntityException`: 404, `InvalidInputException`: 400, `ServiceFailureException`: 500).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The IAM XML namespace (`xmlNamespace` of botocore's iam service-2.json).
const NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// One EvaluationResult (botocore's iam service-2.json `EvaluationResult`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluated {
    pub action: String,
    pub resource: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`
    pub decision: &'static str,
    /// The deciding statements: (SourcePolicyId, SourcePolicyType).
    pub matched: Vec<(String, &'static str)>,
    pub missing: Vec<String>,
    /// Whether ResourceArns were given (then ResourceSpecificResults holds the resource's result).
    pub resource_specific: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl IamError {
    pub fn invalid_input(message: String) -> IamError {
        IamError { status: StatusCode::BAD_REQUEST, code: "InvalidInput", message }
    }

    pub fn no_such_entity(message: String) -> IamError {
        IamError { status: StatusCode::NOT_FOUND, code: "NoSuchEntity", message }
    }

    pub fn service_failure(message: String) -> IamError {
        IamError { status: StatusCode::INTERNAL_SERVER_ERROR, code: "ServiceFailure", message }
    }

    /// AWS's validation message: `1 validation error detected: Value ... at '...' failed to satisfy constraint: ...`.
    pub fn validation(detail: String) -> IamError {
        IamError { status: StatusCode::BAD_REQUEST, code: "ValidationError", message: format!("1 validation error detected: {detail}") }
    }

    /// A required member left out (`policySourceArn`, `actionNames`).
    pub fn missing(member: &str) -> IamError {
        IamError::validation(format!("Value null at '{member}' failed to satisfy constraint: Member must not be null"))
    }

    pub fn xml(&self, request_id: &str) -> String {
        let kind = if self.status.is_server_error() { "Receiver" } else { "Sender" };
        format!(
            r#"<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"#,
            self.code,
            escape(&self.message)
        )
    }
}

impl IntoResponse for IamError {
    fn into_response(self) -> Response {
        xml_response(self.status, self.xml(&super::super::eks::uuid()))
    }
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response()
}

/// The answer: `results` from `from` on, at most `max` of them; IsTruncated and Marker say
/// where the rest begins.
pub fn response(results: &[Evaluated], from: usize, max: usize, request_id: &str) -> String {
    let page: Vec<&Evaluated> = results.iter().skip(from).take(max).collect();
    let next = from + page.len();
    let mut out = format!(r#"<SimulatePrincipalPolicyResponse xmlns="{NAMESPACE}"><SimulatePrincipalPolicyResult><EvaluationResults>"#);
    for r in page {
        out.push_str("<member>");
        out.push_str(&format!("<EvalActionName>{}</EvalActionName>", escape(&r.action)));
        out.push_str(&format!("<EvalResourceName>{}</EvalResourceName>", escape(&r.resource)));
        out.push_str(&format!("<EvalDecision>{}</EvalDecision>", r.decision));
        statements(&mut out, &r.matched);
        names(&mut out, "MissingContextValues", &r.missing);
        if r.resource_specific {
            out.push_str("<ResourceSpecificResults><member>");
            out.push_str(&format!("<EvalResourceName>{}</EvalResourceName>", escape(&r.resource)));
            out.push_str(&format!("<EvalResourceDecision>{}</EvalResourceDecision>", r.decision));
            statements(&mut out, &r.matched);
            names(&mut out, "MissingContextValues", &r.missing);
            out.push_str("</member></ResourceSpecificResults>");
        }
        out.push_str("</member>");
    }
    out.push_str("</EvaluationResults>");
    if next < results.len() {
        out.push_str(&format!("<IsTruncated>true</IsTruncated><Marker>{next}</Marker>"));
    } else {
        out.push_str("<IsTruncated>false</IsTruncated>");
    }
    out.push_str(&format!(
        "</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"
    ));
    out
}

fn statements(out: &mut String, matched: &[(String, &'static str)]) {
    out.push_str("<MatchedStatements>");
    for (id, kind) in matched {
        out.push_str(&format!("<member><SourcePolicyId>{}</SourcePolicyId><SourcePolicyType>{kind}</SourcePolicyType></member>", escape(id)));
    }
    out.push_str("</MatchedStatements>");
}

fn names(out: &mut String, list: &str, items: &[String]) {
    out.push_str(&format!("<{list}>"));
    for i in items {
        out.push_str(&format!("<member>{}</member>", escape(i)));
    }
    out.push_str(&format!("</{list}>"));
}

/// Text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(action: &str, resource: &str, decision: &'static str) -> Evaluated {
        Evaluated {
            action: action.into(),
            resource: resource.into(),
            decision,
            matched: vec![("read".into(), "role")],
            missing: vec!["aws:ResourceTag/k8s.io/cluster-autoscaler/lab".into()],
            resource_specific: true,
        }
    }

    fn doc(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).expect("well-formed XML")
    }

    #[test]
    fn an_answer_has_the_query_protocols_shape() {
        let xml = response(&[result("s3:GetObject", "arn:aws:s3:::b/<x>&y", "allowed")], 0, 100, "req-1");
        let d = doc(&xml);
        let root = d.root_element();
        assert_eq!((root.tag_name().name(), root.tag_name().namespace()), ("SimulatePrincipalPolicyResponse", Some(NAMESPACE)));
        let text = |path: &[&str]| {
            let mut n = root;
            for p in path {
                n = n.children().find(|c| c.has_tag_name(*p)).unwrap_or_else(|| panic!("{p} in {xml}"));
            }
            n.text().unwrap_or_default().to_string()
        };
        let member = ["SimulatePrincipalPolicyResult", "EvaluationResults", "member"];
        assert_eq!(text(&[&member[..], &["EvalActionName"]].concat()), "s3:GetObject");
        assert_eq!(text(&[&member[..], &["EvalResourceName"]].concat()), "arn:aws:s3:::b/<x>&y");
        assert_eq!(text(&[&member[..], &["EvalDecision"]].concat()), "allowed");
        assert_eq!(text(&[&member[..], &["MatchedStatements", "member", "SourcePolicyId"]].concat()), "read");
        assert_eq!(text(&[&member[..], &["MatchedStatements", "member", "SourcePolicyType"]].concat()), "role");
        assert_eq!(text(&[&member[..], &["MissingContextValues", "member"]].concat()), "aws:ResourceTag/k8s.io/cluster-autoscaler/lab");
        assert_eq!(text(&[&member[..], &["ResourceSpecificResults", "member", "EvalResourceDecision"]].concat()), "allowed");
        assert_eq!(text(&["SimulatePrincipalPolicyResult", "IsTruncated"]), "false");
        assert_eq!(text(&["ResponseMetadata", "RequestId"]), "req-1");
    }

    #[test]
    fn a_long_answer_is_paged_by_marker() {
        let all: Vec<Evaluated> = (0..3).map(|i| result(&format!("s3:A{i}"), "*", "implicitDeny")).collect();
        let first = response(&all, 0, 2, "r");
        let d = doc(&first);
        let actions: Vec<&str> = d.descendants().filter(|n| n.has_tag_name("EvalActionName")).filter_map(|n| n.text()).collect();
        assert_eq!(actions, ["s3:A0", "s3:A1"]);
        assert!(first.contains("<IsTruncated>true</IsTruncated><Marker>2</Marker>"), "{first}");
        let rest = response(&all, 2, 2, "r");
        assert!(rest.contains("s3:A2") && rest.contains("<IsTruncated>false</IsTruncated>") && !rest.contains("<Marker>"), "{rest}");
    }

    #[test]
    fn an_error_is_iams_error_response() {
        let e = IamError::no_such_entity("The role with name ghost cannot be found.".into());
        let xml = e.xml("req-2");
        let d = doc(&xml);
        let get = |t: &str| d.descendants().find(|n| n.has_tag_name(t)).and_then(|n| n.text()).map(str::to_string);
        assert_eq!(d.root_element().tag_name().name(), "ErrorResponse");
        assert_eq!(get("Type").as_deref(), Some("Sender"));
        assert_eq!(get("Code").as_deref(), Some("NoSuchEntity"));
        assert_eq!(get("Message").as_deref(), Some("The role with name ghost cannot be found."));
        assert_eq!(get("RequestId").as_deref(), Some("req-2"));
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert!(IamError::service_failure("x".into()).xml("r").contains("<Type>Receiver</Type>"));
    }
}
