//! The sandbox's supervisor (`kubedojo sandbox supervise`, started by `sandbox up`): the bridge
//! from a controller's pod to a real program. kwok runs no containers, so a controller the
//! learner installs the lab's way (`kubectl apply` of the upstream manifest) would do nothing;
//! for a pod of an image in the table (`programs.toml`, e.g. `quay.io/argoproj/argo-rollouts` ->
//! `rollouts-controller`) on a kwok node, the supervisor runs that program on the host while the
//! pod exists: with the container's own args (a wrong flag still fails), its env (literal values
//! and the pod's fieldRefs), a kubeconfig that authenticates as the pod's ServiceAccount (so the
//! manifest's RBAC is what the program gets), free ports for the flags that bind, and its output
//! in a log file. An image whose tag is not the program's version is not run: an Event on the
//! pod and `sandbox status` say so.
//!
//! [`table`]: the data; [`launch`]: the command line (plain logic); [`identity`]: the token and
//! kubeconfig; [`watch`]: the loop; [`webhooks`]: admission webhooks that name a Service,
//! answered on 127.0.0.1.

pub mod aws;
pub mod buildinfo;
pub mod identity;
pub mod launch;
pub mod nodeclaims;
pub mod table;
pub mod watch;
pub mod webhooks;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The supervisor process `up` started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    pub pid: u32,
    pub log: PathBuf,
}

/// What became of a pod of a known image.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Running,
    VersionMismatch,
    Exited,
    NotRun,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub image: String,
    pub program: String,
    /// The program's version, as it prints it.
    pub version: Option<String>,
    pub pid: Option<u32>,
    pub log: PathBuf,
    pub state: State,
    /// Why it is not running (empty while it runs).
    pub message: String,
}

/// The supervisor's folder in the sandbox's state folder.
pub fn folder(dir: &Path) -> PathBuf {
    dir.join("supervisor")
}

fn status_file(dir: &Path) -> PathBuf {
    folder(dir).join("status.json")
}

fn log_file(dir: &Path) -> PathBuf {
    dir.join("supervisor.log")
}

/// One pod's files (its program's log, kubeconfig and token).
pub fn pod_folder(dir: &Path, namespace: &str, pod: &str) -> PathBuf {
    folder(dir).join(format!("{namespace}_{pod}"))
}

fn save_entries(dir: &Path, entries: &[&Entry]) -> Result<(), String> {
    let path = status_file(dir);
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, serde_json::to_vec_pretty(entries).map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// What the supervisor last wrote about the pods it watches.
pub fn entries(dir: &Path) -> Vec<Entry> {
    std::fs::read(status_file(dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// Start the supervisor (`exe sandbox supervise`) for the cluster of `kubeconfig`.
pub fn start(dir: &Path, exe: &Path, kubeconfig: &Path) -> Result<Record, String> {
    let log = std::fs::File::create(log_file(dir)).map_err(|e| format!("{}: {e}", log_file(dir).display()))?;
    let child = super::without_aws_settings(Command::new(exe))
        .args(["sandbox", "supervise", "--kubeconfig"])
        .arg(kubeconfig)
        .env("KUBEDOJO_STATE_DIR", dir)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting the controller supervisor ({} sandbox supervise): {e}", exe.display()))?;
    Ok(Record { pid: child.id(), log: log_file(dir) })
}

/// Whether a pid is still the supervisor `up` started.
pub fn is_ours(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("sandbox\0supervise\0"))
}

fn is_program(pid: u32, program: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.split(|b| *b == 0).next().is_some_and(|a| String::from_utf8_lossy(a).ends_with(program)))
}

/// Stop the supervisor (it stops its programs), then any program it left running; what was done.
pub fn stop(dir: &Path, record: &Record) -> String {
    let mut out = String::new();
    if is_ours(record.pid) {
        super::stop_within(record.pid, std::time::Duration::from_secs(15));
        let _ = writeln!(out, "stopped the controller supervisor (pid {})", record.pid);
    } else {
        let _ = writeln!(out, "the controller supervisor (pid {}) was no longer running", record.pid);
    }
    for e in entries(dir) {
        if let Some(pid) = e.pid.filter(|p| is_program(*p, &e.program)) {
            super::stop(pid);
            let _ = writeln!(out, "stopped {} for pod {}/{} (pid {pid})", e.program, e.namespace, e.pod);
        }
    }
    let _ = std::fs::remove_dir_all(folder(dir));
    let _ = std::fs::remove_file(log_file(dir));
    out
}

/// `sandbox status`'s lines: the supervisor and each program.
pub fn status(dir: &Path, record: Option<&Record>) -> String {
    let mut out = String::new();
    match record {
        Some(r) if is_ours(r.pid) => {
            let _ = writeln!(out, "controller supervisor (pid {}, log {})", r.pid, r.log.display());
        }
        Some(r) => {
            let _ = writeln!(out, "the controller supervisor (pid {}) is not running any more; its log: {}", r.pid, r.log.display());
        }
        None => {
            out.push_str("no controller supervisor: controllers installed in the cluster do nothing (`kubedojo sandbox down`, then `up`)\n");
            return out;
        }
    }
    for e in entries(dir) {
        let what = match e.state {
            State::Running => {
                format!("runs {} {} (pid {}, log {})", e.program, e.version.as_deref().unwrap_or("?"), e.pid.unwrap_or_default(), e.log.display())
            }
            _ => e.message.clone(),
        };
        let _ = writeln!(out, "  pod {}/{} ({}): {what}", e.namespace, e.pod, e.image);
    }
    out
}

/// The supervisor itself, until SIGTERM.
pub async fn run(dir: PathBuf, kubeconfig: PathBuf) -> Result<(), String> {
    watch::run(dir, kubeconfig).await
}
