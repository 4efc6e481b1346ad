//! One decorator for both store ports: [`Intercepted`] forwards every method of
//! [`QueueStore`] and [`SeatStore`] to the store it wraps, through an
//! [`Interceptor`] that sees each call as its op ([`QueueOp`], [`SeatOp`], named
//! beside the traits) and its event, and runs it: times it (the server's metrics),
//! fails or delays it (the tests' fault injection), or holds it back (the tests'
//! gates). A new store method is forwarded here once, for all of them.
//!
//! The shape is tower's `Layer` made small: the wrapper owns the forwarding, the
//! interceptor one generic `around` hook; no boxing beyond the ports' own
//! `async_trait` futures.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::seats::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, HoldRequest, SeatBatch, SeatCounts,
    SeatOp, SeatSnapshot, SeatStore, SeatsReplaced,
};
use crate::shuffle::ShuffleSeed;
use crate::store::{
    AdmitOutcome, ChangeBatch, Cursor, DrawPage, PlaceCap, PowGate, QueueOp, QueueSnapshot,
    QueueStats, QueueStore, Restore, StoreError, TicketStatus,
};
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

/// A store call: which port's method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Queue(QueueOp),
    Seats(SeatOp),
}

impl Op {
    /// The method's name.
    pub const fn name(self) -> &'static str {
        match self {
            Op::Queue(op) => op.name(),
            Op::Seats(op) => op.name(),
        }
    }
}

impl From<QueueOp> for Op {
    fn from(op: QueueOp) -> Self {
        Op::Queue(op)
    }
}

impl From<SeatOp> for Op {
    fn from(op: SeatOp) -> Self {
        Op::Seats(op)
    }
}

/// What runs around every call of an [`Intercepted`] store.
pub trait Interceptor: Send + Sync + 'static {
    /// Runs `call`, the store's answer to `op` (on `event`, for the methods that name
    /// one), and answers for it: usually by awaiting it, with something before or
    /// after; or with an answer of its own, without awaiting it (a fault).
    fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a;
}

impl<I: Interceptor> Interceptor for Arc<I> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        op: Op,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a {
        (**self).around(op, event, call)
    }
}

/// A store (`S`: a [`QueueStore`], a [`SeatStore`], or their `dyn`) whose every call
/// goes through `interceptor`.
pub struct Intercepted<S: ?Sized, I> {
    inner: Arc<S>,
    interceptor: I,
}

impl<S: ?Sized, I> Intercepted<S, I> {
    pub fn new(inner: Arc<S>, interceptor: I) -> Self {
        Self { inner, interceptor }
    }

    pub fn interceptor(&self) -> &I {
        &self.interceptor
    }

    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }
}

impl<S: ?Sized, I: Interceptor> Intercepted<S, I> {
    fn around<'a, T: Send + 'a>(
        &'a self,
        op: impl Into<Op>,
        event: Option<EventId>,
        call: impl Future<Output = Result<T, StoreError>> + Send + 'a,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'a {
        self.interceptor.around(op.into(), event, call)
    }
}

#[async_trait]
impl<S: QueueStore + ?Sized, I: Interceptor> QueueStore for Intercepted<S, I> {
    async fn restore(&self, event: EventId, restore: &Restore<'_>) -> Result<u64, StoreError> {
        let call = self.inner.restore(event, restore);
        self.around(QueueOp::Restore, Some(event), call).await
    }

    async fn configure(
        &self,
        event: EventId,
        config: &QueueConfig,
        only_if_missing: bool,
    ) -> Result<(), StoreError> {
        let call = self.inner.configure(event, config, only_if_missing);
        self.around(QueueOp::Configure, Some(event), call).await
    }

    async fn config(&self, event: EventId) -> Result<Option<QueueConfig>, StoreError> {
        let call = self.inner.config(event);
        self.around(QueueOp::Config, Some(event), call).await
    }

    async fn update_admission(
        &self,
        event: EventId,
        settings: &AdmissionSettings,
    ) -> Result<(), StoreError> {
        let call = self.inner.update_admission(event, settings);
        self.around(QueueOp::UpdateAdmission, Some(event), call)
            .await
    }

    async fn join(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError> {
        let call = self.inner.join(event, user, ticket, cap);
        self.around(QueueOp::Join, Some(event), call).await
    }

    async fn join_gated(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: &PowGate,
    ) -> Result<TicketStatus, StoreError> {
        let call = self.inner.join_gated(event, user, ticket, cap, pow);
        self.around(QueueOp::JoinGated, Some(event), call).await
    }

    async fn status(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<TicketStatus>, StoreError> {
        let call = self.inner.status(event, user);
        self.around(QueueOp::Status, Some(event), call).await
    }

    async fn statuses(
        &self,
        event: EventId,
        users: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError> {
        let call = self.inner.statuses(event, users);
        self.around(QueueOp::Statuses, Some(event), call).await
    }

    async fn poll(&self, event: EventId, user: UserId) -> Result<Option<TicketStatus>, StoreError> {
        let call = self.inner.poll(event, user);
        self.around(QueueOp::Poll, Some(event), call).await
    }

    async fn leave(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        let call = self.inner.leave(event, user);
        self.around(QueueOp::Leave, Some(event), call).await
    }

    async fn touch(&self, event: EventId, users: &[UserId]) -> Result<(), StoreError> {
        let call = self.inner.touch(event, users);
        self.around(QueueOp::Touch, Some(event), call).await
    }

    async fn open(&self, event: EventId, seed: &ShuffleSeed) -> Result<bool, StoreError> {
        let call = self.inner.open(event, seed);
        self.around(QueueOp::Open, Some(event), call).await
    }

    async fn draw(
        &self,
        event: EventId,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        let call = self.inner.draw(event, offset, limit);
        self.around(QueueOp::Draw, Some(event), call).await
    }

    async fn admit(
        &self,
        event: EventId,
        free_seats: Option<u64>,
    ) -> Result<AdmitOutcome, StoreError> {
        let call = self.inner.admit(event, free_seats);
        self.around(QueueOp::Admit, Some(event), call).await
    }

    async fn release(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        let call = QueueStore::release(&*self.inner, event, user);
        self.around(QueueOp::Release, Some(event), call).await
    }

    async fn purchased(
        &self,
        event: EventId,
        user: UserId,
        order: &str,
    ) -> Result<bool, StoreError> {
        let call = self.inner.purchased(event, user, order);
        self.around(QueueOp::Purchased, Some(event), call).await
    }

    async fn changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<ChangeBatch, StoreError> {
        let call = self.inner.changes(event, after, max);
        self.around(QueueOp::Changes, Some(event), call).await
    }

    async fn snapshot(&self, event: EventId) -> Result<QueueSnapshot, StoreError> {
        let call = self.inner.snapshot(event);
        self.around(QueueOp::Snapshot, Some(event), call).await
    }

    async fn stats(&self, event: EventId) -> Result<QueueStats, StoreError> {
        let call = self.inner.stats(event);
        self.around(QueueOp::Stats, Some(event), call).await
    }

    async fn now_ms(&self) -> Result<i64, StoreError> {
        let call = self.inner.now_ms();
        self.around(QueueOp::NowMs, None, call).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let call = self.inner.ping();
        self.around(QueueOp::Ping, None, call).await
    }
}

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

#[cfg(test)]
mod tests;
