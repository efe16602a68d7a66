//! Asking the learner before anything writes.

use std::io::{BufRead, IsTerminal, Write};

/// Ask before deleting, unless `yes`; without a terminal to ask on, `--yes` is required.
pub fn confirm(question: &str, yes: bool) -> Result<bool, String> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!("{question}: pass --yes to confirm (no terminal to ask on)"));
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
