//! `exercises/scenarios/<id>.toml`: a break-fix scenario. It starts from a lab's solved state,
//! injects a fault (actions that write, each described before it is applied and undone by a
//! reset), and names the checks that fail while it is broken and pass once it is fixed.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diag::Diagnostic;
use super::kinds::CheckKinds;
use super::model::{FaultAction, Scenario, ScenarioCheck};
use super::toml_src::TomlFile;

/// Kubernetes kinds a fault may patch or create, with their API group/version and plural.
pub const K8S_KINDS: [(&str, &str, &str, &str); 10] = [
    ("Deployment", "apps", "v1", "deployments"),
    ("DaemonSet", "apps", "v1", "daemonsets"),
    ("Service", "", "v1", "services"),
    ("ConfigMap", "", "v1", "configmaps"),
    ("ServiceAccount", "", "v1", "serviceaccounts"),
    ("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets"),
    ("Ingress", "networking.k8s.io", "v1", "ingresses"),
    ("IngressClass", "networking.k8s.io", "v1", "ingressclasses"),
    ("Rollout", "argoproj.io", "v1alpha1", "rollouts"),
    // cluster-scoped: a fault on it names no namespace
    ("NodePool", "karpenter.sh", "v1", "nodepools"),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    minutes: u32,
    #[serde(default)]
    difficulty: Option<u8>,
    lab: Spanned<String>,
    #[serde(default)]
    lessons: Vec<Spanned<String>>,
    symptom: Spanned<String>,
    #[serde(default)]
    hints: Vec<Spanned<String>>,
    fix: Spanned<String>,
    debrief: Spanned<String>,
    #[serde(default)]
    sources: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    setup: Vec<Spanned<String>>,
    #[serde(default)]
    fault: Vec<Spanned<toml::Table>>,
    #[serde(default)]
    checks: Vec<Spanned<toml::Table>>,
}

/// References to resolve once the whole pack is loaded: the lab and the lessons.
pub struct Refs {
    pub lab: (String, (usize, usize)),
    pub setup: Vec<(String, (usize, usize))>,
    pub lessons: Vec<(String, (usize, usize))>,
}

pub fn parse(src: &TomlFile<'_>, kinds: &CheckKinds, diags: &mut Vec<Diagnostic>) -> Option<(Scenario, Refs)> {
    let raw: RawScenario =
        match src.parse("a scenario has id, title, lab, symptom, hints, fix, debrief, [[fault]] and [[checks]] (see README: Break-fix scenarios)") {
            Ok(r) => r,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
    let before = diags.iter().filter(|d| d.is_error()).count();
    let stem = src.file.rsplit('/').next().unwrap_or_default().trim_end_matches(".toml");
    if raw.id.get_ref() != stem {
        diags.push(src.error(&raw.id, format!("scenario id {:?} differs from its file name {stem:?}", raw.id.get_ref())).hint("name the file <id>.toml"));
    }
    if !super::lesson::valid_id(raw.id.get_ref()) {
        diags.push(src.error(&raw.id, format!("scenario id {:?} is not a valid id", raw.id.get_ref())).hint("use lowercase letters, digits and dashes"));
    }
    if raw.hints.len() < 3 {
        diags.push(
            Diagnostic::warning(src.file, src.at(raw.id.span().start), format!("scenario has {} hint level(s)", raw.hints.len()))
                .hint("write three levels: a direction, the tool or field, nearly the answer"),
        );
    }
    match &raw.sources {
        None => diags.push(
            src.error(&raw.id, "scenario names no sources")
                .hint("add sources = [\"owner/repo path@tag: what it shows\", \"https://docs...\"] for the behaviour the symptom and debrief describe"),
        ),
        Some(s) if s.get_ref().iter().all(|x| x.trim().is_empty()) => {
            diags.push(src.error(s, "sources is empty").hint("name the upstream repo and path, or the doc page"))
        }
        Some(_) => {}
    }
    if raw.fault.is_empty() {
        diags.push(src.error(&raw.id, "scenario injects no fault").hint("add [[fault]] actions"));
    }
    let mut fault = Vec::new();
    for t in &raw.fault {
        let at = src.at(t.span().start);
        match toml::Value::Table(t.get_ref().clone()).try_into::<FaultAction>() {
            Ok(a) => {
                if let FaultAction::K8sPatch { kind, patch, remove, .. } = &a {
                    if !K8S_KINDS.iter().any(|k| k.0 == kind) {
                        let kinds: Vec<&str> = K8S_KINDS.iter().map(|k| k.0).collect();
                        diags.push(
                            Diagnostic::error(src.file, at, format!("k8s-patch: kind {kind:?} is not one a fault may change"))
                                .hint(format!("kinds: {}", kinds.join(", "))),
                        );
                    }
                    if patch.is_none() && remove.is_empty() {
                        diags.push(Diagnostic::error(src.file, at, "k8s-patch changes nothing").hint("give `patch` (a table) or `remove` (dotted paths)"));
                    }
                }
                if let FaultAction::K8sCreate { manifest } = &a
                    && let Err(e) = serde_saphyr::from_str::<serde_json::Value>(manifest)
                {
                    diags.push(Diagnostic::error(src.file, at, format!("k8s-create: the manifest is not YAML: {e}")));
                }
                fault.push(a);
            }
            Err(e) => {
                let kinds = "iam-trust-replace, iam-detach-policy, k8s-patch, k8s-create, subnet-untag, asg-untag";
                diags.push(Diagnostic::error(src.file, at, format!("fault action: {}", e.message().trim())).hint(format!("actions: {kinds}")));
            }
        }
    }
    if raw.checks.is_empty() {
        diags.push(src.error(&raw.id, "scenario has no [[checks]]").hint("name the checks that fail while it is broken and pass once fixed"));
    }
    let mut checks = Vec::new();
    for t in &raw.checks {
        let mut table = t.get_ref().clone();
        let broken = match table.remove("broken") {
            Some(toml::Value::String(b)) if !b.trim().is_empty() => b,
            _ => {
                diags.push(
                    Diagnostic::error(src.file, src.at(t.span().start), "check has no `broken`")
                        .hint("a part of the check's failure message while the fault is in"),
                );
                String::new()
            }
        };
        let spanned = Spanned::new(t.span(), table);
        if let Some(spec) = super::exercise::check_spec(src, &spanned, kinds, diags) {
            checks.push(ScenarioCheck { spec, broken });
        }
    }
    if diags.iter().filter(|d| d.is_error()).count() > before {
        return None;
    }
    let refs = Refs {
        lab: (raw.lab.get_ref().clone(), src.at(raw.lab.span().start)),
        setup: raw.setup.iter().map(|a| (a.get_ref().clone(), src.at(a.span().start))).collect(),
        lessons: raw.lessons.iter().map(|l| (l.get_ref().clone(), src.at(l.span().start))).collect(),
    };
    let scenario = Scenario {
        id: raw.id.get_ref().clone(),
        title: raw.title,
        minutes: raw.minutes,
        difficulty: raw.difficulty.unwrap_or(2).clamp(1, 3),
        lab: raw.lab.into_inner(),
        lessons: raw.lessons.into_iter().map(Spanned::into_inner).collect(),
        symptom: src.markdown(&raw.symptom),
        hints: raw.hints.iter().map(|h| src.markdown(h)).collect(),
        fix: src.markdown(&raw.fix),
        debrief: src.markdown(&raw.debrief),
        sources: raw.sources.map(Spanned::into_inner).unwrap_or_default(),
        vars: raw.vars,
        setup: raw.setup.into_iter().map(Spanned::into_inner).collect(),
        fault,
        checks,
        loc: src.loc(&raw.id),
    };
    Some((scenario, refs))
}
