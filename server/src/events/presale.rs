//! Presale groups and codes as a service (docs/ARCHITECTURE.md "Presale codes"): the
//! groups' changes (judged under the event's row lock, published to the queue store),
//! redeeming a code (with the guess limits), and the account → group lookup every
//! join makes.
//!
//! The lookup's cache: each replica keeps the bindings it has seen (account → slot,
//! per event). A binding never changes once made (a group with bindings cannot be
//! deleted, a slot never moves), so a cached one is never stale. An account the cache
//! does not hold may have redeemed on another replica a moment ago, so before the
//! public opening (while codes can still be redeemed) a miss asks the database; a
//! binding found is cached. An event with no groups never looks.

use waiting_room::{EventId, UserId};

use super::{EventError, Events};
use crate::db::{Actor, GroupChange, GroupOp, Redeem};
use crate::event::{Event, Presale};

/// Why a presale request was refused (the routes map each to its answer).
#[derive(Debug, thiserror::Error)]
pub enum PresaleError {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "this event has {} presale groups already, the most it may have",
        waiting_room::MAX_PRESALE_GROUPS
    )]
    Full,
    #[error("{0}")]
    Started(String),
    #[error(
        "fans redeemed this group's codes already; it cannot be deleted (revoke its codes instead)"
    )]
    InUse,
    #[error("presale group not found")]
    NoGroup,
    #[error("this sale is closed")]
    Closed,
    #[error("no such code for this event")]
    CodeUnknown,
    #[error("this code has been used by as many accounts as it may")]
    UsedUp,
    #[error("this account holds a code of the group {0:?} for this event already")]
    OtherCode(String),
    #[error("the public sale has opened; presale codes are no longer taken")]
    Over,
    #[error("too many wrong codes; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
}

impl From<sqlx::Error> for PresaleError {
    fn from(e: sqlx::Error) -> Self {
        Self::Event(EventError::Database(e))
    }
}

/// The guess limits (configuration): wrong codes per account and per address in a
/// window; 0 switches one off.
#[derive(Clone, Copy, Debug)]
pub struct GuessLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub window_ms: i64,
}

/// What a redeem bound: the group, and whether this call bound it.
#[derive(Clone, Debug)]
pub struct Redeemed {
    pub group: Presale,
    pub new: bool,
}

fn rfc3339(ms: i64) -> String {
    waiting_room::wire::datetime_ms(ms)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Whether `op` may change `event` now (`target`: the group it names, `bound`: the
/// accounts bound to it).
fn judge(
    op: &GroupOp,
    event: &Event,
    target: Option<&Presale>,
    bound: u64,
    now_ms: i64,
) -> Result<(), PresaleError> {
    if event.closed {
        return Err(PresaleError::Closed);
    }
    let opened = now_ms >= event.starts_at_ms;
    let before_start = |at: i64| {
        if at < event.starts_at_ms {
            Ok(())
        } else {
            Err(PresaleError::Invalid(format!(
                "opens_at must be before the event's public opening ({})",
                rfc3339(event.starts_at_ms)
            )))
        }
    };
    match (op, target) {
        (GroupOp::Create { opens_at_ms, .. }, _) => {
            if opened {
                return Err(PresaleError::Started(
                    "the public sale has opened; no presale group can be added".into(),
                ));
            }
            if event.presales.len() >= usize::from(waiting_room::MAX_PRESALE_GROUPS) {
                return Err(PresaleError::Full);
            }
            before_start(*opens_at_ms)
        }
        (
            GroupOp::Update {
                opens_at_ms: Some(at),
                ..
            },
            Some(group),
        ) if *at != group.opens_at_ms => {
            if opened || group.opens_at_ms <= now_ms {
                return Err(PresaleError::Started(format!(
                    "the group's line opened at {}; its opening can no longer move",
                    rfc3339(group.opens_at_ms)
                )));
            }
            before_start(*at)
        }
        (GroupOp::Delete { .. }, Some(group)) => {
            if bound > 0 {
                return Err(PresaleError::InUse);
            }
            if opened || group.opens_at_ms <= now_ms {
                return Err(PresaleError::Started(format!(
                    "the group's line opened at {}; it can no longer be deleted",
                    rfc3339(group.opens_at_ms)
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl Events {
    /// Creates, changes or deletes a presale group; the queue store takes the new
    /// openings under the event's row lock, and this replica's cache the event.
    /// Answers the event as changed and the group's id.
    pub async fn change_presale_group(
        &self,
        event: EventId,
        actor: &Actor,
        op: &GroupOp,
    ) -> Result<(Event, String), PresaleError> {
        let now = self.hub.clock().now_ms();
        let publish = |changed: Event| async move {
            self.hub
                .store()
                .configure(changed.id, &changed.queue_config(), false)
                .await
                .map_err(EventError::from)?;
            Ok::<_, PresaleError>(())
        };
        let change = self
            .db
            .change_presale_group(
                event,
                actor,
                now,
                op,
                |e, target, bound| judge(op, e, target, bound, now),
                publish,
            )
            .await?;
        match change {
            GroupChange::NoEvent => Err(EventError::UnknownEvent.into()),
            GroupChange::NoGroup => Err(PresaleError::NoGroup),
            GroupChange::Done { event, group } => {
                tracing::info!(event_id = %event.id, group = %group, ?op, "presale group changed");
                self.cache((*event).clone());
                Ok((*event, group))
            }
        }
    }

    /// The presale line `user`'s joins in `event` go to: its group's slot, or `None`
    /// (the public line). For an event without groups (or not cached here) one look
    /// at the events cache; a cache hit for a binding seen here; else, before the
    /// public opening, one database read.
    pub async fn presale_slot(
        &self,
        event: EventId,
        user: UserId,
        now_ms: i64,
    ) -> Result<Option<u8>, EventError> {
        let starts_at_ms = {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            match cache.get(&event) {
                Some(e) if !e.presales.is_empty() => e.starts_at_ms,
                _ => return Ok(None),
            }
        };
        if let Some(slot) = self
            .presale_fans
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&event)
            .and_then(|fans| fans.get(&user))
        {
            return Ok(Some(*slot));
        }
        // From the public opening on no code is redeemed, and a group fan's join
        // would queue at the back as a public one does: nothing to look up.
        if now_ms >= starts_at_ms {
            return Ok(None);
        }
        let slot = self.db.presale_slot(event, user).await?;
        if let Some(slot) = slot {
            self.remember_binding(event, user, slot);
        }
        Ok(slot)
    }

    fn remember_binding(&self, event: EventId, user: UserId, slot: u8) {
        self.presale_fans
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(event)
            .or_default()
            .insert(user, slot);
    }

    /// Forgets the bindings of events no longer open (the refresh's).
    pub(super) fn retain_presale_fans(&self, open: &std::collections::HashSet<EventId>) {
        self.presale_fans
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id, _| open.contains(id));
    }

    /// Redeems `raw` (as the fan typed it) in `event` for `user`, whose client
    /// address counts under `address` (its limit key). A wrong code counts against
    /// both budgets (every replica's together: the database counts); a right one,
    /// or one refused for another reason, gives its attempt back.
    pub async fn redeem_code(
        &self,
        event: EventId,
        user: UserId,
        address: &str,
        raw: &str,
        limits: GuessLimits,
    ) -> Result<Redeemed, PresaleError> {
        let found = self.get(event).await?;
        if found.closed {
            return Err(PresaleError::Closed);
        }
        let now = self.hub.clock().now_ms();
        if now >= found.starts_at_ms {
            return Err(PresaleError::Over);
        }
        let keys = [
            (format!("u:{user}"), limits.per_account),
            (format!("ip:{address}"), limits.per_address),
        ];
        let mut taken = Vec::new();
        let mut wait_ms = 0;
        for (key, limit) in &keys {
            if *limit == 0 {
                continue;
            }
            let (attempts, since) = self
                .db
                .take_code_attempt(key, now, now - limits.window_ms)
                .await?;
            taken.push(key.as_str());
            if attempts > u64::from(*limit) {
                wait_ms = wait_ms.max(since + limits.window_ms - now);
            }
        }
        if wait_ms > 0 {
            let secs = u64::try_from(wait_ms).unwrap_or(0).div_ceil(1000).max(1);
            return Err(PresaleError::TooManyAttempts {
                retry_after_secs: secs,
            });
        }
        let Some(code) = crate::presale::normalise(raw) else {
            return Err(PresaleError::CodeUnknown);
        };
        let outcome = self.db.redeem_presale_code(event, user, &code, now).await?;
        if outcome != Redeem::Unknown {
            for key in taken {
                self.db.give_back_code_attempt(key).await?;
            }
        }
        match outcome {
            Redeem::Unknown => Err(PresaleError::CodeUnknown),
            Redeem::UsedUp => Err(PresaleError::UsedUp),
            Redeem::OtherCode { group } => Err(PresaleError::OtherCode(group.name)),
            Redeem::Bound { group, new } => {
                self.remember_binding(event, user, group.slot);
                if new {
                    tracing::info!(event_id = %event, %user, group = %group.id, "presale code redeemed");
                }
                Ok(Redeemed { group, new })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(starts_at_ms: i64, groups: &[(u8, i64)]) -> Event {
        let body = serde_json::json!({
            "name": "Tour",
            "starts_at": "2030-01-01T00:00:00Z",
            "sections": [{"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": 1}],
            "admission": {"rate_per_minute": 60, "max_active": 10},
        });
        let request: crate::event::NewEvent = serde_json::from_value(body).unwrap();
        let mut e = request.into_event(60).unwrap();
        e.starts_at_ms = starts_at_ms;
        e.presales = groups
            .iter()
            .map(|(slot, at)| Presale {
                id: format!("g{slot}"),
                slot: *slot,
                name: format!("Group {slot}"),
                opens_at_ms: *at,
            })
            .collect();
        e
    }

    fn create(at: i64) -> GroupOp {
        GroupOp::Create {
            name: "Fans".into(),
            opens_at_ms: at,
        }
    }

    #[test]
    fn groups_open_before_the_public_sale_and_are_at_most_eight() {
        let e = event(10_000, &[]);
        assert!(judge(&create(5_000), &e, None, 0, 0).is_ok());
        // In the past is fine while the public sale has not opened.
        assert!(judge(&create(1_000), &e, None, 0, 2_000).is_ok());
        assert!(matches!(
            judge(&create(10_000), &e, None, 0, 0),
            Err(PresaleError::Invalid(_))
        ));
        assert!(matches!(
            judge(&create(5_000), &e, None, 0, 10_000),
            Err(PresaleError::Started(_))
        ));
        let full = event(10_000, &(1..=8).map(|s| (s, 1_000)).collect::<Vec<_>>());
        assert!(matches!(
            judge(&create(5_000), &full, None, 0, 0),
            Err(PresaleError::Full)
        ));
    }

    #[test]
    fn an_opened_line_keeps_its_opening_and_a_used_group_stays() {
        let e = event(10_000, &[(1, 5_000)]);
        let g = &e.presales[0];
        let moving = GroupOp::Update {
            group: "g1".into(),
            name: None,
            opens_at_ms: Some(6_000),
        };
        assert!(judge(&moving, &e, Some(g), 0, 1_000).is_ok());
        assert!(matches!(
            judge(&moving, &e, Some(g), 0, 5_000),
            Err(PresaleError::Started(_))
        ));
        let renaming = GroupOp::Update {
            group: "g1".into(),
            name: Some("New".into()),
            opens_at_ms: Some(5_000),
        };
        assert!(judge(&renaming, &e, Some(g), 3, 7_000).is_ok());
        let delete = GroupOp::Delete { group: "g1".into() };
        assert!(judge(&delete, &e, Some(g), 0, 1_000).is_ok());
        assert!(matches!(
            judge(&delete, &e, Some(g), 1, 1_000),
            Err(PresaleError::InUse)
        ));
        assert!(matches!(
            judge(&delete, &e, Some(g), 0, 5_000),
            Err(PresaleError::Started(_))
        ));
    }
}
