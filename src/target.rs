//! What the lab is pointed at, for the status bar: the kube context (from KUBECONFIG or
//! ~/.kube/config) and the AWS profile and region (env, then ~/.aws/config). Read from files
//! only, off the first frame; the check engine resolves real clients later.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetInfo {
    pub kube: Option<KubeTarget>,
    pub aws: Option<AwsTarget>,
    /// Something the learner may want to fix (unreadable kubeconfig, ...).
    pub problem: Option<String>,
    /// In the sandbox's environment (`KUBEDOJO_SANDBOX`, which `kubedojo sandbox shell` and the
    /// lines `sandbox up` prints set): a simulated EKS, and the status bar says so.
    pub sandbox: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeTarget {
    pub context: String,
    pub server: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub profile: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
}

impl TargetInfo {
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.sandbox {
            parts.push("sandbox (simulated EKS)".to_string());
        }
        if let Some(k) = &self.kube {
            parts.push(format!("⎈ {}", k.context));
        }
        if let Some(a) = &self.aws {
            let region = a.region.as_deref().unwrap_or("no region");
            let emulator = if a.endpoint.is_some() && !self.sandbox { " (emulator)" } else { "" };
            parts.push(format!("aws {}/{region}{emulator}", a.profile));
        }
        if parts.is_empty() { "no cluster configured".to_string() } else { parts.join(" · ") }
    }
}

#[derive(Deserialize)]
struct Kubeconfig {
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
    #[serde(default)]
    contexts: Vec<Named<ContextRef>>,
    #[serde(default)]
    clusters: Vec<Named<ClusterRef>>,
}

#[derive(Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "context", alias = "cluster")]
    value: Option<T>,
}

#[derive(Deserialize)]
struct ContextRef {
    cluster: Option<String>,
}

#[derive(Deserialize)]
struct ClusterRef {
    server: Option<String>,
}

/// Environment lookups, injectable for tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    fn home(&self) -> Option<PathBuf>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
    fn home(&self) -> Option<PathBuf> {
        directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
    }
}

pub fn detect(env: &dyn Env) -> TargetInfo {
    detect_with(env, &Default::default())
}

/// What the lab points at, with the lab config's `[target]` defaults applied as the checks
/// apply them.
pub fn detect_with(env: &dyn Env, lab: &crate::labconfig::TargetDefaults) -> TargetInfo {
    let mut info = TargetInfo { sandbox: env.var("KUBEDOJO_SANDBOX").is_some(), ..Default::default() };
    match kube_target(env, lab) {
        Ok(k) => info.kube = k,
        Err(problem) => info.problem = Some(problem),
    }
    info.aws = aws_target(env).map(|a| AwsTarget {
        profile: lab.aws_profile.clone().unwrap_or(a.profile),
        region: lab.aws_region.clone().or(a.region),
        endpoint: lab.aws_endpoint_url.clone().or(a.endpoint),
    });
    if info.aws.is_none() && (lab.aws_profile.is_some() || lab.aws_endpoint_url.is_some()) {
        info.aws = Some(AwsTarget {
            profile: lab.aws_profile.clone().unwrap_or_else(|| "default".into()),
            region: lab.aws_region.clone(),
            endpoint: lab.aws_endpoint_url.clone(),
        });
    }
    info
}

fn kubeconfig_paths(env: &dyn Env, lab: &crate::labconfig::TargetDefaults) -> Vec<PathBuf> {
    if let Some(path) = &lab.kubeconfig {
        return vec![path.clone()];
    }
    match env.var("KUBECONFIG") {
        Some(list) => std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect(),
        None => env.home().map(|h| vec![h.join(".kube").join("config")]).unwrap_or_default(),
    }
}

fn kube_target(env: &dyn Env, lab: &crate::labconfig::TargetDefaults) -> Result<Option<KubeTarget>, String> {
    // Merge as kubectl does: the first file that sets current-context wins; contexts and
    // clusters are looked up across all files, first definition wins.
    let mut configs = Vec::new();
    for path in kubeconfig_paths(env, lab) {
        match read_kubeconfig(&path) {
            Ok(Some(c)) => configs.push(c),
            Ok(None) => {}
            Err(e) => return Err(e),
        }
    }
    let current = || configs.iter().find_map(|c| c.current_context.clone()).filter(|c| !c.is_empty());
    let Some(context) = lab.context.clone().or_else(current) else {
        return Ok(None);
    };
    let cluster = configs.iter().flat_map(|c| &c.contexts).find(|n| n.name == context).and_then(|n| n.value.as_ref()?.cluster.clone());
    let server = cluster.and_then(|cl| configs.iter().flat_map(|c| &c.clusters).find(|n| n.name == cl).and_then(|n| n.value.as_ref()?.server.clone()));
    Ok(Some(KubeTarget { context, server }))
}

fn read_kubeconfig(path: &Path) -> Result<Option<Kubeconfig>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("kubeconfig {}: {e}", path.display())),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_saphyr::from_str::<Kubeconfig>(&text).map(Some).map_err(|e| {
        let at = e.location().map(|l| format!(":{}:{}", l.line(), l.column())).unwrap_or_default();
        format!("kubeconfig {}{at}: {}", path.display(), crate::content::lesson::short_yaml_error(&e))
    })
}

fn aws_target(env: &dyn Env) -> Option<AwsTarget> {
    let config_path = env.var("AWS_CONFIG_FILE").map(PathBuf::from).or_else(|| env.home().map(|h| h.join(".aws").join("config")));
    let config = config_path.and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let credentials_set = env.var("AWS_ACCESS_KEY_ID").is_some();
    let explicit = env.var("AWS_PROFILE");
    let profile = explicit.clone().unwrap_or_else(|| "default".to_string());
    let section = if profile == "default" { "default".to_string() } else { format!("profile {profile}") };
    let from_file = ini_value(&config, &section, "region");
    let has_profile = config.contains(&format!("[{section}]"));
    if explicit.is_none() && !credentials_set && !has_profile {
        return None;
    }
    Some(AwsTarget { profile, region: env.var("AWS_REGION").or_else(|| env.var("AWS_DEFAULT_REGION")).or(from_file), endpoint: env.var("AWS_ENDPOINT_URL") })
}

/// A key of a section of an AWS-style INI file.
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line.trim_matches(['[', ']']).trim() == section;
        } else if in_section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeEnv(HashMap<&'static str, String>, PathBuf);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
        fn home(&self) -> Option<PathBuf> {
            Some(self.1.clone())
        }
    }

    #[test]
    fn nothing_configured() {
        let home = tempfile::tempdir().unwrap();
        let info = detect(&FakeEnv(HashMap::new(), home.path().into()));
        assert_eq!(info.summary(), "no cluster configured");
    }

    #[test]
    fn merges_kubeconfig_files_and_reads_aws_profile() {
        let home = tempfile::tempdir().unwrap();
        let a = home.path().join("a");
        let b = home.path().join("b");
        std::fs::write(&a, "apiVersion: v1\nkind: Config\ncurrent-context: lab\ncontexts: []\n").unwrap();
        std::fs::write(&b, "contexts:\n- name: lab\n  context: {cluster: kwok}\nclusters:\n- name: kwok\n  cluster: {server: 'https://127.0.0.1:6443'}\n")
            .unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(home.path().join(".aws/config"), "[profile lab]\nregion = eu-west-1\n").unwrap();
        let env = FakeEnv(HashMap::from([("KUBECONFIG", format!("{}:{}", a.display(), b.display())), ("AWS_PROFILE", "lab".to_string())]), home.path().into());
        let info = detect(&env);
        assert_eq!(info.kube, Some(KubeTarget { context: "lab".into(), server: Some("https://127.0.0.1:6443".into()) }));
        assert_eq!(info.summary(), "⎈ lab · aws lab/eu-west-1");
    }

    #[test]
    fn the_sandbox_says_it_is_a_simulated_eks() {
        let home = tempfile::tempdir().unwrap();
        let env = FakeEnv(
            HashMap::from([
                ("KUBEDOJO_SANDBOX", "/state".to_string()),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566".to_string()),
                ("AWS_REGION", "eu-west-1".to_string()),
                ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ]),
            home.path().into(),
        );
        assert_eq!(detect(&env).summary(), "sandbox (simulated EKS) · aws default/eu-west-1");
    }

    #[test]
    fn a_broken_kubeconfig_is_a_problem_not_a_crash() {
        let home = tempfile::tempdir().unwrap();
        let a = home.path().join("bad");
        std::fs::write(&a, "current-context: [unclosed\n").unwrap();
        let env = FakeEnv(HashMap::from([("KUBECONFIG", a.display().to_string())]), home.path().into());
        let info = detect(&env);
        assert!(info.problem.unwrap().contains("bad:"));
    }
}
