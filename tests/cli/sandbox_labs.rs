//! The content proof on the learner's path: each lab in a sandbox of its own (`kubedojo
//! sandbox up`), its files written with `kubedojo files`, and for every step the published
//! solution's commands (the shell blocks the learner copies, see `content::commands`) run
//! verbatim with `kubedojo sandbox exec -- bash`, one shell per step, from the lab's folder.
//! The step's checks (`kubedojo check LAB/STEP --json` in the sandbox's shell) must not pass
//! before and must pass after; then the step's `afterwards` blocks run.
//!
//! Values other than the labs' defaults (cluster, namespace, service account), as a learner who
//! changed them: every command must take the lab's variables.
//!
//! What the sandbox does not do yet is listed step by step in [`Expect::Gap`], with the part
//! that is missing; a gap that closes fails the proof until it is taken off the list, so the
//! list stays true.

use crate::live::unique;
use assert_cmd::Command;
use kubedojo::content::commands::{self, Use};
use std::path::Path;
use std::time::{Duration, Instant};

/// The learner's values (lab.toml `[vars]`).
pub(crate) const VALUES: &[(&str, &str)] =
    &[("cluster", "kd-sbx"), ("appNs", "storefront-prod"), ("irsaSa", "report-reader"), ("podSa", "ledger-reader"), ("adminCidr", "198.18.7.10/32")];

/// What a step does in the sandbox.
#[derive(Clone, Copy)]
enum Expect {
    /// Its checks fail before its commands and pass after.
    Proved,
    /// Its checks pass before its commands already, for the reason given (it verifies what an
    /// earlier step made); its commands run and they still pass.
    Already(&'static str),
    /// The sandbox lacks a part this step needs (named): its commands or its checks fail.
    Gap(&'static str),
    /// Its checks fail before its commands and pass after, but a command fails for want of the
    /// part named (one that only shows the learner something, run after the work is done).
    ChecksOnly(&'static str),
}

pub(crate) struct Sandbox {
    state: tempfile::TempDir,
    /// `down` ran: dropping it has nothing left to stop.
    stopped: bool,
}

/// A proof that fails stops its sandbox still (its cluster, emulator, front and webhook run as
/// processes of their own, which would outlive the test).
impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.run(&["sandbox", "down", "--yes"], Some(Duration::from_secs(120)));
        }
    }
}

impl Sandbox {
    pub(crate) fn up(prefix: &str) -> Sandbox {
        let state = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(state.path().join("work")).expect("work");
        let vars: String = VALUES.iter().map(|(k, v)| format!("{k} = \"{v}\"\n")).collect();
        std::fs::write(state.path().join("lab.toml"), format!("[vars]\n{vars}")).expect("lab.toml");
        let sandbox = Sandbox { state, stopped: false };
        let up = sandbox.run(&["sandbox", "up", "--name", &unique(prefix)], None);
        assert_eq!(up.code, Some(0), "sandbox up:\n{}\n{}", up.stdout, up.stderr);
        sandbox
    }

    fn path(&self) -> &Path {
        self.state.path()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
        let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN");
        let moto = std::env::var("KUBEDOJO_TEST_MOTO_BIN").expect("KUBEDOJO_TEST_MOTO_BIN");
        let awscli = std::env::var("KUBEDOJO_TEST_AWSCLI_BIN").expect("KUBEDOJO_TEST_AWSCLI_BIN");
        let helm = std::env::var("KUBEDOJO_TEST_HELM_BIN").expect("KUBEDOJO_TEST_HELM_BIN (tests/testenv.sh builds helm)");
        let webhook = std::env::var("KUBEDOJO_TEST_WEBHOOK_BIN").expect("KUBEDOJO_TEST_WEBHOOK_BIN (tests/testenv.sh builds the pod identity webhook)");
        // rollouts-controller (which the supervisor runs) and the kubectl plugin, as a learner has them on PATH
        let argo = std::env::var("KUBEDOJO_TEST_ARGO_BIN").expect("KUBEDOJO_TEST_ARGO_BIN (tests/testenv.sh builds Argo Rollouts)");
        // karpenter-controller, which the supervisor runs for the chart's pod
        let karpenter = std::env::var("KUBEDOJO_TEST_KARPENTER_BIN").expect("KUBEDOJO_TEST_KARPENTER_BIN (tests/testenv.sh builds Karpenter's controller)");
        let kubedojo = Path::new(env!("CARGO_BIN_EXE_kubedojo")).parent().expect("bin dir").display().to_string();
        let path = format!("{kubedojo}:{bin}:{moto}:{awscli}:{helm}:{webhook}:{argo}:{karpenter}:{}", std::env::var("PATH").unwrap_or_default());
        cmd.env("KUBEDOJO_STATE_DIR", self.path())
            .env("KUBEDOJO_LAB_CONFIG", self.path().join("lab.toml"))
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("KUBECONFIG")
            .env("PATH", path)
            .env("KWOK_RUNTIME", "binary")
            .current_dir(self.path().join("work"));
        cmd
    }

    pub(crate) fn run(&self, args: &[&str], timeout: Option<Duration>) -> Out {
        let mut cmd = self.command();
        cmd.args(args);
        if let Some(t) = timeout {
            cmd.timeout(t);
        }
        let out = cmd.output().expect("run");
        Out { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into() }
    }

    /// A step's checks in the sandbox's shell: each check's id and status, and the report.
    fn check(&self, step: &str) -> (Vec<(String, String)>, String) {
        let out = self.run(&["sandbox", "exec", "--", "kubedojo", "check", step, "--json"], Some(Duration::from_secs(120)));
        let json: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{step}: check --json did not print JSON ({e}):\n{}\n{}", out.stdout, out.stderr));
        let results = json["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| (r["check"].as_str().unwrap_or_default().to_string(), r["status"].as_str().unwrap_or_default().to_string()))
            .collect();
        (results, serde_json::to_string_pretty(&json).unwrap_or_default())
    }

    /// The checks until they all pass, for up to a minute (controllers settle).
    fn passes(&self, step: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (results, report) = self.check(step);
            if results.iter().all(|(_, s)| s == "pass") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(report);
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    /// A script in the sandbox's shell, from the lab folder, as a learner pastes it: one bash,
    /// stopping at the first command that fails; its background jobs end with it (as a closed
    /// terminal's do), or they would hold its output open.
    pub(crate) fn script(&self, script: &str) -> Out {
        let body = format!("set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}");
        self.run(&["sandbox", "exec", "--", "bash", "-c", &body], Some(Duration::from_secs(300)))
    }

    pub(crate) fn down(mut self) {
        let down = self.run(&["sandbox", "down", "--yes"], None);
        self.stopped = true;
        assert_eq!(down.code, Some(0), "sandbox down: {}", down.stderr);
    }
}

pub(crate) struct Out {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// The course with the learner's values.
pub(crate) fn course() -> std::sync::Arc<kubedojo::content::Pack> {
    let (mut pack, _) = kubedojo::session::load_pack(kubedojo::content::PackFiles::embedded()).expect("the built-in course loads");
    let vars = VALUES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    kubedojo::labconfig::LabConfig { vars, ..Default::default() }.apply(std::sync::Arc::make_mut(&mut pack));
    pack
}

/// The commands of a step's solution of `usage`, with the learner's values.
pub(crate) fn commands_of(pack: &kubedojo::content::Pack, id: &str, usage: Use) -> String {
    let (lab, step) = id.split_once('/').expect("lab/step");
    let ex = pack.exercise(lab).unwrap_or_else(|| panic!("no lab {lab}"));
    let s = ex.step(step).unwrap_or_else(|| panic!("no step {id}"));
    ex.expand(&commands::script(&commands::blocks(&s.solution.text.text), usage))
}

/// Prove `lab` in a sandbox of its own, after the steps of other labs it builds on (run, not
/// proved: their own lab proves them). `expect` names every step of the lab in order.
fn prove(lab: &str, builds_on: &[&str], expect: &[(&str, Expect)]) {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pack = course();
    let ex = pack.exercise(lab).expect("lab");
    let named: Vec<&str> = expect.iter().map(|(s, _)| *s).collect();
    let steps: Vec<&str> = ex.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(named, steps, "the proof of {lab} names every step of the lab, in order");

    let sandbox = Sandbox::up(lab);
    let mut labs: Vec<&str> = builds_on.iter().filter_map(|s| s.split_once('/').map(|(l, _)| l)).collect();
    labs.push(lab);
    labs.dedup();
    let files = sandbox.run(&[&["files"], &labs[..], &["--dir", "."]].concat(), None);
    assert_eq!(files.code, Some(0), "kubedojo files: {}", files.stderr);

    for step in builds_on {
        let out = sandbox.script(&commands_of(&pack, step, Use::Run));
        assert_eq!(out.code, Some(0), "{step} (which {lab} builds on): its commands failed:\n{}\n{}", out.stdout, out.stderr);
    }
    let mut failures = Vec::new();
    for (step, expect) in expect {
        let id = format!("{lab}/{step}");
        let (before, report) = sandbox.check(&id);
        let passed_before = before.iter().all(|(_, s)| s == "pass");
        if let Some((check, _)) = before.iter().find(|(_, s)| s == "error") {
            failures.push(format!("{id}: check {check} errors before the step's commands (it should fail or skip):\n{report}"));
        }
        match (expect, passed_before) {
            (Expect::Proved | Expect::ChecksOnly(_), true) => failures.push(format!("{id}: the checks pass before the step's commands ran:\n{report}")),
            (Expect::Already(why), false) => failures.push(format!("{id}: the checks were to pass before ({why}), but:\n{report}")),
            _ => {}
        }
        let run = sandbox.script(&commands_of(&pack, &id, Use::Run));
        let ran = run.code == Some(0);
        let after = if ran { sandbox.passes(&id) } else { Err(String::new()) };
        match (expect, ran, &after) {
            (Expect::Gap(part), true, Ok(())) => {
                failures.push(format!("{id}: listed as a gap ({part}) but its commands and checks now pass: take it off the list"))
            }
            (Expect::Gap(_), _, _) => {}
            (Expect::ChecksOnly(part), true, Ok(())) => {
                failures.push(format!("{id}: listed as checks only ({part}) but its commands now pass too: make it Proved"))
            }
            (Expect::ChecksOnly(_), true, Err(report)) => failures.push(format!("{id}: its checks do not pass after its commands:\n{report}")),
            (Expect::ChecksOnly(_), false, _) => {
                if let Err(report) = sandbox.passes(&id) {
                    failures.push(format!("{id}: its checks do not pass after its commands (which stopped at a gap, as listed):\n{report}"));
                }
            }
            (_, false, _) => failures.push(format!("{id}: its commands failed (exit {:?}):\n{}\n{}", run.code, run.stdout, run.stderr)),
            (_, true, Err(report)) => failures.push(format!("{id}: its checks do not pass after its commands:\n{report}")),
            (_, true, Ok(())) => {
                let afterwards = commands_of(&pack, &id, Use::Afterwards);
                if !afterwards.is_empty() {
                    let out = sandbox.script(&afterwards);
                    if out.code != Some(0) {
                        failures.push(format!("{id}: its afterwards commands failed:\n{}\n{}", out.stdout, out.stderr));
                    }
                }
            }
        }
    }
    sandbox.down();
    assert!(failures.is_empty(), "{lab} in the sandbox:\n\n{}", failures.join("\n\n"));
}

#[test]
fn eks_cluster_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "eks-cluster",
        &[],
        &[
            ("preflight", Already("lab.toml holds the learner's adminCidr, as the step's instructions have them write it; the sandbox has one account")),
            ("create-cluster", Proved),
            ("node-groups", Already("create-cluster made the three node groups; this step reads them")),
            ("critical-pool", Proved),
            ("spot-pool", Already("create-cluster made the spot group as cluster.yaml describes it; this step verifies it")),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn irsa_s3_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "irsa-s3",
        &["eks-cluster/create-cluster"],
        &[
            (
                "oidc-provider",
                Already("eks-cluster/create-cluster's cluster.yaml has iam.withOIDC: true, which made the provider; this step's command is a no-op then"),
            ),
            ("role-and-serviceaccount", Proved),
            ("deploy-app", Proved),
            ("verify-access", Gap("kubectl logs and kubectl run -i: kwok runs no containers, and the sandbox does not yet simulate the app's log")),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn pod_identity_access_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "pod-identity-access",
        &["eks-cluster/create-cluster"],
        &[
            ("agent", Proved),
            ("role-and-association", Proved),
            // the real pod identity webhook injects the Pod Identity env: the front writes the
            // association into the identities file the webhook watches
            ("deploy-app", ChecksOnly("kubectl logs of the app: kwok runs no containers, and the sandbox does not yet simulate the app's log")),
            ("api-mode", Proved),
            ("read-only-team", Proved),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn cluster_autoscaler_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "cluster-autoscaler",
        &["eks-cluster/create-cluster"],
        &[
            ("irsa-role", Proved),
            (
                "deploy",
                Gap(
                    "Cluster Autoscaler: it does not build from the Go module proxy, and the sandbox does not simulate it yet (no cluster-autoscaler-status ConfigMap)",
                ),
            ),
            (
                "permissions",
                Already(
                    "irsa-role made the role and attached the lab's policy; this step's simulate-principal-policy commands only read it (the front simulates)",
                ),
            ),
            ("scale-up", Gap("Cluster Autoscaler's scale-up and its log: kwok runs no containers, and no simulator adds nodes")),
            ("teardown", Proved),
        ],
    );
}

/// The real Karpenter controller (the supervisor runs it for the chart's pod, as its Pod Identity
/// role), launching into the emulator, its instances registered as nodes (supervisor/nodeclaims.rs).
#[test]
fn karpenter_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "karpenter",
        &["eks-cluster/create-cluster"],
        &[
            ("node-role", Proved),
            ("discovery", Proved),
            ("controller-role", Proved),
            ("interruption-queue", Proved),
            ("install", Proved),
            ("nodepool", Proved),
            ("provision", Proved),
            ("consolidation", Proved),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn fluent_bit_logs_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "fluent-bit-logs",
        &["eks-cluster/create-cluster"],
        &[
            ("namespace-and-cluster-info", Proved),
            ("irsa-role", Proved),
            ("pipeline-and-daemonset", Proved),
            (
                "verify-ingest",
                Gap("Fluent Bit ships nothing on kwok, and the sandbox does not simulate its log events yet; `aws logs tail` is AWS CLI v2 only"),
            ),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn alb_ingress_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "alb-ingress",
        &["eks-cluster/create-cluster"],
        &[
            ("controller-iam", Proved),
            ("install-controller", Proved),
            ("deploy-app", Proved),
            ("tls-ingress", Proved),
            ("alb-ready", Gap("the AWS Load Balancer Controller: nothing in the sandbox makes an ALB for the Ingress yet")),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn argo_rollouts_bluegreen_lab_in_the_sandbox() {
    use Expect::*;
    // port-forward: kwok v0.8.0 serves it only for pods a PortForward object names (forwarding
    // to an address and port, or to a command's stdin/stdout), and no nginx runs to answer curl
    let no_server = "kubectl port-forward + curl for the Server header: kwok runs no container, so nothing answers as nginx behind the Services";
    prove(
        "argo-rollouts-bluegreen",
        &["eks-cluster/create-cluster"],
        &[
            (
                "install-controller",
                Gap(
                    "`sudo mv kubectl-argo-rollouts /usr/local/bin/`: the test machine has no sudo (the sandbox serves install.yaml and the plugin, and the supervisor runs the controller)",
                ),
            ),
            ("deploy-blue", Proved),
            ("release-green", ChecksOnly(no_server)),
            ("promote", ChecksOnly(no_server)),
            ("teardown", Proved),
        ],
    );
}

#[test]
fn production_hardening_lab_in_the_sandbox() {
    use Expect::*;
    prove(
        "production-hardening",
        &["eks-cluster/create-cluster", "eks-cluster/critical-pool"],
        &[
            ("pdb", Proved),
            ("vpc-cni", Gap("traffic between pods: kwok runs no containers, so netpol-test.sh cannot probe the policies (it says \"not tested\" and exits 2)")),
            ("control-plane", Proved),
            ("ebs-csi", Proved),
            ("spot-interruption", Proved),
            ("dev-scale-to-zero", Proved),
            ("teardown", Proved),
        ],
    );
}
