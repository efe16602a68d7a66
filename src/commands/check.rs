//! `kubedojo check`: run exercise checks headless, for scripts, instructors and CI.
//! Exit codes: 0 nothing failed or errored, 1 a check failed, 3 a check errored and none
//! failed, 2 usage or configuration errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::CheckStatus;
use crate::checks::backend::{Backend, TargetReport};
use crate::checks::engine::run_checks;
use crate::content::{CheckSpec, Exercise, Pack};

/// One line of the report: a check of a step of an exercise.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub exercise: String,
    pub step: String,
    pub check: String,
    pub status: CheckStatus,
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    /// What to run or change next (every failure has one).
    pub next: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: TargetReport,
    pub results: Vec<Row>,
    pub summary: Summary,
}

impl Summary {
    fn add(&mut self, s: CheckStatus) {
        match s {
            CheckStatus::Pass => self.pass += 1,
            CheckStatus::Fail => self.fail += 1,
            CheckStatus::Warn => self.warn += 1,
            CheckStatus::Skip => self.skip += 1,
            CheckStatus::Error => self.error += 1,
        }
    }
}

impl Report {
    pub fn exit_code(&self) -> i32 {
        if self.summary.fail > 0 {
            1
        } else if self.summary.error > 0 {
            3
        } else {
            0
        }
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        let t = &self.target;
        let kind = t.kind.map_or("unknown".to_string(), |k| format!("{k:?}").to_lowercase());
        let _ = writeln!(
            out,
            "target: {kind}{} · context {} · aws {}",
            if t.detected { " (detected)" } else { "" },
            t.context.as_deref().unwrap_or("none"),
            match (&t.aws_region, &t.aws_endpoint) {
                (Some(r), Some(e)) => format!("{r} via {e}"),
                (Some(r), None) => r.clone(),
                (None, _) => "none".to_string(),
            }
        );
        if let Some(p) = &t.problem {
            let _ = writeln!(out, "problem: {p}");
        }
        let mut current = (String::new(), String::new());
        for r in &self.results {
            if (r.exercise.as_str(), r.step.as_str()) != (current.0.as_str(), current.1.as_str()) {
                current = (r.exercise.clone(), r.step.clone());
                let _ = writeln!(out, "\n{}/{}", r.exercise, r.step);
            }
            let _ = writeln!(out, "  {} {:<5} {:<26} {}", r.status.symbol(), r.status.label(), r.check, r.message);
            if r.found.is_some() || r.expected.is_some() {
                let _ = writeln!(
                    out,
                    "          {:<26} found {} · expected {}",
                    "",
                    r.found.as_deref().unwrap_or("nothing"),
                    r.expected.as_deref().unwrap_or_default()
                );
            }
            if let Some(next) = &r.next {
                let _ = writeln!(out, "          {:<26} next  {next}", "");
            }
        }
        let s = &self.summary;
        let _ = writeln!(out, "\n{} pass, {} fail, {} warn, {} skip, {} error", s.pass, s.fail, s.warn, s.skip, s.error);
        out
    }
}

/// What to check: `EXERCISE` or `EXERCISE/STEP`; none means every exercise.
pub fn select<'a>(pack: &'a Pack, selectors: &[String]) -> Result<Vec<(&'a Exercise, Vec<usize>)>, String> {
    if selectors.is_empty() {
        return Ok(pack.exercises.iter().map(|e| (e, (0..e.steps.len()).collect())).collect());
    }
    let mut out: Vec<(&Exercise, Vec<usize>)> = Vec::new();
    for sel in selectors {
        let (ex_id, step_id) = sel.split_once('/').map_or((sel.as_str(), None), |(a, b)| (a, Some(b)));
        let ex = pack.exercise(ex_id).ok_or_else(|| {
            let ids: Vec<_> = pack.exercises.iter().map(|e| e.id.as_str()).collect();
            format!("no exercise {ex_id:?} (exercises: {})", ids.join(", "))
        })?;
        let steps: Vec<usize> = match step_id {
            Some(s) => vec![ex.steps.iter().position(|st| st.id == s).ok_or_else(|| {
                let ids: Vec<_> = ex.steps.iter().map(|s| s.id.as_str()).collect();
                format!("exercise {ex_id} has no step {s:?} (steps: {})", ids.join(", "))
            })?],
            None => (0..ex.steps.len()).collect(),
        };
        match out.iter_mut().find(|(e, _)| e.id == ex.id) {
            Some((_, existing)) => existing.extend(steps),
            None => out.push((ex, steps)),
        }
    }
    Ok(out)
}

/// `--var k=v` pairs.
pub fn parse_vars(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| p.split_once('=').map(|(k, v)| (k.trim().to_string(), v.to_string())).ok_or_else(|| format!("--var {p:?}: expected key=value")))
        .collect()
}

/// Run the selected checks: steps one after another (their order matters to a reader), the
/// checks of a step concurrently.
pub async fn run(backend: &Backend, selection: &[(&Exercise, Vec<usize>)], overrides: &BTreeMap<String, String>) -> Report {
    let mut results = Vec::new();
    let mut summary = Summary::default();
    for (ex, steps) in selection {
        let mut vars = ex.vars.clone();
        vars.extend(overrides.clone());
        for &i in steps {
            let step = &ex.steps[i];
            let specs: Vec<CheckSpec> = step.checks.iter().map(|c| c.expand(&vars)).collect();
            for r in run_checks(backend, &specs, &vars).await.results {
                summary.add(r.status);
                results.push(Row {
                    exercise: ex.id.clone(),
                    step: step.id.clone(),
                    check: r.check,
                    status: r.status,
                    message: r.message,
                    found: r.found,
                    expected: r.expected,
                    next: r.next,
                    duration_ms: r.duration_ms,
                });
            }
        }
    }
    Report { target: backend.report.clone(), results, summary }
}
