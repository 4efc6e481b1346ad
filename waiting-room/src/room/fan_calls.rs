//! A fan's calls on the room: registering its sockets, joining (with or without proof
//! of work), resuming, leaving, and asking its phase (the polling fallback).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::time::Instant;

use super::{FanHandle, Room};
use crate::fan::FanPhase;
use crate::store::{PlaceCap, PowGate, StoreError, TicketState, TicketStatus};
use crate::{TicketId, UserId};

impl Room {
    /// Registers a socket for `user`. The first socket of a fan who already holds a
    /// waiting ticket resumes it (same ticket, same place, fresh grace); an admitted
    /// fan gets the purchase token again.
    pub async fn connect(self: &Arc<Self>, user: UserId) -> Result<FanHandle, StoreError> {
        let (handle, first) = self.attach(user);
        if first {
            self.resume(user, None).await?;
        }
        Ok(handle)
    }

    /// Registers a socket for `user` without reading the store; `true` when it is the
    /// fan's only socket here, which should then either [`Self::resume`] or
    /// [`Self::join`] (a join answers everything a resume would, in one store call).
    pub fn attach(self: &Arc<Self>, user: UserId) -> (FanHandle, bool) {
        let (rx, first) = self.lock().attach(user);
        self.sockets.fetch_add(1, Ordering::Relaxed);
        let handle = FanHandle {
            room: Arc::clone(self),
            user,
            rx,
        };
        (handle, first)
    }

    /// Picks up the ticket `user` may already hold: a waiting one is resumed (same
    /// ticket, same place, fresh grace), an admitted fan gets its purchase token again.
    /// `cap` as for [`Self::join`] (the ticket may lapse in between).
    pub async fn resume(&self, user: UserId, cap: Option<&PlaceCap>) -> Result<(), StoreError> {
        match self.store.status(self.event, user).await? {
            Some(TicketStatus {
                state: TicketState::Prequeue { .. } | TicketState::Queued { .. },
                ..
            }) => self.join(user, cap).await,
            Some(status) if status.state != TicketState::Left => {
                self.apply_status(user, status);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Joins the queue (idempotent: a second tab or a reconnect gets the same ticket).
    /// With `cap`, a new ticket counts against its address's places
    /// ([`StoreError::TooManyPlaces`] at the cap).
    pub async fn join(&self, user: UserId, cap: Option<&PlaceCap>) -> Result<(), StoreError> {
        self.join_gated(user, cap, None).await.map(drop)
    }

    /// [`Self::join`] for an event that asks for proof of work: a join that would
    /// create a ticket needs `pow` to be a solution not spent yet
    /// ([`StoreError::PowRequired`] otherwise); `None`: nothing asked. Answers the
    /// fan's phase as the join left it (what [`Self::describe`] would answer, without
    /// asking the store a second time: the join's own answer is that fresh).
    pub async fn join_gated(
        &self,
        user: UserId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
    ) -> Result<FanPhase, StoreError> {
        self.join_as(user, Joiner::Fan { cap, pow })
            .await
            .map(|(phase, _)| phase)
    }

    /// A staff account's join (staff bypass,
    /// [`QueueStore::join_staff`](crate::store::QueueStore::join_staff)): admitted at
    /// once once the sale is open, whatever the line, rate and mode. Who is staff is
    /// the caller's call. Answers the fan's phase as the join left it, and the
    /// sequence number of the ticket this join created and admitted (`None` when an
    /// existing ticket was given back, or the sale is not open: no bypass happened).
    pub async fn join_staff(&self, user: UserId) -> Result<(FanPhase, Option<u64>), StoreError> {
        self.join_as(user, Joiner::Staff).await
    }

    /// A presale fan's join into group `slot`'s line
    /// ([`QueueStore::join_presale`](crate::store::QueueStore::join_presale)); `cap`
    /// and `pow` as for [`Self::join_gated`]. Which group a fan belongs to (its code)
    /// is the caller's call. Answers the fan's phase as the join left it.
    pub async fn join_presale(
        &self,
        user: UserId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<FanPhase, StoreError> {
        self.join_as(user, Joiner::Presale { cap, pow, slot })
            .await
            .map(|(phase, _)| phase)
    }

    async fn join_as(
        &self,
        user: UserId,
        joiner: Joiner<'_>,
    ) -> Result<(FanPhase, Option<u64>), StoreError> {
        let ticket = TicketId::issued_at(self.clock.now_ms());
        let join = || async {
            match joiner {
                Joiner::Fan { cap, pow: None } => {
                    self.store.join(self.event, user, &ticket, cap).await
                }
                Joiner::Fan {
                    cap,
                    pow: Some(pow),
                } => {
                    self.store
                        .join_gated(self.event, user, &ticket, cap, pow)
                        .await
                }
                Joiner::Staff => self.store.join_staff(self.event, user, &ticket).await,
                Joiner::Presale { cap, pow, slot } => {
                    self.store
                        .join_presale(self.event, user, &ticket, cap, pow, slot)
                        .await
                }
            }
        };
        let status = match join().await {
            Err(StoreError::UnknownEvent) => {
                // The store lost the event (Redis restarted empty): put it and our
                // waiting fans back before this fan joins behind them.
                self.lock().lost = true;
                self.restore().await?;
                self.lock().synced = false;
                join().await?
            }
            other => other?,
        };
        tracing::debug!(event = %self.event, %user, ?status, "joined");
        let (now_ms, at) = (self.clock.now_ms(), Instant::now());
        let mut st = self.lock();
        let bypassed = match (&joiner, &status.state) {
            (Joiner::Staff, TicketState::Admitted { seq, .. }) if status.ticket == ticket => {
                Some(*seq)
            }
            _ => None,
        };
        let phase = st.describe(user, status.clone(), now_ms, at, &self.signer);
        st.apply_status(user, status, now_ms, at, &self.signer);
        Ok((phase, bypassed))
    }

    /// Leaves the queue on request. An admitted fan is not affected.
    pub async fn leave(&self, user: UserId) -> Result<(), StoreError> {
        if self.store.leave(self.event, user).await? {
            self.lock().left(user);
        }
        Ok(())
    }

    /// The fan's phase straight from the store (the polling fallback), without
    /// registering a socket. Asking counts as presence: a waiting fan keeps its place
    /// for another grace period (one store call,
    /// [`QueueStore::poll`](crate::store::QueueStore::poll)).
    pub async fn describe(&self, user: UserId) -> Result<FanPhase, StoreError> {
        let Some(status) = self.store.poll(self.event, user).await? else {
            return Ok(FanPhase::Idle);
        };
        let now_ms = self.clock.now_ms();
        Ok(self
            .lock()
            .describe(user, status, now_ms, Instant::now(), &self.signer))
    }

    pub(super) fn disconnect(&self, user: UserId) {
        self.sockets.fetch_sub(1, Ordering::Relaxed);
        let mut st = self.lock();
        if st.fans.detach(user).is_some() {
            // The fan's last socket here: its grace period runs from now, unless
            // another replica covers it (written by the room's loop within a tick).
            st.presence.uncover(user);
        }
    }
}

/// Who joins: a fan (with its address's cap and proof of work) or a staff account.
#[derive(Clone, Copy)]
enum Joiner<'a> {
    Fan {
        cap: Option<&'a PlaceCap>,
        pow: Option<&'a PowGate>,
    },
    Staff,
    Presale {
        cap: Option<&'a PlaceCap>,
        pow: Option<&'a PowGate>,
        slot: u8,
    },
}
