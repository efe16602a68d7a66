//! A break-fix scenario end to end in the sandbox, on the learner's path: the lab's working
//! state from its published commands, `kubedojo scenario start` breaks it, `scenario status` says
//! it is still broken, the scenario's published fix (its shell blocks, verbatim) repairs it, and
//! `scenario status` says fixed with the debrief. Every text the learner reads carries their
//! values, never a `{{variable}}`.

use crate::sandbox_labs::{Sandbox, VALUES, commands_of, course};
use kubedojo::content::commands::{self, Use};
use std::time::Duration;

#[test]
fn pdb_blocks_drain_breaks_and_is_fixed_in_the_sandbox() {
    let _turn = crate::sandbox_doctor::ONE_SANDBOX_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let pack = course();
    let scenario = pack.scenarios.iter().find(|s| s.id == "pdb-blocks-drain").expect("scenario pdb-blocks-drain");
    let sandbox = Sandbox::up("scenario");
    let files = sandbox.run(&["files", "eks-cluster", "production-hardening", "--dir", "."], None);
    assert_eq!(files.code, Some(0), "kubedojo files: {}", files.stderr);
    // the lab's working state: the cluster and its critical node group, then the lab's PDB step
    for step in ["eks-cluster/create-cluster", "eks-cluster/critical-pool", "production-hardening/pdb"] {
        let out = sandbox.script(&commands_of(&pack, step, Use::Run));
        assert_eq!(out.code, Some(0), "{step}: its commands failed:\n{}\n{}", out.stdout, out.stderr);
    }
    let (ns, cluster) = (value("appNs"), value("cluster"));
    let unexpanded = |what: &str, text: &str| assert!(!text.contains("{{"), "{what} shows a variable unexpanded:\n{text}");

    let start = sandbox.run(&["sandbox", "exec", "--", "kubedojo", "scenario", "start", "pdb-blocks-drain", "--yes"], Some(Duration::from_secs(180)));
    assert_eq!(start.code, Some(0), "scenario start:\n{}\n{}", start.stdout, start.stderr);
    assert!(start.stdout.contains("The fault is in."), "{}", start.stdout);
    assert!(start.stdout.contains(&format!("evicting pod {ns}/payments-")), "the symptom with the learner's namespace:\n{}", start.stdout);
    unexpanded("scenario start", &start.stdout);

    let broken = sandbox.run(&["sandbox", "exec", "--", "kubedojo", "scenario", "status", "pdb-blocks-drain"], Some(Duration::from_secs(120)));
    assert!(broken.stdout.contains("Still broken after"), "status while the fault is in:\n{}\n{}", broken.stdout, broken.stderr);
    assert_ne!(broken.code, Some(0), "status exits non-zero while broken:\n{}", broken.stdout);

    // the symptom holds in the sandbox: the node group's update fails on the budget
    let update = format!(
        "U=$(aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name critical --query update.id --output text)\n\
         sleep 6\n\
         aws eks describe-update --name {cluster} --nodegroup-name critical --update-id \"$U\" \
         --query 'update.[status,type,errors[0].errorCode,errors[0].errorMessage]' --output text"
    );
    let failed = sandbox.script(&update);
    assert_eq!(failed.code, Some(0), "{update}\n{}\n{}", failed.stdout, failed.stderr);
    assert_eq!(
        failed.stdout.trim(),
        "Failed\tVersionUpdate\tPodEvictionFailure\tReached max retries while trying to evict pods from nodes in node group critical",
        "the update while the budget allows no disruption"
    );

    let hint = sandbox.run(&["sandbox", "exec", "--", "kubedojo", "scenario", "hint", "pdb-blocks-drain"], None);
    assert!(hint.stdout.contains("Hint 1 of 3"), "{}", hint.stdout);
    unexpanded("scenario hint", &hint.stdout);

    // the published fix, as the learner copies it
    let fix = kubedojo::content::vars::expand(&commands::script(&commands::blocks(&scenario.fix.text), Use::Run), &kubedojo::scenario::vars(&pack, scenario));
    unexpanded("the fix's commands", &fix);
    assert!(fix.contains(&format!("--cluster-name {cluster}")), "the fix with the learner's cluster:\n{fix}");
    let fixed_by = sandbox.script(&fix);
    assert_eq!(fixed_by.code, Some(0), "the scenario's fix failed:\n{fix}\n{}\n{}", fixed_by.stdout, fixed_by.stderr);

    // the fix started an update of its own: a second one waits until it is over, as in EKS
    let succeeded = sandbox.script(&format!("sleep 6\n{update}"));
    assert_eq!(succeeded.stdout.split('\t').next(), Some("Successful"), "the update after the fix:\n{}\n{}", succeeded.stdout, succeeded.stderr);

    let fixed = sandbox.run(&["sandbox", "exec", "--", "kubedojo", "scenario", "status", "pdb-blocks-drain"], Some(Duration::from_secs(120)));
    assert_eq!(fixed.code, Some(0), "status after the fix:\n{}\n{}", fixed.stdout, fixed.stderr);
    assert!(fixed.stdout.contains("Fixed in") && fixed.stdout.contains("with 1 hint: score"), "{}", fixed.stdout);
    assert!(fixed.stdout.contains("## Debrief") && fixed.stdout.contains("Sources:"), "{}", fixed.stdout);
    unexpanded("scenario status (fixed)", &fixed.stdout);
    sandbox.down();
}

fn value(name: &str) -> &'static str {
    VALUES.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).expect("a value")
}
