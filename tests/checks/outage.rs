//! The API server dies in the middle of a run: the checks report `error` (never `fail`), and
//! the same engine works again once the server is back. The test kills and restarts an API
//! server, so it starts a cluster of its own (same binaries as the shared one) and deletes it.

use std::process::Command;

use crate::live::own_cluster::OwnCluster;
use std::time::Duration;

use crate::live::*;
use kubedojo::checks::CheckStatus;

fn signal(sig: &str, pid: &str) {
    assert!(Command::new("kill").args([sig, pid]).status().expect("kill").success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_server_outage_mid_run_gives_errors_and_the_engine_recovers() {
    let cluster = OwnCluster::start("outage");
    let b = std::sync::Arc::new(
        kubedojo::checks::backend::Backend::connect(&kubedojo::checks::backend::TargetOptions {
            kind: Some(kubedojo::checks::backend::TargetKind::Kwok),
            kubeconfig: Some(cluster.kubeconfig().into()),
            ..Default::default()
        })
        .await,
    );
    let ns = namespace(&client(&b), "outage").await;
    let checks = vec![
        spec("k8s.namespace", &[("name", &ns)]),
        spec("k8s.service-account", &[("namespace", &ns), ("name", "default")]),
        spec("k8s.deployment-ready", &[("namespace", &ns), ("name", "web")]),
    ];
    let v = vars(&[]);
    let before = kubedojo::checks::engine::run_checks(&b, &checks[..1], &v).await;
    assert_eq!(before.results[0].status, CheckStatus::Pass, "{before:?}");

    // freeze the API server, start a run, then kill the server under it
    let pid = cluster.apiserver_pid();
    signal("-STOP", &pid);
    let run = {
        let (b, checks, v) = (b.clone(), checks.clone(), v.clone());
        tokio::spawn(async move { kubedojo::checks::engine::run_checks(&b, &checks, &v).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!run.is_finished(), "the run should be waiting on the frozen server");
    signal("-KILL", &pid);
    let during = tokio::time::timeout(Duration::from_secs(30), run).await.expect("the run ends").expect("join");
    for r in &during.results {
        assert_eq!(r.status, CheckStatus::Error, "{r:?}");
        assert!(!r.message.to_lowercase().contains("not found"), "an outage must not read as the learner's fault: {r:?}");
    }

    // bring the cluster back; the same backend (same client) works again
    cluster.kwokctl(&["stop", "cluster"]);
    cluster.kwokctl(&["start", "cluster"]);
    let mut after = None;
    for _ in 0..120 {
        let r = kubedojo::checks::engine::run_checks(&b, &checks[..1], &v).await;
        if r.results[0].status == CheckStatus::Pass {
            after = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(after.is_some(), "the engine did not recover after the API server came back");
}
