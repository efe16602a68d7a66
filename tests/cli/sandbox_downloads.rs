//! The sandbox's downloads proxy with the real tools in the sandbox's shell (`kubedojo sandbox
//! exec`): curl, helm (KUBEDOJO_TEST_HELM_BIN), kubectl and the AWS CLI, on the URLs the labs use,
//! and what a learner sees when a download cannot be served. Nothing leaves 127.0.0.1: the
//! proxy answers the labs' hosts itself, and the sandbox runs with GOPROXY=off (tests/testenv.sh
//! puts the served modules in the Go module cache).

use crate::live::unique;
use assert_cmd::Command;
use std::path::Path;

/// The course's version of a component (versions.toml).
fn course_version(component: &str, field: &str) -> String {
    let table: toml::Table = toml::from_str(include_str!("../../versions.toml")).expect("versions.toml");
    table["components"][component][field].as_str().expect("field").to_string()
}

/// Runs `sandbox down --yes` when dropped, so a failed assertion leaves no sandbox running.
struct Down<F: Fn(&[&str]) -> Out>(F);

impl<F: Fn(&[&str]) -> Out> Drop for Down<F> {
    fn drop(&mut self) {
        (self.0)(&["sandbox", "down", "--yes"]);
    }
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

#[test]
fn the_labs_downloads_come_from_the_sandbox() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("tempdir");
    let plugins = state.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins");
    std::fs::write(state.path().join("lab.toml"), "[vars]\nadminCidr = \"198.18.7.10/32\"\n").expect("lab.toml");
    let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN");
    let moto = std::env::var("KUBEDOJO_TEST_MOTO_BIN").expect("KUBEDOJO_TEST_MOTO_BIN");
    let awscli = std::env::var("KUBEDOJO_TEST_AWSCLI_BIN").expect("KUBEDOJO_TEST_AWSCLI_BIN");
    let helm = std::env::var("KUBEDOJO_TEST_HELM_BIN").expect("KUBEDOJO_TEST_HELM_BIN (tests/testenv.sh builds helm)");
    let kubedojo_dir = Path::new(env!("CARGO_BIN_EXE_kubedojo")).parent().expect("bin dir").display().to_string();
    // the plugin folder first: the test puts a kubectl-argo-rollouts there, or none
    let path = format!("{}:{kubedojo_dir}:{bin}:{moto}:{awscli}:{helm}:{}", plugins.display(), std::env::var("PATH").unwrap_or_default());
    let run = |args: &[&str]| {
        let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
        cmd.args(args)
            .env("KUBEDOJO_STATE_DIR", state.path())
            .env("KUBEDOJO_LAB_CONFIG", state.path().join("lab.toml"))
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("KUBECONFIG")
            .env_remove("KUBEDOJO_TEST_WEBHOOK_BIN")
            .env("PATH", &path)
            .env("KWOK_RUNTIME", "binary")
            .env("GOPROXY", "off")
            // helm's own files in the state folder, not the caller's ~/.config/helm
            .env("HELM_CONFIG_HOME", state.path().join("helm/config"))
            .env("HELM_CACHE_HOME", state.path().join("helm/cache"))
            .env("HELM_DATA_HOME", state.path().join("helm/data"))
            .current_dir(state.path())
            .timeout(std::time::Duration::from_secs(300));
        let out = cmd.output().expect("run");
        Out { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
    };
    let sh = |script: &str| run(&["sandbox", "exec", "--", "bash", "-c", &format!("set -eo pipefail\n{script}")]);
    let up = run(&["sandbox", "up", "--name", &unique("downloads")]);
    let _down = Down(&run);
    assert_eq!(up.code, Some(0), "sandbox up:\n{}\n{}", up.stdout, up.stderr);
    let proxy =
        up.stdout.lines().find_map(|l| l.strip_prefix("started the downloads proxy at ")).and_then(|l| l.split(',').next()).expect("proxy url").to_string();
    assert!(proxy.starts_with("http://127.0.0.1:"), "{}", up.stdout);

    // the shell's environment names it, and trusts the sandbox's CA with the system's roots
    let env = sh("echo \"$HTTPS_PROXY|$https_proxy|$NO_PROXY|$SSL_CERT_FILE|$CURL_CA_BUNDLE\"");
    let bundle = state.path().join("downloads/ca-bundle.crt").display().to_string();
    assert_eq!(env.stdout.trim(), format!("{proxy}|{proxy}|127.0.0.1,localhost,::1|{bundle}|{bundle}"), "{}", env.stderr);

    // alb-ingress/controller-iam: curl, verbatim, gets the module's file at the course's version
    let lbc = course_version("aws-load-balancer-controller", "version");
    let out = sh(&format!(
        "curl -fsSLo /tmp/lbc-iam-policy-$$.json https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/{lbc}/docs/install/iam_policy.json\njq -r '.Statement | length' /tmp/lbc-iam-policy-$$.json 2>/dev/null || python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\"Statement\"]))' /tmp/lbc-iam-policy-$$.json\nrm /tmp/lbc-iam-policy-$$.json"
    ));
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.trim().parse::<u32>().is_ok_and(|n| n > 10), "the policy's statements: {}", out.stdout);

    // alb-ingress/install-controller: helm's repository, index and chart, at the course's chart version
    let chart = course_version("aws-load-balancer-controller", "chart");
    let out = sh(&format!(
        "helm repo add eks https://aws.github.io/eks-charts && helm repo update eks\nhelm show chart eks/aws-load-balancer-controller --version {chart}\nhelm template t eks/aws-load-balancer-controller --version {chart} --set clusterName=kd | grep -c 'kind: Deployment'"
    ));
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(&format!("version: {chart}")) && out.stdout.contains(&format!("appVersion: {lbc}")), "{}", out.stdout);
    assert!(out.stdout.trim_end().ends_with('1'), "the chart renders its Deployment: {}", out.stdout);
    // time to the chart's first byte (the module zip read, packaged, hashed for the index)
    let out = sh(&format!("curl -fsS -o /dev/null -w '%{{time_starttransfer}}' https://aws.github.io/eks-charts/aws-load-balancer-controller-{chart}.tgz"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    eprintln!("time to the chart's first byte: {} s", out.stdout.trim());

    // argo-rollouts-bluegreen/install-controller: kubectl applies the release's install.yaml,
    // the controller's image at the release tag
    let argo = course_version("argo-rollouts", "version");
    let out = sh(&format!(
        "kubectl create namespace argo-rollouts >/dev/null\nkubectl apply -n argo-rollouts -f https://github.com/argoproj/argo-rollouts/releases/download/{argo}/install.yaml >/dev/null\nkubectl get crd rollouts.argoproj.io -o name\nkubectl -n argo-rollouts get deploy argo-rollouts -o jsonpath='{{.spec.template.spec.containers[0].image}}'"
    ));
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.trim(), format!("customresourcedefinition.apiextensions.k8s.io/rollouts.argoproj.io\nquay.io/argoproj/argo-rollouts:{argo}"));

    // the plugin: none on PATH, then one of another version, then the right one
    let plugin_url = format!("https://github.com/argoproj/argo-rollouts/releases/download/{argo}/kubectl-argo-rollouts-linux-amd64");
    let out = sh(&format!("curl -fsSLo kubectl-argo-rollouts {plugin_url}"));
    assert_eq!(out.code, Some(22), "curl -f fails on the error status: {}", out.stderr);
    let out = sh(&format!("curl -sS {plugin_url}"));
    assert!(
        out.stdout.contains(&format!("serves kubectl-argo-rollouts {argo}")) && out.stdout.contains("found none") && out.stdout.contains("tests/testenv.sh"),
        "{}",
        out.stdout
    );
    let plugin = plugins.join("kubectl-argo-rollouts");
    let fake = |version: &str| {
        std::fs::write(&plugin, format!("#!/bin/sh\n# pkg/kubectl-argo-rollouts/cmd/version's first line\necho 'kubectl-argo-rollouts: {version}'\necho '  BuildDate: 2026-01-01T00:00:00Z'\n")).expect("plugin");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    fake("v1.8.3+49fa151");
    let out = sh(&format!("curl -sS {plugin_url}"));
    assert!(out.stdout.contains("which says it is v1.8.3+49fa151") && out.stdout.contains("build kubectl-argo-rollouts"), "{}", out.stdout);
    fake(&format!("{argo}+8d5a5ab"));
    let out = sh(&format!(
        "cd \"$(mktemp -d)\" && curl -fsSLo kubectl-argo-rollouts {plugin_url} && chmod +x kubectl-argo-rollouts && ./kubectl-argo-rollouts version"
    ));
    assert_eq!((out.code, out.stdout.lines().next()), (Some(0), Some(format!("kubectl-argo-rollouts: {argo}+8d5a5ab").as_str())), "{}", out.stderr);

    // checkip: the address of lab.toml's adminCidr, so the labs' $(curl ...)/32 is that CIDR
    let out = sh("echo \"$(curl -fsS https://checkip.amazonaws.com)/32\"");
    assert_eq!((out.code, out.stdout.trim()), (Some(0), "198.18.7.10/32"), "{}", out.stderr);

    // what cannot be served says why, and what to run
    let out = sh("curl -sS -w '\\n%{http_code}' https://github.com/kubernetes/kubernetes/releases/download/v1.35.0/kubernetes.tar.gz");
    assert!(out.stdout.ends_with("\n404"), "{}", out.stdout);
    assert!(out.stdout.contains("does not serve https://github.com/kubernetes/kubernetes/") && out.stdout.contains("fetching nothing else"), "{}", out.stdout);
    assert!(out.stdout.contains("https://aws.github.io/eks-charts/{file}"), "the refusal lists what is served: {}", out.stdout);
    let out =
        sh("curl -sS -w '\\n%{http_code}' https://raw.githubusercontent.com/kubernetes-sigs/aws-load-balancer-controller/v3.0.0/docs/install/iam_policy.json");
    assert!(out.stdout.ends_with("\n502"), "{}", out.stdout);
    assert!(
        out.stdout.contains("sigs.k8s.io/aws-load-balancer-controller/v3@v3.0.0 is not in the module cache")
            && out.stdout.contains("GOPROXY=off fetches nothing")
            && out.stdout.contains("go mod download sigs.k8s.io/aws-load-balancer-controller/v3@v3.0.0"),
        "{}",
        out.stdout
    );
    // kubectl and helm print the status line, whose reason says who answered
    let out = sh("kubectl apply -f https://github.com/argoproj/argo-rollouts/releases/download/v1.9.1/namespace-install.yaml");
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("404 Not Found (not served by the kubedojo sandbox)"), "{}", out.stderr);

    // the AWS CLI still reaches the sandbox's front (NO_PROXY, and http:// is not proxied)
    let out = sh("aws sts get-caller-identity --query Account --output text");
    assert_eq!((out.code, out.stdout.trim()), (Some(0), "111122223333"), "{}", out.stderr);

    let log = std::fs::read_to_string(state.path().join("downloads.log")).expect("downloads.log");
    assert!(log.contains("GET https://checkip.amazonaws.com/ -> 200"), "{log}");
    let status = run(&["sandbox", "status"]);
    assert!(status.stdout.contains(&format!("downloads proxy {proxy} (pid ")), "{}", status.stdout);
    let pid: u32 =
        status.stdout.split(&format!("downloads proxy {proxy} (pid ")).nth(1).and_then(|r| r.split(')').next()).and_then(|p| p.parse().ok()).expect("pid");
    let rss =
        std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default().lines().find(|l| l.starts_with("VmRSS")).unwrap_or_default().to_string();
    eprintln!("the downloads proxy after serving: {rss}");
    let doctor = sh(&format!("{} doctor || true", env!("CARGO_BIN_EXE_kubedojo")));
    assert!(doctor.stdout.contains(&format!("✔ downloads       proxy {proxy} answers")), "{}", doctor.stdout);
    let down = run(&["sandbox", "down", "--yes"]);
    assert!(down.stdout.contains(&format!("stopped the downloads proxy (pid {pid})")), "{}", down.stdout);
    // the process is gone when down returns (its port may be another test's a moment later)
    let gone = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |st| st.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')));
    assert!(gone, "the downloads proxy (pid {pid}) still runs after down");
    assert!(!state.path().join("downloads").exists(), "the CA's key is left");
}
