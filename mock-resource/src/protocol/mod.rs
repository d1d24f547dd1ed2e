//! The protocol core as plain functions over plain types: no HTTP, no clock, no I/O.

pub mod bearer;
pub mod claims;
pub mod invalid;
