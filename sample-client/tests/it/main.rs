//! End-to-end tests over real sockets on 127.0.0.1: a client started with `spawn`, a provider
//! and a resource played by wiremock, the browser every test plays (`fauxauth-browser`).

mod backchannel;
mod github;
mod helpers;
mod login;
mod logout;
mod me;
mod presets;
mod resilience;
mod weaknesses;
