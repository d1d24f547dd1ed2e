//! The protocol core as plain functions over plain types, no HTTP: the authorization response
//! (`callback`) and the ID token (`id_token`).

pub mod callback;
pub mod id_token;
