//! Helpers shared by the integration tests: build an app on a pack, drive it with keys,
//! render it to ratatui's TestBackend.

#![allow(dead_code)]

pub mod tty;

use std::path::Path;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kubedojo::app::{self, Action, App, Effect};
use kubedojo::content::PackFiles;
use kubedojo::input::Keymap;
use kubedojo::progress::Progress;
use kubedojo::target::{AwsTarget, KubeTarget, TargetInfo};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn fixture_pack() -> PackFiles {
    PackFiles::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pack")).expect("fixture pack")
}

/// The fixed time of the test apps: 2026-12-06 12:00 UTC.
pub const NOW: u64 = 1_796_558_400;

pub fn app_with(files: PackFiles, progress: Progress, size: (u16, u16)) -> App {
    let (pack, files) = kubedojo::session::load_pack(files).expect("pack loads");
    let mut app = App::new(pack, files, progress, Keymap::built_in(), size);
    // the time is state, set as the runtime sets it: screens are the same on every run
    app.now = NOW;
    app::update(&mut app, Action::Resize(size.0, size.1));
    app.target = Some(TargetInfo {
        kube: Some(KubeTarget { context: "kwok-lab".into(), server: Some("https://127.0.0.1:6443".into()) }),
        aws: Some(AwsTarget { profile: "lab".into(), region: Some("eu-west-1".into()), endpoint: None }),
        problem: None,
        sandbox: false,
    });
    app
}

pub fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app::update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn keys(app: &mut App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        let mods = if c.is_ascii_uppercase() { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
        effects.extend(app::update(app, Action::Key(KeyEvent::new(KeyCode::Char(c), mods))));
    }
    effects
}

pub fn render(app: &App) -> Terminal<TestBackend> {
    let (w, h) = app.geometry.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| kubedojo::ui::draw(f, app)).expect("draw");
    terminal
}

pub fn screen(app: &App) -> String {
    render(app).backend().to_string()
}

pub const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

pub fn builtin() -> PackFiles {
    PackFiles::embedded()
}

pub fn arc<T>(t: T) -> Arc<T> {
    Arc::new(t)
}
