//! The protocol core: plain functions over plain types, no HTTP and no I/O, each unit-tested.

pub mod authorize;
pub mod claims_request;
pub mod client_assertion;
pub mod client_auth;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod scope;
