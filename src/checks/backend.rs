//! What the checks run against: one Kubernetes client and one AWS configuration per target,
//! created once. The target kind (EKS, kind, kwok) decides how checks degrade.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use k8s_openapi::api::core::v1::Node;
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use serde::Serialize;

/// Every network call of a check gives up after this long.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// An EKS cluster and its AWS account.
    Eks,
    /// A kind cluster (no AWS unless an emulator endpoint is given).
    Kind,
    /// A kwok cluster: simulated nodes (no AWS unless an emulator endpoint is given).
    Kwok,
}

/// How to reach the target: from the command line or the lab config.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// `None`: detect from the nodes' providerIDs.
    pub kind: Option<TargetKind>,
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub aws_profile: Option<String>,
    pub aws_region: Option<String>,
    pub aws_endpoint: Option<String>,
}

impl TargetOptions {
    /// Defaults from the lab config, then the environment (`AWS_ENDPOINT_URL` as the emulator
    /// endpoint); the kube context and AWS chain otherwise resolve as kubectl and the aws CLI do.
    pub fn from_lab(lab: &crate::labconfig::TargetDefaults) -> Self {
        Self {
            kind: None,
            kubeconfig: lab.kubeconfig.clone(),
            context: lab.context.clone(),
            aws_profile: lab.aws_profile.clone(),
            aws_region: lab.aws_region.clone(),
            aws_endpoint: lab.aws_endpoint_url.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty())),
        }
    }
}

/// What a report says about the target (`check --json`'s "target").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TargetReport {
    pub kind: Option<TargetKind>,
    pub detected: bool,
    pub context: Option<String>,
    pub server: Option<String>,
    pub aws_region: Option<String>,
    pub aws_profile: Option<String>,
    pub aws_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

pub struct Aws {
    pub config: SdkConfig,
    pub eks: aws_sdk_eks::Client,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub s3: aws_sdk_s3::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub kms: aws_sdk_kms::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub acm: aws_sdk_acm::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

pub struct Backend {
    pub kind: Option<TargetKind>,
    /// `Err`: why there is no Kubernetes client (no kubeconfig, bad context...).
    pub kube: Result<Client, String>,
    pub aws: Option<Aws>,
    pub report: TargetReport,
}

/// Whether the AWS profile `name` is defined in the shared config or credentials file
/// (AWS_CONFIG_FILE, else ~/.aws/config: `[profile NAME]`, or `[default]`; AWS_SHARED_CREDENTIALS_FILE,
/// else ~/.aws/credentials: `[NAME]`), as the AWS CLI reads them (AWS CLI user guide,
/// cli-configure-files). Err: what was found, for a message.
pub fn profile_defined(name: &str) -> Result<(), String> {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let file = |var: &str, default: &str| std::env::var_os(var).map(std::path::PathBuf::from).unwrap_or_else(|| home.join(".aws").join(default));
    let (config, credentials) = (file("AWS_CONFIG_FILE", "config"), file("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
    let sections = |path: &std::path::Path, config: bool| -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.trim().strip_prefix('[')?.strip_suffix(']').map(str::trim))
            .filter_map(|h| if config { h.strip_prefix("profile ").map(str::trim).or((h == "default").then_some(h)) } else { Some(h) })
            .map(str::to_string)
            .collect()
    };
    let mut known = sections(&config, true);
    known.extend(sections(&credentials, false));
    known.sort();
    known.dedup();
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    let there = if known.is_empty() { "no profiles are defined there".to_string() } else { format!("profiles there: {}", known.join(", ")) };
    Err(format!(
        "profile {name} is not defined in {} or {} ({there}): create it with aws configure --profile {name}, or name another",
        config.display(),
        credentials.display()
    ))
}

impl Aws {
    pub async fn load(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Self {
        // one TLS stack for everything: rustls with ring (see README, Stack)
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = region {
            loader = loader.region(Region::new(r.to_string()));
        }
        if let Some(e) = endpoint {
            // a local emulator: an error is an answer, retrying it only makes the learner wait
            loader = loader.endpoint_url(e).retry_config(aws_config::retry::RetryConfig::disabled());
        }
        let config = loader.load().await;
        Self::from_config(config, endpoint.is_some())
    }

    pub fn from_config(config: SdkConfig, emulator: bool) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(emulator).build();
        Self {
            eks: aws_sdk_eks::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            ec2: aws_sdk_ec2::Client::new(&config),
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            events: aws_sdk_eventbridge::Client::new(&config),
            kms: aws_sdk_kms::Client::new(&config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            acm: aws_sdk_acm::Client::new(&config),
            config,
        }
    }

    pub fn region(&self) -> Option<String> {
        self.config.region().map(|r| r.to_string())
    }
}

impl Backend {
    /// Connect to the target. Never fails: what is missing is recorded and checks that need it
    /// report `error` or `skip` with the reason.
    pub async fn connect(opts: &TargetOptions) -> Self {
        let mut report = TargetReport {
            kind: opts.kind,
            detected: false,
            context: None,
            server: None,
            aws_region: None,
            aws_profile: opts.aws_profile.clone(),
            aws_endpoint: opts.aws_endpoint.clone(),
            problem: None,
        };
        let kube = kube_client(opts, &mut report).await;
        let kind = match (opts.kind, &kube) {
            (Some(k), _) => Some(k),
            (None, Ok(client)) => {
                let detected = detect_kind(client).await;
                report.detected = detected.is_some();
                detected
            }
            (None, Err(_)) => None,
        };
        report.kind = kind;
        // AWS applies to EKS, or to any target when an emulator endpoint is given.
        let aws = if kind == Some(TargetKind::Eks) || opts.aws_endpoint.is_some() {
            let aws = Aws::load(opts.aws_profile.as_deref(), opts.aws_region.as_deref(), opts.aws_endpoint.as_deref()).await;
            report.aws_region = aws.region();
            Some(aws)
        } else {
            None
        };
        if let Err(e) = &kube {
            report.problem = Some(e.clone());
        }
        Self { kind, kube, aws, report }
    }
}

/// kube reads `HTTPS_PROXY` into its config (`proxy_url`), but this build has no proxy support
/// (kube's `http-proxy` feature is off), and such a config fails to make a client. A cluster on
/// the loopback interface (the sandbox's, kind's, kwok's) is reached directly, as kubectl
/// reaches it: Go's golang.org/x/net/http/httpproxy never proxies localhost or a loopback address.
pub fn direct_to_loopback(config: &mut kube::Config) {
    let host = config.cluster_url.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        config.proxy_url = None;
    }
}

async fn kube_client(opts: &TargetOptions, report: &mut TargetReport) -> Result<Client, String> {
    let kubeconfig = match &opts.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| format!("kubeconfig {}: {e}", path.display()))?,
        None => Kubeconfig::read().map_err(|e| format!("no usable kubeconfig ({e}): set KUBECONFIG or pass --context"))?,
    };
    let options = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
    let context = opts.context.clone().or_else(|| kubeconfig.current_context.clone());
    report.context = context.clone();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| format!("kube context {}: {e}", context.as_deref().unwrap_or("(none)")))?;
    report.server = Some(config.cluster_url.to_string());
    let mut config = config;
    direct_to_loopback(&mut config);
    // one-shot calls carry their own timeout (context::timed); watches must be able to idle
    config.connect_timeout = Some(CALL_TIMEOUT);
    config.read_timeout = None;
    Client::try_from(config).map_err(|e| format!("cannot build a Kubernetes client: {e}"))
}

/// EKS nodes have `aws:///<az>/<instance>` providerIDs; kind nodes `kind://`; kwok nodes carry
/// kwok's annotation.
async fn detect_kind(client: &Client) -> Option<TargetKind> {
    let nodes: Api<Node> = Api::all(client.clone());
    let list = tokio::time::timeout(CALL_TIMEOUT, nodes.list(&ListParams::default().limit(50))).await.ok()?.ok()?;
    let provider = |n: &Node| n.spec.as_ref().and_then(|s| s.provider_id.clone()).unwrap_or_default();
    if list.items.iter().any(|n| provider(n).starts_with("aws:///")) {
        Some(TargetKind::Eks)
    } else if list.items.iter().any(|n| provider(n).starts_with("kind://")) {
        Some(TargetKind::Kind)
    } else if list.items.iter().any(|n| n.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kwok.x-k8s.io/node"))) {
        Some(TargetKind::Kwok)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_cluster_is_reached_without_the_environments_proxy() {
        for (server, direct) in
            [("https://127.0.0.1:6443", true), ("https://[::1]:6443", true), ("https://localhost:6443", true), ("https://eks.example:443", false)]
        {
            let mut config = kube::Config::new(server.parse().expect("uri"));
            config.proxy_url = Some("http://127.0.0.1:3128".parse().expect("uri"));
            direct_to_loopback(&mut config);
            assert_eq!(config.proxy_url.is_none(), direct, "{server}");
        }
    }
}
