//! The key map: loaded from `keymap.toml` (built in) and the user's override file, looked up per
//! context, and listed for the help overlay and the status bar.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crokey::KeyCombination;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::command::{Command, Context};
use crate::content::Diagnostic;
use crate::content::toml_src::TomlFile;

const BUILT_IN: &str = include_str!("keymap.toml");

#[derive(Debug, Clone)]
pub struct Binding {
    pub command: Command,
    pub keys: Vec<KeyCombination>,
    pub desc: String,
    /// Short label when the binding is shown in the status bar.
    pub bar: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Keymap {
    contexts: HashMap<Context, Vec<Binding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    action: Spanned<Command>,
    keys: Vec<Spanned<String>>,
    #[serde(default)]
    desc: Option<String>,
    #[serde(default)]
    bar: Option<String>,
}

type RawKeymap = HashMap<Context, Vec<RawBinding>>;

impl Keymap {
    pub fn built_in() -> Self {
        Self::parse("keymap.toml", BUILT_IN, None).expect("the built-in keymap is valid (tested)")
    }

    /// The built-in map with the user's file applied over it: each (context, action) in the
    /// user's file replaces the built-in keys of that action.
    pub fn with_user_file(path: &Path) -> Result<Self, Vec<Diagnostic>> {
        let base = Self::built_in();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(base),
            Err(e) => return Err(vec![Diagnostic::error(&path.display().to_string(), (1, 1), format!("cannot read: {e}"))]),
        };
        Self::parse(&path.display().to_string(), &text, Some(base))
    }

    pub fn user_file() -> Option<PathBuf> {
        directories::ProjectDirs::from("dev", "kubedojo", "kubedojo").map(|d| d.config_dir().join("keymap.toml"))
    }

    fn parse(file: &str, text: &str, base: Option<Keymap>) -> Result<Self, Vec<Diagnostic>> {
        let src = TomlFile { file, text };
        let raw: RawKeymap = src
            .parse("a keymap has [[context]] tables with action, keys, desc; contexts: global, home, lesson, exercise, help, confirm, search")
            .map_err(|d| vec![d])?;
        let mut map = base.unwrap_or_default();
        let mut diags = Vec::new();
        for context in Context::ALL {
            let Some(bindings) = raw.get(&context) else { continue };
            for rb in bindings {
                let mut keys = Vec::new();
                for k in &rb.keys {
                    match crokey::parse(k.get_ref()) {
                        Ok(combo) => keys.push(normalize(combo)),
                        Err(_) => diags.push(
                            src.error(k, format!("unknown key {:?}", k.get_ref()))
                                .hint("write keys like \"j\", \"shift-g\", \"ctrl-d\", \"pagedown\", \"enter\", \"esc\""),
                        ),
                    }
                }
                let list = map.contexts.entry(context).or_default();
                match list.iter_mut().find(|b| b.command == *rb.action.get_ref()) {
                    Some(existing) => {
                        existing.keys = keys;
                        if let Some(desc) = &rb.desc {
                            existing.desc.clone_from(desc);
                        }
                        if rb.bar.is_some() {
                            existing.bar.clone_from(&rb.bar);
                        }
                    }
                    None => list.push(Binding { command: *rb.action.get_ref(), keys, desc: rb.desc.clone().unwrap_or_default(), bar: rb.bar.clone() }),
                }
            }
        }
        diags.extend(map.conflicts(file));
        if diags.is_empty() { Ok(map) } else { Err(diags) }
    }

    /// A key bound twice in one context, or a context shadowing the global quit key.
    fn conflicts(&self, file: &str) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let force_quit: Vec<KeyCombination> =
            self.bindings(Context::Global).iter().filter(|b| b.command == Command::ForceQuit).flat_map(|b| b.keys.clone()).collect();
        for context in Context::ALL {
            let mut seen: HashMap<KeyCombination, Command> = HashMap::new();
            for b in self.bindings(context) {
                for k in &b.keys {
                    if let Some(other) = seen.insert(*k, b.command)
                        && other != b.command
                    {
                        diags.push(
                            Diagnostic::error(file, (1, 1), format!("[{}] key {k} is bound to both {} and {}", context.name(), other.name(), b.command.name()))
                                .hint("give each key one action per context"),
                        );
                    }
                    if context != Context::Global && force_quit.contains(k) {
                        diags.push(
                            Diagnostic::error(file, (1, 1), format!("[{}] key {k} shadows the global quit key", context.name()))
                                .hint("keep a way out: pick another key"),
                        );
                    }
                }
            }
        }
        diags
    }

    pub fn bindings(&self, context: Context) -> &[Binding] {
        self.contexts.get(&context).map_or(&[], Vec::as_slice)
    }

    /// The command of a key in a context; context bindings win over global ones.
    pub fn lookup(&self, context: Context, key: KeyEvent) -> Option<Command> {
        let combo = normalize(KeyCombination::from(key));
        [context, Context::Global].into_iter().flat_map(|c| self.bindings(c)).find(|b| b.keys.contains(&combo)).map(|b| b.command)
    }

    /// The bindings to list for a context: its own, then the global ones.
    pub fn help(&self, context: Context) -> Vec<&Binding> {
        self.bindings(context).iter().chain(self.bindings(Context::Global)).collect()
    }

    /// The key map as markdown tables, one per context (the README's key map is this text).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for context in Context::ALL {
            out.push_str(&format!("**{}**\n\n| keys | action |\n|---|---|\n", context.title()));
            for b in self.bindings(context) {
                let keys = b.keys.iter().map(|k| format!("`{}`", key_label(*k))).collect::<Vec<_>>().join(" ");
                out.push_str(&format!("| {keys} | {} |\n", b.desc));
            }
            out.push('\n');
        }
        out
    }

    /// Short hints for the status bar: "enter open · / search · ? help".
    pub fn bar(&self, context: Context) -> Vec<(String, &str)> {
        self.help(context).into_iter().filter_map(|b| Some((key_label(*b.keys.first()?), b.bar.as_deref()?))).collect()
    }
}

/// Shifted punctuation arrives with SHIFT set or not depending on the terminal: ignore it.
fn normalize(combo: KeyCombination) -> KeyCombination {
    let mut combo = combo.normalized();
    if let KeyCode::Char(c) = *combo.codes.first()
        && !c.is_alphabetic()
    {
        combo.modifiers.remove(KeyModifiers::SHIFT);
    }
    combo
}

/// How a key is written for people: `G` for shift-g, `C-d` for ctrl-d, `pagedown`.
pub fn key_label(k: KeyCombination) -> String {
    if let KeyCode::Char(c) = *k.codes.first()
        && k.modifiers == KeyModifiers::SHIFT
        && c.is_alphabetic()
    {
        return c.to_uppercase().to_string();
    }
    let s = k.to_string();
    match s.as_str() {
        "Space" => "space".into(),
        _ => s.to_lowercase().replace("shift-", "S-").replace("ctrl-", "C-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers: mods, kind: KeyEventKind::Press, state: crossterm::event::KeyEventState::NONE }
    }

    #[test]
    fn built_in_keymap_is_valid_and_complete() {
        let map = Keymap::parse("keymap.toml", BUILT_IN, None).expect("valid");
        for c in Context::ALL {
            assert!(!map.bindings(c).is_empty(), "no keys for {c:?}");
            for b in map.bindings(c) {
                assert!(!b.desc.is_empty(), "{c:?} {:?} has no description", b.command);
                assert!(!b.keys.is_empty(), "{c:?} {:?} has no key", b.command);
            }
        }
    }

    #[test]
    fn vim_keys_and_arrows_both_work() {
        let map = Keymap::built_in();
        let none = KeyModifiers::NONE;
        assert_eq!(map.lookup(Context::Lesson, key(KeyCode::Char('j'), none)), Some(Command::Down));
        assert_eq!(map.lookup(Context::Lesson, key(KeyCode::Down, none)), Some(Command::Down));
        assert_eq!(map.lookup(Context::Lesson, key(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Command::Bottom));
        assert_eq!(map.lookup(Context::Home, key(KeyCode::Char('?'), KeyModifiers::SHIFT)), Some(Command::Help));
        assert_eq!(map.lookup(Context::Help, key(KeyCode::Char('?'), none)), Some(Command::Back));
        assert_eq!(map.lookup(Context::Exercise, key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Command::ForceQuit));
        assert_eq!(map.lookup(Context::Lesson, key(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Command::PrevBlock));
    }

    #[test]
    fn user_file_overrides_and_conflicts_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, "[[lesson]]\naction = \"search\"\nkeys = [\"ctrl-s\"]\n").unwrap();
        let map = Keymap::with_user_file(&path).unwrap();
        let ctrl_s = key(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(Context::Lesson, ctrl_s), Some(Command::Search));
        assert_eq!(map.lookup(Context::Lesson, key(KeyCode::Char('/'), KeyModifiers::NONE)), None);

        std::fs::write(&path, "[[lesson]]\naction = \"search\"\nkeys = [\"j\"]\n").unwrap();
        let err = Keymap::with_user_file(&path).unwrap_err();
        assert_eq!(err[0].message, "[lesson] key j is bound to both down and search", "the actions as keymap.toml names them");

        std::fs::write(&path, "[[lesson]]\naction = \"search\"\nkeys = [\"ctrl-nope\"]\n").unwrap();
        let err = Keymap::with_user_file(&path).unwrap_err();
        assert_eq!((err[0].line, err[0].message.as_str()), (3, "unknown key \"ctrl-nope\""));

        std::fs::write(&path, "[[lesson]]\naction = \"fly\"\nkeys = [\"f\"]\n").unwrap();
        let err = Keymap::with_user_file(&path).unwrap_err();
        assert_eq!(err[0].line, 2, "{}", err[0]);
    }

    #[test]
    fn status_bar_hints_come_from_the_keymap() {
        let map = Keymap::built_in();
        let bar = map.bar(Context::Home);
        assert!(bar.contains(&("enter".to_string(), "open")), "{bar:?}");
        assert!(bar.contains(&("?".to_string(), "help")), "{bar:?}");
    }
}
