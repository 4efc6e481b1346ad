//! The Redis seat store (production): every event's seat state in Redis, shared by
//! any number of replicas.
//!
//! Like the queue store ([`crate::store::redis`]) each operation is one Lua script
//! (`seats/lua/*.lua`, with `store/lua/lib.lua` and `seats/lua/seats.lua` prepended),
//! so it is atomic and appends the seats it changed to the event's seat log in the same
//! step; deadlines use Redis' `TIME`. The seat log reuses the queue's log machinery:
//! a stream with ids `0-<n>`, read by the queue's own `changes.lua` (same lagged
//! detection), snapshot cursors by the same `log_cursor` helper.
//!
//! Keys (all under the event's hash tag `{<prefix>:ev:<event>}`, the queue's tag, so an
//! event's queue and seats live on one cluster slot; layout in `lua/seats.lua`):
//! `seat:meta` (capacity and counts), `seat:states` (a string with one [`SeatState`]
//! byte per seat: `GETRANGE`/`SETRANGE` per seat, and the snapshot is one `GET`),
//! `seat:owner` (held seat → hold), `seat:holds` (hold records, JSON),
//! `seat:deadlines` (zset, for expired holds), `seat:jti` (seats per token) and
//! `seat:log` (the stream).
//!
//! Build it with [`RedisSeatStore::connect`], or share a queue store's connection and
//! prefix with [`RedisSeatStore::sharing`] (one multiplexed connection per replica).

mod decode;
mod keys;
mod scripts;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use async_trait::async_trait;
use redis::{FromRedisValue, Script, ScriptInvocation, Value};

#[cfg(doc)]
use super::store::SeatState;
use super::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, HoldRequest, SeatBatch, SeatCounts,
    SeatSnapshot, SeatStore, SeatsReplaced,
};
use crate::store::redis::{
    load_scripts, open_connection, run_script, valid_cursor, RedisConn, RedisStore,
    DEFAULT_LOG_CAPACITY,
};
use crate::store::{Cursor, StoreError};
use crate::EventId;
use keys::SeatKeys;
use scripts::Scripts;

/// The Redis [`SeatStore`]. Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct RedisSeatStore {
    conn: RedisConn,
    prefix: Arc<str>,
    scripts: Arc<Scripts>,
    log_capacity: usize,
}

impl RedisSeatStore {
    /// Connects to `url` (`redis://…` or `redis+cluster://…`) and loads the scripts. `prefix` starts every
    /// key, as for [`RedisStore::connect`] (use the same one so an event's queue and
    /// seats share a slot).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Self::on(open_connection(url, prefix).await?, prefix).await
    }

    /// Uses the queue store's connection and key prefix, and loads the scripts.
    pub async fn sharing(queue: &RedisStore) -> Result<Self, StoreError> {
        Self::on(queue.connection(), queue.prefix()).await
    }

    /// Keeps about `entries` seat-log entries per event instead of the default.
    pub fn with_log_capacity(mut self, entries: usize) -> Self {
        self.log_capacity = entries.max(1);
        self
    }

    /// The words of an `EVALSHA` of the hold script for `event`, for measuring the
    /// script alone with `redis-benchmark` (scripts/bench.sh): each `__rand_int__` is
    /// drawn anew, three of them making the hold id (repeats would be refused and stop
    /// redis-benchmark) and one the seat, so each call is a fresh hold of a random seat.
    #[doc(hidden)]
    pub fn hold_benchmark_command(&self, event: EventId) -> Vec<String> {
        let seat_keys = SeatKeys::new(&self.prefix, event);
        let keys = seat_keys.all();
        let mut words = vec![
            "EVALSHA".to_owned(),
            self.scripts.hold.get_hash().to_owned(),
            keys.len().to_string(),
        ];
        words.extend(keys.iter().map(|k| k.to_string()));
        words.extend(
            [
                self.log_capacity.to_string().as_str(),
                "h__rand_int__-__rand_int__-__rand_int__",
                "00000000-0000-0000-0000-000000000000",
                "bench",
                "1000000000",
                "600000",
                "__rand_int__",
            ]
            .map(str::to_owned),
        );
        words
    }

    /// Deletes the event's seat keys, as a flush would (the seat room's tests).
    #[cfg(test)]
    pub(crate) async fn forget(&self, event: EventId) {
        let keys = SeatKeys::new(&self.prefix, event);
        let _: i64 = redis::cmd("DEL")
            .arg(&keys.all()[..])
            .query_async(&mut self.conn.clone())
            .await
            .expect("delete the seat keys");
    }

    async fn on(mut conn: RedisConn, prefix: &str) -> Result<Self, StoreError> {
        let scripts = Scripts::new();
        load_scripts(&mut conn, &scripts.all()).await?;
        Ok(Self {
            conn,
            prefix: prefix.into(),
            scripts: Arc::new(scripts),
            log_capacity: DEFAULT_LOG_CAPACITY,
        })
    }
}

#[async_trait]
impl SeatStore for RedisSeatStore {
    async fn init_seats(
        &self,
        event: EventId,
        capacity: u32,
        sold: &[u32],
        held_back: &[u32],
    ) -> Result<bool, StoreError> {
        let mut inv = self.writing(&self.scripts.init, event);
        inv.arg(capacity).arg(sold.len()).arg(sold).arg(held_back);
        Ok(self.run::<i64>(&inv).await? == 1)
    }

    async fn hold(&self, event: EventId, request: &HoldRequest) -> Result<HoldOutcome, StoreError> {
        let mut inv = self.writing(&self.scripts.hold, event);
        inv.arg(&request.hold.0)
            .arg(request.user.to_string())
            .arg(&request.jti)
            .arg(request.max_seats)
            .arg(request.ttl_ms)
            .arg(&request.seats);
        decode::hold_outcome(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn end_token(&self, event: EventId, jti: &str) -> Result<(), StoreError> {
        let mut inv = self.invocation(&self.scripts.end_token, event);
        inv.arg(jti);
        self.run::<i64>(&inv).await.map(drop)
    }

    async fn hold_info(&self, event: EventId, hold: &HoldId) -> Result<Option<Hold>, StoreError> {
        let mut inv = self.invocation(&self.scripts.hold_info, event);
        inv.arg(&hold.0);
        let raw: Option<String> = self.run(&inv).await?;
        raw.map(|r| decode::hold(hold.0.clone(), &r)).transpose()
    }

    async fn begin_confirm(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: &str,
        lease_ms: i64,
    ) -> Result<ConfirmStart, StoreError> {
        let mut inv = self.invocation(&self.scripts.begin_confirm, event);
        inv.arg(&hold.0).arg(jti).arg(lease_ms);
        decode::confirm_start(hold, &self.run::<Vec<Value>>(&inv).await?)
    }

    async fn finish_confirm(&self, event: EventId, hold: &HoldId) -> Result<(), StoreError> {
        let mut inv = self.writing(&self.scripts.finish_confirm, event);
        inv.arg(&hold.0);
        self.run::<i64>(&inv).await.map(drop)
    }

    async fn release(
        &self,
        event: EventId,
        hold: &HoldId,
        jti: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut inv = self.writing(&self.scripts.release, event);
        inv.arg(&hold.0)
            .arg(u8::from(jti.is_some()))
            .arg(jti.unwrap_or(""));
        Ok(self.run::<i64>(&inv).await? == 1)
    }

    async fn expired_holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        let mut inv = self.invocation(&self.scripts.expired, event);
        inv.arg(limit.min(i64::MAX as usize)).arg("due");
        decode::holds(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn holds(&self, event: EventId, limit: usize) -> Result<Vec<Hold>, StoreError> {
        let mut inv = self.invocation(&self.scripts.expired, event);
        inv.arg(limit.min(i64::MAX as usize)).arg("all");
        decode::holds(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn mark_sold(&self, event: EventId, seats: &[u32]) -> Result<(), StoreError> {
        let mut inv = self.writing(&self.scripts.mark_sold, event);
        inv.arg(seats);
        self.run::<i64>(&inv).await.map(drop)
    }

    // --- refunds ---
    async fn unsell(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        let mut inv = self.writing(&self.scripts.unsell, event);
        inv.arg(seats);
        let freed: i64 = self.run(&inv).await?;
        Ok(u32::try_from(freed).unwrap_or(0))
    }
    // --- end refunds ---

    async fn seat_counts(&self, event: EventId) -> Result<SeatCounts, StoreError> {
        let inv = self.invocation(&self.scripts.counts, event);
        let (capacity, held, sold, held_back) = self.run(&inv).await?;
        Ok(SeatCounts {
            capacity,
            held,
            sold,
            held_back,
        })
    }

    async fn holders(&self, event: EventId) -> Result<u64, StoreError> {
        let inv = self.invocation(&self.scripts.holders, event);
        self.run(&inv).await
    }

    // --- held-back seats ---

    async fn hold_back(
        &self,
        event: EventId,
        seats: &[u32],
    ) -> Result<HoldBackOutcome, StoreError> {
        let mut inv = self.writing(&self.scripts.hold_back, event);
        inv.arg(seats);
        decode::hold_back_outcome(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn release_held_back(&self, event: EventId, seats: &[u32]) -> Result<u32, StoreError> {
        let mut inv = self.writing(&self.scripts.release_held_back, event);
        inv.arg(seats);
        self.run(&inv).await
    }

    // --- end of held-back seats ---

    async fn replace_seats(
        &self,
        event: EventId,
        capacity: u32,
    ) -> Result<SeatsReplaced, StoreError> {
        let mut inv = self.writing(&self.scripts.replace_seats, event);
        inv.arg(capacity);
        decode::seats_replaced(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn seat_changes(
        &self,
        event: EventId,
        after: &Cursor,
        max: usize,
    ) -> Result<SeatBatch, StoreError> {
        if !valid_cursor(after) {
            return Err(StoreError::Backend(
                format!("bad cursor {:?}", after.0).into(),
            ));
        }
        let k = SeatKeys::new(&self.prefix, event);
        let mut inv = self.scripts.changes.prepare_invoke();
        inv.key(&k.meta).key(&k.log).arg(&after.0).arg(max);
        decode::changes(&self.run::<Vec<Value>>(&inv).await?)
    }

    async fn seat_snapshot(&self, event: EventId) -> Result<SeatSnapshot, StoreError> {
        let inv = self.invocation(&self.scripts.snapshot, event);
        let (cursor, states): (String, Vec<u8>) = self.run(&inv).await?;
        Ok(SeatSnapshot {
            cursor: Cursor(cursor),
            states,
        })
    }
}

impl RedisSeatStore {
    /// An invocation of a seat script with the event's seat keys (`lua/seats.lua`).
    fn invocation<'a>(&self, script: &'a Script, event: EventId) -> ScriptInvocation<'a> {
        let mut inv = script.prepare_invoke();
        for key in SeatKeys::new(&self.prefix, event).all() {
            inv.key(key);
        }
        inv
    }

    /// As [`Self::invocation`], for a script that writes the log: ARGV[1] is its capacity.
    fn writing<'a>(&self, script: &'a Script, event: EventId) -> ScriptInvocation<'a> {
        let mut inv = self.invocation(script, event);
        inv.arg(self.log_capacity);
        inv
    }

    async fn run<T: FromRedisValue>(&self, inv: &ScriptInvocation<'_>) -> Result<T, StoreError> {
        run_script(&self.conn, inv).await
    }
}
