//! IAM policy documents as AWS returns them: URL-encoded or not, `Statement` as an object or an
//! array, `Action`/`NotAction`/`Resource`/`NotResource`/principals as a string or a list,
//! conditions by operator (IAM User Guide, "IAM JSON policy element reference").

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    /// `NotAction`: every action but these.
    pub not_actions: Vec<String>,
    pub resources: Vec<String>,
    /// `NotResource`: every resource but these.
    pub not_resources: Vec<String>,
    /// Principal type (`AWS`, `Federated`, `Service`, or `*`) and values.
    pub principals: Vec<(String, String)>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// e.g. `StringEquals`, `StringLike`, `ForAnyValue:StringLike`
    pub operator: String,
    /// e.g. `oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub`
    pub key: String,
    pub values: Vec<String>,
}

/// Parse a policy document, percent-decoding it first when it is URL-encoded.
pub fn parse(raw: &str) -> Result<Policy, String> {
    let text = raw.trim();
    let decoded;
    let text = if text.starts_with('{') {
        text
    } else {
        decoded = percent_encoding::percent_decode_str(text).decode_utf8().map_err(|e| format!("policy is not valid UTF-8 after decoding: {e}"))?;
        decoded.as_ref()
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("policy is not valid JSON: {e}"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().map(statement).collect::<Result<_, _>>()?,
        Some(obj @ Value::Object(_)) => vec![statement(obj)?],
        _ => return Err("policy has no Statement".into()),
    };
    Ok(Policy { statements })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn statement(v: &Value) -> Result<Statement, String> {
    let obj = v.as_object().ok_or("a Statement entry is not an object")?;
    let allow = obj.get("Effect").and_then(Value::as_str).is_some_and(|e| e.eq_ignore_ascii_case("Allow"));
    let principals = match obj.get("Principal") {
        Some(Value::String(s)) if s == "*" => vec![("*".to_string(), "*".to_string())],
        Some(Value::Object(p)) => p.iter().flat_map(|(k, v)| strings(Some(v)).into_iter().map(move |s| (k.clone(), s))).collect(),
        _ => Vec::new(),
    };
    let mut conditions = Vec::new();
    if let Some(Value::Object(ops)) = obj.get("Condition") {
        for (op, keys) in ops {
            if let Value::Object(keys) = keys {
                for (key, values) in keys {
                    conditions.push(Condition { operator: op.clone(), key: key.clone(), values: strings(Some(values)) });
                }
            }
        }
    }
    Ok(Statement {
        allow,
        actions: strings(obj.get("Action")),
        not_actions: strings(obj.get("NotAction")),
        resources: strings(obj.get("Resource")),
        not_resources: strings(obj.get("NotResource")),
        principals,
        conditions,
    })
}

/// IAM wildcard match (`*` any run, `?` one character); case-insensitive for actions.
pub fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl Statement {
    pub fn allows_action(&self, action: &str) -> bool {
        self.allow && self.covers_action(action)
    }

    /// `Action` names it (case-insensitive), or `NotAction` does not.
    pub fn covers_action(&self, action: &str) -> bool {
        if !self.actions.is_empty() {
            self.actions.iter().any(|a| wildcard(a, action, true))
        } else {
            !self.not_actions.is_empty() && !self.not_actions.iter().any(|a| wildcard(a, action, true))
        }
    }

    /// `Resource` names it (case-sensitive), or `NotResource` does not; a statement with neither
    /// (a trust policy's) covers every resource.
    pub fn covers_resource(&self, resource: &str) -> bool {
        if !self.resources.is_empty() {
            self.resources.iter().any(|r| wildcard(r, resource, false))
        } else {
            !self.not_resources.iter().any(|r| wildcard(r, resource, false))
        }
    }

    pub fn principal(&self, kind: &str) -> Vec<&str> {
        self.principals.iter().filter(|(k, _)| k == kind).map(|(_, v)| v.as_str()).collect()
    }

    /// Conditions on a key (the key compared case-insensitively, as IAM does).
    pub fn conditions_on(&self, key: &str) -> Vec<&Condition> {
        self.conditions.iter().filter(|c| c.key.eq_ignore_ascii_case(key)).collect()
    }
}

impl Condition {
    /// The operator without its set prefix (`ForAllValues:`, `ForAnyValue:`) or `IfExists` suffix.
    pub fn base_operator(&self) -> &str {
        let op = self.operator.rsplit(':').next().unwrap_or(&self.operator);
        op.strip_suffix("IfExists").unwrap_or(op)
    }

    /// A negated operator (`StringNotEquals`, `ArnNotLike`, `NumericNotEquals`, ...): true when
    /// no policy value matches.
    pub fn is_negated(&self) -> bool {
        self.base_operator().contains("Not")
    }

    /// Whether one request `value` satisfies this condition's operator (IAM User Guide, "IAM JSON
    /// policy elements: Condition operators"): the string, ARN, numeric and Boolean operators;
    /// any other operator (Date, IpAddress, Binary) is never satisfied.
    pub fn accepts(&self, value: &str) -> bool {
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|v| f(v));
        let number = |s: &str| s.trim().parse::<f64>().ok();
        let compare = |f: &dyn Fn(f64, f64) -> bool| number(value).is_some_and(|x| self.values.iter().filter_map(|v| number(v)).any(|p| f(x, p)));
        match self.base_operator() {
            "StringEquals" => any(&|v| v == value),
            "StringNotEquals" => !any(&|v| v == value),
            "StringEqualsIgnoreCase" => any(&|v| v.eq_ignore_ascii_case(value)),
            "StringNotEqualsIgnoreCase" => !any(&|v| v.eq_ignore_ascii_case(value)),
            "StringLike" => any(&|v| wildcard(v, value, false)),
            "StringNotLike" => !any(&|v| wildcard(v, value, false)),
            // an ARN's wildcards match within the whole ARN here, not segment by segment
            "ArnEquals" | "ArnLike" => any(&|v| wildcard(v, value, false)),
            "ArnNotEquals" | "ArnNotLike" => !any(&|v| wildcard(v, value, false)),
            "Bool" => any(&|v| v.eq_ignore_ascii_case(value)),
            "NumericEquals" => compare(&|x, p| x == p),
            "NumericNotEquals" => number(value).is_some() && !compare(&|x, p| x == p),
            "NumericLessThan" => compare(&|x, p| x < p),
            "NumericLessThanEquals" => compare(&|x, p| x <= p),
            "NumericGreaterThan" => compare(&|x, p| x > p),
            "NumericGreaterThanEquals" => compare(&|x, p| x >= p),
            _ => false,
        }
    }

    pub fn is_string_match(&self) -> bool {
        matches!(self.base_operator(), "StringEquals" | "StringLike" | "StringEqualsIgnoreCase")
    }
}

/// `https://oidc.eks.eu-west-1.amazonaws.com/id/ABC` -> `oidc.eks.eu-west-1.amazonaws.com/id/ABC`
pub fn issuer_host_path(issuer: &str) -> String {
    issuer.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_string()
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next()
}

/// `arn:aws:iam::111122223333:role/path/name` -> `name`, when it is a role ARN.
pub fn role_name(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account, resource) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "iam" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    resource.strip_prefix("role/")?.rsplit('/').next().filter(|n| !n.is_empty())
}

/// The account of an ARN.
pub fn role_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_names_from_arns() {
        assert_eq!(super::role_name("arn:aws:iam::111122223333:role/s3-reader"), Some("s3-reader"));
        assert_eq!(super::role_name("arn:aws:iam::111122223333:role/team/s3-reader"), Some("s3-reader"));
        assert_eq!(super::role_name("arn:aws:iam::1111:role/x"), None);
        assert_eq!(super::role_name("arn:aws:iam::111122223333:user/x"), None);
        assert_eq!(super::role_name("s3-reader"), None);
    }

    use super::*;

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
 "Condition":{"StringEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:shop:s3-reader",
 "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}"#;

    #[test]
    fn parses_plain_and_url_encoded_documents() {
        let plain = parse(TRUST).unwrap();
        let encoded: String = percent_encoding::utf8_percent_encode(TRUST, percent_encoding::NON_ALPHANUMERIC).to_string();
        assert_eq!(parse(&encoded).unwrap(), plain);
        let s = &plain.statements[0];
        assert!(s.allows_action("sts:AssumeRoleWithWebIdentity"));
        assert_eq!(s.principal("Federated"), ["arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"]);
        let sub = s.conditions_on("oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub");
        assert!(sub[0].accepts("system:serviceaccount:shop:s3-reader"));
        assert!(!sub[0].accepts("system:serviceaccount:shop:other"));
    }

    #[test]
    fn statement_object_and_list_forms() {
        let p = parse(r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*","Principal":"*"}}"#).unwrap();
        let s = &p.statements[0];
        assert!(s.allows_action("s3:GetObject"));
        assert!(s.allows_action("S3:LISTBUCKET"));
        assert!(!s.allows_action("s3:PutObject"));
        assert_eq!(s.resources, ["arn:aws:s3:::b/*"]);
        assert_eq!(s.principal("*"), ["*"]);
        let deny = parse(r#"{"Statement":[{"Effect":"Deny","Action":"*"}]}"#).unwrap();
        assert!(!deny.statements[0].allows_action("s3:GetObject"));
    }

    #[test]
    fn string_like_and_set_operators() {
        let p = parse(r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"x:sub":"system:serviceaccount:shop:*"},"ForAnyValue:StringEquals":{"x:aud":["sts.amazonaws.com","other"]}}}]}"#).unwrap();
        let s = &p.statements[0];
        assert!(s.conditions_on("x:sub")[0].accepts("system:serviceaccount:shop:anything"));
        assert!(!s.conditions_on("x:sub")[0].accepts("system:serviceaccount:prod:x"));
        assert!(s.conditions_on("X:AUD")[0].accepts("sts.amazonaws.com"));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "anything", false));
        assert!(wildcard("a?c", "abc", false));
        assert!(!wildcard("a?c", "abbc", false));
        assert!(wildcard("s3:*Object", "s3:GetObject", true));
        assert_eq!(issuer_host_path("https://oidc.eks.eu-west-1.amazonaws.com/id/X/"), "oidc.eks.eu-west-1.amazonaws.com/id/X");
        assert_eq!(partition("arn:aws-cn:iam::1:role/x"), Some("aws-cn"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("not json").is_err());
        assert!(parse("{}").is_err());
    }
}
