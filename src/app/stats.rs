//! The statistics screen: computed once when opened, from the drill record.

use super::{App, Effect, Screen};
use crate::drill::schedule::Scheduler;
use crate::drill::stats::{self, Stats};

#[derive(Debug, Clone, PartialEq)]
pub struct StatsView {
    pub stats: Stats,
    pub today: i64,
    /// Cards in the course (for "reviewed of all").
    pub cards: usize,
}

pub fn open(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    let today = crate::drill::day_at(app.now);
    app.screen = Screen::Stats(view(app, today));
    effects.push(Effect::Save);
    effects
}

pub fn view(app: &App, today: i64) -> StatsView {
    let drill = app.pp().map(|p| p.drill.clone()).unwrap_or_default();
    StatsView { stats: stats::compute(&app.pack, &drill, &Scheduler::default(), today), today, cards: app.pack.cards.len() }
}
