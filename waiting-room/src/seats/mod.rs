//! Seats: an event's seat map ([`layout::SeatLayout`]), the seat-state port
//! ([`store::SeatStore`]) with its in-memory and Redis adapters, and the local seat
//! view each replica keeps from the seat log ([`view::SeatView`]), and the room that
//! runs one event's seats on a replica ([`room::SeatRoom`]) over the order ledger's
//! port ([`ledger::OrderLedger`]).
//!
//! Seats are addressed by a dense index `0..capacity` (sections in order, then rows,
//! then seats), so state fits in one byte per seat; ids like `A-1-5` exist only at the
//! edge (parsing requests, rendering snapshots).
//!
//! The guarantees live in the store: a hold is one atomic step that checks every
//! requested seat is free, checks and counts the purchase token's `jti` against its
//! `max_seats`, and marks the seats held with a deadline. The database's unique
//! (event, seat) constraint is the last line of defence behind it.

pub mod layout;
pub mod ledger;
pub mod memory;
pub mod redis;
pub mod room;
pub mod store;
pub mod view;

#[cfg(test)]
mod contract;

pub use layout::SeatLayout;
pub use ledger::{MemoryLedger, OrderLedger};
pub use memory::MemorySeatStore;
pub use redis::RedisSeatStore;
pub use room::SeatRoom;
pub use store::SeatStore;
