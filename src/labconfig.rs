//! The lab config file, `~/.config/kubedojo/lab.toml`: the learner's own values for exercise
//! variables (cluster name, region, ...) and default target options.
//!
//! ```toml
//! [vars]
//! cluster = "my-lab"
//! region = "eu-central-1"
//!
//! [target]
//! context = "my-lab"
//! aws_profile = "training"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::content::Diagnostic;
use crate::content::toml_src::TomlFile;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LabConfig {
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    #[serde(default)]
    pub target: TargetDefaults,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TargetDefaults {
    pub context: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    pub aws_profile: Option<String>,
    pub aws_region: Option<String>,
    pub aws_endpoint_url: Option<String>,
}

pub fn default_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEDOJO_LAB_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("dev", "kubedojo", "kubedojo").map(|d| d.config_dir().join("lab.toml"))
}

/// Read the lab config; a missing file is an empty config, a bad one a located error.
pub fn load(path: &Path) -> Result<LabConfig, Diagnostic> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LabConfig::default()),
        Err(e) => return Err(Diagnostic::error(&path.display().to_string(), (1, 1), format!("cannot read: {e}"))),
    };
    let file = path.display().to_string();
    TomlFile { file: &file, text: &text }
        .parse("lab.toml has [vars] (name = \"value\") and [target] (context, kubeconfig, aws_profile, aws_region, aws_endpoint_url)")
}

impl LabConfig {
    /// Exercise variables the learner set override the exercise's defaults.
    pub fn apply(&self, pack: &mut crate::content::Pack) {
        for ex in &mut pack.exercises {
            for (k, v) in &self.vars {
                if let Some(slot) = ex.vars.get_mut(k) {
                    slot.clone_from(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_is_empty_and_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&dir.path().join("none.toml")).unwrap(), LabConfig::default());
        let p = dir.path().join("lab.toml");
        std::fs::write(&p, "[vars]\ncluster = \"mine\"\n[target]\ncontext = \"kind-x\"\n").unwrap();
        let c = load(&p).unwrap();
        assert_eq!(c.vars["cluster"], "mine");
        assert_eq!(c.target.context.as_deref(), Some("kind-x"));
        std::fs::write(&p, "[vars]\ncluster = \"mine\"\n[tagret]\n").unwrap();
        let d = load(&p).unwrap_err();
        assert_eq!(d.line, 3, "{d}");
    }
}
