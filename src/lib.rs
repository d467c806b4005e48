//! gauth: make browser-based OAuth login work wherever a terminal runs.
//!
//! The library holds everything; `src/main.rs` only maps [`main_with`] to the
//! process exit code. The modules are floors (see the README's "How the code
//! is laid out"): each uses only the floors below it.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod decide;
pub mod error;
pub mod ops;
pub mod render;
pub mod system;
pub mod text;

pub use app::main_with;
