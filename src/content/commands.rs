//! The commands of a solution: its shell code blocks, each with what it is for.
//!
//! A solution is markdown; the learner copies its code blocks. A ```` ```bash ```` block is
//! commands to run, in order, in one shell (variables set in one block are used by the next).
//! A word after the language says when a block is not simply run:
//!
//! - ```` ```bash or ````: an alternative to the block before it (run one of the two);
//! - ```` ```bash if-needed ````: only when the text before it says so (a repair);
//! - ```` ```bash afterwards ````: clean-up, once the step's checks pass;
//! - ```` ```bash watch ````: watches and never returns on its own (Ctrl-C ends it).
//!
//! The content proof runs every plain block of a step verbatim in the sandbox, then the
//! `afterwards` blocks once the checks pass; lint refuses a word it does not know.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

pub use crate::markdown::fence::{Fence, Use, fence, is_shell};

/// One shell code block of a solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub usage: Use,
    pub text: String,
    /// Byte offset of the fence in the markdown.
    pub offset: usize,
}

/// The shell blocks of `markdown`, in order. A block with an unknown word is left out (lint
/// reports it).
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(Use, usize, String)> = None;
    for (event, range) in Parser::new_ext(markdown, crate::markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let f = fence(&info);
                if let (true, Ok(usage)) = (is_shell(f.lang), f.usage) {
                    open = Some((usage, range.start, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = open.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((usage, offset, text)) = open.take() {
                    out.push(Block { usage, text, offset });
                }
            }
            _ => {}
        }
    }
    out
}

/// The commands a learner runs for a step, as one script: the plain blocks, in order.
pub fn script(blocks: &[Block], usage: Use) -> String {
    blocks.iter().filter(|b| b.usage == usage).map(|b| b.text.as_str()).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_say_when_they_run() {
        let md = "Text.\n\n```bash\nexport A=1\n```\n\n```yaml\nkind: X\n```\n\n```bash or\n./all.sh\n```\n\nIf wrong:\n\n```bash if-needed\nfix\n```\n\n```sh afterwards\nrm x\n```\n\n```bash watch\nkubectl get pods -w\n```\n\n```bash nonsense\nls\n```\n";
        let b = blocks(md);
        let uses: Vec<(Use, &str)> = b.iter().map(|b| (b.usage, b.text.as_str())).collect();
        assert_eq!(
            uses,
            [(Use::Run, "export A=1\n"), (Use::Or, "./all.sh\n"), (Use::IfNeeded, "fix\n"), (Use::Afterwards, "rm x\n"), (Use::Watch, "kubectl get pods -w\n")]
        );
        assert_eq!(&md[b[0].offset..b[0].offset + 7], "```bash");
        assert_eq!(script(&b, Use::Run), "export A=1\n");
        assert_eq!(fence("bash nonsense").usage, Err("nonsense"));
        assert_eq!(fence("yaml").usage, Ok(Use::Run));
        assert!(!is_shell("yaml"));
    }
}
