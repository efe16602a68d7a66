//! The progress file: JSON under the XDG state dir, written atomically (temp file in the same
//! folder, fsync, rename), so a crash at any point leaves either the old or the new file.
//! A file that cannot be read is moved aside with a message; nothing is overwritten unread.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Progress, VERSION};

pub const FILE_NAME: &str = "progress.json";

#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    /// Set when saving would destroy data we could not read (see `load`).
    read_only: bool,
}

#[derive(Debug)]
pub enum Loaded {
    Fresh(Progress),
    Existing(Progress),
    /// The file was unreadable; it now lives at `moved_to`, and the learner starts fresh.
    Recovered {
        progress: Progress,
        moved_to: PathBuf,
        reason: String,
    },
    /// The file could not be read nor moved; nothing will be saved this session.
    Untouchable {
        progress: Progress,
        reason: String,
    },
}

impl Loaded {
    pub fn progress(&self) -> &Progress {
        match self {
            Self::Fresh(p) | Self::Existing(p) => p,
            Self::Recovered { progress, .. } | Self::Untouchable { progress, .. } => progress,
        }
    }

    pub fn into_progress(self) -> Progress {
        match self {
            Self::Fresh(p) | Self::Existing(p) => p,
            Self::Recovered { progress, .. } | Self::Untouchable { progress, .. } => progress,
        }
    }

    /// A message for the learner when something went wrong.
    pub fn warning(&self) -> Option<String> {
        match self {
            Self::Fresh(_) | Self::Existing(_) => None,
            Self::Recovered { moved_to, reason, .. } => Some(format!(
                "Your progress file could not be read ({reason}). It was moved to {} and you start fresh; nothing was deleted.",
                moved_to.display()
            )),
            Self::Untouchable { reason, .. } => {
                Some(format!("Your progress file could not be read ({reason}) nor moved aside, so progress will not be saved this session."))
            }
        }
    }
}

/// The state folder: `$KUBEDOJO_STATE_DIR`, else the XDG state dir (`~/.local/state/kubedojo`),
/// else the platform's local data dir.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KUBEDOJO_STATE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("dev", "kubedojo", "kubedojo")?;
    Some(dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf())
}

impl Store {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), read_only: false }
    }

    pub fn default_location() -> Option<Self> {
        state_dir().map(|d| Self::at(d.join(FILE_NAME)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn load(&mut self) -> Loaded {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Fresh(Progress::default()),
            Err(e) => return self.set_aside(format!("cannot read {}: {e}", self.path.display())),
        };
        #[derive(serde::Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        // a newer format may not parse as ours: look at its version alone first
        if let Ok(v) = serde_json::from_slice::<VersionOnly>(&bytes)
            && v.version > VERSION
        {
            self.read_only = true;
            return Loaded::Untouchable {
                progress: Progress::default(),
                reason: format!("it was written by a newer kubedojo (format {} > {VERSION}); update kubedojo", v.version),
            };
        }
        match serde_json::from_slice::<Progress>(&bytes) {
            Ok(p) => Loaded::Existing(p),
            Err(e) => self.set_aside(format!("{}: line {} column {}: {e}", self.path.display(), e.line(), e.column())),
        }
    }

    fn set_aside(&mut self, reason: String) -> Loaded {
        match move_aside(&self.path, crate::clock::unix_now()) {
            Ok(moved_to) => Loaded::Recovered { progress: Progress::default(), moved_to, reason },
            Err(e) => {
                self.read_only = true;
                Loaded::Untouchable { progress: Progress::default(), reason: format!("{reason}; moving it failed: {e}") }
            }
        }
    }

    pub fn save(&self, progress: &Progress) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(progress).map_err(io::Error::other)?;
        self.save_bytes(&bytes)
    }

    /// Write already-serialized progress atomically.
    pub fn save_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        if self.read_only {
            return Ok(());
        }
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        let mut tmp = tempfile::Builder::new().prefix(".progress-").suffix(".tmp").tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        // make the rename itself durable
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }
}

/// Move `path` to `progress.json.corrupt-STAMP` (then `-STAMP-2`, `-STAMP-3`, ... when that is
/// taken, say by another file set aside in the same second), never over an existing file: a hard
/// link fails when its name exists, then the original goes; where links cannot be made, a rename
/// to a name that does not exist yet.
fn move_aside(path: &Path, stamp: u64) -> io::Result<PathBuf> {
    for n in 1..=1000u32 {
        let name = if n == 1 { format!("{FILE_NAME}.corrupt-{stamp}") } else { format!("{FILE_NAME}.corrupt-{stamp}-{n}") };
        let to = path.with_file_name(name);
        match fs::hard_link(path, &to) {
            Ok(()) => {
                fs::remove_file(path)?;
                return Ok(to);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if !to.exists() => {
                fs::rename(path, &to)?;
                return Ok(to);
            }
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!("1000 files named {FILE_NAME}.corrupt-{stamp}* exist already beside it")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_temp_files_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::at(dir.path().join("sub/progress.json"));
        assert!(matches!(store.load(), Loaded::Fresh(_)));
        let mut p = Progress::default();
        p.pack_mut("eks").lesson_mut("intro").opened_at = Some(5);
        store.save(&p).unwrap();
        let Loaded::Existing(back) = store.load() else { panic!() };
        assert_eq!(back, p);
        let names: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["progress.json"]);
    }

    #[test]
    fn corrupt_file_is_moved_aside_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        fs::write(&path, "{\"version\": 1,\n \"packs\": {oops").unwrap();
        let mut store = Store::at(&path);
        let loaded = store.load();
        let Loaded::Recovered { moved_to, reason, progress } = &loaded else { panic!("{loaded:?}") };
        assert_eq!(progress, &Progress::default());
        assert!(reason.contains("line 2"), "{reason}");
        assert_eq!(fs::read_to_string(moved_to).unwrap(), "{\"version\": 1,\n \"packs\": {oops");
        assert!(!path.exists());
        assert!(loaded.warning().unwrap().contains("moved to"));
        // and saving works again afterwards
        store.save(&Progress::default()).unwrap();
        assert!(path.exists());
    }

    #[test]
    fn a_newer_format_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let newer = r#"{"version": 99, "packs": {"eks": {"lessons": "a new shape"}}}"#;
        fs::write(&path, newer).unwrap();
        let mut store = Store::at(&path);
        assert!(matches!(store.load(), Loaded::Untouchable { .. }));
        store.save(&Progress::default()).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), newer);
    }

    #[test]
    fn truncated_file_from_a_crash_mid_write_is_recovered() {
        // A crash can only leave a temp file behind (rename is atomic), but a file truncated by
        // other means must still not crash the lab.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let full = serde_json::to_string(&Progress::default()).unwrap();
        fs::write(&path, &full[..full.len() / 2]).unwrap();
        assert!(matches!(Store::at(&path).load(), Loaded::Recovered { .. }));
    }

    #[test]
    fn two_files_set_aside_in_the_same_second_keep_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        fs::write(&path, "first {").unwrap();
        let first = move_aside(&path, 1_796_587_447).unwrap();
        fs::write(&path, "second {").unwrap();
        let second = move_aside(&path, 1_796_587_447).unwrap();
        assert_ne!(first, second);
        assert_eq!(fs::read_to_string(&first).unwrap(), "first {");
        assert_eq!(fs::read_to_string(&second).unwrap(), "second {");
        assert_eq!(second.file_name().unwrap(), "progress.json.corrupt-1796587447-2");
        assert!(!path.exists());
    }
}
