//! Checkout API: holds with the purchase token (bound to its account's session, see
//! [`crate::bound_token`]; hold attempts limited per account), confirm, release, the
//! fan's orders, and live seat availability (snapshot and WebSocket stream of batched
//! deltas).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::seats::store::HoldId;
use waiting_room::EventId;

use super::client;
use super::error_docs::*;
use crate::bound_token::BoundPurchase;
use crate::checkout::holds::{HoldAnswer, HoldBody, OrderAnswer};
use crate::checkout::seat_messages::{CompactFormat, SeatMapAnswer};
use crate::checkout::{seat_map, SeatRoom};
use crate::error::{checkout_store_error, ApiError, HoldConflictError};
use crate::extract::{AppJson, AppPath, AppQuery, EventPath, Session};
use crate::state::AppState;
use crate::ws::raw::RawUpgrade;
use crate::ws::{self, seat_stream};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hold))
        .routes(routes!(confirm))
        .routes(routes!(release))
        .routes(routes!(orders))
        .routes(routes!(seats))
        .routes(routes!(seats_ws))
}

fn parse_hold_id(raw: &str) -> Result<HoldId, ApiError> {
    let ok = raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(ApiError::NotFound("hold"));
    }
    Ok(HoldId(raw.to_owned()))
}

#[utoipa::path(
    post,
    path = "/events/{id}/holds",
    operation_id = "placeHold",
    tag = "checkout",
    security(("purchaseToken" = [], "sessionCookie" = []), ("purchaseToken" = [], "sessionHeader" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = HoldBody, content_type = "application/json"),
    responses(
        (status = 201, body = HoldAnswer, content_type = "application/json"),
        E400, E401, E403, E404,
        (status = 409, body = HoldConflictError, content_type = "application/json"),
        E410, E413, E429, E503, E500,
    )
)]
async fn hold(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    BoundPurchase(claims): BoundPurchase,
    AppJson(body): AppJson<HoldBody>,
) -> Result<(StatusCode, Json<HoldAnswer>), ApiError> {
    let event = state.events.get(id).await?;
    hold_attempt(&state, &claims)?;
    let answer = state.holds().place_hold(&event, &claims, body).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Takes one hold attempt from the account's budget (429 `rate_limited` with
/// `Retry-After` once it is spent; `FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE`).
fn hold_attempt(
    state: &AppState,
    claims: &waiting_room::token::PurchaseClaims,
) -> Result<(), ApiError> {
    let Some(limit) = &state.hold_limit else {
        return Ok(());
    };
    limit.check(claims.sub).map_err(|e| {
        crate::metrics::Metrics::inc(&state.metrics.rate_limited);
        let retry_after_secs = match e {
            crate::limits::Limited::RateLimited { retry_after_secs } => retry_after_secs,
            _ => crate::error::RETRY_SOON_SECS,
        };
        ApiError::RateLimited {
            retry_after_secs,
            what: "hold attempts on your account",
        }
    })
}

#[utoipa::path(
    post,
    path = "/holds/{hold_id}/confirm",
    operation_id = "confirmHold",
    tag = "checkout",
    security(("purchaseToken" = [], "sessionCookie" = []), ("purchaseToken" = [], "sessionHeader" = [])),
    params(("hold_id" = String, Path, pattern = "^[0-9a-fA-F]{32}$")),
    responses(
        (status = 200, body = OrderAnswer, content_type = "application/json"),
        E401, E403, E404,
        (status = 409, body = HoldConflictError, content_type = "application/json"),
        E410, E503, E500,
    )
)]
async fn confirm(
    State(state): State<AppState>,
    AppPath(hold_id): AppPath<String>,
    BoundPurchase(claims): BoundPurchase,
) -> Result<Json<OrderAnswer>, ApiError> {
    let hold = parse_hold_id(&hold_id)?;
    let event = state.events.get(claims.evt).await?;
    Ok(Json(state.holds().confirm(&event, &claims, &hold).await?))
}

#[utoipa::path(
    delete,
    path = "/holds/{hold_id}",
    operation_id = "releaseHold",
    tag = "checkout",
    security(("purchaseToken" = [], "sessionCookie" = []), ("purchaseToken" = [], "sessionHeader" = [])),
    params(("hold_id" = String, Path, pattern = "^[0-9a-fA-F]{32}$")),
    responses(
        (status = 204),
        E401, E403, E404, E503, E500,
    )
)]
async fn release(
    State(state): State<AppState>,
    AppPath(hold_id): AppPath<String>,
    BoundPurchase(claims): BoundPurchase,
) -> Result<StatusCode, ApiError> {
    let hold = parse_hold_id(&hold_id)?;
    state.holds().release(&claims, &hold).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/orders",
    operation_id = "listOrders",
    tag = "checkout",
    security(("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 200, body = Vec<OrderAnswer>, content_type = "application/json"),
        E401, E500,
    )
)]
async fn orders(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<OrderAnswer>>, ApiError> {
    let orders = state.db.orders_of(session.user).await?;
    let now = state.clock().now_ms();
    let mut events = HashMap::new();
    let mut out = Vec::with_capacity(orders.len());
    for order in &orders {
        if let std::collections::hash_map::Entry::Vacant(slot) = events.entry(order.event) {
            slot.insert(state.events.get(order.event).await?);
        }
        out.push(OrderAnswer::new(order, &events[&order.event], now));
    }
    Ok(Json(out))
}

async fn seat_room(state: &AppState, id: EventId) -> Result<std::sync::Arc<SeatRoom>, ApiError> {
    let event = state.events.get(id).await?;
    if event.closed {
        // No seat room runs for a closed sale (nor is one started for a look).
        return Err(crate::error::event_closed());
    }
    state
        .checkout
        .room(&event)
        .await
        .map_err(checkout_store_error)
}

/// The query of the seat map and the seat stream: `?format=compact` asks for one
/// character per seat instead of the full map; any other value is refused (400
/// `invalid_query`), so a typo does not silently cost twenty times the bytes.
#[derive(Debug, Default, serde::Deserialize)]
struct SeatQuery {
    format: Option<SeatFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum SeatFormat {
    Compact,
}

impl SeatQuery {
    fn compact(&self) -> bool {
        self.format == Some(SeatFormat::Compact)
    }
}

#[utoipa::path(
    get,
    path = "/events/{id}/seats",
    operation_id = "seatMap",
    tag = "checkout",
    params(("id" = String, Path, format = "uuid"), ("format" = inline(Option<CompactFormat>), Query)),
    responses(
        (status = 200, body = SeatMapAnswer, content_type = "application/json"),
        (status = 304),
        E400, E404, E409, E429, E503, E500,
    )
)]
async fn seats(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<SeatQuery>,
    parts: Parts,
) -> Result<Response, ApiError> {
    client::rate_limit(&state, &state.seat_map_limit, &parts)?;
    let room = seat_room(&state, id).await?;
    Ok(seat_map::answer(&room, query.compact(), &parts.headers).await)
}

#[utoipa::path(
    get,
    path = "/events/{id}/seats/ws",
    operation_id = "seatStream",
    tag = "checkout",
    params(("id" = String, Path, format = "uuid"), ("format" = inline(Option<CompactFormat>), Query)),
    responses(
        (status = 101),
        E400, E404, E409, E429, E503, E500,
    )
)]
async fn seats_ws(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<SeatQuery>,
    parts: Parts,
    ws: RawUpgrade,
) -> Result<Response, ApiError> {
    client::rate_limit(&state, &state.join_limit, &parts)?;
    let room = seat_room(&state, id).await?;
    let slot = client::socket_slot(&state, &parts)?;
    let compact = query.compact();
    Ok(ws::open(
        ws,
        state,
        slot,
        seat_stream::LIMITS,
        move |state, socket| async move {
            seat_stream::run(state, room, compact, socket).await;
            tracing::debug!(event_id = %id, "seat stream closed");
        },
    ))
}
