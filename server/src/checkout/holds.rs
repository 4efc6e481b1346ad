//! Holding seats with a purchase token, confirming a hold into an order, releasing it.
//!
//! The store's hold step is the gate (all or nothing, `jti` counted in the same atomic
//! step); only confirms reach the database, whose unique (event, seat) key is the last
//! line of defence. A confirm answers 200 only after the order committed.
//!
//! [`HoldService`] takes only what the hold path uses — the seat rooms and store, the
//! database, the queue store (to free a shopper's slot) and a clock — and answers
//! [`HoldError`]s; the routes map those to HTTP.

mod answers;
mod body;
mod error;
#[cfg(test)]
mod tests;

pub use answers::{HoldAnswer, OrderAnswer, OrderLine};
pub use body::{BadHoldRequest, HoldBody};
pub use error::HoldError;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use waiting_room::clock::Clock;
use waiting_room::seats::store::{ConfirmStart, HoldId, HoldOutcome, HoldRequest};
use waiting_room::seats::SeatStore;
use waiting_room::store::QueueStore;
use waiting_room::token::PurchaseClaims;
use waiting_room::EventId;

use self::body::{parse_body, Wanted};
use super::{Checkout, SeatRoom};
use crate::db::{Db, Order, Written};
use crate::event::Event;
use crate::webhooks::{order_data, EventType, Webhooks};

/// How long a confirm may take before the sweeper asks the database about it.
const CONFIRM_LEASE_MS: i64 = 30_000;
/// Best-available: blocks tried before answering that none is available.
const BEST_ATTEMPTS: usize = 32;
/// Best-available: attempt `n` (from 0) picks at random among the `4^n` best blocks, at
/// most this many (the first attempt: the best one).
const MAX_SPREAD: usize = 256;

/// The hold path's dependencies, borrowed (`AppState::holds` lends the app's).
/// Purchase tokens arrive verified (signature, audience); the service checks what
/// depends on the event, the clock and the store.
#[derive(Clone, Copy)]
pub struct HoldService<'a> {
    /// The seat rooms (best-available blocks, the local view) and the seat store.
    pub checkout: &'a Checkout,
    pub db: &'a Db,
    /// The queue store: a confirmed order frees the fan's shopping slot there.
    pub queue: &'a dyn QueueStore,
    pub clock: &'a dyn Clock,
    /// Where a confirmed order is told to webhooks (`None`: nowhere, in tests).
    pub webhooks: Option<&'a Webhooks>,
}

impl HoldService<'_> {
    /// Holds the seats `body` asks for, all or none, for the event's hold time (at
    /// most until the token expires), counted against the token's seat budget.
    pub async fn place_hold(
        &self,
        event: &Event,
        claims: &PurchaseClaims,
        body: HoldBody,
    ) -> Result<HoldAnswer, HoldError> {
        if claims.evt != event.id {
            return Err(HoldError::WrongEvent);
        }
        if event.closed {
            return Err(HoldError::EventClosed);
        }
        let wanted = parse_body(body, event, claims.max_seats)?;
        self.check_account_limit(event, claims, wanted.count())
            .await?;
        let now = self.clock.now_ms();
        let ttl_ms = (i64::from(event.hold_ttl_secs) * 1000).min(claims.exp * 1000 - now);
        if ttl_ms <= 0 {
            return Err(HoldError::TokenExpired);
        }
        let room = self.checkout.room(event).await?;
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
                match self.attempt(&room, event, &mut request).await? {
                    Some(held) => return Ok(held),
                    None => conflicts = request.seats,
                }
            }
            // Blocks come from this replica's view, up to 100 ms behind the store, minus
            // seats seen taken or claimed by concurrent requests here; the store decides.
            // Every replica ranks the seats alike, so another replica's holds since the
            // last log read sit just where this one looks first: after a conflict the
            // view is brought up to date (one log read, shared by the requests that
            // conflicted meanwhile) and the next block is drawn from a widening choice
            // of the best, past the seats the other replica's requests in flight are
            // taking. The first attempt costs what it always did.
            Wanted::Best { quantity, section } => {
                let mut exclude = HashSet::new();
                for attempt in 0..BEST_ATTEMPTS {
                    let spread = 4usize.saturating_pow(attempt as u32).min(MAX_SPREAD);
                    let Some(block) = room.claim(quantity, section, &exclude, spread) else {
                        break;
                    };
                    request.seats = block.clone();
                    let outcome = self.attempt(&room, event, &mut request).await;
                    room.unclaim(&block);
                    match outcome? {
                        Some(held) => return Ok(held),
                        None => exclude.extend(request.seats.iter().copied()),
                    }
                    if attempt + 1 == BEST_ATTEMPTS {
                        break;
                    }
                    if let Err(error) = room.refresh(room.read_mark()).await {
                        tracing::debug!(%error, event_id = %event.id, "seat log read after a conflict failed");
                    }
                }
            }
        }
        let counts = self.checkout.seats().seat_counts(event.id).await?;
        if counts.free() == 0 {
            return Err(HoldError::SoldOut);
        }
        let layout = event.layout();
        Err(HoldError::SeatsUnavailable {
            seats: conflicts.iter().map(|s| layout.name(*s)).collect(),
        })
    }

    /// One hold attempt of `request.seats`: the answer when held; `None` when some
    /// seats were taken (then `request.seats` holds the taken ones, also noted in the
    /// room).
    async fn attempt(
        &self,
        room: &SeatRoom,
        event: &Event,
        request: &mut HoldRequest,
    ) -> Result<Option<HoldAnswer>, HoldError> {
        match self.checkout.seats().hold(event.id, request).await? {
            HoldOutcome::Held { expires_at_ms } => {
                room.note_taken(&request.seats);
                Ok(Some(HoldAnswer::new(event, request.clone(), expires_at_ms)))
            }
            HoldOutcome::TokenExhausted { used } => Err(HoldError::TokenExhausted {
                used,
                max: request.max_seats,
            }),
            HoldOutcome::SessionEnded => Err(HoldError::SessionEnded),
            HoldOutcome::Unavailable { seats } => {
                room.note_taken(&seats);
                request.seats = seats;
                Ok(None)
            }
        }
    }

    /// Confirms a hold on `event` (the token's event): the order and its seats commit
    /// in one transaction before the answer; then the seats are marked sold, and the
    /// shopping session ends: the token's rights first, then the fan's active-shopper
    /// slot, so the next fan admitted into the slot never shops beside this one.
    /// Confirming the same hold again returns the same order.
    pub async fn confirm(
        &self,
        event: &Event,
        claims: &PurchaseClaims,
        hold: &HoldId,
    ) -> Result<OrderAnswer, HoldError> {
        if event.closed {
            return Err(HoldError::EventClosed);
        }
        let store = self.checkout.seats();
        let leased = match store
            .begin_confirm(event.id, hold, &claims.jti, CONFIRM_LEASE_MS)
            .await?
        {
            ConfirmStart::Leased(h) => h,
            // No live hold: maybe it was confirmed already (a retry gets the same order).
            refused => {
                if let Some(order) = self.db.order_by_hold(&hold.0).await? {
                    return if order.user == claims.sub {
                        Ok(OrderAnswer::new(&order, event, self.clock.now_ms()))
                    } else {
                        Err(HoldError::NotYourHold)
                    };
                }
                return Err(match refused {
                    ConfirmStart::NotYours => HoldError::NotYourHold,
                    ConfirmStart::SessionEnded => HoldError::SessionEnded,
                    _ => HoldError::HoldExpired,
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
            created_at_ms: self.clock.now_ms(),
            // The line's times as the token tells them (the report's queue times).
            joined_at_ms: claims.tkt.issued_at_ms(),
            admitted_at_ms: Some(claims.iat.saturating_mul(1000)),
            refund: None,
        };
        // Nothing, and no work, unless an endpoint listens to confirmed orders.
        let outbox = self.webhooks.map_or_else(Vec::new, |w| {
            w.prepare(EventType::OrderConfirmed, || order_data(&order, event))
        });
        let told = !outbox.is_empty();
        let order = match self.db.write_order_with(&order, outbox).await? {
            Written::Created(o) => {
                if let (true, Some(w)) = (told, self.webhooks) {
                    w.written();
                }
                o
            }
            Written::Existing(o) => o,
            Written::OverAccountCap { bought } => {
                // Another order of the account (from another token) got there first.
                store.release(event.id, hold, None).await?;
                return Err(HoldError::AccountLimitReached {
                    bought,
                    max: event.max_seats_per_account.unwrap_or(bought),
                });
            }
            Written::SeatTaken => {
                // The store and the database disagree (e.g. after a store flush): trust
                // the database, drop the hold, and refuse.
                tracing::error!(event_id = %event.id, hold = %hold, "seat already sold in the database; resyncing the store");
                let sold = self.db.sold_seats(event.id).await?;
                store.mark_sold(event.id, &sold).await?;
                store.release(event.id, hold, None).await?;
                return Err(HoldError::SeatsUnavailable {
                    seats: leased.seats.iter().map(|s| layout.name(*s)).collect(),
                });
            }
        };
        // The order is durable; the rest is bookkeeping the sweeper would also repair
        // (once the lease lapses): retried in the background meanwhile, so the seat
        // maps and the stats show the sale as soon as the store answers again.
        if let Err(error) = store.mark_sold(event.id, &order.seats).await {
            tracing::warn!(%error, order_id = %order.id, "marking confirmed seats sold failed; retrying");
            tokio::spawn(mark_sold_later(
                Arc::clone(store),
                event.id,
                order.seats.clone(),
            ));
        }
        self.end_session(claims, &order.id).await;
        Ok(OrderAnswer::new(&order, event, self.clock.now_ms()))
    }

    /// Releases a hold at once, freeing its seats. The fan keeps shopping (slot and
    /// token) and may pick other seats within the token's `max_seats`.
    pub async fn release(&self, claims: &PurchaseClaims, hold: &HoldId) -> Result<(), HoldError> {
        let released = self
            .checkout
            .seats()
            .release(claims.evt, hold, Some(&claims.jti))
            .await?;
        if released {
            Ok(())
        } else {
            Err(HoldError::UnknownHold)
        }
    }

    /// Tells a fan before they shop that `wanted` more seats would pass the event's
    /// `max_seats_per_account` (the confirm's transaction is what enforces it).
    async fn check_account_limit(
        &self,
        event: &Event,
        claims: &PurchaseClaims,
        wanted: u32,
    ) -> Result<(), HoldError> {
        let Some(max) = event.max_seats_per_account else {
            return Ok(());
        };
        let bought = self.db.account_seats(event.id, claims.sub).await?;
        if bought.saturating_add(wanted) > max {
            return Err(HoldError::AccountLimitReached { bought, max });
        }
        Ok(())
    }

    /// Ends the token's rights, then frees the slot and marks the fan's ticket
    /// purchased with `order` (the queue hands out no token for it any more). If the
    /// token cannot be ended, the slot stays taken until the session expires (flow
    /// control before speed).
    async fn end_session(&self, claims: &PurchaseClaims, order: &str) {
        let ended = self.checkout.seats().end_token(claims.evt, &claims.jti);
        if let Err(error) = ended.await {
            tracing::warn!(%error, event_id = %claims.evt, "ending the purchase token failed; the shopping slot stays taken until the session expires");
            return;
        }
        if let Err(error) = self.queue.purchased(claims.evt, claims.sub, order).await {
            tracing::warn!(%error, event_id = %claims.evt, "freeing the shopping slot failed");
        }
    }
}

/// Marks a committed order's seats sold after the confirm could not: tries again
/// after 100 ms, doubling the wait, for about the confirm lease; after that the
/// sweeper, which finds the lapsed lease and asks the database, does it.
async fn mark_sold_later(store: Arc<dyn SeatStore>, event: EventId, seats: Vec<u32>) {
    let mut wait = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < Duration::from_millis(CONFIRM_LEASE_MS as u64) {
        tokio::time::sleep(wait).await;
        waited += wait;
        match store.mark_sold(event, &seats).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, event_id = %event, "marking confirmed seats sold failed again")
            }
        }
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}
