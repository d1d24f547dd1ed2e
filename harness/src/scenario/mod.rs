//! Scenarios: stories of protocol behaviour written as data, run against an in-process ecosystem
//! (`fauxauth run`), and the app checks, run against an app under test (`fauxauth test`).
//!
//! - `model`: the format, as types (`deny_unknown_fields` everywhere).
//! - `load`: finding and loading files; every problem with file, line, step and field.
//! - `browser`: the person at the browser: cookies, redirects, pages, the callback intercepted.
//! - `ecosystem`: the provider and resource a scenario runs against, and the client slot.
//! - `runner`: steps (`act`), expectations (`expect`) and captures (`capture`).
//! - `suite`: many scenarios in parallel, and the self-check of the client's protections.
//! - `transcript`: the stable record of every exchange.

pub mod ecosystem;
pub mod load;
pub mod model;
pub mod runner;
pub mod suite;
pub mod transcript;

pub use load::{Loaded, discover, is_app_check, load, load_all, load_built_in, parse};
pub use runner::{CLIENT_KEY_ID, CLIENT_KEY_PEM, Failure, Outcome, run, run_in, run_with};
pub use suite::{SelfCheck, run_all, self_check};
