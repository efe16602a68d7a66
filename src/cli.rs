//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "kubedojo", version, about = "An interactive terminal lab for running Kubernetes in production on AWS EKS")]
pub struct Cli {
    /// Load a course pack from this folder instead of the built-in course.
    #[arg(long, global = true, value_name = "DIR")]
    pub pack: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a content pack: every problem with file:line:column and a fix hint.
    Lint {
        /// The pack folder (default: --pack, else the current folder if it has course.toml,
        /// else the built-in course).
        dir: Option<PathBuf>,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
        /// List the check kinds exercises may declare, with their parameters, and exit.
        #[arg(long)]
        kinds: bool,
    },
    /// Print the course and your progress as plain text.
    List,
}
