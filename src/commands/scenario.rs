//! `kubedojo scenario list|start|status|hint|reset`. Injecting a fault writes to a cluster and
//! an AWS account, so it happens only in the sandbox `kubedojo sandbox up` created, or in a
//! target named on the command line; the exact changes are shown and confirmed first.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::checks::backend::{Backend, TargetOptions};
use crate::cli::TargetArgs;
use crate::content::{Pack, Scenario};
use crate::progress::PackProgress;
use crate::scenario::{self, access::Allowed};

/// The target a scenario may change (`scenario::access::allowed`), from the command line's flags.
pub fn allowed(
    s: &Scenario,
    args: &TargetArgs,
    lab: &crate::labconfig::TargetDefaults,
    sandbox: Option<&crate::sandbox::Sandbox>,
    how: scenario::access::Naming,
) -> Result<Allowed, String> {
    let named = TargetOptions {
        kind: args.target,
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        aws_profile: args.aws_profile.clone(),
        aws_region: args.aws_region.clone(),
        aws_endpoint: args.aws_endpoint_url.clone(),
    };
    scenario::access::allowed(s, &named, &args.target_options(lab), sandbox, how)
}

pub fn find<'p>(pack: &'p Pack, id: &str) -> Result<&'p Scenario, String> {
    pack.scenario(id).ok_or_else(|| {
        let near = crate::content::suggest::closest(id, pack.scenarios.iter().map(|s| s.id.as_str()));
        match near {
            Some(n) => format!("no scenario {id}; did you mean {n}? (kubedojo scenario list)"),
            None => format!("no scenario {id} (kubedojo scenario list)"),
        }
    })
}

pub fn vars(pack: &Pack, s: &Scenario, overrides: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut v = scenario::vars(pack, s);
    v.extend(super::check::parse_vars(overrides)?);
    Ok(v)
}

fn clock(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

pub fn list(pack: &Pack, pp: Option<&PackProgress>, now: u64) -> String {
    let mut out = String::new();
    for s in &pack.scenarios {
        let state = match pp.and_then(|p| p.scenarios.get(&s.id)) {
            None => "not started".to_string(),
            Some(r) if r.fixed_at.is_some() => format!("fixed in {} (score {})", clock(r.secs(now)), r.score(s.minutes, now)),
            Some(r) => format!("broken for {}", clock(r.secs(now))),
        };
        let _ = writeln!(out, "{:<32} {:>3} min  lab {:<26} {state}", s.id, s.minutes, s.lab);
        let _ = writeln!(out, "    {}", s.title);
    }
    if pack.scenarios.is_empty() {
        out.push_str("this pack has no scenarios\n");
    }
    out
}

/// What `start` will do, for the confirmation.
pub fn plan_text(pack: &Pack, files: &crate::content::PackFiles, s: &Scenario, vars: &BTreeMap<String, String>, target: &str) -> String {
    let mut out = format!("Scenario {}: {}\n\nIn {target}, kubedojo will:\n", s.id, s.title);
    let objects = scenario::setup_objects(pack, files, s, vars);
    if !objects.is_empty() {
        let _ = writeln!(out, "  - apply the working state from lab {} (server-side, field manager kubedojo): {}", s.lab, objects.join(", "));
    }
    for (_, d) in scenario::plan(s, vars) {
        let _ = writeln!(out, "  - {d}");
    }
    out.push_str("\nNothing else is touched; `kubedojo scenario reset ");
    out.push_str(&s.id);
    out.push_str("` puts these back.\n");
    out
}

fn results_text(results: &[crate::checks::CheckResult]) -> String {
    results.iter().map(|r| format!("  {} {:<26} {}\n", r.status.symbol(), r.check, r.message)).collect()
}

pub async fn start(
    b: &Backend,
    pack: &Pack,
    files: &crate::content::PackFiles,
    s: &Scenario,
    vars: &BTreeMap<String, String>,
    now: u64,
    target: &str,
) -> Result<(scenario::ScenarioRun, String), String> {
    match scenario::start(b, pack, files, s, vars, now, target.to_string()).await {
        Ok(run) => {
            let after = scenario::check(b, s, vars).await;
            let mut out = format!(
                "The fault is in. Your clock runs from now ({} minutes expected).\n\n{}\n",
                s.minutes,
                crate::content::vars::expand(s.symptom.text.trim(), vars)
            );
            if !scenario::shows_fault(s, &after) {
                out.push_str("\n(The checks do not show the fault yet: controllers may take a moment.)\n");
            }
            let _ = writeln!(out, "\nWhen you think it is fixed: kubedojo scenario status {}. Stuck: kubedojo scenario hint {}.", s.id, s.id);
            Ok((run, out))
        }
        Err(e @ scenario::StartError::NotWorking(_)) => Err(format!("{} (kubedojo check {} shows what is missing)", e.explain(s), s.lab)),
        Err(e) => Err(e.explain(s)),
    }
}

/// Run the checks; fixed when they all pass.
pub async fn status(b: &Backend, s: &Scenario, vars: &BTreeMap<String, String>, run: &mut scenario::ScenarioRun, now: u64) -> (String, bool) {
    let results = scenario::check(b, s, vars).await;
    let mut out = results_text(&results);
    let fixed = scenario::all_pass(&results);
    if fixed && run.fixed_at.is_none() {
        run.fixed_at = Some(now);
    }
    if fixed {
        let _ = writeln!(
            out,
            "\nFixed in {} with {} hint{}: score {}/100.\n\n## Debrief\n\n{}",
            clock(run.secs(now)),
            run.hints_revealed,
            if run.hints_revealed == 1 { "" } else { "s" },
            run.score(s.minutes, now),
            crate::content::vars::expand(&s.debrief_with_sources(), vars)
        );
    } else {
        let _ = writeln!(out, "\nStill broken after {} ({} minutes expected).", clock(run.secs(now)), s.minutes);
    }
    (out, fixed)
}

pub fn hint(s: &Scenario, run: &mut scenario::ScenarioRun, vars: &BTreeMap<String, String>) -> String {
    let n = usize::from(run.hints_revealed);
    match s.hints.get(n) {
        Some(h) => {
            run.hints_revealed += 1;
            format!("Hint {} of {}: {}\n", n + 1, s.hints.len(), crate::content::vars::expand(h.text.trim(), vars))
        }
        None => format!("No more hints. The fix:\n\n{}\n", crate::content::vars::expand(s.fix.text.trim(), vars)),
    }
}
