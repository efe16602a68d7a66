//! What to drill next: cards brought back by the session (answered "again"), then the due
//! items most at risk of being forgotten, then new cards up to the daily limit.

use std::collections::{HashMap, VecDeque};

use super::schedule::Scheduler;
use crate::content::{Card, Pack};
use crate::progress::drill::{DrillProgress, lab_step};

/// New cards a day, unless the learner set another number.
pub const NEW_PER_DAY: u32 = 10;
/// An item answered "again" comes back after this many other answers.
pub const RELEARN_GAP: usize = 3;

/// The pack's cards indexed once: by id, and in the order new cards are introduced (course
/// order of their lesson, then difficulty, then file order).
pub struct Deck {
    by_id: HashMap<String, usize>,
    new_order: Vec<usize>,
    /// Lesson ids of each exercise, for topic filters on lab items.
    exercise_topics: HashMap<String, Vec<String>>,
}

impl Deck {
    pub fn new(pack: &Pack) -> Self {
        let lesson_rank: HashMap<&str, usize> = pack.lessons.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
        let mut new_order: Vec<usize> = (0..pack.cards.len()).collect();
        new_order.sort_by_key(|i| {
            let c = &pack.cards[*i];
            (lesson_rank.get(c.topic.as_str()).copied().unwrap_or(usize::MAX), c.difficulty, *i)
        });
        Self {
            by_id: pack.cards.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect(),
            new_order,
            exercise_topics: pack.exercises.iter().map(|e| (e.id.clone(), e.lessons.clone())).collect(),
        }
    }

    pub fn card<'p>(&self, pack: &'p Pack, id: &str) -> Option<&'p Card> {
        self.by_id.get(id).map(|i| &pack.cards[*i])
    }

    /// Whether an item (card or lab step) belongs to the topic filter.
    fn in_topic(&self, pack: &Pack, item: &str, topic: Option<&str>) -> bool {
        let Some(topic) = topic else { return true };
        if let Some((exercise, _)) = lab_step(item) {
            return self.exercise_topics.get(exercise).is_some_and(|t| t.iter().any(|l| l == topic));
        }
        self.card(pack, item).is_some_and(|c| c.topic == topic)
    }

    /// Whether the item still exists in this pack (cards can be removed from a pack).
    fn exists(&self, pack: &Pack, item: &str) -> bool {
        match lab_step(item) {
            Some((exercise, step)) => pack.exercise(exercise).is_some_and(|e| e.steps.iter().any(|s| s.id == step)),
            None => self.by_id.contains_key(item),
        }
    }
}

/// One sitting of drills: a topic filter and the items sent back for relearning.
#[derive(Debug, Clone, Default)]
pub struct Session {
    pub topic: Option<String>,
    /// Items answered "again" and the answer count at which they come back.
    relearn: VecDeque<(String, usize)>,
    pub answered: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reviews due today (lab steps included), in the filter.
    pub due: usize,
    /// New cards that may still be introduced today.
    pub new: usize,
    /// Items waiting to come back in this session.
    pub relearn: usize,
}

impl Session {
    pub fn new(topic: Option<String>) -> Self {
        Self { topic, ..Self::default() }
    }

    /// After an answer: "again" sends the item back a few answers later.
    pub fn answered(&mut self, item: &str, again: bool) {
        self.answered += 1;
        self.relearn.retain(|(i, _)| i != item);
        if again {
            self.relearn.push_back((item.to_string(), self.answered + RELEARN_GAP));
        }
    }

    fn held(&self, item: &str) -> bool {
        self.relearn.iter().any(|(i, _)| i == item)
    }

    /// The next item to drill, or `None` when the day's work (in the filter) is done.
    pub fn next(&self, pack: &Pack, deck: &Deck, drill: &DrillProgress, sched: &Scheduler, today: i64) -> Option<String> {
        let topic = self.topic.as_deref();
        if let Some((item, _)) = self.relearn.iter().find(|(_, at)| *at <= self.answered) {
            return Some(item.clone());
        }
        // due reviews, the least likely to be recalled first
        let mut best: Option<(f32, i64, &str)> = None;
        for (item, state) in &drill.items {
            if state.due_day > today || self.held(item) || !deck.in_topic(pack, item, topic) || !deck.exists(pack, item) {
                continue;
            }
            let key = (sched.retrievability(state, today), state.due_day, item.as_str());
            if best.is_none_or(|b| key.0 < b.0 || (key.0 == b.0 && (key.1, key.2) < (b.1, b.2))) {
                best = Some(key);
            }
        }
        if let Some((_, _, item)) = best {
            return Some(item.to_string());
        }
        if self.new_left(drill, today) > 0
            && let Some(card) = deck.new_order.iter().map(|i| &pack.cards[*i]).find(|c| !drill.items.contains_key(&c.id) && topic.is_none_or(|t| c.topic == t))
        {
            return Some(card.id.clone());
        }
        // nothing else: the relearning items, without waiting
        self.relearn.front().map(|(i, _)| i.clone())
    }

    fn new_left(&self, drill: &DrillProgress, today: i64) -> usize {
        let limit = drill.new_per_day.unwrap_or(NEW_PER_DAY) as usize;
        limit.saturating_sub(drill.new_on(today))
    }

    pub fn counts(&self, pack: &Pack, deck: &Deck, drill: &DrillProgress, today: i64) -> Counts {
        let topic = self.topic.as_deref();
        let due = drill
            .items
            .iter()
            .filter(|(item, s)| s.due_day <= today && !self.held(item) && deck.in_topic(pack, item, topic) && deck.exists(pack, item))
            .count();
        let unseen = pack.cards.iter().filter(|c| !drill.items.contains_key(&c.id) && topic.is_none_or(|t| c.topic == t)).count();
        Counts { due, new: unseen.min(self.new_left(drill, today)), relearn: self.relearn.len() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{CheckKinds, PackFiles, load};
    use crate::progress::drill::{Grade, ReviewEntry};

    fn lesson(n: u8, id: &str) -> (String, String) {
        (format!("lessons/0{n}-{id}.md"), format!("---\nid: {id}\ntitle: {id}\nminutes: 5\n---\n\n# {id}\n"))
    }

    fn cards(topic: &str, ids: &[(&str, u8)]) -> (String, String) {
        let mut t = format!("topic = \"{topic}\"\n");
        for (id, difficulty) in ids {
            t += &format!("[[cards]]\nid = \"{id}\"\nkind = \"recall\"\ndifficulty = {difficulty}\nprompt = \"?\"\nanswers = [\"x\"]\n");
        }
        (format!("lessons/cards/{topic}.toml"), t)
    }

    fn pack() -> Pack {
        let files = PackFiles::from_memory([
            lesson(1, "basics"),
            lesson(2, "security"),
            cards("security", &[("s-hard", 3), ("s-easy", 1)]),
            cards("basics", &[("b-one", 2), ("b-two", 1)]),
        ]);
        load(&files, &CheckKinds::default()).pack
    }

    /// Answer `item` with `grade` on `day`, as the drill screen does.
    fn answer(drill: &mut DrillProgress, session: &mut Session, sched: &Scheduler, item: &str, grade: Grade, day: i64) {
        let prev = drill.items.get(item).cloned();
        let state = sched.review(prev.as_ref(), grade, day);
        drill.record(ReviewEntry { day, at: 0, item: item.into(), grade, new: prev.is_none(), secs: 5 }, state);
        session.answered(item, grade == Grade::Again);
    }

    #[test]
    fn new_cards_in_course_order_then_difficulty_up_to_the_daily_limit() {
        let (pack, sched) = (pack(), Scheduler::default());
        let deck = Deck::new(&pack);
        let mut drill = DrillProgress { new_per_day: Some(3), ..Default::default() };
        let mut s = Session::new(None);
        let day = 20_000;
        let mut order = Vec::new();
        while let Some(item) = s.next(&pack, &deck, &drill, &sched, day) {
            order.push(item.clone());
            answer(&mut drill, &mut s, &sched, &item, Grade::Good, day);
        }
        assert_eq!(order, ["basics/b-two", "basics/b-one", "security/s-easy"], "lesson order, then easier first, three a day");
        assert_eq!(s.counts(&pack, &deck, &drill, day), Counts { due: 0, new: 0, relearn: 0 });
        // the next day: one more new card
        let mut s = Session::new(None);
        assert_eq!(s.counts(&pack, &deck, &drill, day + 1).new, 1);
        assert_eq!(s.next(&pack, &deck, &drill, &sched, day + 1).as_deref(), Some("security/s-hard"));
        answer(&mut drill, &mut s, &sched, "security/s-hard", Grade::Good, day + 1);
    }

    #[test]
    fn again_comes_back_after_a_few_answers_and_due_reviews_come_before_new() {
        let (pack, sched) = (pack(), Scheduler::default());
        let deck = Deck::new(&pack);
        let mut drill = DrillProgress::default();
        let day = 20_000;
        let mut s = Session::new(None);
        answer(&mut drill, &mut s, &sched, "basics/b-two", Grade::Again, day);
        // held back: the other cards come first
        let next = s.next(&pack, &deck, &drill, &sched, day).expect("more");
        assert_ne!(next, "basics/b-two");
        for _ in 0..RELEARN_GAP {
            let item = s.next(&pack, &deck, &drill, &sched, day).expect("more");
            answer(&mut drill, &mut s, &sched, &item, Grade::Good, day);
        }
        assert_eq!(s.next(&pack, &deck, &drill, &sched, day).as_deref(), Some("basics/b-two"), "back after {RELEARN_GAP} answers");
        answer(&mut drill, &mut s, &sched, "basics/b-two", Grade::Good, day);
        // weeks later: everything is due, and the due reviews come before the unseen card
        let later = day + 400;
        let s = Session::new(None);
        let c = s.counts(&pack, &deck, &drill, later);
        assert_eq!((c.due, c.new), (4, 0), "all four were seen, all are due again");
        let first = s.next(&pack, &deck, &drill, &sched, later).expect("due");
        assert!(drill.items.contains_key(&first), "a due review first, not a new card: {first}");
    }

    #[test]
    fn the_least_recallable_due_item_comes_first_and_topics_filter() {
        let (pack, sched) = (pack(), Scheduler::default());
        let deck = Deck::new(&pack);
        let mut drill = DrillProgress::default();
        let mut s = Session::new(None);
        // one card learnt long ago with a short interval, one yesterday
        answer(&mut drill, &mut s, &sched, "security/s-easy", Grade::Hard, 19_000);
        answer(&mut drill, &mut s, &sched, "basics/b-one", Grade::Easy, 19_990);
        let today = 20_000;
        let s = Session::new(None);
        assert_eq!(s.next(&pack, &deck, &drill, &sched, today).as_deref(), Some("security/s-easy"));
        let basics = Session::new(Some("basics".into()));
        let item = basics.next(&pack, &deck, &drill, &sched, today).expect("an item");
        assert!(item.starts_with("basics/"), "{item}");
    }

    #[test]
    fn lab_steps_are_due_items_of_their_exercise_lessons() {
        let mut files = vec![lesson(1, "basics"), cards("basics", &[("b-one", 2)])];
        files.push((
            "exercises/lab/exercise.toml".into(),
            "id = \"lab\"\ntitle = \"Lab\"\nlessons = [\"basics\"]\n[[steps]]\nid = \"one\"\ntitle = \"One\"\ninstructions = \"Do it\"\n".into(),
        ));
        let pack = load(&PackFiles::from_memory(files), &CheckKinds::default()).pack;
        let (deck, sched) = (Deck::new(&pack), Scheduler::default());
        let mut drill = DrillProgress::default();
        let item = crate::progress::drill::lab_item("lab", "one");
        drill.items.insert(item.clone(), sched.review(None, Grade::Hard, 19_999));
        drill.items.insert("gone/card".into(), sched.review(None, Grade::Hard, 19_000));
        let s = Session::new(Some("basics".into()));
        assert_eq!(s.next(&pack, &deck, &drill, &sched, 20_010).as_deref(), Some(item.as_str()));
        assert_eq!(s.counts(&pack, &deck, &drill, 20_010).due, 1, "a card no longer in the pack is not counted");
        assert!(Session::new(Some("other".into())).next(&pack, &deck, &drill, &sched, 20_010).is_none());
    }
}
