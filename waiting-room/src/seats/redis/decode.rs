//! Decoding seat-script replies and hold records. Formats are documented in the
//! scripts and in `lua/seats.lua`.

use redis::Value;
use serde::Deserialize;

use super::super::store::{
    ConfirmStart, Hold, HoldBackOutcome, HoldId, HoldOutcome, SeatBatch, SeatCounts, SeatState,
    SeatsReplaced,
};
use crate::store::redis::{bad, get};
use crate::store::{Cursor, StoreError};
use crate::UserId;

/// A hold record in the `holds` hash.
#[derive(Deserialize)]
struct Record {
    u: String,
    j: String,
    s: Vec<u32>,
    e: i64,
    c: bool,
}

/// A hold from its id and record.
pub(super) fn hold(id: String, raw: &str) -> Result<Hold, StoreError> {
    let r: Record = serde_json::from_str(raw)
        .map_err(|e| StoreError::backend(format!("unexpected reply from redis: {raw}"), e))?;
    Ok(Hold {
        id: HoldId(id),
        user: r
            .u
            .parse::<UserId>()
            .map_err(|_| bad(format!("user {:?}", r.u)))?,
        jti: r.j,
        seats: r.s,
        expires_at_ms: r.e,
        confirming: r.c,
    })
}

/// `{'H', expires_at}` | `{'U', seat...}` | `{'T', used}` | `{'X'}`.
pub(super) fn hold_outcome(values: &[Value]) -> Result<HoldOutcome, StoreError> {
    let [tag, rest @ ..] = values else {
        return Err(bad("hold outcome"));
    };
    Ok(match (get::<String>(tag)?.as_str(), rest) {
        ("H", [expires]) => HoldOutcome::Held {
            expires_at_ms: get(expires)?,
        },
        ("T", [used]) => HoldOutcome::TokenExhausted { used: get(used)? },
        ("X", []) => HoldOutcome::SessionEnded,
        ("U", seats) if !seats.is_empty() => HoldOutcome::Unavailable {
            seats: seats.iter().map(get).collect::<Result<_, _>>()?,
        },
        (other, _) => return Err(bad(format!("hold outcome {other:?}"))),
    })
}

/// `{'B', changed seat...}` | `{'U', seat...}` (hold_back.lua).
pub(super) fn hold_back_outcome(values: &[Value]) -> Result<HoldBackOutcome, StoreError> {
    let [tag, rest @ ..] = values else {
        return Err(bad("hold-back outcome"));
    };
    let seats = || rest.iter().map(get).collect::<Result<Vec<u32>, _>>();
    Ok(match get::<String>(tag)?.as_str() {
        "B" => HoldBackOutcome::HeldBack { changed: seats()? },
        "U" if !rest.is_empty() => HoldBackOutcome::Unavailable { seats: seats()? },
        other => return Err(bad(format!("hold-back outcome {other:?}"))),
    })
}

/// `{'R'}` | `{'I', capacity, held, sold, held back}` | `{'N'}` (replace_seats.lua).
pub(super) fn seats_replaced(values: &[Value]) -> Result<SeatsReplaced, StoreError> {
    let [tag, rest @ ..] = values else {
        return Err(bad("seats-replaced outcome"));
    };
    Ok(match (get::<String>(tag)?.as_str(), rest) {
        ("R", []) => SeatsReplaced::Replaced,
        ("N", []) => SeatsReplaced::UnknownEvent,
        ("I", [capacity, held, sold, held_back]) => SeatsReplaced::InUse(SeatCounts {
            capacity: get(capacity)?,
            held: get(held)?,
            sold: get(sold)?,
            held_back: get(held_back)?,
        }),
        (other, _) => return Err(bad(format!("seats-replaced outcome {other:?}"))),
    })
}

/// `{'L', record}` | `{'N'}` | `{'Y'}` | `{'E'}`.
pub(super) fn confirm_start(id: &HoldId, values: &[Value]) -> Result<ConfirmStart, StoreError> {
    let [tag, rest @ ..] = values else {
        return Err(bad("confirm start"));
    };
    Ok(match (get::<String>(tag)?.as_str(), rest) {
        ("L", [record]) => ConfirmStart::Leased(hold(id.0.clone(), &get::<String>(record)?)?),
        ("N", []) => ConfirmStart::NotFound,
        ("Y", []) => ConfirmStart::NotYours,
        ("E", []) => ConfirmStart::Expired,
        ("X", []) => ConfirmStart::SessionEnded,
        (other, _) => return Err(bad(format!("confirm start {other:?}"))),
    })
}

/// `{id1, record1, id2, record2, ...}`.
pub(super) fn holds(values: &[Value]) -> Result<Vec<Hold>, StoreError> {
    let pairs = values.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad("hold pairs"));
    }
    pairs
        .map(|p| hold(get(&p[0])?, &get::<String>(&p[1])?))
        .collect()
}

/// `{lagged, cursor, state1, seats1, ...}`: each entry's seats moved to its state.
pub(super) fn changes(values: &[Value]) -> Result<SeatBatch, StoreError> {
    let [lagged, cursor, rest @ ..] = values else {
        return Err(bad("seat batch"));
    };
    let pairs = rest.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(bad("seat log pairs"));
    }
    let mut changes = Vec::new();
    for p in pairs {
        entry(&get::<String>(&p[0])?, &get::<String>(&p[1])?, &mut changes)?;
    }
    Ok(SeatBatch {
        changes,
        cursor: Cursor(get(cursor)?),
        lagged: get::<i64>(lagged)? == 1,
    })
}

/// One seat-log entry: kind `'0'`/`'1'`/`'2'` (the state) and comma-separated seats.
fn entry(kind: &str, seats: &str, out: &mut Vec<(u32, SeatState)>) -> Result<(), StoreError> {
    let state = match kind {
        "0" => SeatState::Free,
        "1" => SeatState::Held,
        "2" => SeatState::Sold,
        "3" => SeatState::HeldBack,
        other => return Err(bad(format!("seat log entry kind {other:?}"))),
    };
    for seat in seats.split(',').filter(|s| !s.is_empty()) {
        let seat = seat
            .parse()
            .map_err(|_| bad(format!("seat log entry {seats:?}")))?;
        out.push((seat, state));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_log_entries_decode() {
        let user = UserId::new();
        let raw = format!(r#"{{"u":"{user}","j":"t1","s":[3,14],"e":1700000000123,"c":false}}"#);
        let h = hold("h1".into(), &raw).unwrap();
        assert_eq!(h.user, user);
        assert_eq!((h.jti.as_str(), &h.seats[..]), ("t1", &[3, 14][..]));
        assert_eq!((h.expires_at_ms, h.confirming), (1_700_000_000_123, false));
        assert!(hold("h".into(), r#"{"u":"x","j":"t","s":[],"e":1,"c":true}"#).is_err());

        let mut out = Vec::new();
        entry("1", "4,5", &mut out).unwrap();
        entry("2", "", &mut out).unwrap();
        entry("0", "9", &mut out).unwrap();
        let (held, free) = (SeatState::Held, SeatState::Free);
        assert_eq!(out, vec![(4, held), (5, held), (9, free)]);
        assert!(entry("4", "1", &mut out).is_err());
        assert!(entry("1", "1,x", &mut out).is_err());
    }
}
