//! [`SeatStore`] through the interceptor: every method forwarded once, under its op.

use async_trait::async_trait;

use super::{Intercepted, Interceptor};
use crate::seats::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, HoldRequest, SeatBatch, SeatCounts,
    SeatOp, SeatSnapshot, SeatStore, SeatsReplaced,
};
use crate::store::{Cursor, StoreError};
use crate::EventId;

#[async_trait]
impl<S: SeatStore + ?Sized, I: Interceptor> SeatStore for Intercepted<S, I> {
    async fn init_seats(
        &self,
        event: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError> {
        let call = self.inner.init_seats(event, capacity, sold, held_back);
        self.around(SeatOp::InitSeats, Some(event), call).await
    }

    async fn hold(&self, event: EventId, request: &HoldRequest) -> Result<HoldOutcome, StoreError> {
        let call = self.inner.hold(event, request);
        self.around(SeatOp::Hold, Some(event), call).await
    }

    async fn end_token(&self, event: EventId, jti: &str) -> Result<(), StoreError> {
        let call = self.inner.end_token(event, jti);
        self.around(SeatOp::EndToken, Some(event), call).await
    }

    async fn hold_info(&self, event: EventId, hold: &HoldId) -> Result<Option<Hold>, StoreError> {
        let call = self.inner.hold_info(event, hold);
        self.around(SeatOp::HoldInfo, Some(event), call).await
    }

    async fn begin_confirm(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError> {
        let call = self.inner.begin_confirm(event, hold, jti, lease_ms);
        self.around(SeatOp::BeginConfirm, Some(event), call).await
    }

    async fn finish_confirm(&self, event: EventId, hold: &HoldId) -> Result<(), StoreError> {
        let call = self.inner.finish_confirm(event, hold);
        self.around(SeatOp::FinishConfirm, Some(event), call).await
    }

    async fn release(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: Option<&str>,
    ) -> Result<bool, StoreError> {
        let call = SeatStore::release(&*self.inner, event, hold, jti);
        self.around(SeatOp::Release, Some(event), call).await
    }

    async fn expired_holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        let call = self.inner.expired_holds(event, limit);
        self.around(SeatOp::ExpiredHolds, Some(event), call).await
    }

    async fn holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        let call = self.inner.holds(event, limit);
        self.around(SeatOp::Holds, Some(event), call).await
    }

    async fn mark_sold(&self, event: EventId, seats: &[u32]) -> Result<(), StoreError> {
        let call = self.inner.mark_sold(event, seats);
        self.around(SeatOp::MarkSold, Some(event), call).await
    }

    async fn unsell(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        let call = self.inner.unsell(event, seats);
        self.around(SeatOp::Unsell, Some(event), call).await
    }

    async fn seat_counts(&self, event: EventId) -> Result<SeatCounts, StoreError> {
        let call = self.inner.seat_counts(event);
        self.around(SeatOp::SeatCounts, Some(event), call).await
    }

    async fn holders(&self, event: EventId) -> Result<u64, StoreError> {
        let call = self.inner.holders(event);
        self.around(SeatOp::Holders, Some(event), call).await
    }

    async fn hold_back(
        &self,
        event: EventId,
        seats: &[u32],
    ) -> Result<HoldBackOutcome, StoreError> {
        let call = self.inner.hold_back(event, seats);
        self.around(SeatOp::HoldBack, Some(event), call).await
    }

    async fn release_held_back(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        let call = self.inner.release_held_back(event, seats);
        self.around(SeatOp::ReleaseHeldBack, Some(event), call)
            .await
    }

    async fn replace_seats(
        &self,
        event: EventId,
        capacity: u32,
    ) -> Result<SeatsReplaced, StoreError> {
        let call = self.inner.replace_seats(event, capacity);
        self.around(SeatOp::ReplaceSeats, Some(event), call).await
    }

    async fn seat_changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError> {
        let call = self.inner.seat_changes(event, after, max);
        self.around(SeatOp::SeatChanges, Some(event), call).await
    }

    async fn seat_snapshot(&self, event: EventId) -> Result<SeatSnapshot, StoreError> {
        let call = self.inner.seat_snapshot(event);
        self.around(SeatOp::SeatSnapshot, Some(event), call).await
    }
}
