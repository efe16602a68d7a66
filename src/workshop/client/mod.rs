//! The workshop's clients: a learner joining and reporting (`outbox.rs`, `reporter.rs`), the
//! instructor's commands and terminal board (`instructor.rs`, `board/`), and what they keep
//! on disk (`saved.rs`).

pub mod board;
pub mod instructor;
pub mod observe;
pub mod outbox;
pub mod reporter;
pub mod saved;

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::model::ApiErrorBody;

/// An HTTP client for the workshop server (rustls with ring, the platform's trust store).
pub fn http() -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("kubedojo/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| anyhow::anyhow!("could not set up HTTPS: {e}"))
}

/// What went wrong talking to the server, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the workshop server at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("the workshop server refused: {message} (HTTP {status})")]
    Refused { status: u16, message: String },
    #[error("the workshop server answered something unexpected: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Worth trying again later (network, overload, server errors), as opposed to a refusal
    /// that will not change.
    pub fn retryable(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::Protocol(_) => true,
            ClientError::Refused { status, .. } => *status == 429 || *status >= 500 || *status == 408,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn unreachable(server: &str, e: &reqwest::Error) -> ClientError {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    ClientError::Unreachable { server: server.to_string(), reason }
}

/// Send a request and read the answer's body, or the server's error message.
pub async fn send_bytes(server: &str, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ClientError> {
    let response = request.send().await.map_err(|e| unreachable(server, &e))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| unreachable(server, &e))?;
    if !status.is_success() {
        return Err(refusal(status.as_u16(), &bytes));
    }
    Ok(bytes.to_vec())
}

/// Send a request and read a JSON answer, or the server's error message.
pub async fn send<T: DeserializeOwned>(server: &str, request: reqwest::RequestBuilder) -> Result<T, ClientError> {
    let bytes = send_bytes(server, request).await?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(format!("{e} (is {server} a kubedojo workshop server?)")))
}

/// A refusal, with the server's `{"error": ...}` message (or the start of whatever it sent).
pub fn refusal(status: u16, body: &[u8]) -> ClientError {
    let message = serde_json::from_slice::<ApiErrorBody>(body).map(|b| b.error).unwrap_or_else(|_| String::from_utf8_lossy(body).chars().take(200).collect());
    ClientError::Refused { status, message }
}

/// `https://host:port/` -> `https://host:port` (and a board link -> its server).
pub fn base_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.find("/board/") {
        Some(i) => url[..i].to_string(),
        None => url.to_string(),
    }
}

/// The workshop id in a board link, if it is one.
pub fn workshop_in_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let i = url.find("/board/")?;
    let rest = &url[i + "/board/".len()..];
    let id = rest.split(['#', '?', '/']).next()?;
    (!id.is_empty()).then(|| id.to_string())
}
