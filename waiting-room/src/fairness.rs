//! Fairness figures: how far an admission order is from a join order, as the number
//! of inversions (pairs admitted in the opposite order to the one they joined in) and
//! the normalised Kendall tau distance, inversions / (n(n-1)/2): 0 for FIFO, about 0.5
//! for a fair shuffle, 1 for a reversal. Counted by merge sort in O(n log n).

use serde::{Deserialize, Serialize};

/// Inversions of one group of fans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderFigures {
    /// Fans counted.
    pub fans: u64,
    /// Pairs of fans admitted in the opposite order to the one they joined in.
    pub inversions: u64,
    /// `inversions / (fans (fans - 1) / 2)`: 0 when admission followed the join
    /// order, about 0.5 for a fair shuffle; `null` for fewer than two fans.
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 0, maximum = 1))]
    pub kendall_tau: Option<f64>,
}

impl OrderFigures {
    /// The figures of `admitted`: each fan's join rank, listed in admission order.
    /// Equal join ranks are not an inversion.
    pub fn of(admitted: &[u64]) -> Self {
        let n = admitted.len() as u64;
        let inversions = inversions(admitted);
        Self {
            fans: n,
            inversions,
            kendall_tau: kendall_tau(inversions, n),
        }
    }

    /// The figures of fans given as `(join key, admission key)` pairs: sorted by
    /// admission (ties by join, so fans admitted together count as in order), then the
    /// inversions of their join keys.
    pub fn of_pairs(mut fans: Vec<(i64, i64)>) -> Self {
        fans.sort_unstable_by_key(|&(joined, admitted)| (admitted, joined));
        let mut ranks: Vec<i64> = fans.iter().map(|f| f.0).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let order: Vec<u64> = fans
            .iter()
            .map(|f| ranks.binary_search(&f.0).expect("a key of the list") as u64)
            .collect();
        Self::of(&order)
    }
}

/// Pairs `i < j` with `values[i] > values[j]`, by merge sort.
pub fn inversions(values: &[u64]) -> u64 {
    let mut work = values.to_vec();
    let mut buf = vec![0; values.len()];
    count(&mut work, &mut buf)
}

/// `inversions / (n(n-1)/2)`; `None` when `n < 2`.
pub fn kendall_tau(inversions: u64, n: u64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let pairs = n as f64 * (n as f64 - 1.0) / 2.0;
    Some(inversions as f64 / pairs)
}

fn count(values: &mut [u64], buf: &mut [u64]) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut total = {
        let (left, right) = values.split_at_mut(mid);
        let (lb, rb) = buf.split_at_mut(mid);
        count(left, lb) + count(right, rb)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if values[i] <= values[j] {
            buf[k] = values[i];
            i += 1;
        } else {
            buf[k] = values[j];
            // Every value left in the left half is greater than this one.
            total += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    buf[k..k + mid - i].copy_from_slice(&values[i..mid]);
    k += mid - i;
    buf[k..k + n - j].copy_from_slice(&values[j..n]);
    values.copy_from_slice(&buf[..n]);
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_permutations() {
        assert_eq!(inversions(&[]), 0);
        assert_eq!(inversions(&[0, 1, 2, 3, 4]), 0);
        assert_eq!(inversions(&[4, 3, 2, 1, 0]), 10);
        assert_eq!(inversions(&[1, 0, 2, 3]), 1);
        assert_eq!(inversions(&[2, 3, 0, 1]), 4);
        assert_eq!(inversions(&[1, 1, 0]), 2);
        let fifo = OrderFigures::of(&[0, 1, 2, 3]);
        assert_eq!(fifo.kendall_tau, Some(0.0));
        let reversed = OrderFigures::of(&[3, 2, 1, 0]);
        assert_eq!((reversed.inversions, reversed.kendall_tau), (6, Some(1.0)));
        assert_eq!(OrderFigures::of(&[2, 3, 0, 1]).kendall_tau, Some(4.0 / 6.0));
        assert_eq!(OrderFigures::of(&[5]).kendall_tau, None);
    }

    #[test]
    fn pairs_admitted_together_are_in_order() {
        // Joined at 10, 20, 30; the last two admitted in the same step, then one late.
        let f = OrderFigures::of_pairs(vec![(30, 100), (20, 100), (10, 200)]);
        assert_eq!((f.fans, f.inversions), (3, 2));
    }

    proptest! {
        #[test]
        fn merge_count_matches_the_quadratic_count(v in proptest::collection::vec(0u64..20, 0..60)) {
            let slow = (0..v.len())
                .flat_map(|i| (i + 1..v.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| v[i] > v[j])
                .count() as u64;
            prop_assert_eq!(inversions(&v), slow);
        }
    }
}
