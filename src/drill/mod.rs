//! Interview drills: grading answers, scheduling reviews with FSRS, choosing what comes next,
//! statistics, and mock interviews. Plain logic over the content and the progress; no UI, no
//! I/O except the mock transcripts' folder.

pub mod grade;
pub mod mock;
pub mod queue;
pub mod schedule;
pub mod stats;

/// The learner's local calendar day at a time (Unix seconds), counted from 1970-01-01. The time
/// is passed in (`App::now`), never read here.
pub fn day_at(now: u64) -> i64 {
    let ts = jiff::Timestamp::from_second(i64::try_from(now).unwrap_or(i64::MAX)).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    day_of(ts.to_zoned(jiff::tz::TimeZone::system()).date())
}

pub fn day_of(date: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from((date - epoch).get_days())
}
