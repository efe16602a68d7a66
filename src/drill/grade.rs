//! Grading: what an answer to each kind of card is worth, as one of FSRS's four grades.
//! Auto-graded kinds (choice, recall, order) decide correctness here; open cards become a
//! grade from the key points the learner ticked.

use crate::content::card::normalize;
use crate::progress::drill::Grade;

/// The accepted answer a typed one matches, if any.
pub fn recall<'a>(typed: &str, answers: &'a [String]) -> Option<&'a str> {
    let t = normalize(typed);
    if t.is_empty() {
        return None;
    }
    answers.iter().find(|a| normalize(a) == t).map(String::as_str)
}

/// How an ordering went: `answer[i]` is the index (in the correct order) of the step the
/// learner put at position i.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderResult {
    pub in_place: usize,
    pub total: usize,
}

impl OrderResult {
    pub fn correct(self) -> bool {
        self.in_place == self.total
    }

    /// Exact: good. One neighbouring pair swapped: hard. Worse: again.
    pub fn grade(self) -> Grade {
        if self.correct() {
            Grade::Good
        } else if self.in_place + 2 == self.total {
            Grade::Hard
        } else {
            Grade::Again
        }
    }
}

pub fn order(answer: &[usize]) -> OrderResult {
    let in_place = answer.iter().enumerate().filter(|(i, s)| *i == **s).count();
    let mut result = OrderResult { in_place, total: answer.len() };
    // "n-2 in place" is hard only when the two misplaced steps are neighbours swapped
    if result.in_place + 2 == result.total {
        let wrong: Vec<usize> = (0..answer.len()).filter(|i| answer[*i] != *i).collect();
        let adjacent_swap = wrong.len() == 2 && wrong[1] == wrong[0] + 1 && answer[wrong[0]] == wrong[1];
        if !adjacent_swap {
            result.in_place = result.in_place.saturating_sub(1);
        }
    }
    result
}

/// An open card's self-grade from the key points ticked: all of them is good, at least half
/// is hard, fewer is again. The learner may still change it (easy, or harsher) before saving.
pub fn open(ticked: usize, total: usize) -> Grade {
    if total == 0 || ticked >= total {
        Grade::Good
    } else if ticked * 2 >= total {
        Grade::Hard
    } else {
        Grade::Again
    }
}

/// An auto-graded answer: right is good, wrong is again.
pub fn auto(correct: bool) -> Grade {
    if correct { Grade::Good } else { Grade::Again }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn recall_accepts_formatting_near_misses() {
        let a = answers(&["eks.amazonaws.com/role-arn"]);
        for typed in [
            "eks.amazonaws.com/role-arn",
            "  EKS.amazonaws.com/Role-ARN ",
            "`eks.amazonaws.com/role-arn`",
            "\"eks.amazonaws.com/role-arn\"",
            "'eks.amazonaws.com/role-arn'.",
            "` \"eks.amazonaws.com/role-arn\" `",
        ] {
            assert_eq!(recall(typed, &a), Some("eks.amazonaws.com/role-arn"), "{typed:?} must be accepted");
        }
        let cmd = answers(&["kubectl rollout undo deployment/web"]);
        assert!(recall("$ kubectl  rollout undo   deployment/web", &cmd).is_some());
        let env = answers(&["ENABLE_PREFIX_DELEGATION=true"]);
        assert!(recall("enable_prefix_delegation = true", &env).is_some());
    }

    #[test]
    fn recall_rejects_content_near_misses() {
        let a = answers(&["eks.amazonaws.com/role-arn"]);
        for typed in
            ["eks.amazonaws.com/role_arn", "eks.amazon.com/role-arn", "role-arn", "eks.amazonaws.com/rolearn", "eks.amazonaws.com/role-arn/x", "", "   ", "``"]
        {
            assert_eq!(recall(typed, &a), None, "{typed:?} must be rejected");
        }
        let cmd = answers(&["kubectl rollout undo deployment/web"]);
        assert!(recall("kubectl rollout undo deployment web", &cmd).is_none());
        assert!(recall("kubectl rollout restart deployment/web", &cmd).is_none());
    }

    #[test]
    fn recall_takes_any_listed_alternative() {
        let a = answers(&["kubectl drain NODE --ignore-daemonsets", "kubectl drain --ignore-daemonsets NODE"]);
        assert_eq!(recall("kubectl drain --ignore-daemonsets node", &a), Some("kubectl drain --ignore-daemonsets NODE"));
    }

    #[test]
    fn order_grades_exact_swap_and_worse() {
        assert_eq!(order(&[0, 1, 2, 3]).grade(), Grade::Good);
        assert!(order(&[0, 1, 2, 3]).correct());
        // neighbours swapped: hard
        assert_eq!(order(&[0, 2, 1, 3]).grade(), Grade::Hard);
        // two far-apart steps swapped: again
        assert_eq!(order(&[3, 1, 2, 0]).grade(), Grade::Again);
        // reversed: again
        assert_eq!(order(&[3, 2, 1, 0]).grade(), Grade::Again);
        assert_eq!(order(&[1, 0, 2]).grade(), Grade::Hard);
        assert_eq!(order(&[2, 0, 1]).grade(), Grade::Again);
    }

    #[test]
    fn open_cards_grade_by_points_ticked() {
        assert_eq!(open(5, 5), Grade::Good);
        assert_eq!(open(3, 5), Grade::Hard);
        assert_eq!(open(2, 4), Grade::Hard);
        assert_eq!(open(1, 4), Grade::Again);
        assert_eq!(open(0, 3), Grade::Again);
    }
}
