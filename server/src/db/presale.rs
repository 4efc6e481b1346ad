//! Presale groups and access codes (docs/ARCHITECTURE.md "Presale codes"; migration
//! 0021): an event's groups, edited under the event's row lock with their audit entry
//! and published to the queue store in the same transaction; codes added, listed and
//! revoked; a code redeemed (bound to an account) atomically; the account → group
//! lookup of the joins; and the wrong guesses counted per account and address.

use std::collections::HashSet;
use std::future::Future;

use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use waiting_room::wire::datetime_ms;
use waiting_room::{EventId, UserId};

use super::audit::{insert_audit, Actor, AuditAction, NewAudit};
use super::events::{presale_from_row, GROUP_COLUMNS};
use super::Db;
use crate::event::{Event, Presale};

/// A presale group as the console sees it, with its codes' use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresaleGroupRow {
    pub id: String,
    pub slot: u8,
    pub name: String,
    pub opens_at_ms: i64,
    /// Codes of the group.
    pub codes: u64,
    /// Codes redeemed at least once.
    pub codes_used: u64,
    /// Accounts bound to the group.
    pub fans: u64,
}

/// A change to an event's presale groups.
#[derive(Clone, Debug)]
pub enum GroupOp {
    Create {
        name: String,
        opens_at_ms: i64,
    },
    Update {
        group: String,
        name: Option<String>,
        opens_at_ms: Option<i64>,
    },
    Delete {
        group: String,
    },
}

impl GroupOp {
    fn group(&self) -> Option<&str> {
        match self {
            Self::Create { .. } => None,
            Self::Update { group, .. } | Self::Delete { group } => Some(group),
        }
    }
}

/// What [`Db::change_presale_group`] did.
#[derive(Clone, Debug)]
pub enum GroupChange {
    NoEvent,
    NoGroup,
    /// Done: the event as it is now, and the group's id.
    Done {
        event: Box<Event>,
        group: String,
    },
}

/// A code to add: normalised, as shown, and how many accounts may redeem it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCode {
    pub code: String,
    pub label: String,
    pub max_uses: u32,
}

/// One code as the console lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeListing {
    pub code: String,
    pub label: String,
    pub group: String,
    pub max_uses: u32,
    pub uses: u32,
    pub revoked: bool,
    pub first_email: Option<String>,
    pub first_used_at_ms: Option<i64>,
}

/// What a redemption did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeem {
    /// No such code in the event, or revoked (the same answer to the fan).
    Unknown,
    /// Every use taken by other accounts.
    UsedUp,
    /// The account holds another code of this event already (its group named).
    OtherCode { group: Presale },
    /// The account is bound to `group` (`new`: by this call; else it held the code).
    Bound { group: Presale, new: bool },
}

/// What a revocation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoke {
    NoCode,
    Revoked,
    AlreadyRevoked,
}

fn count(r: &AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    let v: i64 = r.try_get(column)?;
    u64::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn group_json(p: &Presale) -> Value {
    json!({
        "group": p.id,
        "slot": p.slot,
        "name": p.name,
        "opens_at": datetime_ms(p.opens_at_ms)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    })
}

/// Inserts `codes` (skipping those the event has already), answering the ones added.
async fn insert_codes(
    conn: &mut AnyConnection,
    event: EventId,
    group: &str,
    codes: &[NewCode],
    at_ms: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut added = HashSet::new();
    for chunk in codes.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO presale_codes (event_id, code, label, group_id, max_uses, created_at_ms) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 6;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        sql.push_str(" ON CONFLICT (event_id, code) DO NOTHING RETURNING code");
        let mut q = sqlx::query(&sql);
        for c in chunk {
            q = q
                .bind(event.to_string())
                .bind(&c.code)
                .bind(&c.label)
                .bind(group)
                .bind(i64::from(c.max_uses))
                .bind(at_ms);
        }
        for r in q.fetch_all(&mut *conn).await? {
            added.insert(r.try_get::<String, _>("code")?);
        }
    }
    Ok(added)
}

impl Db {
    /// The event's groups with their codes' use, by opening.
    pub async fn presale_groups(
        &self,
        event: EventId,
    ) -> Result<Vec<PresaleGroupRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT g.id, g.slot, g.name, g.opens_at_ms, \
             (SELECT COUNT(*) FROM presale_codes c WHERE c.group_id = g.id) AS codes, \
             (SELECT COUNT(*) FROM presale_codes c WHERE c.group_id = g.id AND c.uses > 0) AS codes_used, \
             (SELECT COUNT(*) FROM presale_code_uses u WHERE u.group_id = g.id) AS fans \
             FROM presale_groups g WHERE g.event_id = $1 ORDER BY g.opens_at_ms, g.slot",
        )
        .bind(event.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let p = presale_from_row(r)?;
                Ok(PresaleGroupRow {
                    id: p.id,
                    slot: p.slot,
                    name: p.name,
                    opens_at_ms: p.opens_at_ms,
                    codes: count(r, "codes")?,
                    codes_used: count(r, "codes_used")?,
                    fans: count(r, "fans")?,
                })
            })
            .collect()
    }

    /// Creates, changes or deletes a group in one transaction under the event's row
    /// lock (as edits and admission changes take it): `check` judges the change
    /// against the event as locked, the group it names and how many accounts that
    /// group bound; the change is written with its audit entry, then `publish` gets
    /// the event as changed (the queue store's configuration) before the commit, so
    /// concurrent changes reach the store in the database's order.
    pub async fn change_presale_group<E, C, P, Fut>(
        &self,
        event: EventId,
        actor: &Actor,
        at_ms: i64,
        op: &GroupOp,
        check: C,
        publish: P,
    ) -> Result<GroupChange, E>
    where
        E: From<sqlx::Error>,
        C: FnOnce(&Event, Option<&Presale>, u64) -> Result<(), E>,
        P: FnOnce(Event) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        let mut tx = self.pool().begin().await?;
        let locked = sqlx::query("UPDATE events SET paused = paused WHERE id = $1")
            .bind(event.to_string())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Ok(GroupChange::NoEvent);
        }
        let Some(before) = self.event_in(&mut tx, event).await? else {
            return Ok(GroupChange::NoEvent);
        };
        let target = match op.group() {
            Some(id) => match before.presale(id) {
                Some(p) => Some(p.clone()),
                None => return Ok(GroupChange::NoGroup),
            },
            None => None,
        };
        let bound = match &target {
            Some(p) => {
                let r =
                    sqlx::query("SELECT COUNT(*) AS n FROM presale_code_uses WHERE group_id = $1")
                        .bind(&p.id)
                        .fetch_one(&mut *tx)
                        .await?;
                count(&r, "n")?
            }
            None => 0,
        };
        check(&before, target.as_ref(), bound)?;
        let (id, action) = match op {
            GroupOp::Create { name, opens_at_ms } => {
                let slot = (1..=waiting_room::MAX_PRESALE_GROUPS)
                    .find(|s| before.presales.iter().all(|p| p.slot != *s))
                    .ok_or_else(|| sqlx::Error::Protocol("no free presale slot".into()))?;
                let id = uuid::Uuid::new_v4().to_string();
                sqlx::query(
                    "INSERT INTO presale_groups (id, event_id, slot, name, opens_at_ms, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(event.to_string())
                .bind(i64::from(slot))
                .bind(name)
                .bind(*opens_at_ms)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
                (id, AuditAction::PresaleGroupCreated)
            }
            GroupOp::Update {
                group,
                name,
                opens_at_ms,
            } => {
                let old = target.as_ref().expect("looked up above");
                sqlx::query("UPDATE presale_groups SET name = $2, opens_at_ms = $3 WHERE id = $1")
                    .bind(group)
                    .bind(name.as_ref().unwrap_or(&old.name))
                    .bind(opens_at_ms.unwrap_or(old.opens_at_ms))
                    .execute(&mut *tx)
                    .await?;
                (group.clone(), AuditAction::PresaleGroupChanged)
            }
            GroupOp::Delete { group } => {
                sqlx::query("DELETE FROM presale_codes WHERE group_id = $1")
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM presale_groups WHERE id = $1")
                    .bind(group)
                    .execute(&mut *tx)
                    .await?;
                (group.clone(), AuditAction::PresaleGroupDeleted)
            }
        };
        let Some(after) = self.event_in(&mut tx, event).await? else {
            return Ok(GroupChange::NoEvent);
        };
        let entry = NewAudit {
            at_ms,
            actor,
            event,
            action,
            before: target.as_ref().map(group_json),
            after: after.presale(&id).map(group_json),
        };
        insert_audit(&mut tx, &entry).await?;
        publish(after.clone()).await?;
        tx.commit().await?;
        Ok(GroupChange::Done {
            event: Box::new(after),
            group: id,
        })
    }

    /// Adds codes to `group` of `event` in one transaction with their audit entry
    /// (`presale_codes_added`: the group, how many, `how`, of `wanted`): those the event has
    /// already are skipped. `more(n)` makes `n` codes: called first with `wanted`
    /// and again for as many as collided (generated codes, until `wanted` are added;
    /// at most 5 rounds), or `None` to stop after the first round (an upload).
    /// `None` when the group is not the event's; else the codes added, as given.
    pub async fn add_presale_codes(
        &self,
        event: EventId,
        group: &str,
        actor: &Actor,
        at_ms: i64,
        (how, wanted): (&str, usize),
        mut more: impl FnMut(usize) -> Option<Vec<NewCode>>,
    ) -> Result<Option<Vec<NewCode>>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        // The group's row is written to first: SQLite takes its write lock at once,
        // PostgreSQL locks the group against a concurrent delete.
        let found =
            sqlx::query("UPDATE presale_groups SET name = name WHERE id = $1 AND event_id = $2")
                .bind(group)
                .bind(event.to_string())
                .execute(&mut *tx)
                .await?;
        if found.rows_affected() == 0 {
            return Ok(None);
        }
        let mut added = Vec::new();
        let mut need = wanted;
        for _ in 0..5 {
            if need == 0 {
                break;
            }
            let Some(batch) = more(need) else { break };
            let inserted = insert_codes(&mut tx, event, group, &batch, at_ms).await?;
            let mut seen = HashSet::new();
            for c in batch {
                if inserted.contains(&c.code) && seen.insert(c.code.clone()) {
                    added.push(c);
                }
            }
            need = wanted.saturating_sub(added.len());
        }
        let entry = NewAudit {
            at_ms,
            actor,
            event,
            action: AuditAction::PresaleCodesAdded,
            before: None,
            after: Some(json!({ "group": group, "added": added.len(), "how": how })),
        };
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Some(added))
    }

    /// A page of the event's codes (of `group` when not empty), by code, after
    /// `after`: each with its use and its first account.
    pub async fn presale_codes(
        &self,
        event: EventId,
        group: &str,
        after: &str,
        limit: u32,
    ) -> Result<Vec<CodeListing>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT c.code, c.label, c.group_id, c.max_uses, c.uses, c.revoked, \
             (SELECT u.email FROM presale_code_uses pu JOIN users u ON u.id = pu.user_id \
              WHERE pu.event_id = c.event_id AND pu.code = c.code \
              ORDER BY pu.at_ms, pu.user_id LIMIT 1) AS first_email, \
             (SELECT MIN(pu.at_ms) FROM presale_code_uses pu \
              WHERE pu.event_id = c.event_id AND pu.code = c.code) AS first_used_at_ms \
             FROM presale_codes c WHERE c.event_id = $1 AND ($2 = '' OR c.group_id = $2) \
             AND c.code > $3 ORDER BY c.code LIMIT $4",
        )
        .bind(event.to_string())
        .bind(group)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CodeListing {
                    code: r.try_get("code")?,
                    label: r.try_get("label")?,
                    group: r.try_get("group_id")?,
                    max_uses: super::records::int(r, "max_uses")?,
                    uses: super::records::int(r, "uses")?,
                    revoked: r.try_get::<i64, _>("revoked")? != 0,
                    first_email: r.try_get("first_email")?,
                    first_used_at_ms: r.try_get("first_used_at_ms")?,
                })
            })
            .collect()
    }

    /// Revokes the event's `code` (normalised), with its `presale_code_revoked` entry.
    pub async fn revoke_presale_code(
        &self,
        event: EventId,
        code: &str,
        actor: &Actor,
        at_ms: i64,
    ) -> Result<Revoke, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE presale_codes SET revoked = 1 WHERE event_id = $1 AND code = $2 \
             AND revoked = 0 RETURNING label, group_id, uses",
        )
        .bind(event.to_string())
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            let known =
                sqlx::query("SELECT 1 AS one FROM presale_codes WHERE event_id = $1 AND code = $2")
                    .bind(event.to_string())
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Ok(if known.is_some() {
                Revoke::AlreadyRevoked
            } else {
                Revoke::NoCode
            });
        };
        let label: String = row.try_get("label")?;
        let group: String = row.try_get("group_id")?;
        let uses: i64 = row.try_get("uses")?;
        let entry = NewAudit {
            at_ms,
            actor,
            event,
            action: AuditAction::PresaleCodeRevoked,
            before: None,
            after: Some(json!({ "code": label, "group": group, "uses": uses })),
        };
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Revoke::Revoked)
    }

    /// Redeems `code` (normalised) of `event` for `user` at `at_ms`, atomically: the
    /// code's row is locked first (written to), so two accounts redeeming the last
    /// use (or a single-use code) at once get one `Bound`, one `UsedUp`; an account
    /// holds one code per event (the uses' primary key), so two codes at once bind
    /// one.
    pub async fn redeem_presale_code(
        &self,
        event: EventId,
        user: UserId,
        code: &str,
        at_ms: i64,
    ) -> Result<Redeem, sqlx::Error> {
        match self.redeem_once(event, user, code, at_ms).await {
            // The same account redeemed another code at the same moment and won: say
            // what it holds now.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                self.redeem_once(event, user, code, at_ms).await
            }
            other => other,
        }
    }

    async fn redeem_once(
        &self,
        event: EventId,
        user: UserId,
        code: &str,
        at_ms: i64,
    ) -> Result<Redeem, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "UPDATE presale_codes SET uses = uses WHERE event_id = $1 AND code = $2 \
             RETURNING group_id, max_uses, uses, revoked",
        )
        .bind(event.to_string())
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Redeem::Unknown);
        };
        let held = sqlx::query(
            "SELECT u.code, g.id, g.event_id, g.slot, g.name, g.opens_at_ms \
             FROM presale_code_uses u JOIN presale_groups g ON g.id = u.group_id \
             WHERE u.event_id = $1 AND u.user_id = $2",
        )
        .bind(event.to_string())
        .bind(user.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(held) = held {
            let group = presale_from_row(&held)?;
            let held_code: String = held.try_get("code")?;
            return Ok(if held_code == code {
                Redeem::Bound { group, new: false }
            } else {
                Redeem::OtherCode { group }
            });
        }
        if row.try_get::<i64, _>("revoked")? != 0 {
            return Ok(Redeem::Unknown);
        }
        let (max_uses, uses): (i64, i64) = (row.try_get("max_uses")?, row.try_get("uses")?);
        if uses >= max_uses {
            return Ok(Redeem::UsedUp);
        }
        let group_id: String = row.try_get("group_id")?;
        sqlx::query("UPDATE presale_codes SET uses = uses + 1 WHERE event_id = $1 AND code = $2")
            .bind(event.to_string())
            .bind(code)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO presale_code_uses (event_id, user_id, code, group_id, at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(event.to_string())
        .bind(user.to_string())
        .bind(code)
        .bind(&group_id)
        .bind(at_ms)
        .execute(&mut *tx)
        .await?;
        let g = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM presale_groups WHERE id = $1"
        ))
        .bind(&group_id)
        .fetch_one(&mut *tx)
        .await?;
        let group = presale_from_row(&g)?;
        tx.commit().await?;
        Ok(Redeem::Bound { group, new: true })
    }

    /// The presale line (`slot`) `user` joins in `event`: its code's group's, if any.
    pub async fn presale_slot(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<u8>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT g.slot FROM presale_code_uses u JOIN presale_groups g ON g.id = u.group_id \
             WHERE u.event_id = $1 AND u.user_id = $2",
        )
        .bind(event.to_string())
        .bind(user.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            let slot: i64 = r.try_get("slot")?;
            u8::try_from(slot).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .transpose()
    }

    /// Takes one attempt from `key`'s budget in the window starting after
    /// `window_from_ms` (a new window starts at `at_ms` when the last one is over):
    /// answers the attempts counted in the window, this one included, and when the
    /// window started. One statement, so every replica counts into the same row.
    pub async fn take_code_attempt(
        &self,
        key: &str,
        at_ms: i64,
        window_from_ms: i64,
    ) -> Result<(u64, i64), sqlx::Error> {
        let r = sqlx::query(
            "INSERT INTO presale_guesses (guess_key, window_start_ms, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (guess_key) DO UPDATE SET \
             attempts = CASE WHEN presale_guesses.window_start_ms <= $3 THEN 1 \
                        ELSE presale_guesses.attempts + 1 END, \
             window_start_ms = CASE WHEN presale_guesses.window_start_ms <= $3 THEN $2 \
                        ELSE presale_guesses.window_start_ms END \
             RETURNING attempts, window_start_ms",
        )
        .bind(key)
        .bind(at_ms)
        .bind(window_from_ms)
        .fetch_one(self.pool())
        .await?;
        Ok((count(&r, "attempts")?, r.try_get("window_start_ms")?))
    }

    /// Gives back an attempt taken by [`Self::take_code_attempt`] (the code was right,
    /// or refused for a reason that is no guess).
    pub async fn give_back_code_attempt(&self, key: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE presale_guesses SET attempts = attempts - 1 WHERE guess_key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Forgets the guess counts whose window started before `before_ms`.
    pub async fn prune_code_attempts(&self, before_ms: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM presale_guesses WHERE window_start_ms < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
