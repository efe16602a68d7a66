//! Every break-fix scenario, end to end on the test environment: the lab's published solution
//! builds the working state (a simulated EKS: own control plane, kwok nodes, the emulator), the
//! checks pass; the scenario engine injects the fault; the expected check fails with the
//! expected message; the documented fix (or a reset) makes the checks pass again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::live::eks::SimEks;
use crate::live::labs;
use crate::live::proof::{Proof, exercise};
use kubedojo::content::{PackFiles, Scenario};
use kubedojo::scenario::{self, ScenarioRun};

fn scenario_def(id: &str) -> Scenario {
    let loaded = kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds());
    loaded.pack.scenario(id).unwrap_or_else(|| panic!("no scenario {id}")).clone()
}

/// The scenario's variables as this lab's environment has them.
fn vars_for(s: &Scenario, sim: &SimEks) -> BTreeMap<String, String> {
    let loaded = kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds());
    let mut v = scenario::vars(&loaded.pack, s);
    v.extend(sim.vars.clone());
    v
}

fn show(r: &[kubedojo::checks::CheckResult]) -> String {
    r.iter().map(|r| format!("  {:?} {}: {}", r.status, r.check, r.message)).collect::<Vec<_>>().join("\n")
}

/// Inject the fault and wait until the checks show it.
async fn inject(sim: &SimEks, s: &Scenario, vars: &BTreeMap<String, String>) -> ScenarioRun {
    let run = match scenario::start(
        &sim.backend,
        &kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds()).pack,
        &PackFiles::embedded(),
        s,
        vars,
        1_800_000_000,
        "test".into(),
    )
    .await
    {
        Ok(run) => run,
        Err(e) => panic!("{}: start failed: {e:?}", s.id),
    };
    assert_eq!(run.undo.len(), s.fault.len(), "an undo per change");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = scenario::check(&sim.backend, s, vars).await;
        if scenario::shows_fault(s, &r) {
            println!("{} broken:\n{}", s.id, show(&r));
            return run;
        }
        assert!(Instant::now() < deadline, "{}: the fault does not show:\n{}", s.id, show(&r));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn assert_fixed(sim: &SimEks, s: &Scenario, vars: &BTreeMap<String, String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = scenario::check(&sim.backend, s, vars).await;
        if scenario::all_pass(&r) {
            println!("{} fixed:\n{}", s.id, show(&r));
            return;
        }
        assert!(Instant::now() < deadline, "{}: still broken after the fix:\n{}", s.id, show(&r));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn reset(sim: &SimEks, run: &ScenarioRun) {
    let failed = scenario::reset(&sim.backend, &run.undo).await;
    assert!(failed.is_empty(), "{failed:?}");
}

/// The fault injected once more, then put back by reset: the checks pass again.
async fn inject_reset_fixed(sim: &SimEks, s: &Scenario, vars: &BTreeMap<String, String>) {
    let run = inject(sim, s, vars).await;
    reset(sim, &run).await;
    assert_fixed(sim, s, vars).await;
}

/// The lab of scenario `id` solved on a fresh simulated EKS (`name`, `region`), then the fault
/// injected: the scenario, the environment, its variables and the run.
async fn broken(id: &str, name: &str, region: &str) -> (Scenario, SimEks, BTreeMap<String, String>, ScenarioRun) {
    let s = scenario_def(id);
    let sim = match s.lab.as_str() {
        // its EKS APIs (add-ons, associations, access entries) are the sandbox front's
        "pod-identity-access" => SimEks::start_through_front(&exercise(&s.lab), name, region, &[]).await,
        _ => SimEks::start(&exercise(&s.lab), name, region).await,
    };
    let mut p = Proof::setup(exercise(&s.lab));
    match s.lab.as_str() {
        "pod-identity-access" => labs::pod_identity_access(&mut p, &sim).await,
        "irsa-s3" => labs::irsa_s3(&mut p, &sim).await,
        "fluent-bit-logs" => labs::fluent_bit_logs(&mut p, &sim).await,
        "production-hardening" => labs::production_hardening(&mut p, &sim).await,
        "alb-ingress" => labs::alb_ingress(&mut p, &sim).await,
        "cluster-autoscaler" => labs::cluster_autoscaler(&mut p, &sim).await,
        "argo-rollouts-bluegreen" => labs::argo_rollouts_bluegreen(&mut p, &sim).await,
        other => panic!("no lab flow for {other}"),
    }
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    (s, sim, v, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_wrong_audience() {
    let (s, sim, v, run) = broken("irsa-wrong-audience", "kd-sc-aud", "us-east-2").await;
    // the documented fix: the audience back to sts.amazonaws.com in the trust policy
    let role = format!("{}-s3-reader", sim.name);
    let doc = sim.aws().iam.get_role().role_name(&role).send().await.expect("get-role").role.and_then(|r| r.assume_role_policy_document).unwrap_or_default();
    let doc = percent_encoding::percent_decode_str(&doc).decode_utf8().expect("utf-8").replace("\"sts.amazon.com\"", "\"sts.amazonaws.com\"");
    sim.aws().iam.update_assume_role_policy().role_name(&role).policy_document(doc).send().await.expect("update-assume-role-policy");
    assert_fixed(&sim, &s, &v).await;
    // a second time, put back by reset instead
    inject_reset_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_identity_tagsession_removed() {
    let (s, sim, v, run) = broken("pod-identity-tagsession-removed", "kd-sc-tag", "eu-west-3").await;
    // the documented fix: the lab's trust policy back on the role
    let role = format!("{}-{}", sim.name, sim.var("podSa"));
    let doc = sim.asset("pod-identity-access/trust-policy.json");
    sim.aws().iam.update_assume_role_policy().role_name(&role).policy_document(doc).send().await.expect("update-assume-role-policy");
    assert_fixed(&sim, &s, &v).await;
    inject_reset_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_renamed_service_account() {
    let (s, sim, v, run) = broken("irsa-renamed-service-account", "kd-sc-rename", "ap-southeast-1").await;
    // fix: the Deployment back on the ServiceAccount the role trusts (and the stray one gone)
    sim.kubectl(
        &["-n", "shop", "patch", "deployment", "s3-reader", "--type=merge", "-p", r#"{"spec":{"template":{"spec":{"serviceAccountName":"s3-reader"}}}}"#],
        None,
    );
    sim.kubectl(&["-n", "shop", "delete", "serviceaccount", "s3-readr"], None);
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluent_bit_policy_detached() {
    let (s, sim, v, _run) = broken("fluent-bit-policy-detached", "kd-sc-fbiam", "ap-south-2").await;
    sim.attach(&format!("{}-fluent-bit", sim.name), "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy").await;
    assert_fixed(&sim, &s, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluent_bit_wrong_cluster_name() {
    let (s, sim, v, run) = broken("fluent-bit-wrong-cluster-name", "kd-sc-fbname", "eu-central-2").await;
    let patch = serde_json::json!({"data": {"cluster.name": sim.name}}).to_string();
    sim.kubectl(&["-n", "amazon-cloudwatch", "patch", "configmap", "fluent-bit-cluster-info", "--type=merge", "-p", &patch], None);
    sim.kubectl(&["-n", "amazon-cloudwatch", "rollout", "restart", "daemonset/fluent-bit"], None);
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdb_blocks_drain() {
    let (s, sim, v, run) = broken("pdb-blocks-drain", "kd-sc-pdb", "eu-south-2").await;
    sim.kubectl(&["-n", "shop", "patch", "pdb", "payments", "--type=merge", "-p", r#"{"spec":{"minAvailable":null,"maxUnavailable":1}}"#], None);
    assert_fixed(&sim, &s, &v).await;
    // reset after a fix is harmless: it sets back what the fault replaced
    inject_reset_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_ingress_class_renamed() {
    let (s, sim, v, _run) = broken("alb-ingress-class-renamed", "kd-sc-alb", "ca-west-1").await;
    sim.kubectl(&["-n", "shop", "patch", "ingress", "storefront", "--type=merge", "-p", r#"{"spec":{"ingressClassName":"alb"}}"#], None);
    assert_fixed(&sim, &s, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_discovery_tag_removed() {
    let (s, sim, v, run) = broken("ca-discovery-tag-removed", "kd-sc-ca", "me-central-1").await;
    // fix: the tag back on the spot group's ASG
    let aws = sim.aws();
    let asg = aws
        .eks
        .describe_nodegroup()
        .cluster_name(&sim.name)
        .nodegroup_name("spot")
        .send()
        .await
        .expect("describe-nodegroup")
        .nodegroup
        .and_then(|n| n.resources?.auto_scaling_groups?.first()?.name.clone())
        .expect("asg");
    let tag = aws_sdk_autoscaling::types::Tag::builder()
        .key(format!("k8s.io/cluster-autoscaler/{}", sim.name))
        .value("owned")
        .resource_id(&asg)
        .resource_type("auto-scaling-group")
        .propagate_at_launch(true)
        .build();
    aws.autoscaling.create_or_update_tags().tags(tag).send().await.expect("create-or-update-tags");
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

/// Also through the CLI's own texts (`scenario start`, `scenario status`, `scenario hint`): the
/// symptom, the hints, the fix and the debrief carry the learner's values, never a `{{variable}}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_left_paused() {
    let s = scenario_def("rollout-left-paused");
    let sim = SimEks::start(&exercise("argo-rollouts-bluegreen"), "kd-sc-ro", "il-central-1").await;
    labs::argo_rollouts_bluegreen(&mut Proof::setup(exercise("argo-rollouts-bluegreen")), &sim).await;
    let v = vars_for(&s, &sim);
    let unexpanded = |what: &str, text: &str| assert!(!text.contains("{{"), "{what} shows a variable unexpanded:\n{text}");
    // the controller (stood in) reconciles after every change
    let pack = kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds()).pack;
    let (mut run, started) = match kubedojo::commands::scenario::start(&sim.backend, &pack, &PackFiles::embedded(), &s, &v, 1_000, "test").await {
        Ok(started) => started,
        Err(e) => panic!("start failed: {e}"),
    };
    assert!(started.contains("rollout shop/web is not Healthy"), "the symptom with the learner's rollout:\n{started}");
    unexpanded("scenario start", &started);
    labs::argo::reconcile(&sim, "shop", "web", false);
    let r = scenario::check(&sim.backend, &s, &v).await;
    assert!(scenario::shows_fault(&s, &r), "{}", show(&r));
    let (broken, fixed) = kubedojo::commands::scenario::status(&sim.backend, &s, &v, &mut run, 1_100).await;
    assert!(!fixed && broken.contains("Still broken after 1:40"), "{broken}");
    let first = kubedojo::commands::scenario::hint(&s, &mut run, &v);
    assert!(first.starts_with("Hint 1 of "), "{first}");
    let hint = kubedojo::commands::scenario::hint(&s, &mut run, &v);
    assert!(hint.starts_with("Hint 2 of ") && hint.contains("kubectl argo rollouts get rollout web -n shop"), "{hint}");
    unexpanded("scenario hint", &hint);
    // kubectl argo rollouts promote web: unpauses, and the controller makes it Healthy
    sim.kubectl(&["-n", "shop", "patch", "rollout", "web", "--type=merge", "-p", r#"{"spec":{"paused":false}}"#], None);
    labs::argo::reconcile(&sim, "shop", "web", true);
    assert_fixed(&sim, &s, &v).await;
    let (done, fixed) = kubedojo::commands::scenario::status(&sim.backend, &s, &v, &mut run, 1_300).await;
    assert!(fixed && done.contains("Fixed in 5:00 with 2 hints"), "{done}");
    assert!(done.contains("## Debrief") && done.contains("Someone froze `web`"), "the debrief with the learner's rollout:\n{done}");
    unexpanded("scenario status (fixed)", &done);
}

/// A scenario whose working state kubedojo can build itself (its `setup`), on a cluster where no
/// lab was done, as in `kubedojo sandbox`: set up, break, reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_builds_its_working_state_on_an_empty_cluster() {
    let s = scenario_def("fluent-bit-wrong-cluster-name");
    assert!(!s.setup.is_empty());
    let sim = SimEks::start(&exercise("fluent-bit-logs"), "kd-sc-empty", "sa-east-1").await;
    // the lab's defaults, as a sandbox has them
    let loaded = kubedojo::content::load(&PackFiles::embedded(), &kubedojo::checks::catalog::known_kinds());
    let v = scenario::vars(&loaded.pack, &s);
    let r = scenario::check(&sim.backend, &s, &v).await;
    assert!(!scenario::all_pass(&r), "nothing there yet: {}", show(&r));
    let run = match scenario::start(&sim.backend, &loaded.pack, &PackFiles::embedded(), &s, &v, 1, "test".into()).await {
        Ok(run) => run,
        Err(e) => panic!("start failed: {e:?}"),
    };
    let r = scenario::check(&sim.backend, &s, &v).await;
    assert!(scenario::shows_fault(&s, &r), "{}", show(&r));
    reset(&sim, &run).await;
    assert_fixed(&sim, &s, &v).await;
}
