//! A Kubernetes control plane of a test's own (etcd, kube-apiserver, controller manager,
//! scheduler, and kwok simulating every node), started with kwokctl from the same binaries as
//! the shared test cluster, and deleted when dropped. For tests that must own cluster-wide
//! state (nodes, kube-system) or kill the API server. About 3 s to start and 600 MB resident.

use std::process::{Command, Stdio};

use super::unique;

pub struct OwnCluster {
    pub name: String,
    workdir: tempfile::TempDir,
    bin: String,
}

impl OwnCluster {
    pub fn start(prefix: &str) -> Self {
        // kwokctl picks free ports when it creates a cluster: two creations at once can pick the
        // same one, so tests of one binary create their clusters one at a time
        static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = CREATING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let bin = std::env::var("KUBEDOJO_TEST_BIN").expect("KUBEDOJO_TEST_BIN: start the test environment (tests/testenv.sh up)");
        let cluster = Self { name: unique(prefix), workdir: tempfile::tempdir().expect("tempdir"), bin };
        let b = &cluster.bin;
        cluster.kwokctl(&[
            "create",
            "cluster",
            "--runtime",
            "binary",
            "--wait",
            "2m",
            "--kube-apiserver-binary",
            &format!("{b}/kube-apiserver"),
            "--kube-controller-manager-binary",
            &format!("{b}/kube-controller-manager"),
            "--kube-scheduler-binary",
            &format!("{b}/kube-scheduler"),
            "--kwok-controller-binary",
            &format!("{b}/kwok"),
            "--etcd-binary",
            &format!("{b}/etcd"),
            "--kubeconfig",
            &cluster.kubeconfig(),
        ]);
        cluster
    }

    pub fn kubeconfig(&self) -> String {
        self.workdir.path().join("kubeconfig").display().to_string()
    }

    /// The test cluster's kubectl binary (built with the rest).
    pub fn kubectl_bin(&self) -> String {
        format!("{}/kubectl", self.bin)
    }

    pub fn kwokctl(&self, args: &[&str]) {
        let status = Command::new(format!("{}/kwokctl", self.bin))
            .args(args)
            .args(["--name", &self.name])
            .env("KWOK_WORKDIR", self.workdir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("kwokctl");
        assert!(status.success(), "kwokctl {args:?} failed");
    }

    pub fn apiserver_pid(&self) -> String {
        let path = self.workdir.path().join(format!("clusters/{}/pids/kube-apiserver.pid", self.name));
        std::fs::read_to_string(path).expect("apiserver pid").trim().to_string()
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new(format!("{}/kwokctl", self.bin))
            .args(["delete", "cluster", "--name", &self.name])
            .env("KWOK_WORKDIR", self.workdir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
