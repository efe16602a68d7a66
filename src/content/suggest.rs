//! "Did you mean ...?" for mistyped ids.

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates.into_iter().map(|c| (strsim::levenshtein(word, c), c)).filter(|(d, c)| *d <= (c.len() / 3).max(2)).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_a_near_id_only() {
        let ids = ["cluster.active", "cluster.multi-az"];
        assert_eq!(super::closest("cluster.activ", ids), Some("cluster.active"));
        assert_eq!(super::closest("something-else", ids), None);
    }
}
