//! The non-interactive commands.

pub mod check;
pub mod cleanup;
pub mod docs;
pub mod doctor;
pub mod drill;
pub mod files;
pub mod lint;
pub mod list;
pub mod prompt;
pub mod scenario;
pub mod workshop;

use std::path::Path;

use crate::content::PackFiles;

/// Exit code for content, usage or configuration problems.
pub const EXIT_USAGE: i32 = 2;

pub fn pack_files(dir: Option<&Path>) -> Result<PackFiles, String> {
    match dir {
        Some(d) => PackFiles::from_dir(d).map_err(|e| format!("cannot read pack: {e}")),
        None => Ok(PackFiles::embedded()),
    }
}
