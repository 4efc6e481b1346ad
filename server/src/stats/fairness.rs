//! Fairness figures per event (docs/FAIRNESS.md, "Fairness figures"): inversions and
//! the normalised Kendall tau between join order and admission order, for the
//! pre-queue (from the opening's draw record: join order against drawn order) and
//! for the fans who joined after the opening (from their orders' queue times).
//!
//! The draw's figures are read once per event and replica (the record is fixed at
//! the opening; 100,000 entries took 0.2 s to read from Redis in a release build),
//! the others at most every [`REFRESH`]: the stats socket asks every second. The
//! [`Cache`] belongs to the stats service: maps behind `std` mutexes (a lookup or an
//! insert, never held across an `.await`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use utoipa::ToSchema;
use waiting_room::fairness::OrderFigures;
use waiting_room::EventId;

use waiting_room::hub::Hub;

use crate::db::Db;
use crate::events::{EventError, Events};

/// How long figures are reused before they are read again.
pub const REFRESH: Duration = Duration::from_secs(10);

/// Entries read per page of the draw record.
const PAGE: u64 = 10_000;

/// The `fairness` object of the stats: inversions between join order and admission
/// order, and the normalised Kendall tau (docs/FAIRNESS.md). Read again at most every
/// 10 s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fairness {
    /// The pre-queue's fans: their join order against the opening's drawn order
    /// (from the draw's record; expected about 0.5). Zero fans before the opening.
    pub prequeue: OrderFigures,
    /// Fans who joined after the opening and bought: join time against admission
    /// time, from their orders (migration 0012; fans admitted in one step count as in
    /// order; expected 0 for first come, first served).
    pub after_opening: OrderFigures,
    /// Read before the draw (no record yet): read again once the sale has opened.
    #[serde(skip)]
    drawn_empty_before: bool,
}

/// The figures read lately, per event.
#[derive(Debug, Default)]
pub struct Cache {
    figures: Mutex<HashMap<EventId, (Instant, Fairness)>>,
    /// The pre-queue figures of events whose draw this replica has read (a few bytes
    /// per event; the record never changes after the opening).
    drawn: Mutex<HashMap<EventId, OrderFigures>>,
}

/// Where the figures are read from.
pub struct Sources<'a> {
    pub events: &'a Events,
    pub hub: &'a Hub,
    pub db: &'a Db,
}

impl Cache {
    /// The event's figures, from the cache when fresh. `opened`: the store says the
    /// sale has opened; figures cached before it are read again at once.
    pub async fn figures(
        &self,
        from: Sources<'_>,
        id: EventId,
        opened: bool,
    ) -> Result<Fairness, EventError> {
        let cache = self;
        if let Some((at, f)) = lock(&cache.figures).get(&id) {
            let stale = opened && f.drawn_empty_before;
            if at.elapsed() < REFRESH && !stale {
                return Ok(*f);
            }
        }
        let event = from.events.get(id).await?;
        // The record is fixed once drawn: read it once per replica.
        let known = lock(&cache.drawn).get(&id).copied();
        let prequeue = match known {
            Some(f) => Some(f),
            None => prequeue_figures(from.hub, id).await?,
        };
        if let (None, Some(f)) = (known, prequeue) {
            lock(&cache.drawn).insert(id, f);
        }
        let times = from.db.queue_times_since(id, event.starts_at_ms).await?;
        let f = Fairness {
            prequeue: prequeue.unwrap_or_default(),
            after_opening: OrderFigures::of_pairs(times),
            drawn_empty_before: prequeue.is_none(),
        };
        let mut figures = lock(&cache.figures);
        figures.retain(|_, (at, _)| at.elapsed() < REFRESH);
        figures.insert(id, (Instant::now(), f));
        Ok(f)
    }
}

/// The draw record's figures; `None` before the opening.
async fn prequeue_figures(hub: &Hub, id: EventId) -> Result<Option<OrderFigures>, EventError> {
    let store = hub.store();
    let (mut joined, mut order) = (Vec::new(), Vec::new());
    let mut offset = 0;
    let mut drawn = false;
    while let Some(page) = store.draw(id, offset, PAGE).await? {
        drawn = true;
        let n = page.joined.len() as u64;
        joined.extend(page.joined);
        order.extend(page.order);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(drawn.then(|| OrderFigures::of(&draw_ranks(&joined, &order))))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Each drawn pseudonym's join rank, in drawn order.
fn draw_ranks(joined: &[String], order: &[String]) -> Vec<u64> {
    let rank: HashMap<&str, u64> = joined
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u64))
        .collect();
    order
        .iter()
        .filter_map(|p| rank.get(p.as_str()).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_join_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ranks = draw_ranks(&s(&["a", "b", "c", "d"]), &s(&["c", "a", "d", "b"]));
        assert_eq!(ranks, vec![2, 0, 3, 1]);
        let f = OrderFigures::of(&ranks);
        assert_eq!((f.fans, f.inversions), (4, 3));
    }
}
