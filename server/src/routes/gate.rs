//! The gate for shops Floodgate does not own (`crate::gate`): the check a shop's proxy
//! makes on every request (nginx's `auth_request`), and the fan page's check of the
//! URL a visitor came from before it sends them back there with their purchase token.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::token::TokenError;
use waiting_room::EventId;

use super::error_docs::*;
use crate::error::ApiError;
use crate::extract::{AppQuery, EventPath};
use crate::gate::{check_return_url, TOKEN_PARAM};
use crate::state::AppState;

/// The header the shop's proxy passes the visitor's purchase token in.
pub const TOKEN_HEADER: &str = "floodgate-gate-token";
/// The header (or `?event=`) naming the event a protected path belongs to.
pub const EVENT_HEADER: &str = "floodgate-event";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check))
        .routes(routes!(return_url))
}

/// `?event=` of the check (the `Floodgate-Event` header wins).
#[derive(Deserialize)]
struct CheckQuery {
    event: Option<String>,
}

#[utoipa::path(
    get,
    path = "/gate/check",
    operation_id = "gateCheck",
    tag = "gate",
    params(
        ("Floodgate-Gate-Token" = Option<String>, Header, nullable = false, description = "The visitor's purchase token (the shop's cookie, passed on by its proxy)"),
        ("Floodgate-Event" = Option<String>, Header, nullable = false, format = "uuid", description = "The event the protected path belongs to"),
        ("event" = Option<String>, Query, format = "uuid", description = "The event, when the proxy cannot set the header"),
    ),
    responses(
        (status = 204, headers(
            ("Floodgate-User" = String, description = "The account the token was issued to"),
            ("Floodgate-Expires" = i64, description = "When the token expires, Unix seconds"),
        )),
        E400, E401, E500,
    )
)]
async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<CheckQuery>,
) -> Result<Response, ApiError> {
    let event = gate_event(&headers, query.event.as_deref())?;
    let token = headers
        .get(TOKEN_HEADER)
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| refused("invalid_token", "the purchase token is not a token"))?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refused(
                "missing_token",
                "no purchase token: wait in line for this sale, then come back",
            )
        })?;
    // Signature, issuer, audience and times; the seat store is not asked, so the
    // token's seats are not touched and the check costs no I/O.
    let claims = state
        .keys
        .check_purchase_token(token)
        .await
        .map_err(|e| match e {
            TokenError::Expired => refused("token_expired", "this purchase token has expired"),
            _ => refused("invalid_token", "this purchase token is not valid"),
        })?;
    if claims.evt != event {
        return Err(refused(
            "wrong_event",
            "this purchase token is for another sale",
        ));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(user) = HeaderValue::from_str(&claims.sub.to_string()) {
        h.insert("floodgate-user", user);
    }
    h.insert("floodgate-expires", HeaderValue::from(claims.exp));
    Ok(response)
}

/// The event of a check: the header, else `?event=`; 400 when neither or malformed.
fn gate_event(headers: &HeaderMap, query: Option<&str>) -> Result<EventId, ApiError> {
    let raw = match headers.get(EVENT_HEADER) {
        Some(v) => v.to_str().ok(),
        None => query,
    };
    let raw = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_event",
                "no event: the proxy sets a Floodgate-Event header (or ?event=) with the sale's id",
            )
        })?;
    raw.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_event",
            "Floodgate-Event (or ?event=) is not an event id",
        )
    })
}

fn refused(code: &'static str, message: &str) -> ApiError {
    ApiError::Unauthenticated {
        code,
        message: message.to_owned(),
    }
}

/// `?return_to=` of the return check.
#[derive(Deserialize)]
struct ReturnQuery {
    return_to: Option<String>,
}

/// Where the fan page sends an admitted visitor back to.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GateReturn {
    /// The return URL, normalised, without any stale purchase token.
    return_to: String,
    /// Its origin (`scheme://host[:port]`), to show the fan where they are going.
    origin: String,
    /// The query parameter to add to `return_to` with the purchase token.
    token_param: String,
}

#[utoipa::path(
    get,
    path = "/events/{id}/gate/return",
    operation_id = "gateReturn",
    tag = "gate",
    params(
        ("id" = String, Path, format = "uuid"),
        ("return_to" = Option<String>, Query, description = "The shop URL the visitor came from"),
    ),
    responses(
        (status = 200, body = GateReturn, content_type = "application/json"),
        E400, E404, E500,
    )
)]
async fn return_url(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<ReturnQuery>,
) -> Result<Json<GateReturn>, ApiError> {
    state.events.get(id).await?;
    let raw = query.return_to.unwrap_or_default();
    if raw.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_return_url",
            "return_to is required: the shop URL to send the visitor back to",
        ));
    }
    let checked = check_return_url(&raw, state.config.gate_origins.as_slice())
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    Ok(Json(GateReturn {
        return_to: checked.url,
        origin: checked.origin,
        token_param: TOKEN_PARAM.to_owned(),
    }))
}
