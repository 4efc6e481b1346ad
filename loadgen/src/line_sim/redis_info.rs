//! What Redis says about itself, read around each step: memory (`INFO memory`), CPU
//! (`INFO cpu`) and the time its scripts ran (`INFO commandstats`, EVALSHA and EVAL),
//! and the size of each key of the event (`MEMORY USAGE`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use redis::aio::ConnectionLike;
use serde::Serialize;

/// One reading of Redis' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reading {
    /// `used_memory`, bytes.
    pub used_memory: u64,
    /// `used_cpu_user + used_cpu_sys`, seconds.
    pub cpu_secs: f64,
    /// Calls of EVALSHA and EVAL (the store's scripts).
    pub script_calls: u64,
    /// Microseconds Redis spent in EVALSHA and EVAL.
    pub script_usec: u64,
}

/// What Redis did between two readings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    /// Bytes of `used_memory` gained (negative: freed).
    pub memory_bytes: i64,
    /// Redis CPU, user + system, microseconds.
    pub cpu_us: f64,
    pub script_calls: u64,
    /// Redis' own time in the scripts, microseconds.
    pub script_us: u64,
}

impl Reading {
    /// Reads `INFO memory`, `INFO cpu` and `INFO commandstats` (one round trip each).
    pub async fn take<C: ConnectionLike>(conn: &mut C) -> redis::RedisResult<Self> {
        let mut text = String::new();
        for section in ["memory", "cpu", "commandstats"] {
            let part: String = redis::cmd("INFO").arg(section).query_async(conn).await?;
            text.push_str(&part);
        }
        Ok(Self::parse(&text))
    }

    /// The counters in the text of `INFO` (missing ones read as 0).
    pub fn parse(info: &str) -> Self {
        let fields: BTreeMap<&str, &str> = info
            .lines()
            .filter_map(|line| line.trim_end().split_once(':'))
            .collect();
        let num = |name: &str| fields.get(name).and_then(|v| v.parse::<f64>().ok());
        let stat = |cmd: &str, key: &str| {
            fields
                .get(cmd)
                .and_then(|v| v.split(',').find_map(|kv| kv.strip_prefix(key)))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Self {
            used_memory: num("used_memory").unwrap_or(0.0) as u64,
            cpu_secs: num("used_cpu_user").unwrap_or(0.0) + num("used_cpu_sys").unwrap_or(0.0),
            script_calls: stat("cmdstat_evalsha", "calls=") + stat("cmdstat_eval", "calls="),
            script_usec: stat("cmdstat_evalsha", "usec=") + stat("cmdstat_eval", "usec="),
        }
    }

    /// What happened from `self` to `later`.
    pub fn until(&self, later: &Reading) -> Delta {
        Delta {
            memory_bytes: later.used_memory as i64 - self.used_memory as i64,
            cpu_us: ((later.cpu_secs - self.cpu_secs) * 1e6).max(0.0),
            script_calls: later.script_calls.saturating_sub(self.script_calls),
            script_us: later.script_usec.saturating_sub(self.script_usec),
        }
    }
}

/// How long [`settle`] and [`Reading::wait_take`] wait at most for a busy Redis.
pub const SETTLE_WITHIN: Duration = Duration::from_secs(1_200);

impl Reading {
    /// [`Reading::take`], waiting while Redis is busy (a script that outlasts the
    /// connection's bound answers "timed out", one over `lua-time-limit` "BUSY").
    pub async fn wait_take<C: ConnectionLike>(conn: &mut C) -> anyhow::Result<Self> {
        let deadline = Instant::now() + SETTLE_WITHIN;
        loop {
            match Self::take(conn).await {
                Ok(reading) => return Ok(reading),
                Err(error) if Instant::now() < deadline => {
                    eprintln!("line_sim: waiting for a busy Redis ({error})");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}

/// Waits until Redis has run every script it was sent, including those whose callers
/// gave up (their scripts still run): the script count stands still for a second.
pub async fn settle<C: ConnectionLike>(conn: &mut C) -> anyhow::Result<()> {
    let deadline = Instant::now() + SETTLE_WITHIN;
    let mut last = Reading::wait_take(conn).await?;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = Reading::wait_take(conn).await?;
        if now.script_calls == last.script_calls {
            return Ok(());
        }
        last = now;
    }
    anyhow::bail!("Redis was still running scripts after {SETTLE_WITHIN:?}")
}

/// `MEMORY USAGE key` (Redis' estimate from 5 sampled members; 0 for a missing key).
pub async fn key_bytes<C: ConnectionLike>(conn: &mut C, key: &str) -> redis::RedisResult<u64> {
    let bytes: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(key)
        .query_async(conn)
        .await?;
    Ok(bytes.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\
        # CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\n\
        # Commandstats\r\ncmdstat_evalsha:calls=10,usec=500,usec_per_call=50.00,rejected_calls=0,failed_calls=0\r\n\
        cmdstat_eval:calls=2,usec=40,usec_per_call=20.00\r\ncmdstat_info:calls=3,usec=9\r\n";

    #[test]
    fn info_text_gives_the_counters() {
        let r = Reading::parse(INFO);
        assert_eq!(r.used_memory, 1_048_576);
        assert!((r.cpu_secs - 3.75).abs() < 1e-9);
        assert_eq!((r.script_calls, r.script_usec), (12, 540));
        assert_eq!(
            Reading::parse("garbage\r\nused_memory:x\r\n"),
            Reading::default()
        );
    }

    #[test]
    fn deltas_run_from_the_first_reading_to_the_second() {
        let a = Reading::parse(INFO);
        let b = Reading {
            used_memory: 1_000_000,
            cpu_secs: 4.0,
            script_calls: 13,
            script_usec: 600,
        };
        let d = a.until(&b);
        assert_eq!(d.memory_bytes, 1_000_000 - 1_048_576);
        assert!((d.cpu_us - 250_000.0).abs() < 1e-3);
        assert_eq!((d.script_calls, d.script_us), (1, 60));
    }
}
