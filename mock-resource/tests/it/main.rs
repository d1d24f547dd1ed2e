//! End-to-end tests over real sockets on 127.0.0.1: a resource started with `spawn`, an issuer
//! played by wiremock, tokens signed here.

mod api;
mod challenges;
mod dpop;
mod github;
mod google;
mod helpers;
mod introspection;
mod jwt;
mod keys;
mod microsoft;
mod presets;
mod scripting;
