//! Merging: the workers' results and the server's final view (admin stats and the seat
//! snapshot) into one [`Report`], with the audit's verdicts.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::api::{self, Http, SeatMap};
use crate::audit::{self, Joined};
use crate::config::Config;
use crate::report::{round3, Hist, Report, ServerView};
use crate::tally::WorkerResult;

/// What the server says once the fans are done.
pub struct ServerEnd {
    pub stats: serde_json::Value,
    pub seats: audit::Seats,
    /// Free seats at the end, and those in runs too short for one more order.
    pub free: u64,
    pub stranded: u64,
}

impl ServerEnd {
    /// Reads stats and the seat snapshot; the snapshot is a replica's view (up to
    /// ~100 ms behind), so a disagreement is re-read a few times before it stands.
    pub async fn fetch(
        http: &Http,
        base: &str,
        admin: &str,
        event: &str,
        results: &[WorkerResult],
        quantity: u32,
    ) -> anyhow::Result<Self> {
        let confirmed = || {
            results
                .iter()
                .flat_map(|r| r.confirmed.iter().map(String::as_str))
        };
        let mut attempt = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let stats = api::stats(http, base, admin, event).await?;
            let map = SeatMap::fetch(http, base, event).await?;
            let sold = stats["sold"].as_u64().unwrap_or(0);
            let capacity = stats["capacity"].as_u64().unwrap_or(0);
            let seats = audit::seats(confirmed(), map.seats(), sold, capacity);
            attempt += 1;
            if seats.counts_agree || attempt >= 6 {
                let (free, stranded) = map.stranded(quantity);
                return Ok(Self {
                    stats,
                    seats,
                    free,
                    stranded,
                });
            }
        }
    }
}

/// The report of a run (verdicts in `failures`; `passed` is set by the caller).
pub fn assemble(
    config: &Config,
    results: &[WorkerResult],
    end: &ServerEnd,
    peak_sum: u64,
    duration_secs: f64,
) -> Report {
    let mut r = Report {
        urls: config.urls.clone(),
        seed: config.seed,
        fans: u64::from(config.fans),
        duration_secs: round3(duration_secs),
        admission_rate_configured_per_min: f64::from(config.rate()),
        estimates: crate::estimates::summarise(
            results
                .iter()
                .flat_map(|w| w.records.iter().map(|f| &f.eta)),
            config.rate_change_at_secs.is_some(),
        ),
        ..Report::default()
    };
    let records = results.iter().flat_map(|w| w.records.iter());
    let (mut post, mut pre_adm, mut post_adm, mut all_adm) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut connect, mut join) = (Hist::default(), Hist::default());
    let mut bursts = [JoinSpan::default(), JoinSpan::default()];
    for f in records {
        if f.arrived_us != 0 && f.sent_us != 0 {
            connect.record((f.sent_us - f.arrived_us).max(0) as u64);
        }
        if f.sent_us != 0 && f.ack_us != 0 {
            join.record((f.ack_us - f.sent_us).max(0) as u64);
            bursts[usize::from(f.prequeue)].add(f.arrived_us, f.ack_us);
        }
        *r.behaviours
            .entry(f.behaviour.name().to_owned())
            .or_default() += 1;
        *r.outcomes.entry(f.outcome.name().to_owned()).or_default() += 1;
        r.prequeued += u64::from(f.prequeue);
        r.positions_rose += u64::from(f.rose);
        let Some(adm) = f.admitted_ms else { continue };
        r.admitted += 1;
        all_adm.push(adm);
        if f.prequeue {
            pre_adm.push(adm);
        } else if f.sent_us != 0 && f.ack_us != 0 {
            post_adm.push(adm);
            post.push(Joined {
                sent_us: f.sent_us,
                ack_us: f.ack_us,
                admitted_ms: adm,
            });
        }
    }
    let fifo = audit::fifo(&post);
    r.fifo_inversions = fifo.inversions;
    r.fifo_pairs_checked = fifo.pairs_checked;
    // In a presale the public pre-queue goes after the groups' fans who joined after
    // their openings: the presale audit checks the order across lines instead.
    if config.presale_groups == 0 {
        r.prequeue_violations = audit::prequeue_violations(&pre_adm, &post_adm);
    }
    r.admission_rate_achieved_per_min = round3(audit::admission_rate_per_min(&all_adm));

    let (mut adm, mut hold, mut confirm) = (Hist::default(), Hist::default(), Hist::default());
    let (mut gap, mut pow) = (Hist::default(), Hist::default());
    let (mut gap_head, mut stale) = (Hist::default(), Hist::default());
    let (mut hold_lo, mut hold_hi) = (i64::MAX, i64::MIN);
    for w in results {
        adm.merge(&w.hists.admission_ms);
        hold.merge(&w.hists.hold_us);
        confirm.merge(&w.hists.confirm_us);
        gap.merge(&w.hists.position_gap_ms);
        gap_head.merge(&w.hists.position_gap_head_ms);
        stale.merge(&w.hists.position_staleness_ms);
        pow.merge(&w.hists.pow_solve_ms);
        r.server_5xx += w.server_5xx;
        r.holds += w.holds;
        r.connections_peak = r.connections_peak.max(w.progress.peak);
        hold_lo = hold_lo.min(w.hold_span_us.0);
        hold_hi = hold_hi.max(w.hold_span_us.1);
        for (code, n) in &w.errors {
            *r.errors.entry(code.clone()).or_default() += n.expected + n.unexpected;
            add(&mut r.expected_errors, code, n.expected);
            add(&mut r.unexpected_errors, code, n.unexpected);
        }
        r.sold += w.confirmed.len() as u64;
    }
    r.connections_peak = r.connections_peak.max(peak_sum);
    let [after, before] = bursts;
    let burst = if after.n > 0 { after } else { before };
    r.joins_per_sec = per_sec(burst.n, burst.lo, burst.hi);
    if burst.n > 0 {
        r.joins_span_unix_ms = [burst.lo / 1000, burst.hi / 1000];
    }
    r.connect_latency_ms = connect.summary(1000.0);
    r.join_latency_ms = join.summary(1000.0);
    r.position_gap_ms = gap.summary(1.0);
    r.position_gap_head_ms = gap_head.summary(1.0);
    r.position_staleness_ms = stale.summary(1.0);
    r.position_within_1s = stale.share_at_most(1_000);
    r.pow_solve_ms = pow.summary(1.0);
    r.pow_required = r.errors.get("pow_required").copied().unwrap_or(0);
    r.holds_per_sec = per_sec(r.holds, hold_lo, hold_hi);
    r.time_to_admission_ms = adm.summary(1.0);
    r.hold_latency_ms = hold.summary(1000.0);
    r.confirm_latency_ms = confirm.summary(1000.0);

    let s = &end.seats;
    let stat = |k: &str| end.stats[k].as_u64().unwrap_or(0);
    r.server = ServerView {
        sold: stat("sold"),
        held: stat("held"),
        admitted_total: stat("admitted_total"),
        snapshot_sold: s.snapshot_sold,
        snapshot_held: s.snapshot_held,
        fairness_prequeue: serde_json::from_value(end.stats["fairness"]["prequeue"].clone()).ok(),
        fairness_after_opening: serde_json::from_value(
            end.stats["fairness"]["after_opening"].clone(),
        )
        .ok(),
    };
    r.oversold_seats = s.oversold;
    r.duplicate_seats = s.duplicates;
    r.confirmed_not_sold = s.confirmed_not_sold;
    r.counts_agree = s.counts_agree;
    r.free_at_end = end.free;
    r.stranded_seats = end.stranded;

    let checks = [
        (r.oversold_seats, "oversold seats"),
        (r.fifo_inversions, "FIFO inversions"),
        (
            r.prequeue_violations,
            "post-opening fans admitted before the pre-queue",
        ),
        (r.server_5xx, "server 5xx answers"),
        (
            r.confirmed_not_sold,
            "confirmed seats not sold on the server",
        ),
    ];
    for (n, what) in checks {
        if n > 0 {
            r.failures.push(format!("{n} {what}"));
        }
    }
    if !r.counts_agree {
        r.failures.push(format!(
            "seat counts disagree: fans confirmed {}, snapshot sold {}, stats sold {}",
            s.confirmed, s.snapshot_sold, r.server.sold
        ));
    }
    r
}

fn add(map: &mut BTreeMap<String, u64>, code: &str, n: u64) {
    if n > 0 {
        *map.entry(code.to_owned()).or_default() += n;
    }
}

/// Joins of one kind (pre-queue or not): how many, first arrival, last answer.
#[derive(Clone, Copy)]
struct JoinSpan {
    n: u64,
    lo: i64,
    hi: i64,
}

impl Default for JoinSpan {
    fn default() -> Self {
        Self {
            n: 0,
            lo: i64::MAX,
            hi: i64::MIN,
        }
    }
}

impl JoinSpan {
    fn add(&mut self, arrived_us: i64, ack_us: i64) {
        self.n += 1;
        self.lo = self.lo.min(arrived_us);
        self.hi = self.hi.max(ack_us);
    }
}

fn per_sec(n: u64, lo_us: i64, hi_us: i64) -> f64 {
    if n == 0 || hi_us <= lo_us {
        return 0.0;
    }
    round3(n as f64 * 1e6 / (hi_us - lo_us) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_rate_spans_first_arrival_to_last_answer() {
        let mut burst = JoinSpan::default();
        // Two fans: arrived at 1.0 s and 1.1 s, answered at 1.2 s and 1.5 s.
        burst.add(1_000_000, 1_200_000);
        burst.add(1_100_000, 1_500_000);
        assert_eq!(per_sec(burst.n, burst.lo, burst.hi), 4.0);
        let empty = JoinSpan::default();
        assert_eq!(per_sec(empty.n, empty.lo, empty.hi), 0.0);
    }
}
