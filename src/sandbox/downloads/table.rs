//! The table of what the downloads proxy serves (`served.toml`): URL patterns and their
//! sources, checked when it is read, and matched against the requests.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Download {
    pub url: String,
    /// What it is, and which lab step fetches it.
    pub what: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    ModuleFile(ModuleFile),
    Program(Program),
    ChartRepository(ChartRepository),
    OciChart(OciChart),
    PublicAddress(PublicAddress),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModuleFile {
    pub module: String,
    pub file: String,
    /// An image (without tag) whose tag becomes the URL's version.
    #[serde(default)]
    pub release_image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub program: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartRepository {
    pub charts: Vec<Chart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    /// `[components.NAME]` of versions.toml: `version` is the module's.
    pub component: String,
    pub module: String,
    /// The chart's folder in the module.
    pub folder: String,
}

/// A chart as an OCI artifact (`oci.rs`): the url ends in `/{kind}/{reference}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciChart {
    /// `[components.NAME]` of versions.toml: `version` is the chart's, `module` the source.
    pub component: String,
    pub module: String,
    /// The chart's folder in the module.
    pub folder: String,
    /// The folder of the CRDs the chart ships in `crds/`.
    #[serde(default)]
    pub crds: Option<String>,
    /// The image (repository) whose tag the release sets to the version in values.yaml.
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicAddress {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    download: Vec<Download>,
}

/// What the sandbox serves.
#[derive(Debug, Clone)]
pub struct Table {
    pub downloads: Vec<Download>,
}

/// The placeholders a URL may hold, each one whole path segment.
const PLACEHOLDERS: &[&str] = &["{version}", "{file}", "{kind}", "{reference}"];

impl Download {
    pub fn host(&self) -> &str {
        self.url.trim_start_matches("https://").split('/').next().unwrap_or_default()
    }

    fn path(&self) -> &str {
        let rest = self.url.trim_start_matches("https://");
        &rest[rest.find('/').unwrap_or(rest.len())..]
    }

    /// The placeholders' values when `path` is this download's, else `None`.
    pub fn matches(&self, path: &str) -> Option<BTreeMap<&'static str, String>> {
        let (want, got): (Vec<&str>, Vec<&str>) = (self.path().split('/').collect(), path.split('/').collect());
        if want.len() != got.len() {
            return None;
        }
        let mut values = BTreeMap::new();
        for (w, g) in want.iter().zip(&got) {
            match PLACEHOLDERS.iter().find(|p| *p == w) {
                Some(p) if !g.is_empty() && *g != "." && *g != ".." => {
                    values.insert(&p[1..p.len() - 1], percent_encoding::percent_decode_str(g).decode_utf8_lossy().into_owned());
                }
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            }
        }
        Some(values)
    }

    /// What is wrong with this entry, if anything.
    fn problem(&self) -> Option<String> {
        let Some(rest) = self.url.strip_prefix("https://") else { return Some("the url must start with https://".into()) };
        let host = self.host();
        if host.is_empty() || host.contains(':') || !rest.contains('/') {
            return Some("the url needs a host without a port, then a path (https://HOST/PATH)".into());
        }
        if self.url.contains(['?', '#']) {
            return Some("the url must have no query or fragment".into());
        }
        let segments: Vec<&str> = self.path().split('/').collect();
        for s in &segments {
            if s.contains(['{', '}']) && !PLACEHOLDERS.contains(s) {
                return Some(format!("`{s}`: a placeholder is one whole path segment, one of {}", PLACEHOLDERS.join(", ")));
            }
        }
        let has = |p: &str| segments.contains(&p);
        let needs = |p: &str, why: &str| (!has(p)).then(|| format!("a {why} url needs {p} in its path"));
        match &self.source {
            Source::ModuleFile(m) => needs("{version}", "module-file").or_else(|| problem_of_module(&m.module)),
            Source::Program(_) => needs("{version}", "program"),
            Source::ChartRepository(r) => (segments.last() != Some(&"{file}"))
                .then(|| "a chart-repository url ends in /{file}".to_string())
                .or_else(|| r.charts.is_empty().then(|| "a chart-repository names at least one chart".to_string()))
                .or_else(|| r.charts.iter().find_map(|c| problem_of_module(&c.module))),
            Source::OciChart(c) => (!segments.ends_with(&["{kind}", "{reference}"]))
                .then(|| "an oci-chart url ends in /{kind}/{reference}".to_string())
                .or_else(|| problem_of_module(&c.module)),
            Source::PublicAddress(_) => PLACEHOLDERS.iter().find(|p| has(p)).map(|p| format!("a public-address url has no placeholder, not {p}")),
        }
    }
}

fn problem_of_module(module: &str) -> Option<String> {
    (module.is_empty() || module.contains('@') || module.starts_with('/')).then(|| format!("`{module}` is not a Go module path"))
}

impl Table {
    /// The table in the binary (its test below reads it, so this cannot fail at run time).
    pub fn builtin() -> Table {
        Table::parse(include_str!("served.toml"), "served.toml").unwrap_or(Table { downloads: Vec::new() })
    }

    /// Read and check a table; an error names the entry and what is wrong.
    pub fn parse(text: &str, name: &str) -> Result<Table, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        for (i, d) in file.download.iter().enumerate() {
            if let Some(p) = d.problem() {
                return Err(format!("{name}: download {} ({}): {p}", i + 1, d.url));
            }
            if let Some(j) = file.download[..i].iter().position(|e| e.host() == d.host() && e.path() == d.path()) {
                return Err(format!("{name}: download {} ({}) repeats download {}", i + 1, d.url, j + 1));
            }
        }
        Ok(Table { downloads: file.download })
    }

    /// Whether the sandbox answers this host (else the proxy tunnels to it).
    pub fn answers(&self, host: &str) -> bool {
        self.downloads.iter().any(|d| d.host().eq_ignore_ascii_case(host))
    }

    /// The download for `host` and `path`, with its placeholders' values.
    pub fn find(&self, host: &str, path: &str) -> Option<(&Download, BTreeMap<&'static str, String>)> {
        self.downloads.iter().filter(|d| d.host().eq_ignore_ascii_case(host)).find_map(|d| d.matches(path).map(|v| (d, v)))
    }

    /// The answer to a URL the sandbox does not serve: what it serves, and that nothing else is fetched.
    pub fn refusal(&self, host: &str, path: &str) -> String {
        let mut out = format!(
            "The kubedojo sandbox does not serve https://{host}{path}. It answers {host} itself (the internet is not reached from the sandbox) and serves only these downloads, fetching nothing else:\n"
        );
        for d in &self.downloads {
            out.push_str(&format!("  {}  ({})\n", d.url, d.what));
        }
        out.push_str("`kubedojo sandbox status` lists what the sandbox simulates; run the download outside the sandbox's shell to reach the real site.\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_is_valid_and_answers_five_hosts() {
        let table = Table::parse(include_str!("served.toml"), "served.toml").expect("served.toml");
        let mut hosts: Vec<&str> = table.downloads.iter().map(Download::host).collect();
        hosts.dedup();
        hosts.sort();
        hosts.dedup();
        assert_eq!(hosts, ["aws.github.io", "checkip.amazonaws.com", "github.com", "public.ecr.aws", "raw.githubusercontent.com"]);
        assert!(table.answers("GitHub.com") && !table.answers("example.com"));
    }

    #[test]
    fn urls_match_with_their_placeholders() {
        let table = Table::builtin();
        let (d, v) = table.find("github.com", "/argoproj/argo-rollouts/releases/download/v1.9.1/install.yaml").expect("install.yaml");
        assert!(matches!(&d.source, Source::ModuleFile(m) if m.release_image.as_deref() == Some("quay.io/argoproj/argo-rollouts")));
        assert_eq!(v["version"], "v1.9.1");
        let (_, v) = table.find("aws.github.io", "/eks-charts/index.yaml").expect("index");
        assert_eq!(v["file"], "index.yaml");
        assert!(table.find("checkip.amazonaws.com", "/").is_some());
        assert!(table.find("github.com", "/argoproj/argo-rollouts/releases/download/v1.9.1/other.yaml").is_none());
        assert!(table.find("github.com", "/argoproj/argo-rollouts/releases/download/../install.yaml").is_none());
        let refusal = table.refusal("github.com", "/x");
        assert!(refusal.contains("does not serve https://github.com/x") && refusal.contains("kubectl-argo-rollouts-linux-amd64"), "{refusal}");
    }

    #[test]
    fn a_bad_table_says_which_entry_and_why() {
        let entry = |url: &str, source: &str| format!("[[download]]\nurl = \"{url}\"\nwhat = \"w\"\nsource = {source}\n");
        let module = r#"{ kind = "module-file", module = "example.com/m", file = "f" }"#;
        for (text, want) in [
            (entry("http://h/{version}/f", module), "download 1 (http://h/{version}/f): the url must start with https://"),
            (entry("https://h/f", module), "a module-file url needs {version} in its path"),
            (entry("https://h/v{version}/f", module), "`v{version}`: a placeholder is one whole path segment"),
            (entry("https://h/{version}/f", r#"{ kind = "program", program = "p", extra = 1 }"#), "unknown field `extra`"),
            (entry("https://h/{version}/f", r#"{ kind = "mirror" }"#), "unknown variant `mirror`"),
            (
                format!("{}{}", entry("https://h/{version}/f", module), entry("https://h/{version}/f", module)),
                "download 2 (https://h/{version}/f) repeats download 1",
            ),
            (entry("https://h/charts/x", r#"{ kind = "chart-repository", charts = [] }"#), "a chart-repository url ends in /{file}"),
        ] {
            let err = Table::parse(&text, "t.toml").expect_err(want);
            assert!(err.starts_with("t.toml") && err.contains(want), "{err}\nwanted: {want}");
        }
    }
}
