//! The measured admission pace, for the estimated wait. Each replica sees every
//! admission in the change log, so it measures the pace locally, with no store calls.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);

/// Admissions observed over the last minute.
#[derive(Debug)]
pub struct PaceMeter {
    started: Instant,
    samples: VecDeque<(Instant, u64)>,
    total: u64,
}

impl Default for PaceMeter {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl PaceMeter {
    pub fn new(now: Instant) -> Self {
        Self {
            started: now,
            samples: VecDeque::new(),
            total: 0,
        }
    }

    /// Records `n` admissions seen at `now`.
    pub fn record(&mut self, now: Instant, n: u64) {
        self.samples.push_back((now, n));
        self.total += n;
        self.prune(now);
    }

    /// Admissions per second over the last minute (or since observing began, if
    /// sooner); `None` when nothing was admitted in that window.
    pub fn per_sec(&mut self, now: Instant) -> Option<f64> {
        self.prune(now);
        if self.total == 0 {
            return None;
        }
        let span = now
            .duration_since(self.started)
            .min(WINDOW)
            .as_secs_f64()
            .max(1.0);
        Some(self.total as f64 / span)
    }

    fn prune(&mut self, now: Instant) {
        while let Some(&(t, n)) = self.samples.front() {
            if now.duration_since(t) <= WINDOW {
                break;
            }
            self.samples.pop_front();
            self.total -= n;
        }
    }
}

/// Seconds to wait with `ahead` fans in front: at the measured pace, falling back to
/// the configured rate while nothing has been admitted yet.
pub fn eta_secs(ahead: u64, measured_per_sec: Option<f64>, rate_per_minute: u32) -> u64 {
    let pace = measured_per_sec
        .filter(|p| *p > 0.0)
        .unwrap_or(f64::from(rate_per_minute.max(1)) / 60.0);
    (ahead as f64 / pace).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_over_the_window() {
        let t0 = Instant::now();
        let mut m = PaceMeter::new(t0);
        assert_eq!(m.per_sec(t0), None);
        for s in 1..=10 {
            m.record(t0 + Duration::from_secs(s), 5);
        }
        let pace = m.per_sec(t0 + Duration::from_secs(10)).unwrap();
        assert!((pace - 5.0).abs() < 1e-9, "{pace}");
        assert_eq!(m.per_sec(t0 + Duration::from_secs(200)), None);
    }

    #[test]
    fn eta_falls_back_to_the_configured_rate() {
        assert_eq!(eta_secs(100, None, 600), 10);
        assert_eq!(eta_secs(100, Some(20.0), 600), 5);
        assert_eq!(eta_secs(0, None, 600), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_rate_in_virtual_time_measures_as_that_rate() {
        let mut m = PaceMeter::new(Instant::now());
        // Five admissions every 250 ms for a minute and a half: twenty a second.
        for _ in 0..360 {
            tokio::time::advance(Duration::from_millis(250)).await;
            m.record(Instant::now(), 5);
        }
        let pace = m.per_sec(Instant::now()).unwrap();
        assert!((pace - 20.0).abs() < 0.1, "{pace}");
        // The wait follows the measured pace, not the configured 60 a minute.
        assert_eq!(eta_secs(1_000, Some(pace), 60), 50);
        assert_eq!(eta_secs(1_000, None, 60), 1_000);
        // A minute with no admission: nothing measured any more.
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(m.per_sec(Instant::now()), None);
    }
}
