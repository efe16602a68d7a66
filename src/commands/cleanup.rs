//! `kubedojo cleanup`: read-only. Every AWS resource a lab of the course made that still
//! exists, found by the names its teardown step's `teardown.clean` check lists (with the lab
//! config's values), each with the command that deletes it. Exit codes: 0 nothing is left, 1
//! something is, 3 a lab's resources could not be read (and nothing was found), 2 usage errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::backend::Backend;
use crate::checks::engine::leftovers;
use crate::content::Pack;

#[derive(Debug, Clone, Serialize)]
pub struct Left {
    pub exercise: String,
    pub what: String,
    pub delete: String,
    pub bills: bool,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub left: Vec<Left>,
    /// Labs whose resources could not be read: the lab and why.
    pub unread: Vec<(String, String)>,
    /// Labs looked at (those with a teardown check).
    pub labs: Vec<String>,
}

impl Report {
    pub fn exit_code(&self) -> i32 {
        if !self.left.is_empty() {
            1
        } else if !self.unread.is_empty() {
            3
        } else {
            0
        }
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        if self.left.is_empty() && self.unread.is_empty() {
            let _ = writeln!(out, "nothing is left: no resource of {} remains", self.labs.join(", "));
            return out;
        }
        let mut lab = "";
        for l in &self.left {
            if l.exercise != lab {
                let _ = writeln!(out, "{}:", l.exercise);
                lab = &l.exercise;
            }
            let bills = if l.bills { "bills by the hour" } else { "no hourly charge" };
            let _ = writeln!(out, "  {} ({bills})\n    {}", l.what, l.delete);
        }
        for (ex, why) in &self.unread {
            let _ = writeln!(out, "{ex}: not read: {why}");
        }
        let billing = self.left.iter().filter(|l| l.bills).count();
        let _ = writeln!(
            out,
            "{} left{}; delete in the order shown (what a lab's cluster holds goes before the roles it names)",
            self.left.len(),
            if billing > 0 { format!(", {billing} billing by the hour") } else { String::new() }
        );
        out
    }
}

/// The leftovers of every lab with a teardown check, with the lab's values and `overrides`.
pub async fn run(backend: &Backend, pack: &Pack, overrides: &BTreeMap<String, String>) -> Report {
    let mut report = Report::default();
    for ex in &pack.exercises {
        let mut vars = ex.vars.clone();
        vars.extend(overrides.clone());
        let specs: Vec<_> = ex.steps.iter().flat_map(|s| &s.checks).filter(|c| c.kind == "teardown.clean").map(|c| c.expand(&vars)).collect();
        if specs.is_empty() {
            continue;
        }
        report.labs.push(ex.id.clone());
        for spec in specs {
            match leftovers(backend, &spec, &vars).await {
                Ok(left) => report.left.extend(left.into_iter().map(|l| Left { exercise: ex.id.clone(), what: l.what, delete: l.delete, bills: l.bills })),
                Err(r) => report.unread.push((ex.id.clone(), r.message)),
            }
        }
    }
    report
}
