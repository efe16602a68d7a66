//! Content proof, as eks-workshop-v2 does for its pages: each exercise's published solution
//! (the manifests and commands under assets/, with the AWS side created in the emulator) is
//! applied step by step to a simulated EKS (tests/live/eks.rs), and each step's checks must
//! not pass before and must pass after. A solution that does not satisfy its own checks fails.
//!
//! Every proof owns a control plane (nodes and kube-system are cluster-wide) and an emulator
//! region (the emulator gives all clusters of a region one OIDC issuer).

mod live;

use live::eks::SimEks;
use live::proof::{Proof, exercise};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_cluster_solution_passes_its_checks() {
    let mut p = Proof::new(exercise("eks-cluster"));
    let mut sim = SimEks::start(&p.exercise, "kd-proof-cluster", "eu-west-3").await;

    // preflight: the default profile belongs to another account until the lab profile is chosen
    let other = sim.backend_in_other_account("210987654321").await;
    let lab = std::mem::replace(&mut sim.backend, other);
    p.before(&sim, "preflight").await;
    sim.backend = lab;
    p.after(&sim, "preflight").await;

    p.before(&sim, "create-cluster").await;
    sim.eksctl_create_cluster("eks-cluster/cluster.yaml").await;
    p.after(&sim, "create-cluster").await;

    p.already(&sim, "node-groups", "`eksctl create cluster -f cluster.yaml` (it creates every managed node group of the config)").await;

    p.before(&sim, "critical-pool").await;
    sim.apply("eks-cluster/critical-workload.yaml").await;
    p.after(&sim, "critical-pool").await;

    p.already(
        &sim,
        "spot-pool",
        "`eksctl create cluster -f cluster.yaml` (the spot group is in the config)",
    )
    .await;
    p.finish();
}
