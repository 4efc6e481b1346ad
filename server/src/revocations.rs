//! Revocable sessions without a database read per request. Session tokens are
//! verified by HMAC alone (a rush verifies one per queue socket), so whether a session
//! was ended is answered from memory: every replica keeps a view of the revocations
//! table ([`crate::db::RevocationRow`]: sessions signed out by `sid`, and accounts
//! whose sessions all ended below a generation), refreshed every [`POLL`] by one
//! cheap query for the rows changed since its last look (by the database's clock, re-
//! reading [`LOOKBACK_MS`] so that a write committed late is not missed). The replica
//! that revokes applies the row at once; the others within a poll. A row is dropped,
//! from memory and from the table, once the sessions it ends would have expired.
//!
//! If the database cannot be read, the view stays as it was (sessions keep working;
//! a revocation made meanwhile is seen when the poll succeeds again, and sign-out
//! itself fails with the database).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use waiting_room::clock::Clock;
use waiting_room::UserId;

use crate::auth::SessionClaims;
use crate::db::{Db, RevocationRow};

/// How often each replica looks for new revocations.
pub const POLL: Duration = Duration::from_millis(250);
/// How far back (database clock) each look re-reads, for writes committed late.
pub const LOOKBACK_MS: i64 = 5_000;
/// Polls between two deletions of expired rows (about a minute).
const PRUNE_EVERY: u32 = 240;

/// The revocations this replica knows of.
#[derive(Default)]
pub struct Revocations {
    /// A `std` RwLock: read on every session use, written by the poller, never held
    /// across `.await`.
    view: RwLock<View>,
    /// The database time the next look reads from (`None`: read everything).
    cursor: Mutex<Option<i64>>,
}

#[derive(Default)]
struct View {
    /// Signed-out sessions: sid → when it expires, Unix ms.
    sids: HashMap<String, i64>,
    /// Accounts whose sessions below a generation ended: → (generation, expiry ms).
    generations: HashMap<UserId, (i64, i64)>,
}

impl Revocations {
    /// Whether the session was ended (signed out, or its account's sessions ended).
    pub fn is_revoked(&self, claims: &SessionClaims) -> bool {
        let view = self.view.read().unwrap_or_else(|e| e.into_inner());
        view.sids.contains_key(&claims.sid)
            || view
                .generations
                .get(&claims.sub)
                .is_some_and(|(below, _)| claims.gen < *below)
    }

    /// Takes `rows` into the view (idempotent: a row seen twice changes nothing).
    pub fn apply(&self, rows: &[RevocationRow]) {
        if rows.is_empty() {
            return;
        }
        let mut view = self.view.write().unwrap_or_else(|e| e.into_inner());
        for row in rows {
            match &row.sid {
                Some(sid) => {
                    view.sids.insert(sid.clone(), row.expires_at_ms);
                }
                None => {
                    let entry = view.generations.entry(row.user).or_insert((0, 0));
                    entry.0 = entry.0.max(row.below_generation);
                    entry.1 = entry.1.max(row.expires_at_ms);
                }
            }
        }
    }

    /// Reads the rows changed since the last look (all, the first time) and applies
    /// them; drops from memory what expired by `now_ms`.
    pub async fn refresh(&self, db: &Db, now_ms: i64) -> Result<(), sqlx::Error> {
        let since = *self.cursor.lock().unwrap_or_else(|e| e.into_inner());
        let found = db
            .revocations_since(since.map(|c| c - LOOKBACK_MS), now_ms)
            .await?;
        self.apply(&found.rows);
        *self.cursor.lock().unwrap_or_else(|e| e.into_inner()) = Some(found.db_now_ms);
        let mut view = self.view.write().unwrap_or_else(|e| e.into_inner());
        view.sids.retain(|_, exp| *exp > now_ms);
        view.generations.retain(|_, (_, exp)| *exp > now_ms);
        Ok(())
    }

    /// Ends one session (sign-out), here at once and on every replica within a poll.
    pub async fn revoke(&self, db: &Db, claims: &SessionClaims) -> Result<(), sqlx::Error> {
        let row = RevocationRow {
            user: claims.sub,
            sid: Some(claims.sid.clone()),
            below_generation: 0,
            expires_at_ms: claims.exp.saturating_mul(1000),
        };
        db.revoke_session(row.user, &claims.sid, row.expires_at_ms)
            .await?;
        self.apply(&[row]);
        Ok(())
    }

    /// Ends every session of `user` signed so far (and sets its password to
    /// `new_hash`, if given, in the same transaction); the row is kept until
    /// `expires_at_ms`, when the longest session signed now would expire. Answers the
    /// account's new generation (`None`: no such account).
    pub async fn end_all(
        &self,
        db: &Db,
        user: UserId,
        new_hash: Option<&str>,
        expires_at_ms: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let generation = db.end_all_sessions(user, new_hash, expires_at_ms).await?;
        if let Some(below_generation) = generation {
            self.apply(&[RevocationRow {
                user,
                sid: None,
                below_generation,
                expires_at_ms,
            }]);
        }
        Ok(generation)
    }
}

/// Refreshes `revocations` from `db` every [`POLL`] until `stop`, and prunes expired
/// rows.
pub fn spawn_poller(
    revocations: Arc<Revocations>,
    db: Db,
    clock: Arc<dyn Clock>,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut polls, mut failing) = (0u32, false);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = clock.now_ms();
            match revocations.refresh(&db, now).await {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("reading session revocations again");
                }
                Ok(()) => {}
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "reading session revocations failed; sessions ended elsewhere are seen once it works again");
                }
                Err(_) => {}
            }
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(PRUNE_EVERY) {
                if let Err(error) = db.prune_revocations(now).await {
                    tracing::warn!(%error, "pruning expired session revocations failed");
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(user: UserId, sid: &str, gen: i64) -> SessionClaims {
        SessionClaims {
            iss: "floodgate".into(),
            aud: "session".into(),
            sub: user,
            adm: false,
            iat: 0,
            exp: 100,
            sid: sid.into(),
            gen,
        }
    }

    #[test]
    fn a_listed_sid_or_an_older_generation_is_revoked() {
        let r = Revocations::default();
        let (alice, bob) = (UserId::new(), UserId::new());
        assert!(!r.is_revoked(&claims(alice, "a1", 0)));
        r.apply(&[
            RevocationRow {
                user: alice,
                sid: Some("a1".into()),
                below_generation: 0,
                expires_at_ms: 100_000,
            },
            RevocationRow {
                user: bob,
                sid: None,
                below_generation: 2,
                expires_at_ms: 100_000,
            },
            // An older row seen again (the look-back) lowers nothing.
            RevocationRow {
                user: bob,
                sid: None,
                below_generation: 1,
                expires_at_ms: 50_000,
            },
        ]);
        assert!(r.is_revoked(&claims(alice, "a1", 0)));
        assert!(!r.is_revoked(&claims(alice, "a2", 0)));
        assert!(r.is_revoked(&claims(bob, "b1", 0)));
        assert!(r.is_revoked(&claims(bob, "b2", 1)));
        assert!(!r.is_revoked(&claims(bob, "b3", 2)));
    }
}
