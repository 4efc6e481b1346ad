//! The Redis store's join: one script call takes (or finds) the ticket, counts the
//! address's place and spends the proof of work.

use redis::Value;

use super::{decode, RedisStore};
use crate::store::{PlaceCap, PowGate, StoreError, TicketStatus};
use crate::{EventId, TicketId, UserId};

impl RedisStore {
    /// [`QueueStore::join`], gated by `pow` when the event asks for proof of work, or
    /// a staff account's join (`staff`, [`QueueStore::join_staff`]); one script call.
    pub(super) async fn join_with(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        staff: bool,
    ) -> Result<TicketStatus, StoreError> {
        self.join_script(event, user, ticket, cap, pow, staff, 0)
            .await
    }

    /// [`QueueStore::join_presale`](crate::store::QueueStore::join_presale): the same
    /// script, told the group's line (`slot`) and given every group's pre-queue.
    pub(super) async fn join_in(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        if slot > crate::MAX_PRESALE_GROUPS {
            return Err(StoreError::Backend(
                format!("no presale group in slot {slot}").into(),
            ));
        }
        self.join_script(event, user, ticket, cap, pow, false, slot)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn join_script(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        staff: bool,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.join.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.pre);
        inv.key(&k.tk).key(&k.pres).key(&k.log).key(&k.held);
        inv.key(&k.act).key(&k.rec).key(&k.arr);
        inv.arg(user.to_string())
            .arg(&ticket.0)
            .arg(self.log_capacity)
            .arg(cap.map_or("", |c| c.holder.as_str()))
            .arg(cap.map_or(0, |c| c.max));
        let mut spent_key = None;
        match pow {
            None => {
                inv.arg("");
            }
            Some(PowGate::Missing) => {
                inv.arg("M");
            }
            Some(PowGate::Solved(solved)) => {
                // Kept until the challenge expires (at least a second: Redis' clock
                // may run a little behind ours).
                let ttl_ms = (solved.expires_at_ms - crate::clock::now_ms()).max(1_000);
                spent_key = Some(k.pow_spent(&solved.id));
                inv.arg("S").arg(ttl_ms);
            }
        }
        // ARGV[7] the challenge's time to live, sent with a solution only.
        let ttl_sent = spent_key.is_some();
        if slot != 0 {
            if !ttl_sent {
                inv.arg(0);
            }
            // A presale join: KEYS[12] always (the spent-challenge key, else the
            // prefix of those keys, never written), then every group's pre-queue;
            // ARGV[8] no staff, ARGV[9] the group's line.
            inv.key(spent_key.unwrap_or_else(|| k.pow.clone()));
            for pre in &k.pre_groups {
                inv.key(pre);
            }
            inv.arg("0").arg(slot);
        } else {
            if let Some(key) = spent_key {
                inv.key(key);
            }
            if staff {
                // ARGV[8] the staff flag: other joins send nothing more.
                if !ttl_sent {
                    inv.arg(0);
                }
                inv.arg("1");
            }
        }
        let reply: Vec<Value> = match self.run(&inv).await {
            // The script's FGPLACES reply does not carry the cap; the caller knows it.
            Err(StoreError::TooManyPlaces { .. }) => {
                let max = cap.map_or(0, |c| c.max);
                return Err(StoreError::TooManyPlaces { max });
            }
            other => other?,
        };
        decode::statuses(&reply)?
            .pop()
            .flatten()
            .ok_or_else(|| StoreError::Backend("join returned no ticket".into()))
    }
}
