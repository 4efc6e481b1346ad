//! Purchase-token signatures checked in batches ([`Batcher`]): under a rush many holds
//! arrive within a millisecond, each with a token signed by the same key, and one
//! batch equation over n signatures of one key costs a fraction of n single checks
//! (`ed25519-zebra`'s batch verifier folds the key's n terms into one; see
//! `benches/signatures.rs` for the figures).
//!
//! One thread per key set ("token-batch", started at the first check) takes the
//! signatures the requests queue: woken by the first, it sleeps [`WINDOW`] while others
//! arrive (not when more than a batch was waiting already), takes up to [`MAX_BATCH`],
//! checks them together and answers each request. A check of a token not seen before
//! thus waits about half a millisecond longer, in exchange for a fraction of the CPU.
//!
//! What is accepted is what [`ed25519_dalek::VerifyingKey::verify_strict`] accepts,
//! with one difference that only the key's holder can use: a batch's equation is
//! cofactored (ZIP 215), so a signature whose `R` carries a small-order component may
//! pass in a batch where the strict check refuses it. Making such a signature for a
//! message needs the private key, as any signature does (the component changes `R`,
//! hence the hash, hence the whole equation), and the tokens are Floodgate's own, so a
//! batch accepts no token that nobody with the key signed; a signer's weak (small-order)
//! key is never batched. Only the bytes of a valid token could in theory differ, which
//! changes nothing: its claims, its `jti` and its single use are the same.
//!
//! A batch that fails says only that one signature in it is bad: each of its
//! signatures is then checked alone, strictly, so a forged token is refused and the
//! others in its batch pass. And since a batch that fails costs its checks twice, the
//! thread checks one signature at a time for [`SINGLE_AFTER_FAILURE`] after it, so a
//! stream of forged tokens costs what it cost before batching, not more.
//!
//! Bounded: at most [`QUEUE`] signatures wait; a request that finds the queue full, or
//! the thread gone, checks its signature itself, strictly.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures checked in one batch at most.
pub const MAX_BATCH: usize = 64;
/// How long the first signature of a batch waits for others.
pub const WINDOW: Duration = Duration::from_micros(500);
/// Signatures that may wait for the thread; more are checked by their requests.
pub const QUEUE: usize = 4096;
/// How often the thread logs its [`BatchStats`] (at debug level).
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// After a batch failed, signatures are checked one at a time for this long.
pub const SINGLE_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// One signature to check: under `key`, over `message`.
pub struct Check {
    pub key: VerifyingKey,
    pub message: Vec<u8>,
    pub signature: Signature,
}

/// What the batch thread has done, for tests and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Batches of two or more signatures checked together.
    pub batches: u64,
    /// Of those, batches that failed (their signatures then checked one by one).
    pub failed: u64,
    /// Signatures checked alone (a batch of one, a failed batch's, while batches rest).
    pub single: u64,
    /// Signatures in the batches of two or more.
    pub batched: u64,
}

/// The batch checker of one key set; see the module docs.
#[derive(Default)]
pub struct Batcher {
    queue: OnceLock<SyncSender<Job>>,
    stats: Arc<Mutex<BatchStats>>,
}

struct Job {
    check: Check,
    answer: tokio::sync::oneshot::Sender<bool>,
}

impl Batcher {
    /// Whether `check`'s signature is valid, checked in a batch with others when the
    /// thread takes it (see the module docs), else alone. `None` when the thread took
    /// it and died without answering (a panic): the caller checks it alone.
    pub async fn check(&self, check: Check) -> Option<bool> {
        if check.key.is_weak() {
            return Some(check_strict(&check));
        }
        let (answer, answered) = tokio::sync::oneshot::channel();
        match self.sender().try_send(Job { check, answer }) {
            Ok(()) => answered.await.ok(),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                Some(check_strict(&job.check))
            }
        }
    }

    /// What the thread has done so far.
    pub fn stats(&self) -> BatchStats {
        *lock(&self.stats)
    }

    fn sender(&self) -> &SyncSender<Job> {
        self.queue.get_or_init(|| {
            let (queue, jobs) = std::sync::mpsc::sync_channel(QUEUE);
            let stats = Arc::clone(&self.stats);
            let started = std::thread::Builder::new()
                .name("token-batch".into())
                .spawn(move || run(jobs, stats));
            if let Err(error) = started {
                // The queue's receiver is gone with the closure: every check runs alone.
                tracing::warn!(%error, "could not start the token batch thread; checking signatures one by one");
            }
            queue
        })
    }
}

/// The thread: until every sender is gone (the key set dropped), takes a batch, checks
/// it, answers.
fn run(jobs: Receiver<Job>, stats: Arc<Mutex<BatchStats>>) {
    let mut single_until: Option<Instant> = None;
    let mut backlog = false;
    let mut reported = Instant::now();
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        let resting = single_until.is_some_and(|until| Instant::now() < until);
        if !resting {
            // Asleep rather than in a timed receive: a sender wakes a receiver that
            // waits (a system call per signature), not one that sleeps.
            if !backlog {
                std::thread::sleep(WINDOW);
            }
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
        }
        backlog = batch.len() == MAX_BATCH;
        let checks: Vec<&Check> = batch.iter().map(|job| &job.check).collect();
        let (valid, outcome) = check_batch(&checks);
        {
            let mut s = lock(&stats);
            match outcome {
                Outcome::Single => s.single += 1,
                Outcome::Passed => {
                    s.batches += 1;
                    s.batched += checks.len() as u64;
                }
                Outcome::Failed => {
                    s.batches += 1;
                    s.batched += checks.len() as u64;
                    s.failed += 1;
                    s.single += checks.len() as u64;
                }
            }
        }
        if reported.elapsed() >= REPORT_EVERY {
            reported = Instant::now();
            let s = *lock(&stats);
            tracing::debug!(
                batches = s.batches,
                batched = s.batched,
                failed = s.failed,
                single = s.single,
                "purchase-token signature batches so far"
            );
        }
        if outcome == Outcome::Failed {
            single_until = Some(Instant::now() + SINGLE_AFTER_FAILURE);
        }
        for (job, valid) in batch.into_iter().zip(valid) {
            // The request may have gone (its client hung up): nothing to tell.
            let _ = job.answer.send(valid);
        }
    }
}

/// How [`check_batch`] decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// One signature, checked alone.
    Single,
    /// Two or more, all valid in one batch equation.
    Passed,
    /// The batch equation failed: each signature was then checked alone.
    Failed,
}

/// Whether each of `checks` is valid: alone for one, else in one batch and, if that
/// fails, each alone (strictly), so only the bad ones are refused.
pub fn check_batch(checks: &[&Check]) -> (Vec<bool>, Outcome) {
    if let [one] = checks {
        return (vec![check_strict(one)], Outcome::Single);
    }
    let mut batch = ed25519_zebra::batch::Verifier::new();
    for check in checks {
        let key = ed25519_zebra::VerificationKeyBytes::from(check.key.to_bytes());
        let signature = ed25519_zebra::Signature::from_bytes(&check.signature.to_bytes());
        batch.queue((key, signature, check.message.as_slice()));
    }
    if batch.verify(rand::thread_rng()).is_ok() {
        return (vec![true; checks.len()], Outcome::Passed);
    }
    let valid = checks.iter().map(|check| check_strict(check)).collect();
    (valid, Outcome::Failed)
}

/// RFC 8032's check, strictly: canonical `s`, no small-order `R` or key.
pub fn check_strict(check: &Check) -> bool {
    check
        .key
        .verify_strict(&check.message, &check.signature)
        .is_ok()
}

fn lock(stats: &Mutex<BatchStats>) -> std::sync::MutexGuard<'_, BatchStats> {
    // Plain counters: consistent whatever panicked while they were held.
    stats
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
