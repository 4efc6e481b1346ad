//! Reading a long line in bounded store calls (issue 19): a reload takes the waiting
//! queue a page at a time ([`QueueStore::snapshot_page`], by sequence number), then
//! replays the change log from the first page's cursor, so no single call walks the
//! whole line (on Redis one call of a 10 M line held the event's master for 33 s).
//!
//! Why the result is exact: every page is read at or after the first page's cursor
//! `c0`, and the pages cover disjoint ranges of sequence numbers that together cover
//! all of them. A sequence number no log entry after `c0` touches kept its membership
//! from `c0` to the end, so its page has it right; for one that entries after `c0`
//! touch, the last of them decides. The log's operations on the waiting set (join,
//! opening, restore: add; admission, leave: remove) are idempotent set operations, so
//! entries that a page already reflects change nothing. If the log was trimmed past
//! `c0` meanwhile (more than its capacity of entries during one read), the read
//! starts again, at most [`READ_ATTEMPTS`] times.

use std::collections::HashMap;

use super::{Change, Cursor, QueueSnapshot, QueueStore, StoreError};
use crate::EventId;

/// Whole reads a paged read starts before giving up (each restart follows a change
/// log trimmed past the first page's cursor: more than the log's capacity of entries,
/// ~1 M on Redis, during one read).
pub const READ_ATTEMPTS: usize = 3;
/// Change-log entries read per call while replaying.
const REPLAY_BATCH: usize = 10_000;

/// One page of the waiting queue ([`QueueStore::snapshot_page`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotPage {
    /// The change log's cursor as of this page (a reader replays from its first
    /// page's).
    pub cursor: Cursor,
    pub opened: bool,
    /// Waiting sequence numbers above the page's `after`, ascending, at most `limit`.
    pub seqs: Vec<u64>,
}

/// What a log entry does to the set of waiting sequence numbers.
pub(crate) enum SetOp<'a> {
    Add(&'a [u64]),
    AddRange { first: u64, count: u64 },
    Remove(&'a [u64]),
    None,
}

impl Change {
    /// This entry's effect on the set of waiting sequence numbers: every reader of
    /// the log applies it the same way.
    pub(crate) fn set_op(&self) -> SetOp<'_> {
        match self {
            Change::Joined { seq } => SetOp::Add(std::slice::from_ref(seq)),
            Change::Opened { first, count, .. } | Change::Frozen { first, count, .. } => {
                SetOp::AddRange {
                    first: *first,
                    count: *count,
                }
            }
            Change::Restored { seqs } => SetOp::Add(seqs),
            Change::Admitted { seqs, .. } | Change::Left { seqs } => SetOp::Remove(seqs),
            Change::Purchased { .. } | Change::Settings => SetOp::None,
        }
    }
}

/// A paged read of one event's waiting queue, one store call per step, so a caller
/// (or a test) may act between pages.
#[derive(Debug)]
pub struct QueueReader {
    event: EventId,
    page: usize,
    /// The first page's cursor: the replay starts here.
    first: Option<Cursor>,
    opened: bool,
    seqs: Vec<u64>,
    done: bool,
}

impl QueueReader {
    /// A read of `event`'s queue in pages of `page` sequence numbers (at least 1).
    pub fn new(event: EventId, page: usize) -> Self {
        Self {
            event,
            page: page.max(1),
            first: None,
            opened: false,
            seqs: Vec::new(),
            done: false,
        }
    }

    /// Reads the next page; false once the queue was read to its end.
    pub async fn step(&mut self, store: &(impl QueueStore + ?Sized)) -> Result<bool, StoreError> {
        if self.done {
            return Ok(false);
        }
        let after = self.seqs.last().copied().unwrap_or(0);
        let page = store.snapshot_page(self.event, after, self.page).await?;
        if page.seqs.len() > self.page || page.seqs.first().is_some_and(|&s| s <= after) {
            return Err(StoreError::Backend(
                format!(
                    "a snapshot page after {after} (limit {}) answered {} seqs from {:?}",
                    self.page,
                    page.seqs.len(),
                    page.seqs.first()
                )
                .into(),
            ));
        }
        self.first.get_or_insert(page.cursor);
        self.opened |= page.opened;
        self.done = page.seqs.len() < self.page;
        self.seqs.extend(page.seqs);
        Ok(!self.done)
    }

    /// Reads the remaining pages, then replays the change log from the first page's
    /// cursor to its end: the queue as of the returned cursor, or `None` if the log
    /// was trimmed past the first cursor meanwhile (read again).
    pub async fn finish(
        mut self,
        store: &(impl QueueStore + ?Sized),
    ) -> Result<Option<QueueSnapshot>, StoreError> {
        while self.step(store).await? {}
        let from = QueueSnapshot {
            cursor: self.first.take().unwrap_or_default(),
            opened: self.opened,
            seqs: self.seqs,
        };
        replay(store, self.event, from).await
    }
}

/// Brings `snap`, exact as of its cursor, up to the end of the change log: the last
/// entry after the cursor that touches a sequence number decides it. `None` if the
/// log was trimmed past the cursor (or restarted).
pub(crate) async fn replay(
    store: &(impl QueueStore + ?Sized),
    event: EventId,
    snap: QueueSnapshot,
) -> Result<Option<QueueSnapshot>, StoreError> {
    let QueueSnapshot {
        mut cursor,
        mut opened,
        mut seqs,
    } = snap;
    // The last entry touching each sequence number decides it (true: waiting).
    let mut last: HashMap<u64, bool> = HashMap::new();
    loop {
        let batch = store.changes(event, &cursor, REPLAY_BATCH).await?;
        if batch.lagged {
            return Ok(None);
        }
        let n = batch.changes.len();
        cursor = batch.cursor;
        for change in &batch.changes {
            match change.set_op() {
                SetOp::Add(seqs) => last.extend(seqs.iter().map(|&s| (s, true))),
                SetOp::AddRange { first, count } => {
                    last.extend((first..first.saturating_add(count)).map(|s| (s, true)));
                }
                SetOp::Remove(seqs) => last.extend(seqs.iter().map(|&s| (s, false))),
                SetOp::None => {}
            }
            opened |= matches!(change, Change::Opened { .. });
        }
        if n < REPLAY_BATCH {
            break;
        }
    }
    if !last.is_empty() {
        seqs.retain(|s| last.remove(s) != Some(false));
        let added = last
            .into_iter()
            .filter_map(|(s, waiting)| waiting.then_some(s));
        seqs.extend(added);
        seqs.sort_unstable();
    }
    Ok(Some(QueueSnapshot {
        cursor,
        opened,
        seqs,
    }))
}

/// The waiting queue of `event` and the log cursor it corresponds to, read in pages of
/// `page` sequence numbers ([`QueueReader`]); a read the log outran starts again, at
/// most [`READ_ATTEMPTS`] times.
pub async fn read_queue(
    store: &(impl QueueStore + ?Sized),
    event: EventId,
    page: usize,
) -> Result<QueueSnapshot, StoreError> {
    for attempt in 1..=READ_ATTEMPTS {
        if let Some(snapshot) = QueueReader::new(event, page).finish(store).await? {
            return Ok(snapshot);
        }
        tracing::warn!(%event, attempt, "the change log outran a paged read of the queue; reading again");
    }
    Err(StoreError::Backend(
        format!("the change log outran {READ_ATTEMPTS} paged reads of the queue").into(),
    ))
}
