//! Input: key bindings as data, and the translation of terminal events into commands.

pub mod command;
pub mod keymap;

pub use command::{Command, Context};
pub use keymap::Keymap;
