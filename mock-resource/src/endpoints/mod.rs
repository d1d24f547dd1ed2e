//! The demo API, one module per endpoint, each a thin adapter over [`AccessToken`](crate::AccessToken).

pub mod items;
mod me;

use axum::Router;

use crate::ResourceState;

/// Every route of the demo API.
pub fn router() -> Router<ResourceState> {
    Router::new().merge(me::router()).merge(items::router())
}
