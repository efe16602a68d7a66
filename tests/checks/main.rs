//! One test binary for checks: the modules below, each what was once a binary of its own
//! (one link of the crate instead of 16).

#[path = "../live/mod.rs"]
mod live;

mod catalog_coverage;
mod checks_access;
mod checks_addons;
mod checks_autoscaling;
mod checks_aws;
mod checks_k8s;
mod checks_karpenter;
mod checks_lb;
mod checks_logs;
mod checks_nodes;
mod checks_podidentity;
mod checks_practices;
mod checks_rbac;
mod checks_rollouts;
mod checks_watch;
mod content_proof;
mod outage;
mod permissions;
mod sandbox_front;
mod sandbox_simulate;
mod scenarios;
