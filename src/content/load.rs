//! Load a pack: parse every file, cross-reference ids, collect every problem found.

use std::collections::HashMap;

use super::diag::{self, Diagnostic};
use super::files::PackFiles;
use super::kinds::CheckKinds;
use super::model::{ItemRef, Pack, Part};
use super::toml_src::TomlFile;
use super::{card, course, exercise, lesson, scenario, suggest};

pub struct Loaded {
    pub pack: Pack,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Load a pack; its checks must be of `kinds` (the caller's catalogue: `checks::catalog::known_kinds()`).
pub fn load(files: &PackFiles, kinds: &CheckKinds) -> Loaded {
    let mut diags = Vec::new();
    let mut pack = Pack {
        id: String::new(),
        title: String::new(),
        description: String::new(),
        parts: Vec::new(),
        lessons: Vec::new(),
        exercises: Vec::new(),
        cards: Vec::new(),
        scenarios: Vec::new(),
        versions: Default::default(),
    };
    pack.versions = load_versions(files, &mut diags);
    let table = pack.versions.vars();
    // id -> (file, line) of its first definition
    let mut ids: HashMap<String, (String, usize)> = HashMap::new();
    let mut claim = |id: &str, file: &str, line: usize, diags: &mut Vec<Diagnostic>| -> bool {
        if let Some((first_file, first_line)) = ids.get(id) {
            diags.push(
                Diagnostic::error(file, (line, 1), format!("duplicate id {id:?}"))
                    .hint(format!("first defined at {first_file}:{first_line}; ids of lessons and exercises share one space")),
            );
            return false;
        }
        ids.insert(id.to_string(), (file.to_string(), line));
        true
    };

    for path in files.under("lessons") {
        if !path.ends_with(".md") {
            continue;
        }
        let Some(text) = text_of(files, path, &mut diags) else { continue };
        let name = path.rsplit('/').next().unwrap_or(path);
        if !lesson_file_name_ok(name) || path.matches('/').count() != 1 {
            diags.push(
                Diagnostic::warning(path, (1, 1), format!("lesson file name {name:?} is not NN-slug.md"))
                    .hint("name lessons like `03-eks-architecture.md` directly in lessons/"),
            );
        }
        match lesson::parse(path, text) {
            Ok(mut l) => {
                // only the table's names: other `{{...}}` (Go or Argo templates) stay as written
                l.body.text = super::vars::expand(&l.body.text, &table);
                let id_line = text.lines().position(|s| s.starts_with("id:")).map_or(2, |i| i + 1);
                if claim(&l.id, path, id_line, &mut diags) {
                    pack.lessons.push(l);
                }
            }
            Err(d) => diags.push(d),
        }
    }

    let mut exercise_refs = Vec::new();
    for path in files.under("exercises") {
        let mut segments = path.split('/');
        let (Some(_), Some(folder), Some(file), None) = (segments.next(), segments.next(), segments.next(), segments.next()) else {
            continue;
        };
        if file != "exercise.toml" {
            continue;
        }
        let Some(text) = text_of(files, path, &mut diags) else { continue };
        let src = TomlFile { file: path, text };
        if let Some((ex, refs)) = exercise::parse(&src, kinds, &mut diags) {
            if ex.id != folder {
                diags.push(
                    Diagnostic::warning(path, (ex.loc.line, ex.loc.col), format!("exercise id {:?} differs from its folder {folder:?}", ex.id))
                        .hint("name the folder after the id"),
                );
            }
            if let Some(name) = ex.vars.keys().find(|k| k.starts_with(super::versions::PREFIX) || k.starts_with(super::versions::PRICE_PREFIX)) {
                diags.push(
                    Diagnostic::error(path, (ex.loc.line, ex.loc.col), format!("exercise var {name:?} shadows the version table"))
                        .hint("versions and prices come from versions.toml only: change it there"),
                );
            }
            // the table's variables join the exercise's; an exercise default may use them
            // (greenImage = "{{versions.nginx.repository}}:{{versions.nginx.mainline}}")
            let mut ex = ex;
            let own = std::mem::take(&mut ex.vars);
            ex.vars = table.clone();
            ex.vars.extend(own.into_iter().map(|(k, v)| (k, super::vars::expand(&v, &table))));
            if claim(&ex.id, path, ex.loc.line, &mut diags) {
                exercise_refs.push((path.to_string(), refs));
                pack.exercises.push(ex);
            }
        }
    }

    load_cards(files, &mut pack, &mut diags);
    for card in &mut pack.cards {
        super::card::expand(card, &table);
    }
    load_scenarios(files, kinds, &mut pack, &mut diags);
    check_exercise_refs(files, &pack, &exercise_refs, &mut diags);
    super::cost::check(&pack, &mut diags);
    load_course(files, &mut pack, &mut diags);
    diag::sort(&mut diags);
    Loaded { pack, diagnostics: diags }
}

/// `exercises/scenarios/<id>.toml`: the lab and lessons must exist, and every `{{var}}` must be
/// one of the lab's or the scenario's.
fn load_scenarios(files: &PackFiles, kinds: &CheckKinds, pack: &mut Pack, diags: &mut Vec<Diagnostic>) {
    for path in files.under("exercises/scenarios") {
        if !path.ends_with(".toml") || path.matches('/').count() != 2 {
            continue;
        }
        let Some(text) = text_of(files, path, diags) else { continue };
        let src = TomlFile { file: path, text };
        let Some((scenario, refs)) = scenario::parse(&src, kinds, diags) else { continue };
        let Some(lab) = pack.exercise(&refs.lab.0) else {
            let hint = suggest::closest(&refs.lab.0, pack.exercises.iter().map(|e| e.id.as_str()))
                .map_or_else(|| "name the exercise whose solved state the scenario starts from".to_string(), |n| format!("did you mean {n:?}?"));
            diags.push(Diagnostic::error(path, refs.lab.1, format!("unknown lab {:?}", refs.lab.0)).hint(hint));
            continue;
        };
        for (id, at) in &refs.lessons {
            if pack.lesson(id).is_none() {
                diags.push(Diagnostic::error(path, *at, format!("unknown lesson {id:?}")));
            }
        }
        for (asset, at) in &refs.setup {
            let ok = super::assets::render(files, asset, &lab.vars).is_some_and(|t| serde_saphyr::from_multiple::<serde_json::Value>(&t).is_ok());
            if !ok {
                diags.push(
                    Diagnostic::error(path, *at, format!("setup file assets/{asset} does not exist or is not YAML"))
                        .hint("name Kubernetes manifests of the lab, relative to assets/"),
                );
            }
        }
        let mut vars = lab.vars.clone();
        vars.extend(scenario.vars.clone());
        let mut texts: Vec<(String, super::loc::Loc)> = Vec::new();
        for md in [&scenario.symptom, &scenario.fix, &scenario.debrief].into_iter().chain(&scenario.hints) {
            texts.push((md.text.clone(), md.loc.clone()));
        }
        for action in &scenario.fault {
            let json = serde_json::to_string(action).unwrap_or_default();
            texts.push((json, scenario.loc.clone()));
        }
        for c in &scenario.checks {
            for value in c.spec.params.values() {
                let list = match value {
                    super::model::ParamValue::Text(t) => vec![t.clone()],
                    super::model::ParamValue::List(l) => l.clone(),
                };
                texts.extend(list.into_iter().map(|t| (t, c.spec.loc.clone())));
            }
        }
        let mut unknown = false;
        for (text, loc) in &texts {
            for (_, name) in super::vars::placeholders(text) {
                if !vars.contains_key(name) {
                    unknown = true;
                    diags.push(Diagnostic::error(path, (loc.line, loc.col), format!("unknown variable {{{{{name}}}}}")).hint(format!(
                        "the lab {} defines: {}; add others under [vars]",
                        lab.id,
                        vars.keys().cloned().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        if !unknown {
            pack.scenarios.push(scenario);
        }
    }
}

/// `lessons/cards/<topic>.toml`: each file's topic must be a lesson; a pack with cards should
/// have some for every lesson.
fn load_cards(files: &PackFiles, pack: &mut Pack, diags: &mut Vec<Diagnostic>) {
    for path in files.under("lessons/cards") {
        if !path.ends_with(".toml") {
            continue;
        }
        let Some(text) = text_of(files, path, diags) else { continue };
        let src = TomlFile { file: path, text };
        let Some((topic, cards)) = card::parse(&src, diags) else { continue };
        if pack.lesson(topic.get_ref()).is_none() {
            let hint = suggest::closest(topic.get_ref(), pack.lessons.iter().map(|l| l.id.as_str()))
                .map_or_else(|| "name the lesson id (front matter `id:`) the cards drill".to_string(), |n| format!("did you mean {n:?}?"));
            diags.push(src.error(&topic, format!("unknown lesson {:?} as card topic", topic.get_ref())).hint(hint));
            continue;
        }
        pack.cards.extend(cards);
    }
    if !pack.cards.is_empty() {
        for lesson in &pack.lessons {
            if !pack.cards.iter().any(|c| c.topic == lesson.id) {
                diags.push(
                    Diagnostic::warning(&lesson.file, (1, 1), format!("lesson {:?} has no drill cards", lesson.id))
                        .hint(format!("add lessons/cards/{}.toml", lesson.id)),
                );
            }
        }
    }
}

/// `versions.toml`, when the pack has one.
fn load_versions(files: &PackFiles, diags: &mut Vec<Diagnostic>) -> super::versions::Versions {
    let Some(text) = text_of(files, super::versions::FILE, diags) else { return Default::default() };
    super::versions::parse(&TomlFile { file: super::versions::FILE, text }, diags)
}

fn text_of<'a>(files: &'a PackFiles, path: &str, diags: &mut Vec<Diagnostic>) -> Option<&'a str> {
    match std::str::from_utf8(files.get(path)?) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(Diagnostic::error(path, (1, 1), format!("not UTF-8 text (byte {})", e.valid_up_to())).hint("save the file as UTF-8"));
            None
        }
    }
}

fn lesson_file_name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 6 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'-'
}

fn check_exercise_refs(files: &PackFiles, pack: &Pack, refs: &[(String, exercise::Refs)], diags: &mut Vec<Diagnostic>) {
    for ((file, refs), ex) in refs.iter().zip(&pack.exercises) {
        for (id, at) in &refs.lessons {
            if pack.lesson(id).is_none() {
                let hint = suggest::closest(id, pack.lessons.iter().map(|l| l.id.as_str()))
                    .map_or_else(|| "name a lesson id from lessons/".to_string(), |n| format!("did you mean {n:?}?"));
                diags.push(Diagnostic::error(file, *at, format!("unknown lesson {id:?}")).hint(hint));
            }
        }
        for (asset, at) in &refs.assets {
            if !files.contains(&format!("assets/{asset}")) {
                diags.push(
                    Diagnostic::error(file, *at, format!("solution file assets/{asset} does not exist"))
                        .hint("paths are relative to the pack's assets/ folder"),
                );
            }
        }
        check_vars(ex, diags);
    }
}

/// Every `{{name}}` used by an exercise must be one of its vars.
fn check_vars(ex: &super::model::Exercise, diags: &mut Vec<Diagnostic>) {
    let mut report = |md: &super::loc::Markdown| {
        for (at, name) in super::vars::placeholders(&md.text) {
            if !ex.vars.contains_key(name) {
                let pos = md.map(diag::line_col(&md.text, at));
                diags.push(
                    Diagnostic::error(&md.loc.file, pos, format!("unknown variable {{{{{name}}}}}")).hint(format!("define it under [vars] in {}", md.loc.file)),
                );
            }
        }
    };
    report(&ex.summary);
    for step in &ex.steps {
        report(&super::loc::Markdown { text: step.title.clone(), loc: step.loc.clone() });
        report(&step.instructions);
        step.hints.iter().for_each(&mut report);
        report(&step.solution.text);
        for check in &step.checks {
            for value in check.params.values() {
                let texts = match value {
                    super::model::ParamValue::Text(t) => vec![t.clone()],
                    super::model::ParamValue::List(l) => l.clone(),
                };
                for t in texts {
                    report(&super::loc::Markdown { text: t, loc: check.loc.clone() });
                }
            }
        }
    }
}

fn load_course(files: &PackFiles, pack: &mut Pack, diags: &mut Vec<Diagnostic>) {
    const FILE: &str = "course.toml";
    let Some(text) = files.get(FILE) else {
        diags.push(
            Diagnostic::error(FILE, (1, 1), "course.toml is missing").hint("create course.toml with id, title and [[parts]] listing lesson and exercise ids"),
        );
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        diags.push(Diagnostic::error(FILE, (1, 1), "course.toml is not UTF-8 text"));
        return;
    };
    let src = TomlFile { file: FILE, text };
    let raw = match course::parse(&src) {
        Ok(raw) => raw,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    pack.id = raw.id.into_inner();
    pack.title = raw.title;
    pack.description = raw.description;
    let mut placed: HashMap<ItemRef, usize> = HashMap::new();
    for part in raw.parts {
        let mut items = Vec::new();
        for id in &part.items {
            let at = src.at(id.span().start);
            let found = pack
                .lessons
                .iter()
                .position(|l| l.id == *id.get_ref())
                .map(ItemRef::Lesson)
                .or_else(|| pack.exercises.iter().position(|e| e.id == *id.get_ref()).map(ItemRef::Exercise));
            let Some(item) = found else {
                let all = pack.lessons.iter().map(|l| l.id.as_str()).chain(pack.exercises.iter().map(|e| e.id.as_str()));
                let hint = suggest::closest(id.get_ref(), all)
                    .map_or_else(|| "list ids defined in lessons/ and exercises/".to_string(), |n| format!("did you mean {n:?}?"));
                diags.push(Diagnostic::error(FILE, at, format!("unknown item {:?}", id.get_ref())).hint(hint));
                continue;
            };
            if let Some(line) = placed.insert(item, at.0) {
                diags.push(Diagnostic::error(FILE, at, format!("{:?} is listed twice", id.get_ref())).hint(format!("first listed at line {line}")));
                continue;
            }
            items.push(item);
        }
        pack.parts.push(Part { title: part.title, items });
    }
    for (i, l) in pack.lessons.iter().enumerate() {
        if !placed.contains_key(&ItemRef::Lesson(i)) {
            diags.push(
                Diagnostic::error(&l.file, (1, 1), format!("lesson {:?} is not in course.toml", l.id)).hint("add its id to the items of a [[parts]] table"),
            );
        }
    }
    for (i, e) in pack.exercises.iter().enumerate() {
        if !placed.contains_key(&ItemRef::Exercise(i)) {
            diags.push(
                Diagnostic::error(&e.loc.file, (e.loc.line, e.loc.col), format!("exercise {:?} is not in course.toml", e.id))
                    .hint("add its id to the items of a [[parts]] table"),
            );
        }
    }
}
