//! SimulatePrincipalPolicy's request as the IAM query protocol sends it: a form-encoded body
//! (`Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=...`), lists as
//! `Name.member.N` counted from 1, a list of structures as `ContextEntries.member.N.Field`
//! (botocore's iam service-2.json, `SimulatePrincipalPolicyRequest`; the query serializer of
//! botocore's serialize.py flattens them so).

use super::render::IamError;

/// The parameters the front reads (botocore's iam service-2.json, SimulatePrincipalPolicyRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// PolicySourceArn: the user, group or role whose policies are simulated.
    pub source: String,
    /// ActionNames.
    pub actions: Vec<String>,
    /// ResourceArns; none given: `*` (the API reference: "the value defaults to * (all resources)").
    pub resources: Vec<String>,
    /// ContextEntries.
    pub context: Vec<ContextEntry>,
    /// PolicyInputList: further identity policies, simulated with the principal's.
    pub extra_policies: Vec<String>,
    /// MaxItems (1 to 1000; 100 when not given).
    pub max_items: usize,
    /// Marker: where a truncated answer goes on (the front's markers are result indexes).
    pub marker: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub key: String,
    pub values: Vec<String>,
    /// ContextKeyType: `string`, `stringList`, `numeric`, `boolean`, ... (ContextKeyTypeEnum)
    pub kind: String,
}

/// ContextKeyTypeEnum of botocore's iam service-2.json.
const CONTEXT_KEY_TYPES: &[&str] =
    &["string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "binary", "binaryList", "date", "dateList"];

/// Parameters of SimulatePrincipalPolicyRequest the sandbox's simulator does not evaluate.
const NOT_SIMULATED: &[(&str, &str)] = &[
    ("PermissionsBoundaryPolicyInputList", "permissions boundaries"),
    ("PolicyExclusionList", "policy exclusions"),
    ("ResourcePolicy", "resource-based policies"),
    ("ResourceOwner", "resource-based policies"),
    ("CallerArn", "resource-based policies"),
    ("ResourceHandlingOption", "EC2 resource scenarios"),
];

/// The form's `name=value` pairs, decoded (`+` is a space, then percent-decoding).
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The form's value of `name`.
pub fn value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The members of list `prefix` (`prefix.member.N`), in the order of N.
fn list(form: &[(String, String)], prefix: &str) -> Vec<String> {
    let head = format!("{prefix}.member.");
    let mut items: Vec<(u32, String)> = form.iter().filter_map(|(k, v)| Some((k.strip_prefix(&head)?.parse::<u32>().ok()?, v.clone()))).collect();
    items.sort_by_key(|(n, _)| *n);
    items.into_iter().map(|(_, v)| v).collect()
}

pub fn parse(form: &[(String, String)]) -> Result<Request, IamError> {
    if let Some((name, what)) = NOT_SIMULATED.iter().find(|(name, _)| form.iter().any(|(k, _)| k == name || k.starts_with(&format!("{name}.")))) {
        return Err(IamError::invalid_input(format!(
            "{name} was given, but the sandbox's policy simulator does not evaluate {what}: it simulates the principal's identity policies (and PolicyInputList) only; leave {name} out, or try it in a real AWS account"
        )));
    }
    let source = value(form, "PolicySourceArn").filter(|s| !s.is_empty()).ok_or_else(|| IamError::missing("policySourceArn"))?.to_string();
    let actions = list(form, "ActionNames");
    if actions.is_empty() {
        return Err(IamError::missing("actionNames"));
    }
    let mut context = Vec::new();
    for n in 1.. {
        let at = format!("ContextEntries.member.{n}");
        let key = value(form, &format!("{at}.ContextKeyName"));
        let values = list(form, &format!("{at}.ContextKeyValues"));
        let kind = value(form, &format!("{at}.ContextKeyType"));
        if key.is_none() && values.is_empty() && kind.is_none() {
            break;
        }
        let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
            IamError::invalid_input(format!(
                "context entry {n} has no ContextKeyName; give each entry ContextKeyName=KEY,ContextKeyValues=VALUE,ContextKeyType=string"
            ))
        })?;
        let kind = kind.unwrap_or("string");
        if !CONTEXT_KEY_TYPES.contains(&kind) {
            return Err(IamError::validation(format!(
                "Value '{kind}' at 'contextEntries.{n}.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                CONTEXT_KEY_TYPES.join(", ")
            )));
        }
        context.push(ContextEntry { key: key.to_string(), values, kind: kind.to_string() });
    }
    let max_items = match value(form, "MaxItems") {
        None => 100,
        Some(m) => m.parse::<usize>().ok().filter(|m| (1..=1000).contains(m)).ok_or_else(|| {
            IamError::validation(format!("Value '{m}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"))
        })?,
    };
    let marker = match value(form, "Marker") {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| {
            IamError::invalid_input(format!(
                "Marker {m} is not one this simulator gave: pass the Marker of the previous truncated answer, or none to start again"
            ))
        })?,
    };
    Ok(Request { source, actions, resources: list(form, "ResourceArns"), context, extra_policies: list(form, "PolicyInputList"), max_items, marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labs' command as the AWS CLI v1 form-encodes it (the parameters its --debug log shows).
    const LAB: &str = "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fca&ActionNames.member.1=s3%3AListBucket&ActionNames.member.2=s3%3AGetObject&ResourceArns.member.1=arn%3Aaws%3As3%3A%3A%3Ab&ResourceArns.member.2=arn%3Aaws%3As3%3A%3A%3Ab%2F%2A&ContextEntries.member.1.ContextKeyName=aws%3AResourceTag%2Fk8s.io%2Fcluster-autoscaler%2Flab&ContextEntries.member.1.ContextKeyValues.member.1=owned&ContextEntries.member.1.ContextKeyType=string";

    #[test]
    fn the_labs_request_is_read() {
        let r = parse(&form(LAB.as_bytes())).unwrap();
        assert_eq!(r.source, "arn:aws:iam::123456789012:role/ca");
        assert_eq!(r.actions, ["s3:ListBucket", "s3:GetObject"]);
        assert_eq!(r.resources, ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]);
        assert_eq!(
            r.context,
            [ContextEntry { key: "aws:ResourceTag/k8s.io/cluster-autoscaler/lab".into(), values: vec!["owned".into()], kind: "string".into() }]
        );
        assert_eq!((r.max_items, r.marker), (100, 0));
    }

    #[test]
    fn members_are_read_in_their_order_and_plus_is_a_space() {
        let f = form(b"PolicySourceArn=x&ActionNames.member.10=c&ActionNames.member.2=b&ActionNames.member.1=a&PolicyInputList.member.1=%7B%22a%22+%3A+1%7D");
        let r = parse(&f).unwrap();
        assert_eq!(r.actions, ["a", "b", "c"]);
        assert_eq!(r.extra_policies, [r#"{"a" : 1}"#]);
        assert!(r.resources.is_empty());
    }

    #[test]
    fn missing_and_unsimulated_parameters_are_refused() {
        let e = parse(&form(b"ActionNames.member.1=a")).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            ("ValidationError", "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null")
        );
        assert_eq!(parse(&form(b"PolicySourceArn=x")).unwrap_err().code, "ValidationError");
        let e = parse(&form(b"PolicySourceArn=x&ActionNames.member.1=a&ResourcePolicy=%7B%7D")).unwrap_err();
        assert_eq!(e.code, "InvalidInput");
        assert!(e.message.contains("ResourcePolicy") && e.message.contains("resource-based policies"), "{}", e.message);
        let e = parse(&form(b"PolicySourceArn=x&ActionNames.member.1=a&MaxItems=0")).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = parse(&form(b"PolicySourceArn=x&ActionNames.member.1=a&ContextEntries.member.1.ContextKeyName=k&ContextEntries.member.1.ContextKeyType=text"))
            .unwrap_err();
        assert!(e.message.contains("contextKeyType"), "{}", e.message);
    }
}
