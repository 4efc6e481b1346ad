//! Revoked sessions (see `migrations/*/0006_session_revocations.sql` and
//! [`crate::revocations`]): one row per signed-out session, one per account whose
//! sessions all ended (a bumped `session_generation`), read back by every replica's
//! poller as the rows changed since its last look, by the database's clock.

use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::UserId;

use super::{Backend, Db};

/// One revocation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationRow {
    pub user: UserId,
    /// One session; `None`: every session of `user` below `below_generation`.
    pub sid: Option<String>,
    pub below_generation: i64,
    /// When the sessions it ends would have expired anyway, Unix ms.
    pub expires_at_ms: i64,
}

/// What one look at the revocations found.
#[derive(Debug)]
pub struct RevocationsSince {
    /// The database's clock when the look began: the next look's `since`.
    pub db_now_ms: i64,
    pub rows: Vec<RevocationRow>,
}

impl Db {
    /// Unix ms by the database's clock, as SQL.
    fn db_now_sql(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        }
    }

    /// Lists one session as ended (a second call for the same `sid` changes nothing).
    pub async fn revoke_session(
        &self,
        user: UserId,
        sid: &str,
        expires_at_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO session_revocations \
             (user_id, sid, below_generation, expires_at_ms, changed_at_ms) \
             VALUES ($1, $2, 0, $3, {}) ON CONFLICT (sid) DO NOTHING",
            self.db_now_sql()
        );
        sqlx::query(&sql)
            .bind(user.to_string())
            .bind(sid)
            .bind(expires_at_ms)
            .execute(self.pool())
            .await
            .map(|_| ())
    }

    /// Ends every session of `user`: bumps its generation (and, with `new_hash`, sets
    /// its password in the same transaction) and lists the account. Answers the new
    /// generation, which sessions signed from now on carry; `None` for no such account.
    pub async fn end_all_sessions(
        &self,
        user: UserId,
        new_hash: Option<&str>,
        expires_at_ms: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let bumped = match new_hash {
            Some(hash) => sqlx::query(
                "UPDATE users SET password_hash = $2, session_generation = session_generation + 1 \
                 WHERE id = $1 RETURNING session_generation",
            )
            .bind(user.to_string())
            .bind(hash),
            None => sqlx::query(
                "UPDATE users SET session_generation = session_generation + 1 \
                 WHERE id = $1 RETURNING session_generation",
            )
            .bind(user.to_string()),
        }
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = bumped else {
            return Ok(None);
        };
        let generation: i64 = row.try_get("session_generation")?;
        let sql = format!(
            "INSERT INTO session_revocations \
             (user_id, sid, below_generation, expires_at_ms, changed_at_ms) \
             VALUES ($1, NULL, $2, $3, {})",
            self.db_now_sql()
        );
        sqlx::query(&sql)
            .bind(user.to_string())
            .bind(generation)
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(generation))
    }

    /// The revocations changed after `since_db_ms` (every one with `None`) that still
    /// matter at `now_ms`.
    pub async fn revocations_since(
        &self,
        since_db_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<RevocationsSince, sqlx::Error> {
        let now_row = sqlx::query(&format!("SELECT {} AS now_ms", self.db_now_sql()))
            .fetch_one(self.pool())
            .await?;
        let db_now_ms: i64 = now_row.try_get("now_ms")?;
        let rows = sqlx::query(
            "SELECT user_id, sid, below_generation, expires_at_ms FROM session_revocations \
             WHERE changed_at_ms > $1 AND expires_at_ms > $2",
        )
        .bind(since_db_ms.unwrap_or(i64::MIN))
        .bind(now_ms)
        .fetch_all(self.pool())
        .await?;
        let rows = rows
            .iter()
            .map(revocation_from_row)
            .collect::<Result<_, _>>()?;
        Ok(RevocationsSince { db_now_ms, rows })
    }

    /// Deletes the revocations whose sessions have all expired by `now_ms`.
    pub async fn prune_revocations(&self, now_ms: i64) -> Result<u64, sqlx::Error> {
        sqlx::query("DELETE FROM session_revocations WHERE expires_at_ms <= $1")
            .bind(now_ms)
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
    }
}

fn revocation_from_row(r: &AnyRow) -> Result<RevocationRow, sqlx::Error> {
    let user: String = r.try_get("user_id")?;
    Ok(RevocationRow {
        user: user.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        sid: r.try_get("sid")?,
        below_generation: r.try_get("below_generation")?,
        expires_at_ms: r.try_get("expires_at_ms")?,
    })
}
