//! The home screen: the course as a tree of parts, lessons and exercises.

use crate::content::{ItemRef, Pack};
use crate::progress::PackProgress;

#[derive(Debug, Clone, Default)]
pub struct Home {
    /// Index into the course's items (in course order).
    pub selected: usize,
}

/// A row of the tree: a part title or an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Part(usize),
    Item(ItemRef),
}

pub fn rows(pack: &Pack) -> Vec<Row> {
    let mut rows = Vec::new();
    for (i, part) in pack.parts.iter().enumerate() {
        rows.push(Row::Part(i));
        rows.extend(part.items.iter().map(|&it| Row::Item(it)));
    }
    rows
}

impl Home {
    pub fn selected_item(&self, pack: &Pack) -> Option<ItemRef> {
        pack.items().nth(self.selected)
    }

    pub fn select_item(&mut self, pack: &Pack, item: ItemRef) {
        if let Some(i) = pack.items().position(|it| it == item) {
            self.selected = i;
        }
    }

    pub fn select_last_position(&mut self, pack: &Pack, progress: Option<&PackProgress>) {
        if let Some(item) = progress.and_then(|p| p.last.as_ref()).and_then(|last| pack.find_item(&last.item)) {
            self.select_item(pack, item);
        }
    }

    pub fn move_by(&mut self, pack: &Pack, delta: isize) {
        let count = pack.items().count();
        if count == 0 {
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(count - 1);
    }
}
