//! The controllers the supervisor knows: data (`programs.toml`), and how a container image names one.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// The image repository, without tag or digest.
    pub image: String,
    /// The binary on PATH that runs for it.
    pub program: String,
    /// The image's ENTRYPOINT: what a container's `command` must start with.
    pub entrypoint: String,
    /// The arguments that make the program print its version.
    #[serde(default)]
    pub version: Vec<String>,
    /// For a program that prints no version: the Go module whose version its build info
    /// records (what `go version -m` prints), read from the binary instead.
    #[serde(default)]
    pub module: Option<String>,
    /// The image's tags leave out the version's `v` (Karpenter's `1.14.4` for v1.14.4).
    #[serde(default)]
    pub tag_without_v: bool,
    /// How the program is given its kubeconfig: the `--kubeconfig` flag, or the KUBECONFIG
    /// variable for a program whose flags do not take one.
    #[serde(default)]
    pub kubeconfig: KubeconfigBy,
    /// It calls AWS: it gets the sandbox's AWS endpoint and region, and the credentials of its
    /// ServiceAccount's Pod Identity association or IRSA role (`supervisor::aws`).
    #[serde(default)]
    pub aws: bool,
    /// The variable that tells the program its namespace, which in a pod it reads from the
    /// ServiceAccount's mounted `/var/run/secrets/kubernetes.io/serviceaccount/namespace` (no
    /// such file for a host process); set to the pod's namespace unless the container sets it.
    #[serde(default)]
    pub namespace_env: Option<String>,
    /// Flags that bind a port: each gets a free one.
    #[serde(default)]
    pub ports: Vec<String>,
    /// Its row in versions.toml.
    pub component: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KubeconfigBy {
    #[default]
    Flag,
    Env,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    program: Vec<Program>,
}

/// The table, as built into kubedojo.
pub fn programs() -> &'static [Program] {
    static TABLE: std::sync::LazyLock<Vec<Program>> = std::sync::LazyLock::new(|| {
        toml::from_str::<File>(include_str!("programs.toml")).map(|f| f.program).unwrap_or_else(|e| panic!("src/sandbox/supervisor/programs.toml: {e}"))
    });
    &TABLE
}

/// An image reference split into repository and tag (`None` for a digest only or no tag, which
/// means `latest`). A colon after the last slash starts the tag; one before it is a registry port.
pub fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], Some(&image[slash + i + 1..])),
        None => (image, None),
    }
}

/// The program for an image, if the table has its repository.
pub fn for_image(image: &str) -> Option<&'static Program> {
    let (repository, _) = split_image(image);
    programs().iter().find(|p| p.image == repository)
}

/// Whether an image's tag is the program's version (`v1.9.1` and `v1.9.1+b6bd3bc`, a build's
/// metadata after `+`, are the same release); `without_v`: the tags leave out the `v`.
pub fn same_version(tag: Option<&str>, version: &str, without_v: bool) -> bool {
    tag.is_some_and(|t| t == tag_of(version, without_v))
}

/// The image tag of a program's version.
pub fn tag_of(version: &str, without_v: bool) -> &str {
    let release = version.split_once('+').map_or(version, |(v, _)| v);
    if without_v { release.strip_prefix('v').unwrap_or(release) } else { release }
}

/// The version a program prints (`v1.9.1+b6bd3bc`): the first word that starts with `v` and a digit.
pub fn version_in(output: &str) -> Option<String> {
    output.split_whitespace().find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit())).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_argo_rollouts() {
        let p = for_image("quay.io/argoproj/argo-rollouts:v1.9.1").expect("known");
        assert_eq!(p.program, "rollouts-controller");
        assert!(for_image("quay.io/argoproj/argocd:v3.0.0").is_none());
        let versions: toml::Table = toml::from_str(include_str!("../../../versions.toml")).expect("versions.toml");
        for p in programs() {
            assert!(versions["components"].get(&p.component).is_some(), "{} names no versions.toml component {}", p.image, p.component);
        }
    }

    #[test]
    fn images_split_into_repository_and_tag() {
        assert_eq!(split_image("quay.io/argoproj/argo-rollouts:v1.9.1"), ("quay.io/argoproj/argo-rollouts", Some("v1.9.1")));
        assert_eq!(split_image("localhost:5000/argo-rollouts"), ("localhost:5000/argo-rollouts", None));
        assert_eq!(split_image("localhost:5000/a:v1@sha256:ab"), ("localhost:5000/a", Some("v1")));
        assert_eq!(split_image("nginx"), ("nginx", None));
    }

    #[test]
    fn versions_compare_without_build_metadata() {
        assert!(same_version(Some("v1.9.1"), "v1.9.1+b6bd3bc", false));
        assert!(!same_version(Some("v1.8.3"), "v1.9.1+b6bd3bc", false));
        assert!(!same_version(Some("latest"), "v1.9.1", false));
        assert!(!same_version(None, "v1.9.1", false));
        assert!(!same_version(Some("1.9.1"), "v1.9.1", false));
        // Karpenter's images are tagged without the v
        assert!(same_version(Some("1.14.4"), "v1.14.4", true));
        assert!(!same_version(Some("v1.14.4"), "v1.14.4", true));
        assert_eq!(tag_of("v1.14.4", true), "1.14.4");
        assert_eq!(version_in("v1.9.1+b6bd3bc\n").as_deref(), Some("v1.9.1+b6bd3bc"));
        assert_eq!(version_in("kubectl-argo-rollouts: v1.9.1+b6bd3bc\n  BuildDate: x").as_deref(), Some("v1.9.1+b6bd3bc"));
    }
}
