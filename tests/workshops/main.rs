//! One test binary for workshops: the modules below, each what was once a binary of its own
//! (one link of the crate instead of 6).

#[path = "../common/mod.rs"]
mod common;
#[macro_use]
#[path = "../workshop/mod.rs"]
mod workshop;

mod workshop_api;
mod workshop_learner;
mod workshop_live;
mod workshop_load;
mod workshop_manifests;
mod workshop_web;
