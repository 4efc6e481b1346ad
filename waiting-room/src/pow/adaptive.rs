//! Difficulty that follows load: each replica counts the joins it answers per event in
//! fixed intervals; after an interval whose rate passed the configured level the
//! difficulty rises by a step, after a calmer one it falls by a smaller step, never
//! below the event's own difficulty and never above a cap. Pure: time is an argument.
//!
//! Replicas do not share counts: each raises its own difficulty from the joins it
//! sees, so behind a load balancer spreading fans evenly the level is per replica.

use super::MAX_DIFFICULTY;

/// How the difficulty follows load (`FLOODGATE_POW_*` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveSettings {
    /// Joins per second (on this replica, per event) above which the difficulty
    /// rises; 0: never adapt.
    pub burst_joins_per_sec: u32,
    /// The length of one measuring interval, ms.
    pub interval_ms: i64,
    /// Bits added after a busy interval.
    pub step_up: u8,
    /// Bits taken off after a calm one.
    pub step_down: u8,
    /// The most bits ever added to the event's own difficulty.
    pub max_extra: u8,
}

/// One event's measurement on this replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adaptive {
    window_start_ms: i64,
    joins: u64,
    extra: u8,
}

impl Adaptive {
    pub fn new(now_ms: i64) -> Self {
        Self {
            window_start_ms: now_ms,
            joins: 0,
            extra: 0,
        }
    }

    /// Counts one join at `now_ms`.
    pub fn record(&mut self, settings: &AdaptiveSettings, now_ms: i64) {
        self.roll(settings, now_ms);
        self.joins += 1;
    }

    /// The difficulty in force at `now_ms` for an event whose own is `base`: 0 stays
    /// 0 (proof of work off), anything else gets the extra bits load added.
    pub fn difficulty(&mut self, settings: &AdaptiveSettings, base: u8, now_ms: i64) -> u8 {
        self.roll(settings, now_ms);
        if base == 0 {
            return 0;
        }
        base.saturating_add(self.extra)
            .min(MAX_DIFFICULTY)
            .max(base)
    }

    /// Closes every interval that ended by `now_ms`, stepping the extra bits.
    fn roll(&mut self, settings: &AdaptiveSettings, now_ms: i64) {
        let interval = settings.interval_ms.max(1);
        if settings.burst_joins_per_sec == 0 {
            self.extra = 0;
        }
        while now_ms >= self.window_start_ms + interval {
            let per_sec = self.joins.saturating_mul(1000) / interval as u64;
            if settings.burst_joins_per_sec > 0 && per_sec > u64::from(settings.burst_joins_per_sec)
            {
                self.extra = self
                    .extra
                    .saturating_add(settings.step_up)
                    .min(settings.max_extra);
            } else {
                self.extra = self.extra.saturating_sub(settings.step_down);
            }
            self.joins = 0;
            self.window_start_ms += interval;
            if self.extra == 0 {
                // Idle intervals change nothing more: skip to the current one.
                let behind = (now_ms - self.window_start_ms) / interval;
                self.window_start_ms += behind * interval;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: AdaptiveSettings = AdaptiveSettings {
        burst_joins_per_sec: 100,
        interval_ms: 1_000,
        step_up: 2,
        step_down: 1,
        max_extra: 6,
    };

    fn joins(a: &mut Adaptive, from_ms: i64, count: u64) {
        for i in 0..count {
            a.record(&S, from_ms + (i as i64 * 999) / count as i64);
        }
    }

    #[test]
    fn the_difficulty_rises_under_a_burst_and_falls_after() {
        let mut a = Adaptive::new(0);
        assert_eq!(a.difficulty(&S, 12, 0), 12);
        // Busy seconds: +2 bits each, capped at +6.
        joins(&mut a, 0, 150);
        assert_eq!(a.difficulty(&S, 12, 1_000), 14);
        joins(&mut a, 1_000, 150);
        assert_eq!(a.difficulty(&S, 12, 2_000), 16);
        for second in 2..5 {
            joins(&mut a, second * 1_000, 150);
        }
        assert_eq!(
            a.difficulty(&S, 12, 5_000),
            18,
            "capped at base + max_extra"
        );
        // A calm second (at the level, not above it) takes one bit off, and so on.
        joins(&mut a, 5_000, 100);
        assert_eq!(a.difficulty(&S, 12, 6_000), 17);
        assert_eq!(a.difficulty(&S, 12, 8_000), 15);
        assert_eq!(
            a.difficulty(&S, 12, 60_000),
            12,
            "never below the event's own"
        );
        // Off stays off whatever the load.
        joins(&mut a, 60_000, 500);
        assert_eq!(a.difficulty(&S, 0, 61_000), 0);
        assert_eq!(
            a.difficulty(&S, 27, 61_000),
            MAX_DIFFICULTY,
            "capped at the maximum"
        );
    }

    #[test]
    fn no_level_never_adapts() {
        let off = AdaptiveSettings {
            burst_joins_per_sec: 0,
            ..S
        };
        let mut a = Adaptive::new(0);
        for i in 0..10_000 {
            a.record(&off, i / 10);
        }
        assert_eq!(a.difficulty(&off, 10, 2_000), 10);
    }
}
