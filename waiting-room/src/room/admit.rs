//! The purchase phase: what an admitted fan is given — a signed purchase token valid
//! until the end of its shopping session — or `Expired` once that session is over.
//!
//! The room's state ([`super::state::RoomState`]) stays pure: it is handed an
//! [`Admit`] and calls it when a fan it holds is admitted, under the same lock that
//! takes the fan out of the queue, so no fan is ever seen neither queued nor admitted.
//! Signing is deterministic and reads no clock (`now_ms` comes in as an argument).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::fan::FanPhase;
use crate::token::{PurchaseClaims, SigningKeys};
use crate::{EventId, TicketId, UserId};

/// Turns an admission into the fan's phase.
pub(crate) trait Admit {
    /// `Admitted` with a purchase token for `user`'s `ticket`, or `Expired` when the
    /// session ended at or before `now_ms`.
    fn purchase_phase(
        &self,
        user: UserId,
        ticket: &TicketId,
        admitted_at_ms: i64,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> FanPhase;
}

/// Signs purchase tokens for one event.
pub(crate) struct Signer {
    event: EventId,
    keys: SigningKeys,
    /// `max_seats` claim of the tokens (admins may change it while the room runs).
    max_seats: AtomicU32,
}

impl Signer {
    pub fn new(event: EventId, keys: SigningKeys, max_seats: u32) -> Self {
        Self {
            event,
            keys,
            max_seats: AtomicU32::new(max_seats),
        }
    }

    pub fn set_max_seats(&self, max_seats: u32) {
        self.max_seats.store(max_seats, Ordering::Relaxed);
    }
}

impl Admit for Signer {
    fn purchase_phase(
        &self,
        user: UserId,
        ticket: &TicketId,
        admitted_at_ms: i64,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> FanPhase {
        if expires_at_ms <= now_ms {
            return FanPhase::Expired;
        }
        let claims = PurchaseClaims::new(
            user,
            self.event,
            ticket,
            admitted_at_ms,
            expires_at_ms,
            self.max_seats.load(Ordering::Relaxed),
        );
        FanPhase::Admitted {
            purchase_token: self.keys.sign(&claims),
            expires_at_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_over_is_expired_and_a_running_one_carries_a_verifiable_token() {
        let (keys, _) = SigningKeys::generate();
        let (event, user, ticket) = (EventId::new(), UserId::new(), TicketId::new());
        let signer = Signer::new(event, keys.clone(), 4);
        assert_eq!(
            signer.purchase_phase(user, &ticket, 1_000, 2_000, 2_000),
            FanPhase::Expired
        );
        signer.set_max_seats(6);
        let now = crate::clock::now_ms();
        let FanPhase::Admitted {
            purchase_token,
            expires_at_ms,
        } = signer.purchase_phase(user, &ticket, now, now + 60_000, now)
        else {
            panic!("admitted");
        };
        assert_eq!(expires_at_ms, now + 60_000);
        let claims = keys.verify_purchase(&purchase_token, event).unwrap();
        assert_eq!((claims.sub, claims.max_seats), (user, 6));
    }
}
