//! The order rule: no item of the course uses a concept before an item that teaches it.
//! Lessons declare `teaches:` / `needs:` in their front matter, exercises `teaches = [...]` /
//! `needs = [...]`; `kubedojo lint` walks the course in order and reports each need that no
//! earlier item teaches, naming where it is taught (if anywhere).

use std::collections::HashMap;

use super::diag::Diagnostic;
use super::model::{Concepts, ItemRef, Pack};

fn concepts(pack: &Pack, item: ItemRef) -> (&Concepts, &str) {
    match item {
        ItemRef::Lesson(i) => (&pack.lessons[i].concepts, pack.lessons[i].file.as_str()),
        ItemRef::Exercise(i) => (&pack.exercises[i].concepts, pack.exercises[i].loc.file.as_str()),
    }
}

fn describe(pack: &Pack, item: ItemRef) -> String {
    match item {
        ItemRef::Lesson(_) => format!("the lesson {:?}", pack.item_title(item)),
        ItemRef::Exercise(_) => format!("the lab {:?}", pack.item_title(item)),
    }
}

fn valid(id: &str) -> bool {
    super::lesson::valid_id(id) && !id.ends_with('-')
}

pub fn lint(pack: &Pack, diags: &mut Vec<Diagnostic>) {
    let items: Vec<ItemRef> = pack.items().collect();
    if items.iter().all(|&it| *concepts(pack, it).0 == Concepts::default()) {
        return; // the pack does not declare concepts
    }
    // every place a concept is taught, in course order
    let mut taught_at: HashMap<&str, Vec<usize>> = HashMap::new();
    for (pos, &it) in items.iter().enumerate() {
        for (c, _) in &concepts(pack, it).0.teaches {
            taught_at.entry(c.as_str()).or_default().push(pos);
        }
    }
    for (pos, &it) in items.iter().enumerate() {
        let (c, file) = concepts(pack, it);
        if *c == Concepts::default() {
            diags.push(
                Diagnostic::warning(file, (1, 1), format!("{} declares no concepts", describe(pack, it)))
                    .hint("list what it teaches and what it needs taught before it (teaches / needs), so lint can keep the course in order"),
            );
            continue;
        }
        for (id, line) in c.teaches.iter().chain(&c.needs) {
            if !valid(id) {
                diags.push(
                    Diagnostic::error(file, (*line, 1), format!("concept id {id:?} is not a valid id"))
                        .hint("use lowercase letters, digits and dashes, e.g. pod-identity"),
                );
            }
        }
        for (id, line) in &c.needs {
            let places = taught_at.get(id.as_str()).map(Vec::as_slice).unwrap_or_default();
            if places.iter().any(|&p| p < pos) {
                continue;
            }
            let diag = match places.iter().find(|&&p| p >= pos) {
                Some(&p) if p == pos => Diagnostic::error(file, (*line, 1), format!("{} both needs and teaches {id:?}", describe(pack, it)))
                    .hint("a concept it explains itself is one it teaches: keep it under teaches only"),
                Some(&p) => Diagnostic::error(
                    file,
                    (*line, 1),
                    format!("{} needs {id:?}, which only {} teaches, later in the course", describe(pack, it), describe(pack, items[p])),
                )
                .hint("move this item after that one in course.toml, or teach the concept here and list it under teaches"),
                None => Diagnostic::error(file, (*line, 1), format!("{} needs {id:?}, which no item of the course teaches", describe(pack, it)))
                    .hint("teach it in an earlier lesson (list it under that lesson's teaches), or fix the id"),
            };
            diags.push(diag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CheckKinds, PackFiles, load};

    fn lint(lesson_b_front: &str, lab: &str, order: &str) -> Vec<String> {
        let files = PackFiles::from_memory([
            ("course.toml", format!("id = \"p\"\ntitle = \"P\"\n[[parts]]\ntitle = \"A\"\nitems = [{order}]\n")),
            ("lessons/01-a.md", "---\nid: a\ntitle: A\nminutes: 5\nteaches: [helm]\n---\n# A\n".to_string()),
            ("lessons/02-b.md", format!("---\nid: b\ntitle: B\nminutes: 5\n{lesson_b_front}---\n# B\n")),
            ("exercises/lab/exercise.toml", format!("id = \"lab\"\ntitle = \"The lab\"\n{lab}\n[[steps]]\nid = \"s\"\ntitle = \"S\"\ninstructions = \"x\"\n")),
        ]);
        let loaded = load(&files, &CheckKinds::default());
        let mut diags = Vec::new();
        super::lint(&loaded.pack, &mut diags);
        diags.iter().map(|d| format!("{}:{}: {}", d.file, d.line, d.message)).collect()
    }

    #[test]
    fn a_need_taught_later_or_nowhere_is_reported_where_it_is_declared() {
        let got = lint("teaches: [irsa]\n", "teaches = [\"irsa-by-hand\"]\nneeds = [\"helm\", \"irsa\"]", "\"a\", \"lab\", \"b\"");
        assert_eq!(got, ["exercises/lab/exercise.toml:4: the lab \"The lab\" needs \"irsa\", which only the lesson \"B\" teaches, later in the course"]);
        assert!(lint("teaches: [irsa]\n", "teaches = [\"x\"]\nneeds = [\"helm\", \"irsa\"]", "\"a\", \"b\", \"lab\"").is_empty(), "in order");
        let got = lint("teaches: [irsa]\nneeds:\n  - helm\n  - karpenter\n", "teaches = [\"x\"]\nneeds = [\"irsa\"]", "\"a\", \"b\", \"lab\"");
        assert_eq!(got, ["lessons/02-b.md:8: the lesson \"B\" needs \"karpenter\", which no item of the course teaches"]);
    }

    #[test]
    fn packs_without_concepts_are_left_alone_and_undeclared_items_are_named() {
        assert!(lint("", "", "\"b\", \"lab\"").is_empty(), "only lesson a declares, and it is not in the course");
        let got = lint("", "", "\"a\", \"b\", \"lab\"");
        assert_eq!(
            got,
            ["lessons/02-b.md:1: the lesson \"B\" declares no concepts", "exercises/lab/exercise.toml:1: the lab \"The lab\" declares no concepts"]
        );
    }
}
