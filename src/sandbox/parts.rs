//! What the sandbox is made of, and how each part differs from a real EKS account: the data in
//! `parts.toml`, printed by `kubedojo sandbox status` and documented as README.md's table.

use serde::Deserialize;

use crate::markdown::wrap::wrap;
use crate::markdown::{SpanStyle, StyledSpan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Real,
    Front,
    Emulator,
    Simulated,
}

impl By {
    pub fn label(self) -> &'static str {
        match self {
            By::Real => "real",
            By::Front => "the front",
            By::Emulator => "moto",
            By::Simulated => "simulated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub name: String,
    pub by: By,
    pub differs: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    part: Vec<Part>,
}

/// The parts, in order.
pub fn parts() -> Vec<Part> {
    // the file is part of the binary and its test below parses it: it cannot fail at run time
    toml::from_str::<File>(include_str!("parts.toml")).map(|f| f.part).unwrap_or_default()
}

/// README.md's table.
pub fn markdown() -> String {
    let mut out = String::from("| part of EKS | in the sandbox | how it differs from an account |\n|---|---|---|\n");
    for p in parts() {
        out.push_str(&format!("| {} | {} | {} |\n", p.name, p.by.label(), p.differs));
    }
    out
}

/// The table as `status` prints it: each part, then how it differs, wrapped to `width` columns.
pub fn text(width: usize) -> String {
    let mut out = String::new();
    for p in parts() {
        for (i, line) in wrap(&[StyledSpan::new(format!("{}: {}", p.by.label(), p.name), SpanStyle::default())], width).iter().enumerate() {
            out.push_str(if i == 0 { "" } else { "  " });
            out.push_str(&line.iter().map(|s| s.text.as_str()).collect::<String>());
            out.push('\n');
        }
        for line in wrap(&[StyledSpan::new(p.differs.replace('`', ""), SpanStyle::default())], width.saturating_sub(4)) {
            out.push_str("    ");
            out.push_str(&line.iter().map(|s| s.text.as_str()).collect::<String>());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_parses_and_says_how_it_differs() {
        let file: File = toml::from_str(include_str!("parts.toml")).expect("parts.toml");
        assert!(file.part.len() >= 8);
        for p in &file.part {
            assert!(!p.name.trim().is_empty() && p.differs.len() > 20, "{p:?}");
            assert!(!p.name.contains('|') && !p.differs.contains('|'), "a | would break README's table: {p:?}");
        }
    }

    #[test]
    fn the_text_fits_80_columns() {
        for line in text(78).lines() {
            assert!(unicode_width::UnicodeWidthStr::width(line) <= 78, "{line:?}");
        }
    }
}
