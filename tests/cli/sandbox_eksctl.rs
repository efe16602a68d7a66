//! The sandbox's eksctl, with the real binary: the eks-cluster lab's own commands through
//! `sandbox exec`, then the lab's checks in the sandbox's environment, and eksctl's refusals.
//!
//! A sandbox of its own (`sandbox up`, about 7 s warm) rather than the test environment's
//! cluster: eksctl adds EKS nodes (`aws:///` providerIDs), which would turn every other test's
//! shared kwok cluster into an "EKS" target.

use crate::live::unique;
use assert_cmd::Command;
use std::path::Path;

/// kubedojo in a sandbox state folder, with the test environment's programs on PATH (the pod
/// identity webhook's too: the IRSA test shares these).
pub(crate) fn kubedojo(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
    let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN");
    let moto = std::env::var("KUBEDOJO_TEST_MOTO_BIN").expect("KUBEDOJO_TEST_MOTO_BIN");
    let awscli = std::env::var("KUBEDOJO_TEST_AWSCLI_BIN").expect("KUBEDOJO_TEST_AWSCLI_BIN");
    let webhook = std::env::var("KUBEDOJO_TEST_WEBHOOK_BIN").expect("KUBEDOJO_TEST_WEBHOOK_BIN (tests/testenv.sh builds the pod identity webhook)");
    let path = format!("{bin}:{moto}:{awscli}:{webhook}:{}", std::env::var("PATH").unwrap_or_default());
    cmd.env("KUBEDOJO_STATE_DIR", state)
        .env("KUBEDOJO_LAB_CONFIG", state.join("lab.toml"))
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("KUBECONFIG")
        .env("PATH", path)
        .env("KWOK_RUNTIME", "binary")
        .current_dir(state.join("work"));
    cmd
}

pub(crate) struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub(crate) fn run(state: &Path, args: &[&str]) -> Out {
    let out = kubedojo(state).args(args).output().expect("run");
    Out { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
}

/// `sandbox down --yes` when the test ends, passed or not: a failed assertion must not leave a
/// cluster, moto, the front and the webhook running (seen: a cluster's controller manager and
/// scheduler left after an `up` that failed).
pub(crate) struct DownAtTheEnd<'a>(pub &'a Path);

impl Drop for DownAtTheEnd<'_> {
    fn drop(&mut self) {
        let _ = run(self.0, &["sandbox", "down", "--yes"]);
    }
}

/// `kubedojo check eks-cluster/STEP --json` in the sandbox's shell: each check's status.
fn check(state: &Path, step: &str) -> Vec<(String, String)> {
    let out = run(state, &["sandbox", "exec", "--", env!("CARGO_BIN_EXE_kubedojo"), "check", &format!("eks-cluster/{step}"), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (r["check"].as_str().unwrap_or_default().to_string(), r["status"].as_str().unwrap_or_default().to_string()))
        .collect()
}

#[test]
fn the_eks_cluster_lab_in_the_sandbox_with_its_own_eksctl_commands() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("tempdir");
    let state = state.path();
    std::fs::create_dir_all(state.join("work")).expect("work");
    std::fs::write(state.join("lab.toml"), "[vars]\nadminCidr = \"198.18.7.10/32\"\n").expect("lab.toml");
    let name = unique("eksctl");
    let _down = DownAtTheEnd(state);
    let up = run(state, &["sandbox", "up", "--name", &name]);
    assert_eq!(up.code, Some(0), "{}\n{}", up.stdout, up.stderr);
    let files = run(state, &["files", "eks-cluster", "--dir", "."]);
    assert_eq!(files.code, Some(0), "{}", files.stderr);
    let exec = |cmd: &[&str]| run(state, &[&["sandbox", "exec", "--"], cmd].concat());

    // refusals, each with its message, before anything exists
    let refused = exec(&["eksctl", "create", "fargateprofile", "--cluster", "x"]);
    assert_eq!(refused.code, Some(1));
    assert!(refused.stderr.contains("Error: `eksctl create fargateprofile` is not simulated by the sandbox's eksctl"), "{}", refused.stderr);
    std::fs::write(state.join("work/typo.yaml"), "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: x, region: eu-west-1}\nmanagedNodeGroups:\n  - name: a\n    instanceTyp: m5.large\n").expect("write");
    let typo = exec(&["eksctl", "create", "cluster", "-f", "typo.yaml"]);
    assert_eq!(typo.code, Some(1));
    assert!(
        typo.stderr.contains("Error: loading config file \"typo.yaml\": error unmarshaling JSON: while decoding JSON: json: unknown field \"instanceTyp\""),
        "{}",
        typo.stderr
    );
    std::fs::write(state.join("work/noname.yaml"), "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {region: eu-west-1}\n").expect("write");
    let noname = exec(&["eksctl", "create", "cluster", "-f", "noname.yaml"]);
    assert!(noname.stderr.contains("Error: metadata.name must be set"), "{}", noname.stderr);
    std::fs::write(
        state.join("work/fargate.yaml"),
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: x, region: eu-west-1}\nfargateProfiles: []\n",
    )
    .expect("write");
    let fargate = exec(&["eksctl", "create", "cluster", "-f", "fargate.yaml"]);
    assert!(fargate.stderr.contains("Error: fargateProfiles is not simulated by the sandbox's eksctl"), "{}", fargate.stderr);
    let scale = exec(&["eksctl", "scale", "nodegroup", "--cluster", "x", "--name", "a"]);
    assert!(scale.stderr.contains("Error: at least one of minimum, maximum and desired nodes must be set"), "{}", scale.stderr);

    // the step's checks do not pass before its command, and pass after
    assert!(check(state, "create-cluster").iter().any(|(_, s)| s != "pass"));
    let create = exec(&["eksctl", "create", "cluster", "-f", "eks-cluster/cluster.yaml"]);
    assert_eq!(create.code, Some(0), "{}\n{}", create.stdout, create.stderr);
    assert!(create.stdout.lines().next().is_some_and(|l| l.contains("[ℹ]  the sandbox's eksctl (simulated")), "{}", create.stdout);
    assert!(create.stdout.contains("[✔]  EKS cluster \"kubedojo-lab\" in \"eu-west-1\" region is ready"), "{}", create.stdout);
    assert!(create.stdout.contains(&format!("current context \"kwok-{name}\" stays the sandbox's cluster")), "{}", create.stdout);
    for step in ["create-cluster", "node-groups", "spot-pool"] {
        let results = check(state, step);
        assert!(results.iter().all(|(_, s)| s == "pass"), "{step}: {results:?}");
    }
    let nodes = exec(&["kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=critical", "-o", "jsonpath={.items[*].spec.taints[*].key}"]);
    assert_eq!(nodes.stdout.trim(), "dedicated dedicated", "{}", nodes.stderr);
    let again = exec(&["eksctl", "utils", "associate-iam-oidc-provider", "--cluster", "kubedojo-lab", "--region", "eu-west-1", "--approve"]);
    assert!(again.stdout.contains("IAM Open ID Connect provider is already associated with cluster \"kubedojo-lab\""), "{}", again.stdout);

    // the other labs' commands: IRSA, scaling, the endpoint
    let sa = exec(&[
        "eksctl",
        "create",
        "iamserviceaccount",
        "--cluster",
        "kubedojo-lab",
        "--region",
        "eu-west-1",
        "--namespace",
        "kube-system",
        "--name",
        "cluster-autoscaler",
        "--role-name",
        "kubedojo-lab-cluster-autoscaler",
        "--attach-policy-arn",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "--approve",
    ]);
    assert_eq!(sa.code, Some(0), "{}\n{}", sa.stdout, sa.stderr);
    let annotation =
        exec(&["kubectl", "-n", "kube-system", "get", "sa", "cluster-autoscaler", "-o", "jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}"]);
    assert_eq!(annotation.stdout, "arn:aws:iam::111122223333:role/kubedojo-lab-cluster-autoscaler");
    let scaled =
        exec(&["eksctl", "scale", "nodegroup", "--cluster", "kubedojo-lab", "--region", "eu-west-1", "--name", "spot", "--nodes", "0", "--nodes-min", "0"]);
    assert_eq!(scaled.code, Some(0), "{}\n{}", scaled.stdout, scaled.stderr);
    let spot = exec(&["kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup=spot", "-o", "name"]);
    assert_eq!(spot.stdout.trim(), "", "{}", spot.stderr);
    let vpc = exec(&[
        "eksctl",
        "utils",
        "update-cluster-vpc-config",
        "--cluster",
        "kubedojo-lab",
        "--region",
        "eu-west-1",
        "--public-access-cidrs=198.18.7.11/32",
        "--approve",
    ]);
    assert_eq!(vpc.code, Some(0), "{}\n{}", vpc.stdout, vpc.stderr);
    let cidrs =
        exec(&["aws", "eks", "describe-cluster", "--name", "kubedojo-lab", "--query", "cluster.resourcesVpcConfig.publicAccessCidrs[0]", "--output", "text"]);
    assert_eq!(cidrs.stdout.trim(), "198.18.7.11/32", "{}", cidrs.stderr);

    // the teardown names what bills (the cluster, its node groups, the NAT gateway and its
    // Elastic IP) and what lingers (the VPC, eksctl's roles, the OIDC provider, the log group)
    let teardown = run(state, &["sandbox", "exec", "--", env!("CARGO_BIN_EXE_kubedojo"), "check", "eks-cluster/teardown"]);
    assert_ne!(teardown.code, Some(0), "{}", teardown.stdout);
    for what in [
        "managed node group critical of kubedojo-lab",
        "EKS cluster kubedojo-lab",
        "NAT gateway nat-",
        "Elastic IP ",
        "VPC vpc-",
        "IAM role eksctl-kubedojo-lab-cluster-ServiceRole-",
        "IAM OIDC provider arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/",
        "CloudWatch log group /aws/eks/kubedojo-lab/cluster",
        "later labs run on the cluster: delete it when you finish the course",
        "eksctl delete cluster --name kubedojo-lab --region eu-west-1 --wait",
    ] {
        assert!(teardown.stdout.contains(what), "the teardown names {what:?}:\n{}", teardown.stdout);
    }

    // the teardown step's own commands (eksctl delete cluster, the log group)
    // (with this test's values: the lab's defaults, as its lab.toml sets only adminCidr)
    let (pack, _) = kubedojo::session::load_pack(kubedojo::content::PackFiles::embedded()).expect("the built-in course loads");
    let commands = crate::sandbox_labs::commands_of(&pack, "eks-cluster/teardown", kubedojo::content::commands::Use::Run);
    let deleted = exec(&["bash", "-euo", "pipefail", "-c", &commands]);
    assert_eq!(deleted.code, Some(0), "{}\n{}", deleted.stdout, deleted.stderr);
    let left = exec(&["kubectl", "get", "nodes", "-l", "eks.amazonaws.com/nodegroup", "-o", "name"]);
    assert_eq!(left.stdout.trim(), "");
    let clean = run(state, &["sandbox", "exec", "--", env!("CARGO_BIN_EXE_kubedojo"), "check", "eks-cluster/teardown"]);
    assert_eq!(clean.code, Some(0), "nothing left after the teardown's commands:\n{}\n{}", clean.stdout, clean.stderr);
    let down = run(state, &["sandbox", "down", "--yes"]);
    assert_eq!(down.code, Some(0), "{}", down.stderr);
}
