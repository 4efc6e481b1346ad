//! Publishing the opening's pre-queue draw (docs/FAIRNESS.md): when the seed may be
//! shown, and the pages of `GET /events/{id}/prequeue`.
//!
//! The seed is shown only once the store has drawn (the sale opened *and* the
//! pre-queue was put in order), not merely once `starts_at` has passed: between the
//! two, fans still join the pre-queue, and one who knew the seed could leave and join
//! again until a new ticket drew a better place.

use serde::Serialize;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::wire::datetime_ms;

use crate::error::ApiError;
use crate::event::{Event, PublicEvent};
use crate::state::AppState;

/// Entries a page of the draw holds when `limit` is not given, and the most it may.
pub const PAGE_DEFAULT: u64 = 1_000;
pub const PAGE_MAX: u64 = 10_000;

/// The name of the algorithm of docs/FAIRNESS.md, in every page.
pub const ALGORITHM: &str = "floodgate-draw-v1: sort by HMAC-SHA256(seed, pseudonym)";

/// One page of the pre-queue draw of an opened sale.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrequeueDraw {
    /// The event.
    pub event_id: String,
    /// How the order was computed (docs/FAIRNESS.md).
    pub algorithm: &'static str,
    /// The seed: 64 lowercase hex digits.
    pub shuffle_seed: String,
    /// Lowercase hex SHA-256 of the seed's 32 bytes, as published before the opening.
    pub shuffle_commitment: String,
    /// Tickets the pre-queue held at the opening (every page's lists together).
    pub total: u64,
    /// Where this page starts in both lists.
    pub offset: u64,
    /// Pseudonyms in the order the pre-queue held them (join order), this page.
    pub joined: Vec<String>,
    /// Pseudonyms in the order the draw gave them (admission order), this page.
    pub order: Vec<String>,
    /// The `offset` of the next page; `null` on the last.
    pub next_offset: Option<u64>,
}

/// The event's seed if it may be published: the sale opened and the store drew the
/// pre-queue. This replica's room knows it without a store call; otherwise the store
/// is asked.
pub async fn revealed(state: &AppState, event: &Event) -> Result<Option<ShuffleSeed>, ApiError> {
    let Some(seed) = event.seed_due(state.clock().now_ms()) else {
        return Ok(None);
    };
    if revealed_here(state, event).is_some() {
        return Ok(Some(seed));
    }
    let drawn = state.hub.store().draw(event.id, 0, 1).await?.is_some();
    Ok(drawn.then_some(seed))
}

/// [`revealed`] from this replica's room alone (no store call; `None` where no room
/// runs): for listing many events.
pub fn revealed_here(state: &AppState, event: &Event) -> Option<ShuffleSeed> {
    let seed = event.seed_due(state.clock().now_ms())?;
    let room = state.hub.room(event.id)?;
    // The public line's draw (with presale groups, admission runs before it).
    room.line_opened(0).then_some(seed)
}

/// Puts each presale group's seed (`ShuffleSeed::for_presale`) into the public view
/// once that group's draw is done (the store has its draw record): one store call per
/// group whose opening has passed. A store that cannot tell leaves the seed hidden.
pub async fn reveal_presales(state: &AppState, event: &Event, public: &mut PublicEvent) {
    let Some(seed) = event.shuffle_seed else {
        return;
    };
    let now = state.clock().now_ms();
    for (group, view) in event.presales.iter().zip(public.presales.iter_mut()) {
        if now < group.opens_at_ms {
            continue;
        }
        match state
            .hub
            .store()
            .presale_draw(event.id, group.slot, 0, 1)
            .await
        {
            Ok(Some(_)) => view.shuffle_seed = Some(seed.for_presale(group.slot).to_hex()),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(%error, event_id = %event.id, slot = group.slot, "presale draw not readable; its seed stays hidden");
            }
        }
    }
}

/// [`reveal_presales`] from this replica's room alone (for listing many events; no
/// store call): each group's seed once the room saw its line open (drawn).
pub fn reveal_presales_here(state: &AppState, event: &Event, public: &mut PublicEvent) {
    let (Some(seed), Some(room)) = (event.shuffle_seed, state.hub.room(event.id)) else {
        return;
    };
    let now = state.clock().now_ms();
    for (group, view) in event.presales.iter().zip(public.presales.iter_mut()) {
        if now >= group.opens_at_ms && room.line_opened(group.slot) {
            view.shuffle_seed = Some(seed.for_presale(group.slot).to_hex());
        }
    }
}

/// Puts the seed into the public view when it may be published.
pub fn reveal(public: &mut PublicEvent, seed: Option<ShuffleSeed>) {
    public.shuffle_seed = seed.map(|s| s.to_hex());
}

/// Entries `offset..offset + limit` of the draw; 409 `draw_not_published` before the
/// opening (saying when), or for a sale that opened before draws were published.
pub async fn page(
    state: &AppState,
    event: &Event,
    offset: u64,
    limit: u64,
) -> Result<PrequeueDraw, ApiError> {
    let Some(seed) = event.shuffle_seed else {
        return Err(not_published(
            "this sale was created before pre-queue draws were published; it has no draw to show",
        ));
    };
    let not_yet = || {
        let at = datetime_ms(event.starts_at_ms)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        not_published(&format!(
            "the pre-queue draw is published when the sale opens ({at}); the seed's \
             commitment is on the event already"
        ))
    };
    if event.seed_due(state.clock().now_ms()).is_none() {
        return Err(not_yet());
    }
    let Some(draw) = state.hub.store().draw(event.id, offset, limit).await? else {
        return Err(not_yet());
    };
    let end = offset.saturating_add(draw.joined.len() as u64);
    Ok(PrequeueDraw {
        event_id: event.id.to_string(),
        algorithm: ALGORITHM,
        shuffle_seed: seed.to_hex(),
        shuffle_commitment: seed.commitment(),
        total: draw.total,
        offset,
        joined: draw.joined,
        order: draw.order,
        next_offset: (end < draw.total).then_some(end),
    })
}

/// Entries `offset..offset + limit` of presale group `group`'s draw (its own seed,
/// `ShuffleSeed::for_presale`); 409 `draw_not_published` before its opening.
pub async fn presale_page(
    state: &AppState,
    event: &Event,
    group: &crate::event::Presale,
    offset: u64,
    limit: u64,
) -> Result<PrequeueDraw, ApiError> {
    let Some(seed) = event.shuffle_seed.map(|s| s.for_presale(group.slot)) else {
        return Err(not_published(
            "this sale was created before pre-queue draws were published; it has no draw to show",
        ));
    };
    let not_yet = || {
        let at = datetime_ms(group.opens_at_ms)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        not_published(&format!(
            "the group's draw is published when its line opens ({at}); the seed's \
             commitment is on the event already"
        ))
    };
    if state.clock().now_ms() < group.opens_at_ms {
        return Err(not_yet());
    }
    let Some(draw) = state
        .hub
        .store()
        .presale_draw(event.id, group.slot, offset, limit)
        .await?
    else {
        return Err(not_yet());
    };
    let end = offset.saturating_add(draw.joined.len() as u64);
    Ok(PrequeueDraw {
        event_id: event.id.to_string(),
        algorithm: ALGORITHM,
        shuffle_seed: seed.to_hex(),
        shuffle_commitment: seed.commitment(),
        total: draw.total,
        offset,
        joined: draw.joined,
        order: draw.order,
        next_offset: (end < draw.total).then_some(end),
    })
}

fn not_published(message: &str) -> ApiError {
    ApiError::Conflict {
        code: "draw_not_published",
        message: message.into(),
    }
}
