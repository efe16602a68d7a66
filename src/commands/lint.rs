//! `kubedojo lint`.

use std::fmt::Write as _;

use crate::checks::catalog;
use crate::content::kinds::ParamKind;
use crate::content::{self, PackFiles};

/// Run lint; returns the text to print and the exit code.
pub fn lint(files: &PackFiles, strict: bool, today: jiff::civil::Date) -> (String, i32) {
    let loaded = content::lint::lint(files, &catalog::known_kinds(), today);
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
        "{}: {} lessons, {} exercises, {steps} steps, {checks} checks, {} cards, {} scenarios: {errors} error{}, {warnings} warning{}",
        files.display_path("").trim_end_matches('/'),
        pack.lessons.len(),
        pack.exercises.len(),
        pack.cards.len(),
        pack.scenarios.len(),
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
                ParamKind::Text => p.name.to_string(),
                ParamKind::List => format!("{}[]", p.name),
                ParamKind::Entries(shape) => format!("{}[{}]", p.name, shape.form().replace('`', "")),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "{:<26} {:<60} {params}", k.id, k.about);
    }
    out
}
