//! The system of record: accounts, events with their seats, and orders, through
//! sqlx's Any driver so one set of queries serves the embedded SQLite file and
//! PostgreSQL. Queries use `$n` placeholders, which both backends accept.

mod audit;
mod autotune;
mod batch_statement;
mod event_changes;
mod events;
mod fairness;
mod held_back;
mod ledger;
mod order_batch;
mod order_export;
mod order_rows;
mod order_search;
mod orders;
mod outbox;
mod presale;
mod queue_totals;
mod records;
mod refunds;
mod report;
mod seat_rows;
mod sessions;
mod staff;
mod users;
mod webhooks;

pub use audit::{
    settings_json, Actor, AdmissionChange, AdmissionNote, AuditAction, AuditEntry, NewAudit,
};
pub use autotune::{AutotuneRow, CheckoutFigureRow};
pub use event_changes::{Closing, Edit, SeatsInUse};
pub use events::EventRow;
pub use order_export::ExportRow;
pub use order_search::{FoundOrder, OrderQuery};
pub use presale::{CodeListing, GroupChange, GroupOp, NewCode, PresaleGroupRow, Redeem, Revoke};
pub use queue_totals::QueueTotals;
pub use records::{Order, OrderStatus, Refund, Written};
pub use refunds::{order_json, RefundRequest, Refunded};
pub use report::{MinuteSales, OrderTimes, OrderTotals, SectionSales};
pub use sessions::{RevocationRow, RevocationsSince};
pub use staff::{StaffChange, StaffMember};
pub use users::{Created, UserRow, NO_PASSWORD};
pub use webhooks::{
    AttemptOutcome, AttemptRow, DeliveryRow, EndpointRow, NewDelivery, SaleState, WebhookAuditRow,
    RETRY_FOR_MS,
};

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::metrics::{DbOp, DbTimes};
use crate::test_faults::TestFaults;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A cheap-to-clone handle on the database pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// Group commit of orders (PostgreSQL only).
    batcher: Option<std::sync::Arc<order_batch::OrderBatcher>>,
    backend: Backend,
    /// Where calls are timed, once [`Db::observe_with`] set it; shared by every clone
    /// (the group commit's writers too).
    observer: Arc<OnceLock<Arc<DbTimes>>>,
    /// The tests' faults (`FLOODGATE_TEST_FAULTS`), when turned on.
    faults: Option<Arc<TestFaults>>,
}

impl Db {
    /// The embedded database's URL inside `data_dir`.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("floodgate.db").display()
        )
    }

    /// Connects and runs the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("DATABASE_URL must start with postgres:// or sqlite:");
        };
        let options: AnyConnectOptions = url.parse().context("parsing DATABASE_URL")?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 32 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; FULL sync so a confirmed write
                        // survives a power cut; wait on locks instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("connecting to the database")?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.context("running migrations")?;
        let direct = Self {
            pool,
            backend,
            batcher: None,
            observer: Arc::default(),
            faults: None,
        };
        let batcher = (backend == Backend::Postgres)
            .then(|| std::sync::Arc::new(order_batch::OrderBatcher::start(direct.clone())));
        Ok(Self { batcher, ..direct })
    }

    /// Times this handle's calls, and every clone's, into `times` (from now on; a
    /// second call changes nothing).
    pub fn observe_with(&self, times: Arc<DbTimes>) {
        let _ = self.observer.set(times);
    }

    /// This handle with the tests' `faults` in force (set before it is cloned: the
    /// clones made earlier keep none).
    pub fn with_test_faults(self, faults: Option<Arc<TestFaults>>) -> Self {
        Self { faults, ..self }
    }

    /// The tests' faults, when `FLOODGATE_TEST_FAULTS` turned them on: a test changes
    /// them at run time through this handle.
    pub fn test_faults(&self) -> Option<&Arc<TestFaults>> {
        self.faults.as_ref()
    }

    /// Runs `call`, timed as `op` when observed. A unique-constraint conflict is an
    /// answer the callers turn into one (an order that exists, a seat sold, an email
    /// taken), not a failure of the database, so it is not counted as an error.
    async fn timed<T>(
        &self,
        op: DbOp,
        call: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        if let Some(faults) = &self.faults {
            let delay = faults.db_write_delay();
            if op.writes() && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        let Some(times) = self.observer.get() else {
            return call.await;
        };
        let started = Instant::now();
        let result = call.await;
        let failed = match &result {
            Ok(_) => false,
            Err(sqlx::Error::Database(e)) => !e.is_unique_violation(),
            Err(_) => true,
        };
        times.observe(op, started.elapsed(), failed);
        result
    }

    /// Records the size of one group-commit batch.
    fn observe_batch(&self, orders: usize) {
        if let Some(times) = self.observer.get() {
            times.batch(orders);
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.timed(DbOp::Ping, async {
            sqlx::query("SELECT 1")
                .execute(&self.pool)
                .await
                .map(|_| ())
        })
        .await
    }
}
