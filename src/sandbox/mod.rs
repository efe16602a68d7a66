//! The sandbox: a local practice environment (`kubedojo sandbox up|down|status`). A kwok cluster (kwokctl,
//! no Docker needed) or a kind cluster (with Docker), plus the moto AWS emulator and the EKS pod
//! identity webhook when they are installed. Only what `up` created is ever stopped or deleted:
//! it is recorded in the state folder, and `down` touches nothing else.

pub mod aws;
pub mod downloads;
pub mod eksctl;
pub mod front;
pub mod nodes;
pub mod parts;
pub mod shell;
pub mod supervisor;
pub mod webhook;

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
    /// The EKS pod identity webhook (`webhook.rs`); `url` is its `/mutate`.
    #[serde(default)]
    pub webhook: Option<Emulator>,
    /// The controller supervisor (`kubedojo sandbox supervise`, `supervisor/`).
    #[serde(default)]
    pub supervisor: Option<supervisor::Record>,
    /// The downloads proxy (`downloads/`): what the shell's `HTTPS_PROXY` names.
    #[serde(default)]
    pub downloads: Option<Emulator>,
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

/// Whether the sandbox's AWS front still runs.
pub fn front_running(s: &Sandbox) -> bool {
    s.front.as_ref().is_some_and(|f| is_our_front(f.pid))
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

/// The control plane's binaries for kwokctl's binary runtime: each one found on PATH is passed
/// (unless its `KWOK_*_BINARY` variable names one already), so kwokctl downloads nothing it has;
/// returns the programs it will download. Flags and variables: `kwokctl create cluster --help`
/// (kwok v0.8.0).
fn control_plane_binaries(cmd: &mut Command) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for (flag, var, program) in [
        ("--kube-apiserver-binary", "KWOK_KUBE_APISERVER_BINARY", "kube-apiserver"),
        ("--kube-controller-manager-binary", "KWOK_KUBE_CONTROLLER_MANAGER_BINARY", "kube-controller-manager"),
        ("--kube-scheduler-binary", "KWOK_KUBE_SCHEDULER_BINARY", "kube-scheduler"),
        ("--kwok-controller-binary", "KWOK_CONTROLLER_BINARY", "kwok"),
        ("--etcd-binary", "KWOK_ETCD_BINARY", "etcd"),
    ] {
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        match find_on_path(program) {
            Some(path) => {
                cmd.arg(flag).arg(path);
            }
            None => missing.push(program),
        }
    }
    missing
}

/// kwokctl's log (JSON lines) as sentences: level, message, then the error and what it was
/// fetching; a retry repeated is said once, with its count.
fn kwokctl_log(stderr: &str) -> String {
    let mut lines: Vec<(String, usize)> = Vec::new();
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        let text = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) if v.get("msg").is_some() => {
                let mut t = format!("{} {}", v["level"].as_str().unwrap_or("INFO").to_lowercase(), v["msg"].as_str().unwrap_or_default());
                for key in ["err", "uri", "path"] {
                    if let Some(x) = v[key].as_str() {
                        t.push_str(&format!("; {key} {x}"));
                    }
                }
                t
            }
            _ => line.to_string(),
        };
        match lines.last_mut() {
            Some((last, n)) if *last == text => *n += 1,
            _ => lines.push((text, 1)),
        }
    }
    lines.iter().map(|(t, n)| if *n > 1 { format!("  {t} (x{n})") } else { format!("  {t}") }).collect::<Vec<_>>().join("\n")
}

fn free_port() -> Result<u16, String> {
    Ok(free_ports(1)?[0])
}

/// `n` distinct free ports: every listener is held until all are chosen, so the same port is not
/// handed out twice (a program given one port for its webhook and the same for its metrics fails
/// with "address already in use").
///
/// They are taken below the kernel's ephemeral range (`ip_local_port_range`), free on every
/// address: a port the kernel hands out (port 0) is free only until the program binds it, and
/// in between any outgoing connection may take it as its local port (seen: the webhook's
/// metrics port taken while moto started). Outside that range only a listener can take it.
fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    use std::hash::{BuildHasher, Hasher};
    let ephemeral =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok().and_then(|t| t.split_whitespace().next()?.parse::<u16>().ok()).unwrap_or(32768);
    let (bottom, top) = (10_000u16, ephemeral.clamp(10_001, 32768));
    let seed = std::collections::hash_map::RandomState::new();
    let mut listeners = Vec::new();
    for attempt in 0..400u32 {
        if listeners.len() == n {
            break;
        }
        let mut h = seed.build_hasher();
        h.write_u32(attempt);
        let port = bottom + (h.finish() % u64::from(top - bottom)) as u16;
        if let Ok(l) = std::net::TcpListener::bind(("0.0.0.0", port)) {
            listeners.push(l);
        }
    }
    // a machine whose low ports are all taken: the kernel's choice, as before
    while listeners.len() < n {
        listeners.push(std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?);
    }
    listeners.iter().map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())).collect()
}

fn env_text(dir: &Path, s: &Sandbox) -> String {
    shell::export_lines(&shell::environment(dir, s, std::env::vars_os()))
}

/// Create the sandbox; returns what to print (steps taken, then the environment). `exe` is the
/// kubedojo binary, which serves the AWS front (`sandbox front`) in front of the emulator.
/// `say` gets what the learner should know at once (before a long wait), not at the end.
pub fn up(dir: &Path, name: &str, exe: &Path, say: &mut dyn FnMut(&str)) -> Result<String, String> {
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
        let runtime = std::env::var("KWOK_RUNTIME").ok().or_else(|| find_on_path("docker").is_none().then(|| "binary".to_string()));
        if runtime.as_deref() == Some("binary") {
            cmd.args(["--runtime", "binary"]);
            let missing = control_plane_binaries(&mut cmd);
            if !missing.is_empty() {
                say(&format!(
                    "kwokctl will download {} from the internet (not on PATH, no KWOK_*_BINARY set); offline, put them on PATH and run `kubedojo sandbox up` again",
                    missing.join(", ")
                ));
            }
        }
        let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("kwokctl create cluster: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "kwokctl create cluster failed:\n{}\n`kubedojo sandbox down` removes what was made",
                kwokctl_log(&String::from_utf8_lossy(&out.stderr))
            ));
        }
        run(Command::new(&kwokctl).args(["scale", "node", "--replicas", "2", "--name", name]).env("KWOK_WORKDIR", kwok_workdir(dir)), "kwokctl scale node")?;
        nodes::add_storage(&kubeconfig)?;
        "kwok"
    } else if let (Some(kind), Some(_)) = (find_on_path("kind"), find_on_path("docker")) {
        let _ = writeln!(out, "creating kind cluster {name} with {}", kind.display());
        run(Command::new(kind).args(["create", "cluster", "--name", name, "--kubeconfig"]).arg(&kubeconfig), "kind create cluster")?;
        "kind"
    } else {
        return Err("no way to create a local cluster: install kwokctl (go install sigs.k8s.io/kwok/cmd/kwokctl@v0.8.0, with kube-apiserver and etcd binaries given by KWOK_*_BINARY) or kind with Docker".into());
    };
    // record the cluster at once: if anything below fails, `down` can still remove it
    let mut sandbox = Sandbox {
        cluster: name.to_string(),
        runtime: runtime.to_string(),
        kubeconfig,
        emulator: None,
        front: None,
        webhook: None,
        supervisor: None,
        downloads: None,
        created_at: crate::clock::unix_now(),
    };
    save(dir, &sandbox)?;
    start_supervisor(dir, exe, &mut sandbox, &mut out)?;
    // started first, registered last: it comes up while the emulator does
    let hook = webhook::start(dir, &sandbox.kubeconfig)?;
    if let Some(w) = &hook {
        sandbox.webhook = Some(w.record.clone());
        save(dir, &sandbox)?;
    }
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
            .args(["sandbox", "front", "--emulator", &emulator.url, "--port", &port.to_string(), "--kubeconfig"])
            .arg(&sandbox.kubeconfig)
            .arg("--pod-identities")
            .arg(webhook::identities_file(dir))
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
    match &hook {
        Some(w) => {
            webhook::register(dir, w, &sandbox.kubeconfig)?;
            let _ = writeln!(
                out,
                "started the EKS pod identity webhook at {}, pid {} (new pods of a ServiceAccount with eks.amazonaws.com/role-arn get IRSA's env and token)",
                w.record.url, w.record.pid
            );
        }
        None => {
            let _ = writeln!(
                out,
                "pod identity webhook not started ({} not on PATH): `{}` to have IRSA's env and token injected into pods",
                webhook::PROGRAM,
                webhook::install_command()
            );
        }
    }
    start_downloads(dir, exe, &mut sandbox, &mut out)?;
    shell::prepare(dir, exe)?;
    out.push_str("\n`kubedojo sandbox shell` opens a shell in it (`kubedojo sandbox exec -- CMD` runs one command), or paste this into yours:\n");
    out.push_str(&env_text(dir, &sandbox));
    Ok(out)
}

/// The controller supervisor: controllers' pods run as host programs (`supervisor`).
fn start_supervisor(dir: &Path, exe: &Path, sandbox: &mut Sandbox, out: &mut String) -> Result<(), String> {
    let record = supervisor::start(dir, exe, &sandbox.kubeconfig)?;
    let _ = writeln!(
        out,
        "started the controller supervisor, pid {} (known controllers' pods run as programs on this machine; log {})",
        record.pid,
        record.log.display()
    );
    sandbox.supervisor = Some(record);
    save(dir, sandbox)
}

/// Start the downloads proxy and record it.
fn start_downloads(dir: &Path, exe: &Path, sandbox: &mut Sandbox, out: &mut String) -> Result<(), String> {
    let proxy = downloads::start(dir, exe)?;
    let _ = writeln!(
        out,
        "started the downloads proxy at {}, pid {} (the shell's HTTPS_PROXY: the files the labs download from {}, served from this machine)",
        proxy.url,
        proxy.pid,
        downloads::hosts()
    );
    sandbox.downloads = Some(proxy);
    save(dir, sandbox)
}

fn downloads_status(s: &Sandbox, out: &mut String) {
    match &s.downloads {
        Some(d) if downloads::is_ours(d.pid) => {
            let _ = writeln!(out, "downloads proxy {} (pid {}): HTTPS_PROXY, answering {}", d.url, d.pid, downloads::hosts());
        }
        Some(d) => {
            let _ = writeln!(out, "downloads proxy {} is not running any more (`kubedojo sandbox down`, then `up`)", d.url);
        }
        None => {}
    }
}

fn stop_downloads(dir: &Path, s: &Sandbox, out: &mut String) {
    if let Some(d) = &s.downloads {
        stop_part(d.pid, downloads::is_ours(d.pid), "the downloads proxy", out);
    }
    downloads::remove_files(dir);
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
            match &s.webhook {
                Some(w) if webhook::is_ours(w.pid) => {
                    let _ = writeln!(out, "pod identity webhook {} (pid {})", w.url, w.pid);
                }
                Some(w) => {
                    let _ = writeln!(out, "pod identity webhook {} is not running any more", w.url);
                }
                None => {
                    let _ = writeln!(out, "no pod identity webhook (`{}`, then `kubedojo sandbox down` and `up`)", webhook::install_command());
                }
            }
            out.push_str(&supervisor::status(dir, s.supervisor.as_ref()));
            downloads_status(&s, &mut out);
            out.push_str("\nWhat is real and what is simulated (the same checks grade it and a real account):\n");
            out.push_str(&parts::text(78));
            out
        }
    }
}

/// Stop a process `up` started, and wait until it has gone (so its port is free when `down`
/// says so): SIGTERM, then SIGKILL after 5 s. An exited process nobody reaped (a zombie) has gone.
/// Stop one of the processes `up` started when it is still ours (`running`), and say which.
fn stop_part(pid: u32, running: bool, what: &str, out: &mut String) {
    if running {
        stop(pid);
        let _ = writeln!(out, "stopped {what} (pid {pid})");
    } else {
        let _ = writeln!(out, "{what} (pid {pid}) was no longer running");
    }
}

fn stop(pid: u32) {
    stop_within(pid, std::time::Duration::from_secs(5));
}

/// `stop`, waiting up to `wait` before SIGKILL.
fn stop_within(pid: u32, wait: std::time::Duration) {
    let running = || std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')));
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let deadline = std::time::Instant::now() + wait;
    while running() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if running() {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        // gone when this returns: its ports are free for whatever comes next
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while running() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
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
    let mut stops = Vec::new();
    if s.emulator.is_some() {
        stops.extend(["AWS emulator", "AWS front"]);
    }
    if s.webhook.is_some() {
        stops.push("pod identity webhook");
    }
    if s.supervisor.is_some() {
        stops.push("controller supervisor");
    }
    if s.downloads.is_some() {
        stops.push("downloads proxy");
    }
    let stops = match stops.as_slice() {
        [] => String::new(),
        [one] => format!(" and stop its {one}"),
        [rest @ .., last] => format!(" and stop its {} and {last}", rest.join(", ")),
    };
    Some(format!("Delete the {} cluster {} created by `kubedojo sandbox up`{stops}?", s.runtime, s.cluster))
}

/// Remove what `up` created, and nothing else (ask with `down_question` first).
pub fn down(dir: &Path) -> Result<String, String> {
    let Some(s) = load(dir) else { return Ok("no sandbox to remove (nothing was touched)\n".into()) };
    let mut out = String::new();
    // first: its programs would only log errors once the cluster has gone
    if let Some(r) = &s.supervisor {
        out.push_str(&supervisor::stop(dir, r));
    }
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
    if let Some(w) = &s.webhook {
        stop_part(w.pid, webhook::is_ours(w.pid), "the pod identity webhook", &mut out);
        webhook::remove_files(dir);
    }
    if let Some(f) = &s.front {
        stop_part(f.pid, is_our_front(f.pid), "the AWS front", &mut out);
    }
    if let Some(e) = &s.emulator {
        stop_part(e.pid, is_our_emulator(e.pid), "the AWS emulator", &mut out);
    }
    stop_downloads(dir, &s, &mut out);
    let _ = std::fs::remove_file(state_file(dir));
    let _ = std::fs::remove_file(&s.kubeconfig);
    // the shell's files (kubedojo's own names in its state folder)
    let _ = std::fs::remove_dir_all(dir.join("aws"));
    let _ = std::fs::remove_dir_all(shell::bin_dir(dir));
    let _ = std::fs::remove_file(dir.join("bashrc"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwokctl_log_reads_as_sentences_with_retries_said_once() {
        let uri = "https://github.com/etcd-io/etcd/releases/download/v3.6.10/etcd-v3.6.10-linux-amd64.tar.gz";
        let retry = |n: u32| {
            format!(
                r#"{{"time":"2026-12-07T07:15:00Z","level":"WARN","msg":"Retry after 1s","cluster":"kd","uri":"{uri}","err":"dial tcp: lookup github.com: no such host","retry":{n}}}"#
            )
        };
        let stderr = format!("{}\n{}\n{}\nplain text\n", r#"{"level":"INFO","msg":"Cluster is creating","cluster":"kd"}"#, retry(0), retry(1));
        assert_eq!(
            kwokctl_log(&stderr),
            format!("  info Cluster is creating\n  warn Retry after 1s; err dial tcp: lookup github.com: no such host; uri {uri} (x2)\n  plain text")
        );
    }

    #[test]
    fn down_asks_about_everything_up_started() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = |pid| Some(Emulator { pid, url: "http://127.0.0.1:1".into() });
        let mut s = Sandbox {
            cluster: "kd".into(),
            runtime: "kwok".into(),
            kubeconfig: dir.path().join("k"),
            emulator: e(1),
            front: e(2),
            webhook: e(3),
            supervisor: Some(supervisor::Record { pid: 4, log: dir.path().join("supervisor.log") }),
            downloads: e(4),
            created_at: 0,
        };
        save(dir.path(), &s).expect("save");
        assert_eq!(
            down_question(dir.path()).as_deref(),
            Some(
                "Delete the kwok cluster kd created by `kubedojo sandbox up` and stop its AWS emulator, AWS front, pod identity webhook, controller supervisor and downloads proxy?"
            )
        );
        (s.emulator, s.front, s.supervisor, s.downloads) = (None, None, None, None);
        save(dir.path(), &s).expect("save");
        assert_eq!(
            down_question(dir.path()).as_deref(),
            Some("Delete the kwok cluster kd created by `kubedojo sandbox up` and stop its pod identity webhook?")
        );
    }

    #[test]
    fn created_is_a_time_a_person_reads() {
        assert_eq!(created(1_796_587_447), "2026-12-06 20:04 UTC");
    }

    #[test]
    fn ports_chosen_together_are_distinct() {
        let ports = free_ports(64).expect("ports");
        assert_eq!(ports.iter().collect::<std::collections::BTreeSet<_>>().len(), 64, "{ports:?}");
    }
}
