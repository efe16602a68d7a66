//! The built-in question bank: enough cards, every lesson covered, every kind used, and the
//! course's five interview discussion points present as open questions with model answers.

use kubedojo::content::{CardKind, PackFiles, load};

#[test]
fn the_question_bank_covers_the_course() {
    let loaded = load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds());
    assert!(!loaded.has_errors());
    let pack = &loaded.pack;
    assert!(pack.cards.len() >= 60, "{} cards", pack.cards.len());
    for lesson in &pack.lessons {
        let n = pack.cards.iter().filter(|c| c.topic == lesson.id).count();
        assert!(n >= 5, "lesson {} has {n} cards", lesson.id);
    }
    for kind in ["open", "choice", "recall", "order"] {
        let n = pack.cards.iter().filter(|c| c.kind.name() == kind).count();
        assert!(n >= 8, "{n} {kind} cards");
    }
    // the five discussion points of the interview lesson, each an open card with key points
    let interview: Vec<_> = pack.cards.iter().filter(|c| c.tags.iter().any(|t| t == "interview") && matches!(c.kind, CardKind::Open { .. })).collect();
    for (topic, words) in [
        ("EKS vs self-managed", &["self-managed", "EKS"][..]),
        ("EC2 nodes vs Fargate", &["Fargate"][..]),
        ("IRSA", &["IRSA"][..]),
        ("IP exhaustion", &["IP"][..]),
        ("blue-green or canary", &["canary"][..]),
    ] {
        assert!(
            interview
                .iter()
                .any(|c| words.iter().all(|w| c.prompt.text.contains(w) || matches!(&c.kind, CardKind::Open { answer, .. } if answer.text.contains(w)))),
            "no interview card on {topic}"
        );
    }
    for c in &interview {
        let CardKind::Open { answer, points } = &c.kind else { continue };
        assert!(answer.text.split_whitespace().count() >= 60, "{}: model answer too short", c.id);
        assert!(points.len() >= 3, "{}: too few key points", c.id);
    }
}
