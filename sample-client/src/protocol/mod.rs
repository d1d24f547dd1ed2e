//! The protocol core as plain functions over plain types, no HTTP: the authorization response
//! (`callback`), which issuer a provider and its ID tokens may name (`issuer`), and the ID token
//! (`id_token`).

pub mod callback;
pub mod id_token;
pub mod issuer;
