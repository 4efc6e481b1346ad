//! A ticket status read from the store, as the phase of a local fan (pushed to its
//! view) or of any fan (the polling fallback).

use tokio::time::Instant;

use super::{covers, people_ahead, RoomState};
use crate::fan::FanPhase;
use crate::room::admit::Admit;
use crate::shown;
use crate::store::{TicketState, TicketStatus};
use crate::UserId;

impl RoomState {
    /// Puts a ticket status from the store into the view of local fan `user`.
    pub fn apply_status(
        &mut self,
        user: UserId,
        status: TicketStatus,
        now_ms: i64,
        at: Instant,
        admit: &impl Admit,
    ) {
        if self.fans.get(&user).is_none() {
            return;
        }
        if matches!(
            status.state,
            TicketState::Prequeue { .. } | TicketState::Queued { .. }
        ) {
            // A local fan with a place in line: this replica's lease covers it.
            self.presence.cover(user);
        }
        self.fans.clear_seq(user);
        let fan = self.fans.get_mut(&user).expect("checked above");
        if fan.ticket.as_ref() != Some(&status.ticket) {
            fan.ahead = u64::MAX; // a new ticket starts a new place
        }
        fan.ticket = Some(status.ticket.clone());
        let phase = match status.state {
            TicketState::Prequeue { slot } => {
                if self.lines_open & 1u16.checked_shl(u32::from(slot)).unwrap_or(0) != 0 {
                    // Its line opened, and the opening's follow-up did not include us.
                    self.recheck.push(user);
                }
                FanPhase::Prequeue {
                    ticket: status.ticket,
                    starts_at_ms: self.opening_of(slot),
                    slot,
                }
            }
            TicketState::Queued { seq, ahead } => {
                self.fans.set_seq(user, seq);
                if covers(&self.view, seq) && !self.view.contains(seq) {
                    self.recheck.push(user); // admitted or gone before we registered
                }
                let ahead = people_ahead(&self.view, seq, ahead);
                let fan = self.fans.get_mut(&user).expect("checked above");
                let ahead = fan.lower_ahead(ahead);
                let (eta_secs, range) = shown::settle(None, self.eta(ahead, at));
                FanPhase::Queued {
                    ticket: status.ticket,
                    ahead,
                    eta_secs,
                    range,
                    about: shown::about(ahead),
                    shown_at_ms: now_ms,
                }
            }
            TicketState::Admitted {
                admitted_at_ms,
                expires_at_ms,
                ..
            } => {
                let fan = self.fans.get_mut(&user).expect("checked above");
                let phase = admit.purchase_phase(
                    user,
                    &status.ticket,
                    admitted_at_ms,
                    expires_at_ms,
                    now_ms,
                );
                if matches!(phase, FanPhase::Admitted { .. }) {
                    fan.admitted_until = Some(expires_at_ms);
                }
                phase
            }
            TicketState::Left => FanPhase::Left,
            TicketState::Purchased { orders, .. } => {
                if let Some(fan) = self.fans.get_mut(&user) {
                    fan.admitted_until = None;
                }
                FanPhase::Purchased { orders }
            }
        };
        if let Some(fan) = self.fans.get(&user) {
            fan.set_phase(phase);
        }
    }

    /// The phase a ticket status shows, without registering anyone (the polling
    /// fallback).
    pub fn describe(
        &mut self,
        user: UserId,
        status: TicketStatus,
        now_ms: i64,
        at: Instant,
        admit: &impl Admit,
    ) -> FanPhase {
        match status.state {
            TicketState::Prequeue { slot } => FanPhase::Prequeue {
                ticket: status.ticket,
                starts_at_ms: self.opening_of(slot),
                slot,
            },
            TicketState::Queued { seq, ahead } => {
                let ahead = people_ahead(&self.view, seq, ahead);
                let (eta_secs, range) = shown::settle(None, self.eta(ahead, at));
                FanPhase::Queued {
                    ticket: status.ticket,
                    ahead,
                    eta_secs,
                    range,
                    about: shown::about(ahead),
                    shown_at_ms: now_ms,
                }
            }
            TicketState::Admitted {
                admitted_at_ms,
                expires_at_ms,
                ..
            } => admit.purchase_phase(user, &status.ticket, admitted_at_ms, expires_at_ms, now_ms),
            TicketState::Left => FanPhase::Left,
            TicketState::Purchased { orders, .. } => FanPhase::Purchased { orders },
        }
    }
}
