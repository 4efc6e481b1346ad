//! The in-memory [`OrderLedger`]: orders and held-back seats in this process, behind
//! one `std` mutex (a few map operations, never held across `.await`). For tests of
//! the seat room without a database; [`MemoryLedger::fail`] makes it refuse to answer.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{LedgerError, OrderLedger};
use crate::seats::store::HoldId;
use crate::EventId;

/// Orders by hold and held-back seats by event. Cheap to clone: clones share them.
#[derive(Clone, Default)]
pub struct MemoryLedger {
    inner: Arc<Mutex<Inner>>,
    failing: Arc<AtomicBool>,
}

#[derive(Default)]
struct Inner {
    orders: HashMap<HoldId, (EventId, Vec<u32>)>,
    held_back: HashMap<EventId, BTreeSet<u32>>,
}

/// What a failing [`MemoryLedger`] answers.
#[derive(Debug, thiserror::Error)]
#[error("the ledger is unavailable")]
struct Unavailable;

impl MemoryLedger {
    /// Records the order confirmed from `hold`: `seats` of `event` are sold.
    pub fn record_order(&self, event: EventId, hold: &HoldId, seats: &[u32]) {
        self.lock()
            .orders
            .insert(hold.clone(), (event, seats.to_vec()));
    }

    /// Forgets the order of `hold` (a whole refund): its seats are not sold any more.
    pub fn refund(&self, hold: &HoldId) {
        self.lock().orders.remove(hold);
    }

    /// Records `seats` of `event` as held back.
    pub fn hold_back(&self, event: EventId, seats: &[u32]) {
        self.lock()
            .held_back
            .entry(event)
            .or_default()
            .extend(seats);
    }

    /// With `true`, every question fails until called with `false`.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn answer(&self) -> Result<MutexGuard<'_, Inner>, LedgerError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(LedgerError::new(Unavailable));
        }
        Ok(self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl OrderLedger for MemoryLedger {
    async fn sold_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError> {
        let inner = self.answer()?;
        let sold: BTreeSet<u32> = inner
            .orders
            .values()
            .filter(|(e, _)| *e == event)
            .flat_map(|(_, seats)| seats.iter().copied())
            .collect();
        Ok(sold.into_iter().collect())
    }

    async fn held_back_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError> {
        let inner = self.answer()?;
        Ok(inner
            .held_back
            .get(&event)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    async fn order_seats(&self, hold: &HoldId) -> Result<Option<Vec<u32>>, LedgerError> {
        Ok(self.answer()?.orders.get(hold).map(|(_, s)| s.clone()))
    }
}
