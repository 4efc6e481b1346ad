//! Group commit of orders on PostgreSQL. Confirms that arrive together are written
//! together: a few writer tasks each take every order waiting in the queue (up to
//! [`MAX_BATCH`]) and write them in one transaction — one round trip per table and one
//! WAL flush for the lot — and each confirm is answered only after the transaction
//! holding its order committed. Under no load a batch is one order, as before.
//!
//! The guarantees are the single-order path's: the (event, seat) primary key refuses
//! a second sale, and `ON CONFLICT (hold_id) DO NOTHING` turns a repeated confirm into
//! a lookup of the order written the first time. When a batch fails as a whole (a seat
//! already sold, say) nothing of it is kept, and its orders are written one by one so
//! each gets its own answer.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::orders::{insert_order_seats, Order, SeatRow, Written};
use super::Db;

/// Batches in flight at once (each holds one pooled connection while it writes).
const WRITERS: usize = 4;
/// Most orders in one transaction.
pub(super) const MAX_BATCH: usize = 128;
/// Orders waiting for a writer before `write` waits for room.
const QUEUE: usize = 4096;

struct Job {
    order: Order,
    done: oneshot::Sender<Result<Written, sqlx::Error>>,
}

/// The handle confirms write through.
#[derive(Debug)]
pub(super) struct OrderBatcher {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("order", &self.order.id)
            .finish()
    }
}

impl OrderBatcher {
    /// Starts the writers on `db`, a handle that writes directly (no batcher of its
    /// own). They stop when the last `OrderBatcher` handle is dropped.
    pub(super) fn start(db: Db) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..WRITERS {
            tokio::spawn(writer(db.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Writes `order` with whatever else is waiting; returns once it is committed (or
    /// refused, or failed).
    pub(super) async fn write(&self, order: Order) -> Result<Written, sqlx::Error> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { order, done })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn writer(db: Db, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        write_batch(&db, batch).await;
    }
}

async fn write_batch(db: &Db, batch: Vec<Job>) {
    tracing::trace!(orders = batch.len(), "writing an order batch");
    if batch.len() > 1 {
        let orders: Vec<&Order> = batch.iter().map(|j| &j.order).collect();
        match db.insert_orders(&orders).await {
            Ok(created) => {
                for job in batch {
                    let result = if created.contains(&job.order.id) {
                        Ok(Written::Created(job.order))
                    } else {
                        // Its hold was confirmed before (ON CONFLICT skipped it).
                        one_by_one(db, &job.order).await
                    };
                    let _ = job.done.send(result);
                }
                return;
            }
            Err(error) => {
                tracing::debug!(%error, orders = batch.len(), "order batch refused; writing one by one");
            }
        }
    }
    for job in batch {
        let result = one_by_one(db, &job.order).await;
        let _ = job.done.send(result);
    }
}

async fn one_by_one(db: &Db, order: &Order) -> Result<Written, sqlx::Error> {
    db.write_order_direct(order).await
}

impl Db {
    /// Inserts `orders` and their seats in one transaction, skipping orders whose hold
    /// already has one; returns the ids inserted. Any other conflict (a seat sold)
    /// fails the whole transaction.
    async fn insert_orders(&self, orders: &[&Order]) -> Result<HashSet<String>, sqlx::Error> {
        use sqlx::Row;
        let mut tx = self.pool().begin().await?;
        let values: Vec<String> = (0..orders.len())
            .map(|i| {
                let p = 6 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms) \
             VALUES {} ON CONFLICT (hold_id) DO NOTHING RETURNING id",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for o in orders {
            q = q
                .bind(&o.id)
                .bind(o.event.to_string())
                .bind(o.user.to_string())
                .bind(&o.hold_id)
                .bind(o.total_cents)
                .bind(o.created_at_ms);
        }
        let created: HashSet<String> = q
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        let events: Vec<String> = orders.iter().map(|o| o.event.to_string()).collect();
        let rows: Vec<SeatRow> = orders
            .iter()
            .zip(&events)
            .filter(|(o, _)| created.contains(&o.id))
            .flat_map(|(o, event)| {
                o.seats
                    .iter()
                    .map(move |s| (event.as_str(), i64::from(*s), o.id.as_str()))
            })
            .collect();
        insert_order_seats(&mut tx, &rows).await?;
        tx.commit().await?;
        Ok(created)
    }
}
