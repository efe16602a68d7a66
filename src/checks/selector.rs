//! Kubernetes label selectors: does a selector match a set of labels?

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Labels as a kubectl label selector: `k=v,k2=v2`.
pub fn label_arg(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// An empty selector matches everything (as in PDBs and NetworkPolicies).
pub fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_labels = selector.match_labels.as_ref().is_none_or(|m| m.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let by_expressions = selector.match_expressions.as_ref().is_none_or(|exprs| {
        exprs.iter().all(|e| {
            let values = e.values.clone().unwrap_or_default();
            match e.operator.as_str() {
                "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
                "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
                "Exists" => labels.contains_key(&e.key),
                "DoesNotExist" => !labels.contains_key(&e.key),
                _ => false,
            }
        })
    });
    by_labels && by_expressions
}

pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty) && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn labels_and_expressions() {
        let labels = BTreeMap::from([("app".to_string(), "payments".to_string()), ("tier".to_string(), "critical".to_string())]);
        let mut s = LabelSelector { match_labels: Some(BTreeMap::from([("app".into(), "payments".into())])), match_expressions: None };
        assert!(matches(&s, &labels));
        s.match_expressions = Some(vec![LabelSelectorRequirement { key: "tier".into(), operator: "In".into(), values: Some(vec!["web".into()]) }]);
        assert!(!matches(&s, &labels));
        let empty = LabelSelector::default();
        assert!(matches(&empty, &labels) && is_empty(&empty));
    }
}
