//! Syntax highlighting of fenced code (yaml, bash/shell, json, hcl/terraform, ...) with syntect
//! and the syntax set of two-face (it adds Terraform/HCL to syntect's defaults).
//! Loading the syntax set takes a few milliseconds, so it happens once, off the first frame:
//! call [`warm_up`] from a background thread at start.

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::{Kind, SpanStyle, StyledSpan, push_span};

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| two_face::theme::extra().get(two_face::theme::EmbeddedThemeName::OneHalfDark).clone())
}

pub fn warm_up() {
    syntaxes();
    theme();
}

fn syntax_for(lang: &str) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    let token = match lang.to_ascii_lowercase().as_str() {
        "" | "text" | "plain" | "txt" | "console" | "output" => return None,
        "shell" | "sh" | "zsh" | "bash" => "bash".to_string(),
        "terraform" | "tf" | "hcl" => "tf".to_string(),
        "yml" | "yaml" => "yaml".to_string(),
        other => other.to_string(),
    };
    set.find_syntax_by_token(&token).or_else(|| set.find_syntax_by_extension(&token))
}

/// Lines of styled tokens, one per source line (no trailing newlines).
pub fn highlight(lang: &str, text: &str) -> Vec<Vec<StyledSpan>> {
    let plain = || text.lines().map(|l| vec![StyledSpan::new(l, SpanStyle::of(Kind::Code))]).collect();
    let Some(syntax) = syntax_for(lang) else { return plain() };
    let mut h = HighlightLines::new(syntax, theme());
    let mut out = Vec::new();
    for line in LinesWithEndings::from(text) {
        let Ok(tokens) = h.highlight_line(line, syntaxes()) else { return plain() };
        let mut spans = Vec::new();
        for (style, piece) in tokens {
            let piece = piece.trim_end_matches(['\n', '\r']);
            let c = style.foreground;
            let span_style = SpanStyle {
                kind: Kind::Syntax(c.r, c.g, c.b),
                bold: style.font_style.contains(FontStyle::BOLD),
                italic: style.font_style.contains(FontStyle::ITALIC),
                strike: false,
            };
            push_span(&mut spans, piece, span_style);
        }
        out.push(spans);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_languages_are_highlighted() {
        for (lang, code) in [
            ("yaml", "kind: Pod\n"),
            ("bash", "kubectl get pods -n shop\n"),
            ("json", "{\"a\": 1}\n"),
            ("hcl", "resource \"aws_eks_cluster\" \"this\" {\n  name = \"lab\"\n}\n"),
            ("terraform", "variable \"x\" {}\n"),
        ] {
            assert!(syntax_for(lang).is_some(), "no syntax for {lang}");
            let lines = highlight(lang, code);
            let colours: std::collections::HashSet<_> =
                lines.iter().flatten().map(|s| s.style.kind).collect();
            assert!(colours.len() > 1, "{lang} came out in one colour: {lines:?}");
        }
    }

    #[test]
    fn unknown_language_is_plain_code() {
        let lines = highlight("text", "a\nb");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][0].style.kind, Kind::Code);
    }
}
