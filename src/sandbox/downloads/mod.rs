//! The sandbox's downloads: the files the labs' commands fetch from the internet (an IAM policy
//! from raw.githubusercontent.com, a chart repository on aws.github.io, release files on
//! github.com, checkip.amazonaws.com), served on this machine so that the commands work verbatim
//! in the sandbox, which reaches no internet (and whose tests send traffic to 127.0.0.1 only).
//!
//! `sandbox up` makes a CA (`ca.rs`) and starts `kubedojo sandbox downloads`, an HTTPS proxy on
//! 127.0.0.1 (`proxy.rs`); the sandbox's shell sends HTTPS through it (`HTTPS_PROXY`) and trusts
//! the CA (`SSL_CERT_FILE` for the Go tools: kubectl, helm, eksctl, as Go's crypto/x509 reads it
//! on Linux; `CURL_CA_BUNDLE` for curl). What it serves, and from where, is the table in
//! `served.toml` (`table.rs`, `sources.rs`): files of upstream Go modules at the URL's version
//! (`module.rs`), a chart repository packaged from them (`chart.rs`), a program on PATH, and the
//! learner's simulated public address.
//!
//! The AWS CLI (v1 and v2) needs none of it: its endpoint is the front's `http://127.0.0.1`, which
//! `HTTPS_PROXY` does not cover (botocore proxies an http:// URL only through `HTTP_PROXY`, which
//! the sandbox leaves unset) and `NO_PROXY` names anyway.

pub mod ca;
mod chart;
mod module;
mod oci;
mod proxy;
mod sources;
pub mod table;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Emulator;

/// How long the proxy may take to listen.
const START: std::time::Duration = std::time::Duration::from_secs(10);
/// The loopback names no proxy is used for (the cluster's API, the AWS front, the emulator).
const NO_PROXY: &str = "127.0.0.1,localhost,::1";

/// The CA and the bundle the shell trusts.
pub fn folder(dir: &Path) -> PathBuf {
    dir.join("downloads")
}

fn log_file(dir: &Path) -> PathBuf {
    dir.join("downloads.log")
}

/// Make the CA and start the proxy (`exe sandbox downloads`); returns it once it listens.
pub fn start(dir: &Path, exe: &Path) -> Result<Emulator, String> {
    ca::create(&folder(dir))?;
    let port = super::free_port()?;
    let log = std::fs::File::create(log_file(dir)).map_err(|e| format!("{}: {e}", log_file(dir).display()))?;
    let child = super::without_aws_settings(Command::new(exe))
        .args(["sandbox", "downloads", "--port", &port.to_string(), "--ca"])
        .arg(folder(dir))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting the downloads proxy ({} sandbox downloads): {e}", exe.display()))?;
    let record = Emulator { pid: child.id(), url: format!("http://127.0.0.1:{port}") };
    if !super::listening(port, START) {
        let log = std::fs::read_to_string(log_file(dir)).unwrap_or_default();
        return Err(format!(
            "the downloads proxy did not start listening on {} within {} s; its log ({}):\n{}\n`kubedojo sandbox down` removes what was made",
            record.url,
            START.as_secs(),
            log_file(dir).display(),
            log.trim()
        ));
    }
    Ok(record)
}

/// Serve in the foreground (`kubedojo sandbox downloads`, which `up` starts).
pub async fn serve(ca_folder: &Path, port: u16) -> Result<(), String> {
    proxy::serve(ca_folder, port).await
}

/// Whether a pid is still the proxy the sandbox started (a pid can be reused after a reboot).
pub fn is_ours(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("sandbox\0downloads\0"))
}

/// What the sandbox's shell sets for the proxy at `url`.
pub fn environment(dir: &Path, url: &str) -> Vec<(String, String)> {
    let bundle = ca::bundle_file(&folder(dir)).display().to_string();
    [
        ("HTTPS_PROXY", url.to_string()),
        ("https_proxy", url.to_string()),
        ("NO_PROXY", NO_PROXY.to_string()),
        ("no_proxy", NO_PROXY.to_string()),
        ("SSL_CERT_FILE", bundle.clone()),
        ("CURL_CA_BUNDLE", bundle),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

/// The hosts it answers, for `status`.
pub fn hosts() -> String {
    let mut hosts: Vec<String> = table::Table::builtin().downloads.iter().map(|d| d.host().to_string()).collect();
    hosts.sort();
    hosts.dedup();
    hosts.join(", ")
}

/// Remove what `start` wrote.
pub fn remove_files(dir: &Path) {
    let _ = std::fs::remove_dir_all(folder(dir));
    let _ = std::fs::remove_file(log_file(dir));
}
