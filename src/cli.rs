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
        /// Lint as of this day (YYYY-MM-DD) instead of today: the version table's
        /// verifications age and Kubernetes releases leave standard support.
        #[arg(long, value_name = "DATE")]
        on: Option<jiff::civil::Date>,
        /// List the check kinds exercises may declare, with their parameters, and exit.
        #[arg(long)]
        kinds: bool,
    },
    /// Print the course and your progress as plain text.
    List,
    /// Write the labs' files (eksctl configs, manifests, IAM policies, scripts) into a working
    /// folder, filled in with your values (the lab config's [vars], then --var). Every lab
    /// command runs from that folder. Files you changed are kept unless --force.
    Files(FilesArgs),
    /// Run exercise checks against the target and report (exit 1: a check failed, 3: a check
    /// could not be evaluated, 2: usage or configuration error).
    Check(CheckArgs),
    /// What every lab made in AWS that still exists (by the names its teardown step lists),
    /// each with the command that deletes it; read-only (exit 1: something is left).
    Cleanup(CleanupArgs),
    /// What the lab is pointed at (kube context, server, EKS or not, AWS identity) and which
    /// tools are missing, each with its fix.
    Doctor(TargetArgs),
    /// Interview drills: spaced-repetition cards (due reviews first, then new cards), a timed
    /// mock interview (--mock), or the statistics (--stats). Opens the TUI there.
    Drill(DrillArgs),
    /// Break-fix scenarios: a fault injected into a lab's solved state, to find and fix.
    Scenario {
        #[command(subcommand)]
        action: ScenarioAction,
    },
    /// A local practice environment: a kwok (or kind) cluster and the AWS emulator.
    Sandbox {
        #[command(subcommand)]
        action: SandboxAction,
    },
    /// Run a workshop server: learners' progress, the live board (web and terminal), pacing,
    /// exports. SQLite by default, PostgreSQL with --database-url.
    Serve(ServeArgs),
    /// Instructor: create a workshop, pace the room, export completion.
    Workshop {
        #[command(subcommand)]
        action: WorkshopAction,
    },
    /// Join a workshop: from now on your lab reports your progress to the instructor's board
    /// (in the background; kept on disk while the server is unreachable).
    Join(JoinArgs),
    /// The live board in the terminal: learners x steps, who is stuck, the most common failures.
    Board(InstructorArgs),
    /// Print a completion script for your shell, e.g. `kubedojo completions bash >
    /// ~/.local/share/bash-completion/completions/kubedojo`.
    #[command(
        after_help = "zsh: kubedojo completions zsh > \"${fpath[1]}/_kubedojo\"\nfish: kubedojo completions fish > ~/.config/fish/completions/kubedojo.fish"
    )]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(after_help = "Read it: kubedojo man | man -l -")]
    Man {
        /// Write kubedojo.1 and a page per command (kubedojo-sandbox-up.1, ...) here instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// The SQLite database file (default: workshop/server.db in the state folder).
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub database: Option<PathBuf>,
    /// A PostgreSQL database instead of SQLite: postgres://user:password@host/db.
    #[arg(long, value_name = "URL", env = "KUBEDOJO_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (0.0.0.0:7420 to accept other machines).
    #[arg(long, default_value = "127.0.0.1:7420")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key); or run behind a
    /// TLS-terminating proxy (see the README).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert's certificate.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Requests a second allowed per token (burst: three times as many).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub rate: u32,
    /// Joins a minute allowed per client address (a room behind one NAT shares one).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    pub joins_per_minute: u32,
    /// Progress events a second allowed per learner (an outbox delivered after an outage may
    /// burst to 2000).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub events_per_second: u32,
    /// Learners a workshop takes at most.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    pub max_learners: u32,
}

#[derive(Debug, Subcommand)]
pub enum WorkshopAction {
    /// Create a workshop in the server's database: prints the join code for learners and the
    /// instructor token (both shown once).
    Create {
        /// The workshop's name, shown on the board and to learners.
        #[arg(long)]
        name: String,
        /// A learner counts as stuck after failing the same step this many minutes.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1440))]
        stuck_after: u32,
        /// The server's address as learners reach it (for the printed commands and links).
        #[arg(long, default_value = "http://127.0.0.1:7420", env = "KUBEDOJO_SERVER")]
        server: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// The workshops in the server's database.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Lock exercises: learners cannot open them until released.
    Lock {
        /// Exercise ids (`kubedojo list` shows them).
        #[arg(required = true, value_name = "EXERCISE")]
        exercises: Vec<String>,
        #[command(flatten)]
        instructor: InstructorFlags,
    },
    /// Release locked exercises.
    Release {
        /// Exercise ids, as locked.
        #[arg(required = true, value_name = "EXERCISE")]
        exercises: Vec<String>,
        #[command(flatten)]
        instructor: InstructorFlags,
    },
    /// Show a message in every learner's status bar ("" clears it).
    Message {
        /// What learners read, e.g. "Break until 11:00".
        text: String,
        #[command(flatten)]
        instructor: InstructorArgs,
    },
    /// Rotate the join code (the old one stops working) or close joining.
    Code {
        /// rotate: a new code, the old one stops working; close: no one else can join.
        #[arg(value_enum)]
        action: CodeAction,
        #[command(flatten)]
        instructor: InstructorArgs,
    },
    /// Completion per learner and step, as CSV or JSON, to stdout or a file.
    Export {
        /// csv (a row per learner, a column per step) or json.
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        instructor: InstructorArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CodeAction {
    Rotate,
    Close,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Which workshop, on which server, with which instructor token.
#[derive(Debug, Clone, clap::Args)]
pub struct InstructorArgs {
    /// The server, or the board link `workshop create` printed (http://host:7420/board/ID);
    /// also --server URL, as `workshop create` and `lock` take it. Default: the workshop
    /// created last on this machine.
    #[arg(value_name = "URL", env = "KUBEDOJO_SERVER")]
    pub server: Option<String>,
    /// The same as the URL argument, as a flag.
    #[arg(long = "server", value_name = "URL", conflicts_with = "server")]
    pub server_flag: Option<String>,
    #[command(flatten)]
    pub auth: InstructorAuth,
}

impl InstructorArgs {
    /// The server named by the argument or the flag (or KUBEDOJO_SERVER).
    pub fn server(&self) -> Option<String> {
        self.server_flag.clone().or_else(|| self.server.clone())
    }
}

/// The instructor's server as a flag, for the commands whose arguments are exercises (a
/// positional URL after them could not be told from one).
#[derive(Debug, clap::Args)]
pub struct InstructorFlags {
    /// The server, or the board link `workshop create` printed (http://host:7420/board/ID).
    /// Default: the workshop created last on this machine.
    #[arg(long, value_name = "URL", env = "KUBEDOJO_SERVER")]
    pub server: Option<String>,
    #[command(flatten)]
    pub auth: InstructorAuth,
}

impl From<&InstructorFlags> for InstructorArgs {
    fn from(f: &InstructorFlags) -> InstructorArgs {
        InstructorArgs { server: f.server.clone(), server_flag: None, auth: f.auth.clone() }
    }
}

/// Which workshop, and the instructor's token.
#[derive(Debug, Clone, clap::Args)]
pub struct InstructorAuth {
    /// The workshop id (default: from the board link, else the one created last).
    #[arg(long, env = "KUBEDOJO_WORKSHOP")]
    pub workshop: Option<String>,
    /// The instructor token (default: the one `workshop create` saved on this machine).
    #[arg(long, env = "KUBEDOJO_INSTRUCTOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// The workshop server, e.g. https://workshop.example.com
    pub server: String,
    /// The join code the instructor gave out.
    pub code: String,
    /// Your name as the instructor will see it.
    #[arg(long)]
    pub name: String,
    /// Also report your drill scores (cards reviewed and answered right today).
    #[arg(long)]
    pub share_drills: bool,
    /// Progress events still waiting for an earlier workshop's server: set them aside
    /// (`workshop/outbox.discarded`) instead of refusing to join.
    #[arg(long)]
    pub discard_pending: bool,
}

#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    /// Only this lesson's cards and labs (a lesson id, e.g. security).
    #[arg(long, value_name = "LESSON")]
    pub topic: Option<String>,
    /// A timed mock interview instead of the drills.
    #[arg(long, conflicts_with = "stats")]
    pub mock: bool,
    /// Questions in the mock interview.
    #[arg(long, default_value_t = crate::drill::mock::DEFAULT_QUESTIONS as u16, requires = "mock", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub questions: u16,
    /// Minutes for the whole mock interview.
    #[arg(long, default_value_t = crate::drill::mock::DEFAULT_MINUTES, requires = "mock", value_parser = clap::value_parser!(u32).range(1..=600))]
    pub minutes: u32,
    /// Open the statistics.
    #[arg(long)]
    pub stats: bool,
    /// New cards a day from now on (kept in your progress).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=500))]
    pub new_per_day: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// EXERCISE or EXERCISE/STEP; none checks every exercise.
    pub select: Vec<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Keep watching: re-run and print again whenever what the checks read changes.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, clap::Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What a report of the labs takes (`check`, `cleanup`): its form, where it looks, the values.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// One JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Override an exercise variable, e.g. --var cluster=my-lab (repeatable; wins over the
    /// lab config's [vars]).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// Only these exercises' files (and the files of other labs they use); none: every lab's.
    pub exercises: Vec<String>,
    /// The working folder to write into.
    #[arg(long, default_value = "kubedojo-work")]
    pub dir: PathBuf,
    /// Override a lab variable, e.g. --var appNs=payments (repeatable; wins over the lab
    /// config's [vars]).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Overwrite files that differ from what kubedojo would write (your edits are lost).
    #[arg(long)]
    pub force: bool,
    /// Print the files instead of writing them.
    #[arg(long)]
    pub stdout: bool,
}

/// Where the checks look (`check`, `doctor`); flags win over the lab config.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// What the target is; default: detect from the nodes.
    #[arg(long, value_enum)]
    pub target: Option<crate::checks::backend::TargetKind>,
    /// Kube context (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Kubeconfig file (default: KUBECONFIG or ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// AWS profile for the AWS checks (default: AWS_PROFILE, else the default profile).
    #[arg(long)]
    pub aws_profile: Option<String>,
    /// AWS region for the AWS checks (default: AWS_REGION, else the profile's region).
    #[arg(long)]
    pub aws_region: Option<String>,
    /// An AWS emulator endpoint, e.g. http://127.0.0.1:5000 (moto).
    #[arg(long)]
    pub aws_endpoint_url: Option<String>,
}

impl TargetArgs {
    pub fn target_options(&self, lab: &crate::labconfig::TargetDefaults) -> crate::checks::backend::TargetOptions {
        let base = crate::checks::backend::TargetOptions::from_lab(lab);
        crate::checks::backend::TargetOptions {
            kind: self.target,
            kubeconfig: self.kubeconfig.clone().or(base.kubeconfig),
            context: self.context.clone().or(base.context),
            aws_profile: self.aws_profile.clone().or(base.aws_profile),
            aws_region: self.aws_region.clone().or(base.aws_region),
            aws_endpoint: self.aws_endpoint_url.clone().or(base.aws_endpoint),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ScenarioAction {
    /// The scenarios, their lab, and how far you got.
    List,
    /// Check the working state, show exactly what will be changed, ask, then inject the fault.
    /// Only into the sandbox (`kubedojo sandbox up`) or a target you name with --context.
    Start(ScenarioArgs),
    /// Run the scenario's checks: still broken, or fixed (with your time and score).
    Status(ScenarioArgs),
    /// The next hint (counted in the score).
    Hint {
        /// The scenario (`kubedojo scenario list` shows them).
        id: String,
    },
    /// Put back what the fault changed (asks first).
    Reset(ScenarioArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// The scenario (`kubedojo scenario list` shows them).
    pub id: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Override a variable, e.g. --var cluster=my-lab (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Do not ask (start, reset).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum SandboxAction {
    /// Create the cluster (and start the emulator when moto is installed); prints the env.
    Up {
        /// The sandbox cluster's name, as kwokctl (or kind) names it.
        #[arg(long, default_value = crate::sandbox::DEFAULT_NAME)]
        name: String,
    },
    /// Delete what `up` created, and nothing else (asks first).
    Down {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
    /// What the sandbox is and whether it runs.
    Status,
    /// Open your shell in the sandbox: kubectl, helm and aws reach it, and no real AWS account.
    Shell,
    /// Run one command in the sandbox's environment (as in its shell); exits with its code.
    #[command(after_help = "Example: kubedojo sandbox exec -- aws eks list-clusters")]
    Exec {
        /// The command and its arguments (after `--`).
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// The sandbox's eksctl (simulated): what `eksctl` runs in the sandbox's shell.
    #[command(hide = true)]
    Eksctl {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<String>,
    },
    /// Run the sandbox's controller supervisor in the foreground (`up` starts it): known
    /// controllers' pods on kwok nodes run as programs on this machine.
    #[command(hide = true)]
    Supervise {
        /// The sandbox cluster's kubeconfig.
        #[arg(long)]
        kubeconfig: std::path::PathBuf,
    },
    /// Serve the sandbox's AWS front in the foreground (`up` starts it).
    #[command(hide = true)]
    Front {
        /// The AWS emulator (moto) the front passes requests on to.
        #[arg(long)]
        emulator: String,
        /// The port on 127.0.0.1 (0: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The sandbox cluster's kubeconfig: where add-ons put their objects.
        #[arg(long)]
        kubeconfig: Option<std::path::PathBuf>,
        /// The pod identity webhook's identities file, rewritten with every Pod Identity association.
        #[arg(long)]
        pod_identities: Option<std::path::PathBuf>,
    },
    /// Serve the sandbox's downloads proxy in the foreground (`up` starts it).
    #[command(hide = true)]
    Downloads {
        /// The port on 127.0.0.1.
        #[arg(long)]
        port: u16,
        /// The folder of the sandbox's CA (its key signs the hosts' certificates).
        #[arg(long)]
        ca: std::path::PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// clap's own consistency checks of every command (a release build skips them, so a bad
    /// definition would only panic in a debug build of the command using it).
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--help` says what every argument and flag a person can type is (hidden ones aside).
    #[test]
    fn every_argument_says_what_it_is() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if a.is_hide_set() || id == "help" || id == "version" {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path}: {id}"));
                }
            }
            for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "kubedojo", &mut missing);
        assert!(missing.is_empty(), "no help text:\n{}", missing.join("\n"));
    }

    #[test]
    fn lock_takes_exercises_and_the_server_as_a_flag() {
        let cli = Cli::try_parse_from(["kubedojo", "workshop", "lock", "irsa", "eks-cluster", "--server", "http://127.0.0.1:7420/board/w1"]).unwrap();
        let Some(Command::Workshop { action: WorkshopAction::Lock { exercises, instructor } }) = cli.command else { panic!("{cli:?}") };
        assert_eq!(exercises, ["irsa", "eks-cluster"]);
        assert_eq!(instructor.server.as_deref(), Some("http://127.0.0.1:7420/board/w1"));
    }

    #[test]
    fn every_instructor_command_takes_the_server_as_a_flag_or_an_argument() {
        let forms: [&[&str]; 2] =
            [&["kubedojo", "workshop", "export", "--server", "http://h:7420"], &["kubedojo", "workshop", "export", "http://h:7420", "--format", "csv"]];
        for args in forms {
            let cli = Cli::try_parse_from(args).unwrap();
            let Some(Command::Workshop { action: WorkshopAction::Export { instructor, .. } }) = cli.command else { panic!("{cli:?}") };
            assert_eq!(instructor.server().as_deref(), Some("http://h:7420"));
        }
        assert!(Cli::try_parse_from(["kubedojo", "workshop", "message", "hi", "http://a", "--server", "http://b"]).is_err(), "one server, not two");
    }
}
