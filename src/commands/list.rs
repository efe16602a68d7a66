//! `kubedojo list`.

use std::fmt::Write as _;

use crate::content::{ItemRef, Pack};
use crate::progress::{ItemStatus, PackProgress};

/// The title column's width.
const TITLE: usize = 56;

pub fn list(pack: &Pack, pp: &PackProgress) -> String {
    let mut out = String::new();
    let done = pack.items().filter(|&i| pp.status(pack, i) == ItemStatus::Done).count();
    let _ = writeln!(out, "{} ({}): {done}/{} done", pack.title, pack.id, pack.items().count());
    let mut lesson_no = 0;
    for part in &pack.parts {
        let _ = writeln!(out, "\n{}", part.title);
        for &item in &part.items {
            let status = pp.status(pack, item);
            let (label, meta) = match item {
                ItemRef::Lesson(i) => {
                    lesson_no += 1;
                    (format!("{lesson_no:>2}."), format!("{} min", pack.lessons[i].minutes))
                }
                ItemRef::Exercise(i) => {
                    let (d, t) = pp.exercise_counts(&pack.exercises[i]);
                    ("lab".to_string(), format!("{d}/{t} steps"))
                }
            };
            // a lab's cost per hour while its resources exist (+ on top of the cluster it uses)
            let cost = match item {
                ItemRef::Exercise(i) => crate::content::cost::estimate(pack, &pack.exercises[i]).map(|e| e.short()).unwrap_or_default(),
                ItemRef::Lesson(_) => String::new(),
            };
            // a title longer than its column is cut, so the counts stay in their columns
            let title = crate::ui::ellipsis(pack.item_title(item), TITLE).replace(" …", "…");
            let _ = writeln!(out, "  {} {label:<3} {title:<TITLE$} {meta:<11} {cost:<10} {}", status.symbol(), status.label());
        }
    }
    out
}
