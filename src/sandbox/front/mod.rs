//! The sandbox's AWS front: one endpoint on 127.0.0.1 for everything that talks AWS in the
//! sandbox (the learner's `aws` CLI, the SDKs, kubedojo's checks, through `AWS_ENDPOINT_URL`).
//! It answers the EKS APIs that the emulator (moto) lacks and the labs use ([`eks`]: add-ons and
//! their updates; [`pod_identity`]: Pod Identity associations; [`cluster`]: the cluster
//! configuration moto keeps only in part; [`updates`]: UpdateClusterConfig and
//! AssociateEncryptionConfig; [`access`]: access entries and access policies; [`nodegroups`]:
//! UpdateNodegroupVersion, whose drain the cluster's disruption budgets decide; [`versions`]:
//! DescribeClusterVersions from the course's version table), following the EKS API reference,
//! IAM's SimulatePrincipalPolicy ([`simulate`]), and what Karpenter reads from SSM and EC2 that
//! the emulator lacks ([`ec2`]: the EKS optimized AMIs' parameters, a fleet's instances in their
//! launch template's security groups), and passes every other request to the
//! emulator unchanged. Which service a request is for is
//! read from its SigV4 credential scope, as AWS reads it.

pub mod access;
pub mod cluster;
pub mod ec2;
pub mod eks;
pub mod install;
pub mod nodegroups;
pub mod pod_identity;
pub mod simulate;
pub mod state;
pub mod updates;
pub mod versions;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The largest request body passed on (an S3 upload in a lab is a few KB).
const MAX_BODY: usize = 64 * 1024 * 1024;

pub struct FrontOptions {
    /// The emulator's URL (moto in server mode).
    pub emulator: String,
    /// How long a simulated change stays in progress (an add-on CREATING, UPDATING, DELETING)
    /// before it settles; EKS takes about a minute, the sandbox less.
    pub settle: Duration,
    /// The EKS add-ons it knows (name, the version it installs when none is asked for).
    pub addons: Vec<(String, String)>,
    /// The Kubernetes versions EKS offers, with their support dates (DescribeClusterVersions).
    pub releases: Vec<crate::content::versions::Release>,
    /// The sandbox cluster's kubeconfig: where an add-on's objects go ([`install`]); None: nowhere.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The pod identity webhook's identities file, rewritten with every Pod Identity
    /// association ([`pod_identity`]); None: no webhook to tell.
    pub pod_identities: Option<std::path::PathBuf>,
}

/// The add-ons of the course's version table (`components.eks-addon-NAME`).
pub fn addon_versions(versions: &crate::content::versions::Versions) -> Vec<(String, String)> {
    versions.components.iter().filter_map(|c| Some((c.id.strip_prefix("eks-addon-")?.to_string(), c.version.clone()))).collect()
}

/// The Kubernetes releases of the course's version table (`[[kubernetes.releases]]`).
pub fn kubernetes_releases(versions: &crate::content::versions::Versions) -> Vec<crate::content::versions::Release> {
    versions.kubernetes.as_ref().map(|k| k.releases.clone()).unwrap_or_default()
}

/// The front, serving until dropped.
pub struct Front {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    emulator: String,
    http: reqwest::Client,
    eks: eks::Eks,
    ec2: ec2::Ec2,
    pod_identity: pod_identity::PodIdentity,
    clusters: cluster::Clusters,
    nodegroups: nodegroups::Nodegroups,
    versions: versions::ClusterVersions,
    install: install::Installer,
}

impl Front {
    /// Listen on a free port of 127.0.0.1.
    pub async fn start(options: FrontOptions) -> std::io::Result<Front> {
        Self::start_on(options, 0).await
    }

    /// Listen on `port` of 127.0.0.1 (0: a free one).
    pub async fn start_on(options: FrontOptions, port: u16) -> std::io::Result<Front> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        // plain HTTP to the emulator on loopback; reqwest still wants a TLS provider installed
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder().no_proxy().build().map_err(std::io::Error::other)?;
        let eks = eks::Eks::new(options.settle, options.addons);
        let install = match &options.kubeconfig {
            Some(path) => install::Installer::connect(path).await.map_err(std::io::Error::other)?,
            None => install::Installer::none(),
        };
        let shared = Arc::new(Shared {
            emulator: options.emulator.trim_end_matches('/').to_string(),
            http,
            eks,
            ec2: ec2::Ec2::default(),
            pod_identity: pod_identity::PodIdentity::new(options.pod_identities.clone())?,
            clusters: cluster::Clusters::new(options.settle),
            nodegroups: nodegroups::Nodegroups::new(options.settle),
            versions: versions::ClusterVersions::new(options.releases),
            install,
        });
        let app = Router::new().fallback(handle).with_state(shared);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "the sandbox's AWS front stopped");
            }
        });
        Ok(Front { addr, task })
    }

    /// What `AWS_ENDPOINT_URL` is set to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `kubedojo sandbox front`: serve until SIGTERM or Ctrl-C, saying where on stdout.
pub async fn serve(
    emulator: String,
    port: u16,
    (kubeconfig, pod_identities): (Option<std::path::PathBuf>, Option<std::path::PathBuf>),
    addons: Vec<(String, String)>,
    releases: Vec<crate::content::versions::Release>,
) -> Result<(), String> {
    let front = Front::start_on(FrontOptions { emulator, settle: SANDBOX_SETTLE, addons, releases, kubeconfig, pod_identities }, port)
        .await
        .map_err(|e| format!("the AWS front cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!("the sandbox's AWS front listens on {}", front.url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// How long an add-on change or a cluster update stays in progress in the sandbox (EKS: about a minute; long
/// enough here that a learner sees CREATING, short enough that `aws eks wait` returns at its
/// first poll).
pub const SANDBOX_SETTLE: Duration = Duration::from_secs(5);

/// The region and service a request is signed for (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`,
/// in the Authorization header or, presigned, the `X-Amz-Credential` query parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub region: String,
    pub service: String,
}

impl Scope {
    pub fn of(headers: &HeaderMap, query: Option<&str>) -> Option<Scope> {
        let from_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|a| a.split("Credential=").nth(1)).map(str::to_string);
        let from_query = || query?.split('&').find_map(|kv| kv.strip_prefix("X-Amz-Credential=")).map(|v| v.replace("%2F", "/").replace("%2f", "/"));
        let credential = from_header.or_else(from_query)?;
        let mut parts = credential.split(['/', ',']);
        let (_key, _date, region, service) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(Scope { region: region.to_string(), service: service.to_string() })
    }
}

/// An AWS request as the handlers read it.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    pub scope: &'a Scope,
    pub method: &'a axum::http::Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

async fn handle(State(front): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::PAYLOAD_TOO_LARGE, format!("the sandbox's AWS front takes bodies up to 64 MiB: {e}")).into_response(),
    };
    let scope = Scope::of(&parts.headers, parts.uri.query());
    if let Some(scope) = scope.as_ref().filter(|s| s.service == "eks") {
        let call = Call { scope, method: &parts.method, path: parts.uri.path(), query: parts.uri.query(), headers: &parts.headers, body: &body };
        if let Some(answer) = front.versions.handle(&call) {
            return answer;
        }
        if let Some(answer) = front.clusters.handle(&front, &call).await {
            return answer;
        }
        if let Some(answer) = front.nodegroups.handle(&front, &call).await {
            return answer;
        }
        if let Some(answer) = front.eks.handle(&front, &call).await {
            return answer;
        }
        if let Some(answer) = front.pod_identity.handle(&front, &call).await {
            return answer;
        }
        if let Some(answer) = access::handle(&front, &call).await {
            return answer;
        }
    }
    if let Some(scope) = scope.as_ref().filter(|s| s.service == "iam") {
        let call = Call { scope, method: &parts.method, path: parts.uri.path(), query: parts.uri.query(), headers: &parts.headers, body: &body };
        if let Some(answer) = simulate::handle(&front, &call).await {
            return answer;
        }
    }
    if let Some(scope) = scope.as_ref().filter(|s| s.service == "ssm" || s.service == "ec2") {
        let call = Call { scope, method: &parts.method, path: parts.uri.path(), query: parts.uri.query(), headers: &parts.headers, body: &body };
        if let Some(answer) = front.ec2.handle(&front, &call).await {
            return answer;
        }
    }
    forward(&front, &parts.method, parts.uri.path_and_query().map_or("/", |p| p.as_str()), &parts.headers, body).await
}

/// The request as it came, to the emulator; its answer as it came back.
async fn forward(front: &Shared, method: &axum::http::Method, path_and_query: &str, headers: &HeaderMap, body: axum::body::Bytes) -> Response {
    match send(front, method, path_and_query, headers, body).await {
        Ok(r) => {
            let mut out = Response::builder().status(r.status());
            for (k, v) in r.headers() {
                if k != header::TRANSFER_ENCODING && k != header::CONNECTION && k != header::CONTENT_LENGTH {
                    out = out.header(k, v);
                }
            }
            let bytes = r.bytes().await.unwrap_or_default();
            out.body(Body::from(bytes)).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(e) => unreachable_emulator(&front.emulator, &e).into_response(),
    }
}

async fn send(
    front: &Shared,
    method: &axum::http::Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: axum::body::Bytes,
) -> reqwest::Result<reqwest::Response> {
    let mut request = front.http.request(method.clone(), format!("{}{path_and_query}", front.emulator));
    for (k, v) in headers {
        // the Host header stays: S3 reads the bucket from it
        if k != header::CONTENT_LENGTH && k != header::TRANSFER_ENCODING && k != header::CONNECTION {
            request = request.header(k, v);
        }
    }
    request.body(body).send().await
}

fn unreachable_emulator(url: &str, e: &reqwest::Error) -> eks::ApiError {
    let message = format!("the sandbox's AWS emulator at {url} does not answer ({e}); start the sandbox again with `kubedojo sandbox up`");
    eks::api_error(StatusCode::BAD_GATEWAY, "ServiceUnavailableException", &message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_is_read_from_the_credential_scope() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=testing/20261207/eu-west-1/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc".parse().unwrap(),
        );
        assert_eq!(Scope::of(&h, None), Some(Scope { region: "eu-west-1".into(), service: "eks".into() }));
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=testing%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T000000Z";
        assert_eq!(Scope::of(&HeaderMap::new(), Some(q)), Some(Scope { region: "us-east-1".into(), service: "s3".into() }));
        assert_eq!(Scope::of(&HeaderMap::new(), None), None);
    }
}
