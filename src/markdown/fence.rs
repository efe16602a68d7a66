//! What a fenced code block's info string says: its language, and for shell blocks when the
//! commands run (see `content::commands`). The reader shows it beside the language.

/// When a block of commands runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Run, in order.
    Run,
    /// An alternative to the block before.
    Or,
    /// Only when the text says it is needed.
    IfNeeded,
    /// After the step's checks pass.
    Afterwards,
    /// Never returns on its own.
    Watch,
}

impl Use {
    /// Every word a block may carry after its language, with what it means (for lint's hint).
    pub const WORDS: &[(&str, Use)] = &[("or", Use::Or), ("if-needed", Use::IfNeeded), ("afterwards", Use::Afterwards), ("watch", Use::Watch)];

    /// What the reader sees beside the block's language.
    pub fn label(self) -> Option<&'static str> {
        match self {
            Use::Run => None,
            Use::Or => Some("or"),
            Use::IfNeeded => Some("if needed"),
            Use::Afterwards => Some("after the checks pass"),
            Use::Watch => Some("watches: Ctrl-C ends it"),
        }
    }
}

/// A fence's info string: its language and the word after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence<'a> {
    pub lang: &'a str,
    /// `Err(word)` when the word is not one of [`Use::WORDS`].
    pub usage: Result<Use, &'a str>,
}

pub fn is_shell(lang: &str) -> bool {
    matches!(lang, "bash" | "sh" | "shell")
}

pub fn fence(info: &str) -> Fence<'_> {
    let mut words = info.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty());
    let lang = words.next().unwrap_or("");
    let usage = match words.next() {
        None => Ok(Use::Run),
        Some(w) => Use::WORDS.iter().find(|(name, _)| *name == w).map(|(_, u)| *u).ok_or(w),
    };
    Fence { lang, usage }
}
