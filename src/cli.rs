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
    /// Run exercise checks against the target and report (exit 1: a check failed, 3: a check
    /// could not be evaluated, 2: usage or configuration error).
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// EXERCISE or EXERCISE/STEP; none checks every exercise.
    pub select: Vec<String>,
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// What the target is; default: detect from the nodes.
    #[arg(long, value_enum)]
    pub target: Option<crate::checks::backend::TargetKind>,
    /// Kube context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Kubeconfig file (default: KUBECONFIG or ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    #[arg(long)]
    pub aws_profile: Option<String>,
    #[arg(long)]
    pub aws_region: Option<String>,
    /// An AWS emulator endpoint, e.g. http://127.0.0.1:5000 (moto).
    #[arg(long)]
    pub aws_endpoint_url: Option<String>,
    /// Override an exercise variable, e.g. --var cluster=my-lab (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
}

impl CheckArgs {
    pub fn target_options(&self) -> crate::checks::backend::TargetOptions {
        crate::checks::backend::TargetOptions {
            kind: self.target,
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            aws_profile: self.aws_profile.clone(),
            aws_region: self.aws_region.clone(),
            aws_endpoint: self.aws_endpoint_url.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty())),
        }
    }
}
