//! The box office's admin reads: an event's report, its orders as CSV, and the order
//! search. HTTP only: the figures are `crate::report`, the export `crate::export`,
//! the search `crate::db` (`Db::search_orders`).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::db::{FoundOrder, OrderQuery};
use crate::error::ApiError;
use crate::event::Event;
use crate::extract::{Admin, AppQuery, EventPath};
use crate::report::Report;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(event_report))
        .routes(routes!(orders_csv))
        .routes(routes!(search_orders))
}

/// Orders per search page when `?limit=` is not given, and the most it may ask for.
const SEARCH_DEFAULT_LIMIT: u32 = 50;
const SEARCH_MAX_LIMIT: u32 = 200;
/// The furthest a search may page (`?offset=`).
const SEARCH_MAX_OFFSET: u32 = 1_000_000;

#[utoipa::path(
    get,
    path = "/admin/events/{id}/report",
    operation_id = "eventReport",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = Report, content_type = "application/json"),
        E401, E403, E404, E500, E503,
    )
)]
async fn event_report(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(crate::report::report(&state, id).await?))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/orders.csv",
    operation_id = "exportOrders",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        E401, E403, E404, E500,
    )
)]
async fn orders_csv(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<Response, ApiError> {
    let event = state.events.get(id).await?;
    let mut chunks = crate::export::orders_csv(state.db.clone(), id, event.layout());
    // A receiver may be polled again after its end (the compression layer does), which
    // `stream::unfold` would not allow.
    let body = futures_util::stream::poll_fn(move |cx| chunks.poll_recv(cx));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&event)),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// `attachment; filename="orders-<event id>.csv"` (the id is all the name needs, and
/// needs no quoting).
fn attachment(event: &Event) -> String {
    format!("attachment; filename=\"orders-{}.csv\"", event.id)
}

/// A page of the order search.
#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    /// How `q` was read: `all` (no `q`), `seat`, `order_id` or `email`.
    pub matched_by: String,
    /// Newest first.
    pub orders: Vec<AdminOrder>,
    /// The `offset` of the next page; null on the last page.
    pub next_offset: Option<u32>,
}

/// An order as the admin search shows it.
#[derive(Serialize, ToSchema)]
pub struct AdminOrder {
    pub order_id: String,
    #[schema(value_type = String, format = "uuid")]
    pub user_id: waiting_room::UserId,
    pub email: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Seat ids, e.g. `A-3-7`.
    pub seats: Vec<String>,
    pub amount_cents: i64,
    /// `confirmed` or `refunded`.
    pub status: String,
    /// When it was refunded (RFC 3339), by whom (their email) and why; null while
    /// confirmed.
    #[schema(format = DateTime)]
    pub refunded_at: Option<String>,
    pub refunded_by: Option<String>,
    pub refund_reason: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/orders",
    operation_id = "searchOrders",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(
        ("id" = String, Path, format = "uuid"),
        ("q" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 1_000_000),
    ),
    responses(
        (status = 200, body = OrderPage, content_type = "application/json"),
        E400, E401, E403, E404, E500,
    )
)]
async fn search_orders(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<HashMap<String, String>>,
) -> Result<Json<OrderPage>, ApiError> {
    let limit = number(&query, "limit", 1, SEARCH_MAX_LIMIT)?.unwrap_or(SEARCH_DEFAULT_LIMIT);
    let offset = number(&query, "offset", 0, SEARCH_MAX_OFFSET)?.unwrap_or(0);
    let event = state.events.get(id).await?;
    let layout = event.layout();
    let q = query.get("q").map(String::as_str);
    // No seat, order id nor email holds one (and PostgreSQL's text cannot hold NUL).
    if q.is_some_and(crate::text_rules::name_has_control) {
        return Err(ApiError::bad_request(
            "invalid_field",
            "q cannot contain control characters",
        ));
    }
    let (matched_by, q) = read_query(q, &layout);
    // One more than asked tells whether there is a next page.
    let mut found = state.db.search_orders(id, &q, limit + 1, offset).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    Ok(Json(OrderPage {
        matched_by: matched_by.to_owned(),
        orders: found.into_iter().map(|o| admin_order(o, &layout)).collect(),
        next_offset: more.then_some(offset + limit),
    }))
}

/// What `q` asks for: a seat id (`A-3-7`, any case) if it names a seat of the event,
/// else an order id if it is a UUID, else a piece of the buyer's email (any case).
fn read_query(
    q: Option<&str>,
    layout: &waiting_room::seats::SeatLayout,
) -> (&'static str, OrderQuery) {
    let q = q.map(str::trim).unwrap_or("");
    if q.is_empty() {
        return ("all", OrderQuery::All);
    }
    if let Some(seat) = layout.parse(q).or_else(|| layout.parse(&q.to_uppercase())) {
        return ("seat", OrderQuery::Seat(seat));
    }
    if let Ok(id) = uuid::Uuid::try_parse(q) {
        return ("order_id", OrderQuery::OrderId(id.to_string()));
    }
    ("email", OrderQuery::Email(q.to_lowercase()))
}

fn admin_order(o: FoundOrder, layout: &waiting_room::seats::SeatLayout) -> AdminOrder {
    AdminOrder {
        order_id: o.id,
        user_id: o.user,
        email: o.email,
        created_at: rfc3339(o.created_at_ms),
        seats: o.seats.iter().map(|s| layout.name(*s)).collect(),
        amount_cents: o.total_cents,
        status: o.status,
        refunded_at: o.refunded_at_ms.map(rfc3339),
        refunded_by: o.refunded_by,
        refund_reason: o.refund_reason,
    }
}

/// A whole-number query parameter from `min` to `max`, if given; else 400
/// `invalid_field`.
fn number(
    query: &HashMap<String, String>,
    name: &str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, ApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    raw.parse()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field",
                format!("{name} must be a whole number from {min} to {max}"),
            )
        })
}

fn rfc3339(ms: i64) -> String {
    waiting_room::wire::datetime_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
