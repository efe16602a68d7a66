//! The EKS pod identity webhook in the sandbox: the upstream program
//! (`amazon-eks-pod-identity-webhook`, built from its Go module), which gives pods of a
//! ServiceAccount annotated `eks.amazonaws.com/role-arn` IRSA's env (`AWS_ROLE_ARN`,
//! `AWS_WEB_IDENTITY_TOKEN_FILE`) and projected token volume (`aws-iam-token`). EKS runs it on
//! the control plane; the sandbox runs it as a host process next to the API server.
//!
//! How it runs, from the module's source (aws/amazon-eks-pod-identity-webhook@v0.6.17):
//! `main.go` takes `--in-cluster=false --kubeconfig --tls-cert --tls-key --port --metrics-port`
//! (out of the cluster, the README: `--in-cluster=true` no longer works since v0.3.0) and binds
//! `:PORT` and `:METRICS-PORT` on every interface (it has no bind-address flag); the sandbox
//! gives it free ports, a self-signed certificate for 127.0.0.1 and every other flag at its
//! default (audience `sts.amazonaws.com`, no region injected, the global STS endpoint unless the
//! ServiceAccount asks for the regional one). For EKS Pod Identity it watches the identities file
//! the AWS front writes (`--watch-container-credentials-config`, [`identities_file`]) and gives
//! pods of an associated ServiceAccount `AWS_CONTAINER_CREDENTIALS_FULL_URI`,
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` and the `eks-pod-identity-token` volume for the
//! audience `pods.eks.amazonaws.com` (main.go's `--container-credentials-*` defaults, which are
//! EKS's); that method takes precedence over an IRSA annotation (pkg/handler/handler.go). The registration is `deploy/mutatingwebhook.yaml`'s
//! (pods on CREATE, `failurePolicy: Ignore`, the objectSelector
//! `eks.amazonaws.com/skip-pod-identity-webhook DoesNotExist`, `admissionReviewVersions:
//! [v1beta1]`: v0.6.17 answers without `apiVersion`/`kind`, which only v1beta1 accepts) with a
//! `url` on 127.0.0.1 instead of a Service, which no pod on kwok would back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, WebhookClientConfig};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::Emulator;

/// The program's name, as `go install` names it.
pub const PROGRAM: &str = "amazon-eks-pod-identity-webhook";
const MODULE: &str = "github.com/aws/amazon-eks-pod-identity-webhook";
/// The MutatingWebhookConfiguration and its webhook, named as upstream's deploy manifest names them.
const CONFIGURATION: &str = "pod-identity-webhook";
const WEBHOOK: &str = "pod-identity-webhook.amazonaws.com";
/// How long the webhook may take to listen.
const START: std::time::Duration = std::time::Duration::from_secs(10);

/// The course's version table: `[components.pod-identity-webhook]` is the one place its version
/// is written, and `tests/testenv.sh` builds that version for the tests.
const VERSIONS: &str = include_str!("../../versions.toml");

fn component(field: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(VERSIONS).ok()?;
    Some(table.get("components")?.get("pod-identity-webhook")?.get(field)?.as_str()?.to_string())
}

/// The version the sandbox is built and tested with.
pub fn version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| component("version").unwrap_or_else(|| "latest".into()));
    &VERSION
}

/// How the learner installs it.
pub fn install_command() -> String {
    format!("go install {MODULE}@{}", version())
}

/// The webhook started and not yet registered.
pub struct Started {
    pub record: Emulator,
    port: u16,
    certificate: String,
}

fn files(dir: &Path) -> PathBuf {
    dir.join("webhook")
}

/// The Pod Identity associations the front writes and the webhook watches
/// (`--watch-container-credentials-config`): in the webhook's folder, which exists before the
/// webhook starts (it watches the folder and exits when it is missing).
pub fn identities_file(dir: &Path) -> PathBuf {
    files(dir).join("pod-identities.json")
}

fn log_file(dir: &Path) -> PathBuf {
    dir.join("webhook.log")
}

/// Start the webhook when it is on PATH (`None` when it is not), watching the sandbox cluster
/// through `kubeconfig`; `register` tells the API server about it once it listens.
pub fn start(dir: &Path, kubeconfig: &Path) -> Result<Option<Started>, String> {
    let Some(program) = super::find_on_path(PROGRAM) else { return Ok(None) };
    let (cert, key) = serving_certificate()?;
    let folder = files(dir);
    std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let (cert_file, key_file) = (folder.join("tls.crt"), folder.join("tls.key"));
    std::fs::write(&cert_file, &cert).map_err(|e| format!("{}: {e}", cert_file.display()))?;
    write_private(&key_file, &key)?;
    let ports = super::free_ports(2)?;
    let (port, metrics) = (ports[0], ports[1]);
    let log = std::fs::File::create(log_file(dir)).map_err(|e| format!("{}: {e}", log_file(dir).display()))?;
    let child = super::without_aws_settings(Command::new(&program))
        .args(["--in-cluster=false", "--kubeconfig"])
        .arg(kubeconfig)
        .arg("--tls-cert")
        .arg(&cert_file)
        .arg("--tls-key")
        .arg(&key_file)
        .args(["--port", &port.to_string(), "--metrics-port", &metrics.to_string()])
        .arg("--watch-container-credentials-config")
        .arg(identities_file(dir))
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting the pod identity webhook ({}): {e}", program.display()))?;
    Ok(Some(Started { record: Emulator { pid: child.id(), url: format!("https://127.0.0.1:{port}/mutate") }, port, certificate: cert }))
}

/// Wait until the webhook listens, then register it with the sandbox's API server.
pub fn register(dir: &Path, started: &Started, kubeconfig: &Path) -> Result<(), String> {
    if !super::listening(started.port, START) {
        let log = std::fs::read_to_string(log_file(dir)).unwrap_or_default();
        return Err(format!(
            "the pod identity webhook did not start listening on {} within {} s; its log ({}):\n{}\n`kubedojo sandbox down` removes what was made",
            started.record.url,
            START.as_secs(),
            log_file(dir).display(),
            log.trim()
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(apply(kubeconfig, configuration(&started.record.url, &started.certificate))).map_err(|e| {
        format!(
            "registering the pod identity webhook with the sandbox's API server: {e}\n`kubedojo sandbox down` removes what was made, then `kubedojo sandbox up`"
        )
    })
}

async fn apply(kubeconfig: &Path, configuration: MutatingWebhookConfiguration) -> Result<(), String> {
    let config = Kubeconfig::read_from(kubeconfig).map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
    let mut config =
        kube::Config::from_custom_kubeconfig(config, &KubeConfigOptions::default()).await.map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
    crate::checks::backend::direct_to_loopback(&mut config);
    let client = kube::Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))?;
    let api: Api<MutatingWebhookConfiguration> = Api::all(client);
    let (params, patch) = (PatchParams::apply("kubedojo-sandbox").force(), Patch::Apply(&configuration));
    match tokio::time::timeout(START, api.patch(CONFIGURATION, &params, &patch)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) => Err(format!("the API server answered {}: {}", s.code, s.message)),
        Ok(Err(e)) => Err(format!("cannot reach the API server: {e}")),
        Err(_) => Err(format!("no answer within {} s", START.as_secs())),
    }
}

/// upstream's deploy/mutatingwebhook.yaml, with `url` and the sandbox's certificate as the CA bundle.
fn configuration(url: &str, certificate: &str) -> MutatingWebhookConfiguration {
    MutatingWebhookConfiguration {
        metadata: ObjectMeta { name: Some(CONFIGURATION.into()), ..Default::default() },
        webhooks: Some(vec![MutatingWebhook {
            name: WEBHOOK.into(),
            failure_policy: Some("Ignore".into()),
            client_config: WebhookClientConfig { url: Some(url.into()), ca_bundle: Some(ByteString(certificate.as_bytes().to_vec())), service: None },
            object_selector: Some(LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: "eks.amazonaws.com/skip-pod-identity-webhook".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                }]),
                match_labels: None,
            }),
            rules: Some(vec![RuleWithOperations {
                operations: Some(vec!["CREATE".into()]),
                api_groups: Some(vec![String::new()]),
                api_versions: Some(vec!["v1".into()]),
                resources: Some(vec!["pods".into()]),
                scope: None,
            }]),
            side_effects: "None".into(),
            admission_review_versions: vec!["v1beta1".into()],
            ..Default::default()
        }]),
    }
}

/// A self-signed certificate for 127.0.0.1 (the API server's only way to the webhook) and its
/// key, PEM: the certificate is its own CA bundle.
fn serving_certificate() -> Result<(String, String), String> {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).map_err(|e| format!("cannot make the webhook's certificate: {e}"))?;
    Ok((cert.cert.pem(), cert.signing_key.serialize_pem()))
}

pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether a pid is still the webhook the sandbox started (a pid can be reused after a reboot).
pub fn is_ours(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(PROGRAM))
}

/// Remove what `start` wrote (the configuration goes with the cluster).
pub fn remove_files(dir: &Path) {
    let _ = std::fs::remove_dir_all(files(dir));
    let _ = std::fs::remove_file(log_file(dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_course_tables() {
        assert!(version().starts_with("v0."), "{}", version());
        assert_eq!(component("module").as_deref(), Some(MODULE));
        assert_eq!(install_command(), format!("go install github.com/aws/amazon-eks-pod-identity-webhook@{}", version()));
    }

    #[test]
    fn the_registration_is_upstreams_with_a_url() {
        let c = serde_json::to_value(configuration("https://127.0.0.1:4443/mutate", "PEM")).expect("json");
        let w = &c["webhooks"][0];
        assert_eq!(c["apiVersion"], "admissionregistration.k8s.io/v1");
        assert_eq!(w["clientConfig"], serde_json::json!({"url": "https://127.0.0.1:4443/mutate", "caBundle": "UEVN"}));
        assert_eq!(w["failurePolicy"], "Ignore");
        assert_eq!(w["admissionReviewVersions"], serde_json::json!(["v1beta1"]));
        assert_eq!(w["objectSelector"]["matchExpressions"][0]["operator"], "DoesNotExist");
        assert_eq!(w["rules"][0], serde_json::json!({"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}));
    }

    #[test]
    fn the_certificate_names_127_0_0_1() {
        let (cert, key) = serving_certificate().expect("certificate");
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----") && key.starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}
