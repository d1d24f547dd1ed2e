//! `/api/items`: an in-memory list, to show scopes at work. Reading needs `items:read`, adding
//! needs `items:write` (RFC 6750 §3.1 `insufficient_scope` otherwise).

use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::Error;
use crate::token::AccessToken;
use crate::{ResourceState, paths};

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: u64,
    pub name: String,
    /// The `sub` of the token that added it.
    pub created_by: Option<String>,
}

/// The list, shared by every request to one resource.
#[derive(Debug, Default)]
pub struct Items(Mutex<Vec<Item>>);

impl Items {
    /// Forgets every item (a reset).
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn all(&self) -> Vec<Item> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn add(&self, name: String, created_by: Option<String>) -> Item {
        let mut items = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let item = Item {
            id: items.len() as u64 + 1,
            name,
            created_by,
        };
        items.push(item.clone());
        item
    }
}

pub fn router() -> Router<ResourceState> {
    Router::new().route(paths::ITEMS, get(list).post(add))
}

async fn list(State(state): State<ResourceState>, token: AccessToken) -> Result<Response, Error> {
    token.require_scope(paths::ITEMS_READ)?;
    Ok(Json(json!({ "items": state.items().all() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewItem {
    name: String,
}

async fn add(
    State(state): State<ResourceState>,
    token: AccessToken,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    token.require_scope(paths::ITEMS_WRITE)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(Error::BadRequest(
            "the body must be application/json: {\"name\": \"...\"}".into(),
        ));
    }
    let new: NewItem = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("the body must be {{\"name\": \"...\"}}: {e}")))?;
    if new.name.trim().is_empty() {
        return Err(Error::BadRequest("name must not be empty".into()));
    }
    let item = state.items().add(new.name, token.sub.clone());
    Ok((StatusCode::CREATED, Json(item)).into_response())
}
