//! Break-fix scenarios: start from a lab's solved state, inject a fault (after showing exactly
//! what will change), let the learner find and fix it, and put everything back on reset.

pub mod access;
pub mod action;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checks::backend::Backend;
use crate::checks::{CheckResult, CheckStatus};
use crate::content::{Pack, Scenario};
use action::Undo;

/// A scenario in progress (or fixed), saved with the progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRun {
    /// Unix seconds.
    pub started_at: u64,
    #[serde(default)]
    pub hints_revealed: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<u64>,
    /// How to put back what the fault changed, in the order it was changed.
    #[serde(default)]
    pub undo: Vec<Undo>,
    /// The target it was injected into (kube context and AWS), for status and reset.
    #[serde(default)]
    pub target: String,
}

impl ScenarioRun {
    /// Seconds from the start to the fix (or to `now`).
    pub fn secs(&self, now: u64) -> u64 {
        self.fixed_at.unwrap_or(now).saturating_sub(self.started_at)
    }

    /// Out of 100: full within the expected time, minus 3 a minute over it and 15 a hint.
    pub fn score(&self, expected_minutes: u32, now: u64) -> u32 {
        let over = (self.secs(now) / 60).saturating_sub(u64::from(expected_minutes));
        100u32.saturating_sub((over * 3).min(100) as u32).saturating_sub(15 * u32::from(self.hints_revealed))
    }
}

/// The scenario's variables: its lab's, then its own.
pub fn vars(pack: &Pack, s: &Scenario) -> BTreeMap<String, String> {
    let mut v = pack.exercise(&s.lab).map(|e| e.vars.clone()).unwrap_or_default();
    v.extend(s.vars.clone());
    v
}

/// The fault's actions with the variables filled in, and what each will change.
pub fn plan(s: &Scenario, vars: &BTreeMap<String, String>) -> Vec<(crate::content::FaultAction, String)> {
    let cluster = vars.get("cluster").cloned().unwrap_or_default();
    s.fault
        .iter()
        .map(|a| {
            let a = action::expand(a, vars);
            let d = action::describe(&a, &cluster);
            (a, d)
        })
        .collect()
}

/// Run the scenario's checks.
pub async fn check(b: &Backend, s: &Scenario, vars: &BTreeMap<String, String>) -> Vec<CheckResult> {
    let specs: Vec<_> = s.checks.iter().map(|c| c.spec.expand(vars)).collect();
    crate::checks::engine::run_checks(b, &specs, vars).await.results
}

/// Whether every check passes (the working state, or fixed).
pub fn all_pass(results: &[CheckResult]) -> bool {
    !results.is_empty() && results.iter().all(|r| r.status == CheckStatus::Pass)
}

/// Whether the results show the fault: some check fails with its `broken` text.
pub fn shows_fault(s: &Scenario, results: &[CheckResult]) -> bool {
    s.checks.iter().zip(results).any(|(c, r)| r.status == CheckStatus::Fail && r.message.contains(&c.broken))
}

#[derive(Debug)]
pub enum StartError {
    /// The working state is not in place: the checks that do not pass.
    NotWorking(Vec<CheckResult>),
    /// Applying the setup (the lab's manifests) failed; nothing was broken.
    Setup(String),
    /// An action failed; the ones before it were undone (or could not be: listed).
    Inject { error: String, not_undone: Vec<String> },
}

impl StartError {
    /// What went wrong, for the learner, in the CLI and the TUI alike.
    pub fn explain(&self, s: &Scenario) -> String {
        match self {
            Self::NotWorking(results) => {
                let failing: String = results.iter().map(|r| format!("  {} {:<26} {}\n", r.status.symbol(), r.check, r.message)).collect();
                format!(
                    "the working state of lab {} is not in place on this target, so there is nothing to break yet:\n{failing}Solve the lab first: its checks show what is missing",
                    s.lab
                )
            }
            Self::Setup(error) => format!("could not set up the working state of lab {} on this target: {error}\nNothing was broken.", s.lab),
            Self::Inject { error, not_undone } => {
                let mut m = format!("injecting the fault failed: {error}");
                if not_undone.is_empty() {
                    m.push_str("\nEverything changed before it was put back.");
                } else {
                    m.push_str("\nCould NOT put back:\n");
                    for n in not_undone {
                        m.push_str(&format!("  - {n}\n"));
                    }
                }
                m
            }
        }
    }
}

/// The lab's asset files carry its default variable values (the exercises say so): where this
/// target's values differ, they are replaced, longest first.
fn replacements(pack: &Pack, s: &Scenario, vars: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let defaults = pack.exercise(&s.lab).map(|e| e.vars.clone()).unwrap_or_default();
    let mut r: Vec<(String, String)> =
        defaults.into_iter().filter_map(|(k, d)| vars.get(&k).filter(|v| **v != d && !d.is_empty()).map(|v| (d, v.clone()))).collect();
    r.sort_by_key(|(d, _)| std::cmp::Reverse(d.len()));
    r
}

/// The objects the setup applies, for the confirmation: `Kind namespace/name` of each.
pub fn setup_objects(pack: &Pack, files: &crate::content::PackFiles, s: &Scenario, vars: &BTreeMap<String, String>) -> Vec<String> {
    let r = replacements(pack, s, vars);
    s.setup
        .iter()
        .flat_map(|a| setup_documents(pack, files, a, vars, &r))
        .map(|d| {
            let kind = d["kind"].as_str().unwrap_or("object").to_string();
            let name = d["metadata"]["name"].as_str().unwrap_or("?");
            match d["metadata"]["namespace"].as_str() {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            }
        })
        .collect()
}

/// An asset's objects: rendered with the target's values, then any lab default still written
/// literally replaced.
fn setup_documents(
    pack: &Pack,
    files: &crate::content::PackFiles,
    asset: &str,
    vars: &BTreeMap<String, String>,
    replacements: &[(String, String)],
) -> Vec<serde_json::Value> {
    let mut text = crate::content::assets::render_for(pack, files, asset, vars).unwrap_or_default();
    for (from, to) in replacements {
        text = text.replace(from.as_str(), to);
    }
    serde_saphyr::from_multiple::<serde_json::Value>(&text).unwrap_or_default().into_iter().filter(|d| d.is_object()).collect()
}

/// Apply the setup's objects (server-side apply, as `kubedojo`), namespaces first.
pub async fn apply_setup(b: &Backend, pack: &Pack, files: &crate::content::PackFiles, s: &Scenario, vars: &BTreeMap<String, String>) -> Result<(), String> {
    use kube::api::{Api, DynamicObject, Patch, PatchParams};
    let client = b.kube.clone()?;
    let r = replacements(pack, s, vars);
    let mut docs: Vec<serde_json::Value> = s.setup.iter().flat_map(|a| setup_documents(pack, files, a, vars, &r)).collect();
    docs.sort_by_key(|d| d["kind"] != "Namespace");
    for d in docs {
        let (api_version, kind) = (d["apiVersion"].as_str().unwrap_or_default(), d["kind"].as_str().unwrap_or_default());
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
        let (ar, caps) = kube::discovery::pinned_kind(&client, &gvk).await.map_err(|e| format!("{api_version} {kind}: {}", crate::kube_text::error(&e)))?;
        let name = d["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let api: Api<DynamicObject> = match (caps.scope, d["metadata"]["namespace"].as_str()) {
            (kube::discovery::Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
            (kube::discovery::Scope::Namespaced, None) => Api::default_namespaced_with(client.clone(), &ar),
            _ => Api::all_with(client.clone(), &ar),
        };
        api.patch(&name, &PatchParams::apply("kubedojo").force(), &Patch::Apply(&d))
            .await
            .map_err(|e| format!("apply {kind} {name}: {}", crate::kube_text::error(&e)))?;
    }
    Ok(())
}

/// Build what kubedojo can of the working state (the setup), verify all of it (the checks
/// pass; controllers get a little time), then inject the fault. On a failed action, what was
/// already changed is put back.
pub async fn start(
    b: &Backend,
    pack: &Pack,
    files: &crate::content::PackFiles,
    s: &Scenario,
    vars: &BTreeMap<String, String>,
    now: u64,
    target: String,
) -> Result<ScenarioRun, StartError> {
    if !s.setup.is_empty()
        && let Err(error) = apply_setup(b, pack, files, s, vars).await
    {
        return Err(StartError::Setup(error));
    }
    let mut before = check(b, s, vars).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(if s.setup.is_empty() { 0 } else { 30 });
    while !all_pass(&before) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        before = check(b, s, vars).await;
    }
    if !all_pass(&before) {
        return Err(StartError::NotWorking(before));
    }
    let cluster = vars.get("cluster").cloned().unwrap_or_default();
    let mut undo = Vec::new();
    for (a, _) in plan(s, vars) {
        match action::apply(b, &a, &cluster).await {
            Ok(u) => undo.push(u),
            Err(error) => {
                let not_undone = reset(b, &undo).await;
                return Err(StartError::Inject { error, not_undone });
            }
        }
    }
    Ok(ScenarioRun { started_at: now, hints_revealed: 0, fixed_at: None, undo, target })
}

/// Put back what the fault changed, newest first; returns what could not be put back.
pub async fn reset(b: &Backend, undo: &[Undo]) -> Vec<String> {
    let mut failed = Vec::new();
    for u in undo.iter().rev() {
        if let Err(e) = action::undo(b, u).await {
            failed.push(format!("{}: {e}", action::describe_undo(u)));
        }
    }
    failed
}
