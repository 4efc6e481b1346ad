//! The order ledger: what a seat room asks the system of record (the server's
//! database) — which seats are sold, which are held back, and which seats an order
//! made from a hold bought. The seat store may lose its state (a Redis flush); the
//! ledger never does, so a room rebuilds the store from it and settles holds caught
//! mid-confirm by it. [`MemoryLedger`] is the in-memory one, for tests.

mod memory;

pub use memory::MemoryLedger;

use async_trait::async_trait;

use super::store::HoldId;
use crate::EventId;

/// The port a seat room reads the system of record through.
#[async_trait]
pub trait OrderLedger: Send + Sync + 'static {
    /// Every sold seat of `event` (the seats of its orders, net of refunds).
    async fn sold_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError>;

    /// The seats of `event` an admin held back from sale.
    async fn held_back_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError>;

    /// The seats of the order confirmed from `hold`, if that confirm committed.
    async fn order_seats(&self, hold: &HoldId) -> Result<Option<Vec<u32>>, LedgerError>;
}

/// Why the ledger could not answer (its cause, shown as it is).
#[derive(Debug)]
pub struct LedgerError(Box<dyn std::error::Error + Send + Sync>);

impl LedgerError {
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(cause))
    }
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LedgerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
