//! The slowest Redis call of one step (issue 19: the opening's draw, whose one call
//! held Redis for seconds): Redis' slow log, emptied before the step and read after
//! it. Only calls over the log's threshold are kept (`scripts/lib/bench_line.sh`,
//! `LINE_SLOWLOG_US`).

use redis::aio::ConnectionLike;
use redis::Value;

/// Empties the slow log.
pub async fn reset<C: ConnectionLike>(conn: &mut C) -> redis::RedisResult<()> {
    redis::cmd("SLOWLOG").arg("RESET").query_async(conn).await
}

/// The longest call the slow log kept since [`reset`], in microseconds, and how many
/// it kept (`None`: none over the threshold).
pub async fn largest<C: ConnectionLike>(conn: &mut C) -> redis::RedisResult<Option<(u64, usize)>> {
    let entries: Vec<Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(100_000)
        .query_async(conn)
        .await?;
    let micros = entries.iter().filter_map(|entry| match entry {
        Value::Array(fields) => redis::from_redis_value::<u64>(fields.get(2)?).ok(),
        _ => None,
    });
    Ok(micros.max().map(|us| (us, entries.len())))
}

/// The note for a step's largest call.
pub fn note(largest: Option<(u64, usize)>) -> String {
    match largest {
        Some((us, n)) => format!(
            "largest Redis call {:.1} ms ({n} in the slow log)",
            us as f64 / 1000.0
        ),
        None => "no Redis call over the slow log's threshold".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::note;

    #[test]
    fn the_note_names_the_largest_call_or_none() {
        assert_eq!(
            note(Some((91_250, 3))),
            "largest Redis call 91.2 ms (3 in the slow log)"
        );
        assert_eq!(note(None), "no Redis call over the slow log's threshold");
    }
}
