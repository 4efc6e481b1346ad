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

/// The seat map, with the first seat index of every section precomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatLayout {
    sections: Vec<SectionLayout>,
    first: Vec<u32>,
    capacity: u32,
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

    /// The index of a seat id such as `A-12-7`, if it exists.
    pub fn parse(&self, id: &str) -> Option<u32> {
        let mut parts = id.rsplitn(3, '-');
        let seat: u32 = parts.next()?.parse().ok()?;
        let row: u32 = parts.next()?.parse().ok()?;
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
    /// best first: sections in listed order (or only `section`), front rows first,
    /// and within a row the block closest to the centre. `free(index)` tells whether a
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
    pub fn best_available_from(
        &self,
        quantity: u32,
        section: Option<usize>,
        limit: usize,
        first_row: impl Fn(usize) -> u32,
        free: impl Fn(u32) -> bool,
    ) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        if quantity == 0 {
            return out;
        }
        let sections: Vec<usize> = match section {
            Some(s) => vec![s],
            None => (0..self.sections.len()).collect(),
        };
        for si in sections {
            let s = &self.sections[si];
            if quantity > s.seats_per_row {
                continue;
            }
            for row in first_row(si).max(1)..=s.rows {
                let row_start = self.first[si] + (row - 1) * s.seats_per_row;
                let mut blocks = Vec::new();
                let mut run = 0u32;
                for seat in 0..s.seats_per_row {
                    run = if free(row_start + seat) { run + 1 } else { 0 };
                    if run >= quantity {
                        blocks.push(seat + 1 - quantity);
                    }
                }
                // Centre-most first: distance of the block's middle from the row's.
                let centre2 = s.seats_per_row as i64; // doubled, to stay in integers
                blocks.sort_by_key(|start| ((2 * *start as i64 + quantity as i64) - centre2).abs());
                for start in blocks {
                    out.push((row_start + start..row_start + start + quantity).collect());
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
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
            "A-0-1", "A-3-1", "A-1-11", "C-1-1", "A-1", "", "A-1-x", "-1-1", "A-1-1-1",
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
}
