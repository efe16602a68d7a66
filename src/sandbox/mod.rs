//! The sandbox: a local practice environment (`kubedojo sandbox up|down|status`). A kwok cluster (kwokctl,
//! no Docker needed) or a kind cluster (with Docker), plus the moto AWS emulator when it is
//! installed. Only what `up` created is ever stopped or deleted: it is recorded in the state
//! folder, and `down` touches nothing else.

pub mod front;
pub mod shell;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// A program on PATH.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

pub const DEFAULT_NAME: &str = "kubedojo-sandbox";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sandbox {
    pub cluster: String,
    /// `kwok` or `kind`
    pub runtime: String,
    pub kubeconfig: PathBuf,
    #[serde(default)]
    pub emulator: Option<Emulator>,
    /// The AWS front (`kubedojo sandbox front`) in front of the emulator: what AWS_ENDPOINT_URL names.
    #[serde(default)]
    pub front: Option<Emulator>,
    pub created_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Emulator {
    pub pid: u32,
    pub url: String,
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("sandbox.json")
}

fn kwok_workdir(dir: &Path) -> PathBuf {
    dir.join("kwok")
}

pub fn load(dir: &Path) -> Option<Sandbox> {
    serde_json::from_slice(&std::fs::read(state_file(dir)).ok()?).ok()
}

fn save(dir: &Path, s: &Sandbox) -> Result<(), String> {
    std::fs::write(state_file(dir), serde_json::to_vec_pretty(s).map_err(|e| e.to_string())?).map_err(|e| format!("{}: {e}", state_file(dir).display()))
}

/// Whether a pid is still the emulator we started (a pid can be reused after a reboot).
fn is_our_emulator(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("moto_server"))
}

/// Whether something listens on 127.0.0.1:`port` within `wait`.
fn listening(port: u16, wait: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// Whether a pid is still the AWS front we started.
fn is_our_front(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("sandbox\0front\0"))
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr).trim())) }
}

/// A sandbox process must not see the learner's AWS settings: moto given `AWS_PROFILE` of a
/// profile it cannot find answers every request with a 500, and nothing of a real account belongs here.
fn without_aws_settings(mut cmd: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn env_text(dir: &Path, s: &Sandbox) -> String {
    shell::export_lines(&shell::environment(dir, s, std::env::vars_os()))
}

/// Create the sandbox; returns what to print (steps taken, then the environment). `exe` is the
/// kubedojo binary, which serves the AWS front (`sandbox front`) in front of the emulator.
pub fn up(dir: &Path, name: &str, exe: &Path) -> Result<String, String> {
    let mut out = String::new();
    if let Some(s) = load(dir) {
        let _ = writeln!(out, "sandbox {} ({}) already exists; `kubedojo sandbox down` removes it.", s.cluster, s.runtime);
        out.push_str(&env_text(dir, &s));
        return Ok(out);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let kubeconfig = dir.join("sandbox-kubeconfig");
    let runtime = if let Some(kwokctl) = find_on_path("kwokctl") {
        let _ = writeln!(out, "creating kwok cluster {name} with {} (simulated nodes, no Docker)", kwokctl.display());
        let mut cmd = Command::new(&kwokctl);
        cmd.args(["create", "cluster", "--name", name, "--kubeconfig"]).arg(&kubeconfig).args(["--wait", "3m"]).env("KWOK_WORKDIR", kwok_workdir(dir));
        if std::env::var_os("KWOK_RUNTIME").is_none() && find_on_path("docker").is_none() {
            cmd.args(["--runtime", "binary"]);
        }
        run(&mut cmd, "kwokctl create cluster")?;
        run(Command::new(&kwokctl).args(["scale", "node", "--replicas", "2", "--name", name]).env("KWOK_WORKDIR", kwok_workdir(dir)), "kwokctl scale node")?;
        "kwok"
    } else if let (Some(kind), Some(_)) = (find_on_path("kind"), find_on_path("docker")) {
        let _ = writeln!(out, "creating kind cluster {name} with {}", kind.display());
        run(Command::new(kind).args(["create", "cluster", "--name", name, "--kubeconfig"]).arg(&kubeconfig), "kind create cluster")?;
        "kind"
    } else {
        return Err("no way to create a local cluster: install kwokctl (go install sigs.k8s.io/kwok/cmd/kwokctl@v0.8.0, with kube-apiserver and etcd binaries given by KWOK_*_BINARY) or kind with Docker".into());
    };
    // record the cluster at once: if anything below fails, `down` can still remove it
    let mut sandbox =
        Sandbox { cluster: name.to_string(), runtime: runtime.to_string(), kubeconfig, emulator: None, front: None, created_at: crate::clock::unix_now() };
    save(dir, &sandbox)?;
    sandbox.emulator = match find_on_path("moto_server") {
        Some(moto) => {
            let port = free_port()?;
            let log = std::fs::File::create(dir.join("moto.log")).map_err(|e| e.to_string())?;
            let child = without_aws_settings(Command::new(moto))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ACCOUNT_ID", shell::ACCOUNT)
                .stdin(Stdio::null())
                .stdout(log.try_clone().map_err(|e| e.to_string())?)
                .stderr(log)
                .spawn()
                .map_err(|e| format!("starting moto_server: {e}"))?;
            let url = format!("http://127.0.0.1:{port}");
            let emulator = Emulator { pid: child.id(), url: url.clone() };
            sandbox.emulator = Some(emulator.clone());
            save(dir, &sandbox)?;
            // what follows (the front, the learner's first command) needs it answering
            if !listening(port, std::time::Duration::from_secs(30)) {
                let log = std::fs::read_to_string(dir.join("moto.log")).unwrap_or_default();
                return Err(format!(
                    "the AWS emulator did not start listening on {url} within 30 s; its log ({}):\n{}\n`kubedojo sandbox down` removes what was made",
                    dir.join("moto.log").display(),
                    log.trim()
                ));
            }
            let _ = writeln!(out, "started the AWS emulator (moto) at {url}, pid {}", child.id());
            Some(emulator)
        }
        None => {
            out.push_str("AWS emulator not started: `pip install 'moto[server]'` to practise the AWS checks locally\n");
            None
        }
    };
    save(dir, &sandbox)?;
    if let Some(emulator) = &sandbox.emulator {
        let port = free_port()?;
        let log = std::fs::File::create(dir.join("front.log")).map_err(|e| e.to_string())?;
        let child = without_aws_settings(Command::new(exe))
            .args(["sandbox", "front", "--emulator", &emulator.url, "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting the AWS front ({} sandbox front): {e}", exe.display()))?;
        let url = format!("http://127.0.0.1:{port}");
        sandbox.front = Some(Emulator { pid: child.id(), url: url.clone() });
        save(dir, &sandbox)?;
        if !listening(port, std::time::Duration::from_secs(10)) {
            let log = std::fs::read_to_string(dir.join("front.log")).unwrap_or_default();
            return Err(format!(
                "the AWS front did not start listening on {url} within 10 s; its log ({}):\n{}\n`kubedojo sandbox down` removes what was made",
                dir.join("front.log").display(),
                log.trim()
            ));
        }
        let _ = writeln!(out, "started the AWS front at {url}, pid {} (the EKS APIs the emulator lacks; everything else goes on to it)", child.id());
    }
    shell::prepare(dir)?;
    out.push_str("\n`kubedojo sandbox shell` opens a shell in it (`kubedojo sandbox exec -- CMD` runs one command), or paste this into yours:\n");
    out.push_str(&env_text(dir, &sandbox));
    Ok(out)
}

pub fn status(dir: &Path) -> String {
    match load(dir) {
        None => "no sandbox: `kubedojo sandbox up` creates one\n".into(),
        Some(s) => {
            let alive = s.emulator.as_ref().map(|e| is_our_emulator(e.pid));
            let mut out = format!("sandbox {} ({}) created {}\nkubeconfig {}\n", s.cluster, s.runtime, created(s.created_at), s.kubeconfig.display());
            match s.front.as_ref().map(|f| (f, is_our_front(f.pid))) {
                Some((f, true)) => {
                    let _ = writeln!(out, "AWS front {} (pid {}): AWS_ENDPOINT_URL", f.url, f.pid);
                }
                Some((f, false)) => {
                    let _ = writeln!(out, "AWS front {} is not running any more", f.url);
                }
                None => {}
            }
            match (&s.emulator, alive) {
                (Some(e), Some(true)) => {
                    let _ = writeln!(out, "AWS emulator {} (pid {})", e.url, e.pid);
                }
                (Some(e), _) => {
                    let _ = writeln!(out, "AWS emulator {} is not running any more", e.url);
                }
                (None, _) => out.push_str("no AWS emulator\n"),
            }
            out
        }
    }
}

/// When the sandbox was made, as a person reads it (UTC, to the minute).
fn created(unix: u64) -> String {
    match jiff::Timestamp::from_second(i64::try_from(unix).unwrap_or(i64::MAX)) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => "at an unknown time".into(),
    }
}

/// What `down` would remove, as the question to ask first; `None` when there is no sandbox.
pub fn down_question(dir: &Path) -> Option<String> {
    let s = load(dir)?;
    Some(format!(
        "Delete the {} cluster {} created by `kubedojo sandbox up`{}?",
        s.runtime,
        s.cluster,
        if s.emulator.is_some() { " and stop its AWS emulator and AWS front" } else { "" }
    ))
}

/// Remove what `up` created, and nothing else (ask with `down_question` first).
pub fn down(dir: &Path) -> Result<String, String> {
    let Some(s) = load(dir) else { return Ok("no sandbox to remove (nothing was touched)\n".into()) };
    let mut out = String::new();
    match s.runtime.as_str() {
        "kwok" => {
            let kwokctl = find_on_path("kwokctl").ok_or("kwokctl is no longer on PATH: cannot delete the sandbox cluster")?;
            run(Command::new(kwokctl).args(["delete", "cluster", "--name", &s.cluster]).env("KWOK_WORKDIR", kwok_workdir(dir)), "kwokctl delete cluster")?;
        }
        _ => {
            let kind = find_on_path("kind").ok_or("kind is no longer on PATH: cannot delete the sandbox cluster")?;
            run(Command::new(kind).args(["delete", "cluster", "--name", &s.cluster]), "kind delete cluster")?;
        }
    }
    let _ = writeln!(out, "deleted {} cluster {}", s.runtime, s.cluster);
    if let Some(f) = &s.front {
        if is_our_front(f.pid) {
            let _ = Command::new("kill").arg(f.pid.to_string()).status();
            let _ = writeln!(out, "stopped the AWS front (pid {})", f.pid);
        } else {
            let _ = writeln!(out, "the AWS front (pid {}) was no longer running", f.pid);
        }
    }
    if let Some(e) = &s.emulator {
        if is_our_emulator(e.pid) {
            let _ = Command::new("kill").arg(e.pid.to_string()).status();
            let _ = writeln!(out, "stopped the AWS emulator (pid {})", e.pid);
        } else {
            let _ = writeln!(out, "the AWS emulator (pid {}) was no longer running", e.pid);
        }
    }
    let _ = std::fs::remove_file(state_file(dir));
    let _ = std::fs::remove_file(&s.kubeconfig);
    // the shell's files (kubedojo's own names in its state folder)
    let _ = std::fs::remove_dir_all(dir.join("aws"));
    let _ = std::fs::remove_dir_all(shell::bin_dir(dir));
    let _ = std::fs::remove_file(dir.join("bashrc"));
    Ok(out)
}
