//! Word wrapping of styled spans to a column width (display width, not bytes).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{SpanStyle, StyledSpan, push_span};

/// Wrap at word boundaries; words longer than the width are split. `\n` forces a break.
pub fn wrap(spans: &[StyledSpan], width: usize) -> Vec<Vec<StyledSpan>> {
    let width = width.max(1);
    let mut lines: Vec<Vec<StyledSpan>> = Vec::new();
    let mut line: Vec<StyledSpan> = Vec::new();
    let mut line_w = 0usize;
    // a space waiting to be written before the next word on this line
    let mut pending: Option<SpanStyle> = None;

    for span in spans {
        for piece in split_keep(&span.text) {
            match piece {
                Piece::Break => {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                    pending = None;
                }
                Piece::Space => {
                    if line_w > 0 {
                        pending = Some(span.style);
                    }
                }
                Piece::Word(word) => {
                    let w = word.width();
                    let space = usize::from(pending.is_some());
                    if line_w > 0 && line_w + space + w > width {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0;
                        pending = None;
                    }
                    if let Some(style) = pending.take() {
                        push_span(&mut line, " ", style);
                        line_w += 1;
                    }
                    if line_w + w <= width {
                        push_span(&mut line, word, span.style);
                        line_w += w;
                    } else {
                        // longer than a whole line: split by characters
                        for ch in word.chars() {
                            let cw = ch.width().unwrap_or(0);
                            if line_w + cw > width && line_w > 0 {
                                lines.push(std::mem::take(&mut line));
                                line_w = 0;
                            }
                            let mut buf = [0u8; 4];
                            push_span(&mut line, ch.encode_utf8(&mut buf), span.style);
                            line_w += cw;
                        }
                    }
                }
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Split a line of code (no word wrapping: break exactly at the width).
pub fn hard_wrap(spans: &[StyledSpan], width: usize) -> Vec<Vec<StyledSpan>> {
    let width = width.max(1);
    let mut lines = vec![Vec::new()];
    let mut line_w = 0;
    for span in spans {
        for ch in span.text.chars() {
            let cw = if ch == '\t' { 2 } else { ch.width().unwrap_or(0) };
            if line_w + cw > width && line_w > 0 {
                lines.push(Vec::new());
                line_w = 0;
            }
            let mut buf = [0u8; 4];
            let text = if ch == '\t' { "  " } else { ch.encode_utf8(&mut buf) };
            push_span(lines.last_mut().expect("one line"), text, span.style);
            line_w += cw;
        }
    }
    lines
}

enum Piece<'a> {
    Word(&'a str),
    Space,
    Break,
}

fn split_keep(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        if first == '\n' {
            rest = &rest[1..];
            return Some(Piece::Break);
        }
        if first.is_whitespace() {
            let end = rest.find(|c: char| !c.is_whitespace() || c == '\n').unwrap_or(rest.len());
            rest = &rest[end..];
            return Some(Piece::Space);
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(Piece::Word(word))
    })
}

pub fn line_width(spans: &[StyledSpan]) -> usize {
    spans.iter().map(|s| s.text.width()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::Kind;

    fn plain(lines: &[Vec<StyledSpan>]) -> Vec<String> {
        lines.iter().map(|l| l.iter().map(|s| s.text.as_str()).collect()).collect()
    }

    #[test]
    fn wraps_at_words_and_keeps_styles() {
        let bold = SpanStyle { bold: true, ..SpanStyle::of(Kind::Text) };
        let spans =
            vec![StyledSpan::new("the quick ", SpanStyle::default()), StyledSpan::new("brown", bold), StyledSpan::new(" fox jumps", SpanStyle::default())];
        let lines = wrap(&spans, 10);
        assert_eq!(plain(&lines), ["the quick", "brown fox", "jumps"]);
        assert!(lines[1][0].style.bold);
    }

    #[test]
    fn splits_words_longer_than_the_line_and_honours_breaks() {
        let spans = vec![StyledSpan::new("abcdefghij x\ny", SpanStyle::default())];
        assert_eq!(plain(&wrap(&spans, 4)), ["abcd", "efgh", "ij x", "y"]);
    }

    #[test]
    fn wide_characters_count_double() {
        let spans = vec![StyledSpan::new("日本語 abc", SpanStyle::default())];
        assert_eq!(plain(&wrap(&spans, 6)), ["日本語", "abc"]);
        assert_eq!(plain(&hard_wrap(&spans, 4)), ["日本", "語 a", "bc"]);
    }
}
