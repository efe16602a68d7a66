//! Markdown for the terminal: parse once into blocks ([`parse`]), lay out per width into lines
//! ([`layout`]). Styles are semantic ([`Kind`]); `ui::theme` turns them into colours, so this
//! module knows nothing of ratatui and its output is plain data that tests can read.

pub mod fence;
pub mod highlight;
pub mod layout;
pub mod parse;
pub mod search;
pub mod wrap;

pub use layout::{CodeBlockLines, DocLine, LinkLine, Rendered, layout};
pub use parse::{Block, Doc, parse};

/// The markdown dialect of every content file: CommonMark + GFM tables, strikethrough, task lists.
pub fn options() -> pulldown_cmark::Options {
    use pulldown_cmark::Options;
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Kind {
    #[default]
    Text,
    Heading(u8),
    InlineCode,
    Link,
    LinkTarget,
    Quote,
    Marker,
    Rule,
    TableBorder,
    CodeFrame,
    Code,
    /// A syntax-highlighted token with its colour from the highlighting theme.
    Syntax(u8, u8, u8),
    Dim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct SpanStyle {
    pub kind: Kind,
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    /// The link into the course this text belongs to: its index in [`Doc::links`].
    pub link: Option<u16>,
}

impl SpanStyle {
    pub const fn of(kind: Kind) -> Self {
        Self { kind, bold: false, italic: false, strike: false, link: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyledSpan {
    pub text: String,
    pub style: SpanStyle,
}

impl StyledSpan {
    pub fn new(text: impl Into<String>, style: SpanStyle) -> Self {
        Self { text: text.into(), style }
    }

    pub fn width(&self) -> usize {
        unicode_width::UnicodeWidthStr::width(self.text.as_str())
    }
}

/// Append, merging with the previous span when the style is the same.
pub fn push_span(spans: &mut Vec<StyledSpan>, text: &str, style: SpanStyle) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.style == style => last.text.push_str(text),
        _ => spans.push(StyledSpan::new(text, style)),
    }
}
