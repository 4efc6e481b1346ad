//! Back-pressure from the queue store: when the store's answers to fans' joins slow
//! down, this replica turns new fans away (new queue sockets and HTTP joins get 503
//! `overloaded` with `Retry-After`) before anyone already in line is failed.
//!
//! A busy store is not a failed one (see the Redis connection's health probe): calls
//! wait for it. But a crowd that keeps arriving while every join waits seconds only
//! makes the wait longer for everyone, the fans in line included (their heartbeats,
//! the admission step and the change log share the store). So each replica keeps a
//! moving average of how long the store took to answer the calls a new fan makes
//! (`join`, and `status` when a socket resumes a ticket) and the rooms' change-log
//! reads (`changes`, every 100 ms per room), fed by the timing decorator
//! (`observe::store`), and refuses new fans while it is above
//! `FLOODGATE_SHED_LATENCY_MS`. Fans already connected keep their sockets, places and
//! messages; a refused fan retries after `Retry-After` (the fan page reconnects with
//! back-off; loadgen waits as told). The average is per replica, so each replica sheds
//! by what it sees; the rooms' reads keep it current while no new fan is let in, so it
//! falls back within moments of the store answering quickly again.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Weight of a new sample in the moving average: 1/16.
const SHIFT: u32 = 4;

/// The moving average of store answers to new fans, and the level beyond which new
/// fans are turned away.
#[derive(Debug)]
pub struct StoreLoad {
    /// Exponentially weighted average of the calls' durations, in microseconds.
    average_us: AtomicU64,
    /// Shed above this many microseconds; 0 never sheds.
    shed_above_us: u64,
    /// Whether the last check turned a fan away (to log the changes, not every refusal).
    shedding: AtomicBool,
}

impl StoreLoad {
    /// Sheds new fans while the average is above `shed_above` (zero: never).
    pub fn new(shed_above: Duration) -> Self {
        Self {
            average_us: AtomicU64::new(0),
            shed_above_us: u64::try_from(shed_above.as_micros()).unwrap_or(u64::MAX),
            shedding: AtomicBool::new(false),
        }
    }

    /// Adds one call's duration. A relaxed load and store: two calls finishing at once
    /// may lose one sample, which a moving average does not miss.
    pub fn record(&self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.average_us.load(Ordering::Relaxed);
        let new = if sample >= old {
            old + ((sample - old) >> SHIFT)
        } else {
            old - ((old - sample) >> SHIFT)
        };
        self.average_us.store(new, Ordering::Relaxed);
    }

    /// The current average.
    pub fn average(&self) -> Duration {
        Duration::from_micros(self.average_us.load(Ordering::Relaxed))
    }

    /// `Ok` while new fans are welcome; otherwise how many seconds they should wait:
    /// twice the average, 2 s to 30 s.
    pub fn admit_new_fan(&self) -> Result<(), Shedding> {
        let average = self.average_us.load(Ordering::Relaxed);
        let shed = self.shed_above_us != 0 && average > self.shed_above_us;
        if self.shedding.swap(shed, Ordering::Relaxed) != shed {
            if shed {
                tracing::warn!(
                    average_ms = average / 1000,
                    "the store answers slowly: turning new fans away (503 overloaded)"
                );
            } else {
                tracing::info!(
                    average_ms = average / 1000,
                    "the store answers quickly again: new fans welcome"
                );
            }
        }
        if !shed {
            return Ok(());
        }
        Err(Shedding {
            retry_after_secs: (average * 2 / 1_000_000).clamp(2, 30),
        })
    }
}

/// New fans are being turned away: 503 `overloaded` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the queue is busy; try again in {retry_after_secs} s")]
pub struct Shedding {
    pub retry_after_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheds_while_answers_are_slow_and_stops_when_they_are_quick_again() {
        let load = StoreLoad::new(Duration::from_millis(500));
        for _ in 0..100 {
            load.record(Duration::from_micros(300));
        }
        assert_eq!(load.admit_new_fan(), Ok(()));
        // Joins start taking 3 s: the average crosses 500 ms within a few samples.
        let mut slow = 0;
        while load.admit_new_fan().is_ok() {
            load.record(Duration::from_secs(3));
            slow += 1;
            assert!(slow < 16, "still admitting after {slow} 3 s answers");
        }
        let shed = load.admit_new_fan().unwrap_err();
        assert!((2..=30).contains(&shed.retry_after_secs), "{shed:?}");
        // Quick answers again: admitting again within a few dozen samples.
        let mut quick = 0;
        while load.admit_new_fan().is_err() {
            load.record(Duration::from_micros(300));
            quick += 1;
            assert!(quick < 64, "still shedding after {quick} quick answers");
        }
    }

    #[test]
    fn zero_never_sheds() {
        let load = StoreLoad::new(Duration::ZERO);
        for _ in 0..100 {
            load.record(Duration::from_secs(20));
        }
        assert_eq!(load.admit_new_fan(), Ok(()));
        assert!(load.average() > Duration::from_secs(10));
    }

    #[test]
    fn the_wait_grows_with_the_average_within_bounds() {
        let load = StoreLoad::new(Duration::from_millis(1));
        for _ in 0..200 {
            load.record(Duration::from_secs(8));
        }
        assert_eq!(load.admit_new_fan().unwrap_err().retry_after_secs, 15);
        for _ in 0..200 {
            load.record(Duration::from_secs(60));
        }
        assert_eq!(load.admit_new_fan().unwrap_err().retry_after_secs, 30);
    }
}
