//! Word wrapping of styled spans to a column width (display width, not bytes).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{SpanStyle, StyledSpan, push_span};

/// Wrap at word boundaries; a word longer than the width is split after its last `/` that
/// fits (a path keeps its segments whole), else at the width. `\n` forces a break.
/// A word is what lies between spaces, whatever styles it crosses: "`credentials`:" is one
/// word, so a line never starts with the colon cut from it.
pub fn wrap(spans: &[StyledSpan], width: usize) -> Vec<Vec<StyledSpan>> {
    let width = width.max(1);
    let mut lines: Vec<Vec<StyledSpan>> = Vec::new();
    let mut line: Vec<StyledSpan> = Vec::new();
    let mut line_w = 0usize;
    // a space waiting to be written before the next word on this line
    let mut pending: Option<SpanStyle> = None;

    for token in tokens(spans) {
        match token {
            Token::Break => {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
                pending = None;
            }
            Token::Space(style) => {
                if line_w > 0 {
                    pending = Some(style);
                }
            }
            Token::Word(parts) => {
                let w: usize = parts.iter().map(|(t, _)| t.width()).sum();
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
                    for (text, style) in parts {
                        push_span(&mut line, text, style);
                    }
                    line_w += w;
                } else {
                    // longer than a whole line (a path, a URL): split after the last `/` that
                    // fits, else at the width
                    let chars: Vec<(char, SpanStyle, usize)> =
                        parts.iter().flat_map(|(t, st)| t.chars().map(move |c| (c, *st, c.width().unwrap_or(0)))).collect();
                    let mut at = 0;
                    while at < chars.len() {
                        let room = width - line_w;
                        let (mut fit, mut used) = (0, 0);
                        while at + fit < chars.len() && used + chars[at + fit].2 <= room {
                            used += chars[at + fit].2;
                            fit += 1;
                        }
                        if at + fit < chars.len() {
                            if let Some(slash) = (1..fit).rev().find(|&k| chars[at + k - 1].0 == '/') {
                                fit = slash;
                            } else if fit == 0 && line_w == 0 {
                                fit = 1; // a character wider than the line
                            }
                        }
                        let mut buf = [0u8; 4];
                        for &(c, st, cw) in &chars[at..at + fit] {
                            push_span(&mut line, c.encode_utf8(&mut buf), st);
                            line_w += cw;
                        }
                        at += fit;
                        if at < chars.len() {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0;
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

enum Token<'a> {
    /// The pieces of one word, each with its style.
    Word(Vec<(&'a str, SpanStyle)>),
    Space(SpanStyle),
    Break,
}

/// Words across span boundaries: a piece that follows a piece of a word with no space between
/// them is more of the same word.
fn tokens(spans: &[StyledSpan]) -> Vec<Token<'_>> {
    let mut out: Vec<Token<'_>> = Vec::new();
    for span in spans {
        for piece in split_keep(&span.text) {
            match piece {
                Piece::Break => out.push(Token::Break),
                Piece::Space => out.push(Token::Space(span.style)),
                Piece::Word(word) => match out.last_mut() {
                    Some(Token::Word(parts)) => parts.push((word, span.style)),
                    _ => out.push(Token::Word(vec![(word, span.style)])),
                },
            }
        }
    }
    out
}

/// The mark that starts a code line's continuation (the line was longer than the width).
pub const CONTINUED: &str = "↪ ";

/// Wrap a line of code: break at the last space that fits, never inside a token or flag
/// (only a token longer than the whole width is split); every continuation starts with
/// [`CONTINUED`], and the spaces at a break are dropped. Tabs show as two spaces.
pub fn code_wrap(spans: &[StyledSpan], width: usize) -> Vec<Vec<StyledSpan>> {
    let width = width.max(4);
    // the line as characters with their styles and widths
    let chars: Vec<(char, SpanStyle, usize)> = spans
        .iter()
        .flat_map(|s| s.text.chars().map(move |c| (c, s.style)))
        .flat_map(|(c, st)| if c == '\t' { vec![(' ', st, 1), (' ', st, 1)] } else { vec![(c, st, c.width().unwrap_or(0))] })
        .collect();
    let mark_style = SpanStyle::of(super::Kind::CodeFrame);
    let mut lines = Vec::new();
    let mut at = 0;
    let mut first = true;
    loop {
        let room = if first { width } else { width - CONTINUED.width() };
        // how far this line can go
        let mut end = at;
        let mut w = 0;
        while end < chars.len() && w + chars[end].2 <= room {
            w += chars[end].2;
            end += 1;
        }
        if end < chars.len() {
            // break after the last space in the line, if a non-space comes before it
            if let Some(space) = (at + 1..=end).rev().find(|&i| chars[i].0 == ' ' && chars[at..i].iter().any(|c| c.0 != ' ')) {
                end = space;
            }
            end = end.max(at + 1);
        }
        let mut line = Vec::new();
        if !first {
            push_span(&mut line, CONTINUED, mark_style);
        }
        for &(c, style, _) in &chars[at..end] {
            let mut buf = [0u8; 4];
            push_span(&mut line, c.encode_utf8(&mut buf), style);
        }
        lines.push(line);
        at = end;
        if at >= chars.len() {
            break;
        }
        // the spaces at the break belong to neither line
        while at < chars.len() && chars[at].0 == ' ' {
            at += 1;
        }
        if at >= chars.len() {
            break;
        }
        first = false;
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
    fn a_path_longer_than_the_line_breaks_after_a_slash() {
        let spans = vec![StyledSpan::new("moved to /home/learner/.local/state/kubedojo/progress.json.corrupt-1 and", SpanStyle::default())];
        assert_eq!(plain(&wrap(&spans, 30)), ["moved to", "/home/learner/.local/state/", "kubedojo/", "progress.json.corrupt-1 and"]);
    }

    #[test]
    fn a_style_change_inside_a_word_is_no_break() {
        let code = SpanStyle::of(Kind::InlineCode);
        let spans = vec![
            StyledSpan::new("no static ", SpanStyle::default()),
            StyledSpan::new("credentials", code),
            StyledSpan::new(": no access keys", SpanStyle::default()),
        ];
        // "credentials:" is one word: the colon never starts a line
        assert_eq!(plain(&wrap(&spans, 21)), ["no static", "credentials: no", "access keys"]);
        assert_eq!(plain(&wrap(&spans, 12)), ["no static", "credentials:", "no access", "keys"]);
        let lines = wrap(&spans, 21);
        assert_eq!(lines[1][0].style, code);
        assert_eq!(lines[1][1].text, ": no");
    }

    #[test]
    fn code_breaks_at_spaces_never_inside_a_flag() {
        let spans = vec![StyledSpan::new("aws eks describe-cluster --name kd-lab --query cluster.status", SpanStyle::default())];
        let lines = plain(&code_wrap(&spans, 30));
        assert_eq!(lines, ["aws eks describe-cluster", "↪ --name kd-lab --query", "↪ cluster.status"]);
        assert!(lines.iter().all(|l| l.width() <= 30));
        // a token longer than the width is split, still marked
        let long = vec![StyledSpan::new("https://example.com/a/very/long/path", SpanStyle::default())];
        assert_eq!(plain(&code_wrap(&long, 20)), ["https://example.com/", "↪ a/very/long/path"]);
        // leading indentation is kept, and a line that fits is one line
        let yaml = vec![StyledSpan::new("    name: x", SpanStyle::default())];
        assert_eq!(plain(&code_wrap(&yaml, 20)), ["    name: x"]);
        assert_eq!(plain(&code_wrap(&[StyledSpan::new("", SpanStyle::default())], 20)), [""]);
    }

    #[test]
    fn wide_characters_count_double() {
        let spans = vec![StyledSpan::new("日本語 abc", SpanStyle::default())];
        assert_eq!(plain(&wrap(&spans, 6)), ["日本語", "abc"]);
        assert_eq!(plain(&code_wrap(&spans, 6)), ["日本語", "↪ abc"]);
    }
}
