//! `GET /events`, `GET /events/{id}`, `GET /time`. The list answers even when the
//! seat store fails for some events: those are listed with `available: null`.

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::draw::{self, PrequeueDraw, PAGE_DEFAULT, PAGE_MAX};
use crate::error::ApiError;
use crate::event::PublicEvent;
use crate::extract::{AppQuery, EventPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(time))
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(prequeue))
}

#[utoipa::path(
    get,
    path = "/time",
    operation_id = "serverTime",
    tag = "events",
    responses(
        (status = 200, body = Time, content_type = "application/json"),
    )
)]
async fn time(State(state): State<AppState>) -> Json<Time> {
    Json(Time {
        now_ms: state.clock().now_ms(),
    })
}

/// The server's clock.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Time {
    /// Server time, Unix milliseconds.
    now_ms: i64,
}

#[utoipa::path(
    get,
    path = "/events",
    operation_id = "listEvents",
    tag = "events",
    responses(
        (status = 200, body = Vec<PublicEvent>, content_type = "application/json"),
        E500,
    )
)]
async fn list(State(state): State<AppState>) -> Result<Json<Vec<PublicEvent>>, ApiError> {
    let now = state.clock().now_ms();
    let events = state.db.events().await?;
    let mut public = Vec::with_capacity(events.len());
    for e in &events {
        // One event whose seats cannot be read must not hide every other sale.
        let mut view = match state.checkout.seat_counts(e.id).await {
            Ok(counts) => e.public(now, counts),
            Err(error) => {
                tracing::warn!(%error, event_id = %e.id, "seat counts unavailable; listing the event without them");
                e.public_without_counts(now)
            }
        };
        // From this replica's room only (no store call per listed event).
        draw::reveal(&mut view, draw::revealed_here(&state, e));
        draw::reveal_presales_here(&state, e, &mut view);
        public.push(view);
    }
    Ok(Json(public))
}

#[utoipa::path(
    get,
    path = "/events/{id}",
    operation_id = "getEvent",
    tag = "events",
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = PublicEvent, content_type = "application/json"),
        E404, E500,
    )
)]
async fn one(
    State(state): State<AppState>,
    EventPath(id): EventPath,
) -> Result<Json<PublicEvent>, ApiError> {
    let event = state.events.get(id).await?;
    let counts = state.checkout.seat_counts(id).await?;
    let mut public = event.public(state.clock().now_ms(), counts);
    draw::reveal(&mut public, draw::revealed(&state, &event).await?);
    draw::reveal_presales(&state, &event, &mut public).await;
    Ok(Json(public))
}

/// The opening's pre-queue draw, one page at a time (`?offset=` from 0, `?limit=` 1 to
/// 10,000, 1,000 by default): the seed, its commitment, and the pre-queue's ticket
/// pseudonyms in join order and in draw order (docs/FAIRNESS.md). `?presale=` (a
/// group's id): that presale group's draw instead.
#[utoipa::path(
    get,
    path = "/events/{id}/prequeue",
    operation_id = "prequeueDraw",
    tag = "events",
    params(
        ("id" = String, Path, format = "uuid"),
        ("offset" = Option<u64>, Query, minimum = 0, maximum = 4294967295u64),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 10000),
        ("presale" = Option<String>, Query, format = "uuid", description = "A presale group's id: its draw instead of the public line's"),
    ),
    responses(
        (status = 200, body = PrequeueDraw, content_type = "application/json"),
        E400, E404, E409, E500, E503,
    )
)]
async fn prequeue(
    State(state): State<AppState>,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<HashMap<String, String>>,
) -> Result<Json<PrequeueDraw>, ApiError> {
    let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
        let Some(raw) = query.get(name) else {
            return Ok(default);
        };
        raw.parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_field",
                    format!(
                        "{name} must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )
            })
    };
    let offset = number("offset", 0, 0..=u64::from(u32::MAX))?;
    let limit = number("limit", PAGE_DEFAULT, 1..=PAGE_MAX)?;
    let event = state.events.get(id).await?;
    if let Some(raw) = query.get("presale") {
        let group = uuid::Uuid::parse_str(raw)
            .ok()
            .and_then(|u| event.presale(&u.hyphenated().to_string()).cloned())
            .ok_or(ApiError::NotFound("presale group"))?;
        return Ok(Json(
            draw::presale_page(&state, &event, &group, offset, limit).await?,
        ));
    }
    Ok(Json(draw::page(&state, &event, offset, limit).await?))
}
