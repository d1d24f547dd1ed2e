//! Scenarios: stories of protocol behaviour written as data, run against an in-process ecosystem.
//!
//! - `model`: the format, as types (`deny_unknown_fields` everywhere).
//! - `load`: finding and loading files; every problem with file, line, step and field.
//! - `browser`: the person at the browser: cookies, redirects, pages, the callback intercepted.
//! - `ecosystem`: the provider and resource a scenario runs against, on one frozen clock.
//! - `runner`: steps, captures and expectations.
//! - `suite`: many scenarios in parallel, and the self-check of the client's protections.
//! - `transcript`: the stable record of every exchange.

pub mod browser;
pub mod ecosystem;
pub mod load;
pub mod model;
pub mod runner;
pub mod suite;
pub mod transcript;

pub use load::{Loaded, discover, load, load_all, parse};
pub use runner::{Failure, Outcome, run, run_with};
pub use suite::{SelfCheck, run_all, self_check};
