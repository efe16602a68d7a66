//! `doctor`, `sandbox` and the lab config, with the real binary.

use crate::live;
use crate::live::*;
use assert_cmd::Command;

fn kubedojo(state: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
    cmd.env("KUBEDOJO_STATE_DIR", state).env("KUBEDOJO_LAB_CONFIG", state.join("lab.toml")).env_remove("AWS_ENDPOINT_URL");
    cmd
}

#[test]
fn doctor_reports_the_target_and_missing_tools() {
    let state = tempfile::tempdir().expect("tempdir");
    let out = kubedojo(state.path()).args(["doctor", "--kubeconfig", &kubeconfig(), "--aws-endpoint-url", &aws_endpoint()]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("✔ API server      Kubernetes v1.37.2"), "{text}");
    assert!(text.contains("✔ target          kwok: simulated nodes; AWS checks run against the emulator"), "{text}");
    assert!(!text.contains("AWS checks skip"), "an emulator is set: {text}");
    assert!(text.contains("✔ AWS identity    arn:aws:sts::123456789012:user/moto"), "{text}");
    for tool in ["kubectl", "eksctl", "helm", "aws", "kubectl-argo-rollouts", "kind", "kwokctl"] {
        assert!(text.lines().any(|l| l[4..].starts_with(tool)), "no line for {tool}: {text}");
    }
    let bad = live::unreachable_kubeconfig(state.path());
    let out = kubedojo(state.path()).args(["doctor", "--kubeconfig", bad.to_str().expect("path")]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("✘ API server      unreachable"));
}

/// With an emulator and no credentials, doctor says to set any keys (not that AWS cannot be
/// reached); a named profile that is defined nowhere is said, not passed over for the keys in
/// the environment.
#[test]
fn doctor_says_what_is_wrong_with_the_aws_credentials() {
    let state = tempfile::tempdir().expect("tempdir");
    let none = state.path().join("none");
    let out = kubedojo(state.path())
        .args(["doctor", "--kubeconfig", &kubeconfig(), "--aws-endpoint-url", &aws_endpoint()])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &none)
        .env("AWS_SHARED_CREDENTIALS_FILE", &none)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("✘ AWS identity    no AWS credentials are set, and the emulator at {} takes any", aws_endpoint())), "{text}");
    assert!(!text.contains("cannot reach"), "{text}");

    let config = state.path().join("config");
    std::fs::write(&config, "[default]\nregion = eu-west-1\n\n[profile lab]\nregion = eu-west-1\n").expect("config");
    let out = kubedojo(state.path())
        .args(["doctor", "--kubeconfig", &kubeconfig(), "--aws-endpoint-url", &aws_endpoint(), "--aws-profile", "nosuch"])
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &none)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✘ AWS profile     profile nosuch is not defined in") && text.contains("(profiles there: default, lab)"), "{text}");
}

#[tokio::test]
async fn lab_config_sets_variables_and_the_target_and_flags_win() {
    let b = backend(None, false).await;
    let ns = namespace(&client(&b), "labcfg").await;
    let state = tempfile::tempdir().expect("tempdir");
    std::fs::write(state.path().join("lab.toml"), format!("[vars]\nns = \"{ns}\"\n\n[target]\nkubeconfig = \"{}\"\n", kubeconfig())).expect("lab.toml");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pack");
    let out = kubedojo(state.path()).args(["check", "demo/namespace", "--pack", fixture, "--target", "kwok", "--json"]).output().expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["results"][0]["status"], "pass", "{json:#}");
    let out = kubedojo(state.path())
        .args(["check", "demo/namespace", "--pack", fixture, "--target", "kwok", "--json", "--var", "ns=not-this-one"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(state.path().join("lab.toml"), "[vars]\nns = \"x\"\n[targte]\n").expect("lab.toml");
    let out = kubedojo(state.path()).args(["check", "demo/namespace", "--pack", fixture]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lab.toml:3:2: error: unknown field `targte`"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Two sandboxes coming up at once starve each other on 2 cores (kwokctl's wait ran out): the
/// tests that make one take turns.
pub static ONE_SANDBOX_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn sandbox_up_status_down_touches_only_what_it_created() {
    let _turn = ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN");
    let moto = std::env::var("KUBEDOJO_TEST_MOTO_BIN").expect("KUBEDOJO_TEST_MOTO_BIN");
    let awscli = std::env::var("KUBEDOJO_TEST_AWSCLI_BIN").expect("KUBEDOJO_TEST_AWSCLI_BIN (tests/testenv.sh installs the AWS CLI)");
    let webhook = std::env::var("KUBEDOJO_TEST_WEBHOOK_BIN").expect("KUBEDOJO_TEST_WEBHOOK_BIN (tests/testenv.sh builds the pod identity webhook)");
    let state = tempfile::tempdir().expect("tempdir");
    let path = format!("{bin}:{moto}:{awscli}:{webhook}:{}", std::env::var("PATH").unwrap_or_default());
    let sandbox = |args: &[&str]| {
        let mut cmd = kubedojo(state.path());
        cmd.arg("sandbox").args(args).env("PATH", &path).env("KWOK_RUNTIME", "binary");
        // the control plane's binaries only on PATH, as a learner has them: kwokctl must be
        // given them (offline, it would retry downloading etcd from GitHub for minutes)
        for var in
            ["KWOK_KUBE_APISERVER_BINARY", "KWOK_KUBE_CONTROLLER_MANAGER_BINARY", "KWOK_KUBE_SCHEDULER_BINARY", "KWOK_CONTROLLER_BINARY", "KWOK_ETCD_BINARY"]
        {
            cmd.env_remove(var);
        }
        // what a learner's shell may hold: none of it may reach the sandbox's commands
        cmd.env("AWS_PROFILE", "production").env("AWS_SESSION_TOKEN", "real").env("AWS_ENDPOINT_URL_EKS", "https://eks.eu-west-1.amazonaws.com");
        cmd.output().expect("run")
    };
    let name = unique("sandbox");
    let up = sandbox(&["up", "--name", &name]);
    let text = String::from_utf8_lossy(&up.stdout);
    assert!(up.status.success(), "{text}\n{}", String::from_utf8_lossy(&up.stderr));
    assert!(!String::from_utf8_lossy(&up.stderr).contains("will download"), "{}", String::from_utf8_lossy(&up.stderr));
    assert!(text.contains(&format!("creating kwok cluster {name}")), "{text}");
    assert!(text.contains("started the AWS emulator (moto) at http://127.0.0.1:"), "{text}");
    assert!(text.contains("export KUBECONFIG="), "{text}");
    // AWS goes through the sandbox's AWS front, which answers what the emulator lacks
    assert!(text.contains("started the AWS front at http://127.0.0.1:"), "{text}");
    let hook = text.lines().find_map(|l| l.strip_prefix("started the EKS pod identity webhook at ")).and_then(|l| l.split(',').next()).expect("webhook url");
    assert!(hook.starts_with("https://127.0.0.1:") && hook.ends_with("/mutate"), "{text}");
    let endpoint = text.lines().find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL='")).and_then(|l| l.strip_suffix('\'')).expect("AWS_ENDPOINT_URL");
    let front = text.lines().find_map(|l| l.strip_prefix("started the AWS front at ")).and_then(|l| l.split(',').next()).expect("front url");
    assert_eq!(endpoint, front);
    addon_through(endpoint);
    in_the_shell(&sandbox, endpoint, &state.path().join("sandbox-kubeconfig"));
    // registered as upstream's deploy/mutatingwebhook.yaml, by URL
    let registered = sandbox(&[
        "exec",
        "--",
        "kubectl",
        "get",
        "mutatingwebhookconfiguration",
        "pod-identity-webhook",
        "-o",
        "jsonpath={.webhooks[0].clientConfig.url} {.webhooks[0].failurePolicy} {.webhooks[0].admissionReviewVersions}",
    ]);
    assert_eq!(String::from_utf8_lossy(&registered.stdout), format!("{hook} Ignore [\"v1beta1\"]"), "{}", String::from_utf8_lossy(&registered.stderr));
    // the learner's shell: what it reads on stdin runs in the sandbox, and its code is ours
    let out = kubedojo(state.path())
        .args(["sandbox", "shell"])
        .env("SHELL", "/bin/sh")
        .env("AWS_REGION", "us-east-1")
        .write_stdin("echo \"$KUBEDOJO_SANDBOX|$AWS_REGION|$AWS_DEFAULT_REGION\"; exit 3\n")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("{}|eu-west-1|eu-west-1", state.path().display()));
    let banner = String::from_utf8_lossy(&out.stderr);
    assert!(banner.contains("simulated AWS account 111122223333 in eu-west-1") && banner.contains("left the sandbox's shell"), "{banner}");
    // the sandbox answers checks
    let kubeconfig = state.path().join("sandbox-kubeconfig");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pack");
    let out = kubedojo(state.path())
        .args(["check", "demo/namespace", "--pack", fixture, "--kubeconfig", kubeconfig.to_str().expect("path"), "--var", "ns=kube-system"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("pass  k8s.namespace"), "{}", String::from_utf8_lossy(&out.stdout));
    let status = sandbox(&["status"]);
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(&format!("sandbox {name} (kwok) created 20")), "{status}");
    // and what of it is real, what simulated (parts.toml)
    assert!(status.contains("What is real and what is simulated") && status.contains("simulated: nodes and pods"), "{status}");
    assert!(status.contains(&format!("pod identity webhook {hook} (pid ")) && status.contains("real: EKS pod identity webhook"), "{status}");
    // no terminal to ask on: down wants --yes and changes nothing without it
    let refused = sandbox(&["down"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --yes"));
    let down = sandbox(&["down", "--yes"]);
    let text = String::from_utf8_lossy(&down.stdout);
    assert!(text.contains(&format!("deleted kwok cluster {name}")) && text.contains("stopped the AWS emulator"), "{text}");
    assert!(text.contains("stopped the AWS front") && text.contains("stopped the pod identity webhook"), "{text}");
    assert!(std::net::TcpStream::connect(hook.trim_start_matches("https://").trim_end_matches("/mutate")).is_err(), "the webhook still listens on {hook}");
    assert!(!state.path().join("webhook").exists(), "the webhook's certificate and key are left");
    assert!(std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_err(), "the front still listens on {endpoint}");
    assert!(String::from_utf8_lossy(&sandbox(&["status"]).stdout).contains("no sandbox"));
    assert!(String::from_utf8_lossy(&sandbox(&["down", "--yes"]).stdout).contains("nothing was touched"));
}

/// The lab's own commands in the sandbox's environment (`sandbox exec`): the real AWS CLI and
/// kubectl, with the caller's AWS settings set aside.
fn in_the_shell(sandbox: &dyn Fn(&[&str]) -> std::process::Output, endpoint: &str, kubeconfig: &std::path::Path) {
    let exec = |cmd: &[&str]| {
        let out = sandbox(&[&["exec", "--"], cmd].concat());
        (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (code, env, err) =
        exec(&["sh", "-c", "echo \"$AWS_ENDPOINT_URL|$KUBECONFIG|${AWS_PROFILE-none}|${AWS_SESSION_TOKEN-none}|${AWS_ENDPOINT_URL_EKS-none}\""]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(env, format!("{endpoint}|{}|none|none|none", kubeconfig.display()));
    let (code, nodes, err) = exec(&["kubectl", "get", "nodes", "-o", "name"]);
    assert_eq!((code, nodes.lines().count()), (Some(0), 2), "{nodes}\n{err}");
    let (code, account, err) = exec(&["aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text"]);
    assert_eq!((code, account.as_str()), (Some(0), "111122223333"), "the sandbox's account: {err}");
    let cluster = unique("shell-eks");
    let (code, _, err) = exec(&[
        "aws",
        "eks",
        "create-cluster",
        "--name",
        &cluster,
        "--role-arn",
        "arn:aws:iam::111122223333:role/eks",
        "--resources-vpc-config",
        "subnetIds=subnet-a",
    ]);
    assert_eq!(code, Some(0), "{err}");
    // an API the emulator lacks, answered by the front, with the CLI's own encoding
    let (code, status, err) =
        exec(&["aws", "eks", "create-addon", "--cluster-name", &cluster, "--addon-name", "coredns", "--query", "addon.status", "--output", "text"]);
    assert_eq!((code, status.as_str()), (Some(0), "CREATING"), "{err}");
    // and the add-on manager put its software in the sandbox's cluster
    let (code, deploy, err) = exec(&["kubectl", "-n", "kube-system", "get", "deployment", "coredns", "-o", "name"]);
    assert_eq!((code, deploy.as_str()), (Some(0), "deployment.apps/coredns"), "{err}");
    let (code, _, err) = exec(&["aws", "eks", "describe-addon", "--cluster-name", &cluster, "--addon-name", "kube-proxy"]);
    // AWS CLI v1 exits 255 on a service error (v2: 254)
    assert_eq!(code, Some(255), "{err}");
    assert!(err.contains("ResourceNotFoundException"), "{err}");
    assert_eq!(exec(&["sh", "-c", "exit 7"]).0, Some(7), "exec exits with the command's code");
    // doctor in the sandbox: which sandbox, its front, the emulator's identity, the tools
    let (code, doctor, err) = exec(&[env!("CARGO_BIN_EXE_kubedojo"), "doctor"]);
    assert_eq!(code, Some(0), "{doctor}\n{err}");
    assert!(doctor.contains("✔ sandbox ") && doctor.contains(&format!("simulated EKS; AWS front {endpoint}")), "{doctor}");
    assert!(doctor.contains("AWS checks run against the emulator") && doctor.contains("(account 111122223333) in eu-west-1"), "{doctor}");
    assert!(doctor.contains("✔ aws "), "the AWS CLI is found on the sandbox's PATH: {doctor}");
    assert!(doctor.contains("✔ webhook         the EKS pod identity webhook at https://127.0.0.1:"), "{doctor}");
    let (code, _, err) = exec(&["no-such-tool-here"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no-such-tool-here: not found on the sandbox's PATH"), "{err}");
}

/// An EKS cluster and an add-on, through the sandbox's endpoint with the real SDK (as the checks
/// connect: AWS_ACCESS_KEY_ID and the rest come from the test environment).
fn addon_through(endpoint: &str) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let b = kubedojo::checks::backend::Backend::connect(&kubedojo::checks::backend::TargetOptions {
            kind: Some(kubedojo::checks::backend::TargetKind::Kwok),
            kubeconfig: None,
            context: None,
            aws_profile: None,
            aws_region: Some("eu-west-1".into()),
            aws_endpoint: Some(endpoint.to_string()),
        })
        .await;
        let eks = &aws(&b).eks;
        let cluster = unique("sandbox-eks");
        eks.create_cluster()
            .name(&cluster)
            .role_arn("arn:aws:iam::123456789012:role/eks")
            .resources_vpc_config(aws_sdk_eks::types::VpcConfigRequest::builder().subnet_ids("subnet-a").build())
            .send()
            .await
            .expect("create cluster through the front");
        let addon = eks.create_addon().cluster_name(&cluster).addon_name("vpc-cni").send().await.expect("create addon").addon.expect("addon");
        assert_eq!(addon.status, Some(aws_sdk_eks::types::AddonStatus::Creating));
    });
}
