//! The sandbox's controller supervisor with the real binary and the real rollouts-controller
//! (tests/testenv.sh builds it; KUBEDOJO_TEST_ARGO_BIN): a pod of a known image on a kwok node
//! runs the program with the pod's args, env and ServiceAccount; deleting the pod stops it;
//! `down` stops it; an image of another version is not run, and the pod's Events say so.

use crate::live::unique;
use assert_cmd::Command;
use std::path::Path;
use std::time::{Duration, Instant};

fn kubedojo(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
    let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN");
    let argo = std::env::var("KUBEDOJO_TEST_ARGO_BIN").expect("KUBEDOJO_TEST_ARGO_BIN (tests/testenv.sh builds rollouts-controller)");
    let path = format!("{bin}:{argo}:{}", std::env::var("PATH").unwrap_or_default());
    cmd.env("KUBEDOJO_STATE_DIR", state)
        .env("KUBEDOJO_LAB_CONFIG", state.join("lab.toml"))
        .env_remove("KUBECONFIG")
        .env("PATH", path)
        .env("KWOK_RUNTIME", "binary");
    cmd
}

fn kubectl(state: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = kubedojo(state);
    cmd.args(["sandbox", "exec", "--", "kubectl"]).args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().expect("kubectl");
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into()
}

fn pod(ns: &str, name: &str, tag: &str) -> String {
    format!(
        r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {{"name": "{name}", "namespace": "{ns}"}},
  "spec": {{"serviceAccountName": "ctl", "containers": [{{"name": "argo-rollouts", "image": "quay.io/argoproj/argo-rollouts:{tag}",
    "args": ["--loglevel", "debug", "--leader-elect=false"],
    "env": [{{"name": "POD_NAMESPACE", "valueFrom": {{"fieldRef": {{"fieldPath": "metadata.namespace"}}}}}}, {{"name": "GREETING", "value": "hi"}}]}}]}}}}"#
    )
}

fn until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn entry(state: &Path, pod: &str) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(state.join("supervisor/status.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.as_array()?.iter().find(|e| e["pod"] == pod).cloned()
}

fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

/// `sandbox down` when the test ends, also when it fails: nothing it started stays running.
struct Down<'a>(&'a Path);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        if self.0.join("sandbox.json").exists() {
            let _ = kubedojo(self.0).args(["sandbox", "down", "--yes"]).output();
        }
    }
}

#[test]
fn the_supervisor_runs_a_controllers_pod_as_its_program() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("tempdir");
    let s = state.path();
    let _down = Down(s);
    let up = kubedojo(s).args(["sandbox", "up", "--name", &unique("sup")]).output().expect("up");
    let text = String::from_utf8_lossy(&up.stdout);
    assert!(up.status.success(), "{text}\n{}", String::from_utf8_lossy(&up.stderr));
    assert!(text.contains("started the controller supervisor, pid "), "{text}");

    // kwokctl's nodes have ephemeral storage, as a kubelet reports it (the controller's manifest limits it)
    let storage = kubectl(s, &["get", "nodes", "-o", "jsonpath={.items[*].status.allocatable.ephemeral-storage}"], None);
    assert_eq!(storage, "80Gi 80Gi", "the nodes' allocatable ephemeral storage");

    let ns = "sup-test";
    kubectl(s, &["create", "namespace", ns], None);
    kubectl(s, &["-n", ns, "create", "serviceaccount", "ctl"], None);
    // no RBAC for the ServiceAccount: the controller stops at its first read, as the
    // ServiceAccount, and the pod's Events say so
    kubectl(s, &["apply", "-f", "-"], Some(&pod(ns, "ctl-a", "v1.9.1")));
    let exited = until("the program for ctl-a runs and exits", 90, || entry(s, "ctl-a").filter(|e| e["state"] == "exited"));
    let message = exited["message"].as_str().unwrap_or_default();
    assert!(message.contains(r#"User \"system:serviceaccount:sup-test:ctl\" cannot get resource \"configmaps\""#), "{message}");
    let log = std::fs::read_to_string(exited["log"].as_str().expect("log")).expect("log");
    let first = log.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("# kubedojo sandbox: /") && first.contains("/rollouts-controller --loglevel debug --leader-elect=false --kubeconfig="),
        "{first}"
    );
    let events = until("the Events of ctl-a", 30, || {
        Some(kubectl(s, &["-n", ns, "get", "events", "--field-selector", "involvedObject.name=ctl-a", "-o", "jsonpath={.items[*].reason}"], None))
            .filter(|e| e.contains("SandboxExited"))
    });
    assert!(events.contains("SandboxStarted"), "{events}");

    // with the ConfigMaps and Secrets it reads at start, it runs (and lists Rollouts as the ServiceAccount)
    kubectl(s, &["-n", ns, "create", "role", "ctl", "--verb=get,list,watch", "--resource=configmaps,secrets"], None);
    kubectl(s, &["-n", ns, "create", "rolebinding", "ctl", "--role=ctl", "--serviceaccount=sup-test:ctl"], None);
    kubectl(s, &["apply", "-f", "-"], Some(&pod(ns, "ctl-b", "v1.9.1")));
    let running = until("the program runs for ctl-b", 90, || entry(s, "ctl-b").filter(|e| e["state"] == "running"));
    let pid = running["pid"].as_u64().expect("pid");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    let args: Vec<String> = cmdline.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    assert!(args[0].ends_with("/rollouts-controller"), "{args:?}");
    assert_eq!(args[1..4], ["--loglevel", "debug", "--leader-elect=false"], "the container's args first: {args:?}");
    assert!(args.iter().any(|a| a.starts_with("--kubeconfig=")) && args.iter().any(|a| a.starts_with("--metricsPort=")), "{args:?}");
    let environ = String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).expect("environ")).into_owned();
    let env: Vec<&str> = environ.split('\0').collect();
    assert!(env.contains(&"POD_NAMESPACE=sup-test") && env.contains(&"GREETING=hi") && env.contains(&"HOSTNAME=ctl-b"), "{env:?}");
    assert!(!env.iter().any(|v| v.starts_with("KUBECONFIG=") || v.starts_with("AWS_")), "{env:?}");
    let log = running["log"].as_str().expect("log").to_string();
    until("the controller's log names its ServiceAccount", 60, || {
        std::fs::read_to_string(&log).ok().filter(|l| l.contains("system:serviceaccount:sup-test:ctl")).map(|_| ())
    });
    let status = kubedojo(s).args(["sandbox", "status"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("pod sup-test/ctl-b (quay.io/argoproj/argo-rollouts:v1.9.1): runs rollouts-controller v1.9.1+"), "{status}");

    // another version's image is not run: said on the pod and in status
    kubectl(s, &["apply", "-f", "-"], Some(&pod(ns, "ctl-old", "v1.8.3")));
    let old = until("ctl-old is reported", 60, || entry(s, "ctl-old"));
    assert_eq!(old["state"], "version-mismatch", "{old}");
    assert!(old["pid"].is_null(), "{old}");
    let message = old["message"].as_str().unwrap_or_default();
    assert!(message.contains("asks for v1.8.3") && message.contains("rollouts-controller is v1.9.1+"), "{message}");
    until("the Event of ctl-old", 30, || {
        Some(kubectl(s, &["-n", ns, "get", "events", "--field-selector", "involvedObject.name=ctl-old", "-o", "jsonpath={.items[*].reason}"], None))
            .filter(|e| e.contains("SandboxVersionMismatch"))
    });

    // the pod goes: the program stops
    kubectl(s, &["-n", ns, "delete", "pod", "ctl-b", "--wait=false"], None);
    until("the program stops with its pod", 60, || (!alive(pid)).then_some(()));
    until("ctl-b leaves the status", 30, || entry(s, "ctl-b").is_none().then_some(()));

    // `down` stops what runs
    kubectl(s, &["apply", "-f", "-"], Some(&pod(ns, "ctl-c", "v1.9.1")));
    let c = until("the program runs for ctl-c", 90, || entry(s, "ctl-c").filter(|e| e["state"] == "running"));
    let pid = c["pid"].as_u64().expect("pid");
    let down = kubedojo(s).args(["sandbox", "down", "--yes"]).output().expect("down");
    let text = String::from_utf8_lossy(&down.stdout);
    assert!(down.status.success(), "{text}\n{}", String::from_utf8_lossy(&down.stderr));
    assert!(text.contains("stopped the controller supervisor"), "{text}");
    assert!(!alive(pid), "rollouts-controller (pid {pid}) still runs after down");
}

/// A webhook configuration that names a Service (as a chart's does) is rewritten to the
/// supervisor's endpoint on 127.0.0.1, and answered there: a Service it intercepts is admitted
/// with the sandbox's warning, which kubectl prints; nothing dials the Service's address.
#[test]
fn a_webhook_that_names_a_service_is_answered_on_loopback() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("tempdir");
    let s = state.path();
    let _down = Down(s);
    let up = kubedojo(s).args(["sandbox", "up", "--name", &unique("hooks")]).output().expect("up");
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    let ns = unique("hooks-ns");
    kubectl(s, &["create", "namespace", &ns], None);
    let configuration = format!(
        r#"{{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {{"name": "{ns}-mservice"}},
  "webhooks": [{{"name": "mservice.elbv2.k8s.aws", "admissionReviewVersions": ["v1beta1"], "sideEffects": "None", "failurePolicy": "Fail",
    "clientConfig": {{"service": {{"namespace": "kube-system", "name": "aws-load-balancer-webhook-service", "path": "/mutate-v1-service"}}}},
    "namespaceSelector": {{"matchLabels": {{"kubernetes.io/metadata.name": "{ns}"}}}},
    "rules": [{{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["services"]}}]}}]}}"#
    );
    kubectl(s, &["apply", "-f", "-"], Some(&configuration));
    let url = until("the configuration rewritten", 20, || {
        let url = kubectl(s, &["get", "mutatingwebhookconfiguration", &format!("{ns}-mservice"), "-o", "jsonpath={.webhooks[0].clientConfig.url}"], None);
        (!url.is_empty()).then_some(url)
    });
    assert!(url.starts_with("https://127.0.0.1:") && url.ends_with("/kube-system/aws-load-balancer-webhook-service/mutate-v1-service"), "{url}");
    let named = kubectl(s, &["get", "mutatingwebhookconfiguration", &format!("{ns}-mservice"), "-o", "jsonpath={.metadata.annotations}"], None);
    assert!(named.contains("kube-system/aws-load-balancer-webhook-service:443"), "{named}");

    let out =
        kubedojo(s).args(["sandbox", "exec", "--", "kubectl", "-n", &ns, "create", "service", "clusterip", "web", "--tcp=80:80"]).output().expect("kubectl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "Warning: the kubedojo sandbox does not run the webhook of Service kube-system/aws-load-balancer-webhook-service: admitted without its checks"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
