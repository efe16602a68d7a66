//! `kubedojo scenario`: the list, and the refusals that keep it from breaking anything it was
//! not given: no sandbox and no named target, an AWS scenario without a named account, a
//! target whose working state is not in place.

use crate::live;
use assert_cmd::Command;
use predicates::prelude::*;

fn kubedojo(state: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("kubedojo").expect("binary");
    cmd.env("KUBEDOJO_STATE_DIR", state).env_remove("KUBECONFIG").env_remove("AWS_PROFILE");
    cmd
}

#[test]
fn the_list_names_every_scenario_and_its_lab() {
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path()).args(["scenario", "list"]).assert().success().stdout(
        predicate::str::contains("irsa-wrong-audience")
            .and(predicate::str::contains("lab irsa-s3"))
            .and(predicate::str::contains("pdb-blocks-drain"))
            .and(predicate::str::contains("not started")),
    );
}

#[test]
fn nothing_is_broken_without_a_sandbox_or_a_named_target() {
    let state = tempfile::tempdir().expect("tempdir");
    kubedojo(state.path())
        .args(["scenario", "start", "pdb-blocks-drain", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only breaks an environment it created (kubedojo sandbox up) or one you name"));
    kubedojo(state.path())
        .args(["scenario", "start", "irsa-wrong-audience", "--context", "prod", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("changes AWS too: name the account with --aws-profile"));
    kubedojo(state.path()).args(["scenario", "start", "pdb-block-drain"]).assert().code(2).stderr(predicate::str::contains("did you mean pdb-blocks-drain?"));
}

#[test]
fn a_target_without_the_labs_working_state_is_left_alone() {
    let state = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = live::unreachable_kubeconfig(dir.path());
    kubedojo(state.path())
        .args(["scenario", "start", "rollout-left-paused", "--context", "gone", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--yes")
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains("In kube context gone, kubedojo will:")
                .and(predicate::str::contains("Kubernetes Rollout shop/web: set {\"spec\":{\"paused\":true}}")),
        )
        .stderr(predicate::str::contains("the working state of lab argo-rollouts-bluegreen is not in place"));
    // a scenario with a setup says what it would apply, and that nothing was broken when it cannot
    kubedojo(state.path())
        .args(["scenario", "start", "pdb-blocks-drain", "--context", "gone", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("--yes")
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains("apply the working state from lab production-hardening")
                .and(predicate::str::contains("PodDisruptionBudget shop/payments"))
                .and(predicate::str::contains("remove spec.maxUnavailable")),
        )
        .stderr(
            predicate::str::contains("could not set up the working state of lab production-hardening on this target")
                .and(predicate::str::contains("Nothing was broken.")),
        );
    // nothing was recorded
    kubedojo(state.path())
        .args(["scenario", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("not started").and(predicate::str::contains("broken for").not()));
}
