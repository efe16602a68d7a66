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
    match crate::sandbox::load(&dir) {
        None => line(out, false, "sandbox", &format!("none at {} any more: `kubedojo sandbox up` creates one, then open its shell again", dir.display())),
        Some(s) => match &s.front {
            Some(f) if crate::sandbox::front_running(&s) => {
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
                    line(&mut out, false, "API server", &format!("unreachable: {e} (is the cluster running? are the credentials current?)"));
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
        Some(TargetKind::Kind) => "kind: AWS checks skip, Kubernetes checks degrade",
        Some(TargetKind::Kwok) if backend.aws.is_some() => "kwok: simulated nodes; AWS checks run against the emulator",
        Some(TargetKind::Kwok) => "kwok: simulated nodes; AWS checks skip (no emulator set: --aws-endpoint-url or AWS_ENDPOINT_URL)",
        None => "unknown (no nodes to tell by): pass --target",
    };
    line(&mut out, backend.kind.is_some(), "target", &format!("{target}{}", if r.detected { " (detected)" } else { "" }));
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
                Ok(Err(e)) => line(
                    &mut out,
                    false,
                    "AWS identity",
                    &format!(
                        "{}: run aws configure / aws sso login, or set AWS_PROFILE{via}",
                        crate::checks::outcome::aws_error(&e, "sts:GetCallerIdentity").message
                    ),
                ),
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
