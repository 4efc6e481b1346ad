//! A bounded pool for argon2: a fixed number of worker threads, each reusing one
//! memory buffer from run to run, fed from a short queue that is fair across clients.
//!
//! Why not tokio's blocking pool: it grows to 512 threads, each argon2 run allocates
//! its memory cost (19 MiB by default) afresh, and glibc, once a freed chunk that
//! large raises its mmap threshold, serves the next ones from arenas it keeps: a
//! login flood took gigabytes and kept them. Here at most `threads` runs are under
//! way, each in its worker's own buffer (allocated on its first run and kept), so the
//! memory argon2 holds is `threads × memory cost`, whatever the load.
//!
//! Beyond the workers, at most `queue` runs wait; a full queue refuses
//! ([`Busy::Full`], a 503 with `Retry-After`). One client (an address, see
//! [`crate::limits::client_key`]) has at most `per_client` runs waiting or running
//! ([`Busy::TooManyFromClient`], a 429); the workers take the waiting runs in turn per
//! client, not first come first served; and a client with nothing waiting may take the
//! place of the newest run of the client with the most waiting, so one flooding
//! address cannot keep everyone else out. A run whose caller has gone (the request
//! was dropped) is skipped.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use argon2::Block;
use tokio::sync::oneshot;

/// Who asked for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Requester {
    /// A client, by its address key: counted against its share of the queue.
    Client(IpAddr),
    /// The server itself (start-up, the bootstrap admin): never refused.
    Server,
}

/// Why a run was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    /// Every worker is busy and the queue is full.
    #[error("too many password checks are waiting; retry shortly")]
    Full,
    /// This client already has its share of runs waiting or running.
    #[error("too many password checks from this address at once; retry shortly")]
    TooManyFromClient,
}

/// The pool's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSize {
    /// Worker threads: the most argon2 runs at once.
    pub threads: usize,
    /// The most runs waiting for a worker.
    pub queue: usize,
    /// The most runs one client has waiting or running.
    pub per_client: usize,
}

/// A handle on the pool; the workers stop when the last handle is dropped.
#[derive(Clone)]
pub struct ArgonPool(Arc<Handle>);

struct Handle(Arc<Shared>);

impl Drop for Handle {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.closed = true;
        // Waiting runs are dropped: their callers see `Busy::Full`.
        queue.waiting.clear();
        queue.turns.clear();
        drop(queue);
        self.0.work.notify_all();
    }
}

/// A `std` mutex: held for a queue update, never across `.await` or a run.
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One run: it is handed its worker's buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

impl ArgonPool {
    /// Starts `size.threads` workers (at least one); each keeps a buffer of
    /// `keep_blocks` blocks between runs (a run that needs more grows it for the run).
    pub fn new(size: PoolSize, keep_blocks: usize) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                waiting: HashMap::new(),
                turns: VecDeque::new(),
                in_flight: HashMap::new(),
                len: 0,
                capacity: size.queue,
                per_client: size.per_client.max(1),
                closed: false,
            }),
            work: Condvar::new(),
        });
        for i in 0..size.threads.max(1) {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(&shared, keep_blocks))
                .expect("spawning an argon2 worker thread");
        }
        Self(Arc::new(Handle(shared)))
    }

    /// Runs `work` on a worker once one is free, or refuses at once when `who` has
    /// its share or the queue is full.
    pub async fn run<T, F>(&self, who: Requester, work: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |blocks| {
            if tx.is_closed() {
                return; // the request is gone: save the work
            }
            let _ = tx.send(work(blocks));
        });
        self.0 .0.lock().push(who, job)?;
        self.0 .0.work.notify_one();
        // Dropped unanswered: taken by another client's turn, the pool closing, or a
        // panic in `work` (logged by the worker).
        rx.await.map_err(|_| Busy::Full)
    }

    /// Runs waiting for a worker (for tests and metrics).
    pub fn waiting(&self) -> usize {
        self.0 .0.lock().len
    }
}

fn worker(shared: &Shared, keep_blocks: usize) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let (who, job) = {
            let mut queue = shared.lock();
            loop {
                if queue.closed {
                    return;
                }
                if let Some(next) = queue.pop() {
                    break next;
                }
                queue = shared.work.wait(queue).unwrap_or_else(|e| e.into_inner());
            }
        };
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut blocks))).is_err() {
            tracing::error!("an argon2 run panicked");
        }
        if blocks.len() > keep_blocks {
            // A hash made with a larger memory cost than today's: give that back.
            blocks.truncate(keep_blocks);
            blocks.shrink_to_fit();
        }
        shared.lock().finish(who);
    }
}

/// The waiting runs, per requester, and the order in which requesters take turns.
struct Queue {
    waiting: HashMap<Requester, VecDeque<Job>>,
    /// Requesters with a run waiting, each once, in turn order.
    turns: VecDeque<Requester>,
    /// Runs waiting or running, per requester.
    in_flight: HashMap<Requester, usize>,
    /// Runs waiting, all requesters together.
    len: usize,
    capacity: usize,
    per_client: usize,
    closed: bool,
}

impl Queue {
    fn push(&mut self, who: Requester, job: Job) -> Result<(), Busy> {
        if self.closed {
            return Err(Busy::Full);
        }
        if let Requester::Client(_) = who {
            if self.in_flight.get(&who).copied().unwrap_or(0) >= self.per_client {
                return Err(Busy::TooManyFromClient);
            }
            if self.len >= self.capacity && !self.evict_for(who) {
                return Err(Busy::Full);
            }
        }
        let runs = self.waiting.entry(who).or_default();
        if runs.is_empty() {
            self.turns.push_back(who);
        }
        runs.push_back(job);
        self.len += 1;
        *self.in_flight.entry(who).or_default() += 1;
        Ok(())
    }

    /// Makes room for `who` by dropping the newest waiting run of the client with the
    /// most waiting, if that is at least two more than `who` has: whether it did.
    fn evict_for(&mut self, who: Requester) -> bool {
        let mine = self.waiting.get(&who).map_or(0, VecDeque::len);
        let victim = self
            .waiting
            .iter()
            .filter(|(k, _)| **k != who && matches!(k, Requester::Client(_)))
            .max_by_key(|(_, runs)| runs.len())
            .map(|(k, runs)| (*k, runs.len()));
        let Some((victim, theirs)) = victim else {
            return false;
        };
        if theirs < mine + 2 {
            return false;
        }
        let runs = self.waiting.get_mut(&victim).expect("the victim has runs");
        drop(runs.pop_back()); // its caller sees `Busy::Full`
        if runs.is_empty() {
            self.waiting.remove(&victim);
            self.turns.retain(|k| *k != victim);
        }
        self.len -= 1;
        self.finish(victim);
        true
    }

    /// The next run: the first requester in turn gives one, and goes to the back.
    fn pop(&mut self) -> Option<(Requester, Job)> {
        let who = self.turns.pop_front()?;
        let runs = self
            .waiting
            .get_mut(&who)
            .expect("a requester in turn has runs");
        let job = runs.pop_front().expect("a requester in turn has runs");
        if runs.is_empty() {
            self.waiting.remove(&who);
        } else {
            self.turns.push_back(who);
        }
        self.len -= 1;
        Some((who, job))
    }

    fn finish(&mut self, who: Requester) {
        if let Some(n) = self.in_flight.get_mut(&who) {
            *n -= 1;
            if *n == 0 {
                self.in_flight.remove(&who);
            }
        }
    }
}

#[cfg(test)]
mod tests;
