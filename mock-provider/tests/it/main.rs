//! Integration tests of the provider: router tests without sockets, then end-to-end flows over
//! real sockets with third-party client libraries.

mod helpers;

mod authorize;
mod backchannel;
mod client_assertion;
mod clients;
mod device;
mod discovery;
mod dpop;
mod e2e;
mod form_post;
mod hardening;
mod logout;
mod par;
mod presets;
mod refresh;
mod revocation;
mod scripting;
mod token;
mod token_exchange;
mod userinfo;
