//! Every path the provider serves, relative to an issuer. Routes and the discovery document are
//! both built from these constants, so they cannot disagree.

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
/// RFC 8414 §3: for an issuer with a path, the metadata lives at
/// `/.well-known/oauth-authorization-server{path}` on the host; it is also served under the issuer.
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const LOGIN: &str = "/login";
pub const CONSENT: &str = "/consent";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const REVOKE: &str = "/revoke";
pub const INTROSPECT: &str = "/introspect";
pub const LOGOUT: &str = "/logout";
/// RFC 8628 §3.1: where a device asks for a user code.
pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
/// RFC 8628 §3.3: where the person types it (`verification_uri`).
pub const DEVICE: &str = "/device";
/// RFC 9126 §2: where a client pushes its authorization request.
pub const PAR: &str = "/par";
