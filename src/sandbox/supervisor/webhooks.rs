//! Admission webhooks that name a Service. A chart's webhook configuration (the AWS Load
//! Balancer Controller's `mservice`, `vingress`, ...) points the API server at a Service of the
//! chart; on kwok no pod serves it, and the API server would dial a cluster address, which
//! nothing here may send traffic to, and then refuse every Service or Ingress change
//! (shared/spec/sandbox-components.md, "Chart-installed webhooks"). The supervisor rewrites each
//! such `clientConfig` to a URL on 127.0.0.1 that it answers itself, with its own CA, as the
//! sandbox registers the pod identity webhook (`url` is allowed for loopback: k8s.io/api v0.37.2
//! admissionregistration/v1 types.go), and keeps doing so when a `helm upgrade` puts the Service
//! back. (A webhook whose program the supervisor runs would be pointed at that program instead;
//! none is in the table yet.)
//!
//! What is simulated, and how it differs: the answer admits the request unchanged, with a
//! warning that kubectl prints ("the kubedojo sandbox does not run the webhook of Service
//! NS/NAME: admitted without its checks"); the controller's own mutations and refusals do not
//! happen. The AdmissionReview is answered in the version it came in (admission.k8s.io/v1, or
//! v1beta1), with the request's uid, as k8s.io/apiserver v0.37.2 pkg/admission/plugin/webhook/
//! request/admissionreview.go requires.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig};
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The annotation a rewritten configuration carries: which Services its webhooks named.
pub const ANNOTATION: &str = "sandbox.kubedojo.dev/webhook-services";

/// The supervisor's admission endpoint: its base URL and the CA bundle that signs it.
pub struct Endpoint {
    pub url: String,
    ca: Vec<u8>,
}

/// Listen on a free port of 127.0.0.1 with a certificate for 127.0.0.1, and answer there.
pub async fn listen() -> Result<Endpoint, String> {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).map_err(|e| format!("cannot make the webhooks' certificate: {e}"))?;
    let pem = cert.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).map_err(|e| format!("the webhooks' key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .map_err(|e| format!("the webhooks' TLS configuration: {e}"))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| format!("the webhooks cannot listen on 127.0.0.1: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await
                    && let Err(e) = answer(tls).await
                {
                    eprintln!("admission request: {e}");
                }
            });
        }
    });
    Ok(Endpoint { url: format!("https://127.0.0.1:{port}"), ca: pem.into_bytes() })
}

/// One request (HTTP/1.1, a POST with a Content-Length body), one answer.
async fn answer(mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Result<(), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut chunk)).await.map_err(|_| "no request within 10 s")?.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
            break (end + 4, length);
        }
        if buf.len() > 1 << 20 {
            return Err("a request head over 1 MiB".into());
        }
    };
    while buf.len() < head_end + length {
        let n = tls.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let review: Value = serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
    let body = review_answer(&review, &path).to_string();
    let out = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    tls.write_all(out.as_bytes()).await.map_err(|e| e.to_string())?;
    let _ = tls.shutdown().await;
    Ok(())
}

/// The AdmissionReview answer for a request to `/NS/SERVICE/PATH`: admitted, with a warning.
pub fn review_answer(review: &Value, path: &str) -> Value {
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let (ns, service) = (parts.next().unwrap_or("?"), parts.next().unwrap_or("?"));
    let api_version = review["apiVersion"].as_str().filter(|v| v.starts_with("admission.k8s.io/")).unwrap_or("admission.k8s.io/v1");
    json!({
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "response": {
            "uid": review["request"]["uid"],
            "allowed": true,
            "warnings": [format!("the kubedojo sandbox does not run the webhook of Service {ns}/{service}: admitted without its checks")],
        }
    })
}

/// A webhook's client config that names a Service, pointed at the endpoint; None: nothing to do.
fn rewritten(config: &WebhookClientConfig, endpoint: &Endpoint) -> Option<(WebhookClientConfig, String)> {
    let service = config.service.as_ref()?;
    let path = service.path.clone().unwrap_or_default();
    let named = format!("{}/{}:{}", service.namespace, service.name, service.port.unwrap_or(443));
    let url =
        format!("{}/{}/{}{}", endpoint.url, service.namespace, service.name, if path.starts_with('/') || path.is_empty() { path } else { format!("/{path}") });
    Some((WebhookClientConfig { url: Some(url), service: None, ca_bundle: Some(ByteString(endpoint.ca.clone())) }, named))
}

/// Rewrite every webhook configuration that names a Service, now and whenever one appears or
/// comes back (every half second), until the supervisor stops.
pub async fn keep_rewriting(client: kube::Client, endpoint: Endpoint) {
    loop {
        if let Err(e) = rewrite_all(&client, &endpoint).await {
            eprintln!("rewriting webhook configurations: {e}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn rewrite_all(client: &kube::Client, endpoint: &Endpoint) -> Result<(), String> {
    rewrite_kind::<MutatingWebhookConfiguration>(client, endpoint, |c| c.webhooks.iter_mut().flatten().map(|w| &mut w.client_config).collect()).await?;
    rewrite_kind::<ValidatingWebhookConfiguration>(client, endpoint, |c| c.webhooks.iter_mut().flatten().map(|w| &mut w.client_config).collect()).await
}

/// The configurations of one kind: each webhook's client config (`configs`) that names a
/// Service pointed at the endpoint, and the configuration saved when one was.
async fn rewrite_kind<K>(client: &kube::Client, endpoint: &Endpoint, configs: impl Fn(&mut K) -> Vec<&mut WebhookClientConfig>) -> Result<(), String>
where
    K: kube::Resource<Scope = kube::core::ClusterResourceScope> + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::all(client.clone());
    for mut c in api.list(&ListParams::default()).await.map_err(|e| crate::kube_text::error(&e))? {
        let mut named = Vec::new();
        for config in configs(&mut c) {
            if let Some((rewritten, service)) = rewritten(config, endpoint) {
                *config = rewritten;
                named.push(service);
            }
        }
        save(&api, &c, named).await?;
    }
    Ok(())
}

/// Replace the configuration when a webhook was rewritten, annotated with what it named; a
/// conflict (someone changed it meanwhile) waits for the next round.
async fn save<K>(api: &Api<K>, object: &K, named: Vec<String>) -> Result<(), String>
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if named.is_empty() {
        return Ok(());
    }
    let mut object = object.clone();
    let name = object.meta().name.clone().unwrap_or_default();
    let annotations = object.meta_mut().annotations.get_or_insert_with(Default::default);
    annotations.insert(ANNOTATION.to_string(), named.join(", "));
    match api.replace(&name, &PostParams::default(), &object).await {
        Ok(_) => {
            println!("webhook configuration {name}: its webhooks for {} now go to the sandbox's admission endpoint", named.join(", "));
            Ok(())
        }
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(format!("{name}: {}", crate::kube_text::error(&e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_is_admitted_in_its_version_with_its_uid_and_a_warning() {
        let v1beta1 = json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u-1"}});
        let a = review_answer(&v1beta1, "/kube-system/aws-load-balancer-webhook-service/mutate-v1-service");
        assert_eq!(a["apiVersion"], "admission.k8s.io/v1beta1");
        assert_eq!((a["response"]["uid"].as_str(), a["response"]["allowed"].as_bool()), (Some("u-1"), Some(true)));
        assert_eq!(
            a["response"]["warnings"][0],
            "the kubedojo sandbox does not run the webhook of Service kube-system/aws-load-balancer-webhook-service: admitted without its checks"
        );
        let v1 = review_answer(&json!({"apiVersion": "admission.k8s.io/v1", "request": {"uid": "u-2"}}), "/ns/svc");
        assert_eq!(v1["apiVersion"], "admission.k8s.io/v1");
    }

    #[test]
    fn a_service_reference_becomes_a_url_on_loopback_with_its_path() {
        let endpoint = Endpoint { url: "https://127.0.0.1:4443".into(), ca: b"PEM".to_vec() };
        let config = WebhookClientConfig {
            service: Some(k8s_openapi::api::admissionregistration::v1::ServiceReference {
                namespace: "kube-system".into(),
                name: "aws-load-balancer-webhook-service".into(),
                path: Some("/validate-networking-v1-ingress".into()),
                port: None,
            }),
            ..Default::default()
        };
        let (out, named) = rewritten(&config, &endpoint).expect("rewritten");
        assert_eq!(out.url.as_deref(), Some("https://127.0.0.1:4443/kube-system/aws-load-balancer-webhook-service/validate-networking-v1-ingress"));
        assert!(out.service.is_none());
        assert_eq!(out.ca_bundle, Some(ByteString(b"PEM".to_vec())));
        assert_eq!(named, "kube-system/aws-load-balancer-webhook-service:443");
        assert!(rewritten(&out, &endpoint).is_none(), "a URL is left alone");
    }
}
