//! The fauxauth harness: runs YAML scenarios against the provider, the resource and a client, and
//! reports what happened. The `fauxauth` binary is built on it.
//!
//! - [`scenario`]: the scenario format, its loader, the world it runs in, the runner.
//! - [`app`]: `fauxauth test`, the app check library against the user's own app.
//! - [`report`]: the HTML report both share.

pub mod app;
pub mod report;
pub mod scenario;
