//! The Kubernetes manifests for the workshop server (assets/k8s/workshop.yaml) are accepted by
//! a real kube-apiserver (a server-side dry run against the test cluster) and say what the
//! README promises: replicas sharing PostgreSQL, probes, a non-root read-only container, an
//! Ingress with a long idle timeout for the board's stream.

use std::process::Command;

fn kubectl() -> std::path::PathBuf {
    let bin = std::env::var("KUBEDOJO_TEST_BIN").unwrap_or_else(|_| panic!("the test cluster is not running: start it with `eval \"$(tests/testenv.sh up)\"`"));
    std::path::Path::new(&bin).join("kubectl")
}

fn kubeconfig() -> String {
    std::env::var("KUBEDOJO_TEST_KUBECONFIG").expect("KUBEDOJO_TEST_KUBECONFIG")
}

#[test]
fn the_manifests_pass_a_server_side_dry_run_and_keep_their_promises() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/k8s/workshop.yaml");
    // namespaced objects need their namespace to exist for a dry run
    let _ = Command::new(kubectl()).args(["--kubeconfig", &kubeconfig(), "create", "namespace", "kubedojo-workshop"]).output().unwrap();
    let out = Command::new(kubectl()).args(["--kubeconfig", &kubeconfig(), "apply", "--dry-run=server", "-o", "json", "-f", manifest]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = list["items"].as_array().unwrap();
    let find = |kind: &str| items.iter().find(|i| i["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"));
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Namespace", "Secret", "Service", "StatefulSet", "Deployment", "PodDisruptionBudget", "Service", "Ingress"]);

    let d = find("Deployment");
    assert!(d["spec"]["replicas"].as_u64().unwrap() >= 2);
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["args"], serde_json::json!(["serve", "--listen", "0.0.0.0:7420"]));
    assert_eq!(c["env"][0]["name"], "KUBEDOJO_DATABASE_URL");
    assert_eq!(c["env"][0]["valueFrom"]["secretKeyRef"]["name"], "kubedojo-db");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"], true);
    let ing = find("Ingress");
    assert!(
        ing["metadata"]["annotations"]["alb.ingress.kubernetes.io/load-balancer-attributes"].as_str().unwrap().contains("idle_timeout.timeout_seconds=3600")
    );
    let secret = find("Secret");
    assert!(secret["data"]["KUBEDOJO_DATABASE_URL"].is_string());
}
