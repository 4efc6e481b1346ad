//! The embedded store's join: a ticket taken (or found), checked against the
//! address's places and the proof of work, in one step under the lock.

use super::queue::{Place, Ticket};
use super::MemoryStore;
use crate::store::{PlaceCap, PowGate, StoreError, TicketStatus};
use crate::{AdmissionMode, EventId, TicketId, UserId};

impl MemoryStore {
    /// [`QueueStore::join`], gated by `pow` when the event asks for proof of work, or a
    /// staff account's join (`staff`, [`QueueStore::join_staff`]).
    pub(super) fn join_with(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        staff: bool,
    ) -> Result<TicketStatus, StoreError> {
        self.join_in(event, user, ticket, cap, pow, staff, 0)
    }

    /// [`Self::join_with`] into line `slot` (0: the public line; a presale group's,
    /// [`crate::store::QueueStore::join_presale`]): a new ticket waits in the line's pre-queue until
    /// its opening, and queues at the back after it; a fan pre-queued in another line
    /// not frozen yet moves to this one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn join_in(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        staff: bool,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        self.with_event(event, |q, now| {
            if q.config.opening_of(slot).is_none() {
                return Err(StoreError::Backend(
                    format!("no presale group in slot {slot}").into(),
                ));
            }
            let deadline = now + q.config.grace_ms as i64;
            let existing = q.tickets.get(&user).map(|t| t.place);
            match existing {
                Some(Place::Left | Place::Purchased { .. }) | None => {
                    if q.config.admission.mode == AdmissionMode::Reject && !staff {
                        return Err(StoreError::Rejecting);
                    }
                    match pow {
                        None => {}
                        Some(PowGate::Missing) => {
                            return Err(StoreError::PowRequired { used: false })
                        }
                        Some(PowGate::Solved(s)) if q.spent.contains(&s.id, now) => {
                            return Err(StoreError::PowRequired { used: true })
                        }
                        Some(PowGate::Solved(_)) => {}
                    }
                    if let Some(cap) = cap {
                        if !q.hold(cap) {
                            return Err(StoreError::TooManyPlaces { max: cap.max });
                        }
                    }
                    if let Some(PowGate::Solved(s)) = pow {
                        q.spent.insert(&s.id, s.expires_at_ms, now);
                    }
                    let place = q.take_place(user, slot);
                    q.tickets.insert(
                        user,
                        Ticket {
                            id: ticket.clone(),
                            place,
                            orders: Vec::new(),
                            holder: cap.map(|c| c.holder.clone()),
                        },
                    );
                    q.set_presence(user, deadline);
                    // Staff bypass: admitted at once once the sale is open, whatever
                    // the mode, pause, rate or line (the ticket is last in line, so
                    // nobody's people-ahead changes). Passthrough: admitted at once
                    // when nobody waits ahead and a shopper's slot is free (a
                    // waitlist's seats are the step's call, for staff too).
                    // The safety net (mode queue, not paused): every new ticket is an
                    // arrival; one with nobody ahead is admitted at once while the
                    // shoppers and the last minute's arrivals are under its levels.
                    let admission = &q.config.admission;
                    let net = admission
                        .safety_net
                        .filter(|_| admission.mode == AdmissionMode::Queue);
                    let paused = admission.paused;
                    let max_active = admission.max_active;
                    let under_net = match net {
                        Some(net) if !staff => {
                            let arrived = q.arrive(now);
                            !paused
                                && arrived < u64::from(net.max_arrivals_per_minute)
                                && q.queue.len() == 1
                                && q.active_count(now) < u64::from(net.max_shoppers.min(max_active))
                        }
                        _ => false,
                    };
                    if let Place::Queued(seq) = place {
                        let clear = q.opened && q.drawing.is_none() && !q.waitlist;
                        let passthrough = q.config.admission.mode == AdmissionMode::Passthrough
                            && q.queue.len() == 1
                            && q.active_count(now) < u64::from(q.config.admission.max_active);
                        if clear && (staff || passthrough || under_net) {
                            q.admit_now(seq, now);
                        }
                    }
                }
                // A presale join of a fan pre-queued in another line that is not
                // frozen yet: to this group's line (the back of the queue if it opened).
                Some(Place::Prequeue {
                    slot: from,
                    arrival,
                }) if slot != 0
                    && from != slot
                    && q.prequeues[usize::from(from)].remove(&arrival).is_some() =>
                {
                    let place = q.take_place(user, slot);
                    if let Some(t) = q.tickets.get_mut(&user) {
                        t.place = place;
                    }
                    q.set_presence(user, deadline);
                }
                Some(Place::Prequeue { .. } | Place::Queued(_)) => q.set_presence(user, deadline),
                Some(Place::Admitted { .. }) => {}
            }
            Ok(q.status(user).expect("ticket just ensured"))
        })?
    }
}
