//! The delivery worker: every replica runs one. It claims due deliveries under a lease
//! (so replicas never send one twice at once, and a dead worker's lease lapses), POSTs
//! each signed, records the attempt, and schedules a retry with exponential back-off
//! and jitter until a day has passed; then the delivery is marked failed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::{guard, signing, Webhooks};
use crate::db::{AttemptOutcome, DeliveryRow, EndpointRow};

/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Deliveries claimed per look.
const BATCH: u32 = 32;
/// Deliveries sent at once by one worker.
const CONCURRENT: usize = 8;
/// Looks between two reloads of the endpoints (changes made on other replicas).
const RELOAD_EVERY: u32 = 5;
/// Kept of a receiver's error text.
const MAX_ERROR_CHARS: usize = 300;

/// Starts the worker; it stops when `stop` is cancelled.
pub fn spawn(hooks: Arc<Webhooks>, stop: CancellationToken) {
    tokio::spawn(async move {
        let client = match guard::client(hooks.allow_private, hooks.pacing.timeout) {
            Ok(c) => c,
            Err(error) => {
                tracing::error!(%error, "the webhook client could not be built; no deliveries");
                return;
            }
        };
        let mut looks = 0u32;
        loop {
            if looks.is_multiple_of(RELOAD_EVERY) {
                if let Err(error) = hooks.reload().await {
                    tracing::warn!(%error, "reading webhook endpoints failed");
                }
            }
            looks = looks.wrapping_add(1);
            let sent = match run_once(&hooks, &client).await {
                Ok(n) => n,
                Err(error) => {
                    tracing::warn!(%error, "claiming webhook deliveries failed");
                    0
                }
            };
            if sent >= BATCH as usize && !stop.is_cancelled() {
                continue; // more may be due
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = hooks.woken() => {}
                _ = tokio::time::sleep(hooks.pacing.poll) => {}
            }
        }
    });
}

/// Claims and sends the deliveries due now; answers how many it claimed.
pub async fn run_once(hooks: &Webhooks, client: &reqwest::Client) -> Result<usize, sqlx::Error> {
    let now = hooks.clock().now_ms();
    let lease_ms = i64::try_from(hooks.pacing.timeout.as_millis()).unwrap_or(i64::MAX / 4) + 30_000;
    let lease_until = now + lease_ms;
    let due = hooks
        .db()
        .claim_webhook_deliveries(now, lease_until, BATCH)
        .await?;
    let n = due.len();
    if n == 0 {
        return Ok(0);
    }
    if due
        .iter()
        .any(|d| !hooks.endpoints().iter().any(|e| e.id == d.endpoint_id))
    {
        let _ = hooks.reload().await;
    }
    let endpoints = hooks.endpoints();
    futures_util::stream::iter(due)
        .for_each_concurrent(CONCURRENT, |d| {
            let endpoint = endpoints.iter().find(|e| e.id == d.endpoint_id).cloned();
            async move {
                let outcome = attempt(hooks, client, endpoint.as_ref(), &d).await;
                match hooks.db().record_webhook_attempt(&d.id, lease_until, &outcome).await {
                    Ok(true) => {}
                    Ok(false) => tracing::debug!(delivery = %d.id, "webhook delivery's lease lost or endpoint deleted"),
                    Err(error) => tracing::warn!(%error, delivery = %d.id, "recording a webhook attempt failed"),
                }
            }
        })
        .await;
    Ok(n)
}

/// One attempt at `d` to `endpoint`.
async fn attempt(
    hooks: &Webhooks,
    client: &reqwest::Client,
    endpoint: Option<&EndpointRow>,
    d: &DeliveryRow,
) -> AttemptOutcome {
    let started = Instant::now();
    let at_ms = hooks.clock().now_ms();
    let result = match endpoint {
        None => Err("the endpoint was deleted".to_owned()),
        Some(e) => send(hooks, client, e, d, at_ms).await,
    };
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match result {
        Ok(code) if (200..300).contains(&code) => {
            return AttemptOutcome {
                at_ms,
                status_code: Some(code),
                error: None,
                duration_ms,
                status: "delivered",
                next_attempt_at_ms: at_ms,
            }
        }
        Ok(code) => (Some(code), Some(format!("the receiver answered {code}"))),
        Err(error) => (None, Some(error)),
    };
    let delay = backoff(hooks.pacing.retry_base, d.attempts, &mut rand::thread_rng());
    let next = at_ms.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4));
    let (status, next) = if next > d.give_up_at_ms {
        ("failed", at_ms)
    } else {
        ("pending", next)
    };
    if status == "failed" {
        tracing::warn!(delivery = %d.id, endpoint = %d.endpoint_id, "webhook delivery failed for a day; giving up");
    }
    AttemptOutcome {
        at_ms,
        status_code,
        error,
        duration_ms,
        status,
        next_attempt_at_ms: next,
    }
}

/// POSTs the delivery; answers the status code, or why there was none.
async fn send(
    hooks: &Webhooks,
    client: &reqwest::Client,
    e: &EndpointRow,
    d: &DeliveryRow,
    at_ms: i64,
) -> Result<u16, String> {
    // A literal address skips the resolver: checked here (names are checked there).
    let url = guard::parse_url(&e.url, hooks.allow_private).map_err(|e| e.to_string())?;
    let ts = at_ms.div_euclid(1000);
    let signature = signing::sign(&e.secret, &d.message_id, ts, &d.payload)
        .ok_or("the endpoint's secret is unreadable")?;
    let answer = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.message_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(answer.status().as_u16())
}

/// An HTTP client error with its causes, shortened.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.chars().take(MAX_ERROR_CHARS).collect()
}

/// The wait before the next attempt after `attempts` failed ones: `base` doubled per
/// attempt, capped at [`MAX_BACKOFF`], plus up to a quarter more at random (so
/// deliveries that failed together do not retry together).
pub fn backoff(base: Duration, attempts: i64, rng: &mut impl Rng) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let plain = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_BACKOFF);
    plain + plain.mul_f64(rng.gen_range(0.0..0.25))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn back_off_doubles_with_jitter_and_is_capped() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let base = Duration::from_secs(5);
        for (attempts, plain) in [(0, 5), (1, 10), (2, 20), (3, 40), (12, 3600), (40, 3600)] {
            let d = backoff(base, attempts, &mut rng);
            let plain = Duration::from_secs(plain);
            assert!(d >= plain && d < plain.mul_f64(1.25), "{attempts}: {d:?}");
        }
    }
}
