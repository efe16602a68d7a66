//! Statistics of the drill record: the due forecast, retention, the daily streak, and the
//! weakest topics.

use std::collections::{BTreeMap, BTreeSet};

use super::schedule::Scheduler;
use crate::content::Pack;
use crate::progress::drill::{DrillProgress, lab_step};

pub const FORECAST_DAYS: usize = 14;
pub const RETENTION_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct TopicStat {
    pub topic: String,
    pub title: String,
    pub cards: usize,
    pub reviewed: usize,
    /// Mean probability of recall today over the reviewed cards.
    pub recall: f32,
    pub lapses: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Items due on each of the next days (the first includes everything overdue).
    pub forecast: Vec<usize>,
    /// Share of reviews (not first answers) in the last 30 days not graded "again".
    pub retention: Option<f32>,
    pub reviews_30: usize,
    /// Consecutive days with at least one review, up to today (or yesterday, if not yet today).
    pub streak: u32,
    pub today_reviews: usize,
    pub items: usize,
    /// Items with an interval of three weeks or more.
    pub mature: usize,
    /// Topics with reviewed cards, weakest first.
    pub topics: Vec<TopicStat>,
}

pub fn compute(pack: &Pack, drill: &DrillProgress, sched: &Scheduler, today: i64) -> Stats {
    let mut forecast = vec![0; FORECAST_DAYS];
    for state in drill.items.values() {
        let offset = (state.due_day - today).max(0);
        if let Some(slot) = usize::try_from(offset).ok().and_then(|o| forecast.get_mut(o)) {
            *slot += 1;
        }
    }
    let recent: Vec<_> = drill.log.iter().filter(|e| e.day > today - RETENTION_DAYS && !e.new).collect();
    let retention = (!recent.is_empty()).then(|| recent.iter().filter(|e| e.grade.passed()).count() as f32 / recent.len() as f32);
    let days: BTreeSet<i64> = drill.log.iter().map(|e| e.day).collect();
    let mut day = if days.contains(&today) { today } else { today - 1 };
    let mut streak = 0;
    while days.contains(&day) {
        streak += 1;
        day -= 1;
    }
    let mut by_topic: BTreeMap<&str, TopicStat> = BTreeMap::new();
    for l in &pack.lessons {
        by_topic.insert(&l.id, TopicStat { topic: l.id.clone(), title: l.title.clone(), cards: 0, reviewed: 0, recall: 0.0, lapses: 0 });
    }
    for c in &pack.cards {
        let Some(t) = by_topic.get_mut(c.topic.as_str()) else { continue };
        t.cards += 1;
        if let Some(state) = drill.items.get(&c.id) {
            t.reviewed += 1;
            t.recall += sched.retrievability(state, today);
            t.lapses += state.lapses;
        }
    }
    let mut topics: Vec<TopicStat> = by_topic
        .into_values()
        .filter(|t| t.reviewed > 0)
        .map(|mut t| {
            t.recall /= t.reviewed as f32;
            t
        })
        .collect();
    topics.sort_by(|a, b| a.recall.total_cmp(&b.recall).then(b.lapses.cmp(&a.lapses)).then(a.topic.cmp(&b.topic)));
    Stats {
        forecast,
        retention,
        reviews_30: recent.len(),
        streak,
        today_reviews: drill.log.iter().rev().take_while(|e| e.day >= today).filter(|e| e.day == today).count(),
        items: drill.items.keys().filter(|k| lab_step(k).is_some() || pack.card(k).is_some()).count(),
        mature: drill.items.values().filter(|s| s.due_day - s.last_day >= 21).count(),
        topics,
    }
}
