//! One test binary for cli: the modules below, each what was once a binary of its own
//! (one link of the crate instead of 6).

#[path = "../common/mod.rs"]
mod common;
#[path = "../live/mod.rs"]
mod live;

mod check_cmd;
mod cleanup_cmd;
mod cli;
mod e2e_pty;
mod layers;
mod readme;
mod release;
mod sandbox_doctor;
mod sandbox_downloads;
mod sandbox_eksctl;
mod sandbox_irsa;
mod sandbox_labs;
mod sandbox_scenario;
mod sandbox_supervisor;
mod scenario_cmd;
