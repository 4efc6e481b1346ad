//! Decoding script replies and stored records into domain types. Formats are
//! documented in `lua/lib.lua`.

use std::collections::HashMap;

use redis::{FromRedisValue, RedisError, Value};
use serde::Deserialize;

use super::super::{
    AdmitOutcome, Change, ChangeBatch, Cursor, DrawPage, QueueStats, SnapshotPage, StoreError,
    TicketState, TicketStatus,
};
use crate::{AdmissionMode, AdmissionSettings, QueueConfig, TicketId, UserId};

/// The error code our scripts reply with for an event that has no queue.
const UNKNOWN_EVENT: &str = "FGUNKNOWN";
/// The error code of a join refused at its address's cap (`lua/join.lua`).
const TOO_MANY_PLACES: &str = "FGPLACES";
/// The error codes of a join refused for want of proof of work (`lua/join.lua`).
const POW_MISSING: &str = "FGPOW";
const POW_USED: &str = "FGPOWUSED";
/// The error code of a join refused in `reject` mode (`lua/join.lua`).
const REJECTING: &str = "FGREJECT";

/// Maps a Redis error to a store error: what passes while Redis or the cluster
/// re-forms (a lost or refused connection, a timeout, LOADING, a failover's
/// CLUSTERDOWN, TRYAGAIN, MASTERDOWN, READONLY, a MOVED or ASK the cluster client
/// ran out of retries following, no connection to a slot's node) is
/// [`StoreError::Unavailable`] (503, retryable); anything else (e.g. CROSSSLOT, a
/// script error) is a backend fault.
pub(crate) fn store_err(err: RedisError) -> StoreError {
    use redis::ErrorKind as K;
    if err.code() == Some(UNKNOWN_EVENT) {
        StoreError::UnknownEvent
    } else if err.code() == Some(TOO_MANY_PLACES) {
        StoreError::TooManyPlaces { max: 0 }
    } else if err.code() == Some(POW_MISSING) {
        StoreError::PowRequired { used: false }
    } else if err.code() == Some(POW_USED) {
        StoreError::PowRequired { used: true }
    } else if err.code() == Some(REJECTING) {
        StoreError::Rejecting
    } else if err.is_timeout()
        || err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_cluster_error()
        || matches!(
            err.kind(),
            K::BusyLoadingError
                | K::TryAgain
                | K::ClusterDown
                | K::MasterDown
                | K::ReadOnly
                | K::Moved
                | K::Ask
                | K::ClusterConnectionNotFound
        )
    {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Backend(Box::new(err))
    }
}

/// A reply we did not expect.
pub(crate) fn bad(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("unexpected reply from redis: {what}").into())
}

/// One reply value as `T`.
pub(crate) fn get<T: FromRedisValue>(v: &Value) -> Result<T, StoreError> {
    redis::from_redis_value(v).map_err(|e| StoreError::backend("unexpected reply from redis", e))
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| bad(format!("not a number: {s:?}")))
}

/// The `cfg` hash as a configuration (`None` when the event has none).
pub(super) fn config(map: &HashMap<String, String>) -> Result<Option<QueueConfig>, StoreError> {
    if map.is_empty() {
        return Ok(None);
    }
    let field = |name: &str| {
        map.get(name)
            .map(String::as_str)
            .ok_or_else(|| bad(format!("config without {name}")))
    };
    Ok(Some(QueueConfig {
        // Absent from queues configured before presales, '' when none.
        presales: presales(map.get("pre").map_or("", String::as_str))?,
        starts_at_ms: num(field("starts_at")?)?,
        grace_ms: num(field("grace")?)?,
        admission: AdmissionSettings {
            rate_per_minute: num(field("rate")?)?,
            max_active: num(field("max_active")?)?,
            session_ttl_secs: num(field("ttl")?)?,
            paused: field("paused")? == "1",
            // Absent from queues configured before modes: `queue`, no message.
            mode: match map.get("mode") {
                None => AdmissionMode::Queue,
                Some(m) => {
                    AdmissionMode::parse(m).ok_or_else(|| bad(format!("unknown mode {m:?}")))?
                }
            },
            message: map.get("msg").filter(|m| !m.is_empty()).cloned(),
            // Absent from queues configured before the safety net, '' when off.
            safety_net: match map.get("net").map(String::as_str) {
                None | Some("") => None,
                Some(net) => Some(safety_net(net)?),
            },
        },
    }))
}

/// The `cfg` hash's `pre` field: presale groups' openings, `slot:ms,slot:ms`.
fn presales(field: &str) -> Result<Vec<crate::PresaleOpening>, StoreError> {
    field
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (slot, at) = p
                .split_once(':')
                .ok_or_else(|| bad(format!("a presale opening without a colon: {p:?}")))?;
            Ok(crate::PresaleOpening {
                slot: num(slot)?,
                opens_at_ms: num(at)?,
            })
        })
        .collect()
}

/// The `cfg` hash's `net` field: `shoppers,arrivals`.
pub(super) fn safety_net(net: &str) -> Result<crate::SafetyNet, StoreError> {
    let (shoppers, arrivals) = net
        .split_once(',')
        .ok_or_else(|| bad(format!("a safety net without a comma: {net:?}")))?;
    Ok(crate::SafetyNet {
        max_shoppers: num(shoppers)?,
        max_arrivals_per_minute: num(arrivals)?,
    })
}

/// One page of the frozen pre-queue (`prequeue.lua`): `None` when the caller does not
/// hold the draw, else its `(pseudonym, user)` entries in arrival order.
pub(super) fn prequeue(values: &[Value]) -> Result<Option<Vec<(String, UserId)>>, StoreError> {
    let Some(flag) = values.first() else {
        return Err(bad("an empty pre-queue reply"));
    };
    if get::<i64>(flag)? == 0 {
        return Ok(None);
    }
    let pairs = values[1..].chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad("pre-queue pairs"));
    }
    let entries = pairs
        .map(|p| {
            let user: String = get(&p[0])?;
            let ticket: String = get(&p[1])?;
            let user: UserId = user.parse().map_err(|_| bad(format!("user {user:?}")))?;
            Ok((crate::shuffle::pseudonym(&TicketId(ticket)), user))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(entries))
}

/// `draw.lua`'s reply: `None` before the opening.
pub(super) fn draw(values: &[Value]) -> Result<Option<DrawPage>, StoreError> {
    if values.is_empty() {
        return Ok(None);
    }
    let total: u64 = get(&values[0])?;
    let n: usize = get(values.get(1).ok_or_else(|| bad("no draw length"))?)?;
    let rest = &values[2..];
    if rest.len() != 2 * n {
        return Err(bad("draw lists"));
    }
    let list = |vs: &[Value]| vs.iter().map(get::<String>).collect::<Result<Vec<_>, _>>();
    Ok(Some(DrawPage {
        total,
        joined: list(&rest[..n])?,
        order: list(&rest[n..])?,
    }))
}

/// A ticket record in the `tk` hash.
#[derive(Deserialize)]
struct Record {
    t: String,
    s: String,
    #[serde(default)]
    q: u64,
    #[serde(default)]
    a: i64,
    #[serde(default)]
    e: i64,
    #[serde(default)]
    o: Vec<String>,
    /// The presale group's line a waiting ticket joined (absent: the public one).
    #[serde(default)]
    g: u8,
}

/// Tickets from flattened `{record, seq, ahead}` triples.
pub(super) fn statuses(values: &[Value]) -> Result<Vec<Option<TicketStatus>>, StoreError> {
    let triples = values.chunks_exact(3);
    if !triples.remainder().is_empty() {
        return Err(bad("status triples"));
    }
    triples
        .map(|t| status(get(&t[0])?, get(&t[1])?, get(&t[2])?))
        .collect()
}

fn status(record: String, seq: i64, ahead: i64) -> Result<Option<TicketStatus>, StoreError> {
    if record.is_empty() {
        return Ok(None);
    }
    let r: Record = serde_json::from_str(&record)
        .map_err(|e| StoreError::backend(format!("unexpected reply from redis: {record}"), e))?;
    let state = match r.s.as_str() {
        "W" if seq >= 0 => TicketState::Queued {
            seq: seq as u64,
            ahead: ahead.max(0) as u64,
        },
        "W" => TicketState::Prequeue { slot: r.g },
        "A" => TicketState::Admitted {
            seq: r.q,
            admitted_at_ms: r.a,
            expires_at_ms: r.e,
        },
        "L" => TicketState::Left,
        "P" => TicketState::Purchased {
            seq: r.q,
            orders: r.o,
        },
        other => return Err(bad(format!("ticket state {other:?}"))),
    };
    Ok(Some(TicketStatus {
        ticket: TicketId(r.t),
        state,
    }))
}

/// `{dropped, active, waitlist, seq1, user1, ...}`.
pub(super) fn admit(values: &[Value]) -> Result<AdmitOutcome, StoreError> {
    let [dropped, active, waitlist, idle, rest @ ..] = values else {
        return Err(bad("admit outcome"));
    };
    let pairs = rest.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad("admitted pairs"));
    }
    let admitted = pairs
        .map(|p| {
            let user: String = get(&p[1])?;
            let user: UserId = user.parse().map_err(|_| bad(format!("user {user:?}")))?;
            Ok((get(&p[0])?, user))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(AdmitOutcome {
        admitted,
        dropped: get(dropped)?,
        active: get(active)?,
        waitlist: get::<i64>(waitlist)? == 1,
        idle_ms: u64::try_from(get::<i64>(idle)?).ok(),
    })
}

/// Whether a cursor is one this store hands out: empty or a log entry id `0-<n>`.
pub(crate) fn valid_cursor(cursor: &Cursor) -> bool {
    let c = &cursor.0;
    c.is_empty()
        || c.strip_prefix("0-").is_some_and(|n| {
            !n.is_empty() && n.len() <= 15 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// `{lagged, cursor, kind1, value1, ...}`.
pub(super) fn changes(values: &[Value]) -> Result<ChangeBatch, StoreError> {
    let [lagged, cursor, rest @ ..] = values else {
        return Err(bad("change batch"));
    };
    let pairs = rest.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad("change pairs"));
    }
    let changes = pairs
        .map(|p| change(&get::<String>(&p[0])?, &get::<String>(&p[1])?))
        .collect::<Result<_, _>>()?;
    Ok(ChangeBatch {
        changes,
        cursor: Cursor(get(cursor)?),
        lagged: get::<i64>(lagged)? == 1,
    })
}

/// One log entry: kind `k` and comma-separated integers `v` (`P`: a user id and
/// order ids).
fn change(kind: &str, value: &str) -> Result<Change, StoreError> {
    if kind == "P" {
        let mut parts = value.split(',');
        let user = parts.next().unwrap_or_default();
        let user: UserId = user.parse().map_err(|_| bad(format!("user {user:?}")))?;
        let orders = parts.filter(|s| !s.is_empty()).map(str::to_owned).collect();
        return Ok(Change::Purchased { user, orders });
    }
    let mut nums = value.split(',').filter(|s| !s.is_empty());
    let mut next = || -> Result<i64, StoreError> {
        num(nums
            .next()
            .ok_or_else(|| bad(format!("short log entry {kind} {value:?}")))?)
    };
    Ok(match kind {
        "J" => Change::Joined {
            seq: next()? as u64,
        },
        "O" => {
            let (first, count, slot) = range_entry(kind, value)?;
            Change::Opened { first, count, slot }
        }
        "A" => Change::Admitted {
            admitted_at_ms: next()?,
            expires_at_ms: next()?,
            seqs: seqs(value.split(',').skip(2))?,
        },
        "L" => Change::Left {
            seqs: seqs(value.split(','))?,
        },
        "S" => Change::Settings,
        "F" => {
            let (first, count, slot) = range_entry(kind, value)?;
            Change::Frozen { first, count, slot }
        }
        "R" => Change::Restored {
            seqs: restored(value)?,
        },
        other => return Err(bad(format!("log entry kind {other:?}"))),
    })
}

/// An `O` or `F` entry: `first,count[,slot]`, the slot absent (0, the public line)
/// from entries written before presales.
fn range_entry(kind: &str, value: &str) -> Result<(u64, u64, u8), StoreError> {
    let mut parts = value.split(',');
    let mut next = || {
        parts
            .next()
            .ok_or_else(|| bad(format!("short log entry {kind} {value:?}")))
    };
    let (first, count) = (num(next()?)?, num(next()?)?);
    let slot = match parts.next() {
        None | Some("") => 0,
        Some(slot) => num(slot)?,
    };
    Ok((first, count, slot))
}

/// A restored batch's sequence numbers: deltas, each from the previous (the first
/// from 0), all positive.
fn restored(value: &str) -> Result<Vec<u64>, StoreError> {
    let mut at = 0u64;
    let deltas = seqs(value.split(','))?;
    if deltas.is_empty() {
        return Err(bad("an empty restored batch"));
    }
    deltas
        .into_iter()
        .map(|delta| {
            at = at
                .checked_add(delta)
                .filter(|_| delta > 0)
                .ok_or_else(|| bad(format!("restored seqs {value:?}")))?;
            Ok(at)
        })
        .collect()
}

fn seqs<'a>(parts: impl Iterator<Item = &'a str>) -> Result<Vec<u64>, StoreError> {
    parts.filter(|s| !s.is_empty()).map(num).collect()
}

/// `{opened, cursor, seq1, seq2, ...}`.
pub(super) fn snapshot_page(values: &[Value]) -> Result<SnapshotPage, StoreError> {
    let [opened, cursor, seqs @ ..] = values else {
        return Err(bad("snapshot page"));
    };
    Ok(SnapshotPage {
        cursor: Cursor(get(cursor)?),
        opened: get::<i64>(opened)? == 1,
        seqs: seqs.iter().map(get).collect::<Result<_, _>>()?,
    })
}

/// `{waiting, prequeue, admitted_total, active, admitted_last_minute, opened, joined,
/// arrivals_last_minute}`.
pub(super) fn stats(values: &[Value]) -> Result<QueueStats, StoreError> {
    let [waiting, prequeue, admitted_total, active, last_minute, opened, joined, arrivals] = values
    else {
        return Err(bad("stats"));
    };
    Ok(QueueStats {
        waiting: get(waiting)?,
        prequeue: get(prequeue)?,
        admitted_total: get(admitted_total)?,
        active: get(active)?,
        admitted_last_minute: get(last_minute)?,
        opened: get::<i64>(opened)? == 1,
        joined: get(joined)?,
        arrivals_last_minute: get(arrivals)?,
    })
}

#[cfg(test)]
mod tests;
