//! Start-up: load the pack, the progress and the key map, and collect what the learner must be
//! told (a corrupt progress file moved aside, a bad key map file). Shared by the TUI and `list`.

use std::sync::Arc;

use crate::app::{App, Overlay};
use crate::content::{self, Pack, PackFiles};
use crate::input::Keymap;
use crate::progress::store::{Loaded, Store};

pub struct Start {
    pub pack: Arc<Pack>,
    pub files: Arc<PackFiles>,
    pub store: Store,
    pub progress: Loaded,
    pub lab: crate::labconfig::LabConfig,
}

/// The lab config (`~/.config/kubedojo/lab.toml`), or its located error.
pub fn lab_config() -> Result<crate::labconfig::LabConfig, String> {
    match crate::labconfig::default_path() {
        Some(path) => crate::labconfig::load(&path).map_err(|d| format!("lab config: {d}")),
        None => Ok(Default::default()),
    }
}

/// Load a pack for use. Errors in the pack are returned as printable text (file:line:col).
pub fn load_pack(files: PackFiles) -> Result<(Arc<Pack>, Arc<PackFiles>), String> {
    let loaded = content::load(&files, &crate::checks::catalog::known_kinds());
    if loaded.has_errors() {
        let mut text = String::from("the course pack has problems:\n");
        for d in loaded.errors() {
            let shown = content::Diagnostic { file: files.display_path(&d.file), ..d.clone() };
            text.push_str(&format!("{shown}\n"));
        }
        text.push_str("run `kubedojo lint` on the pack for the full report");
        return Err(text);
    }
    Ok((Arc::new(loaded.pack), Arc::new(files)))
}

pub fn start(files: PackFiles) -> Result<Start, String> {
    let (mut pack, files) = load_pack(files)?;
    let lab = lab_config()?;
    lab.apply(Arc::make_mut(&mut pack));
    let mut store = Store::default_location().ok_or_else(|| "cannot find a home folder for the progress file: set KUBEDOJO_STATE_DIR".to_string())?;
    let progress = store.load();
    Ok(Start { pack, files, store, progress, lab })
}

/// The key map, with the user's overrides when they are valid; otherwise a notice.
pub fn keymap() -> (Keymap, Option<String>) {
    let Some(path) = Keymap::user_file() else { return (Keymap::built_in(), None) };
    match Keymap::with_user_file(&path) {
        Ok(map) => (map, None),
        Err(diags) => {
            let mut text = String::from("Your key map file has problems, so the built-in keys are used:\n\n");
            for d in diags.iter().take(6) {
                text.push_str(&format!("{d}\n"));
            }
            (Keymap::built_in(), Some(text))
        }
    }
}

impl Start {
    pub fn into_app(self, size: (u16, u16)) -> (App, Store) {
        let warning = self.progress.warning();
        let (keymap, keymap_notice) = keymap();
        let mut app = App::new(self.pack, self.files, self.progress.into_progress(), keymap, size);
        let notices: Vec<String> = warning.into_iter().chain(keymap_notice).collect();
        if !notices.is_empty() {
            app.overlay = Some(Overlay::Notice { title: "Notice".into(), text: notices.join("\n\n") });
        }
        (app, self.store)
    }
}
