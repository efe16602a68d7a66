//! What the workshop clients keep on disk, in the state folder (`workshop/`), readable by the
//! user only: the learner's membership and the instructor's tokens.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::workshop::model::StepRef;

/// A learner's place in a workshop, written by `kubedojo join`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub server: String,
    pub workshop: String,
    pub workshop_name: String,
    pub learner: String,
    pub name: String,
    pub token: String,
    pub steps: Vec<StepRef>,
    /// Report drill scores too (`join --share-drills`).
    #[serde(default)]
    pub share_drills: bool,
}

/// An instructor's workshop, written by `kubedojo workshop create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructorCredentials {
    pub server: String,
    pub workshop: String,
    pub name: String,
    pub token: String,
    pub created_at: i64,
}

pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("workshop")
}

fn membership_path(state_dir: &Path) -> PathBuf {
    dir(state_dir).join("membership.json")
}

pub fn outbox_path(state_dir: &Path) -> PathBuf {
    dir(state_dir).join("outbox.jsonl")
}

fn instructor_dir(state_dir: &Path) -> PathBuf {
    dir(state_dir).join("instructor")
}

/// Write a secret file atomically, readable by its owner only.
fn write_private(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let parent = path.parent().context("no parent folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).with_context(|| format!("could not write in {}", parent.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    serde_json::to_writer_pretty(&mut tmp, value)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).with_context(|| format!("{} is damaged; remove it and join or create again", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not read {}", path.display())),
    }
}

impl Membership {
    pub fn load(state_dir: &Path) -> anyhow::Result<Option<Membership>> {
        read(&membership_path(state_dir))
    }

    pub fn save(&self, state_dir: &Path) -> anyhow::Result<PathBuf> {
        let path = membership_path(state_dir);
        write_private(&path, self)?;
        Ok(path)
    }
}

impl InstructorCredentials {
    pub fn save(&self, state_dir: &Path) -> anyhow::Result<PathBuf> {
        let path = instructor_dir(state_dir).join(format!("{}.json", self.workshop));
        write_private(&path, self)?;
        Ok(path)
    }

    /// Every saved instructor workshop, the newest first.
    pub fn all(state_dir: &Path) -> anyhow::Result<Vec<InstructorCredentials>> {
        let dir = instructor_dir(state_dir);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("could not read {}", dir.display())),
        };
        let mut out = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json")
                && let Some(c) = read::<InstructorCredentials>(&path)?
            {
                out.push(c);
            }
        }
        out.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        Ok(out)
    }
}
