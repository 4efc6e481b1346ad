//! The database as the seat rooms' [`OrderLedger`]: the sold and held-back seats a
//! room rebuilds a lost seat store from, and the order a lapsed confirm may have
//! committed.

use async_trait::async_trait;
use waiting_room::seats::ledger::LedgerError;
use waiting_room::seats::store::HoldId;
use waiting_room::seats::OrderLedger;
use waiting_room::EventId;

use super::Db;

#[async_trait]
impl OrderLedger for Db {
    async fn sold_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError> {
        Db::sold_seats(self, event).await.map_err(LedgerError::new)
    }

    async fn held_back_seats(&self, event: EventId) -> Result<Vec<u32>, LedgerError> {
        Db::held_back_seats(self, event)
            .await
            .map_err(LedgerError::new)
    }

    async fn order_seats(&self, hold: &HoldId) -> Result<Option<Vec<u32>>, LedgerError> {
        let order = self
            .order_by_hold(&hold.0)
            .await
            .map_err(LedgerError::new)?;
        Ok(order.map(|o| o.seats))
    }
}
