//! Whether one Redis is there at all, told apart from whether it is busy.
//!
//! A store call waits for its answer as long as Redis is alive, however busy it is: a
//! busy Redis (a crowd's joins queued behind each other on one multiplexed connection,
//! or a machine whose cores are all taken) must slow the crowd down, not fail it. What
//! must fail quickly is a Redis that is gone. A refused or reset connection fails a
//! call at once by itself; a Redis that hangs (stopped, or a network that drops
//! packets) answers nothing, and that is what this probe finds: a `PING` on a
//! connection of its own every [`PROBE_EVERY`]. Redis answers a `PING` on its own
//! connection in its next event-loop turn, whatever the backlog of the main
//! connection, so a probe that goes unanswered [`PROBE_MISSES`] times in a row (each
//! within [`PROBE_TIMEOUT`]) means Redis is gone, not slow. Then every call waiting on
//! the main connection fails as `Unavailable` (503) at once, and calls made while it
//! is down are bounded by [`PROBE_TIMEOUT`]; the first answered probe brings it back.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

/// How often the probe pings Redis.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long one probe waits for its `PONG`.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(2000);
/// Unanswered probes in a row that make Redis "down".
pub const PROBE_MISSES: u32 = 2;

/// A handle on the probe's verdict; the probe runs until the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Health {
    up: watch::Receiver<bool>,
}

impl Health {
    /// Starts probing the Redis `client` points at (on a connection of its own).
    pub(crate) fn start(client: redis::Client) -> Self {
        let (tx, up) = watch::channel(true);
        tokio::spawn(probe(client, tx));
        Self { up }
    }

    /// Whether the last verdict was "up".
    pub(crate) fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Resolves when the probe finds Redis gone (never, while it is up).
    pub(crate) async fn gone(&self) {
        let mut up = self.up.clone();
        if up.wait_for(|up| !*up).await.is_err() {
            // The probe ended (it only does when every handle is gone): no verdict.
            std::future::pending::<()>().await;
        }
    }
}

/// The probe's loop: one `PING` every [`PROBE_EVERY`], the verdict on `tx`.
async fn probe(client: redis::Client, tx: watch::Sender<bool>) {
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(PROBE_TIMEOUT)
        .set_response_timeout(PROBE_TIMEOUT);
    let mut conn: Option<ConnectionManager> = None;
    let mut misses = 0;
    loop {
        let answered = ping(&client, &config, &mut conn).await;
        misses = if answered { 0 } else { misses + 1 };
        let up = misses < PROBE_MISSES;
        tx.send_if_modified(|was| {
            if *was != up {
                if up {
                    tracing::info!("redis answers its health probe again");
                } else {
                    tracing::warn!(
                        misses,
                        "redis does not answer its health probe; store calls fail until it does"
                    );
                }
                *was = up;
                true
            } else {
                false
            }
        });
        tokio::select! {
            _ = tx.closed() => return,
            _ = tokio::time::sleep(PROBE_EVERY) => {}
        }
    }
}

/// One probe: whether Redis answered `PING` within [`PROBE_TIMEOUT`] (connecting
/// first if there is no connection yet).
async fn ping(
    client: &redis::Client,
    config: &ConnectionManagerConfig,
    conn: &mut Option<ConnectionManager>,
) -> bool {
    let attempt = async {
        if conn.is_none() {
            *conn = Some(ConnectionManager::new_with_config(client.clone(), config.clone()).await?);
        }
        let c = conn.as_mut().expect("connected just above");
        redis::cmd("PING").query_async::<String>(c).await
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, attempt).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests;
