//! The proxy itself: an HTTP proxy on 127.0.0.1 that takes `CONNECT` (how curl, Go's
//! net/http and Python's urllib send HTTPS through `HTTPS_PROXY`, RFC 9110 section 9.3.6). To a host
//! of the table it answers itself: TLS with a certificate for that host signed by the sandbox's
//! CA, then one HTTP/1.1 request (`Connection: close`) answered from the table. To any other
//! host it is a plain tunnel, so the learner's other traffic keeps working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::ca::Authority;
use super::sources::{self, Answer};
use super::table::Table;

/// The longest request head read (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request.
const READ: std::time::Duration = std::time::Duration::from_secs(30);

struct State {
    table: Table,
    authority: Authority,
    configs: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
    http: reqwest::Client,
}

/// Serve on 127.0.0.1:`port` until the process is stopped.
pub async fn serve(folder: &std::path::Path, port: u16) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let authority = Authority::load(folder)?;
    let http = reqwest::Client::builder().no_proxy().build().map_err(|e| format!("cannot set up HTTPS for the module proxy: {e}"))?;
    let state = Arc::new(State { table: Table::builtin(), authority, configs: Mutex::new(HashMap::new()), http });
    let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!("the sandbox's downloads proxy listens on http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, &state).await {
                println!("{e}");
            }
        });
    }
}

/// The request head: everything up to the blank line.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Result<String, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err("a request head over 16 KiB".into());
        }
        match tokio::time::timeout(READ, stream.read(&mut byte)).await {
            Ok(Ok(1)) => head.push(byte[0]),
            Ok(Ok(_)) => return Err("the client closed the connection before its request ended".into()),
            Ok(Err(e)) => return Err(format!("reading a request: {e}")),
            Err(_) => return Err("no request within 30 s".into()),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn respond(stream: &mut (impl AsyncWrite + Unpin), status: u16, reason: &str, content_type: &str, body: &[u8], head_only: bool) -> std::io::Result<()> {
    respond_with(stream, (status, reason), content_type, "", body, head_only).await
}

/// `extra`: more header lines, each ending in CRLF.
async fn respond_with(
    stream: &mut (impl AsyncWrite + Unpin),
    (status, reason): (u16, &str),
    content_type: &str,
    extra: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(body).await?;
    }
    stream.flush().await
}

async fn connection(mut stream: TcpStream, state: &State) -> Result<(), String> {
    let head = read_head(&mut stream).await?;
    let line = head.lines().next().unwrap_or_default().to_string();
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    if method != "CONNECT" {
        let body = "the kubedojo sandbox's downloads proxy takes HTTPS only (CONNECT, as HTTPS_PROXY sends it); plain http:// requests do not go through it\n";
        let _ = respond(&mut stream, 405, "Method Not Allowed", "text/plain; charset=utf-8", body.as_bytes(), false).await;
        return Err(format!("refused {line}: not CONNECT"));
    }
    let (host, port) = target.rsplit_once(':').map_or((target, "443"), |(h, p)| (h, p));
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if !(state.table.answers(&host) && port == "443") {
        return tunnel(stream, &host, port).await;
    }
    stream.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.map_err(|e| e.to_string())?;
    let config = server_config(state, &host)?;
    let mut tls = tokio_rustls::TlsAcceptor::from(config).accept(stream).await.map_err(|e| format!("TLS with a client for {host}: {e}"))?;
    let head = read_head(&mut tls).await?;
    let line = head.lines().next().unwrap_or_default().to_string();
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let started = std::time::Instant::now();
    let mut extra = String::new();
    let (status, reason, content_type, body) = if method == "GET" || method == "HEAD" {
        match sources::answer(&state.table, &host, path, &state.http).await {
            Answer::Served { body, content_type } => (200, "OK", content_type, body),
            Answer::Registry { body, content_type, digest } => {
                if !digest.is_empty() {
                    extra = format!("Docker-Content-Digest: {digest}\r\n");
                }
                (200, "OK", content_type, body)
            }
            Answer::Refused { status, message } => {
                println!("{method} https://{host}{path}: {message}");
                let reason =
                    if status == 404 { "Not Found (not served by the kubedojo sandbox)" } else { "Bad Gateway (the kubedojo sandbox cannot serve it)" };
                (status, reason, "text/plain; charset=utf-8", (message + "\n").into_bytes())
            }
        }
    } else {
        (
            405,
            "Method Not Allowed",
            "text/plain; charset=utf-8",
            format!("the kubedojo sandbox answers GET and HEAD for https://{host}, not {method}\n").into_bytes(),
        )
    };
    respond_with(&mut tls, (status, reason), content_type, &extra, &body, method == "HEAD").await.map_err(|e| format!("answering {line}: {e}"))?;
    let _ = tls.shutdown().await;
    println!("{method} https://{host}{path} -> {status} ({} bytes in {} ms)", body.len(), started.elapsed().as_millis());
    Ok(())
}

/// A TLS configuration with a certificate for `host`, made once per host.
fn server_config(state: &State, host: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut configs = state.configs.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = configs.get(host) {
        return Ok(c.clone());
    }
    let leaf = state.authority.leaf(host)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(leaf)));
    // HTTP/1.1 only: Go's client would otherwise ask for h2 (ALPN) and curl too
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    configs.insert(host.to_string(), config.clone());
    Ok(config)
}

/// A plain tunnel to a host the sandbox does not answer.
async fn tunnel(mut client: TcpStream, host: &str, port: &str) -> Result<(), String> {
    let mut upstream = match TcpStream::connect(format!("{host}:{port}")).await {
        Ok(s) => s,
        Err(e) => {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await;
            return Err(format!("tunnel to {host}:{port}: {e}"));
        }
    };
    client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.map_err(|e| e.to_string())?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}
