//! Seats held back from sale by an admin (production, press, accessible seating) and
//! released again. No hold, best-available or specific, takes a held-back seat: the
//! store refuses any seat that is not free.
//!
//! Write order, so that a crash loses nothing and never sells a held-back seat:
//! - hold back: the store first (one atomic step, so no concurrent hold can take a seat
//!   that is then recorded held back), then the database (the record a rebuilt store
//!   starts from, with the audit entry); if the database write fails, the seats this
//!   call changed are released in the store again and the call fails. A crash between
//!   the two leaves the seats held back in the store but unrecorded: the admin saw no
//!   answer and repeats the call, which records them.
//! - release: the database first (record deleted, audit entry), then the store. A
//!   crash between the two leaves the seats held back in the store until the call is
//!   repeated (or the store is rebuilt from the database): a seat is never on sale in
//!   the store while the database still holds it back.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use waiting_room::clock::Clock;
use waiting_room::seats::store::{HoldBackOutcome, SeatCounts};
use waiting_room::seats::SeatLayout;
use waiting_room::store::StoreError;

use super::Checkout;
use crate::db::{Actor, AuditAction, Db, NewAudit};
use crate::event::Event;

/// The most seats one request may name (a whole row of the biggest venue fits).
pub const MAX_SEATS_PER_CHANGE: usize = 2_000;

/// Which seats a hold-back or release names: seat ids, a whole row, or both.
#[derive(Clone, Debug, Default)]
pub struct SeatSelection {
    pub seats: Vec<String>,
    /// (section name, 1-based row).
    pub row: Option<(String, u32)>,
}

/// A selection the seat map does not allow (the API answers 400 with its code).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadSelection {
    #[error("name at least one seat, or a row")]
    NoSeats,
    #[error("{0} seats named; at most {MAX_SEATS_PER_CHANGE} per request")]
    TooManySeats(usize),
    #[error("no such seats: {0:?}")]
    UnknownSeats(Vec<String>),
    #[error("no section {0:?}")]
    UnknownSection(String),
    #[error("section {section:?} has no row {row}")]
    UnknownRow { section: String, row: u32 },
}

#[derive(Debug, thiserror::Error)]
pub enum HeldBackError {
    #[error(transparent)]
    BadSelection(#[from] BadSelection),
    /// Hold back: these seats are held or sold; nothing changed.
    #[error("these seats are held or sold")]
    Unavailable { seats: Vec<String> },
    #[error("seat store: {0}")]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The event's sections were edited while the seats were being held back (by
    /// their old names); nothing changed.
    #[error("the seat map changed meanwhile; try again")]
    SectionsChanged,
}

/// What a hold-back or release did.
#[derive(Clone, Debug)]
pub struct HeldBackChange {
    /// The seats whose state changed, in index order.
    pub changed: Vec<u32>,
    /// The event's counts right after (from the store).
    pub counts: SeatCounts,
}

/// The held-back seats' dependencies, borrowed (`AppState::held_back` lends the app's).
#[derive(Clone, Copy)]
pub struct HeldBackService<'a> {
    pub checkout: &'a Checkout,
    pub db: &'a Db,
    pub clock: &'a dyn Clock,
}

impl HeldBackService<'_> {
    /// Holds the selected seats back, all or none: every seat must be free or held
    /// back already (then it is left as it is).
    pub async fn hold_back(
        &self,
        event: &Event,
        selection: SeatSelection,
        actor: &Actor,
    ) -> Result<HeldBackChange, HeldBackError> {
        let layout = event.layout();
        let seats = select(&layout, selection)?;
        // Loading the room rebuilds the store's seat state if it was lost.
        self.checkout.room(event).await?;
        let store = self.checkout.seats();
        let changed = match store.hold_back(event.id, &seats).await? {
            HoldBackOutcome::Unavailable { seats } => {
                let mut seats = seats;
                seats.sort_unstable();
                seats.dedup();
                return Err(HeldBackError::Unavailable {
                    seats: seats.iter().map(|s| layout.name(*s)).collect(),
                });
            }
            HoldBackOutcome::HeldBack { mut changed } => {
                changed.sort_unstable();
                changed
            }
        };
        let record = async {
            let counts = store.seat_counts(event.id).await?;
            let at_ms = self.clock.now_ms();
            // A repeat that changed nothing still records the seats (a crash may have
            // come between an earlier call's two steps), but is no change to audit.
            let entry = (!changed.is_empty()).then(|| NewAudit {
                at_ms,
                actor,
                event: event.id,
                action: AuditAction::SeatsHeldBack,
                before: Some(seats_json(
                    &layout,
                    &changed,
                    "free",
                    &counts,
                    changed.len(),
                    0,
                )),
                after: Some(seats_json(&layout, &changed, "held_back", &counts, 0, 0)),
            });
            let recorded = self
                .db
                .hold_back_seats(
                    event.id,
                    &seats,
                    (actor, at_ms),
                    entry.as_ref(),
                    &event.sections,
                )
                .await?;
            if !recorded {
                return Err(HeldBackError::SectionsChanged);
            }
            Ok::<_, HeldBackError>(counts)
        };
        match record.await {
            Ok(counts) => {
                tracing::info!(event_id = %event.id, changed = changed.len(), requested = seats.len(), "seats held back");
                Ok(HeldBackChange { changed, counts })
            }
            Err(error) => {
                // Put back on sale what this call took off, so the store never keeps
                // seats held back that the database does not record.
                if let Err(revert) = store.release_held_back(event.id, &changed).await {
                    tracing::error!(%revert, %error, event_id = %event.id, "could not revert a hold-back the database refused");
                }
                Err(error)
            }
        }
    }

    /// Puts the selected seats back on sale; seats not held back are left as they are.
    pub async fn release(
        &self,
        event: &Event,
        selection: SeatSelection,
        actor: &Actor,
    ) -> Result<HeldBackChange, HeldBackError> {
        let layout = event.layout();
        let seats = select(&layout, selection)?;
        self.checkout.room(event).await?;
        let store = self.checkout.seats();
        let before = store.seat_counts(event.id).await?;
        let at_ms = self.clock.now_ms();
        let released = self
            .db
            .release_held_back_seats(event.id, &seats, |released| NewAudit {
                at_ms,
                actor,
                event: event.id,
                action: AuditAction::SeatsReleased,
                before: Some(seats_json(&layout, released, "held_back", &before, 0, 0)),
                after: Some(seats_json(
                    &layout,
                    released,
                    "free",
                    &before,
                    released.len(),
                    0,
                )),
            })
            .await?;
        let n = store.release_held_back(event.id, &seats).await?;
        if n as usize != released.len() {
            tracing::warn!(event_id = %event.id, store = n, database = released.len(), "the store and the database disagreed on held-back seats; both now have them on sale");
        }
        let counts = store.seat_counts(event.id).await?;
        tracing::info!(event_id = %event.id, released = released.len(), "held-back seats released");
        Ok(HeldBackChange {
            changed: released,
            counts,
        })
    }
}

/// The seat indexes a selection names, distinct and in index order.
pub fn select(layout: &SeatLayout, selection: SeatSelection) -> Result<Vec<u32>, BadSelection> {
    if selection.seats.len() > MAX_SEATS_PER_CHANGE {
        return Err(BadSelection::TooManySeats(selection.seats.len()));
    }
    let unknown: Vec<String> = selection
        .seats
        .iter()
        .filter(|id| layout.parse(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(BadSelection::UnknownSeats(unknown));
    }
    let mut seats: BTreeSet<u32> = selection
        .seats
        .iter()
        .filter_map(|id| layout.parse(id))
        .collect();
    if let Some((name, row)) = selection.row {
        let section = layout
            .section(&name)
            .ok_or_else(|| BadSelection::UnknownSection(name.clone()))?;
        if row == 0 || row > layout.sections()[section].rows {
            return Err(BadSelection::UnknownRow { section: name, row });
        }
        seats.extend(layout.row_seats(section, row));
    }
    if seats.is_empty() {
        return Err(BadSelection::NoSeats);
    }
    if seats.len() > MAX_SEATS_PER_CHANGE {
        return Err(BadSelection::TooManySeats(seats.len()));
    }
    Ok(seats.into_iter().collect())
}

/// An audit entry's side: the seats with their state, and the event's held-back count
/// (`counts.held_back`, plus `more` and minus `fewer`: the count on the other side of
/// the change).
fn seats_json(
    layout: &SeatLayout,
    seats: &[u32],
    state: &str,
    counts: &SeatCounts,
    fewer: usize,
    more: usize,
) -> Value {
    let seats: serde_json::Map<String, Value> = seats
        .iter()
        .map(|s| (layout.name(*s), json!(state)))
        .collect();
    let held_back = (counts.held_back as usize + more).saturating_sub(fewer);
    json!({ "seats": seats, "held_back": held_back })
}

#[cfg(test)]
mod tests {
    use super::*;
    use waiting_room::seats::layout::SectionLayout;

    fn layout() -> SeatLayout {
        SeatLayout::new(vec![
            SectionLayout {
                name: "A".into(),
                rows: 2,
                seats_per_row: 3,
                price_cents: 1,
            },
            SectionLayout {
                name: "B".into(),
                rows: 1,
                seats_per_row: 2,
                price_cents: 1,
            },
        ])
    }

    fn sel(seats: &[&str], row: Option<(&str, u32)>) -> SeatSelection {
        SeatSelection {
            seats: seats.iter().map(|s| s.to_string()).collect(),
            row: row.map(|(s, r)| (s.to_string(), r)),
        }
    }

    #[test]
    fn selections_become_distinct_indexes() {
        let l = layout();
        assert_eq!(
            select(&l, sel(&["B-1-2", "A-1-1", "A-1-1"], None)),
            Ok(vec![0, 7])
        );
        assert_eq!(
            select(&l, sel(&["A-1-1"], Some(("A", 2)))),
            Ok(vec![0, 3, 4, 5])
        );
        assert_eq!(select(&l, sel(&[], None)), Err(BadSelection::NoSeats));
        assert_eq!(
            select(&l, sel(&["A-1-1", "A-9-1", "C-1-1"], None)),
            Err(BadSelection::UnknownSeats(vec![
                "A-9-1".into(),
                "C-1-1".into()
            ]))
        );
        assert_eq!(
            select(&l, sel(&[], Some(("C", 1)))),
            Err(BadSelection::UnknownSection("C".into()))
        );
        assert!(matches!(
            select(&l, sel(&[], Some(("B", 2)))),
            Err(BadSelection::UnknownRow { .. })
        ));
        assert!(matches!(
            select(&l, sel(&[], Some(("A", 0)))),
            Err(BadSelection::UnknownRow { .. })
        ));
        let many: Vec<&str> = vec!["A-1-1"; MAX_SEATS_PER_CHANGE + 1];
        assert_eq!(
            select(&l, sel(&many, None)),
            Err(BadSelection::TooManySeats(MAX_SEATS_PER_CHANGE + 1))
        );
    }

    #[test]
    fn audit_sides_name_the_seats_and_the_count() {
        let l = layout();
        let counts = SeatCounts {
            capacity: 8,
            held_back: 3,
            ..SeatCounts::default()
        };
        let v = seats_json(&l, &[0, 7], "free", &counts, 2, 0);
        assert_eq!(
            v,
            json!({"seats": {"A-1-1": "free", "B-1-2": "free"}, "held_back": 1})
        );
    }
}
