//! Accounts.

use sqlx::any::AnyRow;
use sqlx::Row;
use waiting_room::UserId;

use super::Db;
use crate::metrics::DbOp;

/// The stored hash of accounts without a password: no argon2 hash parses as it, so
/// password sign-in always fails for them.
pub const NO_PASSWORD: &str = "!no-password";

/// An account as stored.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    /// Sessions signed now carry it; bumped to end them all (see `end_all_sessions`).
    pub session_generation: i64,
}

/// Outcome of creating an account.
#[derive(Debug)]
pub enum Created {
    Ok(UserId),
    EmailTaken,
}

impl Db {
    /// Creates an account; the unique email constraint decides races.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
        now_ms: i64,
    ) -> Result<Created, sqlx::Error> {
        self.timed(DbOp::CreateUser, async {
            let id = UserId::new();
            let result = sqlx::query(
                "INSERT INTO users (id, email, password_hash, is_admin, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(email)
            .bind(password_hash)
            .bind(i64::from(is_admin))
            .bind(now_ms)
            .execute(self.pool())
            .await;
            match result {
                Ok(_) => Ok(Created::Ok(id)),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Created::EmailTaken),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Creates the bootstrap admin, or makes the existing account an admin with the
    /// configured password.
    pub async fn ensure_admin(
        &self,
        email: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, is_admin, created_at_ms) \
             VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (email) DO UPDATE SET is_admin = 1, password_hash = excluded.password_hash",
        )
        .bind(UserId::new().to_string())
        .bind(email)
        .bind(password_hash)
        .bind(now_ms)
        .execute(self.pool())
        .await
        .map(|_| ())
    }

    /// Creates `emails.len()` accounts that cannot sign in with a password (load-test
    /// fans), in multi-row INSERTs; returns their ids in order.
    pub async fn create_passwordless_users(
        &self,
        emails: &[String],
        now_ms: i64,
    ) -> Result<Vec<UserId>, sqlx::Error> {
        let ids: Vec<UserId> = emails.iter().map(|_| UserId::new()).collect();
        let mut tx = self.pool().begin().await?;
        for (chunk_ids, chunk_emails) in ids.chunks(1_000).zip(emails.chunks(1_000)) {
            let values: Vec<String> = (0..chunk_ids.len())
                .map(|i| {
                    format!(
                        "(${}, ${}, '{NO_PASSWORD}', 0, ${})",
                        3 * i + 1,
                        3 * i + 2,
                        3 * i + 3
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO users (id, email, password_hash, is_admin, created_at_ms) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (id, email) in chunk_ids.iter().zip(chunk_emails) {
                q = q.bind(id.to_string()).bind(email.as_str()).bind(now_ms);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
        self.timed(DbOp::UserByEmail, async {
            let row = sqlx::query(
                "SELECT id, email, password_hash, is_admin, session_generation FROM users \
                 WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
        self.timed(DbOp::UserById, async {
            let row = sqlx::query(
                "SELECT id, email, password_hash, is_admin, session_generation FROM users \
                     WHERE id = $1",
            )
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }
}

fn user_from_row(r: &AnyRow) -> Result<UserRow, sqlx::Error> {
    let id: String = r.try_get("id")?;
    Ok(UserRow {
        id: id.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
        session_generation: r.try_get("session_generation")?,
    })
}
