//! Admin API for seats held back from sale (production, press, accessible seating):
//! hold back, release, and the admins' seat map, which, unlike the fans', tells
//! held-back seats apart. A thin HTTP layer over `crate::checkout::held_back`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::seats::store::SeatCounts;
use waiting_room::EventId;

use super::error_docs::*;
use crate::checkout::held_back::{HeldBackChange, SeatSelection};
use crate::checkout::render;
use crate::checkout::seat_messages::{CompactFormat, SectionShape};
use crate::error::{checkout_store_error, ApiError, SeatsUnavailableError};
use crate::event::Event;
use crate::extract::{Admin, AppJson, EventPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(hold_back))
        .routes(routes!(release))
        .routes(routes!(admin_seats))
}

/// Seats to hold back or release: seat ids, a whole row, or both (at least one seat,
/// at most 2,000).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldBackBody {
    /// Seat ids such as `A-12-7`.
    #[serde(default)]
    seats: Vec<String>,
    /// Every seat of one row.
    row: Option<RowRef>,
}

/// One row of one section.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowRef {
    /// The section's name.
    section: String,
    /// The row, counted from 1.
    #[schema(minimum = 1)]
    row: u32,
}

/// What a hold-back or release changed, and the event's counts right after.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldBackAnswer {
    /// The seats whose state changed (free → held back, or held back → free), in seat
    /// order; empty when every seat was in that state already.
    changed: Vec<String>,
    counts: SeatCountsAnswer,
}

/// An event's seats by state; `available` is what fans may still buy.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatCountsAnswer {
    capacity: u32,
    available: u32,
    held: u32,
    sold: u32,
    held_back: u32,
}

/// The admins' seat map: as `CompactSeatMap`, with `b` for a seat held back from sale
/// (fans' maps show it `s`, not for sale).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminSeatMap {
    #[schema(inline)]
    format: CompactFormat,
    /// The seat map's shape, sections in order.
    #[schema(inline)]
    sections: Vec<SectionShape>,
    /// `f` free, `h` held, `s` sold, `b` held back; one character per seat, as many as
    /// the event has seats.
    #[schema(pattern = "^[fhsb]*$", example = "fhsb")]
    states: String,
}

impl From<SeatCounts> for SeatCountsAnswer {
    fn from(c: SeatCounts) -> Self {
        Self {
            capacity: c.capacity,
            available: c.free(),
            held: c.held,
            sold: c.sold,
            held_back: c.held_back,
        }
    }
}

impl HeldBackAnswer {
    fn new(event: &Event, change: HeldBackChange) -> Self {
        let layout = event.layout();
        Self {
            changed: change.changed.iter().map(|s| layout.name(*s)).collect(),
            counts: change.counts.into(),
        }
    }
}

impl From<HeldBackBody> for SeatSelection {
    fn from(b: HeldBackBody) -> Self {
        Self {
            seats: b.seats,
            row: b.row.map(|r| (r.section, r.row)),
        }
    }
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/seats/hold-back",
    operation_id = "holdBackSeats",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = HeldBackBody, content_type = "application/json"),
    responses(
        (status = 200, body = HeldBackAnswer, content_type = "application/json"),
        E400, E401, E403, E404,
        (status = 409, body = SeatsUnavailableError, content_type = "application/json"),
        E413, E503, E500,
    )
)]
async fn hold_back(
    State(state): State<AppState>,
    admin: Admin,
    EventPath(id): EventPath,
    AppJson(body): AppJson<HeldBackBody>,
) -> Result<Json<HeldBackAnswer>, ApiError> {
    change(&state, admin, id, body, Change::HoldBack).await
}

#[utoipa::path(
    post,
    path = "/admin/events/{id}/seats/release",
    operation_id = "releaseHeldBackSeats",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = HeldBackBody, content_type = "application/json"),
    responses(
        (status = 200, body = HeldBackAnswer, content_type = "application/json"),
        E400, E401, E403, E404, E413, E503, E500,
    )
)]
async fn release(
    State(state): State<AppState>,
    admin: Admin,
    EventPath(id): EventPath,
    AppJson(body): AppJson<HeldBackBody>,
) -> Result<Json<HeldBackAnswer>, ApiError> {
    change(&state, admin, id, body, Change::Release).await
}

/// Which way a request moves the selected seats.
#[derive(Clone, Copy)]
enum Change {
    HoldBack,
    Release,
}

/// A hold-back or a release of event `id`'s seats by `admin`, and the answer.
async fn change(
    state: &AppState,
    Admin(session): Admin,
    id: EventId,
    body: HeldBackBody,
    change: Change,
) -> Result<Json<HeldBackAnswer>, ApiError> {
    let event = state.events.get(id).await?;
    let actor = state.db.actor(session.user).await?;
    let service = state.held_back();
    let changed = match change {
        Change::HoldBack => service.hold_back(&event, body.into(), &actor).await?,
        Change::Release => service.release(&event, body.into(), &actor).await?,
    };
    Ok(Json(HeldBackAnswer::new(&event, changed)))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/seats",
    operation_id = "adminSeatMap",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = AdminSeatMap, content_type = "application/json"),
        E401, E403, E404, E503, E500,
    )
)]
async fn admin_seats(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<impl IntoResponse, ApiError> {
    let event = state.events.get(id).await?;
    state
        .checkout
        .room(&event)
        .await
        .map_err(checkout_store_error)?;
    // From the store, not this replica's view: right after a change the console
    // must see it, and admins are few.
    let snapshot = state
        .checkout
        .seats()
        .seat_snapshot(event.id)
        .await
        .map_err(checkout_store_error)?;
    let map = AdminSeatMap {
        format: CompactFormat::Compact,
        sections: SectionShape::of(&event.layout()),
        states: render::admin_states(&snapshot.states),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(map)))
}
