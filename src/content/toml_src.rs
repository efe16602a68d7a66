//! Helpers for TOML files: spans to locations, parse errors to diagnostics.

use toml::Spanned;

use super::diag::{Diagnostic, line_col};
use super::loc::{Loc, Markdown};

pub struct TomlFile<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl<'a> TomlFile<'a> {
    pub fn at(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    pub fn loc<T>(&self, s: &Spanned<T>) -> Loc {
        let (line, col) = self.at(s.span().start);
        Loc { file: self.file.to_string(), line, col }
    }

    pub fn error<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.file, self.at(s.span().start), message)
    }

    pub fn parse<T: serde::de::DeserializeOwned>(&self, hint: &str) -> Result<T, Diagnostic> {
        toml::from_str(self.text).map_err(|e| {
            let at = e.span().map_or((1, 1), |s| self.at(s.start));
            Diagnostic::error(self.file, at, e.message().trim().to_string()).hint(hint)
        })
    }

    /// Markdown from a TOML string, located at its first character. Multi-line strings
    /// (`"""`) drop a newline right after the opening quotes, as TOML does.
    pub fn markdown(&self, s: &Spanned<String>) -> Markdown {
        let span = s.span();
        let raw = &self.text[span.start..span.end.min(self.text.len())];
        let mut skip = if raw.starts_with("\"\"\"") || raw.starts_with("'''") { 3 } else { 1 };
        if skip == 3 && raw[3..].starts_with('\n') {
            skip += 1;
        } else if skip == 3 && raw[3..].starts_with("\r\n") {
            skip += 2;
        }
        let (line, col) = self.at(span.start + skip.min(raw.len()));
        Markdown { text: s.get_ref().clone(), loc: Loc { file: self.file.to_string(), line, col } }
    }
}
