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
