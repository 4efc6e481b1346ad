//! Group commit of orders on PostgreSQL. Confirms that arrive together are written
//! together: a few writer tasks each take every order waiting in the queue (up to
//! [`MAX_BATCH`]) and write them in one transaction — one statement for every table and one
//! WAL flush for the lot — and each confirm is answered only after the transaction
//! holding its order committed. Under no load a batch is one order, as before.
//!
//! The guarantees are the single-order path's: the (event, seat) primary key refuses
//! a second sale, and `ON CONFLICT (hold_id) DO NOTHING` turns a repeated confirm into
//! a lookup of the order written the first time. When a batch fails as a whole (a seat
//! already sold, say) nothing of it is kept, and its orders are written one by one so
//! each gets its own answer.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::records::{NewDelivery, Order, Written};

/// What the writers write through: a database handle that writes directly (no
/// batcher of its own). The database implements it (`orders`); this module knows
/// only the records.
pub(super) trait OrderWriter: Clone + Send + Sync + 'static {
    /// Inserts `orders` and their seats in one transaction, skipping orders whose
    /// hold already has one; returns the ids inserted. Any other conflict (a seat
    /// sold) fails the whole transaction.
    /// `outbox` holds each order's webhook deliveries (by position in `orders`),
    /// written in the same transaction for the orders inserted.
    fn write_batch(
        &self,
        orders: &[&Order],
        outbox: &[&[NewDelivery]],
    ) -> impl Future<Output = Result<HashSet<String>, sqlx::Error>> + Send;

    /// A writer took a batch of `orders` (for the batch-size histogram).
    fn batch_taken(&self, _orders: usize) {}

    /// Writes one order on its own (with its webhook deliveries).
    fn write_one(
        &self,
        order: &Order,
        outbox: &[NewDelivery],
    ) -> impl Future<Output = Result<Written, sqlx::Error>> + Send;
}

/// Batches in flight at once (each holds one pooled connection while it writes).
const WRITERS: usize = 4;
/// Most orders in one transaction.
pub(super) const MAX_BATCH: usize = 128;
/// Orders waiting for a writer before `write` waits for room.
const QUEUE: usize = 4096;

struct Job {
    order: Order,
    /// The order's webhook deliveries (empty when nobody listens).
    outbox: Vec<NewDelivery>,
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
    pub(super) fn start(db: impl OrderWriter) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..WRITERS {
            tokio::spawn(writer(db.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Writes `order` with whatever else is waiting; returns once it is committed (or
    /// refused, or failed).
    pub(super) async fn write(
        &self,
        order: Order,
        outbox: Vec<NewDelivery>,
    ) -> Result<Written, sqlx::Error> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                order,
                outbox,
                done,
            })
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn writer<W: OrderWriter>(db: W, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
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

async fn write_batch<W: OrderWriter>(db: &W, batch: Vec<Job>) {
    tracing::trace!(orders = batch.len(), "writing an order batch");
    db.batch_taken(batch.len());
    if batch.len() > 1 {
        let orders: Vec<&Order> = batch.iter().map(|j| &j.order).collect();
        let outbox: Vec<&[NewDelivery]> = batch.iter().map(|j| j.outbox.as_slice()).collect();
        match db.write_batch(&orders, &outbox).await {
            Ok(created) => {
                for job in batch {
                    let result = if created.contains(&job.order.id) {
                        Ok(Written::Created(job.order))
                    } else {
                        // Its hold was confirmed before (ON CONFLICT skipped it).
                        one_by_one(db, &job).await
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
        let result = one_by_one(db, &job).await;
        let _ = job.done.send(result);
    }
}

async fn one_by_one<W: OrderWriter>(db: &W, job: &Job) -> Result<Written, sqlx::Error> {
    db.write_one(&job.order, &job.outbox).await
}
