//! Blocks -> lines at a given width. The result is cached by the caller per width, so
//! scrolling and drawing never re-wrap.

use pulldown_cmark::Alignment;
use unicode_width::UnicodeWidthStr;

use super::parse::{Block, Doc, ListItem};
use super::wrap::{code_wrap, line_width, wrap};
use super::{Kind, SpanStyle, StyledSpan, push_span};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocLine {
    pub spans: Vec<StyledSpan>,
    /// The fenced code block this line belongs to (frame included).
    pub code_block: Option<usize>,
}

impl DocLine {
    pub fn plain(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlockLines {
    pub lang: String,
    pub text: String,
    /// First line (the frame's top) and one past the last.
    pub lines: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    pub width: u16,
    pub lines: Vec<DocLine>,
    pub code_blocks: Vec<CodeBlockLines>,
    /// Line index of every heading, for jumping between sections.
    pub headings: Vec<usize>,
    /// Each link into the course (as [`Doc::links`]): its target and the first line it is on.
    pub links: Vec<LinkLine>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkLine {
    pub target: String,
    pub line: usize,
    /// The link's text as shown.
    pub text: String,
}

pub fn layout(doc: &Doc, width: u16) -> Rendered {
    let mut ctx = Ctx { width: usize::from(width.max(8)), out: Rendered { width, ..Rendered::default() } };
    ctx.blocks(&doc.blocks, &[], &[], false);
    let mut out = ctx.out;
    // a link with no text is on no line (usize::MAX) and cannot be chosen
    out.links = doc.links.iter().map(|t| LinkLine { target: t.clone(), line: usize::MAX, text: String::new() }).collect();
    let mut last_line = vec![usize::MAX; out.links.len()];
    for (i, line) in out.lines.iter().enumerate() {
        for span in &line.spans {
            let Some(l) = span.style.link.map(usize::from).filter(|&l| l < out.links.len()) else { continue };
            let link = &mut out.links[l];
            link.line = link.line.min(i);
            // a link wrapped onto the next line lost the space at the break
            if last_line[l] != usize::MAX && last_line[l] != i && !link.text.ends_with(' ') {
                link.text.push(' ');
            }
            last_line[l] = i;
            link.text.push_str(&span.text);
        }
    }
    out
}

type Prefix = [StyledSpan];

struct Ctx {
    width: usize,
    out: Rendered,
}

impl Ctx {
    fn emit(&mut self, prefix: &Prefix, body: Vec<StyledSpan>) {
        let mut spans = prefix.to_vec();
        for s in body {
            push_span(&mut spans, &s.text, s.style);
        }
        self.out.lines.push(DocLine { spans, code_block: None });
    }

    fn blank(&mut self, prefix: &Prefix) {
        // keep a quote's bar on its blank lines, drop list indentation
        let bars: Vec<StyledSpan> = prefix.iter().filter(|s| s.style.kind == Kind::Quote).cloned().collect();
        let mut spans: Vec<StyledSpan> = Vec::new();
        for b in bars {
            push_span(&mut spans, b.text.trim_end(), b.style);
        }
        self.out.lines.push(DocLine { spans, code_block: None });
    }

    fn avail(&self, prefix: &Prefix) -> usize {
        self.width.saturating_sub(line_width(prefix)).max(4)
    }

    fn blocks(&mut self, blocks: &[Block], first: &Prefix, rest: &Prefix, tight: bool) {
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 && !tight {
                self.blank(rest);
            }
            self.block(block, if i == 0 { first } else { rest }, rest);
        }
    }

    fn wrapped(&mut self, spans: &[StyledSpan], first: &Prefix, rest: &Prefix) {
        let width = self.avail(rest).min(self.avail(first));
        for (i, line) in wrap(spans, width).into_iter().enumerate() {
            self.emit(if i == 0 { first } else { rest }, line);
        }
    }

    fn block(&mut self, block: &Block, first: &Prefix, rest: &Prefix) {
        match block {
            Block::Paragraph(spans) => self.wrapped(spans, first, rest),
            Block::Heading { level, spans } => self.heading(*level, spans, first, rest),
            Block::Code { lang, note, text, lines } => self.code(lang, *note, text, lines, first, rest),
            Block::List { start, items } => self.list(*start, items, first, rest),
            Block::Quote(blocks) => {
                let bar = StyledSpan::new("│ ", SpanStyle::of(Kind::Quote));
                let mut f = first.to_vec();
                f.push(bar.clone());
                let mut r = rest.to_vec();
                r.push(bar);
                let quoted: Vec<Block> = blocks.iter().map(quote_style).collect();
                self.blocks(&quoted, &f, &r, false);
            }
            Block::Table { aligns, head, rows } => self.table(aligns, head, rows, first, rest),
            Block::Rule => {
                let w = self.avail(first);
                self.emit(first, vec![StyledSpan::new("─".repeat(w), SpanStyle::of(Kind::Rule))]);
            }
        }
    }

    fn heading(&mut self, level: u8, spans: &[StyledSpan], first: &Prefix, rest: &Prefix) {
        self.out.headings.push(self.out.lines.len());
        let styled: Vec<StyledSpan> =
            spans.iter().map(|s| StyledSpan::new(s.text.clone(), SpanStyle { bold: true, kind: heading_kind(s.style.kind, level), ..s.style })).collect();
        let before = self.out.lines.len();
        self.wrapped(&styled, first, rest);
        if level <= 2 {
            let w = self.out.lines[before..].iter().map(|l| line_width(&l.spans) - line_width(rest)).max().unwrap_or(0);
            let ch = if level == 1 { "━" } else { "─" };
            self.emit(rest, vec![StyledSpan::new(ch.repeat(w.max(3)), SpanStyle::of(Kind::Heading(level)))]);
        }
    }

    fn code(&mut self, lang: &str, note: Option<&str>, text: &str, lines: &[Vec<StyledSpan>], first: &Prefix, rest: &Prefix) {
        let index = self.out.code_blocks.len();
        let start = self.out.lines.len();
        let avail = self.avail(rest);
        let frame = SpanStyle::of(Kind::CodeFrame);
        let label = match (lang.is_empty(), note) {
            (true, _) => String::new(),
            (false, None) => format!(" {lang} "),
            (false, Some(note)) => format!(" {lang} · {note} "),
        };
        let top = format!("╭─{label}{}", "─".repeat(avail.saturating_sub(2 + label.width())));
        self.emit(first, vec![StyledSpan::new(top, frame)]);
        let gutter = StyledSpan::new("│ ", frame);
        for line in lines {
            for piece in code_wrap(line, avail.saturating_sub(2)) {
                let mut body = vec![gutter.clone()];
                body.extend(piece);
                self.emit(rest, body);
            }
        }
        self.emit(rest, vec![StyledSpan::new(format!("╰{}", "─".repeat(avail.saturating_sub(1))), frame)]);
        let end = self.out.lines.len();
        for line in &mut self.out.lines[start..end] {
            line.code_block = Some(index);
        }
        self.out.code_blocks.push(CodeBlockLines { lang: lang.to_string(), text: text.to_string(), lines: start..end });
    }

    fn list(&mut self, start: Option<u64>, items: &[ListItem], first: &Prefix, rest: &Prefix) {
        let marker_style = SpanStyle::of(Kind::Marker);
        let number_width = start.map_or(0, |s| (s + items.len() as u64).to_string().len());
        let tight = items.iter().all(|it| it.blocks.iter().filter(|b| matches!(b, Block::Paragraph(_))).count() <= 1);
        for (i, item) in items.iter().enumerate() {
            if i > 0 && !tight {
                self.blank(rest);
            }
            let mut marker = match start {
                Some(s) => format!("{:>w$}. ", s + i as u64, w = number_width),
                None => "• ".to_string(),
            };
            if let Some(done) = item.task {
                marker.push_str(if done { "[x] " } else { "[ ] " });
            }
            let indent = " ".repeat(marker.width());
            let mut f = if i == 0 { first.to_vec() } else { rest.to_vec() };
            f.push(StyledSpan::new(marker, marker_style));
            let mut r = rest.to_vec();
            r.push(StyledSpan::new(indent, SpanStyle::default()));
            self.blocks(&item.blocks, &f, &r, tight);
        }
    }

    fn table(&mut self, aligns: &[Alignment], head: &[Vec<StyledSpan>], rows: &[Vec<Vec<StyledSpan>>], first: &Prefix, rest: &Prefix) {
        let cols = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if cols == 0 {
            return;
        }
        let cell = |row: &[Vec<StyledSpan>], c: usize| row.get(c).cloned().unwrap_or_default();
        let natural: Vec<usize> =
            (0..cols).map(|c| std::iter::once(head).chain(rows.iter().map(Vec::as_slice)).map(|r| line_width(&cell(r, c))).max().unwrap_or(0).max(1)).collect();
        let avail = self.avail(rest).saturating_sub(3 * cols + 1).max(cols);
        let widths = fit_columns(&natural, avail);
        let border = SpanStyle::of(Kind::TableBorder);
        let rule = |l: &str, m: &str, r: &str| {
            let mut s = l.to_string();
            for (i, w) in widths.iter().enumerate() {
                s.push_str(&"─".repeat(w + 2));
                s.push_str(if i + 1 == cols { r } else { m });
            }
            vec![StyledSpan::new(s, border)]
        };
        self.emit(first, rule("┌", "┬", "┐"));
        let header: Vec<Vec<StyledSpan>> =
            (0..cols).map(|c| cell(head, c).into_iter().map(|s| StyledSpan::new(s.text, SpanStyle { bold: true, ..s.style })).collect()).collect();
        self.table_row(&header, &widths, aligns, rest);
        self.emit(rest, rule("├", "┼", "┤"));
        for row in rows {
            let cells: Vec<_> = (0..cols).map(|c| cell(row, c)).collect();
            self.table_row(&cells, &widths, aligns, rest);
        }
        self.emit(rest, rule("└", "┴", "┘"));
    }

    fn table_row(&mut self, cells: &[Vec<StyledSpan>], widths: &[usize], aligns: &[Alignment], prefix: &Prefix) {
        let border = SpanStyle::of(Kind::TableBorder);
        let wrapped: Vec<Vec<Vec<StyledSpan>>> = cells.iter().zip(widths).map(|(c, w)| wrap(c, *w)).collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let mut body = vec![StyledSpan::new("│", border)];
            for (c, w) in widths.iter().enumerate() {
                let content = wrapped[c].get(line).cloned().unwrap_or_default();
                let pad = w.saturating_sub(line_width(&content));
                let (left, right) = match aligns.get(c) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                push_span(&mut body, &" ".repeat(left + 1), SpanStyle::default());
                for s in content {
                    push_span(&mut body, &s.text, s.style);
                }
                push_span(&mut body, &" ".repeat(right + 1), SpanStyle::default());
                body.push(StyledSpan::new("│", border));
            }
            self.emit(prefix, body);
        }
    }
}

/// Column widths that fit `avail`: natural widths when they fit, else shrink the widest first.
fn fit_columns(natural: &[usize], avail: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    while widths.iter().sum::<usize>() > avail {
        let (i, &w) = widths.iter().enumerate().max_by_key(|(_, w)| **w).expect("columns");
        if w <= 3 {
            break;
        }
        widths[i] = w - 1;
    }
    widths
}

fn heading_kind(kind: Kind, level: u8) -> Kind {
    match kind {
        Kind::Text | Kind::Heading(_) => Kind::Heading(level),
        other => other,
    }
}

/// Text inside a block quote reads as a quote.
fn quote_style(block: &Block) -> Block {
    let restyle = |spans: &Vec<StyledSpan>| -> Vec<StyledSpan> {
        spans
            .iter()
            .map(|s| match s.style.kind {
                Kind::Text => StyledSpan::new(s.text.clone(), SpanStyle { kind: Kind::Quote, ..s.style }),
                _ => s.clone(),
            })
            .collect()
    };
    match block {
        Block::Paragraph(spans) => Block::Paragraph(restyle(spans)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::parse;

    fn plain(r: &Rendered) -> Vec<String> {
        r.lines.iter().map(DocLine::plain).collect()
    }

    #[test]
    fn every_line_fits_the_width() {
        let md = "# A heading that is long enough to wrap\n\nSome *text* with `code` and a [link](https://example.com/a/very/long/path).\n\n- one\n  - nested item with more words\n\n> a quote that wraps over lines\n\n| col | another column |\n|---|---|\n| a value that is long | b |\n\n```yaml\nkey: a-very-long-value-that-needs-to-be-broken-somewhere\n```\n\n---\n";
        let doc = parse(md);
        for width in [20u16, 40, 80] {
            let r = layout(&doc, width);
            for line in plain(&r) {
                assert!(line.width() <= usize::from(width), "{width}: {line:?} is {} wide", line.width());
            }
        }
    }

    #[test]
    fn course_links_are_found_with_their_line_and_text() {
        let r = layout(&parse("See [the **first** lab](exercise:eks-cluster/preflight) and [a page](https://x.io).\n\nThen [`cost`](lesson:cost).\n"), 20);
        let links: Vec<(&str, usize, &str)> = r.links.iter().map(|l| (l.target.as_str(), l.line, l.text.as_str())).collect();
        assert_eq!(links, [("exercise:eks-cluster/preflight", 0, "the first lab"), ("lesson:cost", 4, "cost")]);
        assert_eq!(r.lines[0].plain(), "See the first lab");
    }

    #[test]
    fn code_blocks_are_tracked_with_their_lines() {
        let r = layout(&parse("text\n\n```bash\necho hi\n```\n"), 40);
        assert_eq!(r.code_blocks.len(), 1);
        let block = &r.code_blocks[0];
        assert_eq!(block.text, "echo hi");
        assert_eq!(block.lines.len(), 3);
        assert!(r.lines[block.lines.start].plain().starts_with("╭─ bash "));
        assert_eq!(r.lines[block.lines.start + 1].plain(), "│ echo hi");
    }

    #[test]
    fn a_shell_block_says_when_it_runs() {
        let r = layout(&parse("```bash if-needed\nfix\n```\n\n```bash\nrun\n```\n\n```yaml watch\nk: v\n```\n"), 40);
        let tops: Vec<String> = plain(&r).into_iter().filter(|l| l.starts_with('╭')).collect();
        assert!(tops[0].starts_with("╭─ bash · if needed ─"), "{tops:?}");
        assert!(tops[1].starts_with("╭─ bash ─"), "{tops:?}");
        assert!(tops[2].starts_with("╭─ yaml ─"), "{tops:?}");
        assert_eq!(r.code_blocks[0].text, "fix");
    }

    #[test]
    fn lists_quotes_and_tables_are_drawn() {
        let r = layout(&parse("1. first\n2. second\n   - inner\n\n> quoted\n\n| a | b |\n|---|--:|\n| x | 10 |\n"), 40);
        let lines = plain(&r);
        assert_eq!(lines[0], "1. first");
        assert_eq!(lines[1], "2. second");
        assert_eq!(lines[2], "   • inner");
        assert!(lines.contains(&"│ quoted".to_string()), "{lines:#?}");
        assert!(lines.contains(&"│ x │ 10 │".to_string()), "{lines:#?}");
    }
}
