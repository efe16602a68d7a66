//! Course content as data: files -> parsed model -> diagnostics. No UI, no network.

pub mod assets;
pub mod card;
pub mod commands;
pub mod cost;
pub mod course;
pub mod diag;
pub mod exercise;
pub mod files;
pub mod kinds;
pub mod lesson;
pub mod lint;
pub mod load;
pub mod loc;
pub mod model;
pub mod order;
pub mod pins;
pub mod scenario;
pub mod suggest;
pub mod toml_src;
pub mod vars;
pub mod versions;

pub use diag::Diagnostic;
pub use files::PackFiles;
pub use kinds::CheckKinds;
pub use load::{Loaded, load};
pub use loc::{Loc, Markdown};
pub use model::*;
