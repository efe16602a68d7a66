//! `lessons/cards/<topic>.toml`: the interview drill cards of one lesson (the topic).
//!
//! Four kinds: `open` (model answer and key points the learner ticks), `choice` (options with
//! an explanation each, one correct), `recall` (accepted answers, typed), `order` (steps in the
//! correct order, shown shuffled). Every problem is reported at its file:line.

use serde::Deserialize;
use toml::Spanned;

use super::diag::Diagnostic;
use super::model::{Card, CardKind, ChoiceOption};
use super::toml_src::TomlFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    topic: Spanned<String>,
    #[serde(default)]
    cards: Vec<RawCard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCard {
    id: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    difficulty: Option<Spanned<i64>>,
    #[serde(default)]
    tags: Vec<String>,
    prompt: Spanned<String>,
    #[serde(default)]
    answer: Option<Spanned<String>>,
    #[serde(default)]
    points: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    options: Option<Spanned<Vec<RawOption>>>,
    #[serde(default)]
    answers: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    steps: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    explanation: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    text: String,
    #[serde(default)]
    correct: bool,
    #[serde(default)]
    why: Option<String>,
}

pub const KINDS: [&str; 4] = ["open", "choice", "recall", "order"];

/// Which fields each kind takes, for "only for ..." messages.
fn owner(field: &str) -> &'static str {
    match field {
        "answer" | "points" => "open",
        "options" => "choice",
        "answers" => "recall",
        _ => "order",
    }
}

/// The topic named in the file (for the cross-reference with lessons) and its cards.
pub fn parse(src: &TomlFile<'_>, diags: &mut Vec<Diagnostic>) -> Option<(Spanned<String>, Vec<Card>)> {
    let raw: RawFile = match src.parse("a card file has `topic = \"<lesson id>\"` and [[cards]] tables (see README: Authoring, Drill cards)") {
        Ok(r) => r,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let topic = raw.topic.get_ref().clone();
    let stem = src.file.rsplit('/').next().unwrap_or_default().trim_end_matches(".toml");
    if stem != topic {
        diags.push(
            Diagnostic::warning(src.file, src.at(raw.topic.span().start), format!("topic {topic:?} differs from the file name {stem:?}"))
                .hint("name the file after the lesson id: lessons/cards/<topic>.toml"),
        );
    }
    if raw.cards.is_empty() {
        diags.push(Diagnostic::warning(src.file, src.at(raw.topic.span().start), "no [[cards]] in this file"));
    }
    let mut cards: Vec<Card> = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for rc in raw.cards {
        let local = rc.id.get_ref().clone();
        let line = src.at(rc.id.span().start).0;
        if let Some(first) = seen.get(&local) {
            diags.push(src.error(&rc.id, format!("duplicate card id {local:?}")).hint(format!("first defined at line {first}")));
            continue;
        }
        seen.insert(local.clone(), line);
        if !super::lesson::valid_id(&local) {
            diags.push(src.error(&rc.id, format!("card id {local:?} is not a valid id")).hint("use lowercase letters, digits and dashes"));
        }
        if let Some(card) = card(src, &topic, rc, diags) {
            cards.push(card);
        }
    }
    Some((raw.topic, cards))
}

fn card(src: &TomlFile<'_>, topic: &str, rc: RawCard, diags: &mut Vec<Diagnostic>) -> Option<Card> {
    let kind = rc.kind.get_ref().as_str();
    if !KINDS.contains(&kind) {
        let hint = match super::suggest::closest(kind, KINDS) {
            Some(near) => format!("did you mean {near:?}? kinds: {}", KINDS.join(", ")),
            None => format!("kinds: {}", KINDS.join(", ")),
        };
        diags.push(src.error(&rc.kind, format!("unknown card kind {kind:?}")).hint(hint));
        return None;
    }
    let difficulty = match &rc.difficulty {
        None => 2,
        Some(d) if (1..=3).contains(d.get_ref()) => *d.get_ref() as u8,
        Some(d) => {
            diags.push(src.error(d, format!("difficulty {} is out of range", d.get_ref())).hint("1 basic, 2 working knowledge, 3 senior / interview depth"));
            2
        }
    };
    let before = diags.iter().filter(|d| d.is_error()).count();
    // fields that belong to another kind
    let present: [(&str, Option<usize>); 5] = [
        ("answer", rc.answer.as_ref().map(|s| s.span().start)),
        ("points", rc.points.as_ref().map(|s| s.span().start)),
        ("options", rc.options.as_ref().map(|s| s.span().start)),
        ("answers", rc.answers.as_ref().map(|s| s.span().start)),
        ("steps", rc.steps.as_ref().map(|s| s.span().start)),
    ];
    for (field, at) in present {
        if let Some(at) = at
            && owner(field) != kind
        {
            diags.push(Diagnostic::error(src.file, src.at(at), format!("`{field}` is only for {} cards, this one is {kind}", owner(field))));
        }
    }
    let at_card = src.at(rc.id.span().start);
    let missing =
        |field: &str, what: &str| Diagnostic::error(src.file, at_card, format!("{kind} card {:?} has no `{field}`", rc.id.get_ref())).hint(what.to_string());
    let explanation = rc.explanation.as_ref().map(|e| src.markdown(e));
    let card_kind = match kind {
        "open" => {
            let Some(answer) = &rc.answer else {
                diags.push(missing("answer", "write the model answer the learner compares with"));
                return None;
            };
            let points = rc.points.as_ref().map(|p| p.get_ref().clone()).unwrap_or_default();
            if points.len() < 2 {
                diags.push(missing("points", "list 3-6 key points the learner ticks when self-grading (at least 2)"));
            }
            if points.iter().any(|p| p.trim().is_empty()) {
                diags.push(Diagnostic::error(src.file, at_card, "an empty key point"));
            }
            CardKind::Open { answer: src.markdown(answer), points }
        }
        "choice" => {
            let Some(options) = &rc.options else {
                diags.push(missing("options", "add [[cards.options]] tables with text, correct and why"));
                return None;
            };
            let at = src.at(options.span().start);
            let list = options.get_ref();
            if !(2..=6).contains(&list.len()) {
                diags.push(Diagnostic::error(src.file, at, format!("{} options; a choice card has 2 to 6", list.len())));
            }
            let correct = list.iter().filter(|o| o.correct).count();
            if correct != 1 {
                diags.push(
                    Diagnostic::error(src.file, at, format!("{correct} options are marked correct; exactly one must be"))
                        .hint("set `correct = true` on the right option only"),
                );
            }
            for o in list.iter().filter(|o| o.why.as_deref().is_none_or(|w| w.trim().is_empty())) {
                diags.push(
                    Diagnostic::error(src.file, at, format!("option {:?} has no `why`", o.text))
                        .hint("explain why each option is right or wrong: the learner reads it after answering"),
                );
            }
            let options = list.iter().map(|o| ChoiceOption { text: o.text.clone(), correct: o.correct, why: o.why.clone().unwrap_or_default() }).collect();
            CardKind::Choice { options, explanation }
        }
        "recall" => {
            let answers = rc.answers.as_ref().map(|a| a.get_ref().clone()).unwrap_or_default();
            if answers.is_empty() || answers.iter().any(|a| normalize(a).is_empty()) {
                diags.push(missing("answers", "list the accepted answers (e.g. [\"eks.amazonaws.com/role-arn\"]); none may be empty"));
            }
            CardKind::Recall { answers, explanation }
        }
        _ => {
            let steps = rc.steps.as_ref().map(|s| s.get_ref().clone()).unwrap_or_default();
            if !(3..=8).contains(&steps.len()) {
                diags.push(missing("steps", "list 3 to 8 steps in the correct order (they are shown shuffled)"));
            }
            let mut seen = std::collections::BTreeSet::new();
            for s in &steps {
                if !seen.insert(s.trim().to_lowercase()) {
                    diags.push(Diagnostic::error(src.file, at_card, format!("step {s:?} appears twice: the order would be ambiguous")));
                }
            }
            CardKind::Order { steps, explanation }
        }
    };
    if diags.iter().filter(|d| d.is_error()).count() > before {
        return None;
    }
    Some(Card {
        id: format!("{topic}/{}", rc.id.get_ref()),
        topic: topic.to_string(),
        kind: card_kind,
        difficulty,
        tags: rc.tags,
        prompt: src.markdown(&rc.prompt),
        loc: src.loc(&rc.id),
    })
}

/// Replace the version table's placeholders in every text of a card.
pub fn expand(card: &mut Card, table: &std::collections::BTreeMap<String, String>) {
    let x = |t: &mut String| *t = super::vars::expand(t, table);
    x(&mut card.prompt.text);
    match &mut card.kind {
        CardKind::Open { answer, points } => {
            x(&mut answer.text);
            points.iter_mut().for_each(x);
        }
        CardKind::Choice { options, explanation } => {
            for o in options {
                x(&mut o.text);
                x(&mut o.why);
            }
            if let Some(e) = explanation {
                x(&mut e.text);
            }
        }
        CardKind::Recall { answers, explanation } | CardKind::Order { steps: answers, explanation } => {
            answers.iter_mut().for_each(x);
            if let Some(e) = explanation {
                x(&mut e.text);
            }
        }
    }
}

/// A typed answer as compared: surrounding quotes/backticks and a shell prompt dropped,
/// case folded, runs of spaces collapsed, spaces around `=`, `:` and `,` removed, a trailing
/// full stop dropped. What stays significant: every character of a name, path or flag.
pub fn normalize(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t;
        for (open, close) in [("`", "`"), ("\"", "\""), ("'", "'")] {
            if t.len() >= 2 && t.starts_with(open) && t.ends_with(close) {
                t = t[1..t.len() - 1].trim();
            }
        }
        t = t.strip_prefix("$ ").unwrap_or(t).trim();
        t = t.strip_suffix('.').unwrap_or(t).trim_end();
        if t == before {
            break;
        }
    }
    let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let mut out = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if matches!(prev, Some('=' | ':' | ',')) || matches!(next, Some('=' | ':' | ',')) {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use crate::content::{CardKind, CheckKinds, PackFiles, load};

    const LESSON: &str = "---\nid: security\ntitle: Security\nminutes: 5\n---\n\n# Security\n";

    fn pack(cards: &str) -> crate::content::Loaded {
        load(&PackFiles::from_memory([("lessons/01-security.md", LESSON), ("lessons/cards/security.toml", cards)]), &CheckKinds::default())
    }

    fn errors(l: &crate::content::Loaded) -> Vec<String> {
        l.diagnostics.iter().filter(|d| d.is_error() && d.file != "course.toml").map(|d| format!("{}:{}: {}", d.file, d.line, d.message)).collect()
    }

    #[test]
    fn every_kind_loads() {
        let l = pack(
            r#"topic = "security"

[[cards]]
id = "why"
kind = "open"
difficulty = 3
tags = ["interview"]
prompt = "Why IRSA?"
answer = "Because."
points = ["one", "two", "three"]

[[cards]]
id = "pick"
kind = "choice"
prompt = "Which?"
[[cards.options]]
text = "a"
correct = true
why = "right"
[[cards.options]]
text = "b"
why = "wrong"

[[cards]]
id = "annotation"
kind = "recall"
prompt = "Annotation?"
answers = ["eks.amazonaws.com/role-arn"]

[[cards]]
id = "steps"
kind = "order"
prompt = "Order?"
steps = ["one", "two", "three"]
"#,
        );
        assert!(errors(&l).is_empty(), "{:?}", errors(&l));
        let ids: Vec<&str> = l.pack.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["security/why", "security/pick", "security/annotation", "security/steps"]);
        assert_eq!(l.pack.cards[0].difficulty, 3);
        assert_eq!(l.pack.cards[1].difficulty, 2, "difficulty defaults to 2");
        assert!(matches!(&l.pack.cards[1].kind, CardKind::Choice { options, .. } if options.len() == 2 && options[0].correct));
        assert_eq!(l.pack.cards[0].loc.line, 4);
    }

    #[test]
    fn malformed_cards_are_errors_at_their_line() {
        let l = pack(
            r#"topic = "security"

[[cards]]
id = "two-right"
kind = "choice"
prompt = "Which?"
[[cards.options]]
text = "a"
correct = true
why = "x"
[[cards.options]]
text = "b"
correct = true

[[cards]]
id = "no-answer"
kind = "open"
prompt = "Why?"
points = ["a", "b"]

[[cards]]
id = "bad-kind"
kind = "multiple"
prompt = "?"

[[cards]]
id = "mixed"
kind = "recall"
prompt = "?"
answers = ["x"]
steps = ["a", "b", "c"]

[[cards]]
id = "short"
kind = "order"
difficulty = 5
prompt = "?"
steps = ["a", "a"]

[[cards]]
id = "no-answer"
kind = "recall"
prompt = "?"
answers = ["``"]

[[cards]]
id = "blank"
kind = "recall"
prompt = "?"
answers = ["``"]
"#,
        );
        let e = errors(&l);
        let want = [
            "lessons/cards/security.toml:7: 2 options are marked correct; exactly one must be",
            "lessons/cards/security.toml:7: option \"b\" has no `why`",
            "lessons/cards/security.toml:16: open card \"no-answer\" has no `answer`",
            "lessons/cards/security.toml:23: unknown card kind \"multiple\"",
            "lessons/cards/security.toml:31: `steps` is only for order cards, this one is recall",
            "lessons/cards/security.toml:36: difficulty 5 is out of range",
            "lessons/cards/security.toml:34: order card \"short\" has no `steps`",
            "lessons/cards/security.toml:34: step \"a\" appears twice: the order would be ambiguous",
            "lessons/cards/security.toml:41: duplicate card id \"no-answer\"",
            "lessons/cards/security.toml:47: recall card \"blank\" has no `answers`",
        ];
        for w in want {
            assert!(e.iter().any(|x| x == w), "missing {w:?} in {e:#?}");
        }
        assert!(l.pack.cards.is_empty(), "no malformed card is loaded: {:?}", l.pack.cards.iter().map(|c| &c.id).collect::<Vec<_>>());
    }

    #[test]
    fn topic_must_be_a_lesson_and_lessons_want_cards() {
        let l = load(
            &PackFiles::from_memory([
                ("lessons/01-security.md", LESSON),
                ("lessons/02-cost.md", "---\nid: cost\ntitle: Cost\nminutes: 5\n---\n\n# Cost\n"),
                ("lessons/cards/securty.toml", "topic = \"securty\"\n[[cards]]\nid = \"a\"\nkind = \"recall\"\nprompt = \"?\"\nanswers = [\"x\"]\n"),
                ("lessons/cards/security.toml", "topic = \"security\"\n[[cards]]\nid = \"a\"\nkind = \"recall\"\nprompt = \"?\"\nanswers = [\"x\"]\n"),
            ]),
            &CheckKinds::default(),
        );
        let all: Vec<String> = l.diagnostics.iter().map(|d| format!("{}:{}: {} ({})", d.file, d.line, d.message, d.hint.clone().unwrap_or_default())).collect();
        assert!(
            all.iter().any(|d| d.starts_with("lessons/cards/securty.toml:1: unknown lesson \"securty\" as card topic (did you mean \"security\"?)")),
            "{all:#?}"
        );
        assert!(all.iter().any(|d| d.starts_with("lessons/02-cost.md:1: lesson \"cost\" has no drill cards")), "{all:#?}");
        assert_eq!(l.pack.cards.len(), 1);
    }

    #[test]
    fn normalize_keeps_what_matters() {
        assert_eq!(normalize("  `Kubectl   Get  Pods` "), "kubectl get pods");
        assert_eq!(normalize("a = b, c : d"), "a=b,c:d");
        assert_eq!(normalize("spec.template.spec.serviceAccountName."), "spec.template.spec.serviceaccountname");
    }
}
