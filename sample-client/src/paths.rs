//! Every path the client serves. The callback's path follows the redirect URI (by default
//! `/callback`), so it is not here.

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const ME: &str = "/me";
pub const LOGOUT: &str = "/logout";
/// Where the provider posts logout tokens (OpenID Connect Back-Channel Logout 1.0): the
/// client's `backchannel_logout_uri` is `{base URL}/backchannel-logout`.
pub const BACKCHANNEL_LOGOUT: &str = "/backchannel-logout";
/// The callback's path when the redirect URI is derived from the base URL.
pub const DEFAULT_CALLBACK: &str = "/callback";
