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

/// Shell blocks use a small grammar of our own (`shell.sublime-syntax`): the full Bash
/// grammars cost 11-13 MB once compiled, more than the rest of the lab together.
fn shell_syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut builder = syntect::parsing::SyntaxSetBuilder::new();
        match syntect::parsing::SyntaxDefinition::load_from_str(include_str!("shell.sublime-syntax"), true, None) {
            Ok(def) => builder.add(def),
            Err(e) => tracing::error!("the built-in shell grammar does not load: {e}"),
        }
        builder.build()
    })
}

fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| two_face::theme::extra().get(two_face::theme::EmbeddedThemeName::OneHalfDark).clone())
}

pub fn warm_up() {
    syntaxes();
    shell_syntaxes();
    theme();
}

/// The syntax for a fence's language, and the set it belongs to.
fn syntax_for(lang: &str) -> Option<(&'static SyntaxReference, &'static SyntaxSet)> {
    let token = match lang.to_ascii_lowercase().as_str() {
        "" | "text" | "plain" | "txt" | "console" | "output" => return None,
        "shell" | "sh" | "zsh" | "bash" => {
            let set = shell_syntaxes();
            return set.syntaxes().first().map(|s| (s, set));
        }
        "terraform" | "tf" | "hcl" => "tf".to_string(),
        "yml" | "yaml" => "yaml".to_string(),
        other => other.to_string(),
    };
    let set = syntaxes();
    set.find_syntax_by_token(&token).or_else(|| set.find_syntax_by_extension(&token)).map(|s| (s, set))
}

/// Lines of styled tokens, one per source line (no trailing newlines).
pub fn highlight(lang: &str, text: &str) -> Vec<Vec<StyledSpan>> {
    let plain = || text.lines().map(|l| vec![StyledSpan::new(l, SpanStyle::of(Kind::Code))]).collect();
    let Some((syntax, set)) = syntax_for(lang) else { return plain() };
    let mut h = HighlightLines::new(syntax, theme());
    let mut out = Vec::new();
    for line in LinesWithEndings::from(text) {
        let Ok(tokens) = h.highlight_line(line, set) else { return plain() };
        let mut spans = Vec::new();
        for (style, piece) in tokens {
            let piece = piece.trim_end_matches(['\n', '\r']);
            let c = style.foreground;
            let span_style = SpanStyle {
                kind: Kind::Syntax(c.r, c.g, c.b),
                bold: style.font_style.contains(FontStyle::BOLD),
                italic: style.font_style.contains(FontStyle::ITALIC),
                strike: false,
                link: None,
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
            let colours: std::collections::HashSet<_> = lines.iter().flatten().map(|s| s.style.kind).collect();
            assert!(colours.len() > 1, "{lang} came out in one colour: {lines:?}");
        }
    }

    #[test]
    fn the_shell_grammar_loads_and_colours_a_command_line() {
        assert_eq!(shell_syntaxes().syntaxes().len(), 1, "shell.sublime-syntax failed to load");
        let lines = highlight("bash", "kubectl -n shop get pods -o wide # list\nexport AWS_REGION=\"$REGION\"\n");
        let colours: std::collections::HashSet<_> = lines.iter().flatten().map(|s| s.style.kind).collect();
        assert!(colours.len() >= 4, "{lines:?}");
    }

    #[test]
    fn unknown_language_is_plain_code() {
        let lines = highlight("text", "a\nb");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][0].style.kind, Kind::Code);
    }
}
