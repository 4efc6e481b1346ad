//! Holding seats with a purchase token, confirming a hold into an order, releasing it.
//!
//! The store's hold step is the gate (all or nothing, `jti` counted in the same atomic
//! step); only confirms reach the database, whose unique (event, seat) key is the last
//! line of defence. A confirm answers 200 only after the order committed.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use waiting_room::clock::now_ms;
use waiting_room::seats::store::{ConfirmStart, HoldId, HoldOutcome, HoldRequest};
use waiting_room::store::StoreError;
use waiting_room::token::PurchaseClaims;
use waiting_room::wire::datetime_ms;

use super::SeatRoom;
use crate::db::{Order, Written};
use crate::error::ApiError;
use crate::event::Event;
use crate::state::AppState;

/// How long a confirm may take before the sweeper asks the database about it.
const CONFIRM_LEASE_MS: i64 = 30_000;
/// Best-available: blocks tried before answering that none is available.
const BEST_ATTEMPTS: usize = 32;

/// `POST /events/{id}/holds`: specific seats, or `quantity` adjacent best-available
/// seats (optionally within `section`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    pub seats: Option<Vec<String>>,
    pub quantity: Option<u32>,
    pub section: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HoldAnswer {
    pub hold_id: HoldId,
    pub seats: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub total_cents: i64,
}

#[derive(Debug, Serialize)]
pub struct OrderAnswer {
    pub order_id: String,
    pub event_id: String,
    pub seats: Vec<String>,
    pub total_cents: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl OrderAnswer {
    pub fn new(order: &Order, event: &Event) -> Self {
        let layout = event.layout();
        Self {
            order_id: order.id.clone(),
            event_id: order.event.to_string(),
            seats: order.seats.iter().map(|s| layout.name(*s)).collect(),
            total_cents: order.total_cents,
            created_at: datetime_ms(order.created_at_ms),
        }
    }
}

/// What the request asked for, parsed against the seat map.
enum Wanted {
    Seats(Vec<u32>),
    Best {
        quantity: u32,
        section: Option<usize>,
    },
}

fn parse_body(body: HoldBody, event: &Event, max_seats: u32) -> Result<Wanted, ApiError> {
    let layout = event.layout();
    let too_many = |n: usize| {
        ApiError::bad_request(
            "too_many_seats",
            format!("{n} seats requested; this token allows at most {max_seats}"),
        )
    };
    match (body.seats, body.quantity) {
        (Some(ids), None) => {
            if body.section.is_some() {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "section goes with quantity, not seats",
                ));
            }
            if ids.is_empty() {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    "seats must not be empty",
                ));
            }
            if ids.len() > max_seats as usize {
                return Err(too_many(ids.len()));
            }
            let unknown: Vec<&String> =
                ids.iter().filter(|id| layout.parse(id).is_none()).collect();
            if !unknown.is_empty() {
                return Err(ApiError::bad_request(
                    "unknown_seat",
                    format!("no such seats: {unknown:?}"),
                ));
            }
            let seats: Vec<u32> = ids.iter().filter_map(|id| layout.parse(id)).collect();
            let distinct: HashSet<u32> = seats.iter().copied().collect();
            if distinct.len() != seats.len() {
                return Err(ApiError::bad_request(
                    "duplicate_seat",
                    "a seat is listed twice",
                ));
            }
            Ok(Wanted::Seats(seats))
        }
        (None, Some(quantity)) => {
            if quantity == 0 {
                return Err(ApiError::bad_request(
                    "invalid_quantity",
                    "quantity must be at least 1",
                ));
            }
            if quantity > max_seats {
                return Err(too_many(quantity as usize));
            }
            let section = match &body.section {
                Some(name) => Some(layout.section(name).ok_or_else(|| {
                    ApiError::bad_request("unknown_section", format!("no section {name:?}"))
                })?),
                None => None,
            };
            Ok(Wanted::Best { quantity, section })
        }
        _ => Err(ApiError::bad_request(
            "invalid_body",
            "send either seats or quantity",
        )),
    }
}

/// Store errors on the checkout path: a store that lost the event (a flush) is
/// rebuilding; tell the client to retry rather than that the event does not exist.
fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::UnknownEvent => ApiError::Unavailable,
        other => other.into(),
    }
}

pub async fn place_hold(
    state: &AppState,
    event: &Event,
    claims: &PurchaseClaims,
    body: HoldBody,
) -> Result<HoldAnswer, ApiError> {
    if claims.evt != event.id {
        return Err(ApiError::Refused {
            code: "wrong_event",
            message: "this purchase token is for another event".into(),
        });
    }
    let wanted = parse_body(body, event, claims.max_seats)?;
    let now = now_ms();
    let ttl_ms = (i64::from(event.hold_ttl_secs) * 1000).min(claims.exp * 1000 - now);
    if ttl_ms <= 0 {
        return Err(ApiError::InvalidToken("the purchase token expired".into()));
    }
    let room = state.checkout.room(event).await.map_err(store_error)?;
    let store = state.checkout.seats();
    let mut request = HoldRequest {
        hold: HoldId::new(),
        user: claims.sub,
        jti: claims.jti.clone(),
        max_seats: claims.max_seats,
        seats: Vec::new(),
        ttl_ms,
    };
    let mut conflicts = Vec::new();
    match wanted {
        Wanted::Seats(seats) => {
            request.seats = seats;
            match attempt(state, &room, event, &mut request).await? {
                Some(held) => return Ok(held),
                None => conflicts = request.seats,
            }
        }
        // Blocks come from this replica's view, up to 100 ms behind the store, minus
        // seats seen taken or claimed by concurrent requests here; the store decides.
        Wanted::Best { quantity, section } => {
            let mut exclude = HashSet::new();
            for _ in 0..BEST_ATTEMPTS {
                let Some(block) = room.claim(quantity, section, &exclude) else {
                    break;
                };
                request.seats = block.clone();
                match attempt(state, &room, event, &mut request).await {
                    Ok(Some(held)) => return Ok(held),
                    Ok(None) => {
                        let lost: HashSet<u32> = request.seats.iter().copied().collect();
                        room.unclaim(block.iter().copied().filter(|s| !lost.contains(s)));
                        exclude.extend(lost);
                    }
                    Err(e) => {
                        room.unclaim(block);
                        return Err(e);
                    }
                }
            }
        }
    }
    let counts = store.seat_counts(event.id).await.map_err(store_error)?;
    if counts.free() == 0 {
        return Err(ApiError::Gone {
            code: "sold_out",
            message: "every seat is sold or held".into(),
        });
    }
    let layout = event.layout();
    Err(ApiError::SeatsUnavailable {
        seats: conflicts.iter().map(|s| layout.name(*s)).collect(),
    })
}

/// One hold attempt of `request.seats`: the answer when held; `None` when some seats
/// were taken (then `request.seats` holds the taken ones, also noted in the room).
async fn attempt(
    state: &AppState,
    room: &SeatRoom,
    event: &Event,
    request: &mut HoldRequest,
) -> Result<Option<HoldAnswer>, ApiError> {
    match state
        .checkout
        .seats()
        .hold(event.id, request)
        .await
        .map_err(store_error)?
    {
        HoldOutcome::Held { expires_at_ms } => {
            room.note_taken(&request.seats);
            Ok(Some(answer(event, request.clone(), expires_at_ms)))
        }
        HoldOutcome::TokenExhausted { used } => Err(exhausted(used, request.max_seats)),
        HoldOutcome::SessionEnded => Err(session_ended()),
        HoldOutcome::Unavailable { seats } => {
            room.note_taken(&seats);
            request.seats = seats;
            Ok(None)
        }
    }
}

fn session_ended() -> ApiError {
    ApiError::Refused {
        code: "session_ended",
        message: "this purchase token's shopping session ended with a confirmed order".into(),
    }
}

fn exhausted(used: u32, max: u32) -> ApiError {
    ApiError::Refused {
        code: "token_exhausted",
        message: format!("this purchase token already held {used} of its {max} seats"),
    }
}

fn answer(event: &Event, request: HoldRequest, expires_at_ms: i64) -> HoldAnswer {
    let layout = event.layout();
    HoldAnswer {
        total_cents: request.seats.iter().map(|s| layout.price(*s)).sum(),
        seats: request.seats.iter().map(|s| layout.name(*s)).collect(),
        hold_id: request.hold,
        expires_at: datetime_ms(expires_at_ms),
    }
}

/// Confirms a hold: the order and its seats commit in one transaction before the
/// answer; then the seats are marked sold, and the shopping session ends: the token's
/// rights first, then the fan's active-shopper slot, so the next fan admitted into the
/// slot never shops beside this one. Confirming the same hold again returns the same
/// order.
pub async fn confirm(
    state: &AppState,
    claims: &PurchaseClaims,
    hold: &HoldId,
) -> Result<OrderAnswer, ApiError> {
    let event = state.event(claims.evt).await?;
    let store = state.checkout.seats();
    let leased = match store
        .begin_confirm(event.id, hold, &claims.jti, CONFIRM_LEASE_MS)
        .await
        .map_err(store_error)?
    {
        ConfirmStart::Leased(h) => h,
        // No live hold: maybe it was confirmed already (a retry gets the same order).
        refused => {
            if let Some(order) = state.db.order_by_hold(&hold.0).await? {
                return if order.user == claims.sub {
                    Ok(OrderAnswer::new(&order, &event))
                } else {
                    Err(not_yours())
                };
            }
            return Err(match refused {
                ConfirmStart::NotYours => not_yours(),
                ConfirmStart::SessionEnded => session_ended(),
                _ => ApiError::Gone {
                    code: "hold_expired",
                    message: "this hold expired or was released".into(),
                },
            });
        }
    };
    let layout = event.layout();
    let mut seats = leased.seats.clone();
    seats.sort_unstable();
    let order = Order {
        id: uuid::Uuid::now_v7().to_string(),
        event: event.id,
        user: claims.sub,
        hold_id: hold.0.clone(),
        total_cents: seats.iter().map(|s| layout.price(*s)).sum(),
        seats,
        created_at_ms: now_ms(),
    };
    let order = match state.db.write_order(&order).await? {
        Written::Created(o) | Written::Existing(o) => o,
        Written::SeatTaken => {
            // The store and the database disagree (e.g. after a store flush): trust
            // the database, drop the hold, and refuse.
            tracing::error!(event_id = %event.id, hold = %hold, "seat already sold in the database; resyncing the store");
            let sold = state.db.sold_seats(event.id).await?;
            store
                .mark_sold(event.id, &sold)
                .await
                .map_err(store_error)?;
            store
                .release(event.id, hold, None)
                .await
                .map_err(store_error)?;
            return Err(ApiError::SeatsUnavailable {
                seats: leased.seats.iter().map(|s| layout.name(*s)).collect(),
            });
        }
    };
    // The order is durable; the rest is bookkeeping the sweeper would also repair.
    if let Err(error) = store.mark_sold(event.id, &order.seats).await {
        tracing::warn!(%error, order_id = %order.id, "marking confirmed seats sold failed; the sweeper will");
    }
    end_session(state, claims).await;
    Ok(OrderAnswer::new(&order, &event))
}

/// Releases a hold at once, freeing its seats. The fan keeps shopping (slot and token)
/// and may pick other seats within the token's `max_seats`.
pub async fn release(
    state: &AppState,
    claims: &PurchaseClaims,
    hold: &HoldId,
) -> Result<(), ApiError> {
    let store = state.checkout.seats();
    if store
        .release(claims.evt, hold, Some(&claims.jti))
        .await
        .map_err(store_error)?
    {
        return Ok(());
    }
    Err(ApiError::NotFound("hold"))
}

/// Ends the token's rights, then frees the slot. If the token cannot be ended, the
/// slot stays taken until the session expires (flow control before speed).
async fn end_session(state: &AppState, claims: &PurchaseClaims) {
    if let Err(error) = state
        .checkout
        .seats()
        .end_token(claims.evt, &claims.jti)
        .await
    {
        tracing::warn!(%error, event_id = %claims.evt, "ending the purchase token failed; the shopping slot stays taken until the session expires");
        return;
    }
    if let Err(error) = state.hub.store().release(claims.evt, claims.sub).await {
        tracing::warn!(%error, event_id = %claims.evt, "freeing the shopping slot failed");
    }
}

fn not_yours() -> ApiError {
    ApiError::Refused {
        code: "not_your_hold",
        message: "this hold belongs to another purchase token".into(),
    }
}
