//! The harness's integration tests, one binary (as ripgrep has one): one link of the
//! whole workspace instead of five, and one place to see what is covered.
//!
//! - `app`: `fauxauth test` against the reference client run as an app, and its app-file errors;
//! - `cli`: the `fauxauth` commands' flags, output and exits;
//! - `client`: the reference client against the real provider and resource, each weakness caught
//!   when off and let through when on; `fauxauth client` and `fauxauth up`;
//! - `ecosystem`: provider, resource and client together through the Rust API;
//! - `readme`: the README's sample output, counted against the library;
//! - `scenarios`: the scenario library, each transcript against its snapshot.

mod app;
mod cli;
mod client;
mod ecosystem;
mod readme;
mod scenarios;
