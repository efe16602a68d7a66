//! The non-interactive commands: `lint` and `list`.

use std::fmt::Write as _;
use std::path::Path;

use crate::checks::catalog;
use crate::content::{self, ItemRef, Pack, PackFiles};
use crate::progress::{ItemStatus, PackProgress};

/// Exit code for content or usage problems.
pub const EXIT_USAGE: i32 = 2;

pub fn pack_files(dir: Option<&Path>) -> Result<PackFiles, String> {
    match dir {
        Some(d) => PackFiles::from_dir(d).map_err(|e| format!("cannot read pack: {e}")),
        None => Ok(PackFiles::embedded()),
    }
}

/// Run lint; returns the text to print and the exit code.
pub fn lint(files: &PackFiles, strict: bool) -> (String, i32) {
    let loaded = content::lint::lint(files);
    let mut out = String::new();
    for d in &loaded.diagnostics {
        let shown = content::Diagnostic { file: files.display_path(&d.file), ..d.clone() };
        let _ = writeln!(out, "{shown}");
    }
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    let pack = &loaded.pack;
    let steps: usize = pack.exercises.iter().map(|e| e.steps.len()).sum();
    let checks: usize = pack.exercises.iter().flat_map(|e| &e.steps).map(|s| s.checks.len()).sum();
    let _ = writeln!(
        out,
        "{}: {} lessons, {} exercises, {steps} steps, {checks} checks: {errors} error{}, {warnings} warning{}",
        files.display_path("").trim_end_matches('/'),
        pack.lessons.len(),
        pack.exercises.len(),
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    );
    let failed = errors > 0 || (strict && warnings > 0);
    (out, i32::from(failed))
}

pub fn kinds() -> String {
    let mut out = String::new();
    for k in catalog::KINDS {
        let params = k
            .params
            .iter()
            .map(|p| match p.kind {
                catalog::ParamKind::Text => p.name.to_string(),
                catalog::ParamKind::List => format!("{}[]", p.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "{:<26} {:<60} {params}", k.id, k.about);
    }
    out
}

pub fn list(pack: &Pack, pp: &PackProgress) -> String {
    let mut out = String::new();
    let done = pack.items().filter(|&i| pp.status(pack, i) == ItemStatus::Done).count();
    let _ = writeln!(out, "{} ({}): {done}/{} done", pack.title, pack.id, pack.items().count());
    let mut lesson_no = 0;
    for part in &pack.parts {
        let _ = writeln!(out, "\n{}", part.title);
        for &item in &part.items {
            let status = pp.status(pack, item);
            let (label, meta) = match item {
                ItemRef::Lesson(i) => {
                    lesson_no += 1;
                    (format!("{lesson_no:>2}."), format!("{} min", pack.lessons[i].minutes))
                }
                ItemRef::Exercise(i) => {
                    let (d, t) = pp.exercise_counts(&pack.exercises[i]);
                    ("lab".to_string(), format!("{d}/{t} steps"))
                }
            };
            let _ = writeln!(
                out,
                "  {} {label:<3} {:<56} {meta:<11} {}",
                status.symbol(),
                pack.item_title(item),
                status.label()
            );
        }
    }
    out
}
