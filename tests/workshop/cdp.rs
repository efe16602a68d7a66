//! A small Chrome DevTools Protocol client: Debian's headless chromium (no browser download),
//! one page, navigate and evaluate JavaScript. Enough to test the web board as a browser
//! shows it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Browser {
    child: Child,
    socket: Socket,
    session: String,
    next_id: u64,
    _profile: tempfile::TempDir,
}

pub fn chromium() -> PathBuf {
    std::env::var("KUBEDOJO_TEST_CHROMIUM")
        .ok()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("chromium is not set up: run `eval \"$(tests/testenv.sh up)\"` (it installs Debian's chromium; tests/run-all.sh does this)"))
}

impl Browser {
    pub async fn launch() -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let port_file = profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        let text = loop {
            if let Ok(t) = std::fs::read_to_string(&port_file)
                && t.lines().count() >= 2
            {
                break t;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "chromium did not open its DevTools port within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let mut lines = text.lines();
        let (port, path) = (lines.next().expect("port"), lines.next().expect("path"));
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}{path}")).await.expect("connect to chromium");
        let mut b = Browser { child, socket, session: String::new(), next_id: 0, _profile: profile };
        let target = b.call(None, "Target.createTarget", json!({"url": "about:blank"})).await;
        let target = target["targetId"].as_str().expect("targetId").to_string();
        let attached = b.call(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true})).await;
        b.session = attached["sessionId"].as_str().expect("sessionId").to_string();
        b
    }

    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.socket.send(Message::Text(msg.to_string().into())).await.expect("send to chromium");
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("chromium answered within 30 s")
                .expect("socket open")
                .expect("frame");
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(&text).expect("json");
            if v["id"].as_u64() == Some(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Open a page and wait until it has loaded.
    pub async fn navigate(&mut self, url: &str) {
        let session = self.session.clone();
        self.call(Some(&session), "Page.navigate", json!({"url": url})).await;
        let origin = url.split('#').next().unwrap_or(url).to_string();
        self.wait_for(&format!("location.href.startsWith({origin:?}) && document.readyState === 'complete'"), Duration::from_secs(15)).await;
    }

    /// Evaluate an expression in the page; its value (JSON).
    pub async fn eval(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let r = self.call(Some(&session), "Runtime.evaluate", json!({"expression": expression, "returnByValue": true, "awaitPromise": true})).await;
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Wait until the expression is true in the page (an exception while the page is still
    /// loading counts as not yet); how long it took.
    pub async fn wait_for(&mut self, expression: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        let guarded = format!("(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()");
        while start.elapsed() < limit {
            if self.eval(&guarded).await == json!(true) {
                return start.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let body = self.eval("document.body ? document.body.innerText : ''").await;
        panic!("not true within {limit:?}: {expression}\npage text:\n{}", body.as_str().unwrap_or_default());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
