//! People-ahead without store round-trips: an order-statistics view over the sequence
//! numbers of tickets still waiting. A Fenwick tree answers "how many waiting tickets
//! have a smaller sequence number" in O(log n) and applies a join, leave or admission
//! in O(log n); a bitset makes every update idempotent, so replaying a change is safe.

/// The set of waiting sequence numbers (1-based), with rank queries.
#[derive(Clone, Debug, Default)]
pub struct PositionView {
    /// Fenwick tree over positions `1..=capacity`; `tree[0]` unused.
    tree: Vec<u32>,
    present: Vec<u64>,
    len: u64,
    /// The highest sequence number ever inserted: the view is complete up to here.
    max_seq: u64,
}

impl PositionView {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of waiting tickets.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The highest sequence number the view has seen inserted.
    pub fn max_seq(&self) -> u64 {
        self.max_seq
    }

    pub fn contains(&self, seq: u64) -> bool {
        seq != 0 && self.bit(seq)
    }

    /// Inserts `seq`; returns false when it was already present. `seq` 0 is invalid.
    pub fn insert(&mut self, seq: u64) -> bool {
        assert!(seq > 0, "sequence numbers start at 1");
        self.max_seq = self.max_seq.max(seq);
        self.grow_to(seq);
        if self.bit(seq) {
            return false;
        }
        self.set_bit(seq, true);
        self.add(seq, 1);
        self.len += 1;
        true
    }

    /// Inserts `first..first + count`.
    pub fn insert_range(&mut self, first: u64, count: u64) {
        for seq in first..first + count {
            self.insert(seq);
        }
    }

    /// Removes `seq`; returns false when it was not present.
    pub fn remove(&mut self, seq: u64) -> bool {
        if !self.contains(seq) {
            return false;
        }
        self.set_bit(seq, false);
        self.add(seq, -1);
        self.len -= 1;
        true
    }

    /// How many waiting tickets have a sequence number below `seq`.
    pub fn ahead(&self, seq: u64) -> u64 {
        self.prefix(seq.saturating_sub(1))
    }

    /// Forgets everything (before loading a fresh snapshot).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    fn capacity(&self) -> u64 {
        self.tree.len().saturating_sub(1) as u64
    }

    fn prefix(&self, seq: u64) -> u64 {
        let mut i = seq.min(self.capacity()) as usize;
        let mut sum = 0u64;
        while i > 0 {
            sum += u64::from(self.tree[i]);
            i &= i - 1;
        }
        sum
    }

    fn add(&mut self, seq: u64, delta: i32) {
        let mut i = seq as usize;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Doubles capacity until `seq` fits, rebuilding the tree in O(capacity).
    fn grow_to(&mut self, seq: u64) {
        if seq <= self.capacity() {
            return;
        }
        let mut cap = self.capacity().max(1024);
        while cap < seq {
            cap *= 2;
        }
        self.present.resize((cap as usize).div_ceil(64) + 1, 0);
        let mut tree = vec![0u32; cap as usize + 1];
        for (i, slot) in tree.iter_mut().enumerate().skip(1) {
            *slot = u32::from(self.bit(i as u64));
        }
        for i in 1..tree.len() {
            let parent = i + (i & i.wrapping_neg());
            if parent < tree.len() {
                tree[parent] += tree[i];
            }
        }
        self.tree = tree;
    }

    fn bit(&self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        self.present.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set_bit(&mut self, seq: u64, on: bool) {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if on {
            self.present[word] |= 1 << bit;
        } else {
            self.present[word] &= !(1 << bit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn ahead_counts_smaller_waiting_seqs() {
        let mut v = PositionView::new();
        v.insert_range(1, 5);
        assert_eq!(v.ahead(1), 0);
        assert_eq!(v.ahead(5), 4);
        assert!(v.remove(2));
        assert!(!v.remove(2));
        assert_eq!(v.ahead(5), 3);
        assert_eq!(v.len(), 4);
    }

    #[test]
    fn grows_past_initial_capacity() {
        let mut v = PositionView::new();
        v.insert(3);
        v.insert(1_000_000);
        v.insert(5_000);
        assert_eq!(v.ahead(1_000_000), 2);
        assert_eq!(v.ahead(4_000), 1);
        assert_eq!(v.max_seq(), 1_000_000);
    }

    proptest! {
        #[test]
        fn matches_a_sorted_set(ops in proptest::collection::vec((any::<bool>(), 1u64..5_000), 0..500), probe in 1u64..6_000) {
            let mut v = PositionView::new();
            let mut model = BTreeSet::new();
            for (ins, seq) in ops {
                if ins {
                    prop_assert_eq!(v.insert(seq), model.insert(seq));
                } else {
                    prop_assert_eq!(v.remove(seq), model.remove(&seq));
                }
            }
            prop_assert_eq!(v.len(), model.len() as u64);
            prop_assert_eq!(v.ahead(probe), model.range(..probe).count() as u64);
        }
    }
}
