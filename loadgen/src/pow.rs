//! Proof of work, as a scripted fan pays it: fetch a challenge
//! (`POST /events/{id}/challenge`), solve it natively (SHA-256 over
//! `challenge ":" nonce`, counting decimal nonces up: `waiting_room::pow::solve`, which
//! uses ring's SHA-256) off the async threads, and hand back the `pow=` solution for
//! the socket's handshake. Solve times go into the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::ctx::Ctx;

/// The solution to present for fan `session` on target `url`, or `None` when the
/// event asks no proof of work, fans are told not to solve (`--no-pow-solve`), or the
/// challenge could not be had (counted as `pow_challenge_failed`).
pub async fn solution(ctx: &Arc<Ctx>, url: usize, session: &str) -> Option<String> {
    if ctx.pow_difficulty == 0 || !ctx.pow_solve {
        return None;
    }
    let path = format!(
        "{}/api/v1/events/{}/challenge",
        ctx.targets[url].base, ctx.event
    );
    let reply = ctx
        .http
        .send(
            Method::POST,
            &path,
            Some(session),
            None,
            Duration::from_secs(30),
        )
        .await;
    let body = match reply {
        Ok(reply) if reply.ok() => reply.body,
        Ok(reply) => {
            ctx.tally.http_error(reply.status, &reply.code(), false);
            return None;
        }
        Err(_) => {
            ctx.tally.error("pow_challenge_failed", false);
            return None;
        }
    };
    let challenge = body["challenge"].as_str()?.to_owned();
    let bits = u8::try_from(body["difficulty"].as_u64()?).ok()?;
    let started = Instant::now();
    let (solved, _hashes) =
        tokio::task::spawn_blocking(move || waiting_room::pow::solve(&challenge, bits))
            .await
            .ok()?;
    let took_ms = started.elapsed().as_millis() as u64;
    ctx.tally
        .hists
        .lock()
        .expect("not poisoned")
        .pow_solve_ms
        .record(took_ms);
    Some(solved)
}

/// Solve times at each difficulty `from..=to`: a Markdown table of the median over
/// `runs` random challenges, and the hash rate over all of them (`loadgen pow-bench`).
pub fn bench(from: u8, to: u8, runs: u32) -> String {
    let mut out = format!(
        "| bits | expected hashes | median ms ({runs} runs) | hashes/s |\n|---:|---:|---:|---:|\n"
    );
    for bits in from..=to.min(waiting_room::pow::MAX_DIFFICULTY) {
        let mut times = Vec::new();
        let (mut hashes, mut total) = (0u64, 0.0f64);
        for run in 0..runs.max(1) {
            let challenge = format!("bench-{bits}-{run}-{:x}", rand::random::<u64>());
            let started = Instant::now();
            let (_, tried) = waiting_room::pow::solve(&challenge, bits);
            let secs = started.elapsed().as_secs_f64();
            times.push(secs * 1000.0);
            hashes += tried;
            total += secs;
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let rate = hashes as f64 / total.max(1e-9);
        out.push_str(&format!(
            "| {bits} | {} | {median:.1} | {rate:.0} |\n",
            1u64 << bits
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bench_prints_one_row_per_difficulty() {
        let table = super::bench(1, 3, 1);
        assert_eq!(table.lines().count(), 2 + 3, "{table}");
        assert!(
            table.lines().nth(2).unwrap().starts_with("| 1 | 2 |"),
            "{table}"
        );
    }
}
