//! The fauxauth harness: runs YAML scenarios against the provider, the resource and a client, and
//! reports what happened. The `fauxauth` binary is built on it.

pub mod scenario;
