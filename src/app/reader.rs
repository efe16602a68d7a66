//! A scrollable markdown document: the lesson reader and the exercise's step pane share it.
//! It owns the parsed document, the layout for the current width (re-laid only when the width
//! changes), the scroll position, search, and the selected code block.

use crate::input::Command;
use crate::markdown::search::{self, Match};
use crate::markdown::{self, Doc, Rendered};

#[derive(Debug, Clone, Default)]
pub struct Reader {
    /// The markdown shown, kept to tell an unchanged text from a new one.
    source: String,
    doc: Doc,
    /// How many times the document was laid out: once per text and width (see [`Reader::layouts`]).
    layouts: u64,
    pub rendered: Rendered,
    pub scroll: usize,
    pub height: u16,
    pub search: Search,
    pub selected_block: Option<usize>,
    /// The selected link into the course (an index in `rendered.links`).
    pub selected_link: Option<usize>,
    /// What the last move among matches or code blocks has to say ("match 3 of 11"), for the
    /// screen to show; taken by [`Reader::take_notice`].
    notice: Option<String>,
}

/// The labels of the keys a reader's notices name ("c copies it"), as the learner's key map binds
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub copy: String,
    pub open: String,
}

#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Being typed (search prompt open).
    pub input: Option<String>,
    pub query: String,
    pub matches: Vec<Match>,
    pub current: Option<usize>,
}

impl Reader {
    /// The keys every reader shares (paging, search, headings, code blocks, links): false when
    /// `cmd` is not one of them. `keys` names the keys its notices mention.
    pub fn command(&mut self, cmd: Command, keys: &Keys) -> bool {
        match cmd {
            Command::PageDown => self.scroll_by(self.page()),
            Command::PageUp => self.scroll_by(-self.page()),
            Command::HalfPageDown => self.scroll_by(self.page() / 2),
            Command::HalfPageUp => self.scroll_by(-self.page() / 2),
            Command::Top => self.scroll_to(0),
            Command::Bottom => self.scroll_to(usize::MAX),
            Command::NextSection => self.next_section(true),
            Command::PrevSection => self.next_section(false),
            Command::Search => self.start_search(),
            Command::NextMatch => self.next_match(true),
            Command::PrevMatch => self.next_match(false),
            Command::NextBlock => self.select_block(true, &keys.copy),
            Command::PrevBlock => self.select_block(false, &keys.copy),
            Command::NextLink => self.select_link(true, &keys.open),
            Command::PrevLink => self.select_link(false, &keys.open),
            _ => return false,
        }
        true
    }

    pub fn new(markdown_text: &str, width: u16, height: u16) -> Self {
        let doc = markdown::parse(markdown_text);
        let rendered = markdown::layout(&doc, width);
        Self { source: markdown_text.to_string(), doc, layouts: 1, rendered, height, ..Self::default() }
    }

    /// How many times the document was laid out since [`Reader::new`]: a new text or a new width
    /// lays it out once; scrolling, a new height or the same text again do not.
    pub fn layouts(&self) -> u64 {
        self.layouts
    }

    fn lay_out(&mut self, width: u16) {
        self.rendered = markdown::layout(&self.doc, width);
        self.layouts += 1;
    }

    /// Replace the text (e.g. a hint was revealed) keeping the scroll position.
    pub fn set_text(&mut self, markdown_text: &str) {
        self.show(markdown_text, self.rendered.width, self.height);
    }

    /// Show `markdown_text` at `width` x `height`, laid out once: a text that changed with the
    /// width is not laid out for the old text first. Keeps the scroll position (for a new width,
    /// the same part of the text at the top of the view).
    pub fn show(&mut self, markdown_text: &str, width: u16, height: u16) {
        self.height = height;
        let new_text = markdown_text != self.source;
        if !new_text && width == self.rendered.width {
            self.clamp();
            return;
        }
        let fraction = (width != self.rendered.width).then(|| self.scroll as f64 / self.rendered.lines.len().max(1) as f64);
        if new_text {
            self.doc = markdown::parse(markdown_text);
            self.source = markdown_text.to_string();
        }
        self.lay_out(width);
        if let Some(fraction) = fraction {
            self.scroll = (fraction * self.rendered.lines.len() as f64).round() as usize;
        }
        self.refresh_search();
        self.clamp();
        if self.selected_block.is_some_and(|b| b >= self.rendered.code_blocks.len()) {
            self.selected_block = None;
        }
        if self.selected_link.is_some_and(|l| l >= self.rendered.links.len()) {
            self.selected_link = None;
        }
    }

    /// Re-wrap for a new width, keeping the same text at the top of the view.
    pub fn resize(&mut self, width: u16, height: u16) {
        // the same text: only a new width lays it out
        let text = self.source.clone();
        self.show(&text, width, height);
    }

    pub fn max_scroll(&self) -> usize {
        self.rendered.lines.len().saturating_sub(usize::from(self.height.max(1)))
    }

    pub fn at_end(&self) -> bool {
        self.scroll >= self.max_scroll()
    }

    fn clamp(&mut self) {
        self.scroll = self.scroll.min(self.max_scroll());
    }

    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = self.scroll.saturating_add_signed(delta).min(self.max_scroll());
    }

    pub fn scroll_to(&mut self, line: usize) {
        self.scroll = line.min(self.max_scroll());
    }

    pub fn page(&self) -> isize {
        (usize::from(self.height.max(2)) - 1) as isize
    }

    /// Bring a line into view with some context above it.
    fn reveal(&mut self, line: usize) {
        let h = usize::from(self.height.max(1));
        if line < self.scroll || line >= self.scroll + h {
            self.scroll_to(line.saturating_sub(h / 4));
        }
    }

    pub fn next_section(&mut self, forward: bool) {
        let target = if forward {
            self.rendered.headings.iter().find(|&&l| l > self.scroll).copied()
        } else {
            self.rendered.headings.iter().rev().find(|&&l| l < self.scroll).copied()
        };
        if let Some(line) = target {
            self.scroll_to(line);
        } else if forward {
            self.scroll_to(self.max_scroll());
        } else {
            self.scroll_to(0);
        }
    }

    // --- search ---

    pub fn start_search(&mut self) {
        self.search.input = Some(String::new());
    }

    pub fn search_input(&mut self) -> Option<&mut String> {
        self.search.input.as_mut()
    }

    pub fn accept_search(&mut self) {
        if let Some(query) = self.search.input.take() {
            self.search.query = query;
            self.refresh_search();
            self.search.current =
                self.search.matches.iter().position(|m| m.line >= self.scroll).or(if self.search.matches.is_empty() { None } else { Some(0) });
            if let Some(i) = self.search.current {
                self.reveal(self.search.matches[i].line);
            }
        }
    }

    pub fn cancel_search(&mut self) {
        self.search.input = None;
    }

    fn refresh_search(&mut self) {
        self.search.matches = search::find(&self.rendered, &self.search.query);
        if self.search.current.is_some_and(|c| c >= self.search.matches.len()) {
            self.search.current = None;
        }
    }

    pub fn next_match(&mut self, forward: bool) {
        let n = self.search.matches.len();
        if n == 0 {
            return;
        }
        let next = match self.search.current {
            Some(c) if forward => (c + 1) % n,
            Some(c) => (c + n - 1) % n,
            None => 0,
        };
        let wrapped = match self.search.current {
            Some(c) if forward => next < c,
            Some(c) => next > c,
            None => false,
        };
        self.search.current = Some(next);
        self.reveal(self.search.matches[next].line);
        let around = match (wrapped, forward) {
            (true, true) => " (from the top again)",
            (true, false) => " (from the end again)",
            _ => "",
        };
        self.notice = Some(format!("match {} of {n} for “{}”{around}", next + 1, self.search.query));
    }

    /// What the last move among matches or code blocks said, once.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    // --- code blocks ---

    /// Select the next/previous code block, starting from what is on screen. `copy_key` names
    /// the key that copies it.
    pub fn select_block(&mut self, forward: bool, copy_key: &str) {
        let blocks = &self.rendered.code_blocks;
        if blocks.is_empty() {
            return;
        }
        let h = usize::from(self.height.max(1));
        let visible = |i: usize| {
            let r = &blocks[i].lines;
            r.start < self.scroll + h && r.end > self.scroll
        };
        let n = blocks.len();
        let (next, around) = step(
            self.selected_block.filter(|&i| visible(i)),
            n,
            forward,
            || blocks.iter().position(|b| b.lines.end > self.scroll),
            || blocks.iter().rposition(|b| b.lines.start < self.scroll + h),
        );
        self.notice = Some(format!("code block {} of {n}{around}, {copy_key} copies it", next + 1));
        self.selected_block = Some(next);
        let lines = blocks[next].lines.clone();
        if lines.start < self.scroll || lines.end > self.scroll + h {
            self.scroll_to(lines.start.saturating_sub(1));
        }
    }

    /// Select the next (or previous) link into the course, from the screen's top; past the last
    /// it is the first again, and says so. `open_key` names the key that opens it.
    pub fn select_link(&mut self, forward: bool, open_key: &str) {
        let links: Vec<usize> = (0..self.rendered.links.len()).filter(|&i| self.rendered.links[i].line != usize::MAX).collect();
        if links.is_empty() {
            self.notice = Some("no links into the course on this page".to_string());
            return;
        }
        let h = usize::from(self.height.max(1));
        let line = |i: usize| self.rendered.links[i].line;
        let visible = |i: usize| line(i) >= self.scroll && line(i) < self.scroll + h;
        let n = links.len();
        let at = self.selected_link.and_then(|s| links.iter().position(|&l| l == s)).filter(|&k| visible(links[k]));
        let (k, around) =
            step(at, n, forward, || links.iter().position(|&l| line(l) >= self.scroll), || links.iter().rposition(|&l| line(l) < self.scroll + h));
        let link = &self.rendered.links[links[k]];
        self.notice = Some(format!("link {} of {n}{around}: “{}”, {open_key} opens it", k + 1, link.text));
        let target = link.line;
        self.selected_link = Some(links[k]);
        if target < self.scroll || target >= self.scroll + h {
            self.scroll_to(target.saturating_sub(h / 3));
        }
    }

    /// The selected link's target (`lesson:ID`, `exercise:ID[/STEP]`), when it is on screen.
    pub fn selected_link_target(&self) -> Option<&str> {
        let link = self.rendered.links.get(self.selected_link?)?;
        let h = usize::from(self.height.max(1));
        (link.line >= self.scroll && link.line < self.scroll + h).then_some(link.target.as_str())
    }

    /// The selected block's text and language, when it is on screen.
    pub fn selected_code(&self) -> Option<(&str, &str)> {
        let b = self.rendered.code_blocks.get(self.selected_block?)?;
        Some((b.text.as_str(), b.lang.as_str()))
    }
}

/// The next (or previous) of `n` things a key steps through: from the selected one when it is on
/// screen (past the last it is the first again, and before the first the last), else from the
/// first one on or below the screen's top (`first_below`) or the last above its bottom
/// (`last_above`). Returns the index and what to say of a wrap ("" when none).
fn step(
    at: Option<usize>,
    n: usize,
    forward: bool,
    first_below: impl FnOnce() -> Option<usize>,
    last_above: impl FnOnce() -> Option<usize>,
) -> (usize, &'static str) {
    let (next, wrapped) = match at {
        Some(i) if forward => ((i + 1) % n, i + 1 == n),
        Some(i) => ((i + n - 1) % n, i == 0),
        None if forward => (first_below().unwrap_or(0), false),
        None => (last_above().unwrap_or(n - 1), false),
    };
    let around = match (wrapped && n > 1, forward) {
        (true, true) => " (past the last: back to the first)",
        (true, false) => " (before the first: the last)",
        _ => "",
    };
    (next, around)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_doc() -> String {
        let mut s = String::from("# Title\n\n");
        for i in 0..50 {
            s.push_str(&format!("Paragraph {i} about IRSA.\n\n"));
            if i % 10 == 0 {
                s.push_str(&format!("## Section {i}\n\n```bash\necho {i}\n```\n\n"));
            }
        }
        s
    }

    #[test]
    fn scrolling_is_clamped_to_the_document() {
        let mut r = Reader::new(&long_doc(), 60, 10);
        r.scroll_by(-5);
        assert_eq!(r.scroll, 0);
        r.scroll_by(10_000);
        assert_eq!(r.scroll, r.max_scroll());
        assert!(r.at_end());
    }

    #[test]
    fn search_moves_between_matches() {
        let mut r = Reader::new(&long_doc(), 60, 10);
        r.start_search();
        r.search_input().unwrap().push_str("paragraph 3");
        r.accept_search();
        // "Paragraph 3" and "Paragraph 30".."39"
        assert_eq!(r.search.matches.len(), 11);
        let first = r.search.current.unwrap();
        r.next_match(true);
        assert_eq!(r.search.current, Some(first + 1));
        r.next_match(false);
        r.next_match(false);
        assert_eq!(r.search.current, Some((first + 10) % 11));
        let line = r.search.matches[r.search.current.unwrap()].line;
        assert!(line >= r.scroll && line < r.scroll + 10);
    }

    #[test]
    fn blocks_are_selected_in_order_and_scrolled_into_view() {
        let mut r = Reader::new(&long_doc(), 60, 10);
        r.select_block(true, "c");
        assert_eq!(r.selected_code(), Some(("echo 0", "bash")));
        r.select_block(true, "c");
        assert_eq!(r.selected_code(), Some(("echo 10", "bash")));
        let lines = r.rendered.code_blocks[1].lines.clone();
        assert!(lines.start >= r.scroll && lines.end <= r.scroll + 10);
        assert_eq!(r.take_notice().as_deref(), Some("code block 2 of 5, c copies it"));
        assert_eq!(r.take_notice(), None, "said once");
    }

    #[test]
    fn course_links_are_selected_in_order_and_wrap() {
        let text = "Read [the costs](lesson:cost) first.\n\n".to_string() + &"filler\n\n".repeat(20) + "Then [the lab](exercise:eks-cluster/preflight).\n";
        let mut r = Reader::new(&text, 60, 10);
        r.select_link(true, "o");
        assert_eq!(r.selected_link_target(), Some("lesson:cost"));
        assert_eq!(r.take_notice().as_deref(), Some("link 1 of 2: “the costs”, o opens it"));
        r.select_link(true, "o");
        assert_eq!(r.selected_link_target(), Some("exercise:eks-cluster/preflight"), "scrolled into view");
        r.select_link(true, "o");
        assert_eq!(r.selected_link_target(), Some("lesson:cost"));
        assert_eq!(r.take_notice().as_deref(), Some("link 1 of 2 (past the last: back to the first): “the costs”, o opens it"));
        // scrolled away, the selection is not on screen and opens nothing
        r.scroll_to(usize::MAX);
        assert_eq!(r.selected_link_target(), None);
        let mut plain = Reader::new("no links here", 60, 10);
        plain.select_link(true, "o");
        assert_eq!(plain.take_notice().as_deref(), Some("no links into the course on this page"));
    }

    #[test]
    fn a_wrapped_command_is_copied_unbroken() {
        let cmd = "aws eks create-access-entry --cluster-name kubedojo-lab --principal-arn arn:aws:iam::111122223333:role/viewers";
        let mut r = Reader::new(&format!("```bash\n{cmd}\n```\n"), 40, 10);
        let shown: Vec<String> = r.rendered.lines.iter().map(|l| l.plain()).collect();
        assert!(shown.len() > 4, "wrapped: {shown:?}");
        assert!(shown[2].starts_with("│ ↪ --cluster-name"), "{shown:?}");
        r.select_block(true, "c");
        assert_eq!(r.selected_code(), Some((cmd, "bash")));
    }

    #[test]
    fn past_the_last_block_or_match_it_wraps_and_says_so() {
        let mut r = Reader::new(&long_doc(), 60, 10);
        for _ in 0..5 {
            r.select_block(true, "c");
        }
        assert_eq!(r.selected_code(), Some(("echo 40", "bash")));
        r.select_block(true, "c");
        assert_eq!(r.selected_code(), Some(("echo 0", "bash")));
        assert_eq!(r.take_notice().as_deref(), Some("code block 1 of 5 (past the last: back to the first), c copies it"));
        r.select_block(false, "c");
        assert_eq!(r.selected_code(), Some(("echo 40", "bash")));
        assert_eq!(r.take_notice().as_deref(), Some("code block 5 of 5 (before the first: the last), c copies it"));

        r.start_search();
        r.search_input().unwrap().push_str("section");
        r.accept_search();
        let n = r.search.matches.len();
        for _ in 0..n - 1 - r.search.current.unwrap() {
            r.next_match(true);
        }
        assert_eq!(r.take_notice(), Some(format!("match {n} of {n} for “section”")));
        r.next_match(true);
        assert_eq!(r.take_notice(), Some(format!("match 1 of {n} for “section” (from the top again)")));
    }

    #[test]
    fn resize_rewraps_and_keeps_position() {
        let mut r = Reader::new(&long_doc(), 60, 10);
        r.scroll_to(40);
        let before = r.rendered.lines.len();
        r.resize(20, 10);
        assert!(r.rendered.lines.len() > before);
        assert!(r.scroll > 40);
    }
}
