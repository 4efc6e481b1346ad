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
//!
//! Sockets outlive the request that opened them, so a socket opened under a session
//! is registered here ([`Revocations::watch`]) and ended when a revocation that
//! covers its session is applied: on the replica that revokes at once, on the others
//! within a poll. The cost is one map update when a socket opens and one when it
//! closes; a revocation looks up its account's sockets only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Sockets open under a session, by account. A `std` mutex: held for one map
    /// update (a socket opening or closing, a revocation), never across `.await`.
    sockets: Mutex<HashMap<UserId, Vec<Watched>>>,
    next_socket: AtomicU64,
}

/// One socket's session, and how to end the socket.
struct Watched {
    id: u64,
    sid: uuid::Uuid,
    generation: i64,
    ended: CancellationToken,
}

/// The session a socket was opened under: `sid` (nil if it is not a UUID) and the
/// account's generation it was signed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionKey {
    pub user: UserId,
    pub sid: uuid::Uuid,
    pub generation: i64,
}

impl SessionKey {
    pub fn of(claims: &SessionClaims) -> Self {
        Self {
            user: claims.sub,
            sid: uuid::Uuid::try_parse(&claims.sid).unwrap_or_default(),
            generation: claims.gen,
        }
    }

    fn ended_by(&self, row: &RevocationRow) -> bool {
        match &row.sid {
            Some(sid) => uuid::Uuid::try_parse(sid).is_ok_and(|s| s == self.sid),
            None => self.generation < row.below_generation,
        }
    }
}

/// A socket's registration: cancelled when its session is revoked; dropping it (the
/// socket closed) forgets the socket.
pub struct SocketWatch {
    revocations: Arc<Revocations>,
    user: UserId,
    id: u64,
    ended: CancellationToken,
}

impl SocketWatch {
    /// Resolves when the socket's session has been revoked.
    pub async fn ended(&self) {
        self.ended.cancelled().await
    }
}

impl Drop for SocketWatch {
    fn drop(&mut self) {
        let mut sockets = self.revocations.lock_sockets();
        if let Some(list) = sockets.get_mut(&self.user) {
            list.retain(|w| w.id != self.id);
            if list.is_empty() {
                sockets.remove(&self.user);
            }
        }
    }
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

    /// Registers a socket opened under `session`; the watch ends when the session is
    /// revoked (at once, if it already was).
    pub fn watch(self: &Arc<Self>, session: SessionKey) -> SocketWatch {
        let watch = SocketWatch {
            revocations: Arc::clone(self),
            user: session.user,
            id: self.next_socket.fetch_add(1, Ordering::Relaxed),
            ended: CancellationToken::new(),
        };
        self.lock_sockets()
            .entry(session.user)
            .or_default()
            .push(Watched {
                id: watch.id,
                sid: session.sid,
                generation: session.generation,
                ended: watch.ended.clone(),
            });
        // A revocation applied between the session's check and this registration.
        let view = self.view.read().unwrap_or_else(|e| e.into_inner());
        let sid = session.sid.simple().to_string();
        let revoked = view.sids.contains_key(&sid)
            || view
                .generations
                .get(&session.user)
                .is_some_and(|(below, _)| session.generation < *below);
        drop(view);
        if revoked {
            watch.ended.cancel();
        }
        watch
    }

    fn lock_sockets(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, Vec<Watched>>> {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes `rows` into the view (idempotent: a row seen twice changes nothing) and
    /// ends the sockets of the sessions they revoke.
    pub fn apply(&self, rows: &[RevocationRow]) {
        if rows.is_empty() {
            return;
        }
        {
            let sockets = self.lock_sockets();
            for row in rows {
                for socket in sockets.get(&row.user).into_iter().flatten() {
                    let key = SessionKey {
                        user: row.user,
                        sid: socket.sid,
                        generation: socket.generation,
                    };
                    if key.ended_by(row) && !socket.ended.is_cancelled() {
                        socket.ended.cancel();
                    }
                }
            }
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

    fn row(user: UserId, sid: Option<&str>, below_generation: i64) -> RevocationRow {
        RevocationRow {
            user,
            sid: sid.map(str::to_owned),
            below_generation,
            expires_at_ms: 100_000,
        }
    }

    #[test]
    fn sockets_end_with_their_session_and_are_forgotten_when_closed() {
        let r = Arc::new(Revocations::default());
        let (alice, bob) = (UserId::new(), UserId::new());
        let (a1, a2, b1) = (
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4(),
        );
        let key = |user, sid, generation| SessionKey {
            user,
            sid,
            generation,
        };
        let alice1 = r.watch(key(alice, a1, 0));
        let alice2 = r.watch(key(alice, a2, 0));
        let bob1 = r.watch(key(bob, b1, 3));
        // Alice signs out of one session: that socket ends, not her other one.
        r.apply(&[row(alice, Some(&a1.simple().to_string()), 0)]);
        assert!(alice1.ended.is_cancelled());
        assert!(!alice2.ended.is_cancelled());
        assert!(!bob1.ended.is_cancelled());
        // Bob's sessions below generation 3 end: his socket was signed at 3.
        r.apply(&[row(bob, None, 3)]);
        assert!(!bob1.ended.is_cancelled());
        r.apply(&[row(bob, None, 4)]);
        assert!(bob1.ended.is_cancelled());
        // A socket opened under an already revoked session ends at once.
        assert!(r.watch(key(alice, a1, 0)).ended.is_cancelled());
        drop((alice1, alice2, bob1));
        assert!(r.lock_sockets().is_empty(), "closed sockets are forgotten");
    }
}
