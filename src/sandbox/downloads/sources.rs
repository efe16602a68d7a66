//! Where each download comes from: what the proxy answers for a URL of the table.

use std::collections::BTreeMap;

use super::table::{ChartRepository, Download, ModuleFile, OciChart, Source, Table};
use super::{chart, module, oci};

/// The answer to one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Served {
        body: Vec<u8>,
        content_type: &'static str,
    },
    /// A registry's answer (OCI distribution): also its `Docker-Content-Digest` (none: empty).
    Registry {
        body: Vec<u8>,
        content_type: &'static str,
        digest: String,
    },
    /// An error the learner can act on: the status, and what was found, what was expected and what to do.
    Refused {
        status: u16,
        message: String,
    },
}

fn refused(status: u16, message: impl Into<String>) -> Answer {
    Answer::Refused { status, message: message.into() }
}

/// The labs' default `adminCidr` (exercises/eks-cluster/exercise.toml `[vars]`), whose address
/// is the sandbox's public address when lab.toml sets none.
const DEFAULT_ADMIN_CIDR: &str = "203.0.113.10/32";

/// The course's version table.
const VERSIONS: &str = include_str!("../../../versions.toml");

fn component_version(name: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(VERSIONS).ok()?;
    Some(table.get("components")?.get(name)?.get("version")?.as_str()?.to_string())
}

pub async fn answer(table: &Table, host: &str, path: &str, http: &reqwest::Client) -> Answer {
    let Some((download, values)) = table.find(host, path) else { return refused(404, table.refusal(host, path)) };
    match &download.source {
        Source::ModuleFile(m) => module_file(m, &values, http).await,
        Source::Program(p) => program(&p.program, values.get("version").map(String::as_str).unwrap_or_default()).await,
        Source::ChartRepository(r) => chart_repository(download, r, values.get("file").map(String::as_str).unwrap_or_default(), http).await,
        Source::OciChart(c) => oci_chart(download, c, &values, http).await,
        Source::PublicAddress(_) => public_address(),
    }
}

async fn oci_chart(download: &Download, c: &OciChart, values: &BTreeMap<&'static str, String>, http: &reqwest::Client) -> Answer {
    let Some(version) = component_version(&c.component) else {
        return refused(502, format!("versions.toml has no [components.{}] version for the chart in {}", c.component, c.module));
    };
    let module_version = format!("v{}", version.trim_start_matches('v'));
    let zip = match module::open(&c.module, &module_version, http).await {
        Ok(z) => z,
        Err(e) => return refused(502, e),
    };
    let whence = format!("{}@{module_version}/{}", c.module, c.folder);
    let crds = match &c.crds {
        Some(folder) => match zip.folder(folder) {
            Ok(f) => f,
            Err(e) => return refused(502, e),
        },
        None => Vec::new(),
    };
    let artifact = zip.folder(&c.folder).and_then(|files| oci::artifact(&oci::release_files(files, crds, &version, c.image.as_deref()), &whence));
    let artifact = match artifact {
        Ok(a) => a,
        Err(e) => return refused(502, e),
    };
    // the repository's name: the url's path between /v2/ and /{kind}
    let name = download.url.split_once("/v2/").map(|(_, rest)| rest.trim_end_matches("/{kind}/{reference}")).unwrap_or_default();
    let get = |k: &str| values.get(k).map(String::as_str).unwrap_or_default();
    oci::answer(&artifact, name, &version, get("kind"), get("reference"))
}

fn version_of<'a>(values: &'a BTreeMap<&'static str, String>) -> Result<&'a str, Answer> {
    let v = values.get("version").map(String::as_str).unwrap_or_default();
    if module::is_version(v) {
        Ok(v)
    } else {
        Err(refused(404, format!("`{v}` is not a version (expected one such as v1.2.3): the sandbox serves releases by their tag")))
    }
}

async fn module_file(m: &ModuleFile, values: &BTreeMap<&'static str, String>, http: &reqwest::Client) -> Answer {
    let version = match version_of(values) {
        Ok(v) => v,
        Err(a) => return a,
    };
    let zip = match module::open(&m.module, version, http).await {
        Ok(z) => z,
        Err(e) => return refused(502, e),
    };
    let body = match zip.file(&m.file) {
        Ok(b) => b,
        Err(e) => return refused(404, format!("{e} (its release {version} has no such file)")),
    };
    match &m.release_image {
        None => Answer::Served { body, content_type: "text/plain; charset=utf-8" },
        Some(image) => match release_image(&String::from_utf8_lossy(&body), image, version) {
            Some(text) => Answer::Served { body: text.into_bytes(), content_type: "application/octet-stream" },
            None => refused(502, format!("{}@{version} {}: found no `image: {image}` to set to the release tag {version}", m.module, m.file)),
        },
    }
}

/// The release's manifest: every `image: IMAGE[:TAG]` set to `IMAGE:VERSION`, as `kustomize edit
/// set image IMAGE:VERSION` does in the project's release build; `None` when there is none.
pub fn release_image(text: &str, image: &str, version: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r"(?m)^(\s*(?:-\s+)?image:\s*){}(?::[\w.\-]+)?[ \t]*$", regex::escape(image))).ok()?;
    re.is_match(text).then(|| re.replace_all(text, format!("${{1}}{image}:{version}").as_str()).into_owned())
}

async fn program(program: &str, version: &str) -> Answer {
    let how = format!(
        "build {program} at {version} as tests/testenv.sh does (from the module's source at that tag: `go install` of the module does not build, its go.mod has a replace block), put it on PATH, then `kubedojo sandbox down` and `kubedojo sandbox up`"
    );
    let Some(path) = crate::sandbox::find_on_path(program) else {
        return refused(502, format!("the sandbox serves {program} {version} from the {program} on its PATH, and found none: {how}"));
    };
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::process::Command::new(&path).arg("version").stdin(std::process::Stdio::null()).output(),
    )
    .await;
    let text = match out {
        Ok(Ok(o)) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(Err(e)) => return refused(502, format!("{}: {e}; {how}", path.display())),
        Err(_) => return refused(502, format!("`{} version` did not answer within 10 s; {how}", path.display())),
    };
    // pkg/kubectl-argo-rollouts/cmd/version: "kubectl-argo-rollouts: v1.9.1+8d5a5ab" first
    let found = text.lines().next().and_then(|l| l.split_once(": ")).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    if found != version && !found.starts_with(&format!("{version}+")) {
        let found = if found.is_empty() { format!("no version in its output ({:?})", text.lines().next().unwrap_or_default()) } else { found };
        return refused(502, format!("the sandbox serves {program} {version} from {}, which says it is {found}: {how}", path.display()));
    }
    match tokio::fs::read(&path).await {
        Ok(body) => Answer::Served { body, content_type: "application/octet-stream" },
        Err(e) => refused(502, format!("{}: {e}", path.display())),
    }
}

async fn chart_repository(download: &Download, r: &ChartRepository, file: &str, http: &reqwest::Client) -> Answer {
    let base = download.url.trim_end_matches("/{file}");
    let mut charts = Vec::new();
    for c in &r.charts {
        let Some(version) = component_version(&c.component) else {
            return refused(502, format!("versions.toml has no [components.{}] version for the chart in {}", c.component, c.module));
        };
        let zip = match module::open(&c.module, &version, http).await {
            Ok(z) => z,
            Err(e) => return refused(502, e),
        };
        let packaged = zip.folder(&c.folder).and_then(|files| chart::package(&files, &format!("{}@{version}/{}", c.module, c.folder)));
        match packaged {
            Ok(p) => charts.push(p),
            Err(e) => return refused(502, e),
        }
    }
    if file == "index.yaml" {
        let created = jiff::Timestamp::now().to_string();
        return Answer::Served { body: chart::index(&charts, base, &created).into_bytes(), content_type: "application/x-yaml" };
    }
    match charts.into_iter().find(|c| c.file_name() == file) {
        Some(c) => Answer::Served { body: c.archive, content_type: "application/x-tar" },
        None => refused(
            404,
            format!(
                "{base}/{file} is not in the sandbox's chart repository {base}: it has index.yaml and {}",
                r.charts.iter().map(|c| c.component.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
}

/// The learner's public address in the sandbox (simulated): the address of their `adminCidr`
/// (lab.toml `[vars]`, else the labs' default), so `$(curl -fsS https://checkip.amazonaws.com)/32`
/// is the CIDR the labs' files already carry.
fn public_address() -> Answer {
    let cidr = crate::labconfig::default_path()
        .and_then(|p| crate::labconfig::load(&p).ok())
        .and_then(|c| c.vars.get("adminCidr").cloned())
        .unwrap_or_else(|| DEFAULT_ADMIN_CIDR.to_string());
    let address = cidr.split('/').next().unwrap_or_default().trim();
    match address.parse::<std::net::IpAddr>() {
        Ok(ip) => Answer::Served { body: format!("{ip}\n").into_bytes(), content_type: "text/plain; charset=utf-8" },
        Err(_) => refused(502, format!("lab.toml's adminCidr is {cidr:?}, not an address/length such as 203.0.113.10/32: set it so, then try again")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_manifest_has_the_image_at_the_tag() {
        let text = "spec:\n  containers:\n      - image: quay.io/argoproj/argo-rollouts:latest\n        name: argo-rollouts\n      - image: quay.io/argoproj/argo-rollouts-other:latest\n";
        assert_eq!(
            release_image(text, "quay.io/argoproj/argo-rollouts", "v1.9.1").as_deref(),
            Some(
                "spec:\n  containers:\n      - image: quay.io/argoproj/argo-rollouts:v1.9.1\n        name: argo-rollouts\n      - image: quay.io/argoproj/argo-rollouts-other:latest\n"
            )
        );
        assert_eq!(release_image("image: other:latest\n", "quay.io/argoproj/argo-rollouts", "v1"), None);
    }

    #[test]
    fn the_default_public_address_is_the_labs_default_admin_cidr() {
        let lab: toml::Table = toml::from_str(include_str!("../../../exercises/eks-cluster/exercise.toml")).expect("exercise");
        assert_eq!(lab["vars"]["adminCidr"].as_str(), Some(DEFAULT_ADMIN_CIDR));
    }

    #[test]
    fn every_served_module_is_a_component_of_the_version_table() {
        // tests/testenv.sh downloads the components' modules for the tests (GOPROXY=off there)
        let versions: toml::Table = toml::from_str(VERSIONS).expect("versions.toml");
        let modules: Vec<&str> = versions["components"].as_table().expect("components").values().filter_map(|c| c.get("module")?.as_str()).collect();
        for d in Table::builtin().downloads {
            let served = match &d.source {
                Source::ModuleFile(m) => vec![m.module.clone()],
                Source::ChartRepository(r) => r.charts.iter().map(|c| c.module.clone()).collect(),
                _ => vec![],
            };
            for m in served {
                assert!(modules.contains(&m.as_str()), "{m} ({}) is no component's module in versions.toml", d.url);
            }
        }
    }

    #[test]
    fn the_chart_components_are_in_the_version_table() {
        for d in Table::builtin().downloads {
            if let Source::ChartRepository(r) = d.source {
                for c in r.charts {
                    assert!(component_version(&c.component).is_some_and(|v| module::is_version(&v)), "{}", c.component);
                }
            }
        }
    }
}
