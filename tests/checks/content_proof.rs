//! Content proof, as eks-workshop-v2 does for its pages: each exercise's published solution
//! (the manifests and commands under assets/, with the AWS side created in the emulator) is
//! applied step by step to a simulated EKS (tests/live/eks.rs), and each step's checks must
//! not pass before and must pass after. A solution that does not satisfy its own checks fails.
//!
//! Every proof owns a control plane (nodes and kube-system are cluster-wide) and an emulator
//! region (the emulator gives all clusters of a region one OIDC issuer).

use crate::live::eks::SimEks;
use crate::live::labs;
use crate::live::proof::{Proof, exercise};

/// Every proof runs with values other than the labs' defaults (cluster, region and account are
/// the proof's own too), as a learner who changed them would: every published file and command
/// must take the lab's variables.
const VALUES: &[(&str, &str)] = &[("appNs", "storefront-prod"), ("irsaSa", "report-reader"), ("podSa", "ledger-reader")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_cluster_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("eks-cluster"));
    let mut sim = SimEks::start_with(&p.exercise, "kd-proof-cluster", "eu-west-3", VALUES).await;
    labs::eks_cluster(&mut p, &mut sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_s3_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("irsa-s3"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-irsa", "eu-central-1", VALUES).await;
    labs::irsa_s3(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_identity_access_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("pod-identity-access"));
    let sim = SimEks::start_through_front(&p.exercise, "kd-proof-podid", "eu-north-1", VALUES).await;
    labs::pod_identity_access(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_autoscaler_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("cluster-autoscaler"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-ca", "eu-west-2", VALUES).await;
    labs::cluster_autoscaler(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fluent_bit_logs_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("fluent-bit-logs"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-logs", "us-west-2", VALUES).await;
    labs::fluent_bit_logs(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alb_ingress_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("alb-ingress"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-alb", "ap-northeast-2", VALUES).await;
    labs::alb_ingress(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_rollouts_bluegreen_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("argo-rollouts-bluegreen"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-rollouts", "eu-south-1", VALUES).await;
    labs::argo_rollouts_bluegreen(&mut p, &sim).await;
    p.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_hardening_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("production-hardening"));
    let sim = SimEks::start_with(&p.exercise, "kd-proof-hardening", "ap-south-1", VALUES).await;
    labs::production_hardening(&mut p, &sim).await;
    p.finish();
}
