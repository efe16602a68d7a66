//! `{{name}}` placeholders in exercise text and check parameters.

use std::collections::BTreeMap;

/// Every `{{name}}` in `text`, with its byte offset.
pub fn placeholders(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = 0;
    std::iter::from_fn(move || {
        let start = text[rest..].find("{{")? + rest;
        let end = text[start + 2..].find("}}")? + start + 2;
        rest = end + 2;
        Some((start, text[start + 2..end].trim()))
    })
}

pub fn expand(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, name) in placeholders(text) {
        if let Some(value) = vars.get(name) {
            out.push_str(&text[last..at]);
            out.push_str(value);
            last = at + text[at..].find("}}").map_or(0, |e| e + 2);
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Table placeholders in `text` that the table does not define: (byte offset, name).
pub fn unknown_table_names<'a>(text: &'a str, table: &BTreeMap<String, String>) -> Vec<(usize, &'a str)> {
    placeholders(text)
        .filter(|(_, n)| (n.starts_with(super::versions::PREFIX) || n.starts_with(super::versions::PRICE_PREFIX)) && !table.contains_key(*n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_and_keeps_unknown() {
        let vars = BTreeMap::from([("ns".to_string(), "shop".to_string())]);
        assert_eq!(expand("kubectl -n {{ns}} get {{what}}", &vars), "kubectl -n shop get {{what}}");
        let names: Vec<_> = placeholders("{{a}} x {{ b }}").map(|(_, n)| n).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
