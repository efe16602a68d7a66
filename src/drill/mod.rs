//! Interview drills: grading answers, scheduling reviews with FSRS, choosing what comes next,
//! statistics, and mock interviews. Plain logic over the content and the progress; no UI, no
//! I/O except the mock transcripts' folder.

pub mod grade;
pub mod mock;
pub mod queue;
pub mod schedule;
pub mod stats;

/// Today as the learner's local calendar day, counted from 1970-01-01.
pub fn today() -> i64 {
    day_of(jiff::Zoned::now().date())
}

pub fn day_of(date: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from((date - epoch).get_days())
}
