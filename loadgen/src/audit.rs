//! The audit: pure functions over what the fans saw and what the server says.
//!
//! **Join order across workers.** Every worker runs on the same machine, so wall-clock
//! microseconds are comparable across processes. Each post-opening fan records when it
//! sent its first `join` (`sent`) and when the answer arrived (`ack`). The server
//! assigns the ticket's sequence number between the two, so if A's answer arrived
//! before B's join left (`A.ack < B.sent`), A surely joined first. Fans whose intervals
//! overlap joined concurrently and no order is asserted between them: the check has no
//! false positives, whatever the latency or the number of workers.
//!
//! **Admission times** come from the server: each admitted message carries
//! `expires_at` = admission time + the event's session TTL, exact to the millisecond,
//! so a batch shares one time. A FIFO inversion is a fan B admitted *strictly* before
//! some fan A that surely joined before it.

use std::collections::HashMap;

/// One post-opening fan: its join interval (µs) and server admission time (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joined {
    pub sent_us: i64,
    pub ack_us: i64,
    pub admitted_ms: i64,
}

/// FIFO audit of post-opening fans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fifo {
    /// Fans admitted strictly before some fan that surely joined before them.
    pub inversions: u64,
    /// Ordered pairs (A surely joined before B) the check covered.
    pub pairs_checked: u64,
}

/// Counts FIFO inversions in O(n log n): sort by `ack`, keep the running maximum
/// admission time, and look up each fan's `sent` in it.
pub fn fifo(fans: &[Joined]) -> Fifo {
    let mut by_ack: Vec<(i64, i64)> = fans.iter().map(|f| (f.ack_us, f.admitted_ms)).collect();
    by_ack.sort_unstable();
    let mut running_max = Vec::with_capacity(by_ack.len());
    let mut max = i64::MIN;
    for (_, admitted) in &by_ack {
        max = max.max(*admitted);
        running_max.push(max);
    }
    let mut out = Fifo::default();
    for b in fans {
        // Fans whose answer arrived strictly before B's join was sent.
        let before = by_ack.partition_point(|(ack, _)| *ack < b.sent_us);
        out.pairs_checked += before as u64;
        if before > 0 && running_max[before - 1] > b.admitted_ms {
            out.inversions += 1;
        }
    }
    out
}

/// Post-opening fans admitted strictly before the last pre-queued fan: the pre-queue
/// must all go first.
pub fn prequeue_violations(prequeue_admitted_ms: &[i64], post_admitted_ms: &[i64]) -> u64 {
    let Some(last_early) = prequeue_admitted_ms.iter().max() else {
        return 0;
    };
    post_admitted_ms.iter().filter(|t| *t < last_early).count() as u64
}

/// Achieved admission rate per minute from server admission times: fans admitted
/// after the first batch over the time from the first batch to the last.
pub fn admission_rate_per_min(admitted_ms: &[i64]) -> f64 {
    let (Some(first), Some(last)) = (admitted_ms.iter().min(), admitted_ms.iter().max()) else {
        return 0.0;
    };
    if last == first {
        return 0.0;
    }
    let first_batch = admitted_ms.iter().filter(|t| *t == first).count();
    (admitted_ms.len() - first_batch) as f64 * 60_000.0 / (last - first) as f64
}

/// Seats: what the fans were told they bought against what the server shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seats {
    /// Seats confirmed to fans, counted once.
    pub confirmed: u64,
    /// Extra sales of a seat confirmed to more than one order.
    pub duplicates: u64,
    /// Confirmed seats the snapshot does not show as sold.
    pub confirmed_not_sold: u64,
    /// Seats sold in the snapshot.
    pub snapshot_sold: u64,
    pub snapshot_held: u64,
    /// Seats sold more than once, or beyond the capacity.
    pub oversold: u64,
    /// Fans' confirmed seats, the snapshot and the stats all give the same count.
    pub counts_agree: bool,
}

/// Audits seats: `confirmed` from every confirm answer, `snapshot` the server's seat
/// map (`f`/`h`/`s` per seat id), `stats_sold` from the admin stats.
pub fn seats<'a>(
    confirmed: impl IntoIterator<Item = &'a str>,
    snapshot: impl IntoIterator<Item = (String, u8)>,
    stats_sold: u64,
    capacity: u64,
) -> Seats {
    let mut sold_to: HashMap<&str, u64> = HashMap::new();
    for seat in confirmed {
        *sold_to.entry(seat).or_default() += 1;
    }
    let mut out = Seats {
        confirmed: sold_to.len() as u64,
        duplicates: sold_to.values().map(|n| n - 1).sum(),
        ..Seats::default()
    };
    let mut sold_in_snapshot = std::collections::HashSet::new();
    for (id, state) in snapshot {
        match state {
            b's' => {
                out.snapshot_sold += 1;
                sold_in_snapshot.insert(id);
            }
            b'h' => out.snapshot_held += 1,
            _ => {}
        }
    }
    out.confirmed_not_sold = sold_to
        .keys()
        .filter(|s| !sold_in_snapshot.contains(**s))
        .count() as u64;
    let over_capacity = stats_sold.max(out.snapshot_sold).saturating_sub(capacity);
    out.oversold = out.duplicates + over_capacity;
    out.counts_agree = out.confirmed == out.snapshot_sold
        && out.snapshot_sold == stats_sold
        && out.confirmed_not_sold == 0;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(sent_us: i64, ack_us: i64, admitted_ms: i64) -> Joined {
        Joined {
            sent_us,
            ack_us,
            admitted_ms,
        }
    }

    #[test]
    fn fifo_in_order_and_concurrent_joins_pass() {
        // Strictly ordered joins, admitted in order (two share a batch).
        let ok = [j(0, 10, 100), j(20, 30, 100), j(40, 50, 200)];
        assert_eq!(fifo(&ok).inversions, 0);
        assert_eq!(fifo(&ok).pairs_checked, 3);
        // Overlapping intervals: no order is known, so any admission order passes.
        let overlap = [j(0, 100, 300), j(50, 150, 200)];
        assert_eq!(
            fifo(&overlap),
            Fifo {
                inversions: 0,
                pairs_checked: 0
            }
        );
    }

    #[test]
    fn fifo_finds_a_later_fan_admitted_first() {
        // The third fan joined after the first two answered, yet was admitted first.
        let bad = [
            j(0, 10, 500),
            j(20, 30, 600),
            j(40, 50, 400),
            j(60, 70, 700),
        ];
        let f = fifo(&bad);
        assert_eq!(f.inversions, 1);
        assert_eq!(f.pairs_checked, 6);
        // Equal admission times are one batch: never an inversion.
        assert_eq!(fifo(&[j(0, 10, 500), j(20, 30, 500)]).inversions, 0);
        // Across "workers": only the interval matters, not the input order.
        assert_eq!(fifo(&[j(20, 30, 400), j(0, 10, 401)]).inversions, 1);
    }

    #[test]
    fn prequeue_must_all_go_first() {
        assert_eq!(prequeue_violations(&[100, 300, 200], &[300, 400]), 0);
        assert_eq!(prequeue_violations(&[100, 300], &[250, 299, 300]), 2);
        assert_eq!(prequeue_violations(&[], &[1, 2]), 0);
    }

    #[test]
    fn admission_rate_counts_after_the_first_batch() {
        // Batches of 10 every 250 ms for 2 s: 80 after the first over 2 s = 2,400/min.
        let times: Vec<i64> = (0..=8).flat_map(|b| vec![b * 250; 10]).collect();
        assert!((admission_rate_per_min(&times) - 2_400.0).abs() < 1e-9);
        assert_eq!(admission_rate_per_min(&[5, 5, 5]), 0.0);
        assert_eq!(admission_rate_per_min(&[]), 0.0);
    }

    #[test]
    fn seat_audit_finds_double_sales_and_disagreements() {
        let snap = |s: &str| {
            s.bytes()
                .enumerate()
                .map(|(i, b)| (format!("A-1-{}", i + 1), b))
                .collect::<Vec<_>>()
        };
        let good = seats(["A-1-1", "A-1-2"], snap("ssfh"), 2, 4);
        assert_eq!(good.oversold, 0);
        assert!(good.counts_agree);
        assert_eq!(good.snapshot_held, 1);

        let twice = seats(["A-1-1", "A-1-1", "A-1-2"], snap("ssff"), 2, 4);
        assert_eq!(twice.duplicates, 1);
        assert_eq!(twice.oversold, 1);

        let lost = seats(["A-1-3"], snap("sfff"), 1, 4);
        assert_eq!(lost.confirmed_not_sold, 1);
        assert!(!lost.counts_agree);
        assert_eq!(lost.oversold, 0);

        let over = seats([], snap("ss"), 3, 2);
        assert_eq!(over.oversold, 1);
        assert!(!over.counts_agree);
    }
}
