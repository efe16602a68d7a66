//! One test binary for ui: the modules below, each what was once a binary of its own
//! (one link of the crate instead of 8).

#[path = "../common/mod.rs"]
mod common;

mod app_flow;
mod drill_content;
mod drill_flow;
mod drill_screens;
mod scenario_screens;
mod screens;
mod workshop_board;
mod workshop_observe;
