//! An in-memory append-only log with a bounded length, shared by the in-memory queue
//! and seat stores. Cursors are entry ordinals (`"<n>"`: n entries read; empty = from
//! the start); a reader whose next entry was trimmed away is told it `lagged`.

use std::collections::VecDeque;

use crate::store::{Cursor, StoreError};

/// Change-log entries kept per event; a reader further behind reloads a snapshot.
pub(crate) const LOG_CAPACITY: usize = 1 << 20;

/// A bounded log of `T` entries.
#[derive(Clone, Debug)]
pub(crate) struct MemoryLog<T> {
    entries: VecDeque<T>,
    /// Ordinal of the oldest retained entry (entries trimmed so far).
    base: u64,
    capacity: usize,
}

/// Entries after a cursor.
#[derive(Clone, Debug)]
pub(crate) struct LogRead<T> {
    pub entries: Vec<T>,
    /// Where to read from next.
    pub cursor: Cursor,
    /// Entries after the reader's cursor were trimmed: no entries, cursor at the end.
    pub lagged: bool,
}

impl<T: Clone> MemoryLog<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            base: 0,
            capacity: capacity.max(1),
        }
    }

    /// Appends an entry, trimming the oldest beyond the capacity.
    pub fn push(&mut self, entry: T) {
        self.entries.push_back(entry);
        if self.entries.len() > self.capacity {
            self.entries.pop_front();
            self.base += 1;
        }
    }

    /// Drops every entry and burns one ordinal, so every cursor handed out so far
    /// (even one at the end) reads as lagged: the log starts over.
    pub fn restart(&mut self) {
        self.base += self.entries.len() as u64 + 1;
        self.entries.clear();
    }

    /// The cursor after the newest entry.
    pub fn end(&self) -> Cursor {
        Cursor((self.base + self.entries.len() as u64).to_string())
    }

    /// The ordinal a cursor stands for (checked before taking any lock).
    pub fn position(after: &Cursor) -> Result<u64, StoreError> {
        if after.0.is_empty() {
            return Ok(0);
        }
        after
            .0
            .parse()
            .map_err(|e| StoreError::backend(format!("bad cursor {:?}", after.0), e))
    }

    /// Up to `max` entries after ordinal `from`.
    pub fn read(&self, from: u64, max: usize) -> LogRead<T> {
        if from < self.base {
            return LogRead {
                entries: Vec::new(),
                cursor: self.end(),
                lagged: true,
            };
        }
        let start = usize::try_from(from - self.base).unwrap_or(usize::MAX);
        let entries: Vec<T> = self.entries.iter().skip(start).take(max).cloned().collect();
        LogRead {
            cursor: Cursor((from + entries.len() as u64).to_string()),
            entries,
            lagged: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_entries_make_readers_lag() {
        let mut log = MemoryLog::new(3);
        assert_eq!(log.end(), Cursor("0".into()));
        for i in 1..=5 {
            log.push(i);
        }
        assert_eq!(log.end(), Cursor("5".into()));
        let start = MemoryLog::<i32>::position(&Cursor::default()).unwrap();
        let read = log.read(start, 10);
        assert!(read.lagged && read.entries.is_empty());
        assert_eq!(read.cursor, log.end());

        // Entries 3..=5 are kept: a reader that has read two is current.
        let read = log.read(2, 2);
        assert!(!read.lagged);
        assert_eq!(read.entries, vec![3, 4]);
        assert_eq!(read.cursor, Cursor("4".into()));
        let read = log.read(5, 2);
        assert!(read.entries.is_empty() && !read.lagged);
        assert_eq!(read.cursor, Cursor("5".into()));
        assert!(MemoryLog::<i32>::position(&Cursor("x".into())).is_err());

        // A restart makes every reader lag, even one at the end; new entries follow.
        log.restart();
        assert!(log.read(5, 2).lagged);
        log.push(6);
        let read = log.read(6, 2);
        assert_eq!((read.entries, read.lagged), (vec![6], false));
    }
}
