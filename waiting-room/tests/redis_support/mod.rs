//! What the room tests on a real Redis share: the test Redis' address, and Redis
//! losing every key under a prefix.

/// `FLOODGATE_TEST_REDIS_URL` (scripts/lib/services.sh); `None` skips the test, unless
/// `FLOODGATE_TEST_REQUIRE_SERVICES=1` makes a missing Redis a failure.
pub fn redis_url() -> Option<String> {
    let url = std::env::var("FLOODGATE_TEST_REDIS_URL").ok();
    assert!(
        url.is_some() || std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "FLOODGATE_TEST_REDIS_URL is required"
    );
    url
}

/// Deletes every key under `prefix` (its events' hash tags): what a Redis that restarts
/// empty loses, or a test's cleanup. Returns the keys it deleted.
pub async fn lose_prefix(
    conn: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> Vec<String> {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL")
            .arg(&keys)
            .query_async(conn)
            .await
            .unwrap();
    }
    keys
}
