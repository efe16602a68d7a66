//! Every break-fix scenario, end to end on the test environment: the lab's published solution
//! builds the working state (a simulated EKS: own control plane, kwok nodes, the emulator), the
//! checks pass; the scenario engine injects the fault; the expected check fails with the
//! expected message; the documented fix (or a reset) makes the checks pass again.

mod live;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kubedojo::content::{PackFiles, Scenario};
use kubedojo::scenario::{self, ScenarioRun};
use live::eks::SimEks;
use live::labs;
use live::proof::{Proof, exercise};

fn scenario_def(id: &str) -> Scenario {
    let loaded = kubedojo::content::load(&PackFiles::embedded());
    loaded.pack.scenario(id).unwrap_or_else(|| panic!("no scenario {id}")).clone()
}

/// The scenario's variables as this lab's environment has them.
fn vars_for(s: &Scenario, sim: &SimEks) -> BTreeMap<String, String> {
    let loaded = kubedojo::content::load(&PackFiles::embedded());
    let mut v = scenario::vars(&loaded.pack, s);
    v.extend(sim.vars.clone());
    v
}

fn show(r: &[kubedojo::checks::CheckResult]) -> String {
    r.iter().map(|r| format!("  {:?} {}: {}", r.status, r.check, r.message)).collect::<Vec<_>>().join("\n")
}

/// Inject the fault and wait until the checks show it.
async fn inject(sim: &SimEks, s: &Scenario, vars: &BTreeMap<String, String>) -> ScenarioRun {
    let run = match scenario::start(&sim.backend, &kubedojo::content::load(&PackFiles::embedded()).pack, &PackFiles::embedded(), s, vars, 1_800_000_000, "test".into()).await {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_wrong_audience() {
    let s = scenario_def("irsa-wrong-audience");
    let sim = SimEks::start(&exercise("irsa-s3"), "kd-sc-aud", "us-east-2").await;
    labs::irsa_s3(&mut Proof::setup(exercise("irsa-s3")), &sim).await;
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    // the documented fix: the audience back to sts.amazonaws.com in the trust policy
    let role = format!("{}-s3-reader", sim.name);
    let doc = sim.aws().iam.get_role().role_name(&role).send().await.expect("get-role").role.and_then(|r| r.assume_role_policy_document).unwrap_or_default();
    let doc = percent_encoding::percent_decode_str(&doc).decode_utf8().expect("utf-8").replace("\"sts.amazon.com\"", "\"sts.amazonaws.com\"");
    sim.aws().iam.update_assume_role_policy().role_name(&role).policy_document(doc).send().await.expect("update-assume-role-policy");
    assert_fixed(&sim, &s, &v).await;
    // a second time, put back by reset instead
    let run2 = inject(&sim, &s, &v).await;
    reset(&sim, &run2).await;
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_renamed_service_account() {
    let s = scenario_def("irsa-renamed-service-account");
    let sim = SimEks::start(&exercise("irsa-s3"), "kd-sc-rename", "ap-southeast-1").await;
    labs::irsa_s3(&mut Proof::setup(exercise("irsa-s3")), &sim).await;
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    // fix: the Deployment back on the ServiceAccount the role trusts (and the stray one gone)
    sim.kubectl(&["-n", "shop", "patch", "deployment", "s3-reader", "--type=merge", "-p", r#"{"spec":{"template":{"spec":{"serviceAccountName":"s3-reader"}}}}"#], None);
    sim.kubectl(&["-n", "shop", "delete", "serviceaccount", "s3-readr"], None);
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluent_bit_policy_detached() {
    let s = scenario_def("fluent-bit-policy-detached");
    let sim = SimEks::start(&exercise("fluent-bit-logs"), "kd-sc-fbiam", "ap-south-2").await;
    labs::fluent_bit_logs(&mut Proof::setup(exercise("fluent-bit-logs")), &sim).await;
    let v = vars_for(&s, &sim);
    let _run = inject(&sim, &s, &v).await;
    sim.attach(&format!("{}-fluent-bit", sim.name), "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy").await;
    assert_fixed(&sim, &s, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluent_bit_wrong_cluster_name() {
    let s = scenario_def("fluent-bit-wrong-cluster-name");
    let sim = SimEks::start(&exercise("fluent-bit-logs"), "kd-sc-fbname", "eu-central-2").await;
    labs::fluent_bit_logs(&mut Proof::setup(exercise("fluent-bit-logs")), &sim).await;
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    let patch = serde_json::json!({"data": {"cluster.name": sim.name}}).to_string();
    sim.kubectl(&["-n", "amazon-cloudwatch", "patch", "configmap", "fluent-bit-cluster-info", "--type=merge", "-p", &patch], None);
    sim.kubectl(&["-n", "amazon-cloudwatch", "rollout", "restart", "daemonset/fluent-bit"], None);
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdb_blocks_drain() {
    let s = scenario_def("pdb-blocks-drain");
    let sim = SimEks::start(&exercise("production-hardening"), "kd-sc-pdb", "eu-south-2").await;
    labs::production_hardening(&mut Proof::setup(exercise("production-hardening")), &sim).await;
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    sim.kubectl(&["-n", "shop", "patch", "pdb", "payments", "--type=merge", "-p", r#"{"spec":{"minAvailable":null,"maxUnavailable":1}}"#], None);
    assert_fixed(&sim, &s, &v).await;
    // reset after a fix is harmless: it sets back what the fault replaced
    let run2 = inject(&sim, &s, &v).await;
    reset(&sim, &run2).await;
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_ingress_class_renamed() {
    let s = scenario_def("alb-ingress-class-renamed");
    let sim = SimEks::start(&exercise("alb-ingress"), "kd-sc-alb", "ca-west-1").await;
    labs::alb_ingress(&mut Proof::setup(exercise("alb-ingress")), &sim).await;
    let v = vars_for(&s, &sim);
    let _run = inject(&sim, &s, &v).await;
    sim.kubectl(&["-n", "shop", "patch", "ingress", "storefront", "--type=merge", "-p", r#"{"spec":{"ingressClassName":"alb"}}"#], None);
    assert_fixed(&sim, &s, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_discovery_tag_removed() {
    let s = scenario_def("ca-discovery-tag-removed");
    let sim = SimEks::start(&exercise("cluster-autoscaler"), "kd-sc-ca", "me-central-1").await;
    labs::cluster_autoscaler(&mut Proof::setup(exercise("cluster-autoscaler")), &sim).await;
    let v = vars_for(&s, &sim);
    let run = inject(&sim, &s, &v).await;
    // fix: the tag back on the spot group's ASG
    let aws = sim.aws();
    let asg = aws.eks.describe_nodegroup().cluster_name(&sim.name).nodegroup_name("spot").send().await.expect("describe-nodegroup").nodegroup.and_then(|n| n.resources?.auto_scaling_groups?.first()?.name.clone()).expect("asg");
    let tag = aws_sdk_autoscaling::types::Tag::builder().key(format!("k8s.io/cluster-autoscaler/{}", sim.name)).value("owned").resource_id(&asg).resource_type("auto-scaling-group").propagate_at_launch(true).build();
    aws.autoscaling.create_or_update_tags().tags(tag).send().await.expect("create-or-update-tags");
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_left_paused() {
    let s = scenario_def("rollout-left-paused");
    let sim = SimEks::start(&exercise("argo-rollouts-bluegreen"), "kd-sc-ro", "il-central-1").await;
    labs::argo_rollouts_bluegreen(&mut Proof::setup(exercise("argo-rollouts-bluegreen")), &sim).await;
    let v = vars_for(&s, &sim);
    // the controller (stood in) reconciles after every change
    let run = match scenario::start(&sim.backend, &kubedojo::content::load(&PackFiles::embedded()).pack, &PackFiles::embedded(), &s, &v, 1, "test".into()).await {
        Ok(run) => run,
        Err(e) => panic!("start failed: {e:?}"),
    };
    labs::argo::reconcile(&sim, "shop", "web", false);
    let r = scenario::check(&sim.backend, &s, &v).await;
    assert!(scenario::shows_fault(&s, &r), "{}", show(&r));
    // kubectl argo rollouts promote web: unpauses, and the controller makes it Healthy
    sim.kubectl(&["-n", "shop", "patch", "rollout", "web", "--type=merge", "-p", r#"{"spec":{"paused":false}}"#], None);
    labs::argo::reconcile(&sim, "shop", "web", true);
    assert_fixed(&sim, &s, &v).await;
    drop(run);
}

/// A scenario whose working state kubedojo can build itself (its `setup`), on a cluster where no
/// lab was done, as in `kubedojo sandbox`: set up, break, reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_builds_its_working_state_on_an_empty_cluster() {
    let s = scenario_def("fluent-bit-wrong-cluster-name");
    assert!(!s.setup.is_empty());
    let sim = SimEks::start(&exercise("fluent-bit-logs"), "kd-sc-empty", "sa-east-1").await;
    // the lab's defaults, as a sandbox has them
    let loaded = kubedojo::content::load(&PackFiles::embedded());
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
