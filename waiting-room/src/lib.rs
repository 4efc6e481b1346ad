//! The Floodgate queue domain: what a waiting room is, independent of HTTP and of any
//! particular storage.
//!
//! A fan *joins* an event's queue and gets a [`TicketId`]. Before the sale opens the
//! ticket sits in a *pre-queue*; at the opening the pre-queue is shuffled into the queue
//! so that arriving early gives no advantage. After the opening, tickets are ordered by
//! a sequence number assigned at join (FIFO). The *admission step* moves tickets from
//! the head of the queue to *admitted*, paced by a token bucket (rate per minute, one
//! second of burst) and capped by the number of concurrently active shoppers. Each
//! admitted fan receives a signed purchase token ([`token`]).
//!
//! Storage sits behind the [`store::QueueStore`] port with an in-memory adapter (the
//! embedded default) and a Redis adapter (production). Each server replica runs a
//! [`hub::Hub`] that tails the store's change log into a local order-statistics view
//! ([`position::PositionView`]) so people-ahead for its own sockets costs no store
//! round-trips.

#[macro_use]
mod ops;

pub mod admission;
pub mod clock;
pub mod estimate;
pub mod fairness;
pub mod fan;
pub mod hub;
pub mod ids;
pub mod intercept;
pub mod position;
pub mod pow;
pub mod room;
pub mod runtime;
pub mod seats;
pub mod settings;
pub mod shown;
pub mod shuffle;
pub mod store;
pub mod token;
pub mod wire;

pub use ids::{EventId, TicketId, UserId};
pub use settings::{
    AdmissionMode, AdmissionSettings, PresaleOpening, QueueConfig, SafetyNet, MAX_PRESALE_GROUPS,
};
