//! The embedded store's join: a ticket taken (or found), checked against the
//! address's places and the proof of work, in one step under the lock.

use super::queue::{Place, Ticket};
use super::MemoryStore;
use crate::store::{Change, PlaceCap, PowGate, StoreError, TicketStatus};
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
        self.with_event(event, |q, now| {
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
                    let place = if q.opened || q.drawing.is_some() {
                        let seq = q.next_seq;
                        q.next_seq += 1;
                        q.queue.insert(seq, user);
                        q.view.insert(seq);
                        q.append(Change::Joined { seq });
                        Place::Queued(seq)
                    } else {
                        let arrival = q.next_arrival;
                        q.next_arrival += 1;
                        q.prequeue.insert(arrival, user);
                        Place::Prequeue(arrival)
                    };
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
                        let clear = q.opened && !q.waitlist;
                        let passthrough = q.config.admission.mode == AdmissionMode::Passthrough
                            && q.queue.len() == 1
                            && q.active_count(now) < u64::from(q.config.admission.max_active);
                        if clear && (staff || passthrough || under_net) {
                            q.admit_now(seq, now);
                        }
                    }
                }
                Some(Place::Prequeue(_) | Place::Queued(_)) => q.set_presence(user, deadline),
                Some(Place::Admitted { .. }) => {}
            }
            Ok(q.status(user).expect("ticket just ensured"))
        })?
    }
}
