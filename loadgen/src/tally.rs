//! A worker's bookkeeping: live counters (atomics, read for progress), errors by code
//! (expected or not), latency histograms, confirmed seats, and each fan's record for
//! the audit. Everything here is per worker, never process-global.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::report::Hist;

/// How a fan's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Confirmed an order.
    Bought,
    /// Admitted, but no seats could be held (sold out).
    NoSeats,
    /// Admitted, but a hold or confirm failed unexpectedly.
    CheckoutFailed,
    /// Left the queue by choice.
    Abandoned,
    /// Still waiting when the run stopped.
    StillWaiting,
    /// Could not connect or join.
    Failed,
    /// The run stopped before the fan's arrival time.
    NotArrived,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bought => "bought",
            Self::NoSeats => "no_seats",
            Self::CheckoutFailed => "checkout_failed",
            Self::Abandoned => "abandoned",
            Self::StillWaiting => "still_waiting",
            Self::Failed => "failed",
            Self::NotArrived => "not_arrived",
        }
    }
}

/// What the audit needs of one fan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FanRecord {
    pub behaviour: Behaviour,
    /// The first answer to `join` was `prequeue`.
    pub prequeue: bool,
    /// Unix µs when the fan arrived (began opening its socket; 0: never).
    pub arrived_us: i64,
    /// Unix µs when the first `join` left, and when its answer arrived (0: never).
    pub sent_us: i64,
    pub ack_us: i64,
    /// Server admission time (unix ms), if admitted.
    pub admitted_ms: Option<i64>,
    /// `ahead` rose at some point.
    pub rose: bool,
    /// The estimated waits this fan was shown, and when it was admitted.
    #[serde(default)]
    pub eta: crate::estimates::Track,
    pub outcome: Outcome,
    /// Presale: what the fan saw of its line (see [`crate::presale::kinds::Saw`]).
    #[serde(default)]
    pub line: crate::presale::kinds::Saw,
}

/// Live counters.
#[derive(Debug, Default)]
pub struct Counters {
    pub connected: AtomicU64,
    pub peak: AtomicU64,
    pub joined: AtomicU64,
    pub waiting: AtomicU64,
    pub admitted: AtomicU64,
    pub sold: AtomicU64,
    pub holds: AtomicU64,
    pub errors: AtomicU64,
    pub unexpected: AtomicU64,
    pub done: AtomicU64,
}

/// A snapshot of the counters, sent as progress.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    pub connected: u64,
    pub peak: u64,
    pub joined: u64,
    pub waiting: u64,
    pub admitted: u64,
    pub sold: u64,
    pub errors: u64,
    pub unexpected: u64,
    pub done: u64,
}

/// Errors of one code.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct ErrorCount {
    pub expected: u64,
    pub unexpected: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Hists {
    /// From join (or the opening, for the pre-queue) to the admitted message, ms.
    pub admission_ms: Hist,
    /// Holds and confirms, µs.
    pub hold_us: Hist,
    pub confirm_us: Hist,
    /// Between one fan's successive `position` messages, ms.
    pub position_gap_ms: Hist,
    /// The same, where both messages showed the exact number (near the head, where
    /// every change is sent), ms.
    #[serde(default)]
    pub position_gap_head_ms: Hist,
    /// From the server's change (`changed_at_ms`) to the fan reading the `position`
    /// message that carries it, ms.
    #[serde(default)]
    pub position_staleness_ms: Hist,
    /// Solving one proof-of-work challenge, ms.
    #[serde(default)]
    pub pow_solve_ms: Hist,
}

#[derive(Debug)]
pub struct Tally {
    pub counters: Counters,
    errors: Mutex<BTreeMap<String, ErrorCount>>,
    server_5xx: AtomicU64,
    pub hists: Mutex<Hists>,
    confirmed: Mutex<Vec<String>>,
    /// Unix µs span: first hold sent .. last held.
    first_hold: AtomicI64,
    last_hold: AtomicI64,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            counters: Counters::default(),
            errors: Mutex::default(),
            server_5xx: AtomicU64::new(0),
            hists: Mutex::default(),
            confirmed: Mutex::default(),
            first_hold: AtomicI64::new(i64::MAX),
            last_hold: AtomicI64::new(i64::MIN),
        }
    }
}

/// Unix time in µs (comparable across processes on one machine).
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Tally {
    pub fn error(&self, code: &str, expected: bool) {
        let mut map = self.errors.lock().expect("not poisoned");
        let entry = map.entry(code.to_owned()).or_default();
        if expected {
            entry.expected += 1;
        } else {
            entry.unexpected += 1;
            self.counters.unexpected.fetch_add(1, Ordering::Relaxed);
        }
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// An HTTP error answer; any 5xx is also counted apart (and never expected).
    pub fn http_error(&self, status: u16, code: &str, expected: bool) {
        if status >= 500 {
            self.server_5xx.fetch_add(1, Ordering::Relaxed);
        }
        self.error(code, expected && status < 500);
    }

    /// A frame that is not a protocol message: counted, and the first few shown.
    pub fn garbage(&self, text: &str) {
        let seen = self
            .errors
            .lock()
            .expect("not poisoned")
            .get("bad_frame")
            .map_or(0, |c| c.unexpected);
        if seen < 3 {
            let sample: String = text.chars().take(300).collect();
            eprintln!("loadgen: unexpected frame: {sample}");
        }
        self.error("bad_frame", false);
    }

    pub fn socket_opened(&self) {
        let now = self.counters.connected.fetch_add(1, Ordering::Relaxed) + 1;
        self.counters.peak.fetch_max(now, Ordering::Relaxed);
    }

    pub fn socket_closed(&self) {
        self.counters.connected.fetch_sub(1, Ordering::Relaxed);
    }

    /// A `position` message `gap_us` after the fan's previous one; `head`: both
    /// showed the exact number.
    pub fn position_gap(&self, gap_us: i64, head: bool) {
        let ms = u64::try_from(gap_us / 1000).unwrap_or(0);
        let mut hists = self.hists.lock().expect("not poisoned");
        hists.position_gap_ms.record(ms);
        if head {
            hists.position_gap_head_ms.record(ms);
        }
    }

    /// A `position` message read `late_us` after the server's change it carries
    /// (clocks of one machine; a negative difference counts as 0).
    pub fn position_staleness(&self, late_us: i64) {
        let ms = u64::try_from(late_us / 1000).unwrap_or(0);
        self.hists
            .lock()
            .expect("not poisoned")
            .position_staleness_ms
            .record(ms);
    }

    pub fn joined(&self) {
        self.counters.joined.fetch_add(1, Ordering::Relaxed);
    }

    pub fn held(&self, sent_us: i64, done_us: i64) {
        self.first_hold.fetch_min(sent_us, Ordering::Relaxed);
        self.last_hold.fetch_max(done_us, Ordering::Relaxed);
        self.counters.holds.fetch_add(1, Ordering::Relaxed);
    }

    pub fn confirmed(&self, seats: Vec<String>) {
        self.counters
            .sold
            .fetch_add(seats.len() as u64, Ordering::Relaxed);
        self.confirmed.lock().expect("not poisoned").extend(seats);
    }

    pub fn progress(&self) -> Progress {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Progress {
            connected: l(&c.connected),
            peak: l(&c.peak),
            joined: l(&c.joined),
            waiting: l(&c.waiting),
            admitted: l(&c.admitted),
            sold: l(&c.sold),
            errors: l(&c.errors),
            unexpected: l(&c.unexpected),
            done: l(&c.done),
        }
    }

    /// Everything a worker hands back, with its fans' records.
    pub fn finish(&self, records: Vec<FanRecord>) -> WorkerResult {
        let l = |a: &AtomicI64| a.load(Ordering::Relaxed);
        WorkerResult {
            progress: self.progress(),
            records,
            errors: self.errors.lock().expect("not poisoned").clone(),
            server_5xx: self.server_5xx.load(Ordering::Relaxed),
            hists: std::mem::take(&mut *self.hists.lock().expect("not poisoned")),
            confirmed: std::mem::take(&mut *self.confirmed.lock().expect("not poisoned")),
            hold_span_us: (l(&self.first_hold), l(&self.last_hold)),
            holds: self.counters.holds.load(Ordering::Relaxed),
        }
    }
}

/// A worker's result.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct WorkerResult {
    pub progress: Progress,
    pub records: Vec<FanRecord>,
    pub errors: BTreeMap<String, ErrorCount>,
    pub server_5xx: u64,
    pub hists: Hists,
    pub confirmed: Vec<String>,
    pub hold_span_us: (i64, i64),
    pub holds: u64,
}
