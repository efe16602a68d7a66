//! `kubedojo doctor`: what the lab is pointed at and what is missing, each with its fix.

use std::fmt::Write as _;

use crate::sandbox::find_on_path;

use crate::checks::backend::{Backend, CALL_TIMEOUT, TargetKind, TargetOptions};

const TOOLS: &[(&str, &str)] = &[
    ("kubectl", "install kubectl: https://kubernetes.io/docs/tasks/tools/"),
    ("eksctl", "install eksctl: https://eksctl.io/installation/"),
    ("helm", "install Helm 3: https://helm.sh/docs/intro/install/"),
    ("aws", "install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html (or v1 from PyPI: pip install awscli)"),
    ("kubectl-argo-rollouts", "the Argo Rollouts kubectl plugin (kubectl argo rollouts): https://argoproj.github.io/argo-rollouts/installation/"),
    ("kind", "for a local cluster with Docker: go install sigs.k8s.io/kind@latest"),
    ("kwokctl", "for a local cluster without Docker: go install sigs.k8s.io/kwok/cmd/kwokctl@v0.8.0"),
];

fn line(out: &mut String, ok: bool, what: &str, text: &str) {
    let _ = writeln!(out, "{} {what:<15} {text}", if ok { "✔" } else { "✘" });
}

/// In the sandbox's environment (`KUBEDOJO_SANDBOX`): which sandbox, and whether its AWS front runs.
fn sandbox_line(out: &mut String) {
    let Some(dir) = std::env::var_os("KUBEDOJO_SANDBOX").filter(|d| !d.is_empty()) else { return };
    let dir = std::path::PathBuf::from(dir);
    let sandbox = crate::sandbox::load(&dir);
    match &sandbox {
        None => line(out, false, "sandbox", &format!("none at {} any more: `kubedojo sandbox up` creates one, then open its shell again", dir.display())),
        Some(s) => match &s.front {
            Some(f) if crate::sandbox::front_running(s) => {
                line(out, true, "sandbox", &format!("{} ({}), simulated EKS; AWS front {}", s.cluster, s.runtime, f.url))
            }
            Some(f) => line(
                out,
                false,
                "sandbox",
                &format!("{} ({}): its AWS front {} has stopped: `kubedojo sandbox down`, then `kubedojo sandbox up`", s.cluster, s.runtime, f.url),
            ),
            None => line(
                out,
                true,
                "sandbox",
                &format!("{} ({}), no AWS emulator: `pip install 'moto[server]'`, then `kubedojo sandbox down` and `up`", s.cluster, s.runtime),
            ),
        },
    }
    if let Some(s) = &sandbox {
        let running = s.webhook.as_ref().is_some_and(|w| crate::sandbox::webhook::is_ours(w.pid));
        let (ok, text) = webhook_line(s, running, find_on_path(crate::sandbox::webhook::PROGRAM).is_some());
        line(out, ok, "webhook", &text);
        let (ok, text) = supervisor_line(&dir, s);
        line(out, ok, "supervisor", &text);
        downloads_line(out, s);
    }
}

/// The sandbox's downloads proxy: running (what it answers) or stopped.
fn downloads_line(out: &mut String, s: &crate::sandbox::Sandbox) {
    use crate::sandbox::downloads;
    match &s.downloads {
        Some(d) if downloads::is_ours(d.pid) => line(out, true, "downloads", &format!("proxy {} answers {} (HTTPS_PROXY)", d.url, downloads::hosts())),
        Some(d) => line(out, false, "downloads", &format!("proxy {} has stopped: `kubedojo sandbox down`, then `kubedojo sandbox up`", d.url)),
        None => {
            line(out, false, "downloads", "this sandbox has no downloads proxy (made before it existed): `kubedojo sandbox down`, then `kubedojo sandbox up`")
        }
    }
}

/// The sandbox's controller supervisor: running (with the programs it runs for pods, and any
/// pod whose program it would not run), or stopped.
fn supervisor_line(dir: &std::path::Path, s: &crate::sandbox::Sandbox) -> (bool, String) {
    use crate::sandbox::supervisor::{self, State};
    let again = "`kubedojo sandbox down`, then `kubedojo sandbox up`";
    let Some(r) = &s.supervisor else { return (false, format!("none, so installed controllers do nothing: {again}")) };
    if !supervisor::is_ours(r.pid) {
        return (false, format!("the controller supervisor (pid {}) has stopped (its log: {}): {again}", r.pid, r.log.display()));
    }
    let entries = supervisor::entries(dir);
    let running: Vec<String> = entries.iter().filter(|e| e.state == State::Running).map(|e| format!("{} for {}/{}", e.program, e.namespace, e.pod)).collect();
    let problems: Vec<String> = entries.iter().filter(|e| e.state != State::Running).map(|e| format!("pod {}/{}: {}", e.namespace, e.pod, e.message)).collect();
    let runs = if running.is_empty() { "no controller pods yet".to_string() } else { format!("runs {}", running.join(", ")) };
    if problems.is_empty() { (true, format!("the controller supervisor (pid {}) {runs}", r.pid)) } else { (false, format!("{runs}; {}", problems.join("; "))) }
}

/// The sandbox's pod identity webhook: running, stopped, or not started (with the fix when it
/// is not installed). `running` and `installed` are what the machine says.
fn webhook_line(s: &crate::sandbox::Sandbox, running: bool, installed: bool) -> (bool, String) {
    use crate::sandbox::webhook;
    let again = "then `kubedojo sandbox down` and `kubedojo sandbox up`";
    match &s.webhook {
        Some(w) if running => (true, format!("the EKS pod identity webhook at {} (pid {}) injects IRSA's env and token into new pods", w.url, w.pid)),
        Some(w) => (
            false,
            format!(
                "the pod identity webhook {} has stopped, so new pods get no IRSA env or token: `kubedojo sandbox down`, then `kubedojo sandbox up`",
                w.url
            ),
        ),
        None if installed => (false, format!("{} is installed but was not when this sandbox came up: {again}", webhook::PROGRAM)),
        None => (false, format!("{} not found, so pods get no IRSA env or token: `{}`, {again}", webhook::PROGRAM, webhook::install_command())),
    }
}

/// The report and an exit code: 1 when the Kubernetes target is unusable.
pub async fn doctor(opts: &TargetOptions) -> (String, i32) {
    let mut out = String::new();
    sandbox_line(&mut out);
    let backend = Backend::connect(opts).await;
    let r = &backend.report;
    let mut code = 0;
    match &backend.kube {
        Ok(client) => {
            line(&mut out, true, "kube context", &format!("{} → {}", r.context.as_deref().unwrap_or("(current)"), r.server.as_deref().unwrap_or("?")));
            match tokio::time::timeout(CALL_TIMEOUT, client.apiserver_version()).await {
                Ok(Ok(v)) => line(&mut out, true, "API server", &format!("Kubernetes {}", v.git_version)),
                Ok(Err(e)) => {
                    code = 1;
                    line(
                        &mut out,
                        false,
                        "API server",
                        &format!("unreachable: {} (is the cluster running? are the credentials current?)", crate::kube_text::error(&e)),
                    );
                }
                Err(_) => {
                    code = 1;
                    line(&mut out, false, "API server", &format!("no answer within {}s", CALL_TIMEOUT.as_secs()));
                }
            }
        }
        Err(e) => {
            code = 1;
            line(&mut out, false, "kube context", &format!("{e} (create a cluster, or `kubedojo sandbox up`)"));
        }
    }
    let target = match backend.kind {
        Some(TargetKind::Eks) => "EKS (nodes have aws:/// providerIDs)",
        Some(TargetKind::Kind) if backend.aws.is_some() => "kind: AWS checks run against the emulator, Kubernetes checks degrade",
        Some(TargetKind::Kind) => "kind: AWS checks skip (no emulator set: AWS_ENDPOINT_URL), Kubernetes checks degrade",
        Some(TargetKind::Kwok) if backend.aws.is_some() => "kwok: simulated nodes; AWS checks run against the emulator",
        Some(TargetKind::Kwok) => "kwok: simulated nodes; AWS checks skip (no emulator set: --aws-endpoint-url or AWS_ENDPOINT_URL)",
        None => "unknown (no nodes to tell by): pass --target",
    };
    line(&mut out, backend.kind.is_some(), "target", &format!("{target}{}", if r.detected { " (detected)" } else { "" }));
    // a named profile that does not exist would be passed over silently for keys in the environment
    if let Some(profile) = &r.aws_profile
        && let Err(why) = crate::checks::backend::profile_defined(profile)
    {
        line(&mut out, false, "AWS profile", &why);
    }
    match &backend.aws {
        None => line(&mut out, true, "AWS", "not used for this target"),
        Some(aws) => {
            let via = r.aws_endpoint.as_deref().map(|e| format!(" via emulator {e}")).unwrap_or_default();
            match tokio::time::timeout(CALL_TIMEOUT, aws.sts.get_caller_identity().send()).await {
                Ok(Ok(id)) => line(
                    &mut out,
                    true,
                    "AWS identity",
                    &format!(
                        "{} (account {}) in {}{via}",
                        id.arn().unwrap_or("?"),
                        id.account().unwrap_or("?"),
                        aws.region().unwrap_or_else(|| "no region".into())
                    ),
                ),
                Ok(Err(e)) => {
                    let message = crate::checks::outcome::aws_error(&e, "sts:GetCallerIdentity").message;
                    let no_credentials = matches!(e, aws_sdk_sts::error::SdkError::ConstructionFailure(_)) || message.starts_with("no AWS credentials");
                    let text = match (r.aws_endpoint.as_deref(), no_credentials) {
                        // an emulator takes any keys; none set is not "cannot reach AWS"
                        (Some(url), true) => format!(
                            "no AWS credentials are set, and the emulator at {url} takes any: export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing (kubedojo sandbox shell sets them)"
                        ),
                        (Some(url), false) => format!("{message} (the emulator at {url}: is it running? kubedojo sandbox status says)"),
                        (None, true) => message,
                        (None, false) => format!("{message}: run aws configure / aws sso login, or set AWS_PROFILE"),
                    };
                    line(&mut out, false, "AWS identity", &text)
                }
                Err(_) => line(&mut out, false, "AWS identity", &format!("no answer within {}s{via}", CALL_TIMEOUT.as_secs())),
            }
        }
    }
    for (tool, fix) in TOOLS {
        match find_on_path(tool) {
            Some(p) => line(&mut out, true, tool, &p.display().to_string()),
            None => line(&mut out, false, tool, &format!("not found: {fix}")),
        }
    }
    (out, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{Emulator, Sandbox};

    fn sandbox(webhook: bool) -> Sandbox {
        Sandbox {
            cluster: "kd".into(),
            runtime: "kwok".into(),
            kubeconfig: "/state/sandbox-kubeconfig".into(),
            emulator: None,
            front: None,
            webhook: webhook.then(|| Emulator { pid: 7, url: "https://127.0.0.1:4443/mutate".into() }),
            supervisor: None,
            downloads: None,
            created_at: 0,
        }
    }

    #[test]
    fn the_webhook_line_says_what_runs_and_the_fix_when_it_does_not() {
        assert_eq!(
            webhook_line(&sandbox(true), true, true),
            (true, "the EKS pod identity webhook at https://127.0.0.1:4443/mutate (pid 7) injects IRSA's env and token into new pods".into())
        );
        let (ok, stopped) = webhook_line(&sandbox(true), false, true);
        assert!(!ok && stopped.contains("has stopped") && stopped.ends_with("`kubedojo sandbox down`, then `kubedojo sandbox up`"), "{stopped}");
        let (ok, missing) = webhook_line(&sandbox(false), false, false);
        assert!(!ok, "{missing}");
        assert!(
            missing.starts_with(&format!(
                "amazon-eks-pod-identity-webhook not found, so pods get no IRSA env or token: `go install github.com/aws/amazon-eks-pod-identity-webhook@{}`",
                crate::sandbox::webhook::version()
            )),
            "{missing}"
        );
        let (ok, late) = webhook_line(&sandbox(false), false, true);
        assert!(!ok && late.contains("was not when this sandbox came up"), "{late}");
    }
}
