//! [`QueueStore`] through the interceptor: every method forwarded once, under its op.

use async_trait::async_trait;

use super::{Intercepted, Interceptor};
use crate::shuffle::ShuffleSeed;
use crate::store::{
    AdmitOutcome, ChangeBatch, Cursor, DrawPage, Lease, Opening, PlaceCap, PowGate, PresenceUpdate,
    QueueOp, QueueSnapshot, QueueStats, QueueStore, Restore, SnapshotPage, StoreError,
    TicketStatus, Wake,
};
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};

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

    async fn join_staff(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
    ) -> Result<TicketStatus, StoreError> {
        let call = self.inner.join_staff(event, user, ticket);
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

    async fn presence(
        &self,
        event: EventId,
        update: &PresenceUpdate<'_>,
    ) -> Result<Lease, StoreError> {
        let call = self.inner.presence(event, update);
        self.around(QueueOp::Presence, Some(event), call).await
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

    // Issue 19, a line of millions in bounded calls.

    async fn snapshot_page(
        &self,
        event: EventId,
        after: u64,
        limit: usize,
    ) -> Result<SnapshotPage, StoreError> {
        let call = self.inner.snapshot_page(event, after, limit);
        self.around(QueueOp::SnapshotPage, Some(event), call).await
    }

    // Issue 19: waiting for the change log; a closed sale's line leaves.

    async fn wait_changes(
        &self,
        event: EventId,
        after: &Cursor,
        limit: std::time::Duration,
    ) -> Result<Wake, StoreError> {
        let call = self.inner.wait_changes(event, after, limit);
        self.around(QueueOp::WaitChanges, Some(event), call).await
    }

    async fn remove_line(&self, event: EventId) -> Result<(), StoreError> {
        let call = self.inner.remove_line(event);
        self.around(QueueOp::RemoveLine, Some(event), call).await
    }

    async fn open_step(
        &self,
        event: EventId,
        seed: &ShuffleSeed,
        batch: usize,
    ) -> Result<Opening, StoreError> {
        let call = self.inner.open_step(event, seed, batch);
        self.around(QueueOp::OpenStep, Some(event), call).await
    }

    async fn join_presale(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        let call = self.inner.join_presale(event, user, ticket, cap, pow, slot);
        // Counted as a join, like a staff join.
        self.around(QueueOp::Join, Some(event), call).await
    }

    async fn presale_draw(
        &self,
        event: EventId,
        slot: u8,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        let call = self.inner.presale_draw(event, slot, offset, limit);
        self.around(QueueOp::Draw, Some(event), call).await
    }
}
