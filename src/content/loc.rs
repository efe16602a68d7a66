//! Where text sits in a pack's files: a place, and markdown text located at its first
//! character. The parsers make them and the model keeps them, so they sit below both.

/// A place in a pack file, kept so later checks (lint, links) can point at it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

/// Markdown text and where its first character sits in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Markdown {
    pub text: String,
    pub loc: Loc,
}

impl Markdown {
    /// The file position of (line, col) inside this text, both 1-based.
    pub fn map(&self, (line, col): (usize, usize)) -> (usize, usize) {
        if line == 1 { (self.loc.line, self.loc.col + col - 1) } else { (self.loc.line + line - 1, col) }
    }
}
