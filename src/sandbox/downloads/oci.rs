//! A Helm chart served as an OCI artifact, for `helm install oci://HOST/REPO/NAME --version V`:
//! the registry API paths Helm's client reads (the OCI distribution spec's
//! `GET|HEAD /v2/<name>/manifests/<reference>`, `GET /v2/<name>/blobs/<digest>` and
//! `GET /v2/<name>/tags/list`), with a manifest of Helm's media types (a config of
//! `application/vnd.cncf.helm.config.v1+json`, the chart's metadata, and one layer of
//! `application/vnd.cncf.helm.chart.content.v1.tar+gzip`, the packaged chart: Helm's
//! pkg/registry constants). The chart is packaged from its folder in the Go module at the
//! course's version, with what the project's release build changes (for Karpenter,
//! hack/release/common.sh: Chart.yaml's `version` and `appVersion` and the controller image's
//! tag set to the release), and its `crds/` (a symlink to pkg/apis/crds in the repository,
//! which a module zip leaves out) from the folder named. How it differs: the image digest is
//! left empty (the release sets the real one), so the image is named by its tag.

use sha2::{Digest as _, Sha256};

use super::chart;
use super::sources::Answer;

pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The artifact: (manifest, config, layer).
pub struct Artifact {
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    pub layer: Vec<u8>,
}

/// The chart's files as the release packages them.
pub fn release_files(mut files: Vec<(String, Vec<u8>)>, crds: Vec<(String, Vec<u8>)>, version: &str, image: Option<&str>) -> Vec<(String, Vec<u8>)> {
    let chart_version = regex::Regex::new(r"(?m)^(version|appVersion):.*$").expect("pattern");
    // the tag and digest lines after the image's repository line
    let image_tag = image.map(|image| {
        regex::Regex::new(&format!(r"(?m)^(\s*repository:\s*{}\s*\n(?:\s*#.*\n)*\s*tag:)[^\n]*\n((?:\s*#.*\n)*\s*digest:)[^\n]*", regex::escape(image)))
            .expect("pattern")
    });
    for (name, data) in files.iter_mut() {
        let text = String::from_utf8_lossy(data).into_owned();
        if name == "Chart.yaml" {
            *data = chart_version.replace_all(&text, format!("${{1}}: {version}").as_str()).into_owned().into_bytes();
        } else if let (true, Some(re)) = (name == "values.yaml", &image_tag) {
            *data = re.replace(&text, format!("${{1}} {version}\n${{2}} \"\"").as_str()).into_owned().into_bytes();
        }
    }
    files.extend(crds.into_iter().map(|(n, d)| (format!("crds/{n}"), d)));
    files
}

pub fn artifact(files: &[(String, Vec<u8>)], whence: &str) -> Result<Artifact, String> {
    let packaged = chart::package(files, whence)?;
    let config = serde_json::to_vec(&packaged.metadata).map_err(|e| e.to_string())?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": LAYER, "digest": digest(&packaged.archive), "size": packaged.archive.len()}],
        "annotations": {"org.opencontainers.image.title": packaged.name, "org.opencontainers.image.version": packaged.version},
    });
    Ok(Artifact { manifest: serde_json::to_vec(&manifest).map_err(|e| e.to_string())?, config, layer: packaged.archive })
}

/// The answer to `/v2/<name>/<kind>/<reference>` for the chart at `version`.
pub fn answer(a: &Artifact, name: &str, version: &str, kind: &str, reference: &str) -> Answer {
    let refused = |status: u16, message: String| Answer::Refused { status, message };
    match kind {
        "manifests" if reference == version || reference == digest(&a.manifest) => {
            Answer::Registry { body: a.manifest.clone(), content_type: MANIFEST, digest: digest(&a.manifest) }
        }
        "manifests" => refused(
            404,
            format!("{name}:{reference} is not served by the sandbox: it serves {name} at the course's version {version} only (`--version {version}`)"),
        ),
        "blobs" if reference == digest(&a.config) => Answer::Registry { body: a.config.clone(), content_type: CONFIG, digest: digest(&a.config) },
        "blobs" if reference == digest(&a.layer) => Answer::Registry { body: a.layer.clone(), content_type: LAYER, digest: digest(&a.layer) },
        "blobs" => refused(404, format!("{name} has no blob {reference} in the sandbox")),
        "tags" if reference == "list" => Answer::Registry {
            body: serde_json::json!({"name": name, "tags": [version]}).to_string().into_bytes(),
            content_type: "application/json",
            digest: String::new(),
        },
        _ => refused(404, format!("the sandbox's registry answers manifests, blobs and tags/list for {name}, not {kind}/{reference}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_sets_the_version_the_image_tag_and_the_crds() {
        let values = "controller:\n  image:\n    # -- Repository path to the controller image.\n    repository: public.ecr.aws/karpenter/controller\n    # -- Tag of the controller image.\n    tag: 1.13.0\n    # -- SHA256 digest of the controller image.\n    digest: sha256:ea73\n  env: []\n";
        let files = vec![
            ("Chart.yaml".to_string(), b"apiVersion: v2\nname: karpenter\nversion: 1.13.0\nappVersion: 1.13.0\n".to_vec()),
            ("values.yaml".to_string(), values.as_bytes().to_vec()),
        ];
        let out = release_files(
            files,
            vec![("karpenter.sh_nodepools.yaml".into(), b"kind: CustomResourceDefinition\n".to_vec())],
            "1.14.4",
            Some("public.ecr.aws/karpenter/controller"),
        );
        let text = |n: &str| String::from_utf8(out.iter().find(|(f, _)| f == n).expect(n).1.clone()).expect("utf8");
        assert_eq!(text("Chart.yaml"), "apiVersion: v2\nname: karpenter\nversion: 1.14.4\nappVersion: 1.14.4\n");
        let v = text("values.yaml");
        assert!(v.contains("    tag: 1.14.4\n") && v.contains("    digest: \"\"\n") && v.ends_with("  env: []\n"), "{v}");
        assert!(out.iter().any(|(n, _)| n == "crds/karpenter.sh_nodepools.yaml"));

        let a = artifact(&out, "test").expect("artifact");
        let manifest: serde_json::Value = serde_json::from_slice(&a.manifest).expect("json");
        assert_eq!(manifest["layers"][0]["mediaType"], LAYER);
        let layer = manifest["layers"][0]["digest"].as_str().expect("digest").to_string();
        let Answer::Registry { digest: d, .. } = answer(&a, "karpenter/karpenter", "1.14.4", "blobs", &layer) else { panic!("layer") };
        assert_eq!(d, layer);
        assert!(matches!(answer(&a, "karpenter/karpenter", "1.14.4", "manifests", "1.14.4"), Answer::Registry { content_type: MANIFEST, .. }));
        let Answer::Refused { status, message } = answer(&a, "karpenter/karpenter", "1.14.4", "manifests", "1.15.0") else { panic!("refused") };
        assert!(status == 404 && message.contains("--version 1.14.4"), "{message}");
        // packaged the same way twice: the digests the manifest names stay valid
        assert_eq!(artifact(&out, "test").expect("again").manifest, a.manifest);
    }
}
