//! Timing one operation over a few repetitions, with what Redis did meanwhile: the
//! wall time of each repetition (median and p99), Redis' time in the scripts per call
//! and its CPU per repetition.

use std::future::Future;
use std::time::{Duration, Instant};

use waiting_room::store::redis::RedisConn;

use super::redis_info::{settle, Reading};
use super::report::OpFigures;
use crate::report::Hist;

/// Runs `op(rep)` for `reps` repetitions, one after another with `pause` before each
/// (not timed), and returns its figures with the note the last repetition returned
/// (what the operation saw). A repetition that fails is counted and timed to its
/// failure, and its error becomes the note: at ten million fans some calls outlast
/// the store's bounds, and the run goes on to report it.
pub async fn repeat<F, Fut>(
    probe: &RedisConn,
    name: &str,
    reps: u32,
    pause: Duration,
    mut op: F,
) -> anyhow::Result<OpFigures>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = anyhow::Result<String>>,
{
    let mut conn = probe.clone();
    let before = Reading::wait_take(&mut conn).await?;
    let mut hist = Hist::default();
    let mut note = String::new();
    let mut errors = 0;
    for rep in 0..reps {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let began = Instant::now();
        match op(rep).await {
            Ok(seen) => note = seen,
            Err(error) => {
                errors += 1;
                note = format!("failed: {error:#}");
                hist.record(micros(began.elapsed()));
                // The call may still run in Redis: the next repetition must not
                // queue behind it.
                settle(&mut conn).await?;
                continue;
            }
        }
        hist.record(micros(began.elapsed()));
    }
    let after = Reading::wait_take(&mut conn).await?;
    let mut figures = OpFigures::new(name, reps, &hist, before.until(&after), note);
    figures.errors = errors;
    Ok(figures)
}

/// A duration in whole microseconds.
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
