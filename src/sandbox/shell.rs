//! The learner's way into the sandbox: the environment its shell has (`kubedojo sandbox shell`,
//! `kubedojo sandbox exec -- CMD`, and the `export` lines `up` prints), so that the labs' own
//! commands (`aws`, `kubectl`, `helm`) reach the sandbox and nothing else.
//!
//! Nothing in it may reach a real AWS account: every `AWS_*` variable of the caller's environment
//! is removed (a profile, a session token, a role to assume, `AWS_ENDPOINT_URL_<SERVICE>` that
//! would bypass the front), the AWS CLI and SDKs read the sandbox's own config and credentials
//! files instead of `~/.aws`, and instance metadata is off. What the CLI and SDKs read: the AWS
//! SDKs and Tools reference guide, "Environment variables" and "Service-specific endpoints"
//! (`AWS_ENDPOINT_URL`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
//! `AWS_EC2_METADATA_DISABLED`), and botocore's `configprovider.py` for the AWS CLI v1, which reads
//! the region from `AWS_DEFAULT_REGION` only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Sandbox;

/// The region and account the sandbox's AWS answers as: the course's defaults (the labs' `region`
/// and `account` variables), so the ARNs the labs build match what the emulator returns.
pub const REGION: &str = "eu-west-1";
pub const ACCOUNT: &str = "111122223333";

/// What the sandbox's shell sets and removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub set: Vec<(String, String)>,
    pub unset: Vec<String>,
}

fn aws_dir(dir: &Path) -> PathBuf {
    dir.join("aws")
}

/// The folder of programs the sandbox puts first on PATH.
pub fn bin_dir(dir: &Path) -> PathBuf {
    dir.join("bin")
}

/// The sandbox's environment, given the caller's (`std::env::vars_os()`): its variables are kept
/// but for every `AWS_*` one, which is removed and replaced by the sandbox's.
pub fn environment(dir: &Path, s: &Sandbox, current: impl IntoIterator<Item = (OsString, OsString)>) -> Environment {
    let mut set = vec![("KUBECONFIG".to_string(), s.kubeconfig.display().to_string()), ("KUBEDOJO_SANDBOX".to_string(), dir.display().to_string())];
    let mut path = bin_dir(dir).display().to_string();
    let mut unset = Vec::new();
    for (name, value) in current {
        let name = name.to_string_lossy().into_owned();
        if name == "PATH" {
            path = format!("{path}:{}", value.to_string_lossy());
        } else if name.starts_with("AWS_") {
            unset.push(name);
        }
    }
    set.push(("PATH".to_string(), path));
    if let Some(endpoint) = s.front.as_ref().or(s.emulator.as_ref()) {
        let aws = aws_dir(dir);
        for (name, value) in [
            ("AWS_ENDPOINT_URL", endpoint.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_DEFAULT_REGION", REGION.to_string()),
            ("AWS_CONFIG_FILE", aws.join("config").display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials").display().to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_PAGER", String::new()),
        ] {
            unset.retain(|u| u != name);
            set.push((name.to_string(), value));
        }
    }
    if let Some(proxy) = &s.downloads {
        set.extend(super::downloads::environment(dir, &proxy.url));
    }
    unset.sort();
    Environment { set, unset }
}

/// The environment as shell lines to paste (`up` prints them): single-quoted, so any path works.
pub fn export_lines(env: &Environment) -> String {
    let mut out = String::new();
    if !env.unset.is_empty() {
        out.push_str(&format!("unset {}\n", env.unset.join(" ")));
    }
    for (name, value) in &env.set {
        out.push_str(&format!("export {name}={}\n", quote(value)));
    }
    out
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Write the files the environment names (the AWS CLI's config and credentials, the bin folder
/// with the sandbox's `eksctl`, which runs `exe sandbox eksctl`), when missing.
pub fn prepare(dir: &Path, exe: &Path) -> Result<(), String> {
    let aws = aws_dir(dir);
    for folder in [&aws, &bin_dir(dir)] {
        std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    }
    for (file, text) in [
        (
            "config",
            format!("# the sandbox's AWS CLI config (kubedojo sandbox): the emulator, never a real account\n[default]\nregion = {REGION}\noutput = json\n"),
        ),
        (
            "credentials",
            "# the sandbox's test credentials (the emulator accepts any)\n[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
                .to_string(),
        ),
    ] {
        let path = aws.join(file);
        if !path.exists() {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    // written each time: the kubedojo binary may have moved since `up`
    let eksctl = bin_dir(dir).join("eksctl");
    let script =
        format!("#!/bin/sh\n# the sandbox's eksctl (simulated): kubedojo sandbox eksctl\nexec {} sandbox eksctl \"$@\"\n", quote(&exe.display().to_string()));
    std::fs::write(&eksctl, script).map_err(|e| format!("{}: {e}", eksctl.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&eksctl, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("{}: {e}", eksctl.display()))?;
    let aws = bin_dir(dir).join("aws");
    std::fs::write(&aws, AWS_WRAPPER).map_err(|e| format!("{}: {e}", aws.display()))?;
    std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("{}: {e}", aws.display()))?;
    Ok(())
}

/// The sandbox's `aws`: the AWS CLI found on PATH after the sandbox's folder. AWS CLI v1 sets
/// SQS's endpoint itself unless `--endpoint-url` is given (awscli 1.46
/// `customizations/overridesslcommonname.py`, `update_endpoint_url`: "only change url if user has
/// not overridden already themselves"), so it ignores AWS_ENDPOINT_URL there and would reach
/// the real SQS: for `sqs` the sandbox's endpoint is passed as that flag.
const AWS_WRAPPER: &str = r#"#!/bin/sh
# the sandbox's aws (kubedojo sandbox): the AWS CLI on PATH after this folder, with
# --endpoint-url "$AWS_ENDPOINT_URL" for sqs, whose endpoint AWS CLI v1 sets itself
real=
set -f
IFS=:
for d in $PATH; do
  # this script, however PATH spells its folder, is not the CLI
  [ -x "$d/aws" ] && ! [ "$d/aws" -ef "$0" ] && { real="$d/aws"; break; }
done
unset IFS
set +f
if [ -z "$real" ]; then
  echo "aws: the AWS CLI is not installed (none on PATH): install the AWS CLI v2, or v1 with pip install awscli, then run the command again" >&2
  exit 127
fi
if [ -n "$AWS_ENDPOINT_URL" ]; then
  case " $* " in
    *" --endpoint-url"*) ;;
    *" sqs "*) exec "$real" --endpoint-url "$AWS_ENDPOINT_URL" "$@" ;;
  esac
fi
exec "$real" "$@"
"#;

/// A command that runs in the sandbox's environment.
pub fn command(program: &str, args: &[String], env: &Environment) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args);
    for name in &env.unset {
        cmd.env_remove(name);
    }
    for (name, value) in &env.set {
        cmd.env(name, value);
    }
    cmd
}

/// Run `argv` in the sandbox; its exit code (128 + the signal when a signal ended it).
pub fn exec(dir: &Path, s: &Sandbox, argv: &[String], exe: &Path) -> Result<i32, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("`kubedojo sandbox exec` needs the command to run: kubedojo sandbox exec -- kubectl get nodes".into());
    };
    prepare(dir, exe)?;
    let env = environment(dir, s, std::env::vars_os());
    let status = command(program, args, &env).status().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("{program}: not found on the sandbox's PATH; `kubedojo doctor` says what is installed and how to install what is missing")
        }
        _ => format!("{program}: {e}"),
    })?;
    Ok(exit_code(status))
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(1)
}

/// The learner's shell (`$SHELL`, else /bin/sh) in the sandbox, until they leave it. bash gets a
/// prompt that says so (its own ~/.bashrc first); other shells get the environment, and
/// `KUBEDOJO_SANDBOX` for a prompt of their own.
pub fn shell(dir: &Path, s: &Sandbox, exe: &Path) -> Result<i32, String> {
    prepare(dir, exe)?;
    let env = environment(dir, s, std::env::vars_os());
    let program = std::env::var("SHELL").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "/bin/sh".into());
    let mut args = Vec::new();
    if Path::new(&program).file_name().is_some_and(|n| n == "bash") {
        let rc = dir.join("bashrc");
        let text = "# kubedojo sandbox shell: your bash settings, then a prompt that says where you are\n[ -f ~/.bashrc ] && . ~/.bashrc\nPS1=\"(kubedojo sandbox) $PS1\"\n";
        std::fs::write(&rc, text).map_err(|e| format!("{}: {e}", rc.display()))?;
        args = vec!["--rcfile".to_string(), rc.display().to_string()];
    }
    eprintln!("{}", banner(s, &env));
    let status = command(&program, &args, &env).status().map_err(|e| format!("starting your shell ({program}): {e}"))?;
    eprintln!("left the sandbox's shell (the sandbox still runs; `kubedojo sandbox down` removes it)");
    Ok(exit_code(status))
}

/// What the shell says on entering.
pub fn banner(s: &Sandbox, env: &Environment) -> String {
    let endpoint = env.set.iter().find(|(n, _)| n == "AWS_ENDPOINT_URL").map(|(_, v)| v.as_str());
    let mut out = format!("kubedojo sandbox {} ({}): kubectl and helm reach its cluster", s.cluster, s.runtime);
    match endpoint {
        Some(url) => out.push_str(&format!(
            "; aws reaches the simulated AWS account {ACCOUNT} in {REGION} at {url}, never a real one (your AWS_* variables and ~/.aws are set aside here)"
        )),
        None => out.push_str("; no AWS emulator runs, so aws commands have no account here"),
    }
    out.push_str(".\n`exit` leaves it.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Emulator;

    fn sandbox(front: bool) -> Sandbox {
        Sandbox {
            cluster: "kd".into(),
            runtime: "kwok".into(),
            kubeconfig: "/state/sandbox-kubeconfig".into(),
            emulator: Some(Emulator { pid: 1, url: "http://127.0.0.1:5000".into() }),
            front: front.then(|| Emulator { pid: 2, url: "http://127.0.0.1:6000".into() }),
            webhook: None,
            supervisor: None,
            downloads: None,
            created_at: 0,
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(n, v)| (OsString::from(n), OsString::from(v))).collect()
    }

    #[test]
    fn every_aws_variable_of_the_caller_is_set_aside() {
        let env = environment(
            Path::new("/state"),
            &sandbox(true),
            vars(&[
                ("AWS_PROFILE", "prod"),
                ("AWS_SESSION_TOKEN", "t"),
                ("AWS_ENDPOINT_URL_EKS", "https://eks.example"),
                ("AWS_REGION", "us-east-1"),
                ("HOME", "/h"),
                ("PATH", "/usr/bin"),
            ]),
        );
        assert_eq!(env.unset, ["AWS_ENDPOINT_URL_EKS", "AWS_PROFILE", "AWS_SESSION_TOKEN"]);
        let get = |n: &str| env.set.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ENDPOINT_URL"), Some("http://127.0.0.1:6000"), "the front, not the emulator");
        assert_eq!(get("AWS_REGION"), Some(REGION));
        assert_eq!(get("AWS_DEFAULT_REGION"), Some(REGION));
        assert_eq!(get("AWS_CONFIG_FILE"), Some("/state/aws/config"));
        assert_eq!(get("PATH"), Some("/state/bin:/usr/bin"));
        assert_eq!(get("KUBECONFIG"), Some("/state/sandbox-kubeconfig"));
        assert_eq!(get("HOME"), None, "the rest of the caller's environment is kept as it is");
    }

    #[test]
    fn export_lines_quote_what_a_shell_would_split() {
        let env = Environment { set: vec![("KUBECONFIG".into(), "/it's here/k".into())], unset: vec!["AWS_PROFILE".into()] };
        assert_eq!(export_lines(&env), "unset AWS_PROFILE\nexport KUBECONFIG='/it'\\''s here/k'\n");
    }

    #[test]
    fn without_an_emulator_the_shell_has_no_aws_but_still_sets_the_callers_aside() {
        let mut s = sandbox(false);
        s.emulator = None;
        let env = environment(Path::new("/state"), &s, vars(&[("AWS_PROFILE", "prod")]));
        assert_eq!(env.unset, ["AWS_PROFILE"]);
        assert!(!env.set.iter().any(|(n, _)| n.starts_with("AWS_")));
        assert!(banner(&s, &env).contains("no AWS emulator runs"));
    }
}
