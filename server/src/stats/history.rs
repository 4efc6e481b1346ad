//! The last 15 minutes of each open event's counters on this replica, as samples
//! for the admin console's charts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use waiting_room::EventId;

use super::snapshot::Sample;

/// Samples kept per event: 15 minutes at [`super::SAMPLE_INTERVAL`].
pub const HISTORY_LEN: usize = 180;

/// The last [`HISTORY_LEN`] samples of each open event, on this replica.
#[derive(Debug, Default)]
pub struct History {
    /// A `std` mutex: held to push one sample or copy one event's samples, never
    /// across `.await`, so an async lock would only add cost.
    events: Mutex<HashMap<EventId, VecDeque<Sample>>>,
}

impl History {
    /// Appends a sample, dropping the oldest beyond [`HISTORY_LEN`].
    pub fn record(&self, event: EventId, sample: Sample) {
        let mut events = self.lock();
        let samples = events
            .entry(event)
            .or_insert_with(|| VecDeque::with_capacity(HISTORY_LEN));
        if samples.len() == HISTORY_LEN {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// The event's samples, oldest first.
    pub fn samples(&self, event: EventId) -> Vec<Sample> {
        self.lock()
            .get(&event)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Forgets the events `keep` refuses (closed or gone).
    pub fn retain(&self, keep: impl Fn(&EventId) -> bool) {
        self.lock().retain(|id, _| keep(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, VecDeque<Sample>>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: i64) -> Sample {
        Sample {
            at_ms,
            waiting: 0,
            prequeue: 0,
            admitted_last_minute: 0,
            active: 0,
            held: 0,
            sold: 0,
            rate_per_minute: 60,
            max_active: 10,
            paused: false,
            mode: Default::default(),
        }
    }

    #[test]
    fn history_keeps_the_last_180_samples_oldest_first() {
        let history = History::default();
        let (a, b) = (EventId::new(), EventId::new());
        for at in 0..200 {
            history.record(a, sample(at));
        }
        history.record(b, sample(7));
        let kept: Vec<i64> = history.samples(a).iter().map(|s| s.at_ms).collect();
        assert_eq!(kept, (20..200).collect::<Vec<_>>());
        assert_eq!(history.samples(b), vec![sample(7)]);
        assert!(history.samples(EventId::new()).is_empty());
    }

    #[test]
    fn history_forgets_events_not_kept() {
        let history = History::default();
        let (a, b) = (EventId::new(), EventId::new());
        history.record(a, sample(1));
        history.record(b, sample(2));
        history.retain(|id| *id == b);
        assert!(history.samples(a).is_empty());
        assert_eq!(history.samples(b).len(), 1);
    }
}
