//! Check engine figures against the test environment (`eval "$(tests/testenv.sh up)"` first):
//! `cargo bench --bench checks`.
//! - a step of six Kubernetes checks, run concurrently, vs the same checks as a kubectl + jq script
//! - change to green through the watch path
//! - resident memory of the TUI with an exercise's watches open

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{Api, PostParams};
use kubedojo::checks::backend::{Backend, TargetKind, TargetOptions};
use kubedojo::content::{CheckSpec, Loc, ParamValue};

fn spec(kind: &str, params: &[(&str, &str)]) -> CheckSpec {
    CheckSpec { kind: kind.into(), params: params.iter().map(|(k, v)| (k.to_string(), ParamValue::Text(v.to_string()))).collect(), loc: Loc::default() }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn create<K>(c: &kube::Client, ns: &str, v: serde_json::Value)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
    <K as kube::Resource>::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(c.clone(), ns);
    api.create(&PostParams::default(), &serde_json::from_value(v).expect("object")).await.expect("create");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let kubeconfig = std::env::var("KUBEDOJO_TEST_KUBECONFIG").expect("start the test environment: eval \"$(bash tests/testenv.sh up)\"");
    let backend =
        Arc::new(Backend::connect(&TargetOptions { kind: Some(TargetKind::Kwok), kubeconfig: Some(kubeconfig.clone().into()), ..Default::default() }).await);
    let client = backend.kube.clone().expect("client");
    let ns = format!("bench-{}", std::process::id());
    let nsapi: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    nsapi.create(&PostParams::default(), &serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).expect("ns")).await.expect("namespace");
    let pod = |name: &str| serde_json::json!({"metadata": {"labels": {"app": name}}, "spec": {"nodeSelector": {"type": "kwok"}, "tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "nginx"}]}});
    create::<k8s_openapi::api::core::v1::ServiceAccount>(&client, &ns, serde_json::json!({"metadata": {"name": "app"}})).await;
    create::<k8s_openapi::api::apps::v1::Deployment>(&client, &ns, serde_json::json!({"metadata": {"name": "payments"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "payments"}}, "template": pod("payments")}})).await;
    create::<k8s_openapi::api::apps::v1::DaemonSet>(
        &client,
        &ns,
        serde_json::json!({"metadata": {"name": "agent"}, "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": pod("agent")}}),
    )
    .await;
    create::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(
        &client,
        &ns,
        serde_json::json!({"metadata": {"name": "payments"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "payments"}}}}),
    )
    .await;
    create::<k8s_openapi::api::networking::v1::Ingress>(&client, &ns, serde_json::json!({"metadata": {"name": "web", "annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/listen-ports": "[{\"HTTPS\":443}]", "alb.ingress.kubernetes.io/ssl-redirect": "443", "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:eu-west-1:1:certificate/x"}}, "spec": {"ingressClassName": "alb", "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}})).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let checks = vec![
        spec("k8s.namespace", &[("name", &ns)]),
        spec("k8s.service-account", &[("namespace", &ns), ("name", "app")]),
        spec("k8s.deployment-ready", &[("namespace", &ns), ("name", "payments")]),
        spec("k8s.daemonset-ready", &[("namespace", &ns), ("name", "agent")]),
        spec("ingress.tls-spec", &[("namespace", &ns), ("name", "web")]),
        {
            let mut s = spec("pdb.critical", &[("namespace", &ns)]);
            s.params.insert("deployments".into(), ParamValue::List(vec!["payments".into()]));
            s
        },
    ];
    let vars = Default::default();
    let first = kubedojo::checks::engine::run_checks(&backend, &checks, &vars).await;
    for r in &first.results {
        assert_eq!(r.status, kubedojo::checks::CheckStatus::Pass, "{r:?}");
    }
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        kubedojo::checks::engine::run_checks(&backend, &checks, &vars).await;
        times.push(t.elapsed());
    }
    let engine = median(times);
    println!("{:<62} {:>9.1} ms", "six Kubernetes checks of a step, kubedojo engine (concurrent)", engine.as_secs_f64() * 1000.0);

    // the same six checks the way browser lab platforms script them
    let script = format!(
        r#"set -e
k() {{ kubectl --kubeconfig '{kubeconfig}' "$@"; }}
k get namespace {ns} -o name >/dev/null
k -n {ns} get serviceaccount app -o name >/dev/null
k -n {ns} get deployment payments -o json | jq -e '.status.availableReplicas >= .spec.replicas' >/dev/null
k -n {ns} get daemonset agent -o json | jq -e '.status.numberReady == .status.desiredNumberScheduled and .status.desiredNumberScheduled > 0' >/dev/null
k -n {ns} get ingress web -o json | jq -e '.spec.ingressClassName == "alb" and (.metadata.annotations["alb.ingress.kubernetes.io/listen-ports"] | contains("443"))' >/dev/null
k -n {ns} get pdb payments -o json | jq -e '.status.disruptionsAllowed >= 1' >/dev/null
"#
    );
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let status = std::process::Command::new("bash").arg("-c").arg(&script).status().expect("bash");
        assert!(status.success(), "the kubectl + jq script failed (kubectl and jq on PATH?)");
        times.push(t.elapsed());
    }
    let shell = median(times);
    println!("{:<62} {:>9.1} ms", "the same six as a kubectl + jq script (sequential)", shell.as_secs_f64() * 1000.0);
    println!("{:<62} {:>9.0} x", "ratio", shell.as_secs_f64() / engine.as_secs_f64());

    // change to green through the watch path
    let name = format!("bench-watch-{}", std::process::id());
    let watched = vec![spec("k8s.namespace", &[("name", &name)])];
    let mut changes = kubedojo::checks::watch::changes(backend.clone(), &watched);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while changes.next().await.is_some() {
            let _ = tx.send(());
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = Instant::now();
    nsapi.create(&PostParams::default(), &serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).expect("ns")).await.expect("create");
    rx.recv().await.expect("change");
    let run = kubedojo::checks::engine::run_checks(&backend, &watched, &vars).await;
    assert_eq!(run.results[0].status, kubedojo::checks::CheckStatus::Pass);
    println!("{:<62} {:>9.0} ms", "change to green (apply -> watch event -> debounce -> re-run)", t.elapsed().as_secs_f64() * 1000.0);

    tui_rss(&kubeconfig);
    let _ = nsapi.delete(&ns, &Default::default()).await;
    let _ = nsapi.delete(&name, &Default::default()).await;
}

/// The release binary with an exercise open (its watches running) on the 2-node kwok cluster.
fn tui_rss(kubeconfig: &str) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kubedojo");
    if !bin.exists() {
        println!("(cargo build --release for the TUI memory figure)");
        return;
    }
    let state = tempfile::tempdir().expect("tempdir");
    let pty = native_pty_system().openpty(PtySize { rows: 40, cols: 120, pixel_width: 0, pixel_height: 0 }).expect("pty");
    let mut cmd = CommandBuilder::new(&bin);
    cmd.env("KUBEDOJO_STATE_DIR", state.path());
    cmd.env("KUBECONFIG", kubeconfig);
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).expect("spawn");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });
    let mut w = pty.master.take_writer().expect("writer");
    std::thread::sleep(Duration::from_millis(500));
    // the first lab (eks-cluster): its checks watch nodes, deployments, daemonsets
    w.write_all(b"jjj\r").expect("w");
    std::thread::sleep(Duration::from_millis(500));
    w.write_all(b"r").expect("w");
    std::thread::sleep(Duration::from_secs(3));
    let pid = child.process_id().expect("pid");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()).unwrap_or(0.0);
    println!("{:<62} {:>9.1} MB", "TUI with an exercise's watches open: RSS now", kb("VmRSS:") / 1024.0);
    println!("{:<62} {:>9.1} MB", "TUI with an exercise's watches open: max RSS", kb("VmHWM:") / 1024.0);
    w.write_all(b"\x03").expect("w");
    let _ = child.wait();
}
