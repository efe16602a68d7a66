//! `kubedojo drill`: the TUI opened on the drills, a mock interview, or the statistics.

use crate::app::{App, Go};
use crate::cli::DrillArgs;
use crate::drill::mock::MockConfig;

/// Put the app on the screen the arguments ask for (before the first frame).
pub fn open(app: &mut App, args: &DrillArgs) {
    if let Some(n) = args.new_per_day {
        app.pp_mut().drill.new_per_day = Some(n);
    }
    let to = if args.mock {
        Go::Mock(MockConfig { questions: usize::from(args.questions), minutes: args.minutes, topic: args.topic.clone() })
    } else if args.stats {
        Go::Stats
    } else {
        Go::Drill(args.topic.clone())
    };
    let _ = crate::app::go(app, to);
}
