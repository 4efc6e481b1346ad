//! The connection to Redis shared by the queue and seat stores: a managed,
//! auto-reconnecting connection to one Redis, or a cluster connection to a Redis
//! Cluster (chosen by the URL's scheme, see [`RedisConn`]), with bounded waits, and
//! script loading and running.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, Script, ScriptInvocation, Value};

use super::decode::store_err;
use super::health::{Health, PROBE_TIMEOUT};
use super::keys;
use crate::store::StoreError;

/// The URL scheme that selects the cluster client:
/// `redis+cluster://[user:password@]host:port,host:port,...` (seed nodes; the
/// credentials, if any, apply to every node).
pub const CLUSTER_SCHEME: &str = "redis+cluster://";

/// A connection to Redis: one server or a Redis Cluster. Both are cheap to clone
/// (clones share one multiplexed connection per server) and both reconnect by
/// themselves. The cluster connection routes each command and `EVALSHA` by its first
/// key (every key of a call shares the event's hash tag, so one slot), follows
/// MOVED/ASK, refreshes its slot map after a failover, retries CLUSTERDOWN, TRYAGAIN
/// and refused connections with back-off ([`cluster_retries`]), and loads scripts
/// on every master when a node answers NOSCRIPT. One server is watched by a health
/// probe ([`Health`]): its calls wait as long as it is alive, however busy.
#[derive(Clone)]
pub struct RedisConn {
    link: Link,
    /// The probe of a single server (`None` on a cluster, see [`RedisConn::bounded`]).
    health: Option<Health>,
}

#[derive(Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "the single-node connection stays inline: every call clones it, and a box would add an allocation per call"
)]
enum Link {
    /// One Redis server (`redis://…`).
    Single(ConnectionManager),
    /// A Redis Cluster (`redis+cluster://…`).
    Cluster(ClusterConnection),
}

impl RedisConn {
    /// Whether this is a cluster connection.
    pub fn is_cluster(&self) -> bool {
        matches!(self.link, Link::Cluster(_))
    }

    /// Runs one Redis call, failing it as [`StoreError::Unavailable`] when Redis is
    /// gone, not when it is busy.
    ///
    /// On one server, a call waits up to [`BUSY_CALL_LIMIT`] while the health probe
    /// hears Redis, and fails at once when the probe stops hearing it; while the probe
    /// says it is gone, a call is bounded by [`PROBE_TIMEOUT`] (and a refused
    /// connection fails at once). On a cluster a call is bounded by [`CALL_TIMEOUT`]:
    /// the cluster client's own retries and slot refreshes ride on its per-command
    /// response timeout, and one node's probe would say nothing of the others.
    pub(crate) async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let Some(health) = &self.health else {
            return within(CALL_TIMEOUT, call).await;
        };
        if !health.is_up() {
            return within(PROBE_TIMEOUT, call).await;
        }
        tokio::select! {
            result = within(BUSY_CALL_LIMIT, call) => result,
            () = health.gone() => Err(StoreError::Unavailable(
                "redis stopped answering its health probe".into(),
            )),
        }
    }

    /// `PING`, bounded by [`CALL_TIMEOUT`] whatever the probe says (readiness asks
    /// whether Redis answers now). On a cluster, one node (at random) answers: the
    /// cluster client would ask every master, turning one shard's failover into every
    /// replica's `/readyz` failing.
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        let ping = redis::cmd("PING");
        match self.link.clone() {
            Link::Cluster(mut c) => within(
                CALL_TIMEOUT,
                c.route_command(
                    &ping,
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
                ),
            )
            .await
            .map(drop),
            Link::Single(mut c) => within(CALL_TIMEOUT, ping.query_async::<String>(&mut c))
                .await
                .map(drop),
        }
    }
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.link {
            Link::Single(c) => c.req_packed_command(cmd),
            Link::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.link {
            Link::Single(c) => c.req_packed_commands(cmd, offset, count),
            Link::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.link {
            Link::Single(c) => c.get_db(),
            Link::Cluster(c) => c.get_db(),
        }
    }
}

/// Opens a connection to `url` for keys starting with `prefix`, which must not
/// contain braces (they would break the hash tags): a managed (auto-reconnecting)
/// connection for `redis://…`, a cluster connection for [`CLUSTER_SCHEME`].
pub(crate) async fn open_connection(url: &str, prefix: &str) -> Result<RedisConn, StoreError> {
    if !keys::valid_prefix(prefix) {
        return Err(StoreError::Backend(
            format!("invalid redis key prefix {prefix:?}").into(),
        ));
    }
    if let Some(seeds) = cluster_seeds(url)? {
        let client = cluster_retries(ClusterClientBuilder::new(seeds))
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .build()
            .map_err(store_err)?;
        let conn = within(CALL_TIMEOUT, client.get_async_connection()).await?;
        return Ok(RedisConn {
            link: Link::Cluster(conn),
            health: None,
        });
    }
    let client = redis::Client::open(url).map_err(store_err)?;
    let conn = ConnectionManager::new_with_config(client.clone(), connection_config())
        .await
        .map_err(store_err)?;
    Ok(RedisConn {
        link: Link::Single(conn),
        health: Some(Health::start(client)),
    })
}

/// The seed nodes' URLs of a [`CLUSTER_SCHEME`] URL, or `None` for any other URL.
pub(crate) fn cluster_seeds(url: &str) -> Result<Option<Vec<String>>, StoreError> {
    let Some(rest) = url.strip_prefix(CLUSTER_SCHEME) else {
        return Ok(None);
    };
    let rest = rest.split_once('/').map_or(rest, |(hosts, _)| hosts);
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((auth, hosts)) => (format!("{auth}@"), hosts),
        None => (String::new(), rest),
    };
    let seeds: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| format!("redis://{auth}{h}"))
        .collect();
    if seeds.is_empty() {
        return Err(StoreError::Backend(
            format!("no seed nodes in the redis cluster URL (expected {CLUSTER_SCHEME}host:port,host:port,...)")
                .into(),
        ));
    }
    Ok(Some(seeds))
}

/// How the cluster client retries while the cluster re-forms (a failover, a node
/// down, CLUSTERDOWN, TRYAGAIN, a refused connection; MOVED and ASK are followed at
/// once): up to 8 retries, waiting a random 20 ms to min(25 ms × 2^n, 500 ms) before
/// retry n, about 2 s in the worst case, all within [`CALL_TIMEOUT`]. A call still
/// failing then is [`StoreError::Unavailable`] (503 `unavailable`, retryable).
fn cluster_retries(builder: ClusterClientBuilder) -> ClusterClientBuilder {
    builder
        .retries(8)
        .min_retry_wait(20)
        .max_retry_wait(500)
        .retry_wait_formula(25, 2)
}

/// How long connecting to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one Redis Cluster node may take to answer one command (or script)
/// before the cluster client retries it.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(3000);
/// The bound on a whole call to a Redis Cluster, on connecting, and on readiness
/// pings.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(4000);
/// The bound on a call to one Redis that its health probe still hears: a busy Redis
/// slows calls down rather than failing them, and this only keeps a call from
/// outliving the HTTP request timeout (30 s), so a client hears 503 `unavailable`
/// rather than 408.
pub const BUSY_CALL_LIMIT: Duration = Duration::from_secs(20);

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
        .set_response_timeout(BUSY_CALL_LIMIT)
}

/// Runs one Redis call within `limit`; a timeout or a lost connection is
/// [`StoreError::Unavailable`].
async fn within<T>(
    limit: Duration,
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.map_err(store_err),
        Err(_) => Err(StoreError::Unavailable(
            format!("no answer from redis within {limit:?}").into(),
        )),
    }
}

/// Loads scripts up front so a broken one fails fast; later calls use EVALSHA
/// (reloading a script the server forgot).
pub(crate) async fn load_scripts(
    conn: &mut RedisConn,
    scripts: &[&Script],
) -> Result<(), StoreError> {
    for script in scripts {
        let mut link = conn.clone();
        conn.bounded(script.prepare_invoke().load_async(&mut link))
            .await?;
    }
    Ok(())
}

/// Runs one script invocation.
pub(crate) async fn run_script<T: FromRedisValue>(
    conn: &RedisConn,
    inv: &ScriptInvocation<'_>,
) -> Result<T, StoreError> {
    conn.bounded(inv.invoke_async(&mut conn.clone())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_list_their_seed_nodes() {
        assert_eq!(cluster_seeds("redis://127.0.0.1:6379").unwrap(), None);
        assert_eq!(
            cluster_seeds("redis+cluster://10.0.0.1:7000,10.0.0.2:7001").unwrap(),
            Some(vec![
                "redis://10.0.0.1:7000".to_owned(),
                "redis://10.0.0.2:7001".to_owned()
            ])
        );
        assert_eq!(
            cluster_seeds("redis+cluster://user:p%40ss@a:1, b:2/").unwrap(),
            Some(vec![
                "redis://user:p%40ss@a:1".to_owned(),
                "redis://user:p%40ss@b:2".to_owned()
            ])
        );
        assert!(cluster_seeds("redis+cluster://").is_err());
        assert!(cluster_seeds("redis+cluster://,").is_err());
    }
}
