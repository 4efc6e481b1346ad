//! Faults injected on purpose, for tests only: `FLOODGATE_TEST_FAULTS` (a comma-
//! separated `name=value` list) turns them on. A release build refuses to start with
//! it unless `FLOODGATE_TEST_FAULTS_IN_RELEASE=1` says so explicitly (a load test of a
//! release build against a slow checkout). Once on, a test changes them at run time
//! through the handle ([`crate::db::Db::test_faults`]); without the flag there is no
//! handle, and the database's calls pay one `None` check.
//!
//! Faults:
//! - `db_write_delay_ms=N`: every database write (an order's write, an event's
//!   insert, a refund, …) waits N ms before it runs: a checkout made slow on purpose.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The faults in force (changed at run time by tests).
#[derive(Debug, Default)]
pub struct TestFaults {
    db_write_delay_ms: AtomicU64,
}

/// Why `FLOODGATE_TEST_FAULTS` was refused.
#[derive(Debug, thiserror::Error)]
pub enum FaultsError {
    #[error("FLOODGATE_TEST_FAULTS: unknown fault {0:?} (known: db_write_delay_ms)")]
    Unknown(String),
    #[error("FLOODGATE_TEST_FAULTS: {0:?} is not name=value with a whole number")]
    Malformed(String),
    #[error(
        "FLOODGATE_TEST_FAULTS is for tests and this is a release build: \
         set FLOODGATE_TEST_FAULTS_IN_RELEASE=1 to inject faults anyway"
    )]
    Release,
}

impl TestFaults {
    /// Parses the `FLOODGATE_TEST_FAULTS` list (an empty list: on, no fault yet).
    /// `release_opt_in`: whether a release build may have them.
    pub fn parse(spec: &str, release_opt_in: bool) -> Result<Self, FaultsError> {
        if !cfg!(debug_assertions) && !release_opt_in {
            return Err(FaultsError::Release);
        }
        let faults = Self::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| FaultsError::Malformed(item.to_owned()))?;
            let value: u64 = value
                .trim()
                .parse()
                .map_err(|_| FaultsError::Malformed(item.to_owned()))?;
            match name.trim() {
                "db_write_delay_ms" => faults.set_db_write_delay(Duration::from_millis(value)),
                other => return Err(FaultsError::Unknown(other.to_owned())),
            }
        }
        Ok(faults)
    }

    /// Delays every database write by `delay` from now on (zero: no delay).
    pub fn set_db_write_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.db_write_delay_ms.store(ms, Ordering::Relaxed);
    }

    pub fn db_write_delay(&self) -> Duration {
        Duration::from_millis(self.db_write_delay_ms.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list_and_refuses_what_it_does_not_know() {
        let f = TestFaults::parse("db_write_delay_ms=300", false).unwrap();
        assert_eq!(f.db_write_delay(), Duration::from_millis(300));
        assert_eq!(
            TestFaults::parse("", false).unwrap().db_write_delay(),
            Duration::ZERO
        );
        assert!(matches!(
            TestFaults::parse("disk_full=1", false),
            Err(FaultsError::Unknown(_))
        ));
        assert!(matches!(
            TestFaults::parse("db_write_delay_ms=slow", false),
            Err(FaultsError::Malformed(_))
        ));
    }
}
