//! The admission step's arithmetic: a token bucket on the admission rate, holding one
//! second of burst, further capped by free active-shopper slots.
//!
//! The bucket guarantees that in any window of `w` milliseconds at most
//! `burst + rate_per_minute * w / 60_000` fans are admitted. The Redis adapter runs the
//! same arithmetic in `store/lua/admit.lua` on Redis' clock; the property tests below
//! pin the bound down.

use serde::{Deserialize, Serialize};

/// Token bucket state: fractional tokens and when they were last refilled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenBucket {
    pub tokens: f64,
    pub refilled_at_ms: i64,
}

/// One second's worth of admissions, and never less than one.
pub fn burst(rate_per_minute: u32) -> f64 {
    (f64::from(rate_per_minute) / 60.0).max(1.0)
}

impl TokenBucket {
    /// A bucket that starts empty at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            tokens: 0.0,
            refilled_at_ms: now_ms,
        }
    }

    /// Adds tokens for the time elapsed since the last refill, capped at the burst.
    /// A clock that steps backwards adds nothing.
    pub fn refill(&mut self, now_ms: i64, rate_per_minute: u32) {
        let elapsed = (now_ms - self.refilled_at_ms).max(0) as f64;
        let added = elapsed * f64::from(rate_per_minute) / 60_000.0;
        self.tokens = (self.tokens + added).min(burst(rate_per_minute));
        self.refilled_at_ms = self.refilled_at_ms.max(now_ms);
    }

    /// How many whole admissions the bucket allows, given `free_slots` active-shopper
    /// slots and `waiting` fans. Takes the tokens it grants.
    pub fn grant(&mut self, free_slots: u64, waiting: u64) -> u64 {
        let n = (self.tokens.floor() as u64).min(free_slots).min(waiting);
        self.tokens -= n as f64;
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the step times, admitted within any window never exceeds
        /// burst + rate × window.
        #[test]
        fn admitted_never_above_rate_times_window_plus_burst(
            rate in 1u32..100_000,
            steps in proptest::collection::vec(0i64..2_000, 1..400),
            window_ms in 1i64..120_000,
        ) {
            let mut bucket = TokenBucket::new(0);
            let mut now = 0;
            let mut log = Vec::new();
            for dt in steps {
                now += dt;
                bucket.refill(now, rate);
                let n = bucket.grant(u64::MAX, u64::MAX);
                log.push((now, n));
            }
            let bound = burst(rate) + f64::from(rate) * window_ms as f64 / 60_000.0;
            for (i, &(start, _)) in log.iter().enumerate() {
                let admitted: u64 = log[i..]
                    .iter()
                    .take_while(|(t, _)| *t <= start + window_ms)
                    .map(|(_, n)| n)
                    .sum();
                prop_assert!(admitted as f64 <= bound + 1e-9, "{admitted} > {bound}");
            }
        }

        #[test]
        fn never_grants_more_than_free_slots_or_waiting(
            rate in 1u32..1_000_000, free in 0u64..50, waiting in 0u64..50, dt in 0i64..10_000,
        ) {
            let mut bucket = TokenBucket::new(0);
            bucket.refill(dt, rate);
            let n = bucket.grant(free, waiting);
            prop_assert!(n <= free && n <= waiting);
        }
    }

    #[test]
    fn steady_rate_is_achieved() {
        let mut bucket = TokenBucket::new(0);
        let mut total = 0;
        for step in 1..=240 {
            bucket.refill(step * 250, 600);
            total += bucket.grant(u64::MAX, u64::MAX);
        }
        // 60 s at 600/min: 600, less at most one token still in the bucket.
        assert!((599..=600).contains(&total), "{total}");
    }

    #[test]
    fn backwards_clock_adds_nothing() {
        let mut bucket = TokenBucket::new(10_000);
        bucket.refill(5_000, 600);
        assert_eq!(bucket.tokens, 0.0);
        assert_eq!(bucket.refilled_at_ms, 10_000);
    }
}
