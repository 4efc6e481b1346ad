//! The Redis store (production): every event's queue in Redis, shared by any number of
//! replicas.
//!
//! Each operation is one Lua script (`store/lua/*.lua`, with `lua/lib.lua` prepended),
//! so it is atomic, and every mutation appends its change-log entry (XADD to the
//! event's stream) in the same script: the log order is the mutation order. All time
//! decisions use Redis' `TIME` inside the scripts, never the caller's clock.
//!
//! Every key of an event shares the hash tag `{<prefix>:ev:<event>}` (`redis/keys.rs`) and
//! every script declares the keys it touches, so an event lives on one cluster slot.
//!
//! The change log is a stream per event whose entry ids are `0-<n>`, n the entry's
//! ordinal (`XADD … 0-*`), trimmed with `XADD … MAXLEN ~ <capacity>`. The cursor is the
//! id of the last entry read. A reader at ordinal c lagged (missed trimmed entries)
//! iff the oldest retained entry's ordinal exceeds c + 1, which `lua/changes.lua`
//! checks with one O(1) `XRANGE … COUNT 1` per read; Redis 7.0's `XINFO STREAM`
//! cannot tell (its `max-deleted-entry-id` ignores trimming).
//!
//! The seat store ([`crate::seats::redis`]) shares this module's connection setup,
//! script loading, key tag, reply helpers, `lua/lib.lua` and `lua/changes.lua`.

mod conn;
mod decode;
#[cfg(test)]
mod draw_tests;
mod health;
mod join;
mod keys;
mod opening;
mod plan;
#[cfg(test)]
mod reload_tests;
mod scripts;
mod shared_view;
#[cfg(test)]
mod tests;
mod wait;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use redis::{FromRedisValue, ScriptInvocation, Value};

use super::{
    AdmitOutcome, ChangeBatch, Cursor, DrawPage, Lease, Opening, PlaceCap, PowGate, PresenceUpdate,
    QueueSnapshot, QueueStats, QueueStore, Restore, SnapshotPage, StoreError, TicketStatus, Wake,
};
use crate::shuffle::ShuffleSeed;
use crate::{AdmissionSettings, EventId, QueueConfig, TicketId, UserId};
pub(crate) use conn::{load_scripts, open_connection, run_script};
pub use conn::{
    RedisConn, BUSY_CALL_LIMIT, CALL_TIMEOUT, CLUSTER_SCHEME, CONNECT_TIMEOUT, RESPONSE_TIMEOUT,
};
pub(crate) use decode::{bad, get, valid_cursor};
pub use health::{PROBE_EVERY, PROBE_MISSES, PROBE_TIMEOUT};
pub(crate) use keys::event_tag;
use keys::EventKeys;
use scripts::Scripts;

/// Change-log entries kept per event (approximately: Redis trims whole stream nodes).
pub const DEFAULT_LOG_CAPACITY: usize = 1_000_000;

/// How far beyond a replica's cursor a re-seeded event's change log starts: further
/// than any replica's cursor can be ahead of another's, so every reader sees a gap.
const RESTORED_LOG_JUMP: u64 = 1_000_000_000;
/// Covered fans of lapsed leases one admission step expires at most (a dead replica
/// with more fans is expired over several steps), and due presence deadlines it reads
/// at most (lua/admit.lua): one step's bound on per-fan work, ~10,000 × ~10 µs.
const STEP_BATCH: usize = 10_000;
/// Waiting fans one snapshot page reads at most (`lua/snapshot.lua`, a reload's
/// page): about 20 ms of Redis at 10 M waiting.
pub const SNAPSHOT_PAGE: usize = 20_000;
/// Fans one restore call puts back at most (`lua/restore.lua`, one log entry per
/// call): about 30 ms of Redis at ~15 µs a fan.
pub const RESTORE_BATCH: usize = 2_000;
/// How long a reload waits, by default, for the view another replica is reading
/// (`redis/shared_view.rs`) before reading the pages itself: as long as that
/// replica's lock lasts.
pub const SHARE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long the opening's drawer holds its lease past each of its calls: longer than
/// computing a draw's order (~1 s at 1 M fans) between two calls, so one replica draws
/// at a time; another continues a draw that many ms after its drawer stopped.
pub const DRAW_LEASE_MS: u64 = 15_000;

/// The Redis [`QueueStore`]. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConn,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
    log_capacity: usize,
    step_batch: usize,
    snapshot_page: usize,
    restore_batch: usize,
    /// How long a reload waits for the view another replica is reading
    /// (`shared_view.rs`) before reading the pages itself.
    share_wait: std::time::Duration,
    /// The opening's draw (`redis/opening.rs`): fans a batch, the drawer's lease, this
    /// store's token for it, and the draw orders this store computed.
    draw_batch: usize,
    draw_lease_ms: u64,
    draw_token: Arc<str>,
    plans: Arc<plan::Plans>,
    /// Connections for rooms' blocked reads of their change logs.
    waiters: Arc<wait::Waiters>,
}

impl RedisStore {
    /// Connects to `url` (`redis://…`, or `redis+cluster://host:port,host:port,…` for a
    /// Redis Cluster, see [`RedisConn`]) and loads the scripts. `prefix` starts every
    /// key (e.g. `fg`); it must not contain braces, which would break the hash tags.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let mut conn = open_connection(url, prefix).await?;
        let scripts = Scripts::new();
        load_scripts(&mut conn, &scripts.all()).await?;
        Ok(Self {
            conn,
            prefix: prefix.into(),
            scripts: Arc::new(scripts),
            log_capacity: DEFAULT_LOG_CAPACITY,
            step_batch: STEP_BATCH,
            snapshot_page: SNAPSHOT_PAGE,
            restore_batch: RESTORE_BATCH,
            share_wait: SHARE_WAIT,
            draw_batch: super::DRAW_BATCH,
            draw_lease_ms: DRAW_LEASE_MS,
            draw_token: TicketId::new().0.into(),
            plans: Arc::default(),
            waiters: Arc::new(wait::Waiters::new(url)?),
        })
    }

    /// Keeps about `entries` change-log entries per event instead of the default.
    pub fn with_log_capacity(mut self, entries: usize) -> Self {
        self.log_capacity = entries.max(1);
        self
    }

    /// Bounds one admission step's per-fan work at `fans` instead of the default
    /// (lapsed leases' fans, due presence deadlines; the rest at the next steps).
    pub fn with_step_batch(mut self, fans: usize) -> Self {
        self.step_batch = fans.max(1);
        self
    }

    /// Reads a reload's snapshot in pages of `fans` instead of [`SNAPSHOT_PAGE`].
    pub fn with_snapshot_page(mut self, fans: usize) -> Self {
        self.snapshot_page = fans.max(1);
        self
    }

    /// Waits at most `wait` for a reload's view another replica is reading, instead
    /// of a minute, before reading the pages itself.
    pub fn with_share_wait(mut self, wait: std::time::Duration) -> Self {
        self.share_wait = wait;
        self
    }

    /// Puts a restore's fans back `fans` a call instead of [`RESTORE_BATCH`].
    pub fn with_restore_batch(mut self, fans: usize) -> Self {
        self.restore_batch = fans.max(1);
        self
    }

    /// Moves the opening's draw `fans` a call instead of [`super::DRAW_BATCH`].
    pub fn with_draw_batch(mut self, fans: usize) -> Self {
        self.draw_batch = fans.max(1);
        self
    }

    /// Holds the opening draw's lease `ms` past each call instead of
    /// [`DRAW_LEASE_MS`] (another store takes an interrupted draw over after it).
    pub fn with_draw_lease_ms(mut self, ms: u64) -> Self {
        self.draw_lease_ms = ms.max(1);
        self
    }
}

#[async_trait]
impl QueueStore for RedisStore {
    async fn configure(
        &self,
        event: EventId,
        config: &QueueConfig,
        only_if_missing: bool,
    ) -> Result<(), StoreError> {
        let k = self.keys(event);
        let a = &config.admission;
        let mut inv = self.scripts.configure.prepare_invoke();
        inv.key(&k.cfg).key(&k.bkt).key(&k.log);
        inv.arg(config.starts_at_ms).arg(config.grace_ms);
        settings_args(&mut inv, a);
        inv.arg(u8::from(only_if_missing)).arg(self.log_capacity);
        inv.arg(presales_arg(config));
        self.run::<i64>(&inv).await.map(drop)
    }

    async fn restore(&self, event: EventId, r: &Restore<'_>) -> Result<u64, StoreError> {
        // In batches of at most `restore_batch` fans, one call and one log entry each,
        // in line order (so each entry's seqs are one stretch of the line); a replica
        // with no fans still re-seeds the event.
        let mut fans: Vec<_> = r.fans.iter().collect();
        fans.sort_by_key(|f| f.seq.unwrap_or(u64::MAX));
        if fans.is_empty() {
            return self.restore_some(event, r, &[]).await;
        }
        let mut restored = 0;
        for batch in fans.chunks(self.restore_batch) {
            restored += self.restore_some(event, r, batch).await?;
        }
        Ok(restored)
    }

    async fn config(&self, event: EventId) -> Result<Option<QueueConfig>, StoreError> {
        let k = self.keys(event);
        let map: HashMap<String, String> = self
            .conn
            .bounded(
                redis::cmd("HGETALL")
                    .arg(&k.cfg)
                    .query_async(&mut self.conn.clone()),
            )
            .await?;
        decode::config(&map)
    }

    async fn update_admission(
        &self,
        event: EventId,
        settings: &AdmissionSettings,
    ) -> Result<(), StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.update_admission.prepare_invoke();
        inv.key(&k.cfg).key(&k.log);
        settings_args(&mut inv, settings);
        inv.arg(self.log_capacity);
        self.run::<i64>(&inv).await.map(drop)
    }

    async fn join(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, cap, None, false).await
    }

    async fn join_presale(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: Option<&PowGate>,
        slot: u8,
    ) -> Result<TicketStatus, StoreError> {
        self.join_in(event, user, ticket, cap, pow, slot).await
    }

    async fn presale_draw(
        &self,
        event: EventId,
        slot: u8,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        if slot > crate::MAX_PRESALE_GROUPS {
            return Err(StoreError::Backend(
                format!("no presale group in slot {slot}").into(),
            ));
        }
        let k = self.keys(event);
        let (drj, dro) = k.draw_of(slot);
        let mut inv = self.scripts.draw.prepare_invoke();
        inv.key(&k.st).key(drj).key(dro);
        inv.arg(offset).arg(limit.max(1)).arg(if slot == 0 {
            "opened".to_owned()
        } else {
            format!("op{slot}")
        });
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::draw(&reply)
    }

    async fn join_staff(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, None, None, true).await
    }

    async fn join_gated(
        &self,
        event: EventId,
        user: UserId,
        ticket: &TicketId,
        cap: Option<&PlaceCap>,
        pow: &PowGate,
    ) -> Result<TicketStatus, StoreError> {
        self.join_with(event, user, ticket, cap, Some(pow), false)
            .await
    }

    async fn status(
        &self,
        event: EventId,
        user: UserId,
    ) -> Result<Option<TicketStatus>, StoreError> {
        Ok(self.statuses(event, &[user]).await?.pop().flatten())
    }

    async fn statuses(
        &self,
        event: EventId,
        users: &[UserId],
    ) -> Result<Vec<Option<TicketStatus>>, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.statuses.prepare_invoke();
        inv.key(&k.cfg).key(&k.tk).key(&k.q).key(&k.st);
        for user in users {
            inv.arg(user.to_string());
        }
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::statuses(&reply)
    }

    async fn poll(&self, event: EventId, user: UserId) -> Result<Option<TicketStatus>, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.poll.prepare_invoke();
        inv.key(&k.cfg).key(&k.tk).key(&k.q).key(&k.pres).key(&k.st);
        inv.arg(user.to_string());
        let reply: Vec<Value> = self.run(&inv).await?;
        Ok(decode::statuses(&reply)?.pop().flatten())
    }

    async fn leave(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.leave.prepare_invoke();
        inv.key(&k.cfg)
            .key(&k.q)
            .key(&k.pre)
            .key(&k.tk)
            .key(&k.pres);
        inv.key(&k.log).key(&k.held).key(&k.prf).key(&k.drt);
        for pre in &k.pre_groups {
            inv.key(pre);
        }
        inv.arg(user.to_string()).arg(self.log_capacity);
        Ok(self.run::<i64>(&inv).await? == 1)
    }

    async fn presence(
        &self,
        event: EventId,
        update: &PresenceUpdate<'_>,
    ) -> Result<Lease, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.presence.prepare_invoke();
        inv.key(&k.cfg)
            .key(&k.leases)
            .key(k.replica(update.replica))
            .key(&k.pres)
            .key(&k.tk);
        inv.arg(update.replica.as_str())
            .arg(update.lease_ms.max(1))
            .arg(&k.rep)
            .arg(update.cover.len());
        for user in update.cover.iter().chain(update.uncover) {
            inv.arg(user.to_string());
        }
        Ok(match self.run::<i64>(&inv).await? {
            1 => Lease::Held,
            _ => Lease::Lapsed,
        })
    }

    async fn open(&self, event: EventId, seed: &ShuffleSeed) -> Result<bool, StoreError> {
        super::draw::open_in_steps(|| self.open_step(event, seed, self.draw_batch)).await
    }

    async fn draw(
        &self,
        event: EventId,
        offset: u64,
        limit: u64,
    ) -> Result<Option<DrawPage>, StoreError> {
        self.presale_draw(event, 0, offset, limit).await
    }

    async fn admit(
        &self,
        event: EventId,
        free_seats: Option<u64>,
    ) -> Result<AdmitOutcome, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.admit.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.pre).key(&k.tk);
        inv.key(&k.act)
            .key(&k.pres)
            .key(&k.bkt)
            .key(&k.rec)
            .key(&k.log)
            .key(&k.held)
            .key(&k.leases)
            .key(&k.prf)
            .key(&k.drt);
        for pre in &k.pre_groups {
            inv.key(pre);
        }
        inv.arg(self.log_capacity)
            .arg(free_seats.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX)))
            .arg(&k.rep)
            .arg(self.step_batch);
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::admit(&reply)
    }

    async fn release(&self, event: EventId, user: UserId) -> Result<bool, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.release.prepare_invoke();
        inv.key(&k.cfg).key(&k.act).key(&k.tk).key(&k.held);
        inv.arg(user.to_string());
        Ok(self.run::<i64>(&inv).await? == 1)
    }

    async fn purchased(
        &self,
        event: EventId,
        user: UserId,
        order: &str,
    ) -> Result<bool, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.purchased.prepare_invoke();
        inv.key(&k.cfg)
            .key(&k.act)
            .key(&k.tk)
            .key(&k.held)
            .key(&k.log);
        inv.arg(user.to_string()).arg(order).arg(self.log_capacity);
        Ok(self.run::<i64>(&inv).await? == 1)
    }

    async fn changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<ChangeBatch, StoreError> {
        if !decode::valid_cursor(after) {
            return Err(StoreError::Backend(
                format!("bad cursor {:?}", after.0).into(),
            ));
        }
        let k = self.keys(event);
        let mut inv = self.scripts.changes.prepare_invoke();
        inv.key(&k.cfg).key(&k.log).arg(&after.0).arg(max);
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::changes(&reply)
    }

    async fn snapshot(&self, event: EventId) -> Result<QueueSnapshot, StoreError> {
        // Never the whole line in one call: pages and a log replay (store/paged.rs),
        // read by one replica and shared with the others (redis/shared_view.rs).
        self.shared_snapshot(event).await
    }

    async fn stats(&self, event: EventId) -> Result<QueueStats, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.stats.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.pre).key(&k.act);
        inv.key(&k.rec).key(&k.tk).key(&k.arr);
        for pre in &k.pre_groups {
            inv.key(pre);
        }
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::stats(&reply)
    }

    async fn now_ms(&self) -> Result<i64, StoreError> {
        let (secs, micros): (i64, i64) = self
            .conn
            .bounded(redis::cmd("TIME").query_async(&mut self.conn.clone()))
            .await?;
        Ok(secs * 1000 + micros / 1000)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await
    }

    // Issue 19, a line of millions in bounded calls.

    async fn snapshot_page(
        &self,
        event: EventId,
        after: u64,
        limit: usize,
    ) -> Result<SnapshotPage, StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.snapshot.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.log);
        inv.arg(after).arg(limit.max(1));
        let reply: Vec<Value> = self.run(&inv).await?;
        decode::snapshot_page(&reply)
    }

    // Issue 19: waiting for the change log; a closed sale's line leaves.

    async fn wait_changes(
        &self,
        event: EventId,
        after: &Cursor,
        limit: std::time::Duration,
    ) -> Result<Wake, StoreError> {
        if !decode::valid_cursor(after) {
            return Err(StoreError::Backend(
                format!("bad cursor {:?}", after.0).into(),
            ));
        }
        self.waiters.wait(&self.keys(event).log, after, limit).await
    }

    async fn remove_line(&self, event: EventId) -> Result<(), StoreError> {
        let k = self.keys(event);
        let mut inv = self.scripts.remove.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.pre).key(&k.tk);
        inv.key(&k.act)
            .key(&k.pres)
            .key(&k.bkt)
            .key(&k.rec)
            .key(&k.log)
            .key(&k.held)
            .key(&k.leases)
            .key(&k.prf)
            .key(&k.drt)
            .key(&k.view);
        for pre in &k.pre_groups {
            inv.key(pre);
        }
        inv.arg(&k.rep);
        self.run::<i64>(&inv).await.map(drop)
    }

    // Issue 19: the opening's draw in batches (redis/opening.rs).

    async fn open_step(
        &self,
        event: EventId,
        seed: &ShuffleSeed,
        batch: usize,
    ) -> Result<Opening, StoreError> {
        self.open_step_batched(event, seed, batch).await
    }
}

impl RedisStore {
    fn keys(&self, event: EventId) -> EventKeys {
        EventKeys::new(&self.prefix, event)
    }

    async fn run<T: FromRedisValue>(&self, inv: &ScriptInvocation<'_>) -> Result<T, StoreError> {
        run_script(&self.conn, inv).await
    }

    /// The connection, for another adapter to share (the seat store) and for tests.
    pub fn connection(&self) -> RedisConn {
        self.conn.clone()
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// One call of `lua/restore.lua`: re-seeds the event if missing and puts `fans`
    /// back (those the store does not know), with one log entry for the batch.
    async fn restore_some(
        &self,
        event: EventId,
        r: &Restore<'_>,
        fans: &[&super::RestoredFan],
    ) -> Result<u64, StoreError> {
        let k = self.keys(event);
        let a = &r.config.admission;
        let mut inv = self.scripts.restore.prepare_invoke();
        inv.key(&k.cfg).key(&k.st).key(&k.q).key(&k.pre);
        inv.key(&k.tk).key(&k.pres).key(&k.bkt).key(&k.log);
        for pre in &k.pre_groups {
            inv.key(pre);
        }
        inv.arg(r.config.starts_at_ms).arg(r.config.grace_ms);
        settings_args(&mut inv, a);
        inv.arg(u8::from(r.opened))
            .arg(r.seq_floor)
            .arg(r.log_ordinal.saturating_add(RESTORED_LOG_JUMP))
            .arg(self.log_capacity)
            .arg(presales_arg(r.config));
        for fan in fans {
            // A line the configuration does not have: the public one.
            let slot = if r.config.opening_of(fan.slot).is_some() {
                fan.slot
            } else {
                0
            };
            inv.arg(fan.user.to_string())
                .arg(&fan.ticket.0)
                .arg(fan.seq.unwrap_or(0))
                .arg(slot);
        }
        let (_, restored): (i64, u64) = self.run(&inv).await?;
        Ok(restored)
    }
}

/// The config's presale groups' openings as the `cfg` hash's `pre` field (lib.lua):
/// `slot:ms,slot:ms`, '' for none.
fn presales_arg(config: &QueueConfig) -> String {
    config
        .openings()
        .into_iter()
        .filter(|&(slot, _)| slot != 0)
        .map(|(slot, at)| format!("{slot}:{at}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// rate_per_minute, max_active, session_ttl_secs, paused (0/1), mode, message ('' for
/// none), safety net (`shoppers,arrivals`, '' for none).
fn settings_args(inv: &mut ScriptInvocation<'_>, s: &AdmissionSettings) {
    inv.arg(s.rate_per_minute)
        .arg(s.max_active)
        .arg(s.session_ttl_secs)
        .arg(u8::from(s.paused))
        .arg(s.mode.as_str())
        .arg(s.message.as_deref().unwrap_or(""))
        .arg(s.safety_net.map_or(String::new(), |n| {
            format!("{},{}", n.max_shoppers, n.max_arrivals_per_minute)
        }));
}
