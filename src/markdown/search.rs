//! Search within rendered text. Smart case: a query with an upper-case letter matches case.

use super::Rendered;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub line: usize,
    /// Byte range in the line's plain text.
    pub start: usize,
    pub end: usize,
}

pub fn find(rendered: &Rendered, query: &str) -> Vec<Match> {
    if query.is_empty() {
        return Vec::new();
    }
    let case_sensitive = query.chars().any(char::is_uppercase);
    let mut out = Vec::new();
    for (i, line) in rendered.lines.iter().enumerate() {
        let text = line.plain();
        let mut from = 0;
        while from < text.len() {
            match match_at(&text[from..], query, case_sensitive) {
                Some(len) => {
                    out.push(Match { line: i, start: from, end: from + len });
                    from += len.max(1);
                }
                None => from += text[from..].chars().next().map_or(1, char::len_utf8),
            }
        }
    }
    out
}

/// Byte length of the match of `query` at the start of `text`, if it matches there.
fn match_at(text: &str, query: &str, case_sensitive: bool) -> Option<usize> {
    let mut t = text.char_indices();
    for q in query.chars() {
        let (_, c) = t.next()?;
        let same = if case_sensitive { c == q } else { c.to_lowercase().eq(q.to_lowercase()) };
        if !same {
            return None;
        }
    }
    Some(t.next().map_or(text.len(), |(i, _)| i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{layout, parse};

    #[test]
    fn smart_case_matches() {
        let r = layout(&parse("IRSA and irsa and Irsa\n\nnothing here\n"), 80);
        assert_eq!(find(&r, "irsa").len(), 3);
        assert_eq!(find(&r, "Irsa").len(), 1);
        let m = find(&r, "and")[1];
        assert_eq!((m.line, m.start, m.end), (0, 14, 17));
        assert!(find(&r, "").is_empty());
    }
}
