//! pulldown-cmark events -> a tree of blocks with styled inline spans. Width-independent.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use super::{Kind, SpanStyle, StyledSpan, highlight, push_span};

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: u8,
        spans: Vec<StyledSpan>,
    },
    Paragraph(Vec<StyledSpan>),
    Code {
        lang: String,
        /// When a shell block runs, if not simply in order ("if needed"): shown beside the language.
        note: Option<&'static str>,
        text: String,
        lines: Vec<Vec<StyledSpan>>,
    },
    List {
        start: Option<u64>,
        items: Vec<ListItem>,
    },
    Quote(Vec<Block>),
    Table {
        aligns: Vec<Alignment>,
        head: Vec<Vec<StyledSpan>>,
        rows: Vec<Vec<Vec<StyledSpan>>>,
    },
    Rule,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListItem {
    pub task: Option<bool>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
    /// The targets of the links into the course (`lesson:ID`, `exercise:ID[/STEP]`), in order;
    /// a span's `style.link` is an index here.
    pub links: Vec<String>,
}

enum Frame {
    Quote(Vec<Block>),
    List { start: Option<u64>, items: Vec<ListItem> },
    Item(ListItem),
    Table { aligns: Vec<Alignment>, head: Vec<Vec<StyledSpan>>, rows: Vec<Vec<Vec<StyledSpan>>>, row: Vec<Vec<StyledSpan>> },
}

#[derive(Default)]
struct Builder {
    root: Vec<Block>,
    frames: Vec<Frame>,
    inline: Option<Vec<StyledSpan>>,
    heading: Option<u8>,
    code: Option<(String, Option<&'static str>, String)>,
    bold: u32,
    italic: u32,
    strike: u32,
    links: Vec<String>,
    /// The course links seen so far, and the one whose text is being read.
    internal: Vec<String>,
    in_internal: Option<u16>,
}

impl Builder {
    fn style(&self, kind: Kind) -> SpanStyle {
        let kind = match (kind, self.heading, self.links.is_empty()) {
            (Kind::Text, Some(level), _) => Kind::Heading(level),
            (Kind::Text, None, false) => Kind::Link,
            (k, _, _) => k,
        };
        let link = self.in_internal;
        SpanStyle { kind, bold: self.bold > 0, italic: self.italic > 0, strike: self.strike > 0, link }
    }

    fn text(&mut self, text: &str, kind: Kind) {
        let style = self.style(kind);
        push_span(self.inline.get_or_insert_with(Vec::new), text, style);
    }

    /// Where a finished block goes: the innermost container.
    fn push_block(&mut self, block: Block) {
        match self.frames.last_mut() {
            Some(Frame::Quote(blocks)) => blocks.push(block),
            Some(Frame::Item(item)) => item.blocks.push(block),
            _ => self.root.push(block),
        }
    }

    /// Tight list items carry text without a paragraph: close it before the next block.
    fn flush_inline(&mut self) {
        if let Some(spans) = self.inline.take()
            && !spans.is_empty()
        {
            self.push_block(Block::Paragraph(spans));
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.flush_inline(),
            Tag::Heading { level, .. } => {
                self.flush_inline();
                self.heading = Some(heading_level(level));
            }
            Tag::BlockQuote(_) => {
                self.flush_inline();
                self.frames.push(Frame::Quote(Vec::new()));
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline();
                let (lang, note) = match kind {
                    CodeBlockKind::Fenced(info) => {
                        let f = super::fence::fence(&info);
                        let note = if super::fence::is_shell(f.lang) { f.usage.ok().and_then(|u| u.label()) } else { None };
                        (f.lang.to_string(), note)
                    }
                    CodeBlockKind::Indented => (String::new(), None),
                };
                self.code = Some((lang, note, String::new()));
            }
            Tag::List(start) => {
                self.flush_inline();
                self.frames.push(Frame::List { start, items: Vec::new() });
            }
            Tag::Item => self.frames.push(Frame::Item(ListItem::default())),
            Tag::Table(aligns) => {
                self.flush_inline();
                self.frames.push(Frame::Table { aligns, head: Vec::new(), rows: Vec::new(), row: Vec::new() });
            }
            Tag::TableHead | Tag::TableRow => {}
            Tag::TableCell => self.inline = Some(Vec::new()),
            Tag::Emphasis => self.italic += 1,
            Tag::Strong => self.bold += 1,
            Tag::Strikethrough => self.strike += 1,
            Tag::Link { dest_url, .. } => {
                if is_internal(&dest_url) && self.internal.len() < usize::from(u16::MAX) {
                    self.in_internal = Some(self.internal.len() as u16);
                    self.internal.push(dest_url.to_string());
                }
                self.links.push(dest_url.to_string());
            }
            Tag::Image { dest_url, .. } => {
                self.text("[image: ", Kind::Dim);
                self.links.push(dest_url.to_string());
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush_inline(),
            TagEnd::Heading(_) => {
                let spans = self.inline.take().unwrap_or_default();
                let level = self.heading.take().unwrap_or(1);
                self.push_block(Block::Heading { level, spans });
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                if let Some(Frame::Quote(blocks)) = self.frames.pop() {
                    self.push_block(Block::Quote(blocks));
                }
            }
            TagEnd::CodeBlock => {
                if let Some((lang, note, mut text)) = self.code.take() {
                    if text.ends_with('\n') {
                        text.pop();
                    }
                    let lines = highlight::highlight(&lang, &text);
                    self.push_block(Block::Code { lang, note, text, lines });
                }
            }
            TagEnd::Item => {
                self.flush_inline();
                if let Some(Frame::Item(item)) = self.frames.pop()
                    && let Some(Frame::List { items, .. }) = self.frames.last_mut()
                {
                    items.push(item);
                }
            }
            TagEnd::List(_) => {
                if let Some(Frame::List { start, items }) = self.frames.pop() {
                    self.push_block(Block::List { start, items });
                }
            }
            TagEnd::TableCell => {
                let cell = self.inline.take().unwrap_or_default();
                if let Some(Frame::Table { row, .. }) = self.frames.last_mut() {
                    row.push(cell);
                }
            }
            TagEnd::TableHead => {
                if let Some(Frame::Table { head, row, .. }) = self.frames.last_mut() {
                    *head = std::mem::take(row);
                }
            }
            TagEnd::TableRow => {
                if let Some(Frame::Table { rows, row, .. }) = self.frames.last_mut() {
                    rows.push(std::mem::take(row));
                }
            }
            TagEnd::Table => {
                if let Some(Frame::Table { aligns, head, rows, .. }) = self.frames.pop() {
                    self.push_block(Block::Table { aligns, head, rows });
                }
            }
            TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
            TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
            TagEnd::Strikethrough => self.strike = self.strike.saturating_sub(1),
            TagEnd::Link => {
                self.in_internal = None;
                if let Some(dest) = self.links.pop() {
                    let shown = self.inline.as_ref().map(|s| s.iter().map(|x| x.text.as_str()).collect::<String>());
                    // a link inside the course (lesson:ID, exercise:ID[/STEP]) is its text: its
                    // target is no address a reader can use
                    if !dest.is_empty() && !is_internal(&dest) && !shown.is_some_and(|s| s.ends_with(&dest)) {
                        self.text(&format!(" ({dest})"), Kind::LinkTarget);
                    }
                }
            }
            TagEnd::Image => {
                if let Some(dest) = self.links.pop() {
                    self.text(&format!("] ({dest})"), Kind::Dim);
                }
            }
            _ => {}
        }
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// A link into the course: to a lesson or a lab (and a step of it).
pub fn is_internal(dest: &str) -> bool {
    dest.starts_with("lesson:") || dest.starts_with("exercise:")
}

pub fn parse(markdown: &str) -> Doc {
    let mut b = Builder::default();
    for event in Parser::new_ext(markdown, super::options()) {
        match event {
            Event::Start(tag) => b.start(tag),
            Event::End(tag) => b.end(tag),
            Event::Text(text) => match b.code.as_mut() {
                Some((_, _, code)) => code.push_str(&text),
                None => b.text(&text, Kind::Text),
            },
            Event::Code(code) => b.text(&code, Kind::InlineCode),
            Event::SoftBreak => b.text(" ", Kind::Text),
            Event::HardBreak => b.text("\n", Kind::Text),
            Event::Rule => {
                b.flush_inline();
                b.push_block(Block::Rule);
            }
            Event::TaskListMarker(done) => {
                if let Some(Frame::Item(item)) = b.frames.last_mut() {
                    item.task = Some(done);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => b.text(&html, Kind::Dim),
            Event::FootnoteReference(name) => b.text(&format!("[^{name}]"), Kind::Dim),
            _ => {}
        }
    }
    b.flush_inline();
    Doc { blocks: b.root, links: b.internal }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(spans: &[StyledSpan]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn nested_list_and_quote_and_table() {
        let doc = parse("- a\n  - b\n- [x] c\n\n> quoted *em*\n\n| h | i |\n|---|--:|\n| 1 | 2 |\n");
        let Block::List { items, .. } = &doc.blocks[0] else { panic!("{doc:?}") };
        assert_eq!(items.len(), 2);
        assert!(matches!(items[0].blocks[1], Block::List { .. }), "{:?}", items[0]);
        assert_eq!(items[1].task, Some(true));
        let Block::Quote(q) = &doc.blocks[1] else { panic!() };
        let Block::Paragraph(spans) = &q[0] else { panic!() };
        assert!(spans.iter().any(|s| s.style.italic && s.text == "em"));
        let Block::Table { head, rows, aligns } = &doc.blocks[2] else { panic!() };
        assert_eq!(texts(&head[1]), "i");
        assert_eq!(texts(&rows[0][0]), "1");
        assert_eq!(aligns[1], Alignment::Right);
    }

    #[test]
    fn links_show_their_target() {
        let doc = parse("see [the docs](https://example.com) and <https://x.io>");
        let Block::Paragraph(spans) = &doc.blocks[0] else { panic!() };
        assert_eq!(texts(spans), "see the docs (https://example.com) and https://x.io");
        assert!(spans.iter().any(|s| s.style.kind == Kind::Link));
        assert!(spans.iter().any(|s| s.style.kind == Kind::LinkTarget));
        let doc = parse("read [what it costs](lesson:cost) first, then [the lab](exercise:eks-cluster/preflight)");
        let Block::Paragraph(spans) = &doc.blocks[0] else { panic!() };
        assert_eq!(texts(spans), "read what it costs first, then the lab", "a link inside the course is its text");
    }

    #[test]
    fn code_block_keeps_its_text_and_language() {
        let doc = parse("```yaml\na: 1\nb: [2]\n```\n");
        let Block::Code { lang, text, lines, .. } = &doc.blocks[0] else { panic!() };
        assert_eq!((lang.as_str(), text.as_str()), ("yaml", "a: 1\nb: [2]"));
        assert_eq!(lines.len(), 2);
    }
}
