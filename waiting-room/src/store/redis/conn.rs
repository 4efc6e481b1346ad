//! The connection to Redis shared by the queue and seat stores: a managed,
//! auto-reconnecting connection with bounded waits, and script loading and running.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, Script, ScriptInvocation};

use super::decode::store_err;
use super::keys;
use crate::store::StoreError;

/// Opens a managed (auto-reconnecting) connection to `url` for keys starting with
/// `prefix`, which must not contain braces (they would break the hash tags).
pub(crate) async fn open_connection(
    url: &str,
    prefix: &str,
) -> Result<ConnectionManager, StoreError> {
    if !keys::valid_prefix(prefix) {
        return Err(StoreError::Backend(
            format!("invalid redis key prefix {prefix:?}").into(),
        ));
    }
    let client = redis::Client::open(url).map_err(store_err)?;
    ConnectionManager::new_with_config(client, connection_config())
        .await
        .map_err(store_err)
}

/// How long connecting to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long Redis may take to answer one command (or script).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(3000);
/// The bound on a whole store call, whatever the connection manager does: a call
/// that waits on a reconnect plus its own command fails by then.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(4000);

/// The connection manager's settings. redis-rs' defaults retry a reconnect with a
/// backoff of 1 s, then `factor` (100) times that, capped at 60 s: every call waiting
/// on the reconnect stalled for one to two minutes after a Redis restart, and with
/// no response timeout a call could wait forever. Instead a reconnect is one attempt
/// (no retries, bounded by [`CONNECT_TIMEOUT`]): when it fails, the calls waiting on
/// it fail at once (503 to clients) and the next call starts a fresh attempt. The
/// rooms call the store every 100 ms, so a replica reconnects within about that long
/// of Redis coming back.
fn connection_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_exponent_base(2)
        .set_factor(2)
        .set_max_delay(200)
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(RESPONSE_TIMEOUT)
}

/// Runs one Redis call within [`CALL_TIMEOUT`]; a timeout or a lost connection is
/// [`StoreError::Unavailable`].
pub(crate) async fn bounded<T>(
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(result) => result.map_err(store_err),
        Err(_) => Err(StoreError::Unavailable(
            format!("no answer from redis within {CALL_TIMEOUT:?}").into(),
        )),
    }
}

/// Loads scripts up front so a broken one fails fast; later calls use EVALSHA
/// (reloading a script the server forgot).
pub(crate) async fn load_scripts(
    conn: &mut ConnectionManager,
    scripts: &[&Script],
) -> Result<(), StoreError> {
    for script in scripts {
        bounded(script.prepare_invoke().load_async(conn)).await?;
    }
    Ok(())
}

/// Runs one script invocation.
pub(crate) async fn run_script<T: FromRedisValue>(
    conn: &ConnectionManager,
    inv: &ScriptInvocation<'_>,
) -> Result<T, StoreError> {
    bounded(inv.invoke_async(&mut conn.clone())).await
}
