//! The proof-of-work challenges one event's joins spent, each kept until it expires
//! (a challenge creates one ticket at most; see `crate::pow`).

use std::collections::HashMap;

#[derive(Default)]
pub(super) struct Spent {
    /// Challenge id → its expiry (Unix ms).
    ids: HashMap<String, i64>,
    /// How many ids there may be before expired ones are swept out.
    sweep_at: usize,
}

impl Spent {
    /// Whether `id` was spent and has not expired at `now`.
    pub(super) fn contains(&self, id: &str, now: i64) -> bool {
        self.ids.get(id).is_some_and(|expires| *expires > now)
    }

    /// Records `id` as spent until `expires_at_ms`.
    pub(super) fn insert(&mut self, id: &str, expires_at_ms: i64, now: i64) {
        if self.ids.len() >= self.sweep_at {
            // Amortised: sweeps happen after the map doubled since the last one.
            self.ids.retain(|_, expires| *expires > now);
            self.sweep_at = (self.ids.len() * 2).max(1024);
        }
        self.ids.insert(id.to_owned(), expires_at_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_spent_until_it_expires_and_swept_after() {
        let mut s = Spent::default();
        s.insert("a", 100, 0);
        assert!(s.contains("a", 99));
        assert!(!s.contains("a", 100));
        assert!(!s.contains("b", 0));
        for i in 0..2000 {
            s.insert(&i.to_string(), 50, 200);
        }
        assert!(s.ids.len() < 2000, "expired ids were swept");
    }
}
