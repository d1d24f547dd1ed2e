//! Every path the resource serves, in one place.

/// The caller's profile: what the token says, and the issuer's user data.
pub const ME: &str = "/api/me";
/// An in-memory list: `GET` needs `items:read`, `POST` needs `items:write`.
pub const ITEMS: &str = "/api/items";

/// The scope `GET /api/items` needs.
pub const ITEMS_READ: &str = "items:read";
/// The scope `POST /api/items` needs.
pub const ITEMS_WRITE: &str = "items:write";
