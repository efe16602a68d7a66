//! Where a scenario may write. Injecting a fault changes a cluster and maybe an AWS account, so
//! it happens only in the sandbox `kubedojo sandbox up` created (its record says what it is), or
//! in a target named explicitly; anything else is refused with what to name.

use crate::checks::backend::TargetOptions;
use crate::content::{FaultAction, Scenario};
use crate::sandbox::Sandbox;

/// Where a scenario may write: the target options and how to name it.
#[derive(Debug, Clone)]
pub struct Allowed {
    pub options: TargetOptions,
    pub label: String,
}

/// Whether the fault changes AWS, not only Kubernetes.
pub fn needs_aws(s: &Scenario) -> bool {
    s.fault.iter().any(|a| !matches!(a, FaultAction::K8sPatch { .. } | FaultAction::K8sCreate { .. }))
}

/// The target a scenario may change. `named` is what the learner named explicitly (command-line
/// flags, or lab.toml for the TUI), `resolved` the same with the lab's defaults filled in: the
/// recorded sandbox, or a target named by context (and, for AWS changes, by profile or
/// emulator endpoint).
pub fn allowed(s: &Scenario, named: &TargetOptions, resolved: &TargetOptions, sandbox: Option<&Sandbox>) -> Result<Allowed, String> {
    let named_aws = named.aws_profile.is_some() || named.aws_endpoint.is_some();
    if let Some(ctx) = &named.context {
        if needs_aws(s) && !named_aws {
            return Err(format!("scenario {} changes AWS too: name the account with --aws-profile P (or --aws-endpoint-url URL for an emulator)", s.id));
        }
        let options = resolved.clone();
        let aws = options.aws_endpoint.clone().or(options.aws_profile.clone()).unwrap_or_default();
        return Ok(Allowed { label: format!("kube context {ctx}{}", if aws.is_empty() { String::new() } else { format!(", AWS {aws}") }), options });
    }
    let Some(sb) = sandbox else {
        return Err(
            "kubedojo only breaks an environment it created (kubedojo sandbox up) or one you name: pass --context CTX (and --aws-profile P for AWS changes)"
                .into(),
        );
    };
    if let Some(k) = &named.kubeconfig
        && k != &sb.kubeconfig
    {
        return Err(format!("{} is not the sandbox's kubeconfig ({}): name the context with --context to use it", k.display(), sb.kubeconfig.display()));
    }
    if needs_aws(s) && sb.emulator.is_none() {
        return Err(format!(
            "scenario {} changes AWS, and the sandbox has no AWS emulator (install moto: pip install 'moto[server]', then kubedojo sandbox up)",
            s.id
        ));
    }
    let options = TargetOptions {
        kind: named.kind,
        kubeconfig: Some(sb.kubeconfig.clone()),
        context: None,
        aws_profile: None,
        aws_region: resolved.aws_region.clone().or(Some("eu-west-1".into())),
        aws_endpoint: sb.emulator.as_ref().map(|e| e.url.clone()),
    };
    Ok(Allowed { label: format!("the sandbox {} ({})", sb.cluster, sb.runtime), options })
}
