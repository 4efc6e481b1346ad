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
mod tests;
