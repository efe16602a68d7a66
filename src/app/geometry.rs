//! Where each pane sits for a terminal size. The app needs the text width to wrap and the
//! height to page; the UI draws into the same areas. Plain arithmetic, no ratatui.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

/// Widest a lesson's text gets: long lines are hard to read.
pub const MAX_TEXT_WIDTH: u16 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Geometry {
    pub size: (u16, u16),
    /// Between the title bar and the status bar.
    pub body: Area,
    /// The lesson reader's text area.
    pub lesson: Area,
    /// The exercise's step list.
    pub steps: Area,
    /// The exercise's step text (instructions, hints, solution).
    pub step_text: Area,
    /// The exercise's check results box, below the step text.
    pub results: Area,
}

impl Geometry {
    /// `result_lines`: how many lines the current step's results need (without borders).
    pub fn new(width: u16, height: u16, result_lines: u16) -> Self {
        let body = Area { x: 0, y: 1, width, height: height.saturating_sub(2) };
        let text_w = width.saturating_sub(4).min(MAX_TEXT_WIDTH);
        let lesson = Area { x: (width.saturating_sub(text_w + 1)) / 2, y: body.y, width: text_w, height: body.height };
        let list_w = steps_width(width);
        let steps = Area { x: 0, y: body.y, width: list_w, height: body.height };
        let right_w = width.saturating_sub(list_w);
        let results_h = (result_lines + 2).clamp(3, (body.height / 2).max(3)).min(body.height);
        let results = Area { x: list_w, y: body.y + body.height - results_h, width: right_w, height: results_h };
        // 1 column of padding on the left, 1 for the scrollbar on the right
        let step_text = Area { x: list_w + 2, y: body.y, width: right_w.saturating_sub(3).min(MAX_TEXT_WIDTH), height: body.height.saturating_sub(results_h) };
        Self { size: (width, height), body, lesson, steps, step_text, results }
    }
}

/// Width of the exercise's step list for a terminal width.
pub fn steps_width(width: u16) -> u16 {
    (width / 3).clamp(18, 36).min(width)
}

/// Width of the text of a check result (results box minus padding and the status column).
pub fn result_text_width(width: u16) -> usize {
    usize::from(width.saturating_sub(steps_width(width))).saturating_sub(2 + RESULT_INDENT).max(10)
}

/// Columns taken by a result's status ("✔ pass  ").
pub const RESULT_INDENT: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_fit_inside_the_terminal() {
        for (w, h) in [(80, 24), (120, 40), (20, 5), (300, 80)] {
            let g = Geometry::new(w, h, 4);
            for a in [g.body, g.lesson, g.steps, g.step_text, g.results] {
                assert!(a.x + a.width <= w && a.y + a.height <= h, "{w}x{h}: {a:?}");
            }
            assert!(g.lesson.width <= MAX_TEXT_WIDTH);
        }
    }
}
