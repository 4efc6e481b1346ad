//! What a replica puts back into a store that lost the event: its waiting fans with
//! their tickets and sequence numbers, and where new numbers and log entries start.

use super::RoomState;
use crate::fan::FanPhase;
use crate::store::RestoredFan;
use crate::QueueConfig;

/// When the store lost the event, new joins are numbered from this far above the
/// highest sequence number this replica saw: other replicas may have seen a few more
/// joins (their views lag by up to a poll), and those fans must stay in front.
const RESTORE_SEQ_MARGIN: u64 = 10_000;

/// What to put back into a store that lost the event ([`crate::store::Restore`]).
#[derive(Debug)]
pub(crate) struct RestorePlan {
    pub config: QueueConfig,
    pub opened: bool,
    pub seq_floor: u64,
    pub log_ordinal: u64,
    pub fans: Vec<RestoredFan>,
}

impl RoomState {
    /// What to put back if the store lost the event: this replica's waiting fans with
    /// their tickets and sequence numbers, and where new sequence numbers and log
    /// entries must start. `None` before the configuration is known.
    pub fn restore_plan(&self) -> Option<RestorePlan> {
        let config = self.config.clone()?;
        let fans: Vec<RestoredFan> = self
            .fans
            .iter()
            .filter_map(|(user, fan)| {
                let ticket = fan.ticket.clone()?;
                let (waiting, slot) = match &fan.tx.borrow().phase {
                    FanPhase::Queued { .. } => (fan.seq.is_some(), 0),
                    FanPhase::Prequeue { slot, .. } => (true, *slot),
                    _ => (false, 0),
                };
                waiting.then_some(RestoredFan {
                    user: *user,
                    ticket,
                    seq: fan.seq,
                    slot,
                })
            })
            .collect();
        let seen = fans
            .iter()
            .filter_map(|f| f.seq)
            .max()
            .unwrap_or(0)
            .max(self.view.max_seq());
        let seq_floor = if self.lost && seen > 0 {
            seen + RESTORE_SEQ_MARGIN
        } else {
            seen
        };
        let log_ordinal = self
            .cursor
            .0
            .strip_prefix("0-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Some(RestorePlan {
            config,
            opened: self.opened,
            seq_floor,
            log_ordinal,
            fans,
        })
    }
}
