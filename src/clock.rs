//! The wall clock, read in one place: by the runtimes (the TUI's event loop, the CLI commands,
//! the progress store's stamps, the sandbox's AWS front). Domain code and `update` get the time passed in; renderers read
//! it from the state.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Now, in Unix seconds with milliseconds (the AWS APIs' timestamps).
pub fn unix_now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| (d.as_millis() as f64) / 1000.0)
}
