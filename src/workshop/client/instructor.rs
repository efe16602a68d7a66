//! The instructor's side of the API: which workshop (flags, environment, or what
//! `workshop create` saved), the board and its stream, pacing, join codes, exports.

use std::path::Path;

use anyhow::bail;
use futures::StreamExt as _;
use tokio::sync::mpsc;

use super::saved::InstructorCredentials;
use super::{ClientError, base_url, http, refusal, send, send_bytes, workshop_in_url};
use crate::workshop::model::{Board, BoardUpdate, JoinCodeAction, JoinCodeRequest, JoinCodeResponse, Pacing, PacingChange};

/// Which workshop, on which server, with which instructor token, as the caller was given them
/// (the command line turns its flags and environment into this). What is `None` comes from the
/// board link, else from what `workshop create` saved on this machine.
#[derive(Debug, Clone, Default)]
pub struct InstructorOptions {
    /// The server, or the board link `workshop create` printed (http://host:7420/board/ID).
    pub server: Option<String>,
    /// The workshop id.
    pub workshop: Option<String>,
    /// The instructor token.
    pub token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Instructor {
    pub server: String,
    pub workshop: String,
    token: String,
    client: reqwest::Client,
    /// For the board's stream: no overall timeout (it stays open).
    stream: reqwest::Client,
}

fn stream_client() -> anyhow::Result<reqwest::Client> {
    http()?;
    reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(5)).build().map_err(|e| anyhow::anyhow!("could not set up HTTPS: {e}"))
}

impl Instructor {
    /// Flags and environment first, then the credentials `workshop create` saved here.
    pub fn resolve(options: &InstructorOptions, state_dir: Option<&Path>) -> anyhow::Result<Instructor> {
        let saved = match state_dir {
            Some(d) => InstructorCredentials::all(d)?,
            None => Vec::new(),
        };
        let workshop = options.workshop.clone().or_else(|| options.server.as_deref().and_then(workshop_in_url));
        let pick = match &workshop {
            Some(w) => saved.iter().find(|c| &c.workshop == w),
            None => saved.first(),
        };
        let Some(workshop) = workshop.or_else(|| pick.map(|c| c.workshop.clone())) else {
            bail!("which workshop? give the board link (http://HOST:7420/board/ID) or --workshop ID; none was created on this machine");
        };
        let server = match (&options.server, pick) {
            (Some(s), _) => base_url(s),
            (None, Some(c)) => c.server.clone(),
            (None, None) => bail!("which server? give its URL, e.g. kubedojo board http://HOST:7420/board/{workshop}"),
        };
        let Some(token) = options.token.clone().or_else(|| pick.map(|c| c.token.clone())) else {
            bail!("no instructor token for workshop {workshop}: set KUBEDOJO_INSTRUCTOR_TOKEN (it was printed by `kubedojo workshop create`)");
        };
        Ok(Instructor { server, workshop, token, client: http()?, stream: stream_client()? })
    }

    pub fn new(server: &str, workshop: &str, token: &str) -> anyhow::Result<Instructor> {
        Ok(Instructor { server: base_url(server), workshop: workshop.to_string(), token: token.to_string(), client: http()?, stream: stream_client()? })
    }

    fn url(&self, what: &str) -> String {
        format!("{}/api/workshops/{}/{what}", self.server, self.workshop)
    }

    pub async fn board(&self) -> Result<Board, ClientError> {
        send(&self.server, self.client.get(self.url("board")).bearer_auth(&self.token)).await
    }

    pub async fn pacing(&self, change: &PacingChange) -> Result<Pacing, ClientError> {
        send(&self.server, self.client.post(self.url("pacing")).bearer_auth(&self.token).json(change)).await
    }

    pub async fn join_code(&self, action: JoinCodeAction) -> Result<JoinCodeResponse, ClientError> {
        send(&self.server, self.client.post(self.url("join-code")).bearer_auth(&self.token).json(&JoinCodeRequest { action })).await
    }

    pub async fn export(&self, format: &str) -> Result<String, ClientError> {
        let bytes = send_bytes(&self.server, self.client.get(self.url("export")).query(&[("format", format)]).bearer_auth(&self.token)).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Follow the board's stream, sending what arrives, and reconnecting (with a whole board
    /// first each time) until `tx` closes. Refusals (a wrong token) end it with the error.
    pub async fn follow(&self, tx: mpsc::UnboundedSender<StreamMessage>) {
        let mut backoff = std::time::Duration::from_millis(500);
        loop {
            match self.stream_once(&tx).await {
                Ok(()) => {}
                Err(e) if !e.retryable() => {
                    let _ = tx.send(StreamMessage::Refused(e.to_string()));
                    return;
                }
                Err(e) => {
                    if tx.send(StreamMessage::Disconnected(e.to_string())).is_err() {
                        return;
                    }
                }
            }
            if tx.is_closed() {
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(std::time::Duration::from_secs(10));
        }
    }

    async fn stream_once(&self, tx: &mpsc::UnboundedSender<StreamMessage>) -> Result<(), ClientError> {
        let response = self
            .stream
            .get(self.url("stream"))
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| ClientError::Unreachable { server: self.server.clone(), reason: e.to_string() })?;
        let status = response.status();
        if !status.is_success() {
            return Err(refusal(status.as_u16(), &response.bytes().await.unwrap_or_default()));
        }
        let mut body = response.bytes_stream();
        let mut parser = SseParser::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ClientError::Unreachable { server: self.server.clone(), reason: e.to_string() })?;
            for (name, data) in parser.feed(&chunk) {
                let message = match name.as_str() {
                    "board" => StreamMessage::Board(Box::new(serde_json::from_str(&data).map_err(|e| ClientError::Protocol(e.to_string()))?)),
                    "update" => StreamMessage::Update(serde_json::from_str(&data).map_err(|e| ClientError::Protocol(e.to_string()))?),
                    _ => continue,
                };
                if tx.send(message).is_err() {
                    return Ok(());
                }
            }
        }
        Err(ClientError::Unreachable { server: self.server.clone(), reason: "the stream ended".into() })
    }
}

#[derive(Debug, Clone)]
pub enum StreamMessage {
    Board(Box<Board>),
    Update(BoardUpdate),
    Disconnected(String),
    Refused(String),
}

/// Server-sent events: blocks separated by a blank line, `event:` and `data:` lines.
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: String,
}

impl SseParser {
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.buffer.push_str(&String::from_utf8_lossy(bytes).replace("\r\n", "\n"));
        let mut out = Vec::new();
        while let Some(cut) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..cut + 2).collect();
            let mut name = "message".to_string();
            let mut data: Vec<&str> = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if !data.is_empty() {
                out.push((name, data.join("\n")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_blocks_split_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.feed(b"event: board\ndata: {\"a\"").is_empty());
        let got = p.feed(b":1}\n\n: keep-alive\n\nevent: update\r\ndata: x\r\ndata: y\r\n\r\n");
        assert_eq!(got, vec![("board".to_string(), "{\"a\":1}".to_string()), ("update".to_string(), "x\ny".to_string())]);
    }

    #[test]
    fn board_links_give_server_and_workshop() {
        assert_eq!(base_url("http://h:7420/board/abc#token=x"), "http://h:7420");
        assert_eq!(workshop_in_url("http://h:7420/board/abc#token=x").as_deref(), Some("abc"));
        assert_eq!(workshop_in_url("http://h:7420/"), None);
    }
}
