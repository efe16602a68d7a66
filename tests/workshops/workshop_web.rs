//! The web board in a real browser (Debian's headless chromium): an instructor opens the
//! board link, a learner's failing step shows red with the room's common failure, and turns
//! green when they complete it; the token leaves the address bar; learner text is never HTML.

use crate::workshop;
use std::time::{Duration, Instant};

use crate::workshop::cdp::Browser;
use crate::workshop::{Backend, Server, Store, check_event, join, send, step_event};
use kubedojo::workshop::model::EventKind;

const EX: &str = "alb-ingress";
const STEP: &str = "controller-iam";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learners_step_turns_green_on_the_web_board() {
    let store = Store::new(Backend::Sqlite).await;
    let w = store.create("Web board");
    let server = Server::start(&store, &[]);
    let (ada, token) = join(&server.url, &w.code, "Ada").await;
    let (_, eve_token) = join(&server.url, &w.code, "<img src=x onerror=\"document.title='owned'\">").await;
    send(&server.url, &token, &[check_event("e1", EX, STEP, false, Some("the policy lacks elasticloadbalancing:CreateLoadBalancer"))]).await;
    send(&server.url, &eve_token, &[check_event("v1", EX, STEP, false, Some("<b>not bold</b>"))]).await;

    let mut browser = Browser::launch().await;
    browser.navigate(&format!("{}/board/{}#token={}", server.url, w.id, w.token)).await;
    let cell = format!("document.querySelector('td.cell[data-learner=\"{ada}\"][data-step=\"{EX}/{STEP}\"]')");
    browser.wait_for(&format!("!!{cell} && {cell}.dataset.state === 'failing'"), Duration::from_secs(10)).await;
    // the room's failures, with counts, and the token gone from the address bar
    let failures = browser.eval("document.getElementById('failures').innerText").await;
    assert!(
        failures.as_str().unwrap().contains("1 learner on alb-ingress/controller-iam: the policy lacks elasticloadbalancing:CreateLoadBalancer"),
        "{failures}"
    );
    assert_eq!(browser.eval("location.hash").await, "");
    assert_eq!(browser.eval("document.getElementById('status').textContent").await, "live");
    // learner text is text: no element made from it, no script run
    assert_eq!(browser.eval("document.querySelectorAll('main img, main b').length").await, 0);
    assert!(browser.eval("document.body.innerText").await.as_str().unwrap().contains("<img src=x"));
    assert_ne!(browser.eval("document.title").await, "owned");

    // Ada fixes it: the cell turns green, live
    let sent = Instant::now();
    send(&server.url, &token, &[check_event("e2", EX, STEP, true, None), step_event("e3", EventKind::StepCompleted, EX, STEP)]).await;
    browser.wait_for(&format!("{cell}.dataset.state === 'done'"), Duration::from_secs(5)).await;
    let lag = sent.elapsed();
    assert!(lag < Duration::from_secs(1), "the web board was {lag:?} behind");
    let done = browser.eval(&format!("{cell}.parentElement.lastElementChild.textContent")).await;
    assert!(done.as_str().unwrap().starts_with("1/"), "{done}");

    // pacing from the page: lock the exercise; the learner's next pacing read says so
    browser
        .eval(&format!("document.getElementById('exercise').value = '{EX}'; document.querySelector('#lock-form button[data-action=lock]').click(); true"))
        .await;
    browser.wait_for(&format!("document.getElementById('locked').textContent.includes('{EX}')"), Duration::from_secs(5)).await;
    let pacing: serde_json::Value = workshop::http().get(format!("{}/api/pacing", server.url)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(pacing["locked"][0], EX);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_gets_the_sign_in_form() {
    let store = Store::new(Backend::Sqlite).await;
    let a = store.create("A");
    let b = store.create("B");
    let server = Server::start(&store, &[]);
    let mut browser = Browser::launch().await;
    browser.navigate(&format!("{}/board/{}#token={}", server.url, b.id, a.token)).await;
    browser.wait_for("!document.getElementById('login').hidden", Duration::from_secs(10)).await;
    let error = browser.eval("document.getElementById('login-error').textContent").await;
    assert!(error.as_str().unwrap().contains("another workshop"), "{error}");
}
