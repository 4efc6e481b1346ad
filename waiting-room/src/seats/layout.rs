//! The seat map of an event: sections of rows × seats, one price per section. Turns
//! seat ids (`<section>-<row>-<seat>`, counted from 1) into dense indexes and back, and
//! finds best-available blocks of adjacent seats.

use serde::{Deserialize, Serialize};

/// One section as laid out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionLayout {
    pub name: String,
    pub rows: u32,
    pub seats_per_row: u32,
    pub price_cents: i64,
}

/// Rows best-available looks through for a block that leaves no lone seat, once it
/// has one that would.
const STRANDING_LOOKAHEAD: u32 = 8;

/// The seat map, with the first seat index of every section precomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatLayout {
    sections: Vec<SectionLayout>,
    first: Vec<u32>,
    capacity: u32,
}

/// A number as [`SeatLayout::name`] writes it: ASCII digits, no sign, no leading zero.
fn canonical_number(digits: &str) -> Option<u32> {
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// Where a seat is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatPosition {
    pub section: usize,
    /// 1-based.
    pub row: u32,
    /// 1-based.
    pub seat: u32,
}

impl SeatLayout {
    /// A layout from its sections (validated by the caller: non-empty names without
    /// '-', rows and seats ≥ 1, total capacity fitting in `u32`).
    pub fn new(sections: Vec<SectionLayout>) -> Self {
        let mut first = Vec::with_capacity(sections.len());
        let mut next = 0u32;
        for s in &sections {
            first.push(next);
            next += s.rows * s.seats_per_row;
        }
        Self {
            sections,
            first,
            capacity: next,
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn sections(&self) -> &[SectionLayout] {
        &self.sections
    }

    /// The index of a seat id such as `A-12-7`, if it exists. Only the id [`name`]
    /// writes is one: `A-012-7` or `A-+12-7` name no seat, so every seat has exactly
    /// one id.
    ///
    /// [`name`]: Self::name
    pub fn parse(&self, id: &str) -> Option<u32> {
        let mut parts = id.rsplitn(3, '-');
        let seat = canonical_number(parts.next()?)?;
        let row = canonical_number(parts.next()?)?;
        let name = parts.next()?;
        let section = self.sections.iter().position(|s| s.name == name)?;
        self.index(SeatPosition { section, row, seat })
    }

    /// The index of a position, if it exists.
    pub fn index(&self, p: SeatPosition) -> Option<u32> {
        let s = self.sections.get(p.section)?;
        if p.row == 0 || p.row > s.rows || p.seat == 0 || p.seat > s.seats_per_row {
            return None;
        }
        Some(self.first[p.section] + (p.row - 1) * s.seats_per_row + (p.seat - 1))
    }

    /// Where seat `index` is. Panics if `index >= capacity` (an invariant of callers:
    /// indexes come from `parse` or `0..capacity`).
    pub fn position(&self, index: u32) -> SeatPosition {
        assert!(
            index < self.capacity,
            "seat {index} outside 0..{}",
            self.capacity
        );
        let section = self.first.partition_point(|f| *f <= index) - 1;
        let s = &self.sections[section];
        let offset = index - self.first[section];
        SeatPosition {
            section,
            row: offset / s.seats_per_row + 1,
            seat: offset % s.seats_per_row + 1,
        }
    }

    /// The id of seat `index`, e.g. `A-12-7`.
    pub fn name(&self, index: u32) -> String {
        let p = self.position(index);
        format!("{}-{}-{}", self.sections[p.section].name, p.row, p.seat)
    }

    pub fn price(&self, index: u32) -> i64 {
        self.sections[self.position(index).section].price_cents
    }

    /// The seat indexes of one row (`row` 1-based).
    pub fn row_seats(&self, section: usize, row: u32) -> std::ops::Range<u32> {
        let s = &self.sections[section];
        let start = self.first[section] + (row - 1) * s.seats_per_row;
        start..start + s.seats_per_row
    }

    /// Section index by name.
    pub fn section(&self, name: &str) -> Option<usize> {
        self.sections.iter().position(|s| s.name == name)
    }

    /// Up to `limit` candidate blocks of `quantity` adjacent free seats in one row,
    /// best first: blocks that leave no lone seat before any that do (a lone seat is
    /// one free seat between taken ones or the row's end, which nobody buying two or
    /// more can use); then sections in listed order (or only `section`), front rows
    /// first; within a row, blocks that leave the free seats on either side in
    /// multiples of `quantity` (so the next buyers of as many seats fill the row
    /// exactly), then the block closest to the centre. `free(index)` tells whether a
    /// seat is free in the caller's (possibly stale) view; the store decides.
    pub fn best_available(
        &self,
        quantity: u32,
        section: Option<usize>,
        limit: usize,
        free: impl Fn(u32) -> bool,
    ) -> Vec<Vec<u32>> {
        self.best_available_from(quantity, section, limit, |_| 1, free)
    }

    /// As [`Self::best_available`], starting each section at `first_row(section)`
    /// (1-based): callers that know the rows in front are full skip scanning them.
    ///
    /// Cost: the rows up to the `limit`-th block that leaves no lone seat. When every
    /// block left would strand a seat (the end of a sale), that is every row from the
    /// hints on: one `free` call per seat, once.
    pub fn best_available_from(
        &self,
        quantity: u32,
        section: Option<usize>,
        limit: usize,
        first_row: impl Fn(usize) -> u32,
        free: impl Fn(u32) -> bool,
    ) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        // Blocks that would leave a lone seat, best first: used only if too few others.
        let mut stranding = Vec::new();
        if quantity == 0 || limit == 0 {
            return out;
        }
        let sections: Vec<usize> = match section {
            Some(s) => vec![s],
            None => (0..self.sections.len()).collect(),
        };
        let block = |start: u32| -> Vec<u32> { (start..start + quantity).collect() };
        // Rows scanned since the first block that would strand a seat: past
        // STRANDING_LOOKAHEAD, that block is taken rather than scanning on (rows whose
        // blocks all strand a seat stay in front of the hints until they fill, so an
        // unbounded look would cost every request a scan of all of them).
        let mut past_stranding = 0;
        for si in sections {
            let s = &self.sections[si];
            if quantity > s.seats_per_row {
                continue;
            }
            for row in first_row(si).max(1)..=s.rows {
                if !stranding.is_empty() {
                    if past_stranding >= STRANDING_LOOKAHEAD {
                        break;
                    }
                    past_stranding += 1;
                }
                let row_start = self.first[si] + (row - 1) * s.seats_per_row;
                // (block start in the row, whether it leaves a lone seat)
                let mut blocks = Vec::new();
                let mut seat = 0;
                while seat < s.seats_per_row {
                    if !free(row_start + seat) {
                        seat += 1;
                        continue;
                    }
                    let run_start = seat;
                    while seat < s.seats_per_row && free(row_start + seat) {
                        seat += 1;
                    }
                    if seat - run_start < quantity {
                        continue;
                    }
                    for start in run_start..=seat - quantity {
                        let (left, right) = (start - run_start, seat - start - quantity);
                        // A single buyer can use a lone seat: the rule is for parties.
                        let lone = quantity > 1 && (left == 1 || right == 1);
                        let misfit =
                            u32::from(left % quantity != 0) + u32::from(right % quantity != 0);
                        blocks.push((start, lone, misfit));
                    }
                }
                // Fitting first, then centre-most: distance of the block's middle from
                // the row's.
                let centre2 = s.seats_per_row as i64; // doubled, to stay in integers
                blocks.sort_by_key(|(start, _, misfit)| {
                    (
                        *misfit,
                        ((2 * *start as i64 + quantity as i64) - centre2).abs(),
                    )
                });
                for (start, lone, _) in blocks {
                    if !lone {
                        out.push(block(row_start + start));
                        if out.len() >= limit {
                            return out;
                        }
                    } else if stranding.len() < limit {
                        stranding.push(block(row_start + start));
                    }
                }
            }
        }
        let missing = limit - out.len();
        out.extend(stranding.into_iter().take(missing));
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn layout() -> SeatLayout {
        SeatLayout::new(vec![
            SectionLayout {
                name: "A".into(),
                rows: 2,
                seats_per_row: 10,
                price_cents: 100,
            },
            SectionLayout {
                name: "B".into(),
                rows: 3,
                seats_per_row: 4,
                price_cents: 50,
            },
        ])
    }

    #[test]
    fn ids_round_trip() {
        let l = layout();
        assert_eq!(l.capacity(), 32);
        for i in 0..l.capacity() {
            assert_eq!(l.parse(&l.name(i)), Some(i));
        }
        assert_eq!(l.name(0), "A-1-1");
        assert_eq!(l.name(20), "B-1-1");
        assert_eq!(l.price(31), 50);
        for bad in [
            "A-0-1",
            "A-3-1",
            "A-1-11",
            "C-1-1",
            "A-1",
            "",
            "A-1-x",
            "-1-1",
            "A-1-1-1",
            "A-01-1",
            "A-1-01",
            "A-+1-1",
            "A-1-+1",
            "A-1-1 ",
            " A-1-1",
            "A-1-\u{0661}",
        ] {
            assert_eq!(l.parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn best_available_prefers_front_centre_and_skips_taken_seats() {
        let l = layout();
        let all_free = l.best_available(2, None, 3, |_| true);
        assert_eq!(all_free[0], vec![4, 5], "row 1, centre");
        let taken = [4u32, 5];
        let c = l.best_available(2, None, 2, |i| !taken.contains(&i));
        assert!(c.iter().all(|b| b.iter().all(|s| !taken.contains(s))));
        assert_eq!(c[0].len(), 2);
        let b = l.best_available(4, Some(1), 5, |_| true);
        assert_eq!(
            b,
            vec![
                vec![20, 21, 22, 23],
                vec![24, 25, 26, 27],
                vec![28, 29, 30, 31]
            ]
        );
        assert!(l.best_available(5, Some(1), 5, |_| true).is_empty());
        assert!(l.best_available(2, None, 5, |_| false).is_empty());
        // Starting at row 2 of section A skips row 1 however free it is.
        let from = l.best_available_from(2, Some(0), 1, |_| 2, |_| true);
        assert_eq!(from, vec![vec![14, 15]]);
        assert_eq!(l.row_seats(1, 2), 24..28);
    }

    /// Taken seats of a 10-seat row as a picture: `x` taken, `.` free.
    fn row(picture: &str) -> impl Fn(u32) -> bool + '_ {
        move |i: u32| picture.as_bytes().get(i as usize) == Some(&b'.')
    }

    #[test]
    fn best_available_leaves_no_lone_seat_where_another_block_exists() {
        let l = SeatLayout::new(vec![SectionLayout {
            name: "A".into(),
            rows: 2,
            seats_per_row: 10,
            price_cents: 100,
        }]);
        // Row 1: a run of 5 (seats 0-4). Its centre-most pair 1-2 leaves seat 0 alone;
        // 2-3 leaves 4 alone; 0-1 or 3-4 leave a pair.
        let picture = ".....xxxxx..........";
        let best = l.best_available(2, None, 2, row(picture));
        assert_eq!(best, vec![vec![3, 4], vec![0, 1]]);
        // A run of 3 can only strand: the front row's run of 3 loses to row 2.
        let picture = "...xxxxxxx..........";
        let best = l.best_available(2, None, 1, row(picture));
        assert_eq!(
            best,
            vec![vec![14, 15]],
            "row 2's centre leaves 4 each side"
        );
        // ... unless nothing else is left: then the stranding block, not nothing.
        let picture = "...xxxxxxxxxxxxxxxxx";
        let last = l.best_available(2, None, 1, row(picture));
        assert!(
            last == vec![vec![0, 1]] || last == vec![vec![1, 2]],
            "{last:?}"
        );
        // A single buyer may take one of a pair: singles can use the seat left.
        let picture = "x..xxxxxxxxxxxxxxxxx";
        assert_eq!(l.best_available(1, None, 1, row(picture)), vec![vec![2]]);
    }

    /// Rows whose blocks would all strand a seat are looked past only so far: the
    /// look costs a bounded number of rows however many such rows there are.
    #[test]
    fn the_look_past_stranding_blocks_is_bounded() {
        let l = SeatLayout::new(vec![SectionLayout {
            name: "A".into(),
            rows: 40,
            seats_per_row: 20,
            price_cents: 100,
        }]);
        // Rows 1-30 keep a run of 3 (a pair would strand one); rows 31-40 are empty.
        let free = |i: u32| i % 20 < 3 || i >= 600;
        let best = l.best_available(2, None, 1, free);
        assert_eq!(best.len(), 1);
        assert!(
            best[0][0] < 600,
            "took a stranding block near the front: {best:?}"
        );
        // Within the look-ahead, a clean row wins.
        let near = |i: u32| i % 20 < 3 || i >= 100;
        let best = l.best_available(2, None, 1, near);
        assert!(best[0][0] >= 100, "{best:?}");
    }

    /// Sells a 50 × 20 venue to best-available buyers of `sizes` (in turn, skipping a
    /// size that no longer fits) until no block of any size is left; the free seats
    /// left then are the stranded ones.
    fn stranded_after_selling(sizes: &[u32]) -> usize {
        let l = SeatLayout::new(vec![SectionLayout {
            name: "A".into(),
            rows: 50,
            seats_per_row: 20,
            price_cents: 100,
        }]);
        let mut taken = vec![false; l.capacity() as usize];
        let mut turn = 0;
        let mut misses = 0;
        while misses < sizes.len() {
            let q = sizes[turn % sizes.len()];
            turn += 1;
            match l.best_available(q, None, 1, |s| !taken[s as usize]).pop() {
                Some(block) => {
                    misses = 0;
                    block.into_iter().for_each(|s| taken[s as usize] = true);
                }
                None => misses += 1,
            }
        }
        taken.iter().filter(|t| !**t).count()
    }

    #[test]
    fn a_venue_sold_in_pairs_or_fours_strands_no_seat() {
        // Centre-first alone split each 20-seat row 9 + 2 + 9: a lone seat each side.
        assert_eq!(stranded_after_selling(&[2]), 0);
        assert_eq!(stranded_after_selling(&[4]), 0);
        assert_eq!(stranded_after_selling(&[2, 4]), 0);
    }

    fn sections() -> impl Strategy<Value = Vec<SectionLayout>> {
        proptest::collection::vec(("[A-Za-z][A-Za-z0-9 ]{0,3}", 1u32..30, 1u32..30), 1..4).prop_map(
            |raw| {
                let mut names = HashSet::new();
                raw.into_iter()
                    .filter(|(name, _, _)| names.insert(name.clone()))
                    .map(|(name, rows, seats_per_row)| SectionLayout {
                        name,
                        rows,
                        seats_per_row,
                        price_cents: 100,
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Every seat's id names it, and any string that names a seat is that seat's id:
        /// one id per seat, whatever a client sends.
        #[test]
        fn a_seat_has_exactly_one_id(
            sections in sections(),
            index in any::<u32>(),
            junk in ".{0,24}",
            row in "[0-9+ -]{0,6}",
            seat in "[0-9+ -]{0,6}",
        ) {
            let l = SeatLayout::new(sections);
            let i = index % l.capacity();
            prop_assert_eq!(l.parse(&l.name(i)), Some(i));
            let name = &l.sections()[l.position(i).section].name;
            for id in [junk, format!("{name}-{row}-{seat}")] {
                if let Some(found) = l.parse(&id) {
                    prop_assert_eq!(l.name(found), id);
                }
            }
        }
    }
}
