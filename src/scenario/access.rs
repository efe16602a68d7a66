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

/// How the learner names a target where the message will be read: flags on the command line,
/// or lab.toml's `[target]` for the TUI (which takes no target flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Flags,
    LabToml,
}

impl Naming {
    fn context(self) -> &'static str {
        match self {
            Self::Flags => "--context CTX",
            Self::LabToml => "context = \"CTX\" in lab.toml's [target]",
        }
    }

    fn profile(self) -> &'static str {
        match self {
            Self::Flags => "--aws-profile P (or --aws-endpoint-url URL for an emulator)",
            Self::LabToml => "aws_profile = \"P\" in lab.toml's [target] (or aws_endpoint_url = \"URL\" for an emulator)",
        }
    }
}

/// The target a scenario may change. `named` is what the learner named explicitly (command-line
/// flags, or lab.toml for the TUI), `resolved` the same with the lab's defaults filled in: the
/// recorded sandbox, or a target named by context (and, for AWS changes, by profile or
/// emulator endpoint).
pub fn allowed(s: &Scenario, named: &TargetOptions, resolved: &TargetOptions, sandbox: Option<&Sandbox>, how: Naming) -> Result<Allowed, String> {
    let named_aws = named.aws_profile.is_some() || named.aws_endpoint.is_some();
    if let Some(ctx) = &named.context {
        if needs_aws(s) && !named_aws {
            return Err(format!("scenario {} changes AWS too: name the account with {}", s.id, how.profile()));
        }
        let options = resolved.clone();
        let aws = options.aws_endpoint.clone().or(options.aws_profile.clone()).unwrap_or_default();
        return Ok(Allowed { label: format!("kube context {ctx}{}", if aws.is_empty() { String::new() } else { format!(", AWS {aws}") }), options });
    }
    let Some(sb) = sandbox else {
        return Err(format!(
            "kubedojo only breaks an environment it created (kubedojo sandbox up) or one you name: {} (and {} for AWS changes)",
            how.context(),
            how.profile()
        ));
    };
    if let Some(k) = &named.kubeconfig
        && k != &sb.kubeconfig
    {
        return Err(format!("{} is not the sandbox's kubeconfig ({}): name its context ({}) to use it", k.display(), sb.kubeconfig.display(), how.context()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{PackFiles, load};

    /// The TUI takes no target flags: its messages name lab.toml's keys; the CLI's name flags.
    #[test]
    fn messages_name_what_the_reader_can_set() {
        let pack = load(&PackFiles::embedded(), &crate::checks::catalog::known_kinds()).pack;
        let s = pack.scenarios.iter().find(|s| needs_aws(s)).expect("a scenario that changes AWS");
        let named = TargetOptions { context: Some("kind-lab".into()), ..Default::default() };
        let tui = allowed(s, &named, &named, None, Naming::LabToml).expect_err("refused");
        assert!(tui.ends_with("name the account with aws_profile = \"P\" in lab.toml's [target] (or aws_endpoint_url = \"URL\" for an emulator)"), "{tui}");
        let cli = allowed(s, &named, &named, None, Naming::Flags).expect_err("refused");
        assert!(cli.ends_with("name the account with --aws-profile P (or --aws-endpoint-url URL for an emulator)"), "{cli}");
        let nothing = allowed(s, &TargetOptions::default(), &TargetOptions::default(), None, Naming::LabToml).expect_err("refused");
        assert!(!nothing.contains("--"), "no flag in a TUI message: {nothing}");
    }
}
