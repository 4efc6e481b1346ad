//! The stored event, its public view and its sale state.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use waiting_room::room::RoomInfo;
use waiting_room::seats::layout::SectionLayout;
use waiting_room::seats::store::SeatCounts;
use waiting_room::seats::SeatLayout;
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::wire::datetime_ms;
use waiting_room::{AdmissionSettings, EventId, QueueConfig};

/// A request to create or change an event that breaks a rule; the API answers 400
/// `invalid_field` with this message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEvent(pub String);

/// A block of seats: `rows` × `seats_per_row`, one price. Seat ids are
/// `<section>-<row>-<seat>`, counted from 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    #[schema(
        pattern = "^[A-Za-z0-9]{1,16}$",
        min_length = 1,
        max_length = 16,
        example = "A"
    )]
    pub name: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub rows: u32,
    #[schema(minimum = 1, maximum = 1000)]
    pub seats_per_row: u32,
    #[schema(minimum = 0)]
    pub price_cents: i64,
}

/// The most seats one event may have.
pub const MAX_CAPACITY: u64 = 1_000_000;

/// A stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub name: String,
    pub starts_at_ms: i64,
    pub closed: bool,
    pub max_seats_per_order: u32,
    pub hold_ttl_secs: u32,
    pub admission: AdmissionSettings,
    pub grace_secs: u32,
    pub sections: Vec<Section>,
    /// The performance (Unix ms), after the opening; `None` for events created
    /// before shows had a time.
    pub show_at_ms: Option<i64>,
    /// Fans may cancel their own orders until this long before the show; `None`: no
    /// self-service refunds.
    pub refund_window_secs: Option<u32>,
    /// Seats one account may buy over all its orders (refunds given back); `None`:
    /// no cap beyond `max_seats_per_order` per purchase.
    pub max_seats_per_account: Option<u32>,
    /// The pre-queue draw's seed (docs/FAIRNESS.md): secret until the opening, its
    /// commitment public from the creation. `None` for events created before seeds
    /// were drawn. Its `Debug` is hidden.
    pub shuffle_seed: Option<ShuffleSeed>,
    /// Leading zero bits of SHA-256 a new place in line costs (`crate::proof_of_work`);
    /// 0: no proof of work.
    pub pow_difficulty: u8,
    /// The presale groups (docs/ARCHITECTURE.md "Presale codes"), by opening time;
    /// empty for most events (and then nothing on the join path looks for codes).
    pub presales: Vec<Presale>,
}

/// One presale group of an event as the rooms and the public see it: its line (`slot`
/// 1..=8 in the queue store), its name and its opening, before the event's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presale {
    /// The group's id (a UUID), as the admin API names it.
    pub id: String,
    pub slot: u8,
    pub name: String,
    pub opens_at_ms: i64,
}

/// A presale group in the public view of its event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicPresale {
    /// The group's id (a UUID): `GET /events/{id}/prequeue?presale=` pages its draw.
    #[schema(format = "uuid")]
    pub id: String,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    /// Lowercase hex SHA-256 of the group's draw seed; `null` for a sale created before
    /// draws had seeds.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub shuffle_commitment: Option<String>,
    /// The group's seed, once its draw is done; `null` before.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub shuffle_seed: Option<String>,
}

/// Where a sale stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    Scheduled,
    OnSale,
    SoldOut,
    Closed,
}

impl Event {
    pub fn capacity(&self) -> u64 {
        self.sections
            .iter()
            .map(|s| u64::from(s.rows) * u64::from(s.seats_per_row))
            .sum()
    }

    /// The sale state; `counts` (from the seat store) decide `sold_out`: no seat free.
    pub fn state(&self, now_ms: i64, counts: Option<SeatCounts>) -> SaleState {
        if self.closed {
            SaleState::Closed
        } else if now_ms < self.starts_at_ms {
            SaleState::Scheduled
        } else if counts.is_some_and(|c| c.capacity > 0 && c.free() == 0) {
            SaleState::SoldOut
        } else {
            SaleState::OnSale
        }
    }

    /// The seat map (the sections were validated at creation).
    pub fn layout(&self) -> SeatLayout {
        SeatLayout::new(
            self.sections
                .iter()
                .map(|s| SectionLayout {
                    name: s.name.clone(),
                    rows: s.rows,
                    seats_per_row: s.seats_per_row,
                    price_cents: s.price_cents,
                })
                .collect(),
        )
    }

    pub fn queue_config(&self) -> QueueConfig {
        QueueConfig {
            presales: self
                .presales
                .iter()
                .map(|p| waiting_room::PresaleOpening {
                    slot: p.slot,
                    opens_at_ms: p.opens_at_ms,
                })
                .collect(),
            starts_at_ms: self.starts_at_ms,
            grace_ms: u64::from(self.grace_secs) * 1000,
            admission: self.admission.clone(),
        }
    }

    pub fn room_info(&self) -> RoomInfo {
        RoomInfo {
            event: self.id,
            max_seats: self.max_seats_per_order,
            shuffle_seed: self.shuffle_seed,
        }
    }

    /// The public view of the contract; `available` counts free seats.
    pub fn public(&self, now_ms: i64, counts: Option<SeatCounts>) -> PublicEvent {
        PublicEvent {
            id: self.id,
            name: self.name.clone(),
            starts_at: datetime_ms(self.starts_at_ms),
            state: self.state(now_ms, counts),
            capacity: self.capacity(),
            available: Some(counts.map_or(self.capacity(), |c| u64::from(c.free()))),
            max_seats_per_order: self.max_seats_per_order,
            hold_ttl_secs: self.hold_ttl_secs,
            sections: self.sections.clone(),
            admission: self.admission.clone(),
            show_at: self.show_at_ms.map(datetime_ms),
            refund_window_secs: self.refund_window_secs,
            max_seats_per_account: self.max_seats_per_account,
            shuffle_commitment: self.shuffle_seed.map(|s| s.commitment()),
            // Set by the routes that know the draw happened (`crate::draw`).
            shuffle_seed: None,
            pow_difficulty: self.pow_difficulty,
            presales: self
                .presales
                .iter()
                .map(|p| PublicPresale {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    opens_at: datetime_ms(p.opens_at_ms),
                    shuffle_commitment: self
                        .shuffle_seed
                        .map(|s| s.for_presale(p.slot).commitment()),
                    shuffle_seed: None,
                })
                .collect(),
        }
    }

    /// The presale group `id` of this event.
    pub fn presale(&self, id: &str) -> Option<&Presale> {
        self.presales.iter().find(|p| p.id == id)
    }

    /// The seed if the opening's time has come (`now_ms` at or past `starts_at`);
    /// it is published only once the store has drawn too (`crate::draw::revealed`).
    pub fn seed_due(&self, now_ms: i64) -> Option<ShuffleSeed> {
        self.shuffle_seed.filter(|_| now_ms >= self.starts_at_ms)
    }

    /// The last moment (Unix ms) a fan may cancel their own order: `refund_window_secs`
    /// before the show; `None` when the event has no self-service refunds.
    pub fn refunds_until_ms(&self) -> Option<i64> {
        let window = i64::from(self.refund_window_secs?);
        Some(self.show_at_ms? - window * 1000)
    }

    /// The public view when the seat store failed to answer: availability unknown
    /// (`null`), the state from the schedule alone.
    pub fn public_without_counts(&self, now_ms: i64) -> PublicEvent {
        PublicEvent {
            available: None,
            ..self.public(now_ms, None)
        }
    }

    /// What the admin audit log records of a new event.
    pub fn audit_summary(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(AuditSummary {
            name: &self.name,
            starts_at: datetime_ms(self.starts_at_ms),
            capacity: self.capacity(),
            admission: self.admission.clone(),
        })
    }
}

/// `after` of an `event_created` audit entry: the event as created.
#[derive(Serialize, ToSchema)]
#[schema(as = EventCreatedSummary)]
#[serde(deny_unknown_fields)]
pub struct AuditSummary<'a> {
    name: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    starts_at: OffsetDateTime,
    #[schema(minimum = 0)]
    capacity: u64,
    admission: AdmissionSettings,
}

/// The public view of an event.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
#[serde(deny_unknown_fields)]
pub struct PublicEvent {
    pub id: EventId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    pub state: SaleState,
    #[schema(minimum = 0)]
    pub capacity: u64,
    /// Free seats; `None` (JSON `null`) when the seat store could not be read.
    #[schema(required = true, minimum = 0)]
    pub available: Option<u64>,
    pub max_seats_per_order: u32,
    pub hold_ttl_secs: u32,
    pub sections: Vec<Section>,
    pub admission: AdmissionSettings,
    /// The performance's date and time; `null` when the event has none.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub show_at: Option<OffsetDateTime>,
    #[schema(required = true, minimum = 0)]
    pub refund_window_secs: Option<u32>,
    #[schema(required = true, minimum = 1)]
    pub max_seats_per_account: Option<u32>,
    /// Lowercase hex SHA-256 of the draw's seed (docs/FAIRNESS.md).
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub shuffle_commitment: Option<String>,
    /// The seed (lowercase hex), once the sale has opened; `null` before.
    #[schema(required = true, pattern = "^[0-9a-f]{64}$")]
    pub shuffle_seed: Option<String>,
    #[schema(minimum = 0, maximum = 28)]
    pub pow_difficulty: u8,
    /// The presale groups, by opening time (docs/ARCHITECTURE.md "Presale codes"):
    /// fans holding a group's access code wait in its line, which opens before
    /// `starts_at`.
    pub presales: Vec<PublicPresale>,
}
