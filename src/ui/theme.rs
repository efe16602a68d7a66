//! Every colour and text style of the UI, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::app::Level;
use crate::checks::CheckStatus;
use crate::markdown::{Kind, SpanStyle};
use crate::progress::ItemStatus;

pub const ACCENT: Color = Color::Rgb(0x5f, 0xaf, 0xff);
pub const MUTED: Color = Color::Rgb(0x8a, 0x8f, 0x98);
pub const SELECTED_BG: Color = Color::Rgb(0x26, 0x3b, 0x55);
pub const MATCH_BG: Color = Color::Rgb(0x6b, 0x5a, 0x00);
pub const CURRENT_MATCH_BG: Color = Color::Rgb(0xd7, 0x87, 0x00);

pub fn title_bar() -> Style {
    Style::new().fg(Color::White).bg(Color::Rgb(0x1f, 0x2a, 0x38)).add_modifier(Modifier::BOLD)
}

pub fn status_bar() -> Style {
    Style::new().fg(Color::Rgb(0xc8, 0xcc, 0xd2)).bg(Color::Rgb(0x1a, 0x1d, 0x23))
}

pub fn key_hint() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

pub fn muted() -> Style {
    Style::new().fg(MUTED)
}

pub fn selected() -> Style {
    Style::new().bg(SELECTED_BG).add_modifier(Modifier::BOLD)
}

pub fn border() -> Style {
    Style::new().fg(Color::Rgb(0x4a, 0x50, 0x5a))
}

pub fn border_focus() -> Style {
    Style::new().fg(ACCENT)
}

pub fn part_title() -> Style {
    Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
}

pub fn flash(level: Level) -> Style {
    match level {
        Level::Info => Style::new().fg(Color::Rgb(0xd0, 0xd4, 0xda)),
        Level::Success => Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87)).add_modifier(Modifier::BOLD),
        Level::Warning => Style::new().fg(Color::Rgb(0xff, 0xaf, 0x5f)).add_modifier(Modifier::BOLD),
    }
}

pub fn item_status(status: ItemStatus) -> Style {
    match status {
        ItemStatus::NotStarted => muted(),
        ItemStatus::InProgress => Style::new().fg(Color::Rgb(0xff, 0xd7, 0x5f)),
        ItemStatus::Done => Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87)),
    }
}

pub fn check_status(status: CheckStatus) -> Style {
    match status {
        CheckStatus::Pass => Style::new().fg(Color::Rgb(0x87, 0xd7, 0x87)).add_modifier(Modifier::BOLD),
        CheckStatus::Fail => Style::new().fg(Color::Rgb(0xff, 0x6b, 0x6b)).add_modifier(Modifier::BOLD),
        CheckStatus::Warn => Style::new().fg(Color::Rgb(0xff, 0xd7, 0x5f)).add_modifier(Modifier::BOLD),
        CheckStatus::Skip => muted(),
        CheckStatus::Error => Style::new().fg(Color::Rgb(0xd7, 0x87, 0xff)).add_modifier(Modifier::BOLD),
    }
}

/// A markdown span's style.
pub fn span(style: SpanStyle) -> Style {
    let base = match style.kind {
        Kind::Text => Style::new(),
        Kind::Heading(1) => Style::new().fg(Color::Rgb(0x87, 0xd7, 0xff)),
        Kind::Heading(2) => Style::new().fg(ACCENT),
        Kind::Heading(_) => Style::new().fg(Color::Rgb(0xaf, 0xaf, 0xff)),
        Kind::InlineCode => Style::new().fg(Color::Rgb(0xff, 0xaf, 0x87)).bg(Color::Rgb(0x2a, 0x2d, 0x34)),
        Kind::Link => Style::new().fg(Color::Rgb(0x5f, 0xd7, 0xd7)).add_modifier(Modifier::UNDERLINED),
        Kind::LinkTarget => muted(),
        Kind::Quote => Style::new().fg(Color::Rgb(0xb8, 0xbc, 0xc4)),
        Kind::Marker => Style::new().fg(ACCENT),
        Kind::Rule | Kind::TableBorder | Kind::CodeFrame => border(),
        Kind::Code => Style::new().fg(Color::Rgb(0xd0, 0xd4, 0xda)),
        Kind::Syntax(r, g, b) => Style::new().fg(Color::Rgb(r, g, b)),
        Kind::Dim => muted(),
    };
    let mut m = Modifier::empty();
    if style.bold {
        m |= Modifier::BOLD;
    }
    if style.italic {
        m |= Modifier::ITALIC;
    }
    if style.strike {
        m |= Modifier::CROSSED_OUT;
    }
    base.add_modifier(m)
}
