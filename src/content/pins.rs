//! Versions written into content literally instead of through the version table: container
//! images with a tag, Kubernetes versions in configs and commands, release download URLs and
//! chart versions. `kubedojo lint` reports each one with the variable to use instead.

use std::sync::LazyLock;

use regex::Regex;

use super::diag::{Diagnostic, line_col};
use super::versions::Versions;

/// `image: repo:tag` in YAML, and `FROM repo:tag` in a Dockerfile.
static IMAGE_FIELD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?m)(?:\bimage:\s*["']?|^FROM\s+)([a-z0-9][a-z0-9./_-]*):([A-Za-z0-9][A-Za-z0-9._-]*)"#).expect("image field regex"));
/// `registry.host/path/name:tag` anywhere (commands, prose, values files).
static IMAGE_REF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/[a-z0-9._/-]+|[a-z0-9][a-z0-9._-]*/[a-z0-9._-]+):(v?\d+\.\d+[A-Za-z0-9._-]*)").expect("image regex")
});
/// A Kubernetes minor in a config or a command: `version: "1.35"`, `--kubernetes-version 1.34`,
/// `--version 1.34`, `minVersion = "1.33"`, `k8s=v1.34.0`.
static KUBERNETES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)(?:version|k8s)\s*[:=]?\s*["']?v?(1\.[2-9]\d)(?:\.\d+)?\b"#).expect("kubernetes regex"));
/// A release pinned in a URL: GitHub release downloads and raw files at a tag.
static RELEASE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:releases/download/|raw\.githubusercontent\.com/[^/\s]+/[^/\s]+/|/blob/|/tree/)(v?\d+\.\d+\.\d+)\b").expect("release url regex")
});
/// `helm ... --version 1.14.0` and `--set image.tag=v1.35.0`.
static FLAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:--version[ =]|image\.tag=)(v?\d+\.\d+\.\d+)\b").expect("flag regex"));

/// A literal version found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub offset: usize,
    pub what: String,
    /// The variable that says it through the table, when the table knows the component.
    pub use_instead: Option<String>,
}

/// Private registries of the learner's own account (`<account>.dkr.ecr.<region>.amazonaws.com`)
/// hold the learner's applications, not components the course installs.
fn own_image(repo: &str) -> bool {
    repo.contains(".dkr.ecr.")
}

pub fn find(text: &str, versions: &Versions) -> Vec<Pin> {
    let mut pins: Vec<Pin> = Vec::new();
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let mut push = |pins: &mut Vec<Pin>, range: std::ops::Range<usize>, what: String, use_instead: Option<String>| {
        if taken.iter().any(|r| r.start < range.end && range.start < r.end) {
            return;
        }
        taken.push(range.clone());
        pins.push(Pin { offset: range.start, what, use_instead });
    };
    for re in [&*IMAGE_FIELD, &*IMAGE_REF] {
        for c in re.captures_iter(text) {
            let (repo, tag) = (&c[1], &c[2]);
            if own_image(repo) {
                continue;
            }
            let whole = c.get(1).expect("repo").start()..c.get(2).expect("tag").end();
            let instead = versions.component_by_repository(repo).map(|comp| format!("{{{{versions.{}.image}}}}", comp.id));
            push(&mut pins, whole, format!("image {repo}:{tag}"), instead);
        }
    }
    for c in RELEASE_URL.captures_iter(text) {
        let m = c.get(1).expect("version");
        push(&mut pins, m.range(), format!("release {} in a URL", m.as_str()), component_for(text, m.start(), versions));
    }
    for c in FLAG.captures_iter(text) {
        let m = c.get(1).expect("version");
        push(&mut pins, m.range(), format!("version {}", m.as_str()), component_for(text, m.start(), versions));
    }
    for c in KUBERNETES.captures_iter(text) {
        let m = c.get(1).expect("minor");
        push(&mut pins, m.range(), format!("Kubernetes {}", m.as_str()), Some(kubernetes_var(m.as_str(), versions)));
    }
    pins.sort_by_key(|p| p.offset);
    pins
}

/// The variable for a Kubernetes minor: the lab version, or the one after it.
fn kubernetes_var(minor: &str, versions: &Versions) -> String {
    let Some(k) = &versions.kubernetes else { return "{{versions.kubernetes}}".into() };
    let is = |r: Option<&super::versions::Release>| r.is_some_and(|r| super::versions::minor(&r.version) == super::versions::minor(minor));
    if is(k.next(&k.lab)) {
        "{{versions.kubernetes.next}}".into()
    } else if is(k.previous(&k.lab)) {
        "{{versions.kubernetes.previous}}".into()
    } else {
        "{{versions.kubernetes}}".into()
    }
}

/// The component named on the same line as a pinned version (by id or repository), if any.
fn component_for(text: &str, at: usize, versions: &Versions) -> Option<String> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    versions
        .components
        .iter()
        .find(|c| line.contains(c.id.as_str()) || c.repository.as_deref().is_some_and(|r| line.contains(r)))
        .map(|c| format!("{{{{versions.{}}}}}", c.id))
}

/// Lint the course: course.toml, lessons (and cards), exercises (and scenarios) and the labs'
/// files (`assets/<exercise>/`). Other asset folders (the workshop server's deployment files)
/// are kubedojo's own packaging, built as they stand, so they keep literal versions.
pub fn lint(files: &super::files::PackFiles, pack: &super::model::Pack, diags: &mut Vec<Diagnostic>) {
    let versions = &pack.versions;
    if versions.is_empty() {
        // a pack without a version table has not opted in
        return;
    }
    let lab_asset = |p: &&str| p.strip_prefix("assets/").and_then(|r| r.split('/').next()).is_some_and(|lab| pack.exercise(lab).is_some());
    let paths = ["course.toml"].into_iter().chain(files.under("lessons")).chain(files.under("exercises")).chain(files.under("assets").filter(lab_asset));
    for path in paths {
        let Some(text) = files.get(path).and_then(|b| std::str::from_utf8(b).ok()) else { continue };
        for pin in find(text, versions) {
            let hint = match &pin.use_instead {
                Some(var) => format!("write {var} and keep the version in versions.toml"),
                None => "add the component to versions.toml (version, source, verified) and write {{versions.ID}} or {{versions.ID.image}}".to_string(),
            };
            diags.push(Diagnostic::warning(path, line_col(text, pin.offset), format!("{} is pinned outside the version table", pin.what)).hint(hint));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Versions {
        let text = r#"
[kubernetes]
lab = "1.35"
source = "s"
verified = 2026-12-06
[[kubernetes.releases]]
version = "1.35"
released = 2026-01-27
end_of_standard = 2027-03-27
end_of_extended = 2028-03-27
[[kubernetes.releases]]
version = "1.36"
released = 2026-05-27
end_of_standard = 2027-07-27
end_of_extended = 2028-07-27
[components.aws-for-fluent-bit]
name = "AWS for Fluent Bit"
version = "3.0.0"
repository = "public.ecr.aws/aws-observability/aws-for-fluent-bit"
source = "s"
verified = 2026-12-06
[components.argo-rollouts]
name = "Argo Rollouts"
version = "v1.8.3"
source = "s"
verified = 2026-12-06
"#;
        let mut d = Vec::new();
        let v = super::super::versions::parse(&super::super::toml_src::TomlFile { file: "versions.toml", text }, &mut d);
        assert!(d.is_empty(), "{d:?}");
        v
    }

    fn whats(text: &str) -> Vec<(String, Option<String>)> {
        find(text, &table()).into_iter().map(|p| (p.what, p.use_instead)).collect()
    }

    #[test]
    fn images_with_tags_are_pins_except_the_learners_own() {
        let got = whats(
            "        image: public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0\n  image: postgres:16\n  image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.2\n",
        );
        assert_eq!(
            got,
            [
                ("image public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0".to_string(), Some("{{versions.aws-for-fluent-bit.image}}".to_string())),
                ("image postgres:16".to_string(), None),
            ]
        );
        assert!(whats("image: {{versions.aws-for-fluent-bit.image}}\nimage: {{versions.nginx.repository}}:{{versions.nginx.previous}}\n").is_empty());
        assert!(whats("curl http://127.0.0.1:7420/board and arn:aws:iam::111122223333:role/x").is_empty());
    }

    #[test]
    fn kubernetes_versions_in_configs_and_commands() {
        let got = whats(
            "  version: \"1.35\"\neksctl upgrade cluster --version 1.36 --approve\nminVersion = \"1.33\"\npluto --target-versions k8s=v1.34.0\nsince Kubernetes 1.31, stable\n",
        );
        let names: Vec<_> = got.iter().map(|(w, i)| format!("{w} -> {}", i.as_deref().unwrap_or("-"))).collect();
        assert_eq!(
            names,
            [
                "Kubernetes 1.35 -> {{versions.kubernetes}}",
                "Kubernetes 1.36 -> {{versions.kubernetes.next}}",
                "Kubernetes 1.33 -> {{versions.kubernetes}}",
                "Kubernetes 1.34 -> {{versions.kubernetes}}",
            ]
        );
    }

    #[test]
    fn release_urls_and_chart_versions() {
        let got = whats(
            "kubectl apply -f https://github.com/argoproj/argo-rollouts/releases/download/v1.8.3/install.yaml\nhelm install x eks/aws-load-balancer-controller --version 1.14.0\n",
        );
        assert_eq!(got, [("release v1.8.3 in a URL".to_string(), Some("{{versions.argo-rollouts}}".to_string())), ("version 1.14.0".to_string(), None),]);
    }
}
