//! `exercises/<slug>/exercise.toml`: an exercise and its ordered steps.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::diag::Diagnostic;
use super::kinds::{CheckKinds, ParamKind};
use super::model::{CheckSpec, Exercise, ParamValue, Solution, Step};
use super::toml_src::TomlFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    minutes: u32,
    #[serde(default)]
    summary: Option<Spanned<String>>,
    #[serde(default)]
    lessons: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    teaches: Vec<Spanned<String>>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    cost: Option<Spanned<super::cost::RawCost>>,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    title: String,
    instructions: Spanned<String>,
    #[serde(default)]
    hints: Vec<Spanned<String>>,
    #[serde(default)]
    solution: RawSolution,
    #[serde(default)]
    checks: Vec<Spanned<toml::Table>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSolution {
    #[serde(default)]
    text: Option<Spanned<String>>,
    #[serde(default)]
    files: Vec<Spanned<String>>,
}

/// Where each referenced asset and lesson is named, for the cross-reference pass.
pub struct Refs {
    pub lessons: Vec<(String, (usize, usize))>,
    pub assets: Vec<(String, (usize, usize))>,
}

pub fn parse(src: &TomlFile<'_>, kinds: &CheckKinds, diags: &mut Vec<Diagnostic>) -> Option<(Exercise, Refs)> {
    let raw: RawExercise = match src.parse("an exercise has id, title, minutes, summary, lessons, vars and [[steps]] (see README: Authoring)") {
        Ok(raw) => raw,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if !super::lesson::valid_id(raw.id.get_ref()) {
        diags.push(src.error(&raw.id, format!("exercise id {:?} is not a valid id", raw.id.get_ref())).hint("use lowercase letters, digits and dashes"));
    }
    if raw.steps.is_empty() {
        diags.push(src.error(&raw.id, "exercise has no steps").hint("add [[steps]] tables"));
    }
    let mut refs = Refs { lessons: raw.lessons.iter().map(|l| (l.get_ref().clone(), src.at(l.span().start))).collect(), assets: Vec::new() };
    let mut steps: Vec<Step> = Vec::new();
    for rs in &raw.steps {
        if let Some(first) = steps.iter().find(|s| s.id == *rs.id.get_ref()) {
            diags.push(src.error(&rs.id, format!("duplicate step id {:?}", rs.id.get_ref())).hint(format!("first defined at line {}", first.loc.line)));
        } else if !super::lesson::valid_id(rs.id.get_ref()) {
            diags.push(src.error(&rs.id, format!("step id {:?} is not a valid id", rs.id.get_ref())));
        }
        if rs.hints.len() < 3 {
            diags.push(
                Diagnostic::warning(src.file, src.at(rs.id.span().start), format!("step {:?} has {} hint level(s)", rs.id.get_ref(), rs.hints.len()))
                    .hint("write three levels: a direction, the specific tool or field, nearly the answer"),
            );
        }
        for f in &rs.solution.files {
            refs.assets.push((f.get_ref().clone(), src.at(f.span().start)));
        }
        let checks = rs.checks.iter().filter_map(|c| check_spec(src, c, kinds, diags)).collect();
        steps.push(Step {
            id: rs.id.get_ref().clone(),
            title: rs.title.clone(),
            instructions: src.markdown(&rs.instructions),
            hints: rs.hints.iter().map(|h| src.markdown(h)).collect(),
            solution: Solution {
                text: rs.solution.text.as_ref().map(|t| src.markdown(t)).unwrap_or_default(),
                files: rs.solution.files.iter().map(|f| f.get_ref().clone()).collect(),
            },
            checks,
            loc: src.loc(&rs.id),
        });
    }
    let cost = raw.cost.map(|c| {
        let line = src.at(c.span().start).0;
        c.into_inner().into_cost(src, line, diags)
    });
    let exercise = Exercise {
        id: raw.id.get_ref().clone(),
        title: raw.title,
        minutes: raw.minutes,
        summary: raw.summary.as_ref().map(|t| src.markdown(t)).unwrap_or_default(),
        lessons: raw.lessons.into_iter().map(Spanned::into_inner).collect(),
        tags: raw.tags,
        concepts: super::model::Concepts {
            teaches: raw.teaches.iter().map(|c| (c.get_ref().clone(), src.at(c.span().start).0)).collect(),
            needs: raw.needs.iter().map(|c| (c.get_ref().clone(), src.at(c.span().start).0)).collect(),
        },
        vars: raw.vars,
        steps,
        cost,
        loc: src.loc(&raw.id),
    };
    Some((exercise, refs))
}

pub(super) fn check_spec(src: &TomlFile<'_>, table: &Spanned<toml::Table>, kinds: &CheckKinds, diags: &mut Vec<Diagnostic>) -> Option<CheckSpec> {
    // Point at the `kind = ...` line when we can find it inside the table's span.
    let span = table.span();
    let kind_at = kind_offset(src.text, span.start).unwrap_or(span.start);
    let at = src.at(kind_at);
    let mut loc = src.loc(table);
    (loc.line, loc.col) = at;
    let Some(kind) = table.get_ref().get("kind").and_then(|k| k.as_str()) else {
        diags.push(
            Diagnostic::error(src.file, at, "check has no `kind`")
                .hint("name a check kind, e.g. kind = \"k8s.deployment-ready\" (list: kubedojo lint --kinds)"),
        );
        return None;
    };
    let Some(def) = kinds.find(kind) else {
        let ids = kinds.kinds.iter().map(|k| k.id);
        let hint = match super::suggest::closest(kind, ids) {
            Some(near) => format!("did you mean {near:?}? (list: kubedojo lint --kinds)"),
            None => "see the list with `kubedojo lint --kinds`".to_string(),
        };
        diags.push(Diagnostic::error(src.file, at, format!("unknown check kind {kind:?}")).hint(hint));
        return None;
    };
    let mut params = BTreeMap::new();
    for (name, value) in table.get_ref().iter().filter(|(k, _)| k.as_str() != "kind") {
        let Some(param) = def.param(name) else {
            let allowed: Vec<_> = def.params.iter().map(|(name, _)| *name).collect();
            let hint = if allowed.is_empty() { format!("{kind} takes no parameters") } else { format!("{kind} takes: {}", allowed.join(", ")) };
            diags.push(Diagnostic::error(src.file, at, format!("{kind}: unknown parameter {name:?}")).hint(hint));
            continue;
        };
        let parsed = match (param, value) {
            (ParamKind::Text, toml::Value::String(s)) => Some(ParamValue::Text(s.clone())),
            (ParamKind::List | ParamKind::Entries(_), toml::Value::Array(items)) => {
                items.iter().map(|v| v.as_str().map(str::to_string)).collect::<Option<Vec<_>>>().map(ParamValue::List)
            }
            _ => None,
        };
        match parsed {
            Some(v) => {
                if let (ParamKind::Entries(shape), ParamValue::List(entries)) = (param, &v) {
                    for entry in entries.iter().filter(|e| !shape.fits(e)) {
                        diags.push(
                            Diagnostic::error(src.file, at, format!("{kind}: the {name} entry {entry:?} is not {}", shape.form()))
                                .hint(format!("write each entry of {name} as {}, so the checker can look it up", shape.form())),
                        );
                    }
                }
                params.insert(name.clone(), v);
            }
            None => {
                let want = match param {
                    ParamKind::Text => "a string",
                    ParamKind::List | ParamKind::Entries(_) => "a list of strings",
                };
                diags.push(Diagnostic::error(src.file, at, format!("{kind}: parameter {name:?} must be {want}")));
            }
        }
    }
    Some(CheckSpec { kind: kind.to_string(), params, loc })
}

/// The offset of the `kind = ...` line of a check table starting at `start` (its header),
/// looking no further than the next table header.
fn kind_offset(text: &str, start: usize) -> Option<usize> {
    let mut offset = start;
    for (n, line) in text.get(start..)?.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if n > 0 && trimmed.starts_with('[') {
            return None;
        }
        if trimmed.starts_with("kind") && trimmed[4..].trim_start().starts_with('=') {
            return Some(offset + line.len() - trimmed.len());
        }
        offset += line.len();
    }
    None
}
