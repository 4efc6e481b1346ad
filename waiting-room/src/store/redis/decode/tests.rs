//! Tests of the reply decoding: errors by kind, log entries, cursors, ticket records.

use super::*;

/// An error as a Redis server sends it on the wire.
fn wire(line: &str) -> RedisError {
    redis::parse_redis_value(format!("-{line}\r\n").as_bytes())
        .and_then(Value::extract_error)
        .expect_err("an error reply")
}

#[test]
fn a_cluster_that_re_forms_is_unavailable_not_a_backend_fault() {
    for line in [
        "CLUSTERDOWN The cluster is down",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "MOVED 3999 127.0.0.1:6381",
        "ASK 3999 127.0.0.1:6381",
        "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        "LOADING Redis is loading the dataset in memory",
        "READONLY You can't write against a read only replica.",
    ] {
        let err = store_err(wire(line));
        assert!(matches!(err, StoreError::Unavailable(_)), "{line}: {err:?}");
    }
    let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    assert!(matches!(store_err(refused), StoreError::Unavailable(_)));
    let reset = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
    assert!(matches!(store_err(reset), StoreError::Unavailable(_)));
    let no_node = RedisError::from((
        redis::ErrorKind::ClusterConnectionNotFound,
        "no connection for slot",
    ));
    assert!(matches!(store_err(no_node), StoreError::Unavailable(_)));
    // Our own and our scripts' faults stay what they are.
    assert!(matches!(
        store_err(wire("FGUNKNOWN no such event")),
        StoreError::UnknownEvent
    ));
    for line in [
        "CROSSSLOT Keys in request don't hash to the same slot",
        "ERR Error running script",
        "NOSCRIPT No matching script.",
    ] {
        let err = store_err(wire(line));
        assert!(matches!(err, StoreError::Backend(_)), "{line}: {err:?}");
    }
}

#[test]
fn log_entries_decode() {
    assert_eq!(change("J", "7").unwrap(), Change::Joined { seq: 7 });
    assert_eq!(
        change("O", "1,40").unwrap(),
        Change::Opened {
            first: 1,
            count: 40,
            slot: 0
        }
    );
    assert_eq!(
        change("O", "5,0,3").unwrap(),
        Change::Opened {
            first: 5,
            count: 0,
            slot: 3
        }
    );
    assert_eq!(
        change("F", "5,9,2").unwrap(),
        Change::Frozen {
            first: 5,
            count: 9,
            slot: 2
        }
    );
    assert_eq!(
        change("A", "1700000000000,1700000600000,3,4").unwrap(),
        Change::Admitted {
            seqs: vec![3, 4],
            admitted_at_ms: 1_700_000_000_000,
            expires_at_ms: 1_700_000_600_000,
        }
    );
    assert_eq!(change("L", "5").unwrap(), Change::Left { seqs: vec![5] });
    assert_eq!(change("S", "").unwrap(), Change::Settings);
    assert!(change("X", "").is_err());
    assert!(change("O", "1").is_err());
}

#[test]
fn a_restored_batch_decodes_from_deltas() {
    assert_eq!(
        change("R", "5,1,100,7").unwrap(),
        Change::Restored {
            seqs: vec![5, 6, 106, 113]
        }
    );
    for bad in ["", "5,0", "5,-1", "x", "18446744073709551615,1"] {
        assert!(change("R", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn cursors_are_stream_ids() {
    for ok in ["", "0-0", "0-12"] {
        assert!(valid_cursor(&Cursor(ok.into())), "{ok}");
    }
    for bad in ["12", "-1", "0-", "a-b", "+", "0-2-3", "1700000000000-12"] {
        assert!(!valid_cursor(&Cursor(bad.into())), "{bad}");
    }
}

#[test]
fn ticket_records_decode() {
    let rec = |s: &str| s.to_string();
    let w = rec(r#"{"t":"abc","s":"W"}"#);
    assert_eq!(
        status(w.clone(), -1, -1).unwrap().unwrap().state,
        TicketState::Prequeue { slot: 0 }
    );
    assert_eq!(
        status(w, 4, 2).unwrap().unwrap().state,
        TicketState::Queued { seq: 4, ahead: 2 }
    );
    let a = rec(r#"{"t":"a\/b","s":"A","q":3,"a":1700000000000,"e":1700000600000}"#);
    let a = status(a, -1, -1).unwrap().unwrap();
    assert_eq!(a.ticket, TicketId("a/b".into()));
    assert_eq!(
        a.state,
        TicketState::Admitted {
            seq: 3,
            admitted_at_ms: 1_700_000_000_000,
            expires_at_ms: 1_700_000_600_000
        }
    );
    assert_eq!(status(String::new(), -1, -1).unwrap(), None);
}
