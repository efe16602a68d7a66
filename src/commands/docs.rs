//! What a shell and `man` read about kubedojo, generated from the clap definitions
//! (`crate::cli`), so they never disagree with `--help`: completion scripts (clap_complete) and
//! manual pages (clap_mangen).

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "kubedojo", out);
}

/// The manual page of kubedojo itself (roff).
pub fn man(out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// kubedojo.1 and a page per command that is not hidden, into `dir`; the files written.
pub fn man_pages(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(|e| format!("writing the manual pages into {}: {e}", dir.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("kubedojo") && n.ends_with(".1"))
        .collect();
    pages.sort();
    Ok(format!("{} manual pages in {}: {}\nRead one: man -l {}\n", pages.len(), dir.display(), pages.join(" "), dir.join("kubedojo.1").display()))
}
