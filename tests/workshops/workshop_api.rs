//! The workshop server's API against the real server on loopback, on SQLite and on
//! PostgreSQL: every refusal (401, 403, 413, 400, 429), idempotent events, pacing, join
//! codes, exports, and no acknowledged event lost when the server is killed mid-workshop.

use std::time::Duration;

use crate::workshop::{Backend, Server, Store, board, check_event, http, join, send, step_event};
use kubedojo::workshop::model::{CellState, EventKind};

const EX: &str = "alb-ingress";
const STEP: &str = "controller-iam";
const STEP2: &str = "install-controller";

async fn status_and_error(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

/// Join with an earlier join's token: answers 200 with `rejoined` and the same token; the learner id.
async fn join_again(c: &reqwest::Client, url: &str, code: &str, name: &str, token: &str) -> String {
    let res = c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": code, "name": name, "rejoin": token})).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["rejoined"].as_bool(), body["token"].as_str()), (Some(true), Some(token)), "{body}");
    body["learner"].as_str().expect("learner").to_string()
}

on_both!(refusals);
async fn refusals(backend: Backend) {
    let store = Store::new(backend).await;
    let a = store.create("Workshop A");
    let b = store.create("Workshop B");
    let server = Server::start(&store, &["--rate", "5", "--max-learners", "3"]);
    let url = &server.url;
    let (_, learner) = join(url, &a.code, "Ada").await;
    let c = http();

    // 401: no token, a malformed header, an unknown token
    let (s, e) = status_and_error(c.get(format!("{url}/api/workshops/{}/board", a.id)).send().await.unwrap()).await;
    assert_eq!((s, e.contains("missing bearer token")), (401, true), "{e}");
    let (s, _) = status_and_error(c.get(format!("{url}/api/pacing")).header("Authorization", "Basic abc").send().await.unwrap()).await;
    assert_eq!(s, 401);
    let (s, e) = status_and_error(c.get(format!("{url}/api/pacing")).bearer_auth("kdl_not-a-real-token").send().await.unwrap()).await;
    assert_eq!((s, e.contains("unknown token")), (401, true), "{e}");

    // 403: the wrong kind of token, the wrong workshop, a wrong join code
    let (s, e) = status_and_error(c.get(format!("{url}/api/workshops/{}/board", a.id)).bearer_auth(&learner).send().await.unwrap()).await;
    assert_eq!((s, e.contains("learner token")), (403, true), "{e}");
    let (s, e) = status_and_error(c.get(format!("{url}/api/workshops/{}/board", b.id)).bearer_auth(&a.token).send().await.unwrap()).await;
    assert_eq!((s, e.contains("another workshop")), (403, true), "{e}");
    let (s, _) = status_and_error(c.get(format!("{url}/api/workshops/{}/export", b.id)).bearer_auth(&a.token).send().await.unwrap()).await;
    assert_eq!(s, 403);
    let (s, _) = status_and_error(
        c.post(format!("{url}/api/workshops/{}/pacing", b.id)).bearer_auth(&a.token).json(&serde_json::json!({"lock": [EX]})).send().await.unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, e) = status_and_error(send(url, &a.token, &[check_event("x1", EX, STEP, true, None)]).await).await;
    assert_eq!((s, e.contains("instructor token cannot send")), (403, true), "{e}");
    let (s, e) =
        status_and_error(c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": "WRONG-CODE", "name": "Eve"})).send().await.unwrap()).await;
    assert_eq!((s, e.contains("not valid")), (403, true), "{e}");

    // 400: bad JSON, a missing field, a step of no workshop, an empty name
    let (s, e) = status_and_error(
        c.post(format!("{url}/api/events")).bearer_auth(&learner).header("Content-Type", "application/json").body("{not json").send().await.unwrap(),
    )
    .await;
    assert_eq!((s, e.contains("invalid JSON")), (400, true), "{e}");
    let (s, e) = status_and_error(
        c.post(format!("{url}/api/events")).bearer_auth(&learner).json(&serde_json::json!({"events": [{"id": "e", "kind": "check"}]})).send().await.unwrap(),
    )
    .await;
    assert_eq!((s, e.contains("missing field")), (400, true), "{e}");
    let (s, e) = status_and_error(send(url, &learner, &[check_event("x2", "no-such-exercise", "s", true, None)]).await).await;
    assert_eq!((s, e.contains("not a step of this workshop")), (400, true), "{e}");
    let (s, e) = status_and_error(c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": a.code, "name": "  "})).send().await.unwrap()).await;
    assert_eq!((s, e.contains("name is empty")), (400, true), "{e}");

    let (s, e) = status_and_error(send(url, &learner, &[check_event("x3", EX, STEP, false, Some("a\u{0}b"))]).await).await;
    assert_eq!((s, e.contains("control")), (400, true), "{e}");
    let (s, e) =
        status_and_error(c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": a.code, "name": "Ev\u{202E}e"})).send().await.unwrap()).await;
    assert_eq!((s, e.contains("formatting")), (400, true), "{e}");

    // 409: a name another learner has (without case); the same learner joining again with its
    // token keeps its id and token, renamed
    let (s, e) = status_and_error(c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": a.code, "name": " ada "})).send().await.unwrap()).await;
    assert_eq!((s, e.contains("has joined this workshop already")), (409, true), "{e}");
    let ada_id = join_again(&c, url, &a.code, "Ada L.", &learner).await;
    assert_eq!(ada_id, join_again(&c, url, &a.code, "Ada L.", &learner).await, "the same learner, not a second one");

    // 409: a full workshop (--max-learners 3)
    join(url, &a.code, "Bob").await;
    join(url, &a.code, "Cy").await;
    let (s, e) = status_and_error(c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": a.code, "name": "Dee"})).send().await.unwrap()).await;
    assert_eq!((s, e.contains("full")), (409, true), "{e}");

    // 413: a body over the limit
    let huge = "x".repeat(400 * 1024);
    let (s, e) = status_and_error(
        c.post(format!("{url}/api/events"))
            .bearer_auth(&learner)
            .header("Content-Type", "application/json")
            .body(format!("{{\"events\":[],\"pad\":\"{huge}\"}}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, e.contains("larger than")), (413, true), "{e}");

    // 429: over the per-token rate (5/s, burst 15), with Retry-After
    let mut limited = None;
    for _ in 0..40 {
        let res = c.get(format!("{url}/api/pacing")).bearer_auth(&learner).send().await.unwrap();
        if res.status() == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the learner's token was never rate limited");
    let retry: u64 = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=2).contains(&retry), "{retry}");
    // another token is not limited by this one
    assert_eq!(c.get(format!("{url}/api/workshops/{}/board", a.id)).bearer_auth(&a.token).send().await.unwrap().status(), 200);

    // no token and no learner name in the server's log
    let log = server.log();
    assert!(log.contains("route=\"/api/events\""), "{log}");
    for secret in [&learner, &a.token, &a.code, &"Ada".to_string()] {
        assert!(!log.contains(secret.as_str()), "the log has {secret}: {log}");
    }
}

on_both!(events_are_stored_once_and_fold_into_the_board);
async fn events_are_stored_once_and_fold_into_the_board(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Fold");
    let server = Server::start(&store, &[]);
    let (ada, ada_token) = join(&server.url, &w.code, "Ada").await;
    let (bob, bob_token) = join(&server.url, &w.code, "Bob").await;
    let (_, formula_token) = join(&server.url, &w.code, "=HYPERLINK(\"http://evil\")").await;
    // a learner whose clock is an hour behind: their failure is not an hour old
    let hour = 3_600_000;
    let late = kubedojo::workshop::model::EventBatch {
        events: vec![kubedojo::workshop::model::Event {
            at: kubedojo::workshop::model::now_ms() - hour,
            ..check_event("f1", EX, STEP2, false, Some("no IngressClass alb"))
        }],
        sent_at: Some(kubedojo::workshop::model::now_ms() - hour),
    };
    assert_eq!(http().post(format!("{}/api/events", server.url)).bearer_auth(&formula_token).json(&late).send().await.unwrap().status(), 200);
    let batch = vec![
        step_event("a1", EventKind::StepOpened, EX, STEP),
        check_event("a2", EX, STEP, false, Some("the policy lacks elasticloadbalancing:CreateLoadBalancer")),
        step_event("a3", EventKind::HintRevealed, EX, STEP),
    ];
    let res = send(&server.url, &ada_token, &batch).await;
    assert_eq!(res.status(), 200);
    let ack: serde_json::Value = res.json().await.unwrap();
    assert_eq!((ack["stored"].as_array().unwrap().len(), ack["duplicates"].as_u64()), (3, Some(0)));
    // the same batch again (a lost acknowledgement): stored once
    let ack: serde_json::Value = send(&server.url, &ada_token, &batch).await.json().await.unwrap();
    assert_eq!((ack["stored"].as_array().unwrap().len(), ack["duplicates"].as_u64()), (3, Some(3)));
    send(&server.url, &bob_token, &[check_event("b1", EX, STEP, false, Some("the policy lacks elasticloadbalancing:CreateLoadBalancer"))]).await;
    send(&server.url, &bob_token, &[check_event("b2", EX, STEP2, false, Some("no IngressClass alb"))]).await;

    let b = board(&server.url, &w.id, &w.token).await;
    let row = |id: &str| b.learners.iter().find(|l| l.id == id).unwrap().clone();
    let cell = row(&ada).cells[&format!("{EX}/{STEP}")].clone();
    assert_eq!((cell.state, cell.checks, cell.hints), (CellState::Failing, 1, 1));
    assert_eq!(row(&ada).current.as_deref(), Some(&*format!("{EX}/{STEP}")));
    assert_eq!(row(&bob).cells.len(), 2);
    let formula = b.learners.iter().find(|l| l.name.starts_with('=')).unwrap();
    let since = formula.cells[&format!("{EX}/{STEP2}")].failing_since.unwrap();
    assert!(kubedojo::workshop::model::now_ms() - since < 60_000, "the skewed clock was not corrected: {since}");
    // the room's most common failure first, with how many learners see it
    assert_eq!(b.failures[0].learners, 2, "{:?}", b.failures);
    assert_eq!(b.failures[0].step, format!("{EX}/{STEP}"));
    assert_eq!((b.failures[1].step.as_str(), b.failures[1].learners), (&*format!("{EX}/{STEP2}"), 2));
    assert!(b.failures[0].message.contains("CreateLoadBalancer"));

    // Ada fixes it and completes the step: green, out of the failures
    send(&server.url, &ada_token, &[check_event("a4", EX, STEP, true, None), step_event("a5", EventKind::StepCompleted, EX, STEP)]).await;
    let b = board(&server.url, &w.id, &w.token).await;
    assert_eq!(b.learners.iter().find(|l| l.id == ada).unwrap().cells[&format!("{EX}/{STEP}")].state, CellState::Done);
    assert_eq!(b.failures.iter().find(|f| f.step == format!("{EX}/{STEP}")).unwrap().learners, 1);

    // the export says who completed what
    let csv = http().get(format!("{}/api/workshops/{}/export?format=csv", server.url, w.id)).bearer_auth(&w.token).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with("workshop,learner_id,learner,exercise,step,state,completed,completed_at,"), "{csv}");
    let ada_line = csv.lines().find(|l| l.contains(&ada) && l.contains(STEP)).unwrap();
    assert!(ada_line.contains(",done,yes,20"), "{ada_line}");
    let json: serde_json::Value =
        http().get(format!("{}/api/workshops/{}/export?format=json", server.url, w.id)).bearer_auth(&w.token).send().await.unwrap().json().await.unwrap();
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","), "a formula cell is defused: {csv}");
    let learners = json["learners"].as_array().unwrap();
    assert_eq!(learners.len(), 3);
    let ada_json = learners.iter().find(|l| l["id"] == ada.as_str()).unwrap();
    assert_eq!(ada_json["completed"], 1);
    assert_eq!(ada_json["steps"][0]["hints"], 1);
    let (s, _) =
        status_and_error(http().get(format!("{}/api/workshops/{}/export?format=xml", server.url, w.id)).bearer_auth(&w.token).send().await.unwrap()).await;
    assert_eq!(s, 400);
}

on_both!(simultaneous_joins_with_one_name_make_one_learner);
/// Eight joins with the same name at the same moment: one learner, seven refusals (the unique
/// index of migration 2 closes the gap between the name check and the insert).
async fn simultaneous_joins_with_one_name_make_one_learner(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Workshop R");
    let server = Server::start(&store, &[]);
    let c = http();
    let tries = (0..8).map(|i| {
        let (c, url, code) = (c.clone(), server.url.clone(), w.code.clone());
        let name = if i % 2 == 0 { "Zed" } else { "zed" };
        async move { c.post(format!("{url}/api/join")).json(&serde_json::json!({"code": code, "name": name})).send().await.unwrap().status().as_u16() }
    });
    let mut codes = futures::future::join_all(tries).await;
    codes.sort_unstable();
    assert_eq!(codes, [201, 409, 409, 409, 409, 409, 409, 409]);
    let b = board(&server.url, &w.id, &w.token).await;
    assert_eq!(b.learners.len(), 1, "{:?}", b.learners.iter().map(|l| &l.name).collect::<Vec<_>>());
}

on_both!(pacing_and_join_codes);
async fn pacing_and_join_codes(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Pacing");
    let server = Server::start(&store, &[]);
    let (_, learner) = join(&server.url, &w.code, "Ada").await;
    let c = http();
    let pace = |body: serde_json::Value| c.post(format!("{}/api/workshops/{}/pacing", server.url, w.id)).bearer_auth(&w.token).json(&body).send();
    assert_eq!(pace(serde_json::json!({"lock": [EX], "message": "Break until 11:00"})).await.unwrap().status(), 200);
    let p: serde_json::Value = c.get(format!("{}/api/pacing", server.url)).bearer_auth(&learner).send().await.unwrap().json().await.unwrap();
    assert_eq!((p["locked"][0].as_str(), p["message"].as_str()), (Some(EX), Some("Break until 11:00")));
    let (s, e) = status_and_error(pace(serde_json::json!({"lock": ["nope"]})).await.unwrap()).await;
    assert_eq!((s, e.contains("not an exercise of this workshop")), (400, true), "{e}");
    pace(serde_json::json!({"release": [EX], "message": ""})).await.unwrap();
    let p: serde_json::Value = c.get(format!("{}/api/pacing", server.url)).bearer_auth(&learner).send().await.unwrap().json().await.unwrap();
    assert_eq!((p["locked"].as_array().unwrap().len(), p.get("message")), (0, None));

    // rotate: the old code stops working, the new one works; close: nothing works
    let rotated: serde_json::Value = c
        .post(format!("{}/api/workshops/{}/join-code", server.url, w.id))
        .bearer_auth(&w.token)
        .json(&serde_json::json!({"action": "rotate"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_code = rotated["code"].as_str().unwrap().to_string();
    let old = c.post(format!("{}/api/join", server.url)).json(&serde_json::json!({"code": w.code, "name": "Late"})).send().await.unwrap();
    assert_eq!(old.status(), 403);
    join(&server.url, &new_code.to_lowercase().replace('-', " "), "Late").await;
    c.post(format!("{}/api/workshops/{}/join-code", server.url, w.id))
        .bearer_auth(&w.token)
        .json(&serde_json::json!({"action": "close"}))
        .send()
        .await
        .unwrap();
    let closed = c.post(format!("{}/api/join", server.url)).json(&serde_json::json!({"code": new_code, "name": "Later"})).send().await.unwrap();
    assert_eq!(closed.status(), 403);
    let b = board(&server.url, &w.id, &w.token).await;
    assert_eq!((b.learners.len(), b.workshop.join_open), (2, false));
}

on_both!(a_killed_server_loses_no_acknowledged_event);
async fn a_killed_server_loses_no_acknowledged_event(backend: Backend) {
    let store = Store::new(backend).await;
    let w = store.create("Crash");
    let mut server = Server::start(&store, &["--rate", "1000", "--events-per-second", "100000"]);
    let url = server.url.clone();
    let mut learners = Vec::new();
    for i in 0..4 {
        learners.push(join(&url, &w.code, &format!("L{i}")).await);
    }
    // four learners send check runs as fast as they can; the server is killed (SIGKILL)
    // while they do; every event acknowledged before the kill must be there after a restart
    let senders: Vec<_> = learners
        .iter()
        .enumerate()
        .map(|(i, (_, token))| {
            let (url, token) = (url.clone(), token.clone());
            tokio::spawn(async move {
                let mut acked = 0u32;
                for n in 0..10_000 {
                    let e = check_event(&format!("l{i}-{n}"), EX, STEP, n % 2 == 0, Some("boom"));
                    match http().post(format!("{url}/api/events")).bearer_auth(&token).json(&serde_json::json!({"events": [e]})).send().await {
                        Ok(r) if r.status() == 200 => acked += 1,
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    let mut acked = Vec::new();
    for s in senders {
        acked.push(s.await.unwrap());
    }
    assert!(acked.iter().all(|&n| n > 5), "the senders barely got going: {acked:?}");
    let server = Server::start(&store, &[]);
    let b = board(&server.url, &w.id, &w.token).await;
    for (i, (id, _)) in learners.iter().enumerate() {
        let checks = b.learners.iter().find(|l| &l.id == id).unwrap().cells[&format!("{EX}/{STEP}")].checks;
        // at most one more: a batch stored whose acknowledgement the kill cut off
        assert!(checks == acked[i] || checks == acked[i] + 1, "learner {i}: {checks} stored, {} acknowledged", acked[i]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_certificate_and_key() {
    let store = Store::new(Backend::Sqlite).await;
    let w = store.create("TLS");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert_path, key_path) = (store.dir.path().join("cert.pem"), store.dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let server = Server::start(&store, &["--tls-cert", cert_path.to_str().unwrap(), "--tls-key", key_path.to_str().unwrap()]);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let _ = http(); // installs the ring provider
    let trusting = reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(cert.cert.pem().as_bytes()).unwrap()]).build().unwrap();
    let res = trusting.post(format!("{}/api/join", server.url)).json(&serde_json::json!({"code": w.code, "name": "Ada"})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    // a client that does not trust the certificate is refused by TLS, and plain HTTP gets nothing
    assert!(http().get(format!("{}/healthz", server.url)).send().await.is_err());
    assert!(http().get(format!("{}/healthz", server.url.replace("https://", "http://"))).send().await.map(|r| !r.status().is_success()).unwrap_or(true));

    // a missing key file is said clearly
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubedojo"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            store.url.as_str(),
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            "/nonexistent/key.pem",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not load the TLS certificate"), "{}", String::from_utf8_lossy(&out.stderr));
}
