//! `lessons/NN-slug.md`: YAML front matter, then markdown.

use serde::Deserialize;

use super::diag::{Diagnostic, line_col};
use super::loc::{Loc, Markdown};
use super::model::{Concepts, Lesson};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    title: String,
    minutes: u32,
    #[serde(default)]
    objectives: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// Concept ids this lesson teaches, and those it needs taught before it.
    #[serde(default)]
    teaches: Vec<String>,
    #[serde(default)]
    needs: Vec<String>,
}

const FRONT_MATTER_HINT: &str = "start the file with front matter:\n  ---\n  id: my-lesson\n  title: My lesson\n  minutes: 15\n  objectives: [\"...\"]\n  tags: [eks]\n  teaches: [irsa]\n  needs: [oidc-provider]\n  ---";

pub fn parse(file: &str, text: &str) -> Result<Lesson, Diagnostic> {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return Err(Diagnostic::error(file, (1, 1), "missing front matter").hint(FRONT_MATTER_HINT));
    };
    let header_start = text.len() - rest.len();
    let close = find_closing_fence(rest).ok_or_else(|| {
        Diagnostic::error(file, (1, 1), "front matter is not closed by a `---` line").hint("add a line with only `---` after the front matter fields")
    })?;
    let yaml = &rest[..close.0];
    let fm: FrontMatter = serde_saphyr::from_str(yaml).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        Diagnostic::error(file, (line + 1, col), format!("front matter: {}", short_yaml_error(&e)))
            .hint("fields: id, title, minutes (required), objectives, tags, teaches, needs (lists)")
    })?;
    if !valid_id(&fm.id) {
        let line = id_line(yaml).map_or(2, |l| l + 1);
        return Err(Diagnostic::error(file, (line, 1), format!("id {:?} is not a valid id", fm.id))
            .hint("use lowercase letters, digits and dashes, e.g. `irsa-basics`"));
    }
    let body_start = header_start + close.1;
    let (line, col) = line_col(text, body_start);
    Ok(Lesson {
        id: fm.id,
        title: fm.title,
        minutes: fm.minutes,
        objectives: fm.objectives,
        tags: fm.tags,
        concepts: Concepts {
            teaches: fm
                .teaches
                .into_iter()
                .map(|c| {
                    let l = key_line(yaml, "teaches", &c);
                    (c, l)
                })
                .collect(),
            needs: fm
                .needs
                .into_iter()
                .map(|c| {
                    let l = key_line(yaml, "needs", &c);
                    (c, l)
                })
                .collect(),
        },
        body: Markdown { text: text[body_start..].to_string(), loc: Loc { file: file.into(), line, col } },
        file: file.to_string(),
    })
}

/// (end of the YAML, start of the body) relative to `rest`.
fn find_closing_fence(rest: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((offset, offset + line.len()));
        }
        offset += line.len();
    }
    None
}

/// The file line (the front matter starts on line 2) where `key` lists `value`, for diagnostics.
fn key_line(yaml: &str, key: &str, value: &str) -> usize {
    let mut in_key = false;
    for (i, line) in yaml.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with(&format!("{key}:")) {
            in_key = true;
        } else if !t.starts_with('-') && !t.is_empty() && !line.starts_with(' ') {
            in_key = false;
        }
        if in_key && line.contains(value) {
            return i + 2;
        }
    }
    yaml.lines().position(|l| l.trim_start().starts_with(&format!("{key}:"))).map_or(1, |i| i + 2)
}

fn id_line(yaml: &str) -> Option<usize> {
    yaml.lines().position(|l| l.trim_start().starts_with("id:")).map(|i| i + 1)
}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') && !id.starts_with('-')
}

/// The message of a YAML error without its rendered snippet or position (we print our own).
pub fn short_yaml_error(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or_default();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: intro\ntitle: Intro\nminutes: 5\nobjectives: [a]\ntags: [x]\n---\n# Intro\n\ntext\n";

    #[test]
    fn parses_front_matter_and_locates_the_body() {
        let l = parse("lessons/01-intro.md", GOOD).unwrap();
        assert_eq!((l.id.as_str(), l.minutes), ("intro", 5));
        assert!(l.body.text.starts_with("# Intro"));
        assert_eq!((l.body.loc.line, l.body.loc.col), (8, 1));
    }

    #[test]
    fn missing_front_matter_is_reported_at_line_one() {
        let d = parse("lessons/01-a.md", "# no header\n").unwrap_err();
        assert_eq!((d.line, d.col), (1, 1));
        assert!(d.message.contains("missing front matter"));
    }

    #[test]
    fn unclosed_front_matter() {
        let d = parse("f.md", "---\nid: a\n").unwrap_err();
        assert!(d.message.contains("not closed"), "{d}");
    }

    #[test]
    fn bad_field_points_at_its_line() {
        let d = parse("f.md", "---\nid: a\ntitle: A\nminutes: soon\n---\nbody").unwrap_err();
        assert_eq!(d.line, 4, "{d}");
        assert!(d.message.starts_with("front matter"), "{d}");
    }

    #[test]
    fn unknown_field_and_missing_field_are_errors() {
        let d = parse("f.md", "---\nid: a\ntitle: A\nminutes: 3\nauthor: me\n---\n").unwrap_err();
        assert!(d.message.contains("author"), "{d}");
        let d = parse("f.md", "---\nid: a\ntitle: A\n---\n").unwrap_err();
        assert!(d.message.contains("minutes"), "{d}");
    }

    #[test]
    fn invalid_id_is_rejected() {
        let d = parse("f.md", "---\ntitle: A\nid: Not Valid\nminutes: 3\n---\n").unwrap_err();
        assert_eq!(d.line, 3);
    }
}
