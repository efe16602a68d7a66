//! `kubedojo lint`: everything `load` finds, plus what needs a look inside the markdown:
//! internal links that lead nowhere, fenced YAML that does not parse, asset files that do not parse.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::diag::{self, Diagnostic, line_col};
use super::files::PackFiles;
use super::kinds::CheckKinds;
use super::load::{Loaded, load};
use super::loc::Markdown;
use super::model::Pack;

/// Lint a pack as of `today` (the version table's verifications age, and Kubernetes releases
/// leave standard support), its checks against `kinds`.
pub fn lint(files: &PackFiles, kinds: &CheckKinds, today: jiff::civil::Date) -> Loaded {
    let mut loaded = load(files, kinds);
    let mut diags = Vec::new();
    let pack = &loaded.pack;
    super::versions::lint_on(&pack.versions, today, &mut diags);
    super::pins::lint(files, pack, &mut diags);
    check_table_names(files, &pack.versions.vars(), &mut diags);
    super::order::lint(pack, &mut diags);
    for lesson in &pack.lessons {
        check_markdown(files, pack, &lesson.body, &mut diags);
    }
    for ex in &pack.exercises {
        // as the learner reads it: with the lab's values (a YAML block may hold `{{cluster}}`)
        let x = |md: &Markdown| Markdown { text: ex.expand(&md.text), loc: md.loc.clone() };
        check_markdown(files, pack, &x(&ex.summary), &mut diags);
        for step in &ex.steps {
            check_markdown(files, pack, &x(&step.instructions), &mut diags);
            for h in &step.hints {
                check_markdown(files, pack, &x(h), &mut diags);
            }
            check_markdown(files, pack, &x(&step.solution.text), &mut diags);
        }
    }
    for card in &pack.cards {
        check_markdown(files, pack, &card.prompt, &mut diags);
        match &card.kind {
            crate::content::CardKind::Open { answer, .. } => check_markdown(files, pack, answer, &mut diags),
            crate::content::CardKind::Choice { explanation: Some(e), .. }
            | crate::content::CardKind::Recall { explanation: Some(e), .. }
            | crate::content::CardKind::Order { explanation: Some(e), .. } => check_markdown(files, pack, e, &mut diags),
            _ => {}
        }
    }
    for s in &pack.scenarios {
        let mut vars = pack.exercise(&s.lab).map(|e| e.vars.clone()).unwrap_or_default();
        vars.extend(s.vars.clone());
        for md in [&s.symptom, &s.fix, &s.debrief].into_iter().chain(&s.hints) {
            check_markdown(files, pack, &Markdown { text: super::vars::expand(&md.text, &vars), loc: md.loc.clone() }, &mut diags);
        }
    }
    check_assets(files, pack, &mut diags);
    loaded.diagnostics.extend(diags);
    diag::sort(&mut loaded.diagnostics);
    loaded
}

fn check_markdown(files: &PackFiles, pack: &Pack, md: &Markdown, diags: &mut Vec<Diagnostic>) {
    let at = |offset: usize| md.map(line_col(&md.text, offset));
    let mut yaml_block: Option<(usize, String)> = None;
    for (event, range) in Parser::new_ext(&md.text, super::super::markdown::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                if let Err((msg, hint)) = check_link(files, pack, &md.loc.file, &dest_url) {
                    diags.push(Diagnostic::error(&md.loc.file, at(range.start), msg).hint(hint));
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                if !closed(&md.text[range.clone()]) {
                    diags.push(
                        Diagnostic::error(&md.loc.file, at(range.start), "code block is never closed: the rest of the text renders as code")
                            .hint("close it with a line of the same fence (``` or ~~~), at least as long as the opening one"),
                    );
                }
                let fence = super::commands::fence(&info);
                if matches!(fence.lang, "yaml" | "yml") {
                    yaml_block = Some((usize::MAX, String::new()));
                }
                if let (true, Err(word)) = (super::commands::is_shell(fence.lang), fence.usage) {
                    let words: Vec<&str> = super::commands::Use::WORDS.iter().map(|(w, _)| *w).collect();
                    diags.push(
                        Diagnostic::error(&md.loc.file, at(range.start), format!("```{} {word}: unknown word after the language", fence.lang))
                            .hint(format!("a shell block is run as written, or carries one of: {} (see README: Authoring)", words.join(", "))),
                    );
                }
            }
            Event::Text(text) => {
                if let Some((start, buf)) = yaml_block.as_mut() {
                    *start = (*start).min(range.start);
                    buf.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((start, yaml)) = yaml_block.take()
                    && let Err(e) = serde_saphyr::from_multiple::<serde::de::IgnoredAny>(&yaml)
                {
                    let (line, col) = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
                    let (block_line, _) = at(start.min(md.text.len()));
                    diags.push(
                        Diagnostic::error(
                            &md.loc.file,
                            (block_line + line - 1, col),
                            format!("yaml block does not parse: {}", super::lesson::short_yaml_error(&e)),
                        )
                        .hint("fix the YAML, or mark the block ```text if it is not meant to be YAML"),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Whether a fenced code block's source (from its opening fence) ends with a closing fence: a
/// line of the opening's character, at least as many (CommonMark 4.5), and nothing else, after
/// the markers of the block quotes and list items it sits in.
fn closed(block: &str) -> bool {
    let opening = block.trim_start();
    let Some(c) = opening.chars().next().filter(|c| matches!(c, '`' | '~')) else { return true };
    let n = opening.chars().take_while(|&x| x == c).count();
    let mut lines = block.trim_end().lines();
    lines.next();
    lines
        .last()
        .map(|l| l.trim_start_matches(|x: char| x == '>' || x.is_whitespace()).trim_end())
        .is_some_and(|last| last.len() >= n && last.chars().all(|x| x == c))
}

type LinkError = (String, String);

fn check_link(files: &PackFiles, pack: &Pack, from: &str, dest: &str) -> Result<(), LinkError> {
    if let Some(id) = dest.strip_prefix("lesson:") {
        return match pack.lesson(id) {
            Some(_) => Ok(()),
            None => Err((format!("link to unknown lesson {id:?}"), near(id, pack.lessons.iter().map(|l| l.id.as_str())))),
        };
    }
    if let Some(target) = dest.strip_prefix("exercise:") {
        let (id, step) = target.split_once('/').map_or((target, None), |(a, b)| (a, Some(b)));
        let Some(ex) = pack.exercise(id) else {
            return Err((format!("link to unknown exercise {id:?}"), near(id, pack.exercises.iter().map(|e| e.id.as_str()))));
        };
        return match step {
            Some(step) if ex.step(step).is_none() => Err((format!("exercise {id:?} has no step {step:?}"), near(step, ex.steps.iter().map(|s| s.id.as_str())))),
            _ => Ok(()),
        };
    }
    if dest.is_empty() || dest.starts_with('#') || dest.contains("://") || dest.starts_with("mailto:") {
        return Ok(());
    }
    let path = dest.split('#').next().unwrap_or(dest);
    let resolved = resolve(from, path);
    match resolved {
        Some(p) if files.contains(&p) => Ok(()),
        _ => {
            Err((format!("link target {dest:?} does not exist in this pack"), "use lesson:ID, exercise:ID[/STEP], or a path relative to this file".to_string()))
        }
    }
}

fn near<'a>(id: &str, ids: impl IntoIterator<Item = &'a str>) -> String {
    super::suggest::closest(id, ids).map_or_else(|| "check the id".to_string(), |n| format!("did you mean {n:?}?"))
}

/// Resolve `rel` against the folder of `from` (both pack-relative, `/`-separated).
fn resolve(from: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `{{versions.*}}` / `{{prices.*}}` the table does not define, in the files where nothing else
/// reports them (exercise texts are checked against the exercise's vars when loading).
fn check_table_names(files: &PackFiles, table: &std::collections::BTreeMap<String, String>, diags: &mut Vec<Diagnostic>) {
    for path in files.under("lessons").chain(files.under("assets")) {
        let Some(text) = files.get(path).and_then(|b| std::str::from_utf8(b).ok()) else { continue };
        for (at, name) in super::vars::unknown_table_names(text, table) {
            diags.push(
                Diagnostic::error(path, line_col(text, at), format!("unknown variable {{{{{name}}}}}"))
                    .hint("the version table (versions.toml) has no such entry: add it there or fix the name"),
            );
        }
    }
}

fn check_assets(files: &PackFiles, pack: &Pack, diags: &mut Vec<Diagnostic>) {
    for path in files.under("assets") {
        let rel = &path["assets/".len()..];
        let Some(rendered) = super::assets::render(files, rel, &super::assets::vars_for(pack, rel)) else { continue };
        let text = rendered.as_str();
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            if let Err(e) = serde_saphyr::from_multiple::<serde::de::IgnoredAny>(text) {
                let at = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
                diags.push(Diagnostic::error(path, at, format!("does not parse as YAML: {}", super::lesson::short_yaml_error(&e))));
            }
        } else if path.ends_with(".json")
            && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
        {
            diags.push(Diagnostic::error(path, (e.line(), e.column()), format!("does not parse as JSON: {e}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(resolve("lessons/01-a.md", "02-b.md").as_deref(), Some("lessons/02-b.md"));
        assert_eq!(resolve("lessons/01-a.md", "../assets/x/y.yaml").as_deref(), Some("assets/x/y.yaml"));
        assert_eq!(resolve("a.md", "../../x"), None);
    }
}
